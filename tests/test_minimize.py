"""The facade: scipy compatibility, method selection, custom methods, options and bad input."""
import numpy as np
import pytest
import scipy.optimize as so
from scipy.optimize import Bounds, LinearConstraint, NonlinearConstraint, rosen, rosen_der, rosen_hess, rosen_hess_prod

import numopt
from numopt.problems import Lasso, LeastSquares
from numopt.result import UNIFIED_FIELDS, Status

X0 = np.array([1.3, 0.7, 0.8, 1.9, 1.2])
DERIVATIVE_FREE = {"nelder-mead", "powell", "cobyla", "cobyqa"}
SCIPY_METHODS = sorted(s.name for s in numopt.registry.all_specs() if s.family == "scipy")


def _derivs(method):
    if method in DERIVATIVE_FREE:
        return {}
    kw = {"jac": rosen_der}
    if method in ("newton-cg", "trust-ncg", "trust-krylov", "trust-constr"):
        kw["hessp"] = rosen_hess_prod
    if method in ("dogleg", "trust-exact"):
        kw["hess"] = rosen_hess
    return kw


@pytest.mark.parametrize("method", SCIPY_METHODS)
def test_pass_through_gives_scipy_x_on_rosenbrock(method):
    x0 = X0 if method != "dogleg" else np.ones(5) * 1.1  # dogleg needs a PD Hessian along its path
    ours = numopt.minimize(rosen, x0, method=method, **_derivs(method))
    ref = so.minimize(rosen, x0, method=method, **_derivs(method))
    np.testing.assert_array_equal(ours.x, ref.x)
    # scipy's fields exactly (same keys, same values), numopt's vocabulary in its own fields
    assert set(ours) - set(ref) <= set(UNIFIED_FIELDS) and set(ref) <= set(ours)
    for key in ("status", "message", "success", "nit", "nfev", "njev", "nhev", "fun"):
        if key in ref:
            assert ours[key] == ref[key], key
        else:
            assert key not in ours, key
    assert (ours.numopt_status == Status.CONVERGED) == ref.success
    assert ours.method == (method if method != "trust-constr" else ref.method)


@pytest.mark.parametrize("method", ["nelder-mead", "powell", "l-bfgs-b", "tnc", "slsqp", "trust-constr",
                                    "cobyla", "cobyqa"])
def test_pass_through_with_bounds(method):
    bounds = Bounds([0.0, -0.5, 1.5, -np.inf, 0.0], [0.9, 0.5, np.inf, 0.0, 2.0])
    kw = {} if method in DERIVATIVE_FREE else {"jac": rosen_der}
    ours = numopt.minimize(rosen, np.clip(X0, bounds.lb, bounds.ub), method=method, bounds=bounds, **kw)
    ref = so.minimize(rosen, np.clip(X0, bounds.lb, bounds.ub), method=method, bounds=bounds, **kw)
    np.testing.assert_allclose(ours.x, ref.x, rtol=0, atol=1e-10)


@pytest.mark.parametrize("method", ["slsqp", "trust-constr", "cobyla", "cobyqa"])
def test_pass_through_with_constraints(method):
    cons = [NonlinearConstraint(lambda x: x[0] ** 2 + x[1] ** 2, -np.inf, 1.0),
            LinearConstraint(np.ones((1, 5)), 4.0, 4.0)] if method != "slsqp" else \
        [{"type": "ineq", "fun": lambda x: 1.0 - x[0] ** 2 - x[1] ** 2},
         {"type": "eq", "fun": lambda x: np.sum(x) - 4.0}]
    kw = {} if method in DERIVATIVE_FREE else {"jac": rosen_der}
    ours = numopt.minimize(rosen, X0, method=method, constraints=cons, **kw)
    ref = so.minimize(rosen, X0, method=method, constraints=cons, **kw)
    np.testing.assert_allclose(ours.x, ref.x, rtol=0, atol=1e-10)


def test_method_none_follows_scipy_default():
    assert numopt.minimize(rosen, X0, jac=rosen_der).method == "bfgs"
    assert numopt.minimize(rosen, X0, jac=rosen_der, bounds=[(0, 2)] * 5).method == "l-bfgs-b"
    cons = {"type": "eq", "fun": lambda x: np.sum(x) - 5.0}
    assert numopt.minimize(rosen, X0, jac=rosen_der, constraints=cons).method == "slsqp"


