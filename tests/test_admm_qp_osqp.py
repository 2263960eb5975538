"""``admm`` on QPs as OSQP 1.x runs them: the per-solve data path on raw CSC arrays (the
check, objective and infeasibility kernels against scipy), OSQP's scaling with the cost
normalization inside the Ruiz loop, OSQP's penalty rule on the scaled residuals (iteration
counts equal to OSQP's), and the indirect (PCG) linear-system option against the direct one."""
import numpy as np
import pytest
import scipy.sparse as sp

import numopt
from numopt.problems import QP, Lasso
from numopt.solvers.admm.engine import ADMMOptions
from numopt.solvers.admm.qp import QPSplitting


def _sparse_qp(n, m, seed, density=0.1):
    g = np.random.default_rng(seed)
    M = sp.random(n, n, density=density, random_state=seed, data_rvs=g.standard_normal)
    P = (M @ M.T + 1e-2 * sp.eye(n)).tocsc()
    A = sp.random(m, n, density=density, random_state=seed + 1, data_rvs=g.standard_normal).tocsc()
    return P, g.standard_normal(n), A, -g.uniform(0, 1, m), g.uniform(0, 1, m)


@pytest.mark.kernels
def test_check_kernel_matches_scipy_residuals():
    P, q, A, l, u = _sparse_qp(12, 9, 0, density=0.4)
    l[0], u[1] = -np.inf, np.inf
    spl = QPSplitting(QP(P, q, A, l, u))
    g = np.random.default_rng(1)
    x, z, y = g.standard_normal(12), g.standard_normal(9), g.standard_normal(9)
    opts = ADMMOptions(eps_abs=1e-3, eps_rel=1e-3)
    r, s, eps_p, eps_d, r_scale, s_scale = spl._residuals(x, z, y, opts)
    # the unscaled quantities, from the unscaled data
    xu, zu, yu = spl.D * x, z / spl.E, spl.E * y / spl.cost
    Ax, Px, ATy = A @ xu, P @ xu, A.T @ yu
    inf = lambda v: np.max(np.abs(v))
    assert r == pytest.approx(inf(Ax - zu), rel=1e-12) and r_scale == pytest.approx(max(inf(Ax), inf(zu)), rel=1e-12)
    assert s == pytest.approx(inf(Px + q + ATy), rel=1e-12)
    assert s_scale == pytest.approx(max(inf(Px), inf(q), inf(ATy)), rel=1e-12)
    fin_u, fin_l = np.isfinite(u), np.isfinite(l)
    support = u[fin_u] @ np.maximum(yu[fin_u], 0) + l[fin_l] @ np.minimum(yu[fin_l], 0)
    assert spl.last_gap[0] == pytest.approx(abs(xu @ Px + q @ xu + support), rel=1e-10)
    # the scaled residuals of OSQP's penalty rule
    Ps, As = spl.P.toarray(), spl.Am.toarray()
    rs, ss, rs_scale, ss_scale = spl.last_rho_terms
    assert rs == pytest.approx(inf(As @ x - z)) and rs_scale == pytest.approx(max(inf(As @ x), inf(z)))
    assert ss == pytest.approx(inf(Ps @ x + spl.q + As.T @ y))
    assert ss_scale == pytest.approx(max(inf(Ps @ x), inf(spl.q), inf(As.T @ y)))
    Z = np.concatenate([x, z])
    assert spl.objective(None, Z) == pytest.approx(0.5 * xu @ Px + q @ xu, rel=1e-12)


@pytest.mark.kernels
def test_scaling_puts_the_cost_normalization_inside_the_ruiz_loop():
    # OSQP's scaling.c: every pass equilibrates P, A, q, then normalizes the cost (P, q <- c P, c q)
    P, q, A, l, u = _sparse_qp(10, 6, 2, density=0.5)
    P, q = (1e3 * P).tocsc(), 50 * q
    spl = QPSplitting(QP(P, q, A, l, u), scaling=3)
    Pd, Ad, qd = P.toarray(), A.toarray(), q.copy()
    D, E, c = np.ones(10), np.ones(6), 1.0
    lim = lambda v: np.where(v < 1e-4, 1.0, np.minimum(v, 1e4))
    for _ in range(3):
        cx = np.maximum(np.abs(Pd).max(0), np.abs(Ad).max(0))
        d, e = 1 / np.sqrt(lim(cx)), 1 / np.sqrt(lim(np.abs(Ad).max(1)))
        Pd, Ad, qd, D, E = d[:, None] * Pd * d, e[:, None] * Ad * d, d * qd, D * d, E * e
        ck = 1 / lim(max(np.abs(Pd).max(0).mean(), lim(np.abs(qd).max())))
        Pd, qd, c = ck * Pd, ck * qd, c * ck
    assert np.allclose(spl.D, D, rtol=1e-12) and np.allclose(spl.E, E, rtol=1e-12)
    assert spl.cost == pytest.approx(c, rel=1e-12)
    assert np.allclose(spl.P.toarray(), Pd, rtol=1e-12) and np.allclose(spl.q, qd, rtol=1e-12)


