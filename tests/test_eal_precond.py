"""method="eal": preconditioned MINRES (block-diagonal SPD preconditioners), its reuse across outer
iterations, and the LICQ check for large m (no dense eigensolver; LOBPCG through the Schur factor)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator
from scipy.sparse.linalg import minres as scipy_minres

import numopt
from numopt.problems.pde import PoissonControl
from numopt.result import Status
from numopt.solvers.eal.kkt import kkt_matrix, licq_eigmin, licq_eigmin_precond
from numopt.solvers.eal.precond import BlockDiagonal, block_diagonal
from numopt.solvers.eal.sketches import Kaczmarz, Krylov, minres


def _random_kkt(seed=0, n=40, m=15, dense=True):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    B = 0.5 * (M + M.T) + 3.0 * np.eye(n)                 # symmetric indefinite-ish Hessian block
    G = rng.standard_normal((m, n))
    if not dense:
        G = sp.csr_matrix(G * (rng.random((m, n)) < 0.3) + np.eye(m, n))
    return B, G, kkt_matrix(B, G), rng.standard_normal(n + m)


def _poisson_kkt(N):
    P = PoissonControl(N)
    H = P.hess_lag(P.x0, P.y0)
    b = -np.concatenate([P.grad(P.x0) + P.A.T @ P.y0, P.A @ P.x0])
    return P, H, kkt_matrix(H, P.A), b


def _as_matrix(op, N):
    return np.column_stack([op(e) for e in np.eye(N)])


@pytest.mark.parametrize("kind", ["schur", "jacobi"])
@pytest.mark.parametrize("dense", [True, False])
def test_block_diagonal_is_spd_and_exact_where_it_should_be(kind, dense):
    B, G, K, _ = _random_kkt(dense=dense)
    m, n = G.shape
    P = BlockDiagonal(kind, np.diag(B), G, rho=0.1)
    Minv = _as_matrix(P, n + m)
    assert np.allclose(Minv, Minv.T, atol=1e-10 * np.abs(Minv).max())
    assert np.linalg.eigvalsh(0.5 * (Minv + Minv.T))[0] > 0
    d = np.abs(np.diag(B))
    Gd = G.toarray() if sp.issparse(G) else G
    S = (Gd / d) @ Gd.T + 0.1 * np.eye(m)
    assert np.allclose(Minv[:n, :n], np.diag(1.0 / d)) and np.allclose(Minv[:n, n:], 0.0)
    expect = np.linalg.inv(S) if kind == "schur" else np.diag(1.0 / np.diag(S))
    assert np.allclose(Minv[n:, n:], expect, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("kind", ["schur", "jacobi"])
@pytest.mark.parametrize("case", ["random-dense", "random-sparse", "poisson"])
def test_preconditioned_minres_equals_scipy_minres_with_the_same_preconditioner(kind, case):
    if case == "poisson":
        _, H, K, b = _poisson_kkt(6)
        d, G = H.diagonal(), PoissonControl(6).A
    else:
        B, G, K, b = _random_kkt(seed=2, dense=case == "random-dense")
        d = np.diag(B)
    Pc = BlockDiagonal(kind, d, G)
    M = LinearOperator(K.shape, matvec=Pc, dtype=float)
    for k in (1, 2, 5, 12):
        ours, steps, rn = minres(lambda v: K @ v, b, 0.0, k, Pc)
        ref, _ = scipy_minres(K, b, M=M, rtol=0.0, maxiter=k)
        assert steps == k or rn <= 1e-12 * np.linalg.norm(b)
        assert np.linalg.norm(ours - ref) <= 1e-8 * max(np.linalg.norm(ref), 1.0)
        # the carried 2-norm residual is the true one
        assert rn == pytest.approx(np.linalg.norm(K @ ours - b), rel=1e-6, abs=1e-10 * np.linalg.norm(b))


def test_preconditioned_minres_stops_on_the_true_residual_and_the_exact_schur_ends_in_three_steps():
    B, G, K, b = _random_kkt(seed=5)
    P = BlockDiagonal("schur", np.diag(B), G)
    for tol in (1e-2, 1e-8):
        x, steps, rn = minres(lambda v: K @ v, b, tol * np.linalg.norm(b), 500, P)
        assert rn <= tol * np.linalg.norm(b)
        assert np.linalg.norm(K @ x - b) <= 1.01 * tol * np.linalg.norm(b)
    # PoissonControl: B is diagonal, so diag(B) and G B^-1 G^T are exact and M^-1 K has the three
    # eigenvalues 1, (1 +- sqrt 5)/2 (Murphy-Golub-Wathen): MINRES is exact after 3 steps, independent of N
    for N in (8, 24):
        _, H, K, b = _poisson_kkt(N)
        Pn = BlockDiagonal("schur", H.diagonal(), PoissonControl(N).A)
        x, steps, rn = minres(lambda v: K @ v, b, 1e-9 * np.linalg.norm(b), 100, Pn)
        assert steps == 3 and np.linalg.norm(K @ x - b) <= 1e-9 * np.linalg.norm(b)
        plain = minres(lambda v: K @ v, b, 1e-9 * np.linalg.norm(b), 10000)[1]
        assert plain > 30 * steps


def test_block_diagonal_cache_refreshes_only_when_the_data_change():
    B, G, _, _ = _random_kkt(dense=False)
    cache = {}
    d = np.diag(B).copy()
    P1, fresh1 = block_diagonal("schur", d, G, 0.0, cache)
    P2, fresh2 = block_diagonal("schur", d.copy(), G.copy(), 0.0, cache)
    assert fresh1 and not fresh2 and P2 is P1
    assert block_diagonal("schur", d, G, 0.5, cache)[1]                 # rho changed
    assert block_diagonal("schur", 2 * d, G, 0.5, cache)[1]             # D changed
    G2 = G.copy()
    G2.data[0] += 1.0
    assert block_diagonal("schur", 2 * d, G2, 0.5, cache)[1]            # G changed
    assert block_diagonal("jacobi", 2 * d, G2, 0.5, cache)[1]           # kind changed


def test_krylov_solve_with_preconditioner_and_sketches_refuse_one():
    _, _, K, b = _poisson_kkt(10)
    P = BlockDiagonal("schur", PoissonControl(10).hess_lag(None, None).diagonal(), PoissonControl(10).A)
    for method in ("minres", "gmres"):
        z, r = np.zeros(b.size), -b.copy()
        steps, ok = Krylov(method).solve(K, b, z, r, 1e-8 * np.linalg.norm(b), 1000, None, precond=P)
        assert ok and steps <= 20 and np.linalg.norm(K @ z - b) <= 1e-8 * np.linalg.norm(b)
    with pytest.raises(ValueError, match="preconditioner"):
        Kaczmarz().solve(K, b, np.zeros(b.size), -b.copy(), 1.0, 10, np.random.default_rng(0), precond=P)
    with pytest.raises(ValueError, match="preconditioner"):
        numopt.minimize(PoissonControl(3), method="eal", options={"preconditioner": "schur"})
    with pytest.raises(ValueError, match="preconditioner"):
        numopt.minimize(PoissonControl(3), method="eal", options={"sketch": "minres", "preconditioner": "ilu"})


@pytest.mark.parametrize("fidelity", ["adaptive", "reference"])
def test_eal_preconditioned_poisson_converges_with_few_matvecs_and_one_factorization(fidelity):
    P = PoissonControl(16)                  # m = 256 > 200: the LICQ check goes through the Schur factor
    xs, _ = P.solution()
    base = {"sketch": "minres", "fidelity": fidelity, "rng": 0, "history": True}
    pre = numopt.minimize(P, method="eal", tol=1e-6, options={**base, "preconditioner": "schur"})
    plain = numopt.minimize(P, method="eal", tol=1e-6, options=base)
    for r in (pre, plain):
        assert r.status == Status.CONVERGED and r.kkt_residual <= 1e-6
        assert np.linalg.norm(r.x - xs) <= 1e-5 * np.linalg.norm(xs)
    assert sum(pre.history["precond_refresh"]) == 1         # linear constraints, constant Hessian
    assert pre.inner_iterations * 20 < plain.inner_iterations
    jac = numopt.minimize(P, method="eal", tol=1e-6, options={**base, "preconditioner": "jacobi"})
    assert jac.status == Status.CONVERGED and jac.inner_iterations < plain.inner_iterations


def test_eal_operator_path_with_preconditioner():
    P = PoissonControl(10)
    r = numopt.minimize(P, method="eal", tol=1e-7, options={"sketch": "minres", "kkt": "operator",
                                                            "preconditioner": "schur", "rng": 0})
    assert r.status == Status.CONVERGED and r.kkt_residual <= 1e-7


# -- LICQ for m > 200 ------------------------------------------------------------------------------
def test_licq_eigmin_large_m_dense_and_sparse_match_eigvalsh():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((260, 400))
    ref = np.linalg.eigvalsh(G @ G.T)[0]
    assert licq_eigmin(G) == pytest.approx(ref, rel=1e-6)
    Gs = sp.random(300, 500, density=0.02, random_state=1, format="csr") + sp.eye(300, 500, format="csr")
    ref = np.linalg.eigvalsh((Gs @ Gs.T).toarray())[0]
    assert licq_eigmin(Gs) == pytest.approx(ref, rel=1e-6)
    Gd = G.copy()
    Gd[7] = Gd[3]                            # rank deficient
    assert licq_eigmin(Gd) < 1e-8 and licq_eigmin(sp.csr_matrix(Gd)) < 1e-8


def test_licq_by_lobpcg_through_the_schur_factor_matches():
    P = PoissonControl(18)                   # m = 324
    ref = np.linalg.eigvalsh((P.A @ P.A.T).toarray())[0]
    S = BlockDiagonal("schur", P._d, P.A)
    assert licq_eigmin_precond(P.A, S.solve_schur, scale=1e-2) == pytest.approx(ref, rel=1e-6)


class _DuplicatedRow(PoissonControl):
    """PoissonControl(15) (m = 225 > 200) with its first constraint repeated: LICQ fails, consistent."""

    def __init__(self):
        super().__init__(15)
        self.A = sp.vstack([self.A, self.A[0]], format="csr")
        self.m_eq += 1
        self.y0 = np.ones(self.m_eq)


def test_licq_failure_through_the_shared_path_stops_or_regularizes():
    P = _DuplicatedRow()
    opts = {"sketch": "minres", "preconditioner": "schur", "rng": 0}
    r = numopt.minimize(P, method="eal", tol=1e-6, options={**opts, "fidelity": "reference"})
    assert r.status == Status.SINGULAR and "lambda_min" in r.message
    r = numopt.minimize(P, method="eal", tol=1e-6, options={**opts, "licq": "regularize", "history": True})
    assert r.status == Status.CONVERGED and r.kkt_residual <= 1e-6
    assert max(r.history["regularized"]) == 1
    assert sum(r.history["precond_refresh"]) == 2             # rho = 0 for the LICQ check, then rho > 0
