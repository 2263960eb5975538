"""numopt: classical numerical optimization solvers behind one scipy-like facade.

>>> import numpy as np, numopt
>>> res = numopt.minimize(lambda x: float(np.sum((x - 2.0) ** 2)), np.zeros(2), method="bfgs")
>>> bool(res.success), res.status_name
(True, 'CONVERGED')

Submodules load lazily: ``import numopt`` imports scipy.optimize and nothing heavier
(no numba kernels, no cvxpy, no scikit-learn); families load on first use of a method.
"""
from __future__ import annotations

import importlib
import os

__version__ = "0.1.0"

_LAZY = {
    "minimize": ("numopt._minimize", "minimize"),
    "OptimizeResult": ("numopt.result", "OptimizeResult"),
    "Status": ("numopt.result", "Status"),
    "methods": ("numopt.registry", "methods"),
    "show_options": ("numopt.registry", "show_options"),
    "register": ("numopt.registry", "register"),
    "get_spec": ("numopt.registry", "get_spec"),
    "check_grad": ("numopt.derivatives", "check_grad"),
    "check_problem": ("numopt.derivatives", "check_problem"),
    "Solver": ("numopt.driver", "Solver"),
    "SolverState": ("numopt.driver", "SolverState"),
}
_PUBLIC_SUBMODULES = ("problems", "datasets", "registry", "driver", "linesearch", "options", "result", "stopping",
                      "derivatives", "solvers", "bench", "ot", "dag", "lipschitz", "cli")
_HERE = os.path.dirname(os.path.abspath(__file__))
# only those present in this installation (``from numopt import *`` must not name a missing one)
_SUBMODULES = {name for name in _PUBLIC_SUBMODULES
               if os.path.isfile(os.path.join(_HERE, name + ".py"))
               or os.path.isfile(os.path.join(_HERE, name, "__init__.py"))}

__all__ = sorted(_LAZY) + sorted(_SUBMODULES)


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        value = importlib.import_module(f"numopt.{name}")
        globals()[name] = value
        return value
    raise AttributeError(f"module 'numopt' has no attribute {name!r}")


def __dir__():
    return __all__
