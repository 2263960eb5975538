r"""Datafit of logistic regression, per sample: ``phi(z, y) = log(1 + exp(-y z))``, ``y = +-1``.

See :mod:`._quadratic` for the role of these modules. Dual (for
``P(w) = 1/N sum phi(x_i^T w, y_i) + alpha ||w||_1`` and ``theta = -s rho / N``, i.e.
``t_i = N y_i theta_i = s sigmoid(-y_i z_i)`` in ``[0, 1]``):
``D(theta) = -1/N sum_i [t_i log t_i + (1 - t_i) log(1 - t_i)]``, ``4N``-strongly concave
(the binary entropy has curvature ``1 / (t (1 - t)) >= 4``).
"""
from __future__ import annotations

import numpy as np

from ..._jit import njit

CURVATURE = 0.25
STRONG_CONCAVITY = 4.0


@njit
def _sigmoid(t):
    if t >= 0.0:
        return 1.0 / (1.0 + np.exp(-t))
    e = np.exp(t)
    return e / (1.0 + e)


@njit
def value(z, y):
    t = -y * z
    if t > 0.0:
        return t + np.log1p(np.exp(-t))
    return np.log1p(np.exp(t))


@njit
def deriv(z, y):
    return -y * _sigmoid(-y * z)


@njit
def curvature(z, y):
    s = _sigmoid(y * z)
    return s * (1.0 - s)


@njit
def value_deriv(z, y):
    """``(phi(z, y), phi'(z, y))`` from one exponential."""
    t = -y * z
    e = np.exp(-abs(t))
    if t >= 0.0:
        return t + np.log1p(e), -y / (1.0 + e)
    return np.log1p(e), -y * e / (1.0 + e)


@njit
def deriv_curv(z, y):
    """``(phi'(z, y), phi''(z, y))`` from one sigmoid."""
    s = _sigmoid(y * z)
    return -y * (1.0 - s), s * (1.0 - s)


@njit
def _xlogx(t):
    return t * np.log(t) if t > 0.0 else 0.0


@njit
def dual_term(r, y, N, s):
    """Sample ``i``'s term of ``N D(theta)`` at ``theta = -s r / N``: ``-H(t)`` with
    ``t = -s y r`` (``= s sigmoid(-y z)`` in ``[0, 1]``); ``-inf`` outside the domain."""
    t = -s * y * r
    if not (t >= -1e-15 and t <= 1.0 + 1e-15):
        return -np.inf
    t = min(max(t, 0.0), 1.0)
    return -(_xlogx(t) + _xlogx(1.0 - t))


@njit
def delta(z, y, dz):
    """``phi(z + dz, y) - phi(z, y)`` without cancellation.

    With ``u = -y z``: ``softplus(u + du) - softplus(u) = log1p(sigmoid(u) expm1(du))``, accurate
    to a few ulps of the *difference*, where ``value(z + dz) - value(z)`` loses all digits once
    ``|dz|`` is below ``eps |z|`` (near the optimum of a line search). Large ``|du|`` (where
    nothing cancels) use the plain difference, which cannot overflow.
    """
    du = -y * dz
    if abs(du) > 1.0:
        return value(z + dz, y) - value(z, y)
    return np.log1p(_sigmoid(-y * z) * np.expm1(du))


def raw_grad(z, y):
    from scipy.special import expit
    return -y * expit(-y * z)


def dual(theta, y, N):
    """``D(theta)``; ``-inf`` outside the domain (``t`` not in ``[0, 1]``)."""
    from scipy.special import xlogy
    t = N * y * theta
    if not np.all((t >= -1e-15) & (t <= 1.0 + 1e-15)):
        return -np.inf
    t = np.clip(t, 0.0, 1.0)
    return -float(np.sum(xlogy(t, t) + xlogy(1.0 - t, 1.0 - t))) / N
