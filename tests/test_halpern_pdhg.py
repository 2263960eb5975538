"""Restarted reflected Halpern PDHG (``halpern``, ``operator="pdhg"``) on matrix games: the issue's
epoch goal on the paper's game, the restricted step, the options; certificates recomputed from res.x
with this file's own projection-free formulas (the gap from A, the certified residual with its own
simplex projection)."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

import numopt
from numopt.problems.inclusion import MatrixGame, policeman_burglar


def proj_simplex(v):
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    k = np.arange(1, v.size + 1)
    r = np.nonzero(u - css / k > 0)[0][-1]
    return np.maximum(v - css[r] / (r + 1.0), 0.0)


def certified_residual(A, u):
    """||F(ubar) + (pre - ubar)/eta||, eta = 1/||A||_2, the certificate of the paper (sec. 2)."""
    m = A.shape[0]
    eta = 1.0 / np.linalg.norm(A, 2)

    def F(v):
        return np.concatenate([A @ v[m:], -A.T @ v[:m]])
    pre = u - eta * F(u)
    ub = np.concatenate([proj_simplex(pre[:m]), proj_simplex(pre[m:])])
    return float(np.linalg.norm(F(ub) + (pre - ub) / eta)), ub


def gap(A, u):
    m = A.shape[0]
    return float(np.max(A.T @ u[:m]) - np.min(A @ u[m:]))


def lp_value(A):
    m, n = A.shape
    r = linprog(np.r_[np.zeros(m), 1.0], A_ub=np.c_[A.T, -np.ones(n)], b_ub=np.zeros(n),
                A_eq=np.r_[np.ones(m), 0.0][None], b_eq=[1.0], bounds=[(0, None)] * m + [(None, None)],
                method="highs")
    assert r.status == 0
    return r.fun


def test_the_epoch_goal_on_the_papers_game():
    """Issue #12: certified residual <= 1e-6 on policeman-burglar n = m = 500, theta = 0.8, within
    1000 epochs with restarts (it takes ~60 epochs with the restricted PDHG step)."""
    g = policeman_burglar(500, theta=0.8, seed=1)
    A = np.asarray(g.A)
    res = numopt.minimize(g, method="halpern", tol=1e-6, options={"max_passes": 1000})
    assert res.success and res.restarts > 0
    assert res.epochs <= 1000 and res.npass == pytest.approx(res.epochs)
    r, _ = certified_residual(A, res.x)
    assert r <= 1e-6 and r == pytest.approx(res.residual, rel=1e-6, abs=1e-12)
    assert 0 <= gap(A, res.x) <= 1e-6 * np.abs(A).max()
    assert res.game_value == pytest.approx(lp_value(A), abs=1e-6)


def test_restricted_norm_is_the_norm_between_the_tangent_spaces():
    A = np.random.default_rng(0).uniform(0, 3, (40, 30)) + np.arange(30)[None, :]
    Pm, Pn = np.eye(40) - 1 / 40, np.eye(30) - 1 / 30
    g = MatrixGame(A)
    assert g.restricted_lipschitz() == pytest.approx(np.linalg.norm(Pm @ A @ Pn, 2), rel=1e-10)
    assert g.restricted_lipschitz() < 0.2 * g.lipschitz
    gs = MatrixGame(sp.csr_matrix(A))
    assert gs.restricted_lipschitz() == pytest.approx(g.restricted_lipschitz(), rel=1e-10)
    # a game whose centered matrix is zero (A = a 1^T + 1 b^T): every pair of strategies is optimal
    c = MatrixGame(np.add.outer(np.arange(5.0), np.arange(4.0)))
    res = numopt.minimize(c, method="halpern", tol=1e-8)
    assert res.success and gap(c.A, res.x) <= 1e-8 * 7


@pytest.mark.parametrize("opts", [{"pdhg_norm": "full"}, {"primal_weight_update": True},
                                  {"restart": "fixed", "restart_every": 50}, {"relaxation": 1.0},
                                  {"primal_weight": 3.0}])
def test_options_reach_the_same_certified_equilibrium(opts):
    g = policeman_burglar(40, seed=3)
    A = np.asarray(g.A)
    res = numopt.minimize(g, method="halpern", tol=1e-7, options={**opts, "max_passes": 50000})
    assert res.success, res.message
    r, _ = certified_residual(A, res.x)
    assert r <= 1e-7 * res.initial_residual * (1 + 1e-9)
    assert res.game_value == pytest.approx(lp_value(A), abs=1e-5)


def test_restricted_step_needs_far_fewer_epochs_than_the_full_norm_step():
    g = policeman_burglar(100, seed=1)
    fast = numopt.minimize(g, method="halpern", tol=1e-6)
    slow = numopt.minimize(g, method="halpern", tol=1e-6, options={"pdhg_norm": "full", "max_passes": 20000})
    assert fast.success and slow.success
    assert fast.epochs * 5 <= slow.epochs


def test_carried_products_match_fresh_ones_and_the_metric_residual_is_consistent():
    """A y and A^T x carried by the recursion equal fresh products along a run without restarts."""
    A = np.asarray(policeman_burglar(30, seed=2).A)
    g = MatrixGame(sp.csr_matrix(A))               # sparse: the per-iteration Python step
    seen = []
    from numopt.solvers.halpern.halpern import Halpern
    orig = Halpern._pdhg_step

    def spy(self, problem, state, options):
        new = orig(self, problem, state, options)
        seen.append((new.u.copy(), new.pd[4].copy(), new.pd[5].copy()))
        return new
    Halpern._pdhg_step = spy
    try:
        numopt.minimize(g, method="halpern", options={"restart": "none", "maxiter": 300})
    finally:
        Halpern._pdhg_step = orig
    assert len(seen) == 300
    for u, Ay, ATx in seen[::37]:
        np.testing.assert_allclose(Ay, A @ u[30:], rtol=0, atol=1e-10)
        np.testing.assert_allclose(ATx, A.T @ u[:30], rtol=0, atol=1e-10)


@pytest.mark.kernels
@pytest.mark.parametrize("opts", [{}, {"primal_weight_update": True}, {"restart": "fixed", "restart_every": 30},
                                  {"restart": "none", "max_passes": 200}])
def test_compiled_blocks_follow_the_python_iteration(opts):
    """A dense MatrixGame runs compiled blocks, a sparse one the per-iteration Python step: same run."""
    A = np.asarray(policeman_burglar(60, seed=4).A)
    dense = numopt.minimize(MatrixGame(A), method="halpern", tol=1e-9, options=dict(opts))
    sparse = numopt.minimize(MatrixGame(sp.csr_matrix(A)), method="halpern", tol=1e-9, options=dict(opts))
    assert dense.status == sparse.status and dense.epochs == sparse.epochs
    assert dense.iterations == sparse.iterations == sparse.nit and dense.nit < dense.iterations
    assert dense.restarts == sparse.restarts
    np.testing.assert_allclose(dense.x, sparse.x, atol=1e-10)


@pytest.mark.kernels
def test_compiled_block_stops_on_a_non_finite_point():
    from numopt.solvers.halpern import _kernels as K
    A = np.asarray(policeman_burglar(6).A)
    u = np.r_[np.full(6, 1 / 6), np.full(6, 1 / 6)]
    Ay, ATx = A @ u[6:], A.T @ u[:6]
    Ay[2] = np.nan
    steps = np.array([0.1, 0.1, 1.0, 1.0, 2.0])
    counters = np.array([0, 0, np.inf, np.inf, 0, np.nan])
    it, ok = K.pdhg_block(A, u, u.copy(), Ay, ATx, Ay.copy(), ATx.copy(), 6, 1.0, 1.0, steps, counters,
                          np.array([2, 100, 0], dtype=np.int64), 10)
    assert it == 0 and not ok


def test_bad_pdhg_options_raise():
    g = policeman_burglar(10)
    with pytest.raises(ValueError, match="pdhg_norm"):
        numopt.minimize(g, method="halpern", options={"pdhg_norm": "spectral"})
    with pytest.raises(ValueError, match="primal_weight"):
        numopt.minimize(g, method="halpern", options={"primal_weight": 1e308})
    with pytest.raises(ValueError, match="block_passes"):
        numopt.minimize(g, method="halpern", options={"block_passes": 0.5})


def test_algorithm1_blocks_are_deterministic_per_seed_and_count_epochs_exactly():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((900, 6))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = X @ rng.standard_normal(6) + 0.3 * rng.standard_normal(900)
    from numopt.problems.inclusion import BoxLeastSquares
    from scipy.optimize import lsq_linear
    p = BoxLeastSquares(X, y, -0.2, 0.2)
    ref = lsq_linear(X, y, (-0.2, 0.2), method="bvls", tol=1e-14).x
    runs = [numopt.minimize(p, method="vr-halpern", tol=1e-8,
                            options={"rng": s, "restart": "adaptive", "check_every": 3, "max_passes": 3000})
            for s in (5, 5, 6)]
    a, b, c = runs
    assert a.success and c.success
    np.testing.assert_array_equal(a.x, b.x)
    assert a.epochs == pytest.approx(b.epochs, rel=1e-12) and a.iterations == b.iterations
    assert not np.array_equal(a.x, c.x)
    d = numopt.minimize(p, method="vr-halpern", options={"rng": 5, "max_passes": 50, "check_every": np.inf})
    assert d.iterations > 5 * d.nit and 50 <= d.epochs <= 53   # several iterations per driver step
    # epochs: full passes (njev) + the sampled iterations' 2b/N each (b = 30) + nothing else
    sampled = (a.npass - a.njev) / (2 * 30 / 900)
    assert abs(sampled - round(sampled)) < 1e-6 and a.epochs == pytest.approx(a.npass)
    np.testing.assert_allclose(a.x, ref, atol=1e-6)


# -- the paper's equality-constrained QP ------------------------------------------------------------
def test_hard_qp_builder_and_its_kkt_operator():
    from numopt.problems import EqualityQP, hard_qp
    q = hard_qp(8)
    n = 8
    A = np.zeros((n, n))
    for i in range(n):
        A[i, n - 1 - i] = 0.25
        if i < n - 1:
            A[i, n - 2 - i] = -0.25
    H = 2 * A.T @ A
    h, b = np.r_[np.zeros(n - 1), 0.25], np.full(n, 0.25)
    u = np.random.default_rng(0).standard_normal(2 * n)
    x, y = u[:n], u[n:]
    np.testing.assert_allclose(q._F(u), np.r_[H @ x - h - A.T @ y, A @ x - b], atol=1e-14)
    # the finite sum: the mean of the components is F
    np.testing.assert_allclose(q.components(u, np.arange(2 * n)), q._F(u), atol=1e-13)
    assert not q.cocoercive and q.lipschitz == pytest.approx(np.linalg.norm(q.K, 2))
    np.testing.assert_allclose(q.x0, np.full(2 * n, 1 / n))
    with pytest.raises(ValueError, match="positive semidefinite"):
        EqualityQP(-np.eye(2), np.zeros(2), np.ones((1, 2)), [1.0])
    with pytest.raises(ValueError, match="A must have shape"):
        EqualityQP(np.eye(2), np.zeros(2), np.ones((1, 3)), [1.0])


@pytest.mark.parametrize("method", ["extragradient", "eag", "vr-halpern"])
def test_equality_qp_solutions_are_the_kkt_points(method):
    from numopt.problems import EqualityQP
    rng = np.random.default_rng(1)
    B = rng.standard_normal((6, 6))
    H, A = B @ B.T / 6 + 0.1 * np.eye(6), rng.standard_normal((2, 6))
    h, b = rng.standard_normal(6), rng.standard_normal(2)
    q = EqualityQP(H, h, A, b)
    kkt = np.linalg.solve(np.block([[H, -A.T], [A, np.zeros((2, 2))]]), np.r_[h, b])
    opts = {"rng": 0, "restart": "adaptive"} if method == "vr-halpern" else {}
    if method == "eag":
        opts = {"step": 0.3 / q.lipschitz}
    tol = 1e-3 if method != "extragradient" else 1e-7
    res = numopt.minimize(q, method=method, tol=tol, options={**opts, "max_passes": 200000})
    assert res.success, res.message
    assert np.linalg.norm(q.K @ res.x - np.r_[h, b]) == pytest.approx(res.residual, rel=1e-9)
    assert res.residual <= tol * res.initial_residual
    assert np.linalg.norm(res.x - kkt) <= 50 * res.residual / np.linalg.svd(q.K, compute_uv=False).min()
    assert res.stationarity >= 0 and res.primal_infeasibility >= 0
