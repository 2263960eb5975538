"""pytest plugin: run POT's own sinkhorn tests with numopt behind ``ot.sinkhorn`` & co.

``python -m pytest -p numopt.testing.swap_pot test_bregman.py ...`` (POT's test files, e.g. from
its sdist; they are not installed with the wheel) replaces, before the test modules are imported,
``ot.sinkhorn``, ``ot.sinkhorn2`` and ``ot.bregman.{sinkhorn, sinkhorn2, sinkhorn_knopp,
sinkhorn_log, greenkhorn, sinkhorn_stabilized, sinkhorn_epsilon_scaling}`` by numopt's functions
of the same names (:mod:`numopt.ot`). POT's internal callers (barycenters, empirical sinkhorn,
``ot.solve``) keep POT's own solvers. ``--pot-reference`` leaves POT untouched (the baseline run).

The plugin also provides what POT's ``test/conftest.py`` (not shipped in the sdist) gives its tests:
the ``nx`` fixture over POT's available backends and ``pytest.skip_arg`` / ``pytest.skip_backend``.
Load it in a separate process (as ``tests/test_dropin_pot.py`` does), never in a session that
uses POT as a reference.
"""
from __future__ import annotations

import functools

import pytest

#: the names swapped, in ``ot`` and ``ot.bregman``
SWAPPED = ("sinkhorn", "sinkhorn2", "sinkhorn_knopp", "sinkhorn_log", "greenkhorn", "sinkhorn_stabilized",
           "sinkhorn_epsilon_scaling")


def swap_pot() -> None:
    """Point POT's public sinkhorn names at numopt's."""
    import ot
    import ot.bregman

    import numopt.ot
    for name in SWAPPED:
        setattr(ot.bregman, name, getattr(numopt.ot, name))
        if hasattr(ot, name):
            setattr(ot, name, getattr(numopt.ot, name))


def _skip_arg(arg, value, reason=None, getter=lambda x: x):
    """Skip a test when its arguments ``arg`` (names) equal ``value`` (after ``getter``)."""
    names = tuple(arg) if isinstance(arg, (tuple, list)) else (arg,)
    values = tuple(value) if len(names) > 1 and isinstance(value, (tuple, list)) else (value,)
    getters = tuple(getter) if isinstance(getter, (tuple, list)) else (getter,) * len(names)
    reason = reason or f"Param {names} should be skipped for value {values}"

    def wrapper(function):
        @functools.wraps(function)
        def wrapped(*args, **kwargs):
            if all(n in kwargs and g(kwargs[n]) == v for n, v, g in zip(names, values, getters)):
                pytest.skip(reason)
            return function(*args, **kwargs)
        return wrapped
    return wrapper


def _backends():
    from ot.backend import get_backend_list
    return get_backend_list()


@pytest.fixture(params=_backends(), ids=str)
def nx(request):
    """POT's array backends available here (numpy only unless torch/jax/... are installed)."""
    return request.param


def pytest_addoption(parser) -> None:  # pragma: no cover - runs in the child pytest process
    parser.addoption("--pot-reference", action="store_true", help="run POT's tests against POT itself")


def pytest_configure(config) -> None:  # pragma: no cover - runs in the child pytest process
    pytest.skip_arg = _skip_arg
    pytest.skip_backend = functools.partial(_skip_arg, "nx", getter=str)
    if not config.getoption("--pot-reference"):
        swap_pot()
