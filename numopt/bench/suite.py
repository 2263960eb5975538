"""Benchmark suites: TOML definitions of problems, solvers, tolerances, repeats and limits.

A suite is a built-in name (a file in ``numopt/bench/suites/``), a file ``problems/NAME.toml``
under the current directory, or a path to a ``.toml`` file. The format is documented in
``docs/bench.md``; :func:`load_suite` validates it and names any unknown key.
"""
from __future__ import annotations

import importlib
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10: the 'bench' extra installs tomli
    import tomli as tomllib

from .sources import get_source, problem_id, resolve_object, source_available, source_names

__all__ = ["Suite", "SolverEntry", "ProblemGroup", "Task", "load_suite", "builtin_suites", "find_suite"]

BUILTIN_DIR = Path(__file__).with_name("suites")

_SUITE_KEYS = {"name", "description", "repeats", "time_limit", "warmup", "warmup_maxiter",
               "warmup_time_limit", "tol", "time_metric", "blas_threads", "imports"}
_CRITERION_KEYS = {"ctol", "ftol"}
_PROBLEM_KEYS = {"source", "select", "params", "solvers"}
_SOLVER_KEYS = {"label", "method", "options", "tol"}


@dataclass(frozen=True)
class SolverEntry:
    """One solver of a suite: a label, a method (registered name or ``"module:callable"``), options."""

    label: str
    method: str
    options: dict = field(default_factory=dict)
    tol: float | None = None


@dataclass(frozen=True)
class ProblemGroup:
    """One ``[[problems]]`` entry: a source, a selection, build parameters, and its solvers."""

    source: str
    select: dict = field(default_factory=dict)
    params: tuple = ({},)
    solvers: tuple | None = None


@dataclass(frozen=True)
class Task:
    """One run: (problem, solver, repeat) with everything the isolated worker needs (picklable)."""

    suite: str
    source: str
    name: str
    params: dict
    solver: str
    method: str
    options: dict
    tol: float | None
    repeat: int
    time_limit: float
    warmup: bool
    warmup_maxiter: int
    warmup_time_limit: float
    blas_threads: int | None
    imports: tuple

    @property
    def problem(self) -> str:
        return problem_id(self.source, self.name, self.params)

    @property
    def key(self) -> str:
        """Identifies the run in the records (used by ``--resume``)."""
        return f"{self.problem}|{self.solver}|{self.repeat}"


@dataclass
class Suite:
    """A validated suite (see ``docs/bench.md`` for the TOML format)."""

    name: str
    description: str = ""
    problems: list = field(default_factory=list)
    solvers: list = field(default_factory=list)
    repeats: int = 1
    time_limit: float = 60.0
    warmup: bool = True
    warmup_maxiter: int = 2
    warmup_time_limit: float = 300.0
    tol: float | None = None
    time_metric: str = "cpu"
    blas_threads: int | None = 1
    imports: tuple = ()
    ctol: float = 1e-6
    ftol: float = 1e-6
    path: str = ""

    def solver(self, label: str) -> SolverEntry:
        for s in self.solvers:
            if s.label == label:
                return s
        raise ValueError(f"suite {self.name!r} has no solver {label!r}; solvers: "
                         f"{', '.join(s.label for s in self.solvers)}")

    def instances(self) -> list[tuple[str, str, dict, tuple]]:
        """``(source, name, params, solver labels)`` for every selected problem instance."""
        out = {}                                  # a problem named by two groups gets both solver lists
        for g in self.problems:
            labels = g.solvers if g.solvers is not None else tuple(s.label for s in self.solvers)
            if not labels:
                continue
            why = source_available(g.source)
            if why:
                raise ValueError(f"suite {self.name!r} needs the problem source {g.source!r}, which is "
                                 f"unavailable: {why}")
            for name in get_source(g.source).select(**g.select):
                for params in g.params:
                    pid = problem_id(g.source, name, params)
                    if pid in out:
                        old = out[pid][3]
                        labels_ = old + tuple(x for x in labels if x not in old)
                        out[pid] = (g.source, name, dict(params), labels_)
                    else:
                        out[pid] = (g.source, name, dict(params), labels)
        return list(out.values())

    def tasks(self) -> list[Task]:
        """All runs, ordered by problem, solver, repeat."""
        out = []
        for source, name, params, labels in self.instances():
            for label, r in itertools.product(labels, range(self.repeats)):
                s = self.solver(label)
                out.append(Task(suite=self.name, source=source, name=name, params=params, solver=label,
                                method=s.method, options=dict(s.options),
                                tol=s.tol if s.tol is not None else self.tol, repeat=r,
                                time_limit=self.time_limit, warmup=self.warmup,
                                warmup_maxiter=self.warmup_maxiter, warmup_time_limit=self.warmup_time_limit,
                                blas_threads=self.blas_threads, imports=tuple(self.imports)))
        return out

    def with_overrides(self, **changes) -> "Suite":
        """A copy with run settings changed (``repeats``, ``time_limit``, ...), validated."""
        changes = {k: v for k, v in changes.items() if v is not None}
        new = replace(self, **changes)
        _check_settings(new, f"suite {self.name!r}")
        return new


def builtin_suites() -> dict[str, Path]:
    """Built-in suite names and their files."""
    return {p.stem: p for p in sorted(BUILTIN_DIR.glob("*.toml"))}


def find_suite(name_or_path: str) -> Path:
    """The TOML file of a suite: a path, ``./problems/NAME.toml``, or a built-in name."""
    p = Path(name_or_path)
    if p.suffix == ".toml":
        if not p.is_file():
            raise ValueError(f"suite file {str(p)!r} does not exist")
        return p
    local = Path("problems") / f"{name_or_path}.toml"
    if local.is_file():
        return local
    builtins = builtin_suites()
    if name_or_path in builtins:
        return builtins[name_or_path]
    raise ValueError(f"unknown suite {name_or_path!r}: not a .toml file, not problems/{name_or_path}.toml, "
                     f"not a built-in suite ({', '.join(builtins)})")


