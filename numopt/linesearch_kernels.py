"""Jitted twins of :mod:`numopt.linesearch`'s tests, for numba kernels.

A kernel that backtracks inside compiled code (a coordinate Newton step, a Sinkhorn-Newton
step) imports :func:`armijo_accepts` from here, so compiled and Python code accept exactly the
same steps. Importing this module imports numba (unless ``NUMOPT_DISABLE_JIT=1``).
"""
from __future__ import annotations

from . import linesearch as _ls
from ._jit import njit

__all__ = ["armijo_accepts"]

armijo_accepts = njit(_ls.armijo_accepts)
