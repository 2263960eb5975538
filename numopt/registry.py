"""The one registry of methods.

A solver registers itself with :func:`register` beside its code. Everything that lists
methods (``methods()``, ``show_options``, the CLI, the docs table, the conformance test
sweep) is derived from here. Families are sub-packages of :mod:`numopt.solvers`; they are
discovered and imported on first use, never at ``import numopt``.
"""
from __future__ import annotations

import difflib
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SolverSpec", "register", "get_spec", "methods", "show_options", "check_capable",
           "method_table", "STRUCTURES"]

#: Structure a problem can have that a solver must handle (see numopt.problems.base).
STRUCTURES = ("bounds", "eq_constraints", "ineq_constraints", "nonsmooth")

_SPECS: dict[str, "SolverSpec"] = {}
_ALIASES: dict[str, str] = {}
_loaded = False


@dataclass(frozen=True)
class SolverSpec:
    """What the registry knows about one method.

    Attributes
    ----------
    name : registry name (lower case).
    family : the family (sub-package of ``numopt.solvers``).
    solver : a class with ``solve(problem, x0, options, callback, spec)`` (native methods
        derive from :class:`numopt.driver.Solver`), or ``None`` for scipy's methods.
    options : the options dataclass (``None``: options are validated by the solver).
    aliases : other accepted names.
    requires : oracles the problem must provide (``"grad"``, ``"hessp"``, ``"prox"``, ...).
    supports : problem structure it handles (``"bounds"``, ``"eq_constraints"``, ...).
    tol_options : the options that ``tol=`` sets.
    auto_rank : order for ``method=None`` (lower first; ``None``: never chosen automatically).
    summary : one line for tables.
    work_unit : what its work counts mean (:mod:`numopt.work`): ``"evaluations"`` (``nfev``/``njev``
        are exact full evaluations) or ``"passes"`` (only ``npass``, data passes, is comparable).
    """

    name: str
    family: str
    solver: Any
    options: Any = None
    aliases: tuple = ()
    requires: frozenset = frozenset()
    supports: frozenset = frozenset()
    tol_options: tuple = ()
    auto_rank: int | None = None
    summary: str = ""
    work_unit: str = "evaluations"
    extra: dict = field(default_factory=dict)


def register(name: str, *, family: str, options=None, aliases=(), requires=(), supports=(),
             tol_options=(), auto_rank=None, summary: str | None = None, work_unit: str = "evaluations",
             **extra):
    """Class decorator registering a solver under ``name`` (and ``aliases``).

    Examples
    --------
    >>> @register("my-gd", family="demo", options=MyOptions, requires={"grad"})
    ... class MyGD(Solver): ...
    """
    from .work import WORK_UNITS
    if work_unit not in WORK_UNITS:
        raise ValueError(f"work_unit must be one of {WORK_UNITS}, got {work_unit!r}")

    def deco(cls):
        doc = (cls.__doc__ or "").strip().splitlines()
        spec = SolverSpec(name=name.lower(), family=family, solver=cls, options=options,
                          aliases=tuple(a.lower() for a in aliases), requires=frozenset(requires),
                          supports=frozenset(supports), tol_options=tuple(tol_options),
                          auto_rank=auto_rank, summary=summary or (doc[0] if doc else ""),
                          work_unit=work_unit, extra=extra)
        add_spec(spec)
        return cls
    return deco


def add_spec(spec: SolverSpec) -> None:
    """Add a spec (what ``register`` does; scipy's methods use it directly)."""
    for key in (spec.name, *spec.aliases):
        owner = _ALIASES.get(key)
        if owner is not None and owner != spec.name:
            raise ValueError(f"method name {key!r} is already registered by {owner!r}")
    _SPECS[spec.name] = spec
    for key in (spec.name, *spec.aliases):
        _ALIASES[key] = spec.name


def _load_families() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import numopt.solvers as pkg
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.ispkg and not info.name.startswith("_"):
            importlib.import_module(f"numopt.solvers.{info.name}")


def all_specs() -> list[SolverSpec]:
    _load_families()
    return list(_SPECS.values())


def get_spec(method: str) -> SolverSpec:
    """The spec of ``method`` (case-insensitive, aliases allowed); unknown names raise."""
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, a solver class or a callable, got {type(method).__name__}")
    _load_families()
    key = method.lower()
    if key not in _ALIASES:
        names = sorted(_ALIASES)
        close = difflib.get_close_matches(key, names, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"unknown method {method!r}.{hint} Valid methods are: {', '.join(sorted(_SPECS))}")
    return _SPECS[_ALIASES[key]]


def check_capable(spec: SolverSpec, problem) -> list[str]:
    """Reasons why ``spec`` cannot solve ``problem`` (empty list: it can)."""
    reasons = []
    missing_structure = sorted(set(problem.structure) - set(spec.supports))
    if missing_structure:
        reasons.append(f"it cannot handle {', '.join(missing_structure)}")
    missing_oracles = sorted(set(spec.requires) - set(problem.oracles))
    if missing_oracles:
        reasons.append(f"the problem does not provide {', '.join(missing_oracles)}")
    return reasons


def methods(family: str | None = None, problem=None) -> list[str]:
    """Registered method names, optionally only those of ``family`` or able to solve ``problem``.

    >>> import numopt
    >>> "prox-grad" in numopt.methods(family="proximal")
    True
    """
    specs = all_specs()
    if family is not None:
        families = {s.family for s in specs}
        if family not in families:
            raise ValueError(f"unknown family {family!r}; families are: {', '.join(sorted(families))}")
        specs = [s for s in specs if s.family == family]
    if problem is not None:
        specs = [s for s in specs if not check_capable(s, problem)]
    return sorted(s.name for s in specs)


def show_options(method: str, disp: bool = True) -> str | None:
    """Print (or return, with ``disp=False``) the documented options of ``method``."""
    spec = get_spec(method)
    if spec.options is None and spec.family == "scipy":
        from scipy.optimize import show_options as sp_show
        text = sp_show("minimize", spec.name, disp=False)
        text = f"{spec.name} (passed through to scipy.optimize.minimize; tol sets: scipy's rule)\n{text}"
    else:
        from .options import describe_options
        head = f"{spec.name} ({spec.family}): {spec.summary}\n"
        if spec.tol_options:
            head += f"tol sets: {', '.join(spec.tol_options)}\n"
        text = head + (describe_options(spec.options, spec.tol_options) if spec.options else "(no options)")
    if disp:
        import sys
        sys.stdout.write(text + "\n")
        return None
    return text


def method_table() -> str:
    """Markdown table of all methods (used by the README/docs and checked by a test)."""
    rows = ["| method | family | aliases | handles | tol sets | summary |", "|---|---|---|---|---|---|"]
    for s in sorted(all_specs(), key=lambda s: (s.family == "scipy", s.family, s.name)):
        rows.append(f"| `{s.name}` | {s.family} | {', '.join(s.aliases)} | "
                    f"{', '.join(sorted(s.supports)) or 'smooth, unconstrained'} | "
                    f"{', '.join(s.tol_options) or ('scipy rule' if s.family == 'scipy' else '-')} | {s.summary} |")
    return "\n".join(rows)
