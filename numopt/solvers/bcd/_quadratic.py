r"""Datafit of least squares, per sample: ``phi(z, y) = 1/2 (z - y)^2`` (times ``1/N`` in ``f``).

One small datafit per loss (the model of skglm's ``datafits``): the scalar value, derivative
and curvature the coordinate kernels need, a bound of the curvature, and the Fenchel dual
used by duality gaps and gap safe screening. The kernels reach it through
:mod:`._datafit`, the only place that switches on the loss.

Dual (for ``P(w) = 1/(2N) ||y - X w||^2 + alpha ||w||_1`` and
``theta = -s rho / N`` with ``rho = z - y``):
``D(theta) = ||y||^2 / (2N) - N/2 ||y/N - theta||^2``, ``N``-strongly concave.
"""
from __future__ import annotations

import numpy as np

from ..._jit import njit

#: ``phi'' <= CURVATURE``: the coordinate Lipschitz constant is ``CURVATURE ||X_j||^2 / N``.
CURVATURE = 1.0
#: ``D`` is ``STRONG_CONCAVITY * N``-strongly concave in ``theta`` (gap safe sphere radius).
STRONG_CONCAVITY = 1.0


@njit
def value(z, y):
    r = z - y
    return 0.5 * r * r


@njit
def deriv(z, y):
    return z - y


@njit
def curvature(z, y):
    return 1.0


@njit
def value_deriv(z, y):
    r = z - y
    return 0.5 * r * r, r


@njit
def deriv_curv(z, y):
    """``(phi'(z, y), phi''(z, y))`` together."""
    return z - y, 1.0


@njit
def dual_term(r, y, N, s):
    """Sample ``i``'s term of ``N D(theta)`` at ``theta = -s r / N`` (``r = rho_i``):
    ``y^2 / 2 - (y + s r)^2 / 2`` (so ``D = (1/N) sum_i dual_term``)."""
    d = y + s * r
    return 0.5 * y * y - 0.5 * d * d


@njit
def delta(z, y, dz):
    """``phi(z + dz, y) - phi(z, y)`` without cancellation (exact up to one rounding per term)."""
    return dz * (z - y + 0.5 * dz)


def raw_grad(z, y):
    """``rho = phi'(z, y)`` for all samples (numpy)."""
    return z - y


def dual(theta, y, N):
    """``D(theta)`` (numpy; ``theta`` must satisfy ``||X^T theta||_inf <= alpha``)."""
    d = y / N - theta
    return 0.5 * float(y @ y) / N - 0.5 * N * float(d @ d)
