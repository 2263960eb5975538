"""Bilevel solvers: penalty (Kwon et al. 2024), AID and ITD against closed forms and scipy."""
import numpy as np
import pytest
from scipy.optimize import minimize as sp_minimize

import numopt
from numopt.options import make_options
from numopt.problems import prox
from numopt.problems.bilevel import (Bilevel, box_bilevel, digits_hyper_cleaning, double_well_bilevel,
                                     libsvm_hyper_cleaning, logreg_hyperparameter, quadratic_bilevel,
                                     ridge_hyperparameter)
from numopt.result import Status
from numopt.solvers.bilevel.solver import (AIDOptions, BilevelAID, BilevelITD, BilevelPenalty, ITDOptions,
                                           PenaltyOptions)


def _state(solver, options_cls, problem, x, **opts):
    """Initial state at ``x`` (its ``d`` is the method's hypergradient there)."""
    o = make_options(options_cls, opts, method="test")
    return solver().init(problem, x, o)


def _ridge(seed=0, n=40, m=30, d=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n + m, d))
    y = X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n + m)
    return ridge_hyperparameter(X[:n], y[:n], X[n:], y[n:])


# --- strongly convex quadratic: closed form -------------------------------------------------------

def test_quadratic_aid_to_1e8_penalty_within_2_sigma_and_scipy_agrees():
    p = quadratic_bilevel(3, 6, seed=1)
    # independent reference: scipy BFGS on the reduced objective F(x) = f(x, y*(x))
    F = lambda x: p.f(x, p.y_of(x))
    ref = sp_minimize(F, np.zeros(3), jac=p.hypergrad_exact, method="BFGS", options={"gtol": 1e-12})
    np.testing.assert_allclose(ref.x, p.x_star, atol=1e-8)
    aid = numopt.minimize(p, method="bilevel-aid", options={"gtol": 1e-10, "inner_gtol": 1e-12})
    assert aid.success and aid.method == "bilevel-aid"
    assert np.linalg.norm(aid.x - p.x_star) <= 1e-8
    assert aid.cg_nit_total > 0 and aid.cg_residual <= 1e-10
    np.testing.assert_allclose(aid.y, p.y_star, atol=1e-8)
    sigma = 1e-2
    pen = numopt.minimize(p, method="bilevel-penalty", options={"sigma": sigma, "gtol": 1e-9})
    assert pen.success and pen.sigma == sigma
    err = np.linalg.norm(pen.x - p.x_star)
    assert err <= 2 * sigma
    assert err > 1e-6                      # a real O(sigma) bias, not an exact solve in disguise
    assert pen.nhev == 0                   # first order: no Hessian-vector products
    assert 0 <= pen.lower_gap <= sigma     # g(x, y_sigma) - g* = O(sigma^2)-ish, non-negative


def test_penalty_continuation_reaches_sigma_final():
    p = quadratic_bilevel(3, 5, seed=2)
    r = numopt.minimize(p, method="bilevel-penalty", options={"sigma0": 1e-1, "sigma_final": 1e-3,
                                                              "history": True})
    assert r.success and r.sigma == pytest.approx(1e-3)
    assert sorted(set(np.round(np.log10(r.history["sigma"])))) == [-3.0, -2.0, -1.0]
    assert np.linalg.norm(r.x - p.x_star) <= 5e-3                        # O(sigma_final)


def test_itd_error_shrinks_with_K():
    p = quadratic_bilevel(3, 6, seed=1)
    errs = []
    for K in (3, 6, 12, 24):
        r = numopt.minimize(p, method="bilevel-itd", options={"unroll": K, "gtol": 1e-10})
        assert r.success
        errs.append(np.linalg.norm(r.x - p.x_star))
    assert all(b < 0.7 * a for a, b in zip(errs, errs[1:])), errs
    assert errs[-1] < 1e-2


