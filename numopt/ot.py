"""Entropic optimal transport in POT's calling convention, on numopt's solvers.

>>> import numpy as np, numopt.ot
>>> a = b = np.full(3, 1 / 3)
>>> M = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
>>> P = numopt.ot.sinkhorn(a, b, M, 0.05, method="sns")
>>> bool(np.allclose(P.sum(1), a, atol=1e-9) and P[0, 0] > 0.3)
True

* :func:`sinkhorn` returns the plan (like ``ot.sinkhorn``), :func:`sinkhorn2` the cost,
  :func:`solve` the full :class:`~numopt.OptimizeResult` (plan, potentials, dual objective,
  marginal error, iteration counts of both stages). All three go through :func:`numopt.minimize`
  on :class:`numopt.problems.EntropicOT`.
* ``method``: ``"sinkhorn"`` (absorption-stabilized scaling with log-domain fallback),
  ``"sns"`` (Sinkhorn-Newton-Sparse), or POT's names ``"sinkhorn_log"`` (log-domain sweeps) and
  ``"sinkhorn_stabilized"`` (same as ``"sinkhorn"``).
* ``stopThr`` bounds the L1 marginal error ``||P1 - a||_1 + ||P^T 1 - b||_1`` (POT checks the
  L2 norm of the column error only).
"""
from __future__ import annotations

import warnings

import numpy as np

__all__ = ["solve", "sinkhorn", "sinkhorn2", "ConvergenceWarning"]

_POT_NAMES = {"sinkhorn_log": ("sinkhorn", {"mode": "log"}), "sinkhorn_stabilized": ("sinkhorn", {})}


class ConvergenceWarning(RuntimeWarning):
    """The OT solver stopped before the requested marginal error."""


def solve(a, b, M, reg, method: str = "sinkhorn", *, x0=None, tol: float = 1e-9, maxiter: int | None = None,
          callback=None, options: dict | None = None):
    """Solve the entropic OT problem and return the :class:`~numopt.OptimizeResult`.

    Parameters
    ----------
    a, b : array_like
        Positive marginals summing to 1.
    M : array_like, shape (len(a), len(b))
        Cost matrix.
    reg : float
        Entropic regularization (POT's ``reg``).
    method : str
        ``"sinkhorn"``, ``"sns"``, ``"sinkhorn_log"`` or ``"sinkhorn_stabilized"``.
    x0 : array_like, optional
        Starting dual potentials ``concat(f, g)`` in cost units (e.g. ``res.x`` of an earlier run).
    tol : float
        Marginal error ``||P1 - a||_1 + ||P^T 1 - b||_1`` at which to stop (the option ``ctol``).
    maxiter : int, optional
        Iteration cap (Sinkhorn sweeps plus Newton steps); default: the method's.
    callback, options
        As in :func:`numopt.minimize`.
    """
    from ._minimize import minimize
    from .problems.ot import EntropicOT
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    name, extra = _POT_NAMES.get(method.lower(), (method, {}))
    opts = {**extra, **(options or {})}
    if maxiter is not None:
        opts["maxiter"] = maxiter
    problem = EntropicOT(a, b, M, reg)
    return minimize(problem, x0, method=name, tol=tol, callback=callback, options=opts)


def _warmstart_x0(warmstart, reg):
    if warmstart is None:
        return None
    if not (isinstance(warmstart, (tuple, list)) and len(warmstart) == 2):
        raise TypeError("warmstart must be a pair (log u, log v) of POT's log-scalings, "
                        f"got {type(warmstart).__name__}")
    return np.concatenate([np.asarray(warmstart[0], dtype=float), np.asarray(warmstart[1], dtype=float)]) * reg


def _run(a, b, M, reg, method, numItermax, stopThr, warmstart, callback, options, warn):
    res = solve(a, b, M, reg, method, x0=_warmstart_x0(warmstart, reg), tol=stopThr, maxiter=numItermax,
                callback=callback, options=options)
    if warn and not res.success:
        warnings.warn(f"numopt.ot: {res.method} stopped with marginal error {res.marginal_error:.3e} "
                      f"> stopThr = {stopThr:g}: {res.message}", ConvergenceWarning, stacklevel=3)
    return res


def sinkhorn(a, b, M, reg, method: str = "sinkhorn", numItermax: int | None = None, stopThr: float = 1e-9,
             warmstart=None, callback=None, options: dict | None = None, warn: bool = True) -> np.ndarray:
    """The entropic OT plan (POT's ``ot.sinkhorn`` argument order).

    ``warmstart`` follows POT: the pair ``(log u, log v) = (f / reg, g / reg)``. A run that stops
    before ``stopThr`` returns its last (finite) plan and, with ``warn``, issues a
    :class:`ConvergenceWarning`; use :func:`solve` for the status and certificates.
    """
    return _run(a, b, M, reg, method, numItermax, stopThr, warmstart, callback, options, warn).plan


def sinkhorn2(a, b, M, reg, method: str = "sinkhorn", numItermax: int | None = None, stopThr: float = 1e-9,
              warmstart=None, callback=None, options: dict | None = None, warn: bool = True,
              regularized: bool = True) -> float:
    r"""The entropic OT cost of the computed plan.

    ``regularized=True``: ``<M, P> + reg sum P log P`` (the objective, equal to the dual optimum);
    ``regularized=False``: ``<M, P>`` only (what POT's ``ot.sinkhorn2`` returns).
    """
    res = _run(a, b, M, reg, method, numItermax, stopThr, warmstart, callback, options, warn)
    return float(res.cost if regularized else res.transport_cost)
