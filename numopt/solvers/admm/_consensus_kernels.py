r"""numba kernel of ``consensus-admm``'s local QP solves: OSQP iterations with the termination
test inside the compiled loop.

A local solve of consensus ADMM is a small QP whose factorization is fixed while only ``q``
changes from round to round, warm-started close to its solution: it typically needs a few to a
few tens of iterations. Run through the generic engine (one Python step and one Python
termination check per block of five iterations) its cost was the Python around the iterations,
not the iterations. Here one call runs up to ``maxit`` iterations of
:func:`._kernels.qp_iterations` and checks OSQP's termination test on the *unscaled* problem
every ``check_every`` iterations (and after the first one, so that a solve warm-started at its
solution costs one iteration):

.. math::
    \|Ax - z\|_\infty &\le \epsilon_a + \epsilon_r \max(\|Ax\|_\infty, \|z\|_\infty), \\
    \|Px + q + A^T y\|_\infty &\le \epsilon_a + \epsilon_r \max(\|Px\|_\infty, \|A^T y\|_\infty, \|q\|_\infty), \\
    |x^T P x + q^T x + S(y)| &\le \epsilon_a + \epsilon_r \max(|x^T P x|, |q^T x|, |S(y)|)

with ``S(y) = u^T max(y, 0) + l^T min(y, 0)`` over the finite bounds (OSQP 1.x's duality-gap
test; the same numbers as :meth:`.qp.QPSplitting._residuals`), decided by the jitted
:func:`numopt.stopping.small_residuals` and :func:`numopt.stopping.small_residual`; the
absolute part of the dual and gap tests is ``abs_dual * eps_abs`` (the caller's unit of
gradients, ``1`` for OSQP's test).

Arrays are grouped in tuples to keep the signature narrow:

* ``factors = (Lp, Li, Lx, Dinv, perm)``: QDLDL's factors of the scaled KKT matrix
  (:class:`.qp._KKT`);
* ``scaled = (q, l, u, R)``: the scaled linear term and bounds, the penalty of the rows;
* ``data = (Pp, Pi, Px, Ap, Ai, Ax, D, E, q0, l0, u0)``: the scaled ``P`` and ``A`` (CSC, ``P``
  with both triangles), the Ruiz scalings and the unscaled ``q, l, u``;
* ``it = (x, z, y, x_prev, y_prev)``: the scaled iterate, updated in place;
* ``scratch = (rhs, sol, work, ax, px, aty)``: ``3 x (n + m)``, then ``m``, ``n``, ``n``.

``out`` receives ``(r, s, r_scale, s_scale, gap, gap_scale)`` of the last check.

The kernels release the GIL (``nogil``): with the default thread-pool executor, the local
solves of one round run in parallel on as many cores as are free.
"""
from __future__ import annotations

import math

from ..._jit import njit
from ...stopping_kernels import small_residual, small_residuals
from ._kernels import qp_iterations

__all__ = ["local_qp_solve"]


@njit(nogil=True)
def _check(data, cost, it, scratch, eps_abs, eps_rel, abs_dual, out):
    """OSQP's unscaled residuals of the iterate into ``out``; ``1`` converged, ``0`` not, ``-1``
    non-finite."""
    Pp, Pi, Px, Ap, Ai, Ax, D, E, q0, l0, u0 = data
    x, z, y, _, _ = it
    _, _, _, ax, px, aty = scratch
    n = x.shape[0]
    m = z.shape[0]
    for i in range(m):
        ax[i] = 0.0
    for i in range(n):
        px[i] = 0.0
    for j in range(n):
        xj = x[j]
        for k in range(Pp[j], Pp[j + 1]):
            px[Pi[k]] += Px[k] * xj
        acc = 0.0
        for k in range(Ap[j], Ap[j + 1]):
            ax[Ai[k]] += Ax[k] * xj
            acc += Ax[k] * y[Ai[k]]
        aty[j] = acc
    r = 0.0
    r_scale = 0.0
    support = 0.0
    for i in range(m):
        a = ax[i] / E[i]
        zi = z[i] / E[i]
        d = abs(a - zi)
        if d > r:
            r = d
        if abs(a) > r_scale:
            r_scale = abs(a)
        if abs(zi) > r_scale:
            r_scale = abs(zi)
        yu = E[i] * y[i] / cost
        if yu > 0.0 and math.isfinite(u0[i]):
            support += u0[i] * yu
        elif yu < 0.0 and math.isfinite(l0[i]):
            support += l0[i] * yu
    s = 0.0
    s_scale = 0.0
    xpx = 0.0
    qx = 0.0
    for j in range(n):
        cd = cost * D[j]
        pj = px[j] / cd
        aj = aty[j] / cd
        d = abs(pj + q0[j] + aj)
        if d > s:
            s = d
        s_scale = max(s_scale, abs(pj), abs(aj), abs(q0[j]))
        xu = D[j] * x[j]
        xpx += xu * pj
        qx += q0[j] * xu
    gap = abs(xpx + qx + support)
    gap_scale = max(abs(xpx), abs(qx), abs(support))
    out[0] = r
    out[1] = s
    out[2] = r_scale
    out[3] = s_scale
    out[4] = gap
    out[5] = gap_scale
    if not (math.isfinite(r) and math.isfinite(s) and math.isfinite(gap)):
        return -1
    if small_residuals(r, s, r_scale, s_scale, eps_abs, eps_rel, 1.0, abs_dual) and \
            small_residual(gap, gap_scale, eps_abs, eps_rel, abs_dual):
        return 1
    return 0


@njit(nogil=True)
def local_qp_solve(maxit, check_every, check_first, factors, scaled, data, cost, sigma, alpha, eps_abs,
                   eps_rel, abs_dual, it, scratch, out):
    """Up to ``maxit`` OSQP iterations from the iterate ``it`` (in place), the termination test
    every ``check_every`` iterations (and after the first one if ``check_first``). Returns
    ``(iterations, code)``: ``code`` 1 converged, 0 not yet (``maxit`` reached), -1 non-finite
    residuals."""
    Lp, Li, Lx, Dinv, perm = factors
    q, l, u, R = scaled
    x, z, y, xp, yp = it
    rhs, sol, work, _, _, _ = scratch
    k = 0
    code = 0
    while k < maxit:
        nb = 1 if (k == 0 and check_first) else min(check_every, maxit - k)
        qp_iterations(nb, Lp, Li, Lx, Dinv, perm, q, l, u, R, sigma, alpha, x, z, y, xp, yp, rhs, sol, work)
        k += nb
        code = _check(data, cost, it, scratch, eps_abs, eps_rel, abs_dual, out)
        if code != 0:
            return k, code
    return k, code