def test_method_none_on_problem_objects_picks_first_capable():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 4)), rng.standard_normal(20)
    assert numopt.minimize(LeastSquares(X, y, x0=np.zeros(4))).method == "bfgs"
    res = numopt.minimize(Lasso(X, y, 0.1))
    assert res.method == "prox-grad" and res.success


def _sp(method):
    x0 = X0 if method != "dogleg" else np.ones(5) * 1.1
    return x0, _derivs(method)


@pytest.mark.parametrize("method", sorted(set(SCIPY_METHODS) - {"tnc"}))
def test_stop_iteration_gives_scipy_status_and_callback_stop(method):
    x0, kw = _sp(method)

    def stop(intermediate_result):
        assert isinstance(intermediate_result, so.OptimizeResult)
        assert intermediate_result.x.shape == (5,)
        raise StopIteration

    res = numopt.minimize(rosen, x0, method=method, callback=stop, **kw)
    ref = so.minimize(rosen, x0, method=method, callback=stop, **kw)
    assert (res.status, res.message, res.success) == (ref.status, ref.message, ref.success)
    # one vocabulary for numopt code, also where scipy calls the stop a success (COBYQA)
    assert res.numopt_status == Status.CALLBACK_STOP and res.status_name == "CALLBACK_STOP"


def test_stop_iteration_from_a_tnc_callback_propagates_as_in_scipy():
    def stop(xk):
        raise StopIteration
    with pytest.raises(StopIteration):
        so.minimize(rosen, X0, method="tnc", jac=rosen_der, callback=stop)
    with pytest.raises(StopIteration):
        numopt.minimize(rosen, X0, method="tnc", jac=rosen_der, callback=stop)


@pytest.mark.parametrize("method", ["bfgs", "slsqp", "cobyla", "nelder-mead"])
def test_every_callback_signature_scipy_supports(method):
    x0, kw = _sp(method)
    seen = {"kwonly": [], "new": [], "legacy": []}

    def kwonly(*, intermediate_result):
        seen["kwonly"].append(intermediate_result.fun)

    def new(intermediate_result):
        seen["new"].append(intermediate_result.fun)

    def legacy(xk):
        seen["legacy"].append(np.asarray(xk).shape)

    for cb in (kwonly, new, legacy):
        numopt.minimize(rosen, x0, method=method, callback=cb, options={"maxiter": 50}, **kw)
    assert seen["kwonly"] and seen["kwonly"] == seen["new"]
    assert seen["legacy"] and all(s == (5,) for s in seen["legacy"])


def test_trust_constr_legacy_callback_gets_x_and_state():
    seen = []
    numopt.minimize(rosen, X0, method="trust-constr", jac=rosen_der, hessp=rosen_hess_prod,
                    callback=lambda xk, state: seen.append((xk.shape, state.nit)), options={"maxiter": 4})
    assert seen and seen[0] == ((5,), 1)


def test_legacy_callback_gets_x():
    seen = []
    numopt.minimize(rosen, X0, method="bfgs", jac=rosen_der, callback=lambda xk: seen.append(xk.copy()))
    assert seen and all(s.shape == (5,) for s in seen)


def test_scipy_status_is_kept_and_translated():
    res = numopt.minimize(rosen, X0, method="bfgs", jac=rosen_der, options={"maxiter": 2})
    assert res.status == 1 and res.numopt_status == Status.MAXITER
    res = numopt.minimize(rosen, X0, method="trust-constr", jac=rosen_der, hessp=rosen_hess_prod,
                          options={"maxiter": 3})
    # scipy's 0 means "iteration limit" for trust-constr; numopt's field says so in its vocabulary
    assert res.status == 0 and not res.success and res.numopt_status == Status.MAXITER
    res = numopt.minimize(rosen, X0, method="slsqp", jac=rosen_der, options={"maxiter": 2})
    assert res.status == 9 and res.numopt_status == Status.MAXITER
    res = numopt.minimize(rosen, X0, method="l-bfgs-b", jac=rosen_der, options={"maxfun": 3})
    assert res.numopt_status == Status.MAXFEV


