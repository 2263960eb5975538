"""Reference problems for the registry-driven conformance sweep.

Each entry builds ``(problem, info)`` afresh; ``info`` may hold a known optimum ``f_opt``
and its source. The sweep runs every registered method on every entry it can solve.
"""
import numpy as np
from scipy.optimize import rosen, rosen_der, rosen_hess, rosen_hess_prod

from numopt.problems import (QP, Lasso, LeastSquares, LogisticRegression, Objective,
                             ScipyConstrainedProblem)


def _rosenbrock():
    return Objective(rosen, np.array([-1.2, 1.0]), jac=rosen_der, hess=rosen_hess,
                     hessp=rosen_hess_prod, name="rosenbrock"), {"f_opt": 0.0}


def _least_squares():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 5))
    y = X @ np.arange(1.0, 6.0) + 0.1 * rng.standard_normal(30)
    p = LeastSquares(X, y, x0=np.zeros(5))
    return p, {"f_opt": p.fun(p.solution())}


def _lasso():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 8))
    y = X[:, :3] @ np.array([2.0, -1.0, 0.5]) + 0.05 * rng.standard_normal(40)
    return Lasso(X, y, alpha=0.1), {}


def _logistic():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 4))
    y = np.where(X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.standard_normal(50) > 0, 1.0, -1.0)
    return LogisticRegression(X, y, penalty="l2", alpha=0.1), {}


def _bounded_quadratic():
    obj = Objective(lambda x: float(np.sum((x - np.array([2.0, -3.0, 0.5])) ** 2)), np.zeros(3),
                    jac=lambda x: 2 * (x - np.array([2.0, -3.0, 0.5])))
    return ScipyConstrainedProblem(obj, (), bounds=[(0, 1), (-1, 1), (None, None)], name="bounded-quadratic"), \
        {"f_opt": 1.0 + 4.0}


def _hs28():
    # Hock & Schittkowski (1981) problem 28: f* = 0 at (0.5, -0.5, 0.5)
    f = lambda x: (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2
    g = lambda x: np.array([2 * (x[0] + x[1]), 2 * (x[0] + x[1]) + 2 * (x[1] + x[2]), 2 * (x[1] + x[2])])
    obj = Objective(f, np.array([-4.0, 1.0, 1.0]), jac=g)
    con = {"type": "eq", "fun": lambda x: np.array([x[0] + 2 * x[1] + 3 * x[2] - 1]),
           "jac": lambda x: np.array([[1.0, 2.0, 3.0]])}
    return ScipyConstrainedProblem(obj, [con], name="hs28"), {"f_opt": 0.0}


def _qp():
    rng = np.random.default_rng(4)
    M = rng.standard_normal((6, 6))
    A = rng.standard_normal((3, 6))
    return QP(M @ M.T + np.eye(6), rng.standard_normal(6), A, -np.ones(3), np.ones(3), x0=np.zeros(6)), {}


def _tv1d():
    from numopt.problems import TotalVariation1D
    rng = np.random.default_rng(5)
    return TotalVariation1D(np.repeat([0.0, 1.0, -0.5], 10) + 0.1 * rng.standard_normal(30), lam=0.5), {}


def _entropic_ot():
    from numopt.ot_generators import random_assignment
    return random_assignment(n=12, reg=0.05, seed=0), {}


def _consensus():
    from numopt.problems.splitting import make_scenario_consensus
    return make_scenario_consensus(n_scenarios=3, n=6, m=4, n_shared=2, rng=0), {}


def _federated():
    from numopt.problems.splitting import FederatedWLS
    rng = np.random.default_rng(6)
    X = [rng.standard_normal((8, 3)) for _ in range(4)]
    return FederatedWLS(X, [x @ np.ones(3) + 0.1 * rng.standard_normal(8) for x in X]), {}


def _convex_relu():
    from numopt.problems.convex_relu import ConvexReLU
    rng = np.random.default_rng(7)
    X = np.hstack([rng.standard_normal((20, 2)), np.ones((20, 1))])
    return ConvexReLU(X, np.sign(X[:, 0] * X[:, 1] + 1e-9), beta=0.1, n_hyperplanes=6, rng=0), {}


def _bilevel_quadratic():
    from numopt.problems.bilevel import quadratic_bilevel
    return quadratic_bilevel(2, 4, n_samples=8, seed=0), {}


CATALOGUE = {
    "rosenbrock": _rosenbrock,
    "least-squares": _least_squares,
    "lasso": _lasso,
    "logistic-l2": _logistic,
    "bounded-quadratic": _bounded_quadratic,
    "hs28": _hs28,
    "qp": _qp,
    "tv1d": _tv1d,
    "entropic-ot": _entropic_ot,
    "consensus": _consensus,
    "federated-wls": _federated,
    "convex-relu": _convex_relu,
    "bilevel-quadratic": _bilevel_quadratic,
}
