"""Kernels of the monotone-inclusion family against the numpy/prox-object versions (small sizes)."""
import numpy as np
import pytest

from numopt.problems import prox as P
from numopt.problems.inclusion import BoxLeastSquares, MatrixGame
from numopt.solvers.halpern import _kernels as K
from numopt.solvers.halpern._common import kernel_operator, kernel_resolvent

pytestmark = pytest.mark.kernels


def test_simplex_projection_and_product_resolvent_match_the_prox_objects():
    rng = np.random.default_rng(0)
    G = P.Product([P.Simplex(1.0), P.Box(-0.5, 0.5), P.Simplex(2.0)], [4, 3, 5])
    res = kernel_resolvent(G, 12, "test")
    for _ in range(5):
        v = 2.0 * rng.standard_normal(12)
        out = np.empty(12)
        K.resolve(res, v, out)
        np.testing.assert_allclose(out, G(v), atol=1e-14)
    with pytest.raises(ValueError, match="compiled kernel"):
        kernel_resolvent(P.Product([P.L1(1.0)], [3]), 3, "test")


@pytest.mark.parametrize("make", ["game", "ls"])
def test_full_operator_and_component_differences(make):
    rng = np.random.default_rng(1)
    if make == "game":
        p = MatrixGame(rng.standard_normal((4, 3)))
    else:
        p = BoxLeastSquares(rng.standard_normal((6, 3)), rng.standard_normal(6), -1.0, 1.0)
    N, D = p.n_components, p.n
    probs = rng.uniform(0.5, 1.5, N)
    probs /= probs.sum()
    op = kernel_operator(p, probs)
    u, v = rng.standard_normal(D), rng.standard_normal(D)
    out = np.empty(D)
    K.full_operator(op, u, out)
    np.testing.assert_allclose(out, p._F(u), atol=1e-13)
    # the estimator of F(u) - F(v) summed over all components with weights 1/(N pi_i) * pi_i ... exact mean
    acc = np.zeros(D)
    idx = np.arange(N, dtype=np.int64)
    for i in idx:
        K.add_component_diffs(op, np.array([i]), probs[i], u - v, acc)
    np.testing.assert_allclose(acc, p._F(u) - p._F(v), atol=1e-12)
    # one component against the problem's counted oracle
    d1 = np.zeros(D)
    K.add_component_diffs(op, np.array([2], dtype=np.int64), N * probs[2], u - v, d1)
    np.testing.assert_allclose(d1, p.components(u, [2]) - p.components(v, [2]), atol=1e-12)


def _forb_reference(p, u, eta, gamma, alpha, idx, coins, probs):
    """The inner VR-FoRB loop written with numpy and the problem's prox object."""
    N = p.n_components
    w, wp, v = u.copy(), u.copy(), u.copy()
    Fw = p._F(w)
    for i, coin in zip(idx, coins):
        d = v - wp
        Gi = (p.P[i].T @ (p.Q[i] @ d)).ravel() / (N * probs[i])
        arg = alpha * v + (1 - alpha) * w - gamma * (eta * Fw + w - u + d + eta * Gi)
        v = p.resolve(arg, gamma * eta)
        wp = w.copy()
        if coin:
            w = v.copy()
            Fw = p._F(w)
    return v


def test_forb_inner_matches_a_numpy_replica():
    rng = np.random.default_rng(2)
    p = MatrixGame(rng.uniform(0, 1, (3, 4)))
    probs = np.full(p.n_components, 1.0 / p.n_components)
    op, res = kernel_operator(p, probs), kernel_resolvent(p.resolvent, p.n, "test")
    u = p.x0.copy()
    idx = rng.integers(0, p.n_components, 12).astype(np.int64)
    coins = rng.random(12) < 0.3
    v = np.empty_like(u)
    ncomp, nfull = K.forb_inner(op, res, u, 0.7, 0.05, 0.9, idx, coins, v)
    np.testing.assert_allclose(v, _forb_reference(p, u, 0.7, 0.05, 0.9, idx, coins, probs), atol=1e-12)
    assert ncomp == 24 and nfull == 1 + coins.sum()


