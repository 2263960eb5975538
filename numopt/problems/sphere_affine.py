r"""Smooth objectives under affine and unit-sphere equality constraints.

:class:`SphereAffineConstrained` wraps any :class:`~numopt.problems.SmoothProblem` ``f`` into

.. math:: \min_x f(x) \quad\text{s.t.}\quad A x = b,\ \ \|x\|^2 = r^2,

with ``c(x) = (A x - b, ||x||^2 - r^2)``, Jacobian ``[A; 2 x^T]`` and Lagrangian Hessian
``hess f + 2 lam_last I``. :func:`constrained_logistic` builds the constrained logistic
regression experiment of Hong, Na, Mahoney & Kolar (ICML 2023): the shared
:class:`~numopt.problems.LogisticLoss` template with ``A`` (``k x d``) and ``b`` standard
Gaussian, start ``x0 = 1`` and multipliers ``lam0 = 1``. The affine set must meet the sphere:
``||A^+ b|| <= r`` (checked), which for Gaussian data needs ``d`` well above ``k``.
"""
from __future__ import annotations

import numpy as np

from .constrained import ConstrainedProblem
from .models import LogisticLoss

__all__ = ["SphereAffineConstrained", "constrained_logistic"]


class SphereAffineConstrained(ConstrainedProblem):
    """``min f(x) s.t. A x = b, ||x||^2 = radius^2`` for a smooth problem ``f``.

    Parameters
    ----------
    objective : SmoothProblem
    A : array_like, shape (k, n)
    b : array_like, shape (k,)
    radius : float
    x0, lam0 : array_like, optional
        Starting point and multipliers (``lam0`` is used by ``method="eal"``).
    """

    def __init__(self, objective, A, b, radius: float = 1.0, x0=None, lam0=None, name=None):
        A = np.atleast_2d(np.asarray(A, dtype=float))
        b = np.asarray(b, dtype=float).reshape(-1)
        if A.shape != (b.size, objective.n):
            raise ValueError(f"A must have shape ({b.size}, {objective.n}) to match b and the objective, "
                             f"got {A.shape}")
        if not radius > 0:
            raise ValueError(f"radius must be > 0, got {radius!r}")
        x_min = np.linalg.lstsq(A, b, rcond=None)[0]
        if np.linalg.norm(A @ x_min - b) > 1e-8 * max(1.0, np.linalg.norm(b)) or np.linalg.norm(x_min) > radius:
            raise ValueError("the constraints are infeasible: {x : A x = b} does not meet the sphere "
                             f"(min-norm solution has norm {np.linalg.norm(x_min):.3g} > radius {radius:g})")
        super().__init__(objective.n, objective.x0 if x0 is None else x0,
                         name or f"SphereAffine({objective.name})")
        self.objective, self.A, self.b, self.radius = objective, A, b, float(radius)
        self.counts = objective.counts
        self.m_eq = b.size + 1
        if "hess" not in objective.oracles:
            self.hess_lag = None              # eal then builds it from hessp_lag
        self.lam0 = None if lam0 is None else np.asarray(lam0, dtype=float).reshape(self.m_eq)

    def _fun(self, x):
        return self.objective._fun(x)

    def _grad(self, x):
        return self.objective._grad(x)

    def _fun_and_grad(self, x):
        return self.objective._fun_and_grad(x)

    def _hessp(self, x, p):
        return self.objective._hessp(x, p)

    def _cons_eq(self, x):
        x = np.asarray(x, dtype=float)
        return np.concatenate([self.A @ x - self.b, [x @ x - self.radius ** 2]])

    def _jac_eq(self, x):
        return np.vstack([self.A, 2.0 * np.asarray(x, dtype=float)[None, :]])

    def hess_lag(self, x, y):
        """Hessian of the Lagrangian (when the objective has a Hessian matrix)."""
        self._count("nhev")
        H = self.objective._hess(x)
        return H + 2.0 * y[-1] * np.eye(self.n)

    def _hessp_lag(self, x, y, p):
        p = np.asarray(p, dtype=float)
        return self.objective._hessp(x, p) + 2.0 * y[-1] * p


def constrained_logistic(X, y, n_affine: int = 10, rng=None, name=None) -> SphereAffineConstrained:
    """The paper's constrained logistic regression on data ``(X, y)`` (labels +-1).

    ``A`` (``n_affine x d``) and ``b`` are drawn standard Gaussian from ``rng`` (int or
    Generator); start ``x0 = 1``, ``lam0 = 1``.
    """
    gen = np.random.default_rng(rng)
    loss = LogisticLoss(X, y)
    d = loss.n
    A = gen.standard_normal((n_affine, d))
    b = gen.standard_normal(n_affine)
    return SphereAffineConstrained(loss, A, b, 1.0, x0=np.ones(d), lam0=np.ones(n_affine + 1),
                                   name=name or f"constrained_logistic(d={d})")
