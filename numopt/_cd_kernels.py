r"""Scalar pieces of L1 coordinate descent shared by the families' numba kernels (bcd, dag).

* :func:`soft_threshold`: ``S_t(v) = sign(v) max(|v| - t, 0)``, the prox of ``t |.|``;
* :func:`l1_violation`: the coordinate KKT residual of ``f(w) + lam ||w||_1``,
  ``dist(-g_j, lam d|w_j|)`` with ``g_j = d f / d w_j``, i.e. ``|g_j + lam sign(w_j)|`` on the
  support and ``max(|g_j| - lam, 0)`` off it. It is zero exactly at the coordinate's
  optimality condition and propagates NaN (a NaN gradient gives a NaN residual).
"""
from __future__ import annotations

from ._jit import njit

__all__ = ["l1_violation", "soft_threshold"]


@njit
def soft_threshold(v, t):
    """``sign(v) max(|v| - t, 0)`` (``t >= 0``)."""
    if v > t:
        return v - t
    if v < -t:
        return v + t
    return 0.0


@njit
def l1_violation(g, w, lam):
    """``dist(-g, lam d|w|)`` for one coordinate (NaN in, NaN out)."""
    if w > 0.0:
        return abs(g + lam)
    if w < 0.0:
        return abs(g - lam)
    e = abs(g) - lam
    if e != e:
        return e
    return max(e, 0.0)
