"""The IPOPT baseline of the benchmark runner (cyipopt-wheels, bench extra)."""
import numpy as np
import pytest

import numopt
from numopt.problems.hs import hs_problem

cyipopt = pytest.importorskip("cyipopt")
from numopt.bench.baselines import IPOPT  # noqa: E402


@pytest.mark.parametrize("name", ["hs7", "hs27", "hs47", "hs61", "hs79"])
def test_ipopt_reaches_the_published_optimum_with_exact_hessians(name):
    pb = hs_problem(name)
    res = numopt.minimize(pb, method=IPOPT)
    assert res.success and res.method == "ipopt"
    assert res.fun == pytest.approx(pb.f_opt, rel=1e-7, abs=1e-8)
    assert pb.constr_violation(res.x) <= 1e-8
    assert res.nfev > 0 and res.nhev > 0          # counted through the problem, exact Hessians used


def test_ipopt_on_a_sparse_pde_problem_matches_trust_constr():
    from numopt.problems.pde import PoissonControl
    a = numopt.minimize(PoissonControl(8), method=IPOPT)
    b = numopt.minimize(PoissonControl(8), method="trust-constr", options={"gtol": 1e-10, "xtol": 1e-14})
    assert a.success and a.fun == pytest.approx(b.fun, rel=1e-7)


def test_ipopt_reports_infeasibility_as_a_status():
    from numopt.problems import Objective, ScipyConstrainedProblem
    obj = Objective(lambda x: float(x @ x), np.array([1.0, 1.0]), jac=lambda x: 2 * x)
    con = {"type": "eq", "fun": lambda x: np.array([x[0] ** 2 + 1.0]), "jac": lambda x: np.array([[2 * x[0], 0.0]])}
    res = numopt.minimize(ScipyConstrainedProblem(obj, [con]), method=IPOPT, options={"maxiter": 200})
    assert not res.success and res.status_name in ("INFEASIBLE", "MAXITER", "NUMERICAL_ERROR")


def test_ipopt_options_are_validated():
    with pytest.raises(ValueError, match="hessian"):
        numopt.minimize(hs_problem("hs7"), method=IPOPT, options={"hessian": "bogus"})
    with pytest.raises(ValueError, match="unknown option"):
        numopt.minimize(hs_problem("hs7"), method=IPOPT, options={"max_iter": 3})
