"""The facade: ``numopt.minimize``. It validates, selects and converts; no algorithm lives here."""
from __future__ import annotations

import numpy as np

from ._validation import as_x0
from .driver import Solver
from .options import DriverOptions, make_options
from .problems.base import Objective, Problem
from .problems.constrained import ScipyConstrainedProblem, normalize_bounds
from .registry import SolverSpec, all_specs, check_capable, get_spec
from .result import OptimizeResult
from .solvers.scipy_methods.bridge import run_custom

__all__ = ["minimize"]

_NO_CONSTRAINTS = ((), [], None)


def _user_problem(fun, x0, args, jac, hess, hessp, bounds, constraints) -> Problem:
    """Wrap scipy-style callables into a problem object (counted, memoized)."""
    obj = Objective(fun, x0, jac=jac, hess=hess, hessp=hessp, args=args)
    has_cons = not (constraints is None or (isinstance(constraints, (list, tuple)) and len(constraints) == 0))
    if not has_cons and normalize_bounds(bounds, obj.n) is None:
        return obj
    return ScipyConstrainedProblem(obj, constraints if has_cons else (), bounds)


def _scipy_default(bounds, constraints) -> str:
    """scipy's own choice for ``method=None``: SLSQP with constraints, L-BFGS-B with bounds, else BFGS."""
    if not (constraints is None or (isinstance(constraints, (list, tuple)) and len(constraints) == 0)):
        return "slsqp"
    return "l-bfgs-b" if bounds is not None else "bfgs"


def _auto_select(problem: Problem) -> SolverSpec:
    ranked = sorted((s for s in all_specs() if s.auto_rank is not None), key=lambda s: s.auto_rank)
    for spec in ranked:
        if not check_capable(spec, problem):
            return spec
    raise ValueError(f"no registered method can solve {problem!r} "
                     f"(structure: {sorted(problem.structure)}, oracles: {sorted(problem.oracles)})")