def test_hypergradients_against_the_closed_form_ridge():
    p = _ridge()
    x = np.log(np.array([0.3, 1.0, 0.05, 2.0]))
    exact = p.hypergrad_exact(x)
    np.testing.assert_allclose(p.grad(x), exact, rtol=1e-6, atol=1e-10)          # the problem's reference
    aid = _state(BilevelAID, AIDOptions, p, x, inner_gtol=1e-12, inner_adaptive=0.0)
    np.testing.assert_allclose(aid.d, exact, rtol=1e-7, atol=1e-12)
    itd_err = [np.linalg.norm(_state(BilevelITD, ITDOptions, p, x, unroll=K).d - exact) for K in (5, 20, 80)]
    assert itd_err[0] > itd_err[1] > itd_err[2]
    # the penalty method's first-order hypergradient tends to the true one as sigma -> 0, linearly
    pen_err = [np.linalg.norm(_state(BilevelPenalty, PenaltyOptions, p, x, sigma=s, inner_gtol=1e-13,
                                     inner_adaptive=0.0).d - exact) for s in (1e-1, 1e-2, 1e-3)]
    assert pen_err[0] > pen_err[1] > pen_err[2]
    ratios = np.array(pen_err[1:]) / np.array(pen_err[:-1])
    assert np.all((ratios > 0.05) & (ratios < 0.2)), ratios          # O(sigma): ~10x per decade


def _penalty_box_qp(p, sigma, lo, hi):
    """The exact minimizer of psi_sigma over a box for the quadratic family, by scipy's lsq_linear.

    With ``M = A^{-1} (A + sigma I)^{-1}``, ``psi_sigma`` is the quadratic with Hessian
    ``H = D + B^T M B`` and linear term ``q = d - B^T M a - B^T (A + sigma I)^{-1} c``.
    """
    from scipy.optimize import lsq_linear
    A, B, a, c, D, d = p.A, p.B, p.a, p.c, p.D, p.d
    As = A + sigma * np.eye(A.shape[0])
    M = np.linalg.solve(A, np.linalg.inv(As))
    H = D + B.T @ M @ B
    q = d - B.T @ M @ a - B.T @ np.linalg.solve(As, c)
    R = np.linalg.cholesky(0.5 * (H + H.T)).T                    # H = R^T R
    return lsq_linear(R, -np.linalg.solve(R.T, q), bounds=(lo, hi), method="bvls", tol=1e-15).x


@pytest.mark.parametrize("seed, lo, hi, sigma", [(3, -0.2, 0.2, 1e-4),      # every bound active
                                                 (4, -0.5, 0.3, 1e-2), (4, -0.5, 0.3, 1e-4),
                                                 (3, -1.0, 1.0, 1e-5)])
def test_upper_bounds_against_scipy_on_the_reduced_and_penalty_problems(seed, lo, hi, sigma):
    # Regression: sigma = 1e-4 with active x bounds ended LINE_SEARCH_FAILED far from the solution
    # (G = 1.96 at iteration 10): the inner tolerances did not scale with sigma, so the
    # hypergradient (a difference quotient over sigma) disagreed with the merit.
    p = quadratic_bilevel(3, 5, seed=seed, x_bounds=(lo, hi))
    F = lambda x: p.f(x, p.y_of(x))
    ref = sp_minimize(F, np.zeros(3), jac=p.hypergrad_exact, method="L-BFGS-B", bounds=[(lo, hi)] * 3,
                      options={"gtol": 1e-13, "ftol": 1e-16}).x
    active = np.isclose(ref, lo) | np.isclose(ref, hi)
    assert active.any()                                                   # some bound is active
    aid = numopt.minimize(p, method="bilevel-aid", options={"gtol": 1e-10})
    assert aid.success and np.all((aid.x >= lo) & (aid.x <= hi))
    np.testing.assert_allclose(aid.x, ref, atol=1e-6)
    r = numopt.minimize(p, method="bilevel-penalty", options={"gtol": 1e-10, "sigma": sigma})
    assert r.success, r.message
    assert np.all((r.x >= lo) & (r.x <= hi))
    np.testing.assert_allclose(r.x, _penalty_box_qp(p, sigma, lo, hi), atol=1e-8)   # the penalty solution
    err = np.max(np.abs(r.x - ref))
    assert err <= sigma                                                   # O(sigma) from the bilevel one
    assert np.array_equal(np.isclose(r.x, lo) | np.isclose(r.x, hi), active)


def test_small_fixed_sigma_is_solved_below_the_merit_resolution():
    # psi_sigma's rounding level is ~eps |g| / sigma; near the solution the value test cannot
    # resolve the decrease, and the steps are taken with the last verified L (noise_steps)
    p = quadratic_bilevel(3, 5, seed=4, x_bounds=(-1.0, 1.0))            # interior solution
    sigma = 1e-5
    r = numopt.minimize(p, method="bilevel-penalty", options={"gtol": 1e-10, "sigma": sigma})
    assert r.success and r.noise_steps > 0
    assert r.hypergrad_norm <= 1e-10 * 2.0
    xs = _penalty_box_qp(p, sigma, -1.0, 1.0)
    assert np.all(np.abs(xs) < 1.0)
    np.testing.assert_allclose(r.x, xs, atol=1e-6)