@pytest.mark.kernels
def test_detect_kernel_certificates():
    # primal infeasible: x1 + x2 >= 2 and x1 + x2 <= 1
    P = sp.identity(2, format="csc")
    A = sp.csc_matrix(np.array([[1.0, 1.0], [1.0, 1.0]]))
    res = numopt.minimize(QP(P, np.zeros(2), A, [2.0, -np.inf], [np.inf, 1.0]), method="admm")
    assert res.status_name == "INFEASIBLE"
    c = res.primal_infeasibility_certificate
    assert np.max(np.abs(A.T @ c)) < 1e-3 and (np.array([2.0]) @ np.minimum(c[:1], 0) + 1.0 * max(c[1], 0)) < 0
    # dual infeasible: min -x1 with x1 >= 0 only
    res = numopt.minimize(QP(sp.csc_matrix((2, 2)), np.array([-1.0, 0.0]), sp.identity(2, format="csc"),
                             [0.0, -1.0], [np.inf, 1.0]), method="admm")
    assert res.status_name == "UNBOUNDED"
    d = res.dual_infeasibility_certificate
    assert d[0] > 0.99 and abs(d[1]) < 1e-3


def test_kkt_assembly_kernel_matches_the_block_matrix():
    P, q, A, l, u = _sparse_qp(9, 7, 3, density=0.4)
    P = P - sp.diags(P.diagonal())                      # no stored diagonal: the kernel creates it
    P = (P + sp.diags(np.r_[0.0, np.ones(8)])).tocsc()
    P.eliminate_zeros()
    spl = QPSplitting(QP(P, q, A, l, u), scaling=0)
    R = np.linspace(0.5, 2.0, 7)
    K = spl.kkt._matrix(R)
    assert K.has_sorted_indices
    Pd, Ad = P.toarray(), A.toarray()
    full = np.block([[Pd + spl.sigma * np.eye(9), Ad.T], [Ad, -np.diag(1 / R)]])
    assert np.allclose(K.toarray(), np.triu(full), rtol=0, atol=1e-15)


def test_iteration_counts_match_osqp():
    osqp = pytest.importorskip("osqp")
    for seed in range(3):
        P, q, A, l, u = _sparse_qp(60, 40, 10 + seed)
        s = osqp.OSQP()
        s.setup(P=sp.triu(P, format="csc"), q=q, A=A, l=l, u=u, eps_abs=1e-5, eps_rel=1e-5, verbose=False,
                polishing=False)
        ref = s.solve()
        res = numopt.minimize(QP(P, q, A, l, u), method="admm", options={"eps_abs": 1e-5, "eps_rel": 1e-5})
        assert res.success and ref.info.status == "solved"
        assert res.nit == ref.info.iter, (seed, res.nit, ref.info.iter)
        assert res.rho_updates == ref.info.rho_updates


def test_indirect_pcg_matches_the_direct_path():
    P, q, A, l, u = _sparse_qp(80, 50, 4)
    qp = QP(P, q, A, l, u)
    opts = {"eps_abs": 1e-7, "eps_rel": 1e-7, "maxiter": 20000}
    direct = numopt.minimize(qp, method="admm", options=opts)
    pcg = numopt.minimize(qp, method="admm", options={**opts, "linsys_solver": "indirect"})
    assert direct.success and pcg.success
    assert pcg.nfactor == 0 and pcg.cg_iterations > 0 and "cg_iterations" not in direct
    assert np.max(np.abs(pcg.x - direct.x)) < 1e-4 * max(1.0, np.max(np.abs(direct.x)))
    assert abs(pcg.fun - direct.fun) <= 1e-6 * max(1.0, abs(direct.fun))
    # the generic (non-fused) path of the indirect solver: Anderson acceleration
    aa = numopt.minimize(qp, method="admm", options={**opts, "linsys_solver": "indirect", "anderson": 3})
    assert aa.success and abs(aa.fun - direct.fun) <= 1e-6 * max(1.0, abs(direct.fun))
    # warm start at the (inexactly solved) solution: done at the first block's check (the
    # direct path stops after one iteration; the PCG end point is a fixed point only up to
    # the CG tolerance)
    again = numopt.minimize(qp, method="admm", options={**opts, "linsys_solver": "indirect", "warm_start": pcg})
    assert again.success and again.nit <= 25 < pcg.nit