def minimize(fun, x0=None, args=(), method=None, jac=None, hess=None, hessp=None, bounds=None,
             constraints=(), tol=None, callback=None, options=None) -> OptimizeResult:
    """Minimize a function: ``scipy.optimize.minimize`` with numopt's methods added.

    Parameters
    ----------
    fun : callable or numopt problem
        ``fun(x, *args) -> float`` as in scipy, or a problem object from
        :mod:`numopt.problems` (then ``jac``, ``hess``, ``hessp``, ``bounds`` and
        ``constraints`` come from the problem and must not be given).
    x0 : array_like, shape (n,)
        Starting point; may be omitted when ``fun`` is a problem with a default ``x0``.
    args, jac, hess, hessp, bounds, constraints, tol, callback
        As in :func:`scipy.optimize.minimize`. ``callback(intermediate_result)`` is called
        once per iteration by every numopt method; raising ``StopIteration`` ends the run
        with ``status == Status.CALLBACK_STOP``.
    method : str, solver class or callable, optional
        A registered name (``numopt.methods()``; case-insensitive, aliases allowed), any of
        scipy's names (passed through to scipy), a :class:`numopt.driver.Solver` subclass,
        or a callable with scipy's custom-method contract. ``None``: scipy's default for
        plain callables (BFGS, L-BFGS-B or SLSQP); for a problem object, the first
        registered method able to solve it. ``res.method`` says which ran.
    options : dict, optional
        Method options (``numopt.show_options(method)``). Unknown names raise ``ValueError``.

    Returns
    -------
    OptimizeResult
        ``x, fun, success, status, status_name, message, nit, nfev, njev, nhev, method,
        history`` and the method's certificates.

    Examples
    --------
    >>> import numpy as np, numopt
    >>> res = numopt.minimize(lambda x: np.sum((x - 1.0) ** 2), np.zeros(3))
    >>> res.method, bool(np.allclose(res.x, 1.0, atol=1e-6))
    ('bfgs', True)
    """
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict, got {type(options).__name__}")
    user_options = options
    options = dict(options or {})
    is_problem = isinstance(fun, Problem)
    is_custom = callable(method) and not (isinstance(method, type) and issubclass(method, Solver))
    spec = None
    if not is_custom:
        if isinstance(method, type):
            spec = getattr(method, "_numopt_spec", None) or SolverSpec(
                name=method.__name__.lower(), family="custom", solver=method,
                options=getattr(method, "Options", None), supports=frozenset(getattr(method, "supports", ())),
                requires=frozenset(getattr(method, "requires", ())))
        elif method is None:
            spec = get_spec(_scipy_default(bounds, constraints)) if not is_problem else None
        else:
            spec = get_spec(method)
    scipy_path = is_custom or (spec is not None and spec.family == "scipy")

    if not is_problem and scipy_path:
        # --- scipy's contract, unchanged: scipy validates and converts x0, args, options ---
        if not callable(fun):
            raise TypeError(f"fun must be callable or a numopt problem, got {type(fun).__name__}")
        if is_custom:
            return run_custom(method, fun, x0, args, jac, hess, hessp, bounds, constraints, tol, callback,
                              user_options)
        kw = {"fun": fun, "args": args, "jac": jac, "hess": hess, "hessp": hessp,
              "bounds": bounds, "constraints": constraints}
        spelled = method if isinstance(method, str) and method.lower() == spec.name else None
        return spec.solver.run(kw, x0, tol, callback, user_options,
                               method=spelled if method is not None else None)

    if is_problem:
        given = [n for n, v in (("jac", jac), ("hess", hess), ("hessp", hessp), ("bounds", bounds))
                 if v is not None] + (["constraints"] if constraints not in _NO_CONSTRAINTS else [])
        if given:
            raise ValueError(f"{', '.join(given)} must not be given when fun is a numopt problem "
                             f"(it provides them itself); got {', '.join(given)}")
        if args not in ((), None):
            raise ValueError("args must be empty when fun is a numopt problem")
        if x0 is None:
            if fun.x0 is None:
                raise ValueError(f"x0 is required: problem {fun.name!r} has no default starting point")
            x0 = fun.x0
        x0 = as_x0(x0, size=fun.n)
    else:
        if not callable(fun):
            raise TypeError(f"fun must be callable or a numopt problem, got {type(fun).__name__}")
        if x0 is None:
            raise ValueError("x0 is required when fun is a plain callable")
        x0 = as_x0(x0)
        args = args if isinstance(args, tuple) else (args,)

    problem = fun if is_problem else None
    if is_custom:                                   # a problem object handed to a custom method
        kw = fun.to_scipy()
        return run_custom(method, kw.pop("fun"), x0, (), kw.pop("jac", None), kw.pop("hess", None),
                          kw.pop("hessp", None), kw.pop("bounds", None), kw.pop("constraints", ()),
                          tol, callback, user_options)
    if spec is not None and spec.family == "scipy":
        reasons = check_capable(spec, problem)
        if reasons:
            raise ValueError(f"method {spec.name!r} cannot solve {problem!r}: {'; '.join(reasons)}")
        return spec.solver.run(spec.solver.from_problem(problem), x0, tol, callback, options)

    # --- a native method ----------------------------------------------------------------
    if problem is None:
        problem = _user_problem(fun, x0, args, jac, hess, hessp, bounds, constraints)
    if spec is None:
        spec = _auto_select(problem)
    if spec.family == "scipy":
        return minimize(problem, x0, method=spec.name, tol=tol, callback=callback, options=options)
    reasons = check_capable(spec, problem)
    if reasons:
        raise ValueError(f"method {spec.name!r} cannot solve {problem!r}: {'; '.join(reasons)}. "
                         f"Methods that can: {', '.join(_capable_names(problem)) or 'none'}")
    opts = make_options(spec.options or DriverOptions, options, method=spec.name, tol=tol,
                        tol_options=spec.tol_options)
    solver = spec.solver() if isinstance(spec.solver, type) else spec.solver
    return solver.solve(problem, x0, opts, callback=callback, method=spec.name)


def _capable_names(problem) -> list[str]:
    return sorted(s.name for s in all_specs() if not check_capable(s, problem))
