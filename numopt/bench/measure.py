r"""What the runner measures at a solver's returned point, independently of the solver.

* :func:`constraint_violation`: max-norm violation of equalities, inequalities and bounds
  (``ConstrainedProblem.constr_violation``), or the distance to the feasible set of an
  indicator prox (max norm), else 0.
* :func:`kkt_residual`: for a composite ``f + g``, the prox-gradient fixed-point residual
  ``||x - prox_g(x - grad f(x))||_inf``; otherwise the stationarity residual with
  least-squares multipliers of the equalities and of the *active* inequalities and bounds
  (sign-constrained, :func:`scipy.optimize.lsq_linear`)

  .. math:: \min_{y,\ \lambda \ge 0,\ \mu \ge 0}\ \big\| \nabla f(x) - J_E(x)^T y - J_A(x)^T \lambda
            - \mu_l + \mu_u \big\|_\infty

  for ``c_I(x) >= 0`` (active: ``c_i(x) <= act``, ``act = max(10 ctol, 1e-6)``),
  reported as ``max(stationarity, violation)``. For unconstrained smooth problems it is
  ``||grad f(x)||_inf``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["constraint_violation", "kkt_residual"]


def _composite(problem):
    from ..problems.composite import CompositeProblem
    return isinstance(problem, CompositeProblem) and "nonsmooth" in problem.structure


def constraint_violation(problem, x) -> float:
    """Max-norm constraint violation of ``problem`` at ``x`` (0 for unconstrained problems)."""
    if hasattr(problem, "constr_violation"):
        return float(problem.constr_violation(x))
    prox = getattr(problem, "prox", None)
    if prox is not None and prox.is_indicator:
        return float(np.max(np.abs(x - prox(x, 1.0)), initial=0.0))
    return 0.0


def kkt_residual(problem, x, ctol: float = 1e-6) -> float:
    """First-order optimality residual of ``problem`` at ``x`` (see the module docstring)."""
    x = np.asarray(x, dtype=float)
    if _composite(problem):
        g = problem.smooth.grad(x)
        return float(np.max(np.abs(x - problem.prox(x - g, 1.0)), initial=0.0))
    g = np.asarray(problem.grad(x), dtype=float)
    cols, lower = [], []                  # columns of the multiplier fit, sign-constrained or free
    act = max(10.0 * ctol, 1e-6)
    if getattr(problem, "m_eq", 0):
        J = np.atleast_2d(problem.jac_eq(x))
        cols.append(J.T)
        lower += [-np.inf] * J.shape[0]
    if getattr(problem, "m_ineq", 0):
        c = np.asarray(problem.cons_ineq(x))
        active = c <= act
        if active.any():
            J = np.atleast_2d(problem.jac_ineq(x))[active]
            cols.append(J.T)
            lower += [0.0] * int(active.sum())
    bounds = getattr(problem, "bounds", None)
    if bounds is not None:
        lb, ub = bounds
        eye = np.eye(x.size)
        at_lo, at_hi = x - lb <= act, ub - x <= act
        if at_lo.any():
            cols.append(eye[:, at_lo])
            lower += [0.0] * int(at_lo.sum())
        if at_hi.any():
            cols.append(-eye[:, at_hi])
            lower += [0.0] * int(at_hi.sum())
    if not cols:
        return float(np.max(np.abs(g), initial=0.0))
    A = np.hstack(cols)
    lo = np.array(lower)
    if np.all(np.isneginf(lo)):
        z = np.linalg.lstsq(A, g, rcond=None)[0]
    else:
        from scipy.optimize import lsq_linear
        z = lsq_linear(A, g, bounds=(lo, np.full(lo.size, np.inf)), method="bvls").x
    stationarity = float(np.max(np.abs(g - A @ z), initial=0.0))
    return max(stationarity, constraint_violation(problem, x))
