"""No false success: faults, degenerate data and rescaled data end in the right status (issue 10).

Each test is a reproducer from a hostile-user fuzz run: a transient or persistent NaN from an
oracle, a rescaled problem that must give the same verdict, degenerate but valid data.
"""
import time

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import rosen, rosen_der

import numopt
from numopt.problems import ConvexReLU, FederatedWLS, Lasso
from numopt.problems.hs import hs_problem
from numopt.result import Status


def test_transient_nan_from_fun_is_not_success():
    c = [0]

    def f(x):
        c[0] += 1
        return float("nan") if c[0] == 3 else rosen(x)

    x0 = np.array([-1.2, 1.0])
    res = numopt.minimize(f, x0, jac=rosen_der, method="prox-grad")
    assert not res.success
    assert res.status in (Status.NUMERICAL_ERROR, Status.LINE_SEARCH_FAILED)
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)


def test_proxgrad_failed_backtracking_is_reported():
    # finite at x0, NaN everywhere else: no step can be accepted
    x0 = np.array([0.5, 0.5])
    f = lambda x: float(np.sum(x ** 2)) if np.array_equal(x, x0) else float("nan")   # noqa: E731
    res = numopt.minimize(f, x0, jac=lambda x: 2 * x, method="prox-grad")
    assert res.status == Status.LINE_SEARCH_FAILED and not res.success
    np.testing.assert_array_equal(res.x, x0)


def test_rescaled_lasso_gives_the_same_answer_and_verdict_with_proxgrad():
    X = np.random.default_rng(0).standard_normal((20, 5))
    y = X @ np.array([1.0, -2.0, 0.0, 0.0, 3.0])
    ref = numopt.minimize(Lasso(X, y, 1e-3), method="prox-grad", tol=1e-10)
    small = numopt.minimize(Lasso(1e-4 * X, 1e-4 * y, 1e-11), method="prox-grad", tol=1e-10)
    assert ref.success and small.success
    np.testing.assert_allclose(small.x, ref.x, atol=1e-6)
    assert small.nit > 1


def test_rank_deficient_federated_wls_is_solved():
    res = numopt.minimize(FederatedWLS([np.array([[1.0, 2.0]])], [np.array([1.0])]), method="fed-admm")
    assert res.success
    assert res.x @ np.array([1.0, 2.0]) == pytest.approx(1.0, abs=1e-5)   # a minimizer (fit is exact)


def test_convex_relu_accepts_sparse_X_and_refuses_no_pattern():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    dense = numopt.minimize(ConvexReLU(X, y, 0.1, rng=0), method="relu-admm")
    sparse = numopt.minimize(ConvexReLU(sp.csr_matrix(X), y, 0.1, rng=0), method="relu-admm")
    np.testing.assert_allclose(sparse.x, dense.x)
    with pytest.raises(ValueError, match="n_hyperplanes"):
        ConvexReLU(X[:1], y[:1], 0.1, n_hyperplanes=1, rng=2)


class _Faulty:
    """Wrap an HS problem so one oracle turns non-finite after ``after`` calls."""

    def __init__(self, problem, oracle, after):
        self.pb, self.oracle, self.after, self.calls = problem, oracle, after, 0

    def install(self):
        pb, orig = self.pb, getattr(self.pb, self.oracle)

        def bad(*args):
            self.calls += 1
            out = orig(*args)
            return out * np.nan if self.calls > self.after else out
        setattr(pb, self.oracle, bad)
        return pb


@pytest.mark.parametrize("oracle,after", [("hess_lag", 1), ("hessp_lag", 0), ("jac_eq", 1), ("jac_eq", 2)])
def test_eal_non_finite_derivatives_end_in_numerical_error(oracle, after):
    pb = _Faulty(hs_problem("hs40"), oracle, after).install()
    res = numopt.minimize(pb, method="eal")
    assert res.status == Status.NUMERICAL_ERROR and not res.success
    assert np.all(np.isfinite(res.x))


def test_eal_honours_maxtime_inside_the_inner_solve():
    from numopt.problems.pde import PoissonControl
    pb = PoissonControl(12)
    t0 = time.perf_counter()
    res = numopt.minimize(pb, method="eal", options={"maxtime": 0.5, "gtol": 1e-12, "max_inner": 10 ** 9})
    elapsed = time.perf_counter() - t0
    assert res.status == Status.MAXTIME and not res.success
    assert elapsed < 0.5 + 5.0          # one sketch batch plus one line search, with a loaded machine


