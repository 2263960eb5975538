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

import numpy as np

from ..._jit import njit

__all__ = ["ldl_solve", "qp_iterations", "ruiz_equilibrate"]


@njit
def ldl_solve(Lp, Li, Lx, Dinv, perm, b, work, out):
    """``out = K^{-1} b`` from QDLDL's factors (``out`` may not alias ``b``). Pass unsigned index
    arrays (``uint64``): numba then compiles the accesses without negative-index wraparound tests."""
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


@njit
def ruiz_equilibrate(iters, Pp, Pi, Px, Ap, Ai, Ax, D, E):
    r"""``iters`` passes of modified Ruiz equilibration (OSQP's ``scaling.c``) of the KKT matrix
    ``[[P, A^T], [A, 0]]``, in place on the CSC data ``Px`` (symmetric ``P``, both triangles)
    and ``Ax``; ``D`` (length ``n``) and ``E`` (length ``m``) accumulate the scalings.

    Each pass: the infinity norm of every KKT column (column ``j``: ``P[:, j]`` and ``A[:, j]``;
    column ``n + i``: row ``i`` of ``A``), clipped to ``[1e-4, 1e4]`` (a norm below ``1e-4``
    counts as 1), and ``P <- diag(d) P diag(d)``, ``A <- diag(e) A diag(d)`` with
    ``d = 1 / sqrt(col-norm)``. ``O(nnz)`` per pass.
    """
    n = D.shape[0]
    m = E.shape[0]
    nx = np.empty(n)
    nz = np.empty(m)
    for _ in range(iters):
        for i in range(m):
            nz[i] = 0.0
        for j in range(n):
            c = 0.0
            for k in range(Pp[j], Pp[j + 1]):
                v = abs(Px[k])
                if v > c:
                    c = v
            for k in range(Ap[j], Ap[j + 1]):
                v = abs(Ax[k])
                if v > c:
                    c = v
                r = Ai[k]
                if v > nz[r]:
                    nz[r] = v
            nx[j] = c
        for j in range(n):
            c = nx[j]
            nx[j] = 1.0 if c < 1e-4 else 1.0 / np.sqrt(min(c, 1e4))
            D[j] *= nx[j]
        for i in range(m):
            c = nz[i]
            nz[i] = 1.0 if c < 1e-4 else 1.0 / np.sqrt(min(c, 1e4))
            E[i] *= nz[i]
        for j in range(n):
            dj = nx[j]
            for k in range(Pp[j], Pp[j + 1]):
                Px[k] *= nx[Pi[k]] * dj
            for k in range(Ap[j], Ap[j + 1]):
                Ax[k] *= nz[Ai[k]] * dj