@pytest.mark.kernels
def test_pcg_kernel_solves_the_reduced_system():
    from numopt.solvers.admm._kernels import jacobi_diagonal, pcg
    P, q, A, l, u = _sparse_qp(15, 10, 5, density=0.4)
    spl = QPSplitting(QP(P, q, A, l, u), scaling=0, linsys_solver="indirect")
    R = np.linspace(0.1, 10.0, 10)
    Minv = np.empty(15)
    jacobi_diagonal(spl.Pp, spl.Pi, spl.Px, spl.Ap, spl.Ai, spl.Ax, R, spl.sigma, Minv)
    K = P.toarray() + spl.sigma * np.eye(15) + A.toarray().T @ np.diag(R) @ A.toarray()
    assert np.allclose(1 / Minv, np.diag(K))
    b, x = np.random.default_rng(0).standard_normal(15), np.zeros(15)
    w = [np.empty(15) for _ in range(4)]
    it = pcg(spl.Pp, spl.Pi, spl.Px, spl.Ap, spl.Ai, spl.Ax, R, spl.sigma, Minv, b, x, 1e-12, 100, *w, np.empty(10))
    assert 0 < it <= 100 and np.max(np.abs(K @ x - b)) <= 1e-10


def test_linsys_solver_is_a_qp_only_option():
    g = np.random.default_rng(0)
    lasso = Lasso(g.standard_normal((20, 5)), g.standard_normal(20), 0.1)
    with pytest.raises(ValueError, match="linsys_solver"):
        numopt.minimize(lasso, method="admm", options={"linsys_solver": "indirect"})
    with pytest.raises(ValueError, match="linsys_solver"):
        numopt.minimize(QP(*_sparse_qp(5, 3, 0, density=0.5)), method="admm", options={"linsys_solver": "cg"})


@pytest.mark.kernels
def test_polishing_kernels_match_the_dense_reduced_kkt_system():
    from numopt.solvers.admm._kernels import kkt_upper, polish_kkt_residual, select_rows_csc
    P, q, A, l, u = _sparse_qp(8, 6, 6, density=0.5)
    Pc, Ac = P.tocsc(), A.tocsc()
    act = np.array([1, 3, 4])
    newrow = np.full(6, -1, dtype=np.int64)
    newrow[act] = np.arange(3)
    Bp, Bi, Bx = select_rows_csc(8, Ac.indptr, Ac.indices, Ac.data, newrow, 3)
    B = sp.csc_matrix((Bx, Bi, Bp), shape=(3, 8)).toarray()
    assert np.array_equal(B, A.toarray()[act])
    Kp, Ki, Kx, rdiag = kkt_upper(8, 3, Pc.indptr, Pc.indices, Pc.data, Bp, Bi, Bx, 1e-6)
    Kx[rdiag] = -1e-6
    full = np.block([[P.toarray() + 1e-6 * np.eye(8), B.T], [B, -1e-6 * np.eye(3)]])
    assert np.allclose(sp.csc_matrix((Kx, Ki, Kp), shape=(11, 11)).toarray(), np.triu(full))
    g = np.random.default_rng(0)
    rhs, sol, out = g.standard_normal(11), g.standard_normal(11), np.empty(11)
    polish_kkt_residual(Pc.indptr, Pc.indices, Pc.data, Bp, Bi, Bx, rhs, sol, out)
    K0 = np.block([[P.toarray(), B.T], [B, np.zeros((3, 3))]])
    assert np.allclose(out, rhs - K0 @ sol)


def test_checks_inside_the_kernel_give_the_same_run():
    # without a history the termination tests between penalty updates run inside the kernel;
    # with one (and check_every=25) every check is a Python step: the same iterates
    P, q, A, l, u = _sparse_qp(60, 40, 21)
    qp = QP(P, q, A, l, u)
    for eps in (1e-3, 1e-6):
        opts = {"eps_abs": eps, "eps_rel": eps, "check_every": 25}
        inner = numopt.minimize(qp, method="admm", options=opts)
        outer = numopt.minimize(qp, method="admm", options={**opts, "history": True})
        assert inner.success and outer.success
        assert inner.nit == outer.nit and inner.rho_updates == outer.rho_updates
        # the same iterates up to rounding (a Python step round-trips y through y / rho * rho)
        assert np.max(np.abs(inner.x - outer.x)) <= 1e-10 * max(1.0, np.max(np.abs(outer.x)))
        assert inner.npass == pytest.approx(outer.npass)
    # an infeasible QP is detected at the same check
    A2 = sp.csc_matrix(np.array([[1.0, 1.0], [1.0, 1.0]]))
    bad = QP(sp.identity(2, format="csc"), np.zeros(2), A2, [2.0, -np.inf], [np.inf, 1.0])
    a = numopt.minimize(bad, method="admm")
    b = numopt.minimize(bad, method="admm", options={"history": True, "check_every": 25})
    assert a.status_name == b.status_name == "INFEASIBLE" and a.nit == b.nit
