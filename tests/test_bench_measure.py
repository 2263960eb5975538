"""The runner's own measurements: constraint violation and KKT residuals at given points."""
import numpy as np

from numopt.bench.measure import constraint_violation, kkt_residual
from numopt.bench.synthetic import ModelsSource
from numopt.problems import Objective, ScipyConstrainedProblem


def test_equality_qp_kkt_zero_at_solution_positive_elsewhere():
    bp = ModelsSource().build("qp-eq", n_features=8, m=2, seed=3)
    p = bp.problem
    K = np.block([[p.P, p._A_eq.T], [p._A_eq, np.zeros((2, 2))]])
    x = np.linalg.solve(K, np.concatenate([-p.q, p.l[p._eq]]))[:8]
    assert abs(p.fun(x) - bp.f_ref) < 1e-12
    assert kkt_residual(p, x) < 1e-10 and constraint_violation(p, x) < 1e-12
    # a feasible but non-stationary point: project a shifted point back onto A x = b
    A, b = p._A_eq, p.l[p._eq]
    z = x + 1.0
    z -= A.T @ np.linalg.solve(A @ A.T, A @ z - b)
    assert constraint_violation(p, z) < 1e-10 and kkt_residual(p, z) > 1e-2


def test_bounds_use_signed_multipliers():
    obj = Objective(lambda x: float((x[0] - 2.0) ** 2), np.array([0.5]), jac=lambda x: 2 * (x - 2.0))
    p = ScipyConstrainedProblem(obj, (), [(0.0, 1.0)])
    assert kkt_residual(p, np.array([1.0])) < 1e-12          # upper bound active, multiplier 2 >= 0
    assert abs(kkt_residual(p, np.array([0.5])) - 3.0) < 1e-12
    assert abs(kkt_residual(p, np.array([0.0])) - 4.0) < 1e-12   # lower bound active with the wrong sign
    assert abs(constraint_violation(p, np.array([1.5])) - 0.5) < 1e-12


def test_composite_uses_prox_gradient_residual():
    p = ModelsSource().build("lasso", n_samples=30, n_features=6, seed=1).problem
    assert kkt_residual(p, np.zeros(6)) > 1e-3
    import numopt
    res = numopt.minimize(p, method="prox-grad", options={"gtol": 1e-10})
    assert kkt_residual(p, res.x) < 1e-8
