r"""Scalar kernels of the separable term ``r`` of the plain engine (``reg``: ``0`` none, ``1``
``alpha ||x||_1``, ``2`` ``alpha 1^T x`` plus ``x >= 0``): its prox, value, the minimum-norm
subgradient (GS-s) and the prox-linear model decrease (GS-q) the selection rules score with."""
from __future__ import annotations

from ..._jit import njit

@njit
def _prox(v, thr, reg):
    if reg == 0:
        return v
    if reg == 1:
        if v > thr:
            return v - thr
        if v < -thr:
            return v + thr
        return 0.0
    return max(v - thr, 0.0)


@njit
def _regval(xi, alpha, reg):
    if reg == 0:
        return 0.0
    if reg == 1:
        return alpha * abs(xi)
    return alpha * xi


@njit
def _min_norm_subgrad(gi, xi, alpha, reg):
    """The minimum-norm element of ``grad_i f + partial r(x_i)`` (GS-s)."""
    if reg == 0:
        return gi
    if reg == 1:
        if xi > 0.0:
            return gi + alpha
        if xi < 0.0:
            return gi - alpha
        if gi > alpha:
            return gi - alpha
        if gi < -alpha:
            return gi + alpha
        return 0.0
    gg = gi + alpha
    if xi > 0.0:
        return gg
    return min(gg, 0.0)


@njit
def _gsq_score(gi, xi, L, alpha, reg):
    """Decrease of the prox-linear model ``g d + L/2 d^2 + r(x+d) - r(x)`` (GS-q)."""
    d = _prox(xi - gi / L, alpha / L, reg) - xi
    xn = xi + d
    if reg == 2 or (reg == 1 and ((xi > 0.0 and xn >= 0.0) or (xi < 0.0 and xn <= 0.0))):
        # r is linear between x and x + d: fold it into the slope (no cancellation)
        sl = gi + (-alpha if (reg == 1 and xi < 0.0) else alpha)
        return -d * (sl + 0.5 * L * d)
    return -(gi * d + 0.5 * L * d * d + _regval(xn, alpha, reg) - _regval(xi, alpha, reg))
