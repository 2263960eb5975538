"""Problem sources of the benchmark runner: a small registry.

A *source* turns a suite's ``[[problems]]`` entry into problem objects. It has two methods:

* ``select(**selection) -> list[str]``: the problem names a selection picks (cheap: no
  problem is built; used by the parent process and by ``numopt bench --list``);
* ``build(name, **params) -> BenchProblem``: one fresh problem instance (called in the
  isolated worker process, once per run, so counters start at zero).

and an optional ``available() -> str | None`` (``None`` when usable, else the reason).

Built-in sources (each imported lazily, on first use):

==================  ======================================================================
``models``          random least squares / lasso / logistic regression / QP instances from
                    the shared templates and the Rosenbrock function (no dependencies)
``hs``              the Hock-Schittkowski problems (``numopt.problems.hs``)
``cutest``          CUTEst problems through S2MPJ or pycutest (``numopt.bench.cutest``)
``libsvm``          LIBSVM data sets as learning problems (``numopt.datasets``)
``ot``              entropic OT instances (``numopt.ot_generators``)
``lipschitz``       random networks for ``lipsdp`` (``numopt.solvers.lipsdp.bench``)
``maros-meszaros``  the Maros-Meszaros convex QPs through S2MPJ, sparse
                    (``numopt.bench.maros_meszaros``)
``bilevel``         bilevel programs (``numopt.solvers.bilevel.bench``)
==================  ======================================================================

Solver families add their own generators with :func:`register_source` (an object or a
lazy ``"module:attribute"`` string), without editing the runner::

    from numopt.bench.sources import register_source
    register_source("ot", "numopt.ot.bench:OTSource")
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BenchProblem", "register_source", "get_source", "source_names", "resolve_object", "select_names",
           "problem_id"]


@dataclass
class BenchProblem:
    """A problem instance for the runner.

    Attributes
    ----------
    problem : numopt problem object (with a default ``x0``).
    f_ref : a trusted optimal value, or ``None`` when none is known (the success
        criterion then compares with the best value any solver found).
    reference : where ``f_ref`` comes from (citation).
    """

    problem: Any
    f_ref: float | None = None
    reference: str = ""
    meta: dict = field(default_factory=dict)


_SOURCES: dict[str, Any] = {
    "models": "numopt.bench.synthetic:ModelsSource",
    "hs": "numopt.bench.sources:HSSource",
    "cutest": "numopt.bench.sources:CUTEstSource",
    "libsvm": "numopt.bench.sources:LibsvmSource",
    "ot": "numopt.ot_generators:OTSource",
    "lipschitz": "numopt.solvers.lipsdp.bench:LipschitzSource",
    "maros-meszaros": "numopt.bench.maros_meszaros:MMSource",
    "bilevel": "numopt.solvers.bilevel.bench:BilevelSource",
}
_RESOLVED: dict[str, Any] = {}


def select_names(names, valid, kind: str) -> list[str]:
    """A source's ``select(names=...)``: ``None`` means all of ``valid``; a string is one name;
    unknown names raise a ``ValueError`` listing the valid ones (``kind`` names the source)."""
    names = list(valid) if names is None else ([names] if isinstance(names, str) else list(names))
    unknown = sorted(set(names) - set(valid))
    if unknown:
        raise ValueError(f"unknown {kind} problem(s) {unknown}; valid: {', '.join(valid)}")
    return names


def resolve_object(target: str):
    """Import ``"package.module:attribute"`` and return the attribute."""
    if not isinstance(target, str) or ":" not in target:
        raise ValueError(f"expected 'module:attribute', got {target!r}")
    module, _, attr = target.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def register_source(name: str, source) -> None:
    """Register a problem source under ``name`` (an object, a class, or ``"module:attr"``)."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"source name must be a non-empty string, got {name!r}")
    _SOURCES[name] = source
    _RESOLVED.pop(name, None)


def source_names() -> list[str]:
    return sorted(_SOURCES)


def get_source(name: str):
    """The source registered as ``name`` (resolved and instantiated on first use)."""
    if name not in _SOURCES:
        raise ValueError(f"unknown problem source {name!r}; sources are: {', '.join(source_names())}")
    if name not in _RESOLVED:
        obj = _SOURCES[name]
        if isinstance(obj, str):
            obj = resolve_object(obj)
        if isinstance(obj, type):
            obj = obj()
        for meth in ("select", "build"):
            if not callable(getattr(obj, meth, None)):
                raise TypeError(f"problem source {name!r} must have a {meth}() method")
        _RESOLVED[name] = obj
    return _RESOLVED[name]


