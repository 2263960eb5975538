"""pytest plugin: run another library's test suite with numopt behind its import.

``python -m pytest -p numopt.testing.swap --rootdir=$S --confcutdir=$S $S/optimize/tests/test_slsqp.py``
(``S`` = the installed scipy package directory)
runs scipy's installed tests with ``scipy.optimize.minimize`` replaced by :func:`numopt.minimize`
(before the test modules are imported, so both ``from scipy.optimize import minimize`` and
``optimize.minimize(...)`` reach numopt).
numopt's pass-through keeps the original function (captured in
:mod:`numopt.solvers.scipy_methods.bridge` before the swap), so scipy's methods still reach scipy.
The swap lives in the pytest process only; load the plugin in a separate process (as
``tests/test_dropin_suites.py`` does), never in a session that uses scipy as a reference.
"""
from __future__ import annotations


def swap_scipy() -> None:
    """Replace ``scipy.optimize.minimize`` by numopt's (scipy's internal callers are untouched)."""
    import scipy.optimize

    import numopt
    from numopt.solvers.scipy_methods import bridge
    assert bridge.scipy_minimize is not numopt.minimize
    scipy.optimize.minimize = numopt.minimize


def pytest_configure(config) -> None:  # pragma: no cover - runs in the child pytest process
    swap_scipy()