# --- many lower-level solutions ------------------------------------------------------------------

def test_penalty_finds_the_optimistic_solution_where_aid_converges_elsewhere():
    p = double_well_bilevel()
    sigma = 1e-2
    pen = numopt.minimize(p, method="bilevel-penalty",
                          options={"sigma0": 1.0, "sigma_final": sigma, "gtol": 1e-10})
    assert pen.success
    xs, ys = p.penalty_solution(sigma)                 # scipy BFGS on min_{x,y} f + g / sigma
    assert abs(pen.x[0] - xs[0]) <= 1e-6 and abs(pen.y[0] - ys[0]) <= 1e-6
    assert abs(pen.x[0] - p.x_optimistic[0]) <= 2 * sigma
    assert abs(pen.y[0] - p.y_optimistic[0]) <= 2 * sigma
    aid = numopt.minimize(p, method="bilevel-aid", options={"gtol": 1e-10})
    assert aid.success                                  # AID converges ... to the other branch
    assert abs(aid.x[0] - p.x_pessimistic_branch[0]) <= 1e-6 and abs(aid.y[0] + 1.0) <= 1e-6
    assert pen.upper_objective < aid.upper_objective - 1.0


def test_lower_box_error_is_O_sigma_and_baselines_refuse():
    p = box_bilevel()
    errs = []
    for s in (1e-1, 1e-2, 1e-3):
        r = numopt.minimize(p, method="bilevel-penalty", options={"sigma": s, "gtol": 1e-10})
        assert r.success
        np.testing.assert_allclose(r.x, p.x_sigma(s), atol=1e-8)          # closed-form penalty solution
        assert r.y[1] == 1.0                                              # the projection is active
        errs.append(abs(r.x[0] - p.x_star[0]) / s)
    assert max(errs) / min(errs) < 1.2 and 0.2 < min(errs) < 0.3          # error / sigma -> 1/4
    for method in ("bilevel-aid", "bilevel-itd"):
        with pytest.raises(ValueError, match="lower_constraints"):
            numopt.minimize(p, method=method)


# --- application: data hyper-cleaning --------------------------------------------------------------

def test_hyper_cleaning_digits_beats_unweighted_training():
    p = digits_hyper_cleaning(n_train=300, n_val=200, noise=0.4, reg=1e-2, seed=0)
    assert p.corrupted.mean() == pytest.approx(0.4)
    plain = p.test_accuracy(p.fit())
    r = numopt.minimize(p, method="bilevel-penalty",
                        options={"sigma0": 1e-1, "sigma_final": 1e-2, "maxiter": 25, "gtol": 1e-3})
    assert r.status in (Status.CONVERGED, Status.MAXITER)
    cleaned = p.test_accuracy(r.y)
    assert cleaned >= plain + 0.05, (plain, cleaned)
    w = 1.0 / (1.0 + np.exp(-r.x))
    assert w[p.corrupted].mean() < w[~p.corrupted].mean() - 0.3          # it found the noisy labels


# --- failures are statuses, never success ------------------------------------------------------------

def test_inner_maxiter_and_cg_failures_end_without_success():
    p = quadratic_bilevel(3, 6, seed=1)
    r = numopt.minimize(p, method="bilevel-penalty", options={"inner_maxiter": 1, "inner_adaptive": 0.0})
    assert r.status == Status.INNER_MAXITER and not r.success and "inner" in r.message
    r = numopt.minimize(p, method="bilevel-aid", options={"cg_maxiter": 1, "cg_warm_start": False})
    assert r.status == Status.INNER_MAXITER and "CG" in r.message
    # at y = 0 the double well's lower level is stationary but concave: CG meets negative curvature
    dw = double_well_bilevel(y0=0.0)
    r = numopt.minimize(dw, method="bilevel-aid")
    assert r.status == Status.NUMERICAL_ERROR and "non-positive curvature" in r.message and r.nit == 0


def test_nonfinite_oracle_mid_run_is_a_numerical_error():
    base = quadratic_bilevel(2, 3, seed=0)
    bad_f = lambda x, y: np.nan if x[0] < -0.05 else base._f(x, y)
    p = Bilevel(bad_f, base._g, dim_x=2, dim_y=3, grad_f=base._gf, grad_g=base._gg, hvp_g=base._hg)
    r = numopt.minimize(p, [0.5, 0.5], method="bilevel-aid")
    assert r.status in (Status.NUMERICAL_ERROR, Status.LINE_SEARCH_FAILED, Status.CONVERGED)
    assert np.all(np.isfinite(r.x)) and np.isfinite(r.fun)
    if r.status != Status.CONVERGED:
        assert not r.success


