"""Test-only solvers for the benchmark runner tests (custom methods with scipy's contract).

Imported by name (``"bench_plugins:raising_method"``) in suites written by the tests; the
tests directory is on ``sys.path`` under pytest and is put on ``PYTHONPATH`` for the CLI.
"""
import os
import time

import numpy as np
from scipy.optimize import OptimizeResult, minimize


def raising_method(fun, x0, **kw):
    raise RuntimeError("boom from a test solver")


def hanging_method(fun, x0, **kw):
    time.sleep(3600)


def crashing_method(fun, x0, **kw):
    os._exit(7)


def nan_method(fun, x0, **kw):
    x = np.full_like(np.asarray(x0, dtype=float), np.nan)
    return OptimizeResult(x=x, fun=np.nan, success=False, status=1, message="produced nan", nit=1, nfev=1)


def lying_method(fun, x0, **kw):
    """Claims convergence at the starting point."""
    return OptimizeResult(x=np.array(x0, dtype=float), fun=fun(x0), success=True, status=0,
                          message="converged (not really)", nit=0, nfev=1)


def slow_method(fun, x0, jac=None, **kw):
    """Sleeps, then solves with BFGS (for the kill-and-resume test)."""
    time.sleep(0.15)
    return minimize(fun, x0, jac=jac, method="BFGS")