def test_scipy_input_handling_is_scipys():
    x32 = X0.astype(np.float32)
    for method in ("nelder-mead", "bfgs"):
        assert numopt.minimize(rosen, x32, method=method).x.dtype == so.minimize(rosen, x32, method=method).x.dtype
    with pytest.raises(ValueError, match="'x0' must only have one dimension."):
        numopt.minimize(rosen, np.zeros((2, 2)), method="bfgs")
    with pytest.warns(so.OptimizeWarning, match="Unknown solver options: maxiters"):
        numopt.minimize(_sq, np.ones(2), method="bfgs", options={"maxiters": 3})
    with pytest.warns(RuntimeWarning, match="does not use gradient"):
        numopt.minimize(_sq, np.ones(2), method="nelder-mead", jac=lambda x: 2 * x)
    res = numopt.minimize(_sq, np.array([1.0, np.nan]), method="nelder-mead")    # scipy runs it
    ref = so.minimize(_sq, np.array([1.0, np.nan]), method="nelder-mead")
    assert (res.status, res.message) == (ref.status, ref.message)
    assert res.numopt_status != Status.CONVERGED


def test_custom_callable_method():
    def my_gd(fun, x0, args=(), jac=None, callback=None, maxiter=100, tol=1e-8, **unknown):
        x = np.array(x0, dtype=float)
        for k in range(maxiter):
            x = x - 0.1 * jac(x)
            if callback is not None:
                callback(so.OptimizeResult(x=x, fun=fun(x), nit=k + 1))
        return so.OptimizeResult(x=x, fun=fun(x), success=True, nit=maxiter, status=0, message="done")

    f = lambda x: float(np.sum((x - 3.0) ** 2))
    res = numopt.minimize(f, np.zeros(2), method=my_gd, jac=lambda x: 2 * (x - 3.0), options={"maxiter": 200})
    np.testing.assert_allclose(res.x, 3.0, atol=1e-8)
    assert res.method == "my_gd" and res.numopt_status == Status.CONVERGED and res.message == "done"
    # scipy's contract: whatever the method returns comes back, with numopt's fields added
    empty = numopt.minimize(f, np.zeros(2), method=lambda fun, x0, **kw: so.OptimizeResult())
    assert set(empty) == set(UNIFIED_FIELDS) and empty.numopt_status != Status.CONVERGED


def test_custom_solver_class():
    from dataclasses import dataclass
    from numopt.driver import Solver, SolverState
    from numopt.options import DriverOptions, opt

    @dataclass
    class GDOptions(DriverOptions):
        step: float = opt(0.25, "step size", kind=float)

    class GD(Solver):
        Options = GDOptions
        requires = ("grad",)

        def init(self, problem, x0, options):
            return SolverState(x=x0.copy(), fun=problem.fun(x0))

        def step(self, problem, state, options):
            g = problem.grad(state.x)
            x = state.x - options.step * g
            s = SolverState(x=x, fun=problem.fun(x), metrics={"gnorm": float(np.abs(g).max())})
            if s.metrics["gnorm"] < 1e-10:
                s.status = Status.CONVERGED
            return s

    res = numopt.minimize(lambda x: float(np.sum((x - 1.0) ** 2)), np.zeros(3), method=GD,
                          jac=lambda x: 2 * (x - 1.0), options={"step": 0.25})
    assert res.success and res.method == "gd"
    np.testing.assert_allclose(res.x, 1.0, atol=1e-9)
    with pytest.raises(ValueError, match="unknown option.*'stepsize'.*valid options are"):
        numopt.minimize(lambda x: float(np.sum(x ** 2)), np.zeros(3), method=GD,
                        jac=lambda x: 2 * x, options={"stepsize": 0.1})


