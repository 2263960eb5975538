r"""The entropic-OT plan ``P_ij = exp((f_i + g_j - C_ij) / reg)``: the one kernel that both
:class:`numopt.problems.EntropicOT` (certificates) and the OT solvers' kernels
(``numopt.solvers.ot._kernels.exp_kernel``, threaded and serial builds) use.

It lives beside the problem so that a problem module does not import a solver family's private
kernels; the solver family builds its dispatching version from :func:`_exp_kernel`.
"""
from __future__ import annotations

import types

import numpy as np

from .._jit import njit, prange

__all__ = ["FLUSH", "plan_into"]

#: Exponents below this are flushed to 0 in stored kernels: subnormal entries make every later
#: pass over the kernel ~10x slower, and e^-650 is far below double precision of a unit mass.
FLUSH = -650.0


def _exp_kernel(C, f, g, reg, out):
    """``out_ij = exp((f_i + g_j - C_ij) / reg)`` (the plan, or the absorbed kernel).

    Entries whose exponent is below ``FLUSH`` are stored as exact zeros (no subnormals).
    """
    n, m = C.shape
    inv = 1.0 / reg
    for i in prange(n):
        fi = f[i]
        for j in range(m):
            t = (fi + g[j] - C[i, j]) * inv
            out[i, j] = np.exp(t) if t > FLUSH else 0.0


# The serial build, compiled from a renamed copy exactly as the OT family's dispatcher does for its
# serial variant, so numba's on-disk cache (keyed by qualified name) never mixes it with the
# threaded build of ``_exp_kernel``.
_serial = types.FunctionType(_exp_kernel.__code__, _exp_kernel.__globals__, "_exp_kernel_serial",
                             _exp_kernel.__defaults__, _exp_kernel.__closure__)
_serial.__qualname__ = "_exp_kernel_serial"
plan_into = njit(_serial)
plan_into.__doc__ = _exp_kernel.__doc__
