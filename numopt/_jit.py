"""The one numba shim. Kernels import ``njit`` and ``prange`` from here.

``njit`` compiles with ``cache=True`` (compiled code is reused across processes). Set the
environment variable ``NUMOPT_DISABLE_JIT=1`` to run kernels as plain Python (for
debugging and coverage); numba is then never imported.
"""
from __future__ import annotations

import os

__all__ = ["njit", "prange", "JIT_ENABLED"]

JIT_ENABLED = os.environ.get("NUMOPT_DISABLE_JIT", "0").lower() not in ("1", "true", "yes")

if JIT_ENABLED:
    import numba
    prange = numba.prange

    def njit(*args, **kwargs):
        """``numba.njit`` with ``cache=True`` (and ``fastmath=False``) by default."""
        kwargs.setdefault("cache", True)
        if args and callable(args[0]) and len(args) == 1 and not kwargs.get("_sig"):
            return numba.njit(**kwargs)(args[0])
        return numba.njit(*args, **kwargs)
else:
    prange = range

    def njit(*args, **kwargs):
        if args and callable(args[0]) and len(args) == 1:
            return args[0]
        return lambda f: f