def test_evaluation_counts_are_exact():
    calls = {"f": 0, "g": 0}

    def f(x):
        calls["f"] += 1
        return float(np.sum((x - 1.0) ** 2))

    def g(x):
        calls["g"] += 1
        return 2 * (x - 1.0)

    from numopt.problems import CompositeProblem, Objective
    from numopt.problems.prox import Zero
    res = numopt.minimize(lambda x: float(np.sum((x - 1.0) ** 2)), np.zeros(3), method="prox-grad",
                          jac=lambda x: (calls.__setitem__("g", calls["g"] + 1), 2 * (x - 1.0))[1])
    assert res.njev == calls["g"] > 0
    calls["g"] = 0
    obj = Objective(f, np.zeros(3), jac=g)
    res = numopt.minimize(CompositeProblem(obj, Zero()), method="prox-grad")
    assert (res.nfev, res.njev) == (calls["f"], calls["g"])


def test_tol_sets_the_registered_options():
    rng = np.random.default_rng(0)
    p = Lasso(rng.standard_normal((30, 5)), rng.standard_normal(30), 0.05)
    loose = numopt.minimize(p, method="prox-grad", tol=1e-2)
    tight = numopt.minimize(p, method="prox-grad", tol=1e-12)
    assert loose.optimality <= 1e-2 and tight.optimality <= 1e-12 and tight.nit > loose.nit
    # an explicit option wins over tol
    res = numopt.minimize(p, method="prox-grad", tol=1e-12, options={"gtol": 1e-2})
    assert res.nit == loose.nit


def test_methods_filters_and_show_options(capsys):
    assert "prox-grad" in numopt.methods()
    assert numopt.methods(family="proximal") == ["prox-grad"]
    rng = np.random.default_rng(0)
    lasso = Lasso(rng.standard_normal((10, 3)), rng.standard_normal(10), 0.1)
    capable = numopt.methods(problem=lasso)
    assert "prox-grad" in capable and "bfgs" not in capable
    with pytest.raises(ValueError, match="unknown family"):
        numopt.methods(family="nope")
    text = numopt.show_options("FISTA", disp=False)
    assert "gtol" in text and "[set by tol]" in text
    numopt.show_options("L-BFGS-B")
    assert "maxcor" in capsys.readouterr().out


def test_disp_prints_an_iteration_table(capsys):
    rng = np.random.default_rng(0)
    p = Lasso(rng.standard_normal((30, 5)), rng.standard_normal(30), 0.05)
    numopt.minimize(p, method="prox-grad", options={"disp": True, "maxiter": 5})
    out = capsys.readouterr().out
    assert "optimality" in out and out.count("\n") >= 6


# ----------------------------------------------------------------------------- bad input
def _sq(x):
    return float(np.sum(x ** 2))


@pytest.mark.parametrize("method", ["prox-grad"])
def test_bad_x0(method):
    with pytest.raises(ValueError, match="x0 must be one-dimensional"):
        numopt.minimize(_sq, np.zeros((2, 2)), method=method)
    with pytest.raises(ValueError, match="x0 must be finite"):
        numopt.minimize(_sq, np.array([1.0, np.nan]), method=method)
    with pytest.raises(TypeError, match="x0 must be an array of real numbers"):
        numopt.minimize(_sq, ["a", "b"], method=method)


def test_bad_fun_and_jac():
    with pytest.raises(ValueError, match="fun must return a scalar"):
        numopt.minimize(lambda x: x, np.zeros(3), method="prox-grad")
    with pytest.raises(ValueError, match=r"jac must return an array of shape \(3,\)"):
        numopt.minimize(_sq, np.ones(3), method="prox-grad", jac=lambda x: np.ones(2))
    with pytest.raises(ValueError, match="objective is not finite at x0"):
        numopt.minimize(lambda x: np.nan, np.ones(3), method="prox-grad", jac=lambda x: np.ones(3))
    with pytest.raises(TypeError, match="fun must be callable"):
        numopt.minimize(3.0, np.ones(3))


def test_nan_during_the_run_returns_last_finite_iterate():
    def f(x):
        return float(np.sum(x ** 2)) if x[0] > 0.5 else np.nan

    res = numopt.minimize(f, np.ones(2), method="prox-grad", jac=lambda x: 2 * x,
                          options={"backtracking": False, "lipschitz": 4.0})
    assert res.status == Status.NUMERICAL_ERROR and not res.success
    assert np.all(np.isfinite(res.x)) and res.x[0] > 0.5


