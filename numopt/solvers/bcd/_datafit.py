"""The one dispatch point from a loss code to its datafit module (numba kernels).

``loss`` 0 is :mod:`._quadratic`, 1 is :mod:`._logistic`. Passing the datafit's functions
to the kernels as first-class arguments would remove this switch, but numba then misses its
on-disk cache in every new process (measured: the kernel recompiles, about 1 s per
process), so the kernels take the integer code and this module branches once per call.
"""
from __future__ import annotations

from ..._jit import njit
from . import _logistic, _quadratic

MODULES = (_quadratic, _logistic)


def module(loss: int):
    return MODULES[loss]


@njit
def value(loss, z, y):
    if loss == 0:
        return _quadratic.value(z, y)
    return _logistic.value(z, y)


@njit
def deriv(loss, z, y):
    if loss == 0:
        return _quadratic.deriv(z, y)
    return _logistic.deriv(z, y)


@njit
def curvature(loss, z, y):
    if loss == 0:
        return _quadratic.curvature(z, y)
    return _logistic.curvature(z, y)


@njit
def delta(loss, z, y, dz):
    """``phi(z + dz, y) - phi(z, y)`` computed without cancellation (line searches near the optimum)."""
    if loss == 0:
        return _quadratic.delta(z, y, dz)
    return _logistic.delta(z, y, dz)


@njit
def deriv_curv(loss, z, y):
    """``(phi'(z, y), phi''(z, y))`` in one evaluation (one sigmoid for the logistic loss)."""
    if loss == 0:
        return _quadratic.deriv_curv(z, y)
    return _logistic.deriv_curv(z, y)


@njit
def dual_term(loss, r, y, N, s):
    """Sample term of ``N D(-s rho / N)`` (see the datafit modules)."""
    if loss == 0:
        return _quadratic.dual_term(r, y, N, s)
    return _logistic.dual_term(r, y, N, s)


@njit
def value_deriv(loss, z, y):
    """``(phi(z, y), phi'(z, y))`` in one evaluation."""
    if loss == 0:
        return _quadratic.value_deriv(z, y)
    return _logistic.value_deriv(z, y)