def test_consensus_local_failure_is_a_status_not_an_exception():
    from numopt.problems.splitting import make_scenario_consensus
    pb = make_scenario_consensus(n_scenarios=3, n=6, m=4, n_shared=2, rng=0)
    res = numopt.minimize(pb, method="consensus-admm", options={"local_maxiter": 2, "executor": "serial"})
    assert res.status == Status.INNER_MAXITER and not res.success
    assert "block" in res.message


def test_ot_methods_count_data_passes():
    from numopt.ot_generators import random_assignment
    pb = random_assignment(30, reg=0.05, seed=0)
    for m in ("sinkhorn", "sns"):
        res = numopt.minimize(pb, method=m)
        assert res.success and res.npass >= res.nit > 0


def test_scipy_pass_through_leaves_the_users_bounds_alone():
    """scipy broadcasts a Bounds object's lb/ub in place; numopt hands scipy a copy."""
    from scipy.optimize import Bounds
    b = Bounds(0.0, 1.0)
    before = (np.copy(b.lb), np.copy(b.ub))
    res = numopt.minimize(lambda x: float(np.sum((x - 2.0) ** 2)), np.zeros(3), method="L-BFGS-B", bounds=b)
    assert np.allclose(res.x, 1.0)
    assert np.array_equal(b.lb, before[0]) and np.array_equal(b.ub, before[1])


def test_a_nan_objective_at_the_returned_point_is_never_success():
    """notears recomputes the score after thresholding; a NaN there was reported CONVERGED
    (found by the long fuzz run). The driver now ends such a run with NUMERICAL_ERROR."""
    from numopt.dag import simulate_dag, simulate_parameter, simulate_sem
    from numopt.problems import DAGScore
    B = simulate_dag(5, 5, "ER", seed=0)
    X = simulate_sem(simulate_parameter(B, seed=0), 200, "gauss", seed=0)
    counted, calls = DAGScore(X, lambda1=0.1), {"n": 0, "poison": None}

    def counting(fun):
        def wrapped(x):
            calls["n"] += 1
            return float("nan") if calls["n"] == calls["poison"] else fun(x)
        return wrapped

    counted.fun = counting(counted.fun)
    clean = numopt.minimize(counted, method="notears")
    assert clean.success
    problem = DAGScore(X, lambda1=0.1)
    problem.fun = counting(problem.fun)
    calls.update(poison=calls["n"] * 2)       # the last call of the second run: the one in finalize
    res = numopt.minimize(problem, method="notears")
    assert calls["n"] == calls["poison"]
    assert not res.success and res.status_name == "NUMERICAL_ERROR"


def test_a_huge_unroll_honours_maxtime():
    """bilevel-itd's unrolled loop runs inside init; a hostile unroll=1e9 ran past maxtime (fuzz)."""
    import sys
    import time
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from catalogue import CATALOGUE
    problem, _ = CATALOGUE["bilevel-quadratic"]()
    t = time.perf_counter()
    res = numopt.minimize(problem, method="bilevel-itd", options={"unroll": 10 ** 9, "maxtime": 0.5})
    assert res.status_name == "MAXTIME" and time.perf_counter() - t < 5.0


def test_box_prox_refuses_a_point_of_another_shape():
    from numopt.problems import prox
    with pytest.raises(ValueError, match="Box lb has shape"):
        prox.Box(np.zeros(2), np.ones(2))(np.zeros(1))


def test_lasso_duality_gap_with_alpha_zero_is_the_least_squares_gap():
    """alpha = 0 scaled the dual point to zero, so the 'gap' equalled the objective (long fuzz run)."""
    from numopt.problems import Lasso
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 5)), rng.standard_normal(30)
    p = Lasso(X, y, alpha=0.0)
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    assert p.fun(w) > 0.1 and p.duality_gap(w) < 1e-12
    assert p.duality_gap(w + 0.1) > 1e-3


