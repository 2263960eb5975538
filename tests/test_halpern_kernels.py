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
