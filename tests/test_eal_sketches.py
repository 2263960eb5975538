"""Sketch strategies and their numba kernels (incremental residual), and the PDE problem."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import numopt
from numopt.derivatives import check_problem
from numopt.problems.pde import PoissonControl
from numopt.solvers.eal.kkt import kkt_matrix, licq_eigmin, reduced_hessian_min
from numopt.solvers.eal.sketches import (BlockGaussian, BlockKaczmarz, GaussianSketch, Kaczmarz,
                                         get_sketch)

SKETCHES = [Kaczmarz("uniform"), Kaczmarz("rownorm"), GaussianSketch(), BlockKaczmarz(3), BlockGaussian(2)]


@pytest.mark.kernels
def test_block_kaczmarz_dense_gram_path_matches_sparse_path():
    from numopt.solvers.eal._kernels import block_kaczmarz_steps, block_kaczmarz_steps_gram
    K, b = _kkt_system(seed=4)
    N = b.size
    blocks = np.array([np.random.default_rng(k).permutation(N)[:3] for k in range(20)], dtype=np.int64)
    z1, r1 = np.zeros(N), -b.copy()
    block_kaczmarz_steps(K.indptr, K.indices, K.data, blocks, z1, r1, 0.0, np.zeros(N), np.zeros(N),
                         np.zeros(N, dtype=np.int64), np.zeros(N, dtype=np.int64))
    Kd = K.toarray()
    z2, r2 = np.zeros(N), -b.copy()
    assert block_kaczmarz_steps_gram(Kd, Kd @ Kd, blocks, z2, r2, 0.0) == 20
    assert np.allclose(z1, z2, atol=1e-12) and np.allclose(r1, r2, atol=1e-10)
    assert np.allclose(r2, K @ z2 - b, atol=1e-10)


def _kkt_system(seed=0, n=5, m=2):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    B = M @ M.T / n + np.eye(n)
    G = rng.standard_normal((m, n))
    K = kkt_matrix(B, G)
    b = rng.standard_normal(n + m)
    return K, b


@pytest.mark.kernels
@pytest.mark.parametrize("sketch", SKETCHES, ids=repr)
def test_sketch_solves_kkt_and_keeps_residual(sketch):
    K, b = _kkt_system()
    z = np.zeros(b.size)
    r = -b.copy()
    tol = 1e-8 * np.linalg.norm(b)
    steps, ok = sketch.solve(K, b, z, r, tol, 200000, np.random.default_rng(0))
    assert ok and steps > 0
    assert np.allclose(r, K @ z - b, atol=1e-12)             # the residual it reports is exact
    assert np.linalg.norm(K @ z - b) <= tol
    assert np.allclose(z, np.linalg.solve(K.toarray(), b), atol=1e-6)
    # continuing from a converged state costs nothing
    steps2, ok2 = sketch.solve(K, b, z, r, tol, 10, np.random.default_rng(1))
    assert ok2 and steps2 == 0


@pytest.mark.kernels
def test_kaczmarz_kernel_incremental_residual_matches_recomputed():
    from numopt.solvers.eal._kernels import kaczmarz_steps
    K, b = _kkt_system(seed=3)
    z = np.zeros(b.size)
    r = -b.copy()
    rn2 = np.asarray(K.multiply(K).sum(axis=1)).ravel()
    rows = np.random.default_rng(0).integers(0, b.size, 50).astype(np.int64)
    empty = np.zeros((0, 0))
    done = kaczmarz_steps(K.indptr, K.indices, K.data, empty, empty, rn2, rows, z, r, 0.0)
    assert done == 50
    assert np.allclose(r, K @ z - b, atol=1e-10)
    # the dense path (precomputed K K) takes the same steps
    Kd = K.toarray()
    z2, r2 = np.zeros(b.size), -b.copy()
    assert kaczmarz_steps(K.indptr, K.indices, K.data, Kd, Kd @ Kd, rn2, rows, z2, r2, 0.0) == 50
    assert np.allclose(z2, z, atol=1e-12) and np.allclose(r2, r, atol=1e-10)


def test_sketch_cap_reported_and_names():
    K, b = _kkt_system()
    z, r = np.zeros(b.size), -b.copy()
    steps, ok = Kaczmarz().solve(K, b, z, r, 1e-14, 5, np.random.default_rng(0))
    assert not ok and steps == 5
    assert isinstance(get_sketch("rk"), Kaczmarz) and isinstance(get_sketch("gv"), GaussianSketch)
    assert get_sketch("block-gaussian", 7).block_size == 7
    with pytest.raises(ValueError, match="unknown sketch"):
        get_sketch("nope")
    with pytest.raises(TypeError, match="sketch"):
        get_sketch(3)
    with pytest.raises(ValueError, match="sampling"):
        Kaczmarz("weird")
    with pytest.raises(ValueError, match="block_size"):
        BlockKaczmarz(0)


def test_sketch_instance_as_option():
    from _eal_hs import local_hs
    res = numopt.minimize(local_hs("HS40"), method="eal", options={"sketch": BlockKaczmarz(2), "rng": 0,
                                                                   "fidelity": "reference"})
    assert res.success and abs(res.nit - 3) <= 2


def test_licq_and_reduced_hessian_dense_vs_sparse():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((3, 6))
    H = np.diag([1.0, -2.0, 3.0, 0.5, 1.0, 2.0])
    assert np.isclose(licq_eigmin(G), np.linalg.eigvalsh(G @ G.T)[0])
    assert np.isclose(licq_eigmin(sp.csr_matrix(G)), licq_eigmin(G))
    dense = reduced_hessian_min(H, G, 1e-6)
    Hs = sp.csr_matrix(H)
    sparse = reduced_hessian_min(Hs, sp.csr_matrix(G), 1e-6)
    assert (dense < 1e-6) == (sparse < 1e-6)
    assert reduced_hessian_min(sp.identity(6, format="csr"), sp.csr_matrix(G), 1e-6) >= 1.0 - 1e-12
    assert licq_eigmin(np.zeros((0, 4))) == np.inf


# -- the PDE problem ---------------------------------------------------------------------------------
def test_poisson_control_derivatives_and_solution():
    P = PoissonControl(5)
    assert P.n == 50 and P.m_eq == 25 and sp.issparse(P.jac_eq(P.x0))
    errs = check_problem(P, P.x0 + 0.3, rng=0)
    assert max(errs.values()) < 1e-6, errs
    xs, ls = P.solution()
    assert np.linalg.norm(P.cons_eq(xs)) < 1e-9
    assert np.linalg.norm(P.grad(xs) + P.jac_eq(xs).T @ ls) < 1e-9
    with pytest.raises(ValueError, match="N"):
        PoissonControl(0)


def test_poisson_control_reference_size_converges():
    P = PoissonControl(3)                       # the paper's instance: 18 variables, 9 constraints
    xs, _ = P.solution()
    res = numopt.minimize(P, method="eal", options={"rng": 0, "fidelity": "reference"})
    assert res.success and abs(res.nit - 3) <= 2        # reference RK: 3 iterations
    assert np.linalg.norm(res.x - xs) <= 1e-3
    ref = numopt.minimize(P, method="trust-constr")
    assert abs(res.fun - ref.fun) <= 1e-6 * max(1.0, abs(ref.fun))


@pytest.mark.kernels
def test_small_gram_solve_cholesky_and_singular_fallback():
    from numopt.solvers.eal._kernels import _solve_small
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 6))
    gram, rhs = W @ W.T, rng.standard_normal(3)
    assert np.allclose(_solve_small(gram, rhs), np.linalg.solve(gram, rhs))
    W[2] = W[1]                                           # dependent rows: minimum-norm solution
    gram = W @ W.T
    assert np.allclose(_solve_small(gram, rhs), np.linalg.pinv(gram) @ rhs)
