"""method="eal": fidelity to the reference code, statuses, invariants, facade."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import LinearConstraint, NonlinearConstraint
from scipy.optimize import minimize as sp_minimize

import numopt
from numopt.result import Status
from numopt.solvers.eal.merit import curvature_term, evaluate, merit_gradient, merit_value

from _eal_hs import local_hs

# Outer iteration counts of the reference code (IlgeeHong/AdaSketch-Newton, stored results
# CUTEst/Solution/AdaSketchNewton{RK,GV}1.mat), reference defaults, tol 1e-4.
REF_PROBLEMS = ["HS6", "HS7", "HS28", "HS40", "HS42", "HS47", "HS48", "HS50", "HS51", "HS52", "HS56",
                "HS77", "HS78", "HS79"]
REF_ITERS = {
    "kaczmarz": [9, 10, 1, 3, 4, 15, 1, 8, 1, 1, 5, 8, 4, 4],
    "gaussian": [9, 10, 1, 3, 4, 14, 1, 8, 1, 2, 5, 8, 4, 4],
}
CASES = [(name, sk, it) for sk, its in REF_ITERS.items() for name, it in zip(REF_PROBLEMS, its)]


def _check_fidelity(problem, f_opt, sketch, ref_nit):
    res = numopt.minimize(problem, method="eal", options={"sketch": sketch, "rng": 2023, "fidelity": "reference"})
    assert res.status == Status.CONVERGED, res.message
    assert abs(res.fun - f_opt) <= 1e-4 * max(1.0, abs(f_opt))
    assert res.kkt_residual <= 1e-4
    assert abs(res.nit - ref_nit) <= 2, (res.nit, ref_nit)
    return res


@pytest.mark.parametrize("name,sketch,ref_nit", CASES)
def test_fidelity_local_hs(name, sketch, ref_nit):
    p = local_hs(name)
    _check_fidelity(p, p.f_opt, sketch, ref_nit)


@pytest.mark.parametrize("name,sketch,ref_nit", CASES)
def test_fidelity_hs_collection(name, sketch, ref_nit):
    hs = pytest.importorskip("numopt.problems.hs")      # the benchmark collection, once merged
    p = hs.hs_problem(name)
    res = _check_fidelity(p, p.f_opt, sketch, ref_nit)
    assert res.constr_violation <= 1e-4


def test_hs61_licq_failure_is_singular():
    for opts in ({"fidelity": "reference"}, {"licq": "stop"}):
        res = numopt.minimize(local_hs("HS61"), method="eal", options=opts)
        assert res.status == Status.SINGULAR and not res.success
        assert "licq_tol" in res.message


def test_hs61_collection_licq_failure():
    hs = pytest.importorskip("numopt.problems.hs")
    res = numopt.minimize(hs.hs_problem("HS61"), method="eal", options={"fidelity": "reference"})
    assert res.status == Status.SINGULAR


@pytest.fixture(scope="module")
def runs():
    out = {}
    for name in ["HS6", "HS47", "HS77", "HS78"]:
        for sketch in ["kaczmarz", "gaussian", "block-kaczmarz"]:
            out[name, sketch] = numopt.minimize(local_hs(name), method="eal",
                                                options={"sketch": sketch, "rng": 1, "history": True})
    return out


def test_invariants_every_iteration(runs):
    saw_update = False
    for (name, _), res in runs.items():
        h = res.history
        assert res.success, (name, res.message)
        beta = 0.1
        k = slice(1, None)                              # row 0 is the starting point
        safeguard = (h["eta1"][k] > 1e8) | (h["eta2"][k] < 1e-8)
        # the descent inequality of the accepted direction
        assert np.all((h["slope"][k] <= h["descent_bound"][k] * (1 - 1e-12)) | safeguard)
        # Armijo on the merit
        assert np.all(h["merit_new"][k] <= h["merit"][k] + beta * h["alpha"][k] * h["slope"][k]
                      + 1e-12 * np.abs(h["merit"][k]))
        assert np.all(h["alpha"][k] > 0)
        # monotone penalty and accuracy parameters
        assert np.all(np.diff(h["eta1"]) >= 0)
        assert np.all(np.diff(h["eta2"]) <= 0)
        assert np.all(np.diff(h["delta"]) <= 0)
        assert np.all(h["delta"] >= 1e-6)
        assert np.all(np.diff(h["kappa"]) <= 0)             # the adaptive test only tightens
        saw_update |= bool(np.any(h["penalty_updates"][k] > 0))
    assert saw_update, "no run exercised a penalty update"


@pytest.mark.parametrize("name", ["HS7", "HS40", "HS47", "HS28"])
def test_merit_gradient_matches_finite_differences(name):
    p = local_hs(name)
    rng = np.random.default_rng(0)
    n, m = p.n, p.m_eq
    x = p.x0 + 0.1 * rng.standard_normal(n)
    lam = rng.standard_normal(m)
    eta1, eta2 = 2.3, 0.07

    def M(v):
        return merit_value(evaluate(p, v[:n], v[n:]), eta1, eta2)

    pt = evaluate(p, x, lam)
    grad = merit_gradient(pt, curvature_term(p, pt, "lagrangian"), eta1, eta2)
    v0 = np.concatenate([x, lam])
    h = 1e-6
    fd = np.array([(M(v0 + h * e) - M(v0 - h * e)) / (2 * h) for e in np.eye(n + m)])
    assert np.allclose(grad, fd, rtol=1e-5, atol=1e-6 * max(1.0, np.abs(fd).max()))
    # the reference code's objective-Hessian variant is exact only for linear constraints
    other = merit_gradient(pt, curvature_term(p, pt, "objective"), eta1, eta2)
    assert np.allclose(other, grad, rtol=1e-8, atol=1e-8) == (name == "HS28")


@pytest.mark.parametrize("name", ["HS7", "HS40", "HS56", "HS77", "HS79"])
def test_superlinear_mode(name):
    p = local_hs(name)
    res = numopt.minimize(p, method="eal", tol=1e-10,
                          options={"mode": "superlinear", "rng": 0, "history": True})
    assert res.success and res.kkt_residual <= 1e-10
    assert abs(res.fun - p.f_opt) <= 1e-6 * max(1.0, abs(p.f_opt))
    kkt = res.history["kkt_residual"]
    ratios = kkt[1:] / kkt[:-1]
    assert ratios[-1] < 1e-2 and ratios[-2] < 0.1, ratios
    theta = res.history["theta"][1:]
    assert theta[-1] < 1e-2 and np.all(np.diff(theta[-3:]) < 0)   # theta_k -> 0 is active


def test_objective_hessian_variant_same_iterations():
    for name in ["HS6", "HS47", "HS77"]:
        a = numopt.minimize(local_hs(name), method="eal", options={"rng": 3})
        b = numopt.minimize(local_hs(name), method="eal", options={"rng": 3, "merit_hessian": "objective"})
        assert a.success and b.success
        assert abs(a.nit - b.nit) <= 2


# -- statuses, options, reproducibility ------------------------------------------------------------
def test_maxiter_status_and_result_fields():
    res = numopt.minimize(local_hs("HS47"), method="eal", options={"maxiter": 3, "rng": 0})
    assert res.status == Status.MAXITER and res.nit == 3
    for key in ("multipliers", "kkt_residual", "constr_violation", "inner_iterations", "eta1", "eta2",
                "delta", "nfev", "njev", "constr_nfev", "constr_njev"):
        assert key in res, key
    assert res.multipliers.shape == (3,)


def test_inner_cap_status():
    # one sketch step per inner solve gives no usable direction on HS7's first iterate
    res = numopt.minimize(local_hs("HS7"), method="eal",
                          options={"max_inner": 1, "rng": 0, "eta1_max": 10.0, "maxiter": 200})
    assert res.status == Status.INNER_MAXITER, res.message


def test_rng_reproducible_and_generator_accepted():
    a = numopt.minimize(local_hs("HS77"), method="eal", options={"rng": 5})
    b = numopt.minimize(local_hs("HS77"), method="eal", options={"rng": 5})
    c = numopt.minimize(local_hs("HS77"), method="eal", options={"rng": np.random.default_rng(5)})
    assert a.inner_iterations == b.inner_iterations == c.inner_iterations
    assert np.array_equal(a.x, b.x) and np.array_equal(a.x, c.x)


@pytest.mark.parametrize("opts,exc,word", [
    ({"sketch": "sobolev"}, ValueError, "sketch"),
    ({"beta": 0.6}, ValueError, "beta"),
    ({"nu": 1.0}, ValueError, "nu"),
    ({"mode": "fast"}, ValueError, "mode"),
    ({"merit_hessian": "exact"}, ValueError, "merit_hessian"),
    ({"lam0": [1.0, 2.0]}, ValueError, "lam0"),
    ({"rng": "seed"}, TypeError, "rng"),
    ({"inner_cap": 3}, ValueError, "inner_cap"),
])
def test_bad_options(opts, exc, word):
    with pytest.raises(exc, match=word):
        numopt.minimize(local_hs("HS7"), method="eal", options=opts)


def test_lam0_and_callback_stop():
    seen = []

    def cb(intermediate_result):
        seen.append(intermediate_result.kkt_residual)
        if len(seen) == 2:
            raise StopIteration

    res = numopt.minimize(local_hs("HS7"), method="eal", callback=cb, options={"lam0": [0.3]})
    assert res.status == Status.CALLBACK_STOP and res.nit == 2 and len(seen) == 2


# -- through the facade, scipy-style ----------------------------------------------------------------
def _hs7_callables():
    f = lambda x: np.log(1 + x[0] ** 2) - x[1]
    g = lambda x: np.array([2 * x[0] / (1 + x[0] ** 2), -1.0])
    c = lambda x: np.array([(1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4])
    J = lambda x: np.array([[4 * x[0] * (1 + x[0] ** 2), 2 * x[1]]])
    return f, g, c, J


def test_facade_matches_trust_constr_hs7():
    f, g, c, J = _hs7_callables()
    res = numopt.minimize(f, [2.0, 2.0], method="eal", jac=g,
                          constraints=[{"type": "eq", "fun": c, "jac": J}], options={"rng": 0})
    ref = sp_minimize(f, [2.0, 2.0], method="trust-constr", jac=g,
                      constraints=[NonlinearConstraint(c, 0, 0, jac=J)])
    assert res.success and res.method == "eal"
    assert np.allclose(res.x, ref.x, atol=1e-4)
    assert abs(res.fun - ref.fun) <= 1e-6
    assert np.allclose(res.multipliers, ref.v[0], atol=1e-4)   # same sign convention as trust-constr


@pytest.mark.parametrize("name", ["HS42", "HS78"])
def test_facade_nonlinear_constraint_matches_trust_constr(name):
    p = local_hs(name)
    cons = [NonlinearConstraint(p.cons_eq, 0.0, 0.0, jac=p.jac_eq)]
    res = numopt.minimize(p.fun, p.x0, method="eal", jac=p.grad, constraints=cons, options={"rng": 0})
    ref = sp_minimize(p.fun, p.x0, method="trust-constr", jac=p.grad, constraints=cons)
    assert res.success
    assert np.allclose(res.x, ref.x, atol=1e-3)
    assert abs(res.fun - ref.fun) <= 1e-4 * max(1, abs(ref.fun))


def test_facade_linear_constraint_hs48():
    A = np.array([[1, 1, 1, 1, 1], [0, 0, 1, -2, -2.0]])
    f = lambda x: (x[0] - 1) ** 2 + (x[1] - x[2]) ** 2 + (x[3] - x[4]) ** 2
    g = lambda x: np.array([2 * (x[0] - 1), 2 * (x[1] - x[2]), -2 * (x[1] - x[2]), 2 * (x[3] - x[4]),
                            -2 * (x[3] - x[4])])
    res = numopt.minimize(f, [3, 5, -3, 2, -2.0], method="eal", jac=g,
                          constraints=[LinearConstraint(A, [5, -3], [5, -3])], options={"rng": 0})
    assert res.success and np.allclose(res.x, 1.0, atol=1e-4)
    assert res.constr_violation <= 1e-4


def test_facade_rejects_inequalities_and_bounds():
    f, g, c, J = _hs7_callables()
    with pytest.raises(ValueError, match="cannot handle ineq_constraints"):
        numopt.minimize(f, [2.0, 2.0], method="eal", jac=g, constraints=[{"type": "ineq", "fun": c}])
    with pytest.raises(ValueError, match="cannot handle bounds"):
        numopt.minimize(f, [2.0, 2.0], method="eal", jac=g, bounds=[(0, 3), (0, 3)],
                        constraints=[{"type": "eq", "fun": c, "jac": J}])
    assert "eal" in numopt.methods(family="eal")


def test_constrained_logistic_regression_matches_trust_constr():
    clr = pytest.importorskip("numopt.problems.constrained_logreg")   # benchmark collection, once merged
    rng = np.random.default_rng(0)
    X = rng.standard_normal((150, 40))
    y = np.where(X @ rng.standard_normal(40) + 0.5 * rng.standard_normal(150) > 0, 1.0, -1.0)
    P = clr.ConstrainedLogisticRegression(X, y, n_linear=5, seed=1)
    res = numopt.minimize(P, method="eal", options={"rng": 0})       # starts from P.y0 = 1
    ref = numopt.minimize(P, method="trust-constr")
    assert res.success and res.kkt_residual <= 1e-4
    assert abs(res.fun - ref.fun) <= 1e-6 and np.allclose(res.x, ref.x, atol=1e-3)


def test_problem_y0_is_the_default_start():
    p = local_hs("HS7")
    p.y0 = np.array([0.5])
    res = numopt.minimize(p, method="eal", options={"maxiter": 0})
    assert np.array_equal(res.multipliers, [0.5])
    res = numopt.minimize(p, method="eal", options={"maxiter": 0, "lam0": [0.25]})
    assert np.array_equal(res.multipliers, [0.25])
