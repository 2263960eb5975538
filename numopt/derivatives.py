r"""Derivative checking (public API).

:func:`check_grad` compares a gradient with central differences of ``fun``;
:func:`check_problem` checks every derivative oracle a problem has (gradient,
Hessian-vector product, constraint Jacobian, Lagrangian Hessian) at a point, along
random directions. Errors are relative: ``||a - b|| / max(1, ||b||)``.
"""
from __future__ import annotations

import numpy as np

from ._validation import as_vector

__all__ = ["check_grad", "check_problem", "fd_directional"]


def fd_directional(fun, x, d, h=None):
    """Central difference ``(fun(x + h d) - fun(x - h d)) / 2h`` (works for vector ``fun``)."""
    h = h if h is not None else np.cbrt(np.finfo(float).eps) * max(1.0, float(np.linalg.norm(x)))
    return (np.asarray(fun(x + h * d), dtype=float) - np.asarray(fun(x - h * d), dtype=float)) / (2.0 * h)


def _rel(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(1.0, float(np.linalg.norm(b))))


def check_grad(fun, grad, x0, *args, ndirections: int = 0, rng=None) -> float:
    """Relative error of ``grad`` against central differences of ``fun`` at ``x0``.

    With ``ndirections = 0`` (default) all coordinate directions are used (the full
    gradient is compared); otherwise that many random unit directions.

    >>> import numpy as np
    >>> check_grad(lambda x: np.sum(x**2), lambda x: 2*x, np.ones(3)) < 1e-6
    True
    """
    x = as_vector(x0, "x0")
    f = lambda z: fun(z, *args)
    g = np.asarray(grad(x, *args), dtype=float)
    if g.shape != x.shape:
        raise ValueError(f"grad must return shape {x.shape}, got {g.shape}")
    if ndirections <= 0:
        fd = np.array([fd_directional(f, x, e) for e in np.eye(x.size)])
        return _rel(g, fd)
    rng = np.random.default_rng(rng)
    D = rng.standard_normal((ndirections, x.size))
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    return _rel(D @ g, np.array([fd_directional(f, x, d) for d in D]))


def check_problem(problem, x=None, *, ndirections: int = 3, rng=None) -> dict:
    """Errors of each derivative oracle of ``problem`` at ``x`` (default: its ``x0``).

    Returns a dict with keys among ``grad``, ``hessp``, ``jac_eq``, ``jac_ineq``,
    ``hessp_lag``; each value is the worst relative error over the directions.
    """
    x = as_vector(problem.x0 if x is None else x, "x", size=problem.n)
    rng = np.random.default_rng(rng)
    D = rng.standard_normal((ndirections, problem.n))
    out = {}
    if "grad" in problem.oracles:
        g = problem.grad(x)
        out["grad"] = max(_rel(g @ d, fd_directional(problem.fun, x, d)) for d in D)
        if "hessp" in problem.oracles:
            out["hessp"] = max(_rel(problem.hessp(x, d), fd_directional(problem.grad, x, d)) for d in D)
    m_eq = getattr(problem, "m_eq", 0)
    if m_eq:
        J = problem.jac_eq(x)
        out["jac_eq"] = max(_rel(J @ d, fd_directional(problem.cons_eq, x, d)) for d in D)
        y = rng.standard_normal(m_eq)
        gl = lambda z: problem.grad(z) + problem.jac_eq(z).T @ y
        out["hessp_lag"] = max(_rel(problem.hessp_lag(x, y, d), fd_directional(gl, x, d)) for d in D)
    if getattr(problem, "m_ineq", 0):
        J = problem.jac_ineq(x)
        out["jac_ineq"] = max(_rel(J @ d, fd_directional(problem.cons_ineq, x, d)) for d in D)
    return out