@pytest.mark.parametrize("constraints", [(), {"type": "eq", "fun": lambda x: 0.0}])
def test_an_empty_x0_is_refused_by_name(constraints):
    """x0 = [] reached the constraint normalisation and numpy broadcasting (fifth long fuzz run)."""
    from scipy.optimize import Bounds, LinearConstraint
    for kw in ({"bounds": Bounds(0.0, 1.0)}, {"constraints": LinearConstraint(np.ones((1, 1)), 0, 0)},
               {"constraints": constraints}):
        with pytest.raises(ValueError, match="x0 must have at least one element"):
            numopt.minimize(lambda x: 0.0, np.array([]), jac=lambda x: x, method="prox-grad", **kw)


@pytest.mark.parametrize("scale", [1.0, 1e21])
def test_simplex_projection_at_any_magnitude(scale):
    """A step of 1e21 gave IndexError in Simplex (no index passed the sorting test in rounding;
    sixth long fuzz run, extragradient); the numba twin returned a point off the simplex."""
    from numopt.problems.prox import Simplex
    from numopt.solvers.halpern._kernels import project_simplex
    v = -scale * np.array([1.079, 1.107, 1.096, 1.016, 0.956, 0.82, 0.896, 1.086])
    out = np.empty_like(v)
    project_simplex(v, 1.0, out)
    for x in (Simplex()(v), out):
        assert np.all(x >= 0) and abs(x.sum() - 1.0) < 1e-12
        assert np.argmax(x) == np.argmax(v)


def test_topo_search_with_a_nan_first_descent_reports_the_status():
    """A NaN score in the first descent of topo's search over starts raised IndexError when the
    best descent was looked up by value (NaN != NaN; fault injection in the fuzz suite)."""
    from numopt.dag import simulate_dag, simulate_sem
    from numopt.problems import DAGScore
    X = simulate_sem(simulate_dag(6, 6, "ER", seed=0), 100, seed=0)
    P = DAGScore(X)
    calls = [0]
    fun = P.fun

    def faulty(W):
        calls[0] += 1
        return float("nan") if calls[0] == 1 else fun(W)

    P.fun = faulty
    r = numopt.minimize(P, method="topo")
    assert not r.success and r.best_descent == 0
    r = numopt.minimize(DAGScore(X), method="topo", options=dict(maxiter=0))
    assert r.status_name == "MAXITER" and r.n_descents == 1


def test_topo_search_with_huge_restarts_and_perturb_honours_maxtime():
    """perturb = 1e9 ran a Python loop of 1e9 swaps per perturbation, past maxtime; restarts = 1e9
    built a plan list of 1e9 entries (long fuzz run after the dag3 merge)."""
    from numopt.dag import simulate_dag, simulate_sem
    from numopt.problems import DAGScore
    X = simulate_sem(simulate_dag(6, 6, "ER", seed=0), 100, seed=0)
    t = time.perf_counter()
    r = numopt.minimize(DAGScore(X), method="topo", options=dict(restarts=10**9, perturb=10**9, maxtime=1.0))
    assert time.perf_counter() - t < 5 and r.status_name == "MAXTIME"


def test_an_int_option_beyond_int64_is_no_limit():
    """restarts / inner_maxiter = 2**70 reached itertools (OverflowError) and a numba kernel
    (TypingError) in topo (ninth long fuzz run): int-only options are clamped at 2**62."""
    from numopt.dag import simulate_dag, simulate_sem
    from numopt.options import INT_CAP
    from numopt.problems import DAGScore
    X = simulate_sem(simulate_dag(6, 6, "ER", seed=0), 100, seed=0)
    for name in ("restarts", "inner_maxiter", "maxiter"):
        r = numopt.minimize(DAGScore(X), method="topo", options={name: 2 ** 70, "maxtime": 1.0})
        assert r.status_name in ("CONVERGED", "MAXTIME")
    assert INT_CAP == 2 ** 62


@pytest.mark.parametrize("shape", [(0, 0), (3, 0), (0, 2)])
def test_an_empty_design_is_refused_by_name(shape):
    """A 0 x 0 design reached a division by n_samples = 0 (tenth long fuzz run, ElasticNet)."""
    from numopt.problems import ElasticNet, Lasso, LogisticRegression
    X = np.zeros(shape)
    for make in (lambda: Lasso(X, np.zeros(shape[0]), 0.1), lambda: ElasticNet(X, np.zeros(shape[0]), 0.0),
                 lambda: LogisticRegression(X, np.ones(shape[0]))):
        with pytest.raises(ValueError, match="X must have at least one sample and one feature"):
            make()
