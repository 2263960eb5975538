"""Run one of scipy's methods and translate its result into numopt's vocabulary."""
from __future__ import annotations

import inspect

import numpy as np

from ...driver import wrap_callback
from ...result import OptimizeResult, Status

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

#: Per-method translation of scipy's raw status codes where the message alone is ambiguous.
_STATUS_MAP = {
    "trust-constr": {0: Status.MAXITER},
    "bfgs": {1: Status.MAXITER, 2: Status.INACCURATE, 3: Status.NUMERICAL_ERROR},
    "cg": {1: Status.MAXITER, 2: Status.INACCURATE, 3: Status.NUMERICAL_ERROR},
    "slsqp": {9: Status.MAXITER, 4: Status.INFEASIBLE, 6: Status.SINGULAR, 8: Status.LINE_SEARCH_FAILED},
}

_KEYWORDS = (("iteration", Status.MAXITER), ("evaluations", Status.MAXFEV), ("nan", Status.NUMERICAL_ERROR),
             ("incompatible", Status.INFEASIBLE), ("infeasible", Status.INFEASIBLE),
             ("singular", Status.SINGULAR), ("line search", Status.LINE_SEARCH_FAILED),
             ("linesearch", Status.LINE_SEARCH_FAILED))


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
    if stopped:
        return Status.CALLBACK_STOP
    if res.get("success", False):
        return Status.CONVERGED
    raw = res.get("status")
    mapped = _STATUS_MAP.get(method, {}).get(raw)
    if mapped is not None:
        return mapped
    msg = str(res.get("message", "")).lower()
    for word, status in _KEYWORDS:
        if word in msg:
            return status
    if not np.isfinite(res.get("fun", np.nan)):
        return Status.NUMERICAL_ERROR
    return Status.INACCURATE


def to_numopt_result(res, method: str, stopped: bool) -> OptimizeResult:
    """A scipy result (or any mapping with ``x``) as numopt's result; scipy's fields are kept."""
    status = translate_status(method, res, stopped)
    fields = dict(res)
    raw_status, raw_message = fields.pop("status", None), fields.pop("message", "")
    fields.pop("success", None)
    if "method" in fields:                      # trust-constr names its sub-algorithm here
        fields["method_detail"] = fields.pop("method")
    x = np.asarray(fields.pop("x"))
    fun = fields.pop("fun", np.nan)
    out = OptimizeResult.build(x=x, fun=float(np.asarray(fun).reshape(-1)[0]) if np.size(fun) else np.nan,
                               status=status, method=method,
                               nit=fields.pop("nit", 0) or 0, nfev=fields.pop("nfev", 0) or 0,
                               njev=fields.pop("njev", 0) or 0, nhev=fields.pop("nhev", 0) or 0)
    out.update(fields)
    out["method_status"] = raw_status
    out["method_message"] = raw_message
    return out


class ScipyMethod:
    """Callable that runs ``scipy.optimize.minimize(method=name)`` with a consistent callback."""

    def __init__(self, name: str, uses=()):
        self.name = name
        self.uses = frozenset(uses)

    def check_options(self, options: dict) -> dict:
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

    def run(self, kwargs: dict, x0, tol, callback, options) -> OptimizeResult:
        from scipy.optimize import minimize as sp_minimize
        user_cb = wrap_callback(callback)
        state = {"stopped": False, "x": None, "nit": 0}
        cb = None
        if user_cb is not None:
            def cb(intermediate_result):
                state["nit"] += 1
                r = intermediate_result
                if not isinstance(r, dict):         # TNC: scipy passes x only
                    r = {"x": np.asarray(r)}
                info = OptimizeResult(r)
                info.setdefault("nit", state["nit"])
                state["x"] = np.copy(info["x"])
                try:
                    user_cb(info)
                except StopIteration:
                    state["stopped"] = True
                    raise
            if self.name == "tnc":
                _new = cb
                cb = lambda xk: _new(xk)           # legacy form: TNC has no intermediate_result
        try:
            res = sp_minimize(x0=x0, method=self.name, tol=tol, callback=cb, options=options, **kwargs)
        except StopIteration:                       # methods that do not catch it (TNC)
            x = state["x"]
            fun = kwargs["fun"](x, *kwargs.get("args", ()))
            fun = fun[0] if kwargs.get("jac") is True else fun
            res = {"x": x, "fun": fun, "nit": state["nit"], "success": False, "status": None,
                   "message": "callback raised StopIteration"}
        return to_numopt_result(res, self.name, state["stopped"])
