"""Monotone inclusions: halpern, vr-halpern, extragradient, eag on MatrixGame, BoxLeastSquares,
BilinearGame and user operators; certificates recomputed independently from res.x."""
import numpy as np
import pytest
from scipy.optimize import linprog, lsq_linear, minimize_scalar

import numopt
from numopt.problems import prox as P
from numopt.problems.inclusion import (BilinearGame, BoxLeastSquares, LinearFiniteSumInclusion, MatrixGame,
                                       OperatorInclusion, policeman_burglar)
from numopt.result import Status


# -- independent certificates ---------------------------------------------------------------------
def box_distance(F, x, lb, ub):
    """dist(0, F(x) + N_[lb,ub](x)), exact."""
    lb, ub = np.broadcast_to(lb, x.shape), np.broadcast_to(ub, x.shape)
    at_lb, at_ub = x <= lb, x >= ub
    t = np.where(at_lb, np.maximum(-F, 0.0), np.where(at_ub, np.maximum(F, 0.0), F))
    return float(np.linalg.norm(t))


def simplex_distance_sq(f, x):
    """min over the normal cone of the simplex at x of ||f + n||^2 (a 1-D convex problem in lambda)."""
    pos = x > 0

    def obj(lam):
        return float(np.sum((f[pos] + lam) ** 2) + np.sum(np.minimum(f[~pos] + lam, 0.0) ** 2))
    r = minimize_scalar(obj, bracket=(-1.0, 1.0), tol=1e-14)
    return min(r.fun, obj(-np.mean(f[pos])) if pos.any() else np.inf)


def game_distance(A, u):
    m = A.shape[0]
    x, y = u[:m], u[m:]
    return float(np.sqrt(simplex_distance_sq(A @ y, x) + simplex_distance_sq(-A.T @ x, y)))


def game_gap(A, u):
    m = A.shape[0]
    return float(np.max(A.T @ u[:m]) - np.min(A @ u[m:]))


def game_value_lp(A):
    m, n = A.shape
    c = np.r_[np.zeros(m), 1.0]
    r = linprog(c, A_ub=np.c_[A.T, -np.ones(n)], b_ub=np.zeros(n), A_eq=np.r_[np.ones(m), 0.0][None],
                b_eq=[1.0], bounds=[(0, None)] * m + [(None, None)], method="highs")
    assert r.status == 0
    return r.fun


def diagonal_game(n=100, seed=0):
    d = np.random.default_rng(seed).uniform(0.5, 2.0, n)
    xs = (1.0 / d) / np.sum(1.0 / d)     # equilibrium of min_x max_y x^T diag(d) y: x = y ~ 1/d
    return MatrixGame(np.diag(d)), xs, 1.0 / np.sum(1.0 / d)


def box_ls(n=10000, d=20, seed=0, lb=-0.1, ub=0.1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)
    return BoxLeastSquares(X, y, lb, ub), X, y


# -- the claims of the issue ------------------------------------------------------------------------
def test_algorithm1_beats_deterministic_halpern_on_box_least_squares_at_100_epochs():
    p, X, y = box_ls()
    n = X.shape[0]

    def natural(x):        # the reference's measure: ||x - P_box(x - F(x))||, eta = 1
        return np.linalg.norm(x - np.clip(x - X.T @ (X @ x - y) / n, -0.1, 0.1))

    last = {}
    for method, opts in (("vr-halpern", {"rng": 0}), ("halpern", {"restart": "none"})):
        seen = []
        res = numopt.minimize(p, method=method, options={**opts, "max_passes": 100, "check_every": np.inf},
                              callback=lambda intermediate_result: seen.append(intermediate_result.x))
        assert res.status == Status.MAXFEV and 100 <= res.epochs <= 103
        assert res.npass == pytest.approx(res.epochs)
        last[method] = natural(seen[-1])          # at the last iterate, as the paper plots it
    assert last["vr-halpern"] <= 0.25 * last["halpern"], last