def source_available(name: str) -> str | None:
    """``None`` when source ``name`` can be used, else why not (a missing package, ...)."""
    try:
        src = get_source(name)
    except ImportError as exc:
        return f"not installed ({exc})"
    check = getattr(src, "available", None)
    return check() if callable(check) else None


def problem_id(source: str, name: str, params: dict) -> str:
    """The stable identifier of a problem instance, e.g. ``models:lasso[alpha=0.1]``."""
    tail = ",".join(f"{k}={params[k]}" for k in sorted(params))
    return f"{source}:{name}" + (f"[{tail}]" if tail else "")


def natural_key(name: str):
    """Sort ``HS6`` before ``HS26``."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def _check_names(kind: str, names, known) -> list[str]:
    if isinstance(names, str):
        names = [names]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown {kind} problem(s) {unknown}; known: {', '.join(sorted(known, key=natural_key))}")
    return list(names)


def _module_available(module: str) -> str | None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return f"{module} is not available ({exc})"
    return None


class HSSource:
    """The Hock-Schittkowski problems of :mod:`numopt.problems.hs` with their published optima.

    Selection: ``names`` (default: all of ``HS_PROBLEMS``).
    """

    description = "Hock-Schittkowski problems (numopt.problems.hs), published optimal values"

    def available(self):
        return _module_available("numopt.problems.hs")

    def select(self, names=None) -> list[str]:
        known = importlib.import_module("numopt.problems.hs").HS_PROBLEMS
        if names is None:
            return sorted(known, key=natural_key)
        return _check_names("HS", names, known)

    def build(self, name: str) -> BenchProblem:
        p = importlib.import_module("numopt.problems.hs").hs_problem(name)
        return BenchProblem(p, f_ref=getattr(p, "f_opt", None), reference=getattr(p, "citation", ""))


class CUTEstSource:
    """CUTEst problems through :func:`numopt.bench.cutest.load_cutest` (S2MPJ or pycutest).

    Selection: ``names`` (a list, or ``"eq-paper"`` for the equality-constrained problems of
    the exact augmented Lagrangian paper, ``CUTEST_EQ_PAPER``), else the properties
    ``eq_only``, ``bounds``, ``n = [lo, hi]``, ``m = [lo, hi]`` of ``select_cutest``.
    Build parameters: ``backend`` (default ``"s2mpj"``) and the SIF parameters.
    The paper's problem sizes (``CUTEST_EQ_PAPER_PARAMS``, e.g. MANCINONE with N = 100) are
    used unless the suite sets SIF parameters. The SIF ``SOLTN`` values are not used as
    references (some are wrong): the reference is a re-verified optimum (``f_verified``:
    SLSQP and trust-constr agreeing to 10 digits) where one exists, else the success
    criterion compares with the best value any solver found.
    """

    description = "CUTEst problems (S2MPJ translations or pycutest), selected by name or properties"

    def available(self):
        return _module_available("numopt.bench.cutest")

    def select(self, names=None, **props) -> list[str]:
        mod = importlib.import_module("numopt.bench.cutest")
        if names == "eq-paper":
            return list(mod.CUTEST_EQ_PAPER)
        if names is not None:
            return [names] if isinstance(names, str) else list(names)
        props = {k: tuple(v) if isinstance(v, list) else v for k, v in props.items()}
        return list(mod.select_cutest(**props))

    def build(self, name: str, backend: str = "s2mpj", **params) -> BenchProblem:
        mod = importlib.import_module("numopt.bench.cutest")
        params = params or dict(mod.CUTEST_EQ_PAPER_PARAMS.get(name.upper(), {}))
        p = mod.load_cutest(name, backend=backend, **params)
        f_ref = getattr(p, "f_verified", None)
        return BenchProblem(p, f_ref=f_ref, reference="re-verified optimum (numopt.bench.cutest.F_VERIFIED)"
                            if f_ref is not None else "")


class LibsvmSource:
    """LIBSVM data sets (read from ``$NUMOPT_DATA``) as learning problems.

    Selection: ``names`` (data set names for :func:`numopt.datasets.load_libsvm`).
    Build parameters: ``model`` (``"logreg-l2"``, ``"logreg-l1"``, ``"lasso"``,
    ``"least-squares"``, ``"constrained-logreg"``) and ``alpha``.
    """

    description = "LIBSVM data sets (NUMOPT_DATA) as logistic regression / lasso / least squares"

    def available(self):
        return _module_available("numopt.datasets")

    def select(self, names=None) -> list[str]:
        if names is None:
            raise ValueError("source 'libsvm' needs select.names (the data sets to use)")
        return [names] if isinstance(names, str) else list(names)

    def build(self, name: str, model: str = "logreg-l2", **params) -> BenchProblem:
        mod = importlib.import_module("numopt.datasets")
        return BenchProblem(mod.libsvm_problem(name, model, **params))