def test_stochastic_single_loop_full_batch_matches_penalty_and_counts_passes():
    p = quadratic_bilevel(3, 5, n_samples=20, seed=4)
    sigma = 1e-2
    det = numopt.minimize(p, method="bilevel-penalty", options={"sigma": sigma, "gtol": 1e-9})
    p.counts.clear()
    r = numopt.minimize(p, method="bilevel-penalty-sl", options={"sigma": sigma, "gtol": 1e-6, "step_x": 0.05})
    assert r.success and r.npass > 0 and r.njev > 0
    np.testing.assert_allclose(r.x, det.x, atol=1e-4)
    # stochastic batches: slower but it makes progress toward the same point
    p.counts.clear()
    s = numopt.minimize(p, method="bilevel-penalty-sl",
                        options={"sigma": sigma, "batch_size": 5, "maxiter": 2000, "step_x": 0.005, "step_y": 0.05,
                                 "momentum": 0.1, "seed": 1})
    assert s.status in (Status.CONVERGED, Status.MAXITER)
    assert np.linalg.norm(s.x - det.x) < 0.1 * np.linalg.norm(p.x0 - det.x)
    assert p.counts["ngrad_components"] > 0
    assert s.npass == pytest.approx(p.counts["npass"])


def test_penalty_sl_needs_a_finite_sum():
    with pytest.raises(ValueError, match="finite_sum"):
        numopt.minimize(quadratic_bilevel(2, 3), method="bilevel-penalty-sl")


def test_unknown_and_bad_options_raise():
    p = quadratic_bilevel(2, 3)
    with pytest.raises(ValueError, match="unknown option"):
        numopt.minimize(p, method="bilevel-penalty", options={"sigmaa": 1.0})
    with pytest.raises(ValueError, match="sigma_decrease"):
        numopt.minimize(p, method="bilevel-penalty", options={"sigma_decrease": 2.0})
    with pytest.raises(ValueError, match="sigma_final"):
        numopt.minimize(p, method="bilevel-penalty", options={"sigma0": 1e-3, "sigma_final": 1e-1})
    with pytest.raises(ValueError, match="unroll"):
        numopt.minimize(p, method="bilevel-itd", options={"unroll": 0})
    with pytest.raises(ValueError, match="y0"):
        numopt.minimize(box_bilevel(), method="bilevel-penalty", options={"y0": [2.0, 0.5]})


def test_methods_registered_in_the_bilevel_family():
    assert set(numopt.methods(family="bilevel")) == {"bilevel-penalty", "bilevel-aid", "bilevel-itd",
                                                     "bilevel-penalty-sl"}
    assert numopt.methods(problem=box_bilevel()) == ["bilevel-penalty"]
    assert "bilevel-penalty-sl" in numopt.methods(problem=quadratic_bilevel(2, 3, n_samples=4))


# --- bad input names the callable ---------------------------------------------------------------------

def test_wrong_gradient_shapes_and_values_name_the_callable():
    base = quadratic_bilevel(2, 3, seed=0)
    kw = dict(dim_x=2, dim_y=3, grad_f=base._gf, grad_g=base._gg, hvp_g=base._hg)
    bad_gg = Bilevel(base._f, base._g, **{**kw, "grad_g": lambda x, y: (np.zeros(2), np.zeros(4))})
    with pytest.raises(ValueError, match=r"grad_g must return a pair .*shape \(3,\).*got shapes \(2,\) and \(4,\)"):
        numopt.minimize(bad_gg, method="bilevel-penalty")
    bad_gf = Bilevel(base._f, base._g, **{**kw, "grad_f": lambda x, y: np.zeros(5)})
    with pytest.raises(ValueError, match="grad_f must return a pair"):
        numopt.minimize(bad_gf, method="bilevel-aid")
    bad_hvp = Bilevel(base._f, base._g, **{**kw, "hvp_g": lambda x, y, v: (np.zeros(3), np.zeros(3))})
    with pytest.raises(ValueError, match="hvp_g must return a pair"):
        numopt.minimize(bad_hvp, method="bilevel-itd")
    bad_f = Bilevel(lambda x, y: np.ones(2), base._g, **kw)
    with pytest.raises(ValueError, match="f must return a float"):
        numopt.minimize(bad_f, method="bilevel-penalty")
    nan_g = Bilevel(base._f, lambda x, y: np.nan, **kw)          # a status at x0, naming the oracle
    r = numopt.minimize(nan_g, method="bilevel-penalty")
    assert r.status == Status.NUMERICAL_ERROR and not r.success and r.nit == 0 and "g returned nan" in r.message
    with pytest.raises(TypeError, match="grad_g must be callable"):
        Bilevel(base._f, base._g, **{**kw, "grad_g": 3})
    with pytest.raises(ValueError, match="dim_y must be a positive integer"):
        Bilevel(base._f, base._g, **{**kw, "dim_y": 0})
    with pytest.raises(TypeError, match="y_set must be a projection"):
        Bilevel(base._f, base._g, **kw, y_set=prox.L1(1.0))
    with pytest.raises(ValueError, match="y0 must lie in y_set"):
        Bilevel(base._f, base._g, **kw, y_set=prox.NonNegative(), y0=[-1.0, 0.0, 0.0])


