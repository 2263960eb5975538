"""Run one of scipy's methods exactly as scipy does, and add numopt's unified status.

The pass-through is a drop-in: ``scipy.optimize.minimize`` receives the user's arguments
unchanged (``x0`` as given, scipy's own validation, casting and warnings, the user's
callback with its own signature) and its result comes back with every field scipy set,
unchanged: ``status``, ``message``, ``success``, the presence or absence of ``nit``, ``njev``,
... numopt adds only its own fields (see :data:`numopt.result.UNIFIED_FIELDS`):
``numopt_status`` (a :class:`~numopt.result.Status`), ``status_name``, ``numopt_message`` and
``method`` (the registry name; trust-constr keeps scipy's own ``method`` field, the name of
its sub-algorithm).
"""
from __future__ import annotations

import functools
import inspect

import numpy as np

from ...result import OptimizeResult, Status, add_unified

#: scipy's own ``minimize``, captured at import (before any test plugin swaps the public name).
from scipy.optimize._minimize import minimize as scipy_minimize  # noqa: E402
from scipy.optimize import Bounds  # noqa: E402

#: scipy's private entry point per method, used only to list valid option names.
_ENTRY = {
    "nelder-mead": "_minimize_neldermead", "powell": "_minimize_powell", "cg": "_minimize_cg",
    "bfgs": "_minimize_bfgs", "newton-cg": "_minimize_newtoncg", "l-bfgs-b": "_minimize_lbfgsb",
    "tnc": "_minimize_tnc", "cobyla": "_minimize_cobyla", "cobyqa": "_minimize_cobyqa",
    "slsqp": "_minimize_slsqp", "trust-constr": "_minimize_trustregion_constr",
    "dogleg": "_minimize_dogleg", "trust-ncg": "_minimize_trust_ncg",
    "trust-krylov": "_minimize_trust_krylov", "trust-exact": "_minimize_trustregion_exact",
}
_NOT_OPTIONS = {"fun", "x0", "args", "jac", "hess", "hessp", "bounds", "constraints", "callback"}

#: scipy 1.17's raw codes per method -> numopt's status (codes not listed: success flag, then message).
_STATUS_MAP = {
    "nelder-mead": {1: Status.MAXFEV, 2: Status.MAXITER, 3: Status.NUMERICAL_ERROR},
    "powell": {1: Status.MAXFEV, 2: Status.MAXITER, 3: Status.NUMERICAL_ERROR, 4: Status.INACCURATE},
    "cg": {1: Status.MAXITER, 2: Status.INACCURATE, 3: Status.NUMERICAL_ERROR},
    "bfgs": {1: Status.MAXITER, 2: Status.INACCURATE, 3: Status.NUMERICAL_ERROR},
    "newton-cg": {1: Status.MAXITER, 2: Status.LINE_SEARCH_FAILED, 3: Status.NUMERICAL_ERROR},
    "l-bfgs-b": {1: Status.MAXITER},               # 1 covers both maxiter and maxfun; message decides
    "tnc": {-1: Status.INFEASIBLE, 3: Status.MAXFEV, 4: Status.LINE_SEARCH_FAILED,
            5: Status.CONVERGED, 6: Status.INACCURATE, 7: Status.CALLBACK_STOP},
    "slsqp": {9: Status.MAXITER, 4: Status.INFEASIBLE, 6: Status.SINGULAR, 8: Status.LINE_SEARCH_FAILED},
    "cobyla": {2: Status.MAXFEV, 3: Status.INACCURATE, 30: Status.CALLBACK_STOP},
    "trust-constr": {0: Status.MAXITER, 3: Status.CALLBACK_STOP, 4: Status.INACCURATE},
    "dogleg": {1: Status.MAXITER, 2: Status.INACCURATE, 3: Status.NUMERICAL_ERROR},
    "trust-ncg": {1: Status.MAXITER, 2: Status.INACCURATE, 3: Status.NUMERICAL_ERROR},
    "trust-krylov": {1: Status.MAXITER, 2: Status.INACCURATE, 3: Status.NUMERICAL_ERROR},
    "trust-exact": {1: Status.MAXITER, 2: Status.INACCURATE, 3: Status.NUMERICAL_ERROR},
}

_KEYWORDS = (("stopiteration", Status.CALLBACK_STOP), ("callback", Status.CALLBACK_STOP),
             ("function evaluations", Status.MAXFEV), ("evaluations", Status.MAXFEV),
             ("iteration", Status.MAXITER), ("nan", Status.NUMERICAL_ERROR),
             ("incompatible", Status.INFEASIBLE), ("infeasible", Status.INFEASIBLE),
             ("singular", Status.SINGULAR), ("line search", Status.LINE_SEARCH_FAILED),
             ("linesearch", Status.LINE_SEARCH_FAILED), ("precision", Status.INACCURATE))


def valid_options(method: str) -> list[str] | None:
    """Option names scipy's ``method`` accepts (``None`` if they cannot be listed)."""
    try:
        from scipy.optimize import _minimize
        fn = getattr(_minimize, _ENTRY[method])
        params = list(inspect.signature(fn).parameters.values())
        if any(p.kind is p.VAR_KEYWORD and p.name == "trust_region_options" for p in params):
            from scipy.optimize._trustregion import _minimize_trust_region
            params += list(inspect.signature(_minimize_trust_region).parameters.values())
    except (AttributeError, KeyError, ImportError, ValueError, TypeError):  # pragma: no cover
        return None
    return sorted({p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD or p.kind is p.KEYWORD_ONLY
                   if p.name not in _NOT_OPTIONS | {"subproblem"}})