def test_unknown_method_and_options():
    with pytest.raises(ValueError, match=r"unknown method 'fist'.*Did you mean 'fista'.*Valid methods are:.*prox-grad"):
        numopt.minimize(_sq, np.ones(2), method="fist")
    with pytest.raises(ValueError, match=r"unknown option\(s\) 'maxiters'.*valid options are:.*maxiter"):
        numopt.minimize(_sq, np.ones(2), method="prox-grad", options={"maxiters": 3})
    with pytest.raises(TypeError, match="option 'maxiter' of method 'prox-grad' expects int"):
        numopt.minimize(_sq, np.ones(2), method="prox-grad", options={"maxiter": "ten"})
    with pytest.raises(ValueError, match="option 'restart'"):
        numopt.minimize(_sq, np.ones(2), method="prox-grad", options={"restart": "sometimes"})
    with pytest.raises(ValueError, match="tol must be a positive number"):
        numopt.minimize(_sq, np.ones(2), method="prox-grad", tol=-1.0)
    with pytest.raises(TypeError, match="options must be a dict"):
        numopt.minimize(_sq, np.ones(2), method="prox-grad", options=[("maxiter", 3)])


def test_method_that_cannot_handle_the_constraints():
    cons = {"type": "eq", "fun": lambda x: x[0] - 1.0}
    with pytest.raises(ValueError, match=r"method 'prox-grad' cannot solve .*cannot handle eq_constraints.*"
                                         r"Methods that can:.*slsqp"):
        numopt.minimize(_sq, np.ones(2), method="prox-grad", constraints=cons)
    rng = np.random.default_rng(0)
    lasso = Lasso(rng.standard_normal((10, 3)), rng.standard_normal(10), 0.1)
    with pytest.raises(ValueError, match="method 'bfgs' cannot solve .*nonsmooth"):
        numopt.minimize(lasso, method="bfgs")


def test_problem_objects_refuse_duplicate_derivatives():
    rng = np.random.default_rng(0)
    p = LeastSquares(rng.standard_normal((10, 3)), rng.standard_normal(10), x0=np.zeros(3))
    with pytest.raises(ValueError, match="jac must not be given when fun is a numopt problem"):
        numopt.minimize(p, jac=lambda x: x)
    with pytest.raises(ValueError, match="x0 must have length 3"):
        numopt.minimize(p, np.zeros(4))


def test_bounds_are_validated():
    with pytest.raises(ValueError, match=r"bounds are inconsistent: lb\[0\] = 2.0 > ub\[0\] = 1.0"):
        numopt.minimize(_sq, np.ones(2), method="prox-grad", bounds=[(2, 1), (0, 1)])
    with pytest.raises(ValueError, match="one \\(min, max\\) pair per variable"):
        numopt.minimize(_sq, np.ones(3), method="prox-grad", bounds=[(0, 1)] * 4)


def test_prox_grad_handles_bounds():
    c = np.array([2.0, -3.0, 0.5])
    res = numopt.minimize(lambda x: float(np.sum((x - c) ** 2)), np.zeros(3), method="prox-grad",
                          jac=lambda x: 2 * (x - c), bounds=[(0, 1), (-1, 1), (None, None)], tol=1e-10)
    np.testing.assert_allclose(res.x, [1.0, -1.0, 0.5], atol=1e-9)


def test_jac_true_and_args_reach_the_user_functions():
    def fg(x, c):
        return float(np.sum((x - c) ** 2)), 2 * (x - c)

    for method in ("prox-grad", "bfgs"):
        res = numopt.minimize(fg, np.zeros(2), args=(3.0,), jac=True, method=method, tol=1e-9)
        np.testing.assert_allclose(res.x, 3.0, atol=1e-7)
        assert res.success and res.numopt_status == Status.CONVERGED
    res = numopt.minimize(lambda x, c: float(np.sum((x - c) ** 2)), np.zeros(2), args=2.0, method="prox-grad")
    np.testing.assert_allclose(res.x, 2.0, atol=1e-5)      # a non-tuple args is wrapped, as in scipy
