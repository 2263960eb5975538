"""Results: one status vocabulary for every method and a scipy-compatible result type."""
from __future__ import annotations

import enum

from scipy.optimize import OptimizeResult as _ScipyResult

__all__ = ["Status", "OptimizeResult", "MESSAGES", "UNIFIED_FIELDS"]


class Status(enum.IntEnum):
    """Why a run ended. Shared by every method, native or passed through to scipy.

    ``success`` is true exactly for ``CONVERGED``.
    """

    CONVERGED = 0
    MAXITER = 1
    MAXTIME = 2
    MAXFEV = 3
    CALLBACK_STOP = 4
    NUMERICAL_ERROR = 5
    INFEASIBLE = 6
    UNBOUNDED = 7
    INACCURATE = 8
    SINGULAR = 9
    LINE_SEARCH_FAILED = 10
    INNER_MAXITER = 11


#: The one table of status messages; a solver may append a detail after a colon.
MESSAGES = {
    Status.CONVERGED: "Optimization terminated successfully.",
    Status.MAXITER: "Maximum number of iterations reached.",
    Status.MAXTIME: "Time limit reached.",
    Status.MAXFEV: "Maximum number of function evaluations reached.",
    Status.CALLBACK_STOP: "Stopped by the callback (StopIteration).",
    Status.NUMERICAL_ERROR: "Numerical error: a non-finite value was produced; the last finite iterate is returned.",
    Status.INFEASIBLE: "The problem is infeasible (certificate in the result).",
    Status.UNBOUNDED: "The problem is unbounded (certificate in the result).",
    Status.INACCURATE: "Stopped before the requested accuracy was reached.",
    Status.SINGULAR: "Singular system: the constraint Jacobian is rank deficient (LICQ fails).",
    Status.LINE_SEARCH_FAILED: "The line search could not find an acceptable step.",
    Status.INNER_MAXITER: "The inner solver hit its iteration cap.",
}


#: numopt's own fields, present on every result (native, scipy pass-through, custom method).
#: For native methods ``status``/``message``/``success`` say the same; for scipy's methods those
#: three are scipy's, untouched, and these carry numopt's vocabulary.
UNIFIED_FIELDS = ("numopt_status", "status_name", "numopt_message", "method")


def status_message(status: Status, detail: str | None = None) -> str:
    """Message for ``status``, with an optional method-specific detail."""
    msg = MESSAGES[Status(status)]
    return f"{msg} ({detail})" if detail else msg


class OptimizeResult(_ScipyResult):
    """Result of :func:`numopt.minimize`: a :class:`scipy.optimize.OptimizeResult`.

    On every result, numopt's vocabulary: ``numopt_status`` (a :class:`Status`),
    ``status_name`` (its name), ``numopt_message`` and ``method`` (:data:`UNIFIED_FIELDS`).
    scipy's methods return scipy's own fields exactly (``status``, ``message``, ``success`` are
    scipy's codes; ``nit``/``njev``/... present only where scipy sets them).
    Native methods: ``x, fun, success, status, message, nit, nfev, njev, nhev, history``
    as well, with ``status == numopt_status`` and ``success == (numopt_status == CONVERGED)``. Families add certificates (``primal_residual``,
    ``dual_residual``, ``kkt_residual``, ``duality_gap``, ``marginal_error``,
    ``constr_violation``, ...). ``history`` is ``None`` unless the ``history`` option
    is set, then a dict of 1-D arrays, one entry per iteration.
    """

    @classmethod
    def build(cls, *, x, fun, status, method, nit=0, nfev=0, njev=0, nhev=0,
              history=None, detail=None, **extra) -> "OptimizeResult":
        status = Status(status)
        message = status_message(status, detail)
        res = cls(x=x, fun=fun, success=status == Status.CONVERGED, status=int(status),
                  numopt_status=status, status_name=status.name, message=message, numopt_message=message,
                  nit=int(nit), nfev=int(nfev), njev=int(njev), nhev=int(nhev),
                  method=method, history=history)
        res.update(extra)
        return res


def add_unified(res: OptimizeResult, status: Status, *, method: str, detail: str | None = None) -> OptimizeResult:
    """Add numopt's fields to a result built elsewhere (scipy's), leaving its own fields alone.

    ``method`` is set only if the result has none (trust-constr's names its sub-algorithm).
    """
    status = Status(status)
    res["numopt_status"] = status
    res["status_name"] = status.name
    res["numopt_message"] = status_message(status, detail)
    res.setdefault("method", method)
    return res
