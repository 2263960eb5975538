"""The benchmark runner (``numopt bench``): suites of problems and solvers, isolated timed runs,
incremental records, reports and performance/data profiles. See ``docs/bench.md``.

>>> from numopt.bench import load_suite
>>> load_suite("quick").name
'quick'
"""
from __future__ import annotations

import importlib

_LAZY = {
    "load_suite": ("numopt.bench.suite", "load_suite"),
    "builtin_suites": ("numopt.bench.suite", "builtin_suites"),
    "run_suite": ("numopt.bench.runner", "run_suite"),
    "write_reports": ("numopt.bench.report", "write_reports"),
    "read_records": ("numopt.bench.records", "read_records"),
    "register_source": ("numopt.bench.sources", "register_source"),
    "performance_profile": ("numopt.bench.profiles", "performance_profile"),
    "data_profile": ("numopt.bench.profiles", "data_profile"),
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'numopt.bench' has no attribute {name!r}")