def test_public_exports():
    import numopt.problems as P
    assert P.Bilevel is Bilevel and issubclass(P.BilevelFiniteSum, Bilevel)
    assert P.bilevel.quadratic_bilevel is quadratic_bilevel


# --- applications: hypergradients against finite differences of scipy lower solves --------------------

def _fd_hypergrad(p, x, coords, h=1e-5):
    """Central differences of F(x) = f(x, y*(x)), y* by scipy's L-BFGS-B (Bilevel.solve_lower)."""
    out = []
    for j in coords:
        e = np.zeros_like(x)
        e[j] = h
        out.append((p.fun(x + e) - p.fun(x - e)) / (2 * h))
    return np.array(out)


def test_logreg_hyperparameter_hypergradients_against_finite_differences(numopt_data):
    from numopt.datasets import load_libsvm
    X, y = load_libsvm("heart_scale")
    X = np.asarray(X.toarray())
    p = logreg_hyperparameter(X[:120], y[:120], X[120:], y[120:], x_bounds=(np.log(1e-3), np.log(1e2)))
    assert p.n_components_g == 120 and "finite_sum" in p.oracles
    x = np.log(np.linspace(0.02, 0.5, X.shape[1]))
    coords = [0, 4, 9]
    fd = _fd_hypergrad(p, x, coords, h=1e-4)                  # (1e-5 is below the lower solve's accuracy)
    aid = _state(BilevelAID, AIDOptions, p, x, inner_gtol=1e-12, inner_adaptive=0.0).d
    np.testing.assert_allclose(aid[coords], fd, rtol=1e-4, atol=1e-8)
    pen = _state(BilevelPenalty, PenaltyOptions, p, x, sigma=1e-3, inner_gtol=1e-12, inner_adaptive=0.0).d
    assert np.linalg.norm(pen[coords] - fd) <= 2e-2 * np.linalg.norm(fd)            # O(sigma)


def test_libsvm_hyper_cleaning_builds_and_its_hypergradient_is_right(numopt_data):
    p = libsvm_hyper_cleaning("german.numer", n_train=60, n_val=40, noise=0.4, reg=1e-2, seed=0)
    assert p.dim_x == 60 and p.dim_y == 25 * 2 and p.corrupted.sum() == 24
    x = np.zeros(60)
    coords = [0, 17, 42]
    fd = _fd_hypergrad(p, x, coords, h=1e-4)
    aid = _state(BilevelAID, AIDOptions, p, x, inner_gtol=1e-12, inner_adaptive=0.0).d
    np.testing.assert_allclose(aid[coords], fd, rtol=1e-3, atol=1e-9)
    assert 0.0 <= p.test_accuracy(p.fit()) <= 1.0


def test_bench_source_builds_and_the_runner_reference_is_independent():
    from numopt.bench.sources import get_source
    src = get_source("bilevel")
    bp = src.build("quadratic", dim_x=2, dim_y=4, seed=0)
    p = bp.problem
    assert bp.f_ref == pytest.approx(p.fun(p.x_star), rel=1e-8)         # F_star = F(x*) by a scipy lower solve
    assert src.build("box").f_ref == pytest.approx(box_bilevel().fun(np.array([0.5])), abs=1e-10)
    assert src.build("ridge-diabetes").problem.bounds is not None
    with pytest.raises(ValueError, match="unknown bilevel problem"):
        src.select(["nope"])
