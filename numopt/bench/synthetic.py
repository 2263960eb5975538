r"""The built-in, dependency-free problem source ``models``: seeded random instances of the
shared model templates (:mod:`numopt.problems.models`) and the Rosenbrock function.

============== ======================================================== ===================
name           problem                                                  reference ``f_ref``
============== ======================================================== ===================
least-squares  ``LeastSquares(X, y)``                                   ``lstsq`` solution
lasso          ``Lasso(X, y, alpha)``, ``alpha = ratio * alpha_max``     none (best found)
logreg-l2      ``LogisticRegression(X, sign(y), "l2", alpha)``          none (best found)
logreg-l1      ``LogisticRegression(X, sign(y), "l1", alpha)``          none (best found)
qp-eq          ``QP(P, q, A, b, b)``, ``P = M M^T + I``                  KKT linear system
rosenbrock     ``scipy.optimize.rosen`` in ``n`` variables from          0 (Rosenbrock 1960)
               ``(-1.2, 1, -1.2, 1, ...)``
============== ======================================================== ===================

Parameters (all optional): ``n_samples`` (200), ``n_features`` (50), ``seed`` (0),
``alpha`` (logistic: 1e-2), ``ratio`` (lasso: 0.1), ``m`` (qp-eq: ``n_features // 4``),
``n`` (rosenbrock: 10). ``X`` has i.i.d. N(0, 1) entries, ``y = X w + 0.1 noise`` with
``w`` having ``max(1, n_features // 10)`` nonzeros.
"""
from __future__ import annotations

import numpy as np

from .sources import BenchProblem, _check_names, problem_id

__all__ = ["ModelsSource"]


def _regression_data(n_samples: int, n_features: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_features))
    w = np.zeros(n_features)
    k = max(1, n_features // 10)
    w[rng.choice(n_features, k, replace=False)] = rng.standard_normal(k) * 2.0
    y = X @ w + 0.1 * rng.standard_normal(n_samples)
    return X, y


def _least_squares(n_samples=200, n_features=50, seed=0):
    from ..problems import LeastSquares
    X, y = _regression_data(n_samples, n_features, seed)
    p = LeastSquares(X, y, x0=np.zeros(n_features))
    f_ref = p._fun(p.solution())
    return p, f_ref, "least-squares solution (numpy.linalg.lstsq)"


def _lasso(n_samples=200, n_features=50, seed=0, ratio=0.1):
    from ..problems import Lasso
    X, y = _regression_data(n_samples, n_features, seed)
    alpha = ratio * float(np.max(np.abs(X.T @ y))) / n_samples
    return Lasso(X, y, alpha), None, ""


def _logreg(penalty):
    def make(n_samples=200, n_features=50, seed=0, alpha=1e-2):
        from ..problems import LogisticRegression
        X, y = _regression_data(n_samples, n_features, seed)
        labels = np.where(y >= np.median(y), 1.0, -1.0)
        return LogisticRegression(X, labels, penalty=penalty, alpha=alpha), None, ""
    return make


def _qp_eq(n_features=50, m=None, seed=0):
    from ..problems import QP
    n = n_features
    m = max(1, n // 4) if m is None else m
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n)) / np.sqrt(n)
    P = M @ M.T + np.eye(n)
    q = rng.standard_normal(n)
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    K = np.block([[P, A.T], [A, np.zeros((m, m))]])
    x = np.linalg.solve(K, np.concatenate([-q, b]))[:n]
    p = QP(P, q, A, b, b, x0=np.zeros(n))
    return p, p._fun(x), "solution of the KKT linear system"


def _rosenbrock(n=10):
    from scipy.optimize import rosen, rosen_der, rosen_hess
    from ..problems import Objective
    x0 = np.tile([-1.2, 1.0], (n + 1) // 2)[:n]
    return Objective(rosen, x0, jac=rosen_der, hess=rosen_hess, name="rosenbrock"), 0.0, \
        "Rosenbrock, Comput. J. 3 (1960) 175-184: minimum 0 at (1, ..., 1)"


_MODELS = {
    "least-squares": _least_squares,
    "lasso": _lasso,
    "logreg-l2": _logreg("l2"),
    "logreg-l1": _logreg("l1"),
    "qp-eq": _qp_eq,
    "rosenbrock": _rosenbrock,
}


class ModelsSource:
    """Seeded random instances of the shared model templates (see the module docstring)."""

    description = "random least squares / lasso / logistic / QP instances and Rosenbrock (built in)"

    def available(self):
        return None

    def select(self, names=None) -> list[str]:
        return list(_MODELS) if names is None else _check_names("models", names, _MODELS)

    def build(self, name: str, **params) -> BenchProblem:
        make = _MODELS[_check_names("models", name, _MODELS)[0]]
        try:
            problem, f_ref, ref = make(**params)
        except TypeError as exc:
            raise ValueError(f"bad parameters {params} for models problem {name!r}: {exc}") from None
        problem.name = problem_id("models", name, params)
        return BenchProblem(problem, f_ref=None if f_ref is None else float(f_ref), reference=ref)
