"""Jitted twins of :mod:`numopt.stopping`'s residual tests, for numba kernels.

A kernel that decides termination inside compiled code (the fused local QP solves of
``consensus-admm``) imports its tests from here, so compiled and Python code give exactly the
same verdicts. Importing this module imports numba (unless ``NUMOPT_DISABLE_JIT=1``).
"""
from __future__ import annotations

from . import stopping as _st
from ._jit import njit

__all__ = ["small_relative", "small_residual", "small_residuals"]

small_relative = njit(_st.small_relative)
small_residual = njit(_st.small_residual)
small_residuals = njit(_st.small_residuals)