def test_box_least_squares_solution_matches_lsq_linear():
    p, X, y = box_ls(n=2000, d=20, seed=1, lb=-0.2, ub=0.3)
    ref = lsq_linear(X, y, (-0.2, 0.3), tol=1e-14, method="bvls").x
    res = numopt.minimize(p, method="halpern", tol=1e-12)
    assert res.success and res.restarts > 0
    np.testing.assert_allclose(res.x, ref, atol=1e-6)
    F = X.T @ (X @ res.x - y) / X.shape[0]
    assert box_distance(F, res.x, -0.2, 0.3) <= res.residual * (1 + 1e-9) + 1e-15
    assert res.fun == pytest.approx(np.sum((X @ res.x - y) ** 2) / (2 * X.shape[0]))


def test_algorithm2_reaches_the_gap_on_a_diagonal_game_within_1000_epochs():
    g, xs, v = diagonal_game()
    res = numopt.minimize(g, method="vr-halpern", options={"rng": 0, "max_passes": 1000, "check_every": 50})
    assert res.variant == "monotone" and res.epochs <= 1000 + 60
    gap = game_gap(g.A, res.x)
    assert gap == pytest.approx(res.duality_gap, abs=1e-15)
    assert gap <= 2e-3
    np.testing.assert_allclose(res.x[:100], xs, atol=5e-3)
    assert game_distance(g.A, res.x) <= res.residual * (1 + 1e-6) + 1e-12


def test_algorithm2_last_iterate_residual_decays_like_one_over_k_on_a_bilinear_game():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((100, 100)) / 10.0
    bg = BilinearGame(A, x0=rng.standard_normal(200))
    r = {}
    for budget in (1000, 3000):
        res = numopt.minimize(bg, method="vr-halpern", options={"rng": 0, "max_passes": budget,
                                                                 "check_every": np.inf})
        F = np.concatenate([A @ res.x[100:], -A.T @ res.x[:100]])
        assert np.linalg.norm(F) == pytest.approx(res.residual, rel=1e-9)    # G = 0: R = F(x)
        r[budget] = res.residual
    assert r[1000] / r[3000] >= 2.0, r


def test_halpern_converges_to_the_projection_of_the_anchor_on_the_solution_set():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 4)) @ rng.standard_normal((4, 10))        # rank 4, consistent
    y = X @ rng.standard_normal(10)
    u0 = rng.standard_normal(10)
    target = u0 - np.linalg.pinv(X) @ (X @ u0 - y)                          # P_S(u0)
    p = BoxLeastSquares(X, y, x0=u0)
    res = numopt.minimize(p, method="halpern", options={"restart": "none", "maxiter": 20000,
                                                        "rtol": 1e-14, "check_every": np.inf})
    err = np.linalg.norm(res.x - target) / np.linalg.norm(u0 - target)
    assert err <= 5e-3, err
    # another solution is far from the target: the test can tell them apart
    other = np.linalg.pinv(X) @ y
    assert np.linalg.norm(other - target) / np.linalg.norm(u0 - target) > 0.1


@pytest.mark.parametrize("variant", ["nemirovski", "reference"])
def test_policeman_burglar_values_against_linprog(variant):
    g = policeman_burglar(100, variant=variant)
    ref = {"nemirovski": 1.70141, "reference": 0.01266}[variant]
    assert game_value_lp(g.A) == pytest.approx(ref, abs=1e-5)


def test_restarted_halpern_solves_the_game_to_a_certified_tolerance():
    g = policeman_burglar(60, variant="nemirovski")
    value = game_value_lp(g.A)
    res = numopt.minimize(g, method="halpern", tol=1e-8)
    assert res.success and res.restarts > 0
    assert game_gap(g.A, res.x) <= 1e-8 * np.abs(g.A).max() * 1.0001
    assert res.game_value == pytest.approx(value, abs=1e-6)
    assert game_distance(g.A, res.x) <= res.residual * (1 + 1e-6) + 1e-12
    assert res.residual <= 1e-8 * res.initial_residual
    assert res.njev == pytest.approx(res.npass)