def _page_reference(p, probs, u, eta, k, b, budget, coins, samples, perm, importance):
    """Algorithm 1 in numpy, with the kernel's random numbers (the kernel's docstring, line by line)."""
    N = p.n_components
    w = 1.0 / (N * probs)
    anchor, up, Ft = u.copy(), u.copy(), np.zeros_like(u)
    used, t, nfull, npart, perm, cdf = 0.0, 0, 0, 0, perm.copy(), np.cumsum(probs)
    while used < budget:
        pk = 1.0 if k <= 1 else (4.0 / (k + 4) if k <= np.sqrt(N) + 1 else 4.0 / (np.sqrt(N) + 5))
        if k <= 1 or coins[t] < pk:
            Ft, used, nfull = p._F(u), used + 1.0, nfull + 1
        else:
            s = samples[t * b:(t + 1) * b]
            if importance:
                idx = np.minimum(np.searchsorted(cdf, s * cdf[-1], side="right"), N - 1)
            else:
                for j in range(b):
                    r = min(j + int(s[j] * (N - j)), N - 1)
                    perm[[j, r]] = perm[[r, j]]
                idx = perm[:b].copy()
            d = u - up
            Ft = Ft + sum(w[i] * p.P[i].toarray().ravel() * (p.Q[i] @ d)[0] for i in idx) / b
            used, npart = used + 2.0 * b / N, npart + 1
        lam = 2.0 / (k + 4)
        up, u = u, p.resolvent(lam * anchor + (1 - lam) * u - eta * Ft, eta)
        t, k = t + 1, k + 1
    return u, t, nfull, npart, perm


@pytest.mark.parametrize("importance", [False, True])
def test_page_block_matches_the_numpy_algorithm_and_counts_its_work(importance):
    rng = np.random.default_rng(3)
    p = BoxLeastSquares(rng.standard_normal((40, 4)), rng.standard_normal(40), -0.3, 0.3)
    N, D, b = 40, 4, 6
    probs = p.sampling_probabilities(importance)
    op = kernel_operator(p, probs)
    res = kernel_resolvent(p.resolvent, D, "test")
    u0 = np.clip(rng.standard_normal(D), -0.3, 0.3)
    coins, samples = rng.random(200), rng.random(200 * b)
    perm = np.arange(N, dtype=np.int64)
    ref_u, ref_t, ref_full, ref_part, ref_perm = _page_reference(p, probs, u0, 0.2, 0, b, 5.0, coins, samples,
                                                                perm, importance)
    u, up, Ft = u0.copy(), u0.copy(), np.zeros(D)
    t, k, nfull, npart, ok = K.page_block(op, res, u, up, Ft, u0.copy(), 0.2, 0, b, 5.0, 200, coins, samples,
                                          perm, np.cumsum(probs), importance, np.empty((0, 0)))
    assert ok and (t, k, nfull, npart) == (ref_t, ref_t, ref_full, ref_part) and npart > 0 and nfull >= 2
    np.testing.assert_allclose(u, ref_u, atol=1e-12)
    if not importance:
        np.testing.assert_array_equal(perm, ref_perm)
        assert sorted(perm) == list(range(N))
    # a non-finite step stops the block with ok = False and a nan point
    u, up, Ft = u0.copy(), u0.copy(), np.zeros(D)
    out = K.page_block(op, res, u, up, Ft, u0.copy(), np.inf, 0, b, 5.0, 200, coins, samples,
                       np.arange(N, dtype=np.int64), np.cumsum(probs), importance, np.empty((0, 0)))
    assert out[4] is False or not out[4]
    assert np.all(np.isnan(u))
    # the dense full operator (BLAS) gives the same block as the CSR rows
    u, up, Ft, perm2 = u0.copy(), u0.copy(), np.zeros(D), np.arange(N, dtype=np.int64)
    out = K.page_block(op, res, u, up, Ft, u0.copy(), 0.2, 0, b, 5.0, 200, coins, samples, perm2,
                       np.cumsum(probs), importance, np.ascontiguousarray(p.X))
    assert out[:4] == (ref_t, ref_t, ref_full, ref_part)
    np.testing.assert_allclose(u, ref_u, atol=1e-12)
