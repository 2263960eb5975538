"""Numba kernels of the OT family on tiny arrays (re-run by CI with NUMOPT_DISABLE_JIT=1)."""
import numpy as np
import pytest
from scipy.special import logsumexp

from numopt.solvers.ot import _kernels as kern
from numopt.solvers.ot.sns import sparsify

pytestmark = pytest.mark.kernels


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n, m = 7, 300                       # m > one column block of rmatvec / col_lse
    C = rng.random((n, m))
    return C, rng.standard_normal(n) * 0.1, rng.standard_normal(m) * 0.1, 0.2


@pytest.mark.parametrize("build", ["serial", "parallel"])
def test_dense_sweeps_match_numpy(data, build):
    C, f, g, reg = data
    n, m = C.shape
    pick = lambda k: getattr(k, build)
    K = np.empty_like(C)
    pick(kern.exp_kernel)(C, f, g, reg, K)
    ref = np.exp((f[:, None] + g[None, :] - C) / reg)
    assert np.allclose(K, ref, rtol=1e-14)
    out_n, out_m = np.empty(n), np.empty(m)
    pick(kern.matvec)(K, g, out_n)
    assert np.allclose(out_n, K @ g, rtol=1e-12)
    pick(kern.rmatvec)(K, f, out_m)
    assert np.allclose(out_m, K.T @ f, rtol=1e-12)
    pick(kern.row_lse)(C, g, reg, out_n)
    assert np.allclose(out_n, logsumexp((g[None, :] - C) / reg, axis=1), rtol=1e-13)
    pick(kern.col_lse)(C, f, reg, out_m)
    assert np.allclose(out_m, logsumexp((f[:, None] - C) / reg, axis=0), rtol=1e-13)
    assert np.isclose(pick(kern.exp_sum)(C, f, g, reg), ref.sum(), rtol=1e-13)
    u, v = np.exp(f), np.exp(g)
    P = np.empty_like(C)
    pick(kern.scaled_plan)(K, u, v, P)
    assert np.allclose(P, u[:, None] * K * v[None, :], rtol=1e-14)


def test_exp_kernel_flushes_instead_of_subnormals():
    C = np.array([[0.0, 1.0], [2.0, 0.5]])
    K = np.empty_like(C)
    kern.exp_kernel(C, np.zeros(2), np.zeros(2), 1e-3, K)     # exponents -1000, -2000, -500
    assert K[0, 0] == 1.0 and K[0, 1] == 0.0 and K[1, 0] == 0.0
    assert K[1, 1] == pytest.approx(np.exp(-500.0), rel=1e-12)


def test_lse_is_stable_at_tiny_reg():
    C = np.array([[0.0, 5.0, 3.0]])
    out = np.empty(1)
    kern.row_lse(C, np.zeros(3), 1e-4, out)
    assert np.isfinite(out[0]) and out[0] == pytest.approx(0.0, abs=1e-12)


def test_topk_sparsify_keeps_largest_entries():
    rng = np.random.default_rng(1)
    P = rng.random((6, 9)) ** 4
    k = 10
    indptr, indices, data = sparsify(P, k)
    assert data.size >= k
    kept = np.zeros_like(P, dtype=bool)
    for i in range(6):
        kept[i, indices[indptr[i]:indptr[i + 1]]] = True
        assert np.allclose(data[indptr[i]:indptr[i + 1]], P[i, indices[indptr[i]:indptr[i + 1]]])
    assert P[kept].min() >= P[~kept].max()                   # a threshold set
    assert np.all(np.sort(P.ravel())[-k:] >= P[kept].min())   # contains the k largest
    # overshoot stays within one 1/16-octave bucket of the k-th largest value
    assert P[kept].min() >= np.sort(P.ravel())[-k] * 2 ** (-1 / 16) * 0.999


def test_sparse_products_and_schur_pcg():
    rng = np.random.default_rng(2)
    n, m = 5, 6
    A = rng.random((n, m)) * (rng.random((n, m)) < 0.6)
    A[0, :] += 0.1                                   # connected bipartite graph
    indptr = np.zeros(n + 1, dtype=np.int64)
    rows, cols = np.nonzero(A)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    indices, data = cols.astype(np.int64), A[rows, cols]
    x, y = rng.random(m), rng.random(n)
    out_n, out_m = np.empty(n), np.empty(m)
    kern.csr_matvec(indptr, indices, data, x, out_n)
    assert np.allclose(out_n, A @ x)
    kern.csr_rmatvec(indptr, indices, data, y, out_m)
    assert np.allclose(out_m, A.T @ y)
    dr, dc = A.sum(1) + 0.05, A.sum(0) + 0.05
    S = np.diag(dc) - A.T @ np.diag(1 / dr) @ A
    rhs = rng.standard_normal(m)
    sol = np.empty(m)
    it, res = kern.schur_pcg(indptr, indices, data, dr, dc, rhs, sol, 1e-12, 100)
    ref = np.zeros(m)
    ref[:-1] = np.linalg.solve(S[:-1, :-1], rhs[:-1])
    assert res <= 1e-12 and sol[-1] == 0.0 and np.allclose(sol, ref, rtol=1e-9, atol=1e-12)