@pytest.mark.parametrize("method", ["halpern", "extragradient", "eag", "vr-halpern"])
def test_every_success_carries_a_certificate_recomputed_from_x(method):
    g, xs, _ = diagonal_game(n=20, seed=4)
    opts = {"vr-halpern": {"rng": 1}, "eag": {"step": 0.5 / g.lipschitz}}.get(method, {})
    tol = 1e-3 if method in ("eag", "vr-halpern") else 1e-6         # O(1/k) methods: a looser target
    res = numopt.minimize(g, method=method, tol=tol, options={**opts, "maxiter": 200000, "max_passes": 1e6})
    assert res.success, res.message
    m = 20
    assert np.all(res.x >= 0) and np.isclose(res.x[:m].sum(), 1) and np.isclose(res.x[m:].sum(), 1)
    assert game_distance(g.A, res.x) <= res.residual * (1 + 1e-6) + 1e-12
    assert res.residual <= tol * res.initial_residual
    assert game_gap(g.A, res.x) == pytest.approx(res.duality_gap, abs=1e-14)
    assert res.duality_gap <= tol * np.abs(g.A).max()


# -- capabilities and validation --------------------------------------------------------------------
def test_cocoercive_variant_on_a_bilinear_game_raises_and_says_why():
    bg = BilinearGame(np.eye(3), x0=np.ones(6))
    with pytest.raises(ValueError, match="needs a cocoercive F.*only monotone"):
        numopt.minimize(bg, method="vr-halpern", options={"variant": "cocoercive"})
    with pytest.raises(ValueError, match="cocoercive"):
        numopt.minimize(bg, method="halpern", options={"operator": "fb"})
    assert numopt.minimize(bg, method="vr-halpern", options={"maxiter": 2}).variant == "monotone"


def test_user_operators():
    rng = np.random.default_rng(5)
    M = rng.standard_normal((6, 6))
    S = M - M.T                                          # skew: monotone, not cocoercive
    b = rng.standard_normal(6)
    rot = OperatorInclusion(lambda u: S @ u + b, np.zeros(6), lipschitz=np.linalg.norm(S, 2))
    res = numopt.minimize(rot, method="extragradient", tol=1e-6)
    assert res.success
    np.testing.assert_allclose(S @ res.x + b, 0.0, atol=1e-5 * np.linalg.norm(b))
    with pytest.raises(ValueError, match="linear_components"):
        numopt.minimize(rot, method="vr-halpern")
    # a cocoercive user operator over a box: the gradient of a convex quadratic
    H = M @ M.T + np.eye(6)
    L = np.linalg.eigvalsh(H).max()
    q = OperatorInclusion(lambda u: H @ u - b, np.zeros(6), resolvent=P.Box(-0.1, 0.1), lipschitz=L,
                          cocoercivity=L)
    res = numopt.minimize(q, method="halpern", tol=1e-10)
    ref = lsq_linear(np.linalg.cholesky(H).T, np.linalg.solve(np.linalg.cholesky(H), b), (-0.1, 0.1),
                     tol=1e-14, method="bvls").x
    assert res.success
    np.testing.assert_allclose(res.x, ref, atol=1e-7)


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="A must be finite"):
        MatrixGame(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="y must have length 3"):
        BoxLeastSquares(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="lb <= ub"):
        BoxLeastSquares(np.eye(2), np.ones(2), 1.0, 0.0)
    with pytest.raises(ValueError, match="lipschitz must be > 0"):
        OperatorInclusion(lambda u: u, np.zeros(2), lipschitz=0.0)
    with pytest.raises(ValueError, match="cocoercivity must be > 0"):
        OperatorInclusion(lambda u: u, np.zeros(2), lipschitz=1.0, cocoercivity=-1.0)
    with pytest.raises(TypeError, match="resolvent must be"):
        OperatorInclusion(lambda u: u, np.zeros(2), lipschitz=1.0, resolvent=lambda v, t: v)
    with pytest.raises(TypeError, match="F must be callable"):
        OperatorInclusion(np.eye(2), np.zeros(2), lipschitz=1.0)
    bad = OperatorInclusion(lambda u: np.ones(3), np.zeros(2), lipschitz=1.0, cocoercivity=1.0)
    with pytest.raises(ValueError, match=r"F must return an array of shape \(2,\)"):
        numopt.minimize(bad, method="halpern")
    with pytest.raises(ValueError, match="variant must be"):
        policeman_burglar(5, variant="cols")
    g, _, _ = diagonal_game(5)
    for opts, msg in (({"rtol": 0}, "rtol"), ({"restart": "sometimes"}, "restart"),
                      ({"relaxation": 3.0}, "relaxation"), ({"step": -1.0}, "step")):
        with pytest.raises(ValueError, match=msg):
            numopt.minimize(g, method="halpern", options=opts)
    with pytest.raises(TypeError, match="rng"):
        numopt.minimize(g, method="vr-halpern", options={"rng": "seed"})
    with pytest.raises(ValueError, match="relaxation' must be <= 1.5"):
        numopt.minimize(BoxLeastSquares(np.eye(3), np.ones(3)), method="halpern", options={"relaxation": 2.0})
    l1 = LinearFiniteSumInclusion(np.eye(3), np.eye(3), np.ones(3), P.L1(0.1), lipschitz=1.0)
    with pytest.raises(ValueError, match="inner loop in a compiled kernel"):
        numopt.minimize(l1, method="vr-halpern", options={"variant": "monotone"})


