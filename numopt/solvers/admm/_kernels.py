r"""numba kernels of the ADMM family: the LDL' solve and the fused OSQP iteration.

The quasi-definite KKT matrix ``K`` is factored (once per penalty value) by QDLDL as
``K[p][:, p] = (I + L) D (I + L)^T`` (``L`` strictly lower triangular, CSC); the kernels
only use the factors, so a whole block of ADMM iterations between two termination checks
runs in one compiled call (Stellato et al. 2020, Algorithm 1):

.. math::
    (\tilde x, \nu) &= K^{-1} (\sigma x^k - q,\; z^k - R^{-1} y^k), \qquad
    \tilde z = z^k + R^{-1}(\nu - y^k) \\
    x^{k+1} &= \alpha \tilde x + (1 - \alpha) x^k \\
    z^{k+1} &= \Pi_{[l, u]}(\alpha \tilde z + (1 - \alpha) z^k + R^{-1} y^k) \\
    y^{k+1} &= y^k + R(\alpha \tilde z + (1 - \alpha) z^k - z^{k+1})

with ``R = diag(rho_i)``. Kernels update their arrays in place.
"""
from __future__ import annotations

from ..._jit import njit

__all__ = ["ldl_solve", "qp_iterations"]


@njit
def ldl_solve(Lp, Li, Lx, Dinv, perm, b, work, out):
    """``out = K^{-1} b`` from QDLDL's factors (``out`` may not alias ``b``)."""
    n = b.shape[0]
    for i in range(n):
        work[i] = b[perm[i]]
    for j in range(n):                       # (I + L) w = b
        wj = work[j]
        if wj != 0.0:
            for k in range(Lp[j], Lp[j + 1]):
                work[Li[k]] -= Lx[k] * wj
    for i in range(n):
        work[i] *= Dinv[i]
    for j in range(n - 1, -1, -1):           # (I + L)^T v = D^{-1} w
        s = work[j]
        for k in range(Lp[j], Lp[j + 1]):
            s -= Lx[k] * work[Li[k]]
        work[j] = s
    for i in range(n):
        out[perm[i]] = work[i]


@njit
def qp_iterations(niter, Lp, Li, Lx, Dinv, perm, q, l, u, R, sigma, alpha,
                  x, z, y, x_prev, y_prev, rhs, sol, work):
    """``niter`` OSQP iterations in place on ``(x, z, y)`` (scaled problem, unscaled dual).

    ``x_prev``, ``y_prev`` receive the iterate before the last iteration (for the
    infeasibility certificates, which use ``x^{k+1} - x^k`` and ``y^{k+1} - y^k``).
    ``rhs``, ``sol``, ``work`` are scratch arrays of length ``n + m``.
    """
    n = x.shape[0]
    m = z.shape[0]
    for it in range(niter):
        for i in range(n):
            rhs[i] = sigma * x[i] - q[i]
        for i in range(m):
            rhs[n + i] = z[i] - y[i] / R[i]
        ldl_solve(Lp, Li, Lx, Dinv, perm, rhs, work, sol)
        if it == niter - 1:
            for i in range(n):
                x_prev[i] = x[i]
            for i in range(m):
                y_prev[i] = y[i]
        for i in range(n):
            x[i] = alpha * sol[i] + (1.0 - alpha) * x[i]
        for i in range(m):
            ri = R[i]
            zt = z[i] + (sol[n + i] - y[i]) / ri
            zr = alpha * zt + (1.0 - alpha) * z[i]
            v = zr + y[i] / ri
            if v < l[i]:
                v = l[i]
            elif v > u[i]:
                v = u[i]
            y[i] = y[i] + ri * (zr - v)
            z[i] = v