def translate_status(method: str, res, stopped: bool) -> Status:
    """numopt's :class:`Status` for a scipy (or custom-method) result ``res``.

    ``stopped``: the callback raised ``StopIteration`` (seen by the flagging wrapper), which wins
    over scipy's verdict (COBYQA reports such a stop as a success, scipy/scipy#23660).
    """
    if stopped:
        return Status.CALLBACK_STOP
    raw = res.get("status")
    if raw == 99:                                   # scipy's generic "callback raised StopIteration"
        return Status.CALLBACK_STOP
    if res.get("success", False):
        fun = res.get("fun", 0.0)
        finite = np.all(np.isfinite(np.asarray(res.get("x", 0.0), dtype=float))) and \
            np.all(np.isfinite(np.asarray(fun if fun is not None else np.nan, dtype=float)))
        return Status.CONVERGED if finite else Status.NUMERICAL_ERROR
    msg = str(res.get("message", "")).lower()
    if method == "l-bfgs-b" and raw == 1 and "evaluations" in msg:
        return Status.MAXFEV
    mapped = _STATUS_MAP.get(method, {}).get(raw)
    if mapped is not None:
        return mapped
    for word, status in _KEYWORDS:
        if word in msg:
            return status
    try:
        finite = bool(np.all(np.isfinite(np.asarray(res.get("fun", np.nan), dtype=float))))
    except (TypeError, ValueError):
        finite = False
    return Status.INACCURATE if finite else Status.NUMERICAL_ERROR


def with_unified(res, method: str, stopped: bool):
    """``res`` as a :class:`numopt.OptimizeResult`: every field kept, numopt's fields added.

    A result that is not a mapping (a custom method may return anything) is returned unchanged,
    as scipy would.
    """
    if not isinstance(res, dict):
        return res
    out = res if isinstance(res, OptimizeResult) else OptimizeResult(res)
    return add_unified(out, translate_status(method, res, stopped), method=method)


def flag_stop(callback):
    """``(wrapped, state)``: ``callback`` unchanged for scipy's introspection, noting ``StopIteration``.

    ``functools.wraps`` sets ``__wrapped__``, so ``inspect.signature`` (scipy's rule for
    ``intermediate_result``, trust-constr's ``(x, state)``, COBYLA's and COBYQA's own checks)
    sees the user's signature; the call is forwarded as scipy makes it.
    """
    state = {"stopped": False}
    if callback is None or not callable(callback):
        return callback, state

    @functools.wraps(callback)
    def wrapped(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except StopIteration:
            state["stopped"] = True
            raise

    return wrapped, state


class ScipyMethod:
    """Callable that runs ``scipy.optimize.minimize(method=name)`` unchanged."""

    def __init__(self, name: str, uses=()):
        self.name = name
        self.uses = frozenset(uses)

    def check_options(self, options: dict) -> dict:
        """Raise ``ValueError`` for options scipy's method does not take (benchmark suites use it;
        :func:`numopt.minimize` leaves unknown options to scipy, which warns)."""
        valid = valid_options(self.name)
        if valid is not None:
            unknown = sorted(set(options) - set(valid))
            if unknown:
                raise ValueError(f"unknown option(s) {', '.join(map(repr, unknown))} for method "
                                 f"{self.name!r}; valid options are: {', '.join(valid)}")
        return options

    def from_problem(self, problem) -> dict:
        """scipy keyword arguments for ``problem``, keeping only the derivatives this method uses."""
        kw = problem.to_scipy()
        for key in ("jac", "hess", "hessp"):
            if key not in self.uses:
                kw.pop(key, None)
        if "hess" in kw and "hessp" in kw:
            kw.pop("hessp")
        kw["constraints"] = [self._strip(c) for c in kw.get("constraints", [])]
        return kw

    def _strip(self, con):
        """Drop the constraint derivatives this method ignores (scipy warns about them)."""
        from scipy.optimize import NonlinearConstraint
        if not isinstance(con, NonlinearConstraint):
            return con
        jac = con.jac if "jac" in self.uses else "2-point"
        hess = con.hess if "hess" in self.uses else None
        if jac is con.jac and hess is con.hess:
            return con
        return NonlinearConstraint(con.fun, con.lb, con.ub, jac=jac, hess=hess)

    def run(self, kwargs: dict, x0, tol, callback, options, method=None) -> OptimizeResult:
        """``scipy.optimize.minimize(x0=x0, method=..., **kwargs)`` and the unified fields.

        ``method``: the spelling to hand scipy (default: the registry name); an exception scipy
        raises (bad input, or ``StopIteration`` from a TNC callback) propagates as in scipy.
        """
        cb, state = flag_stop(callback)
        kwargs = {**kwargs, "bounds": _private_bounds(kwargs.get("bounds"))}
        res = scipy_minimize(x0=x0, method=method or self.name, tol=tol, callback=cb, options=options,
                             **kwargs)
        return with_unified(res, self.name, state["stopped"])


def _private_bounds(bounds):
    """A copy of a ``Bounds`` object: scipy broadcasts ``lb``/``ub`` of the caller's object in
    place (a scalar ``Bounds(0, 1)`` comes back with arrays); numopt never mutates an input."""
    if isinstance(bounds, Bounds):
        return Bounds(np.copy(bounds.lb), np.copy(bounds.ub), keep_feasible=np.copy(bounds.keep_feasible))
    return bounds


def run_custom(method, fun, x0, args, jac, hess, hessp, bounds, constraints, tol, callback, options):
    """A callable ``method`` with scipy's custom-method contract, called through scipy itself."""
    cb, state = flag_stop(callback)
    res = scipy_minimize(fun, x0, args=args, method=method, jac=jac, hess=hess, hessp=hessp,
                         bounds=_private_bounds(bounds),
                         constraints=constraints, tol=tol, callback=cb, options=options)
    name = getattr(method, "__name__", type(method).__name__)
    return with_unified(res, name, state["stopped"])