def test_rng_makes_runs_reproducible_and_work_is_counted_in_passes():
    g, _, _ = diagonal_game(n=30, seed=2)
    a = numopt.minimize(g, method="vr-halpern", options={"rng": 7, "maxiter": 5})
    b = numopt.minimize(g, method="vr-halpern", options={"rng": np.random.default_rng(7), "maxiter": 5})
    c = numopt.minimize(g, method="vr-halpern", options={"rng": 8, "maxiter": 5})
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    assert a.epochs == pytest.approx(a.npass) and a.npass > a.njev     # components are fractional passes
    p, _, _ = box_ls(n=400, d=5)
    r = numopt.minimize(p, method="vr-halpern", options={"rng": 0, "maxiter": 50, "importance": True})
    assert r.variant == "cocoercive" and 0 < r.njev < r.npass


def test_max_passes_ends_with_maxfev_and_a_certificate():
    g, _, _ = diagonal_game(n=20)
    res = numopt.minimize(g, method="eag", options={"max_passes": 30})
    assert res.status == Status.MAXFEV and not res.success
    assert game_distance(g.A, res.x) <= res.residual * (1 + 1e-6) + 1e-12


# -- sparse data, restarts of vr-halpern --------------------------------------------------------------
def test_sparse_game_and_box_least_squares_agree_with_dense_and_with_the_references():
    import scipy.sparse as sp
    rng = np.random.default_rng(11)
    A = sp.random(60, 40, density=0.15, random_state=3, format="csr")
    A.data = rng.uniform(0.0, 1.0, A.nnz)
    gs, gd = MatrixGame(A), MatrixGame(A.toarray())
    assert sp.issparse(gs.A)
    rs = numopt.minimize(gs, method="halpern", tol=1e-7)
    rd = numopt.minimize(gd, method="halpern", tol=1e-7)
    assert rs.success and rd.success            # (rounding differs: restarts may fire at other iterations)
    assert abs(rs.game_value - rd.game_value) <= 1e-6 and abs(rs.epochs - rd.epochs) <= 0.2 * rd.epochs
    assert game_gap(A.toarray(), rs.x) == pytest.approx(rs.duality_gap, abs=1e-14)
    assert rs.game_value == pytest.approx(game_value_lp(A.toarray()), abs=1e-6)
    v = numopt.minimize(gs, method="vr-halpern", options={"rng": 0, "maxiter": 20})
    vd = numopt.minimize(gd, method="vr-halpern", options={"rng": 0, "maxiter": 20})
    # same samples, same iterates, up to ||A||_2 (ARPACK, tol 1e-6, for sparse A; LAPACK for dense)
    np.testing.assert_allclose(v.x, vd.x, atol=1e-6)
    X = sp.random(1500, 25, density=0.2, random_state=4, format="csr")
    y = rng.standard_normal(1500)
    p = BoxLeastSquares(X, y, -0.5, 0.5)
    res = numopt.minimize(p, method="halpern", tol=1e-10)
    ref = lsq_linear(X.toarray(), y, (-0.5, 0.5), tol=1e-14, method="bvls").x
    assert res.success
    np.testing.assert_allclose(res.x, ref, atol=1e-6)