def _unknown(keys, allowed, where):
    extra = sorted(set(keys) - allowed)
    if extra:
        raise ValueError(f"unknown key(s) {extra} in {where}; allowed: {', '.join(sorted(allowed))}")


def _positive(value, name, where, kind=(int, float)):
    if isinstance(value, bool) or not isinstance(value, kind) or not value > 0:
        raise ValueError(f"{where}: {name} must be a positive number, got {value!r}")


def _check_settings(s: Suite, where: str) -> None:
    if isinstance(s.repeats, bool) or not isinstance(s.repeats, int) or s.repeats < 1:
        raise ValueError(f"{where}: repeats must be an integer >= 1, got {s.repeats!r}")
    _positive(s.time_limit, "time_limit", where)
    _positive(s.warmup_time_limit, "warmup_time_limit", where)
    _positive(s.ctol, "ctol", where)
    _positive(s.ftol, "ftol", where)
    if s.tol is not None:
        _positive(s.tol, "tol", where)
    if s.time_metric not in ("cpu", "wall"):
        raise ValueError(f"{where}: time_metric must be 'cpu' or 'wall', got {s.time_metric!r}")
    if not isinstance(s.warmup, bool):
        raise ValueError(f"{where}: warmup must be true or false, got {s.warmup!r}")
    if s.blas_threads is not None:
        _positive(s.blas_threads, "blas_threads", where, int)


def _check_method(method: str, options: dict, tol, where: str) -> None:
    """The method exists and accepts ``options`` (checked here, not once per run)."""
    if ":" in method:
        obj = resolve_object(method)
        if not callable(obj):
            raise ValueError(f"{where}: method {method!r} is not callable")
        return
    from ..options import DriverOptions, make_options
    from ..registry import get_spec
    spec = get_spec(method)
    try:
        if spec.family == "scipy":
            spec.solver.check_options(options)
        else:
            make_options(spec.options or DriverOptions, options, method=spec.name, tol=tol,
                         tol_options=spec.tol_options)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{where}: {exc}") from None


def parse_suite(data: dict, name: str, path: str = "") -> Suite:
    """Validate the parsed TOML ``data`` of a suite and build a :class:`Suite`."""
    where = f"suite {name!r}" + (f" ({path})" if path else "")
    _unknown(data, {"suite", "criterion", "problems", "solvers"}, where)
    head = dict(data.get("suite", {}))
    _unknown(head, _SUITE_KEYS, f"[suite] of {where}")
    crit = dict(data.get("criterion", {}))
    _unknown(crit, _CRITERION_KEYS, f"[criterion] of {where}")
    imports = tuple(head.pop("imports", ()))
    for mod in imports:                          # plugins that register solvers or sources
        importlib.import_module(mod)
    solvers = []
    for i, s in enumerate(data.get("solvers", [])):
        w = f"[[solvers]] #{i + 1} of {where}"
        _unknown(s, _SOLVER_KEYS, w)
        if "method" not in s or not isinstance(s["method"], str):
            raise ValueError(f"{w}: 'method' (a string) is required")
        opts = s.get("options", {})
        if not isinstance(opts, dict):
            raise ValueError(f"{w}: options must be a table, got {type(opts).__name__}")
        _check_method(s["method"], opts, s.get("tol", head.get("tol")), w)
        solvers.append(SolverEntry(label=str(s.get("label", s["method"])), method=s["method"],
                                   options=dict(opts), tol=s.get("tol")))
    labels = [s.label for s in solvers]
    if not solvers:
        raise ValueError(f"{where} lists no [[solvers]]")
    if len(set(labels)) != len(labels):
        raise ValueError(f"{where}: solver labels must be unique, got {labels}")
    groups = []
    for i, g in enumerate(data.get("problems", [])):
        w = f"[[problems]] #{i + 1} of {where}"
        _unknown(g, _PROBLEM_KEYS, w)
        if "source" not in g:
            raise ValueError(f"{w}: 'source' is required")
        if g["source"] not in source_names():     # resolved lazily: an optional source may be absent
            raise ValueError(f"{w}: unknown source {g['source']!r}; sources: {', '.join(source_names())}")
        params = g.get("params", {})
        params = (params,) if isinstance(params, dict) else tuple(params)
        if not all(isinstance(p, dict) for p in params):
            raise ValueError(f"{w}: params must be a table or a list of tables")
        sel = g.get("select", {})
        if not isinstance(sel, dict):
            raise ValueError(f"{w}: select must be a table, got {type(sel).__name__}")
        gs = g.get("solvers")
        if gs is not None:
            missing = [x for x in gs if x not in labels]
            if missing:
                raise ValueError(f"{w}: solvers {missing} are not defined in [[solvers]] ({', '.join(labels)})")
            gs = tuple(gs)
        groups.append(ProblemGroup(source=g["source"], select=dict(sel), params=params, solvers=gs))
    if not groups:
        raise ValueError(f"{where} lists no [[problems]]")
    suite = Suite(name=head.pop("name", name), problems=groups, solvers=solvers, imports=imports, path=path,
                  **head, **crit)
    _check_settings(suite, where)
    return suite


def load_suite(name_or_path: str) -> Suite:
    """Load and validate a suite (built-in name, ``problems/NAME.toml`` or a path)."""
    path = find_suite(name_or_path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"suite file {str(path)!r} is not valid TOML: {exc}") from None
    return parse_suite(data, path.stem, str(path))