def test_vr_halpern_restarts_turn_the_sublinear_rate_linear_on_a_well_conditioned_box_ls():
    p, X, y = box_ls(n=2000, d=20, seed=2)
    ref = lsq_linear(X, y, (-0.1, 0.1), tol=1e-14, method="bvls").x
    plain = numopt.minimize(p, method="vr-halpern", tol=1e-6, options={"rng": 0, "max_passes": 300})
    rest = numopt.minimize(p, method="vr-halpern", tol=1e-6,
                           options={"rng": 0, "max_passes": 300, "restart": "adaptive", "check_every": 5})
    assert plain.status == Status.MAXFEV and plain.restarts == 0
    assert rest.success and rest.restarts >= 2 and rest.epochs < 300, (rest.epochs, rest.restarts)
    np.testing.assert_allclose(rest.x, ref, atol=1e-5)
    F = X.T @ (X @ rest.x - y) / X.shape[0]
    assert box_distance(F, rest.x, -0.1, 0.1) <= rest.residual * (1 + 1e-9) + 1e-15
    assert rest.residual <= 1e-6 * rest.initial_residual
    for bad, msg in (({"restart": "always"}, "restart"), ({"restart_factor": 1.0}, "restart_factor")):
        with pytest.raises(ValueError, match=msg):
            numopt.minimize(p, method="vr-halpern", options=bad)


def test_bench_source_builds_measured_problems_with_references():
    from numopt.bench.sources import get_source
    from numopt.bench.suite import load_suite
    import numopt.solvers.halpern.bench  # noqa: F401  (registers the source)
    src = get_source("inclusion")
    assert src.select() == ["policeman-burglar", "diagonal-game", "box-ls"]
    with pytest.raises(ValueError, match="unknown inclusion"):
        src.select(["nope"])
    with pytest.raises(ValueError, match="bad parameters"):
        src.build("box-ls", n=50, dims=3)
    bp = src.build("box-ls", n=400, d=5, seed=1)
    p = bp.problem
    res = numopt.minimize(p, method="halpern", tol=1e-10)
    assert res.success and p.fun(res.x) - bp.f_ref <= 1e-10 and p.constr_violation(res.x) == 0.0
    assert p.fun(p.x0) > bp.f_ref + 1e-6                      # the reference is not trivially met
    g = src.build("diagonal-game", n=10, seed=0).problem
    r = numopt.minimize(g, method="halpern", tol=1e-8)
    assert g.fun(r.x) == pytest.approx(game_gap(g.A, r.x)) and g.fun(r.x) <= 1e-7
    assert g.constr_violation(r.x) <= 1e-15 and np.max(np.abs(g.grad(r.x))) <= 1e-6
    assert g.constr_violation(np.ones(20)) > 0.5
    assert "inclusion:policeman-burglar[n=8]" == src.build("policeman-burglar", n=8).problem.name
    assert load_suite("halpern").solvers


@pytest.mark.parametrize("method", ["halpern", "eag", "extragradient"])
def test_nan_from_the_operator_ends_in_numerical_error_also_over_a_simplex(method):
    S = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    calls = [0]

    def F(u):
        calls[0] += 1
        return S @ u + 0.1 if calls[0] < 8 else np.full(3, np.nan)
    # the simplex projection raises on nan input: the family hands it nan-free vectors only
    coco = {"cocoercivity": 1.0} if method == "halpern" else {}
    p = OperatorInclusion(F, np.full(3, 1 / 3), resolvent=P.Simplex(), lipschitz=1.0, **coco)
    res = numopt.minimize(p, method=method, tol=1e-12)
    assert res.status == Status.NUMERICAL_ERROR and not res.success
    assert np.all(np.isfinite(res.x)) and res.x.sum() == pytest.approx(1.0)
