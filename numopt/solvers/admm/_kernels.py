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
def ruiz_equilibrate(iters, Pp, Pi, Px, Ap, Ai, Ax, D, E, q, cost_scaling):
    r"""``iters`` passes of modified Ruiz equilibration (OSQP's ``scaling.c``) of the KKT matrix
    ``[[P, A^T], [A, 0]]``, in place on the CSC data ``Px`` (symmetric ``P``, both triangles),
    ``Ax`` and the linear term ``q``; ``D`` (length ``n``) and ``E`` (length ``m``) accumulate
    the scalings. Returns the cost scaling ``c`` (1 without ``cost_scaling``).

    Each pass: the infinity norm of every KKT column (column ``j``: ``P[:, j]`` and ``A[:, j]``;
    column ``n + i``: row ``i`` of ``A``), clipped to ``[1e-4, 1e4]`` (a norm below ``1e-4``
    counts as 1), and ``P <- diag(d) P diag(d)``, ``A <- diag(e) A diag(d)``, ``q <- d q`` with
    ``d = 1 / sqrt(col-norm)``; then (``cost_scaling``, OSQP's cost normalization, inside the
    loop as in OSQP 1.x) ``P <- c_k P``, ``q <- c_k q`` with
    ``1 / c_k = lim(max(mean col-inf-norm of P, lim(|q|_inf)))``, ``lim`` mapping values below
    ``1e-4`` to 1 and above ``1e4`` to ``1e4``. ``O(nnz)`` per pass.
    """
    n = D.shape[0]
    m = E.shape[0]
    nx = np.empty(n)
    nz = np.empty(m)
    c = 1.0
    for _ in range(iters):
        for i in range(m):
            nz[i] = 0.0
        for j in range(n):
            cj = 0.0
            for k in range(Pp[j], Pp[j + 1]):
                v = abs(Px[k])
                if v > cj:
                    cj = v
            for k in range(Ap[j], Ap[j + 1]):
                v = abs(Ax[k])
                if v > cj:
                    cj = v
                r = Ai[k]
                if v > nz[r]:
                    nz[r] = v
            nx[j] = cj
        for j in range(n):
            cj = nx[j]
            nx[j] = 1.0 if cj < 1e-4 else 1.0 / np.sqrt(min(cj, 1e4))
            D[j] *= nx[j]
            q[j] *= nx[j]
        for i in range(m):
            ci = nz[i]
            nz[i] = 1.0 if ci < 1e-4 else 1.0 / np.sqrt(min(ci, 1e4))
            E[i] *= nz[i]
        for j in range(n):
            dj = nx[j]
            for k in range(Pp[j], Pp[j + 1]):
                Px[k] *= nx[Pi[k]] * dj
            for k in range(Ap[j], Ap[j + 1]):
                Ax[k] *= nz[Ai[k]] * dj
        if cost_scaling:
            mean = 0.0
            for j in range(n):
                cj = 0.0
                for k in range(Pp[j], Pp[j + 1]):
                    v = abs(Px[k])
                    if v > cj:
                        cj = v
                mean += cj
            mean = mean / n if n > 0 else 0.0
            qn = 0.0
            for j in range(n):
                if abs(q[j]) > qn:
                    qn = abs(q[j])
            qn = 1.0 if qn < 1e-4 else min(qn, 1e4)
            ck = max(mean, qn)
            ck = 1.0 if ck < 1e-4 else min(ck, 1e4)
            ck = 1.0 / ck
            for k in range(Pp[n]):
                Px[k] *= ck
            for j in range(n):
                q[j] *= ck
            c *= ck
    return c


# -- raw-CSC setup and termination kernels (no scipy.sparse object on the per-solve path) ------

@njit
def kkt_upper(n, m, Pp, Pi, Px, Ap, Ai, Ax, sigma):
    r"""The upper triangle of ``[[P + sigma I, A^T], [A, -I]]`` in CSC (rows sorted in every column).

    ``P`` (CSC, sorted rows, symmetric: only its entries ``i <= j`` are read) and ``A`` (CSC,
    ``m x n``, sorted rows). Column ``j < n``: the upper part of ``P[:, j]`` with ``sigma``
    added on the diagonal (a diagonal entry is created when ``P`` has none); column ``n + i``:
    row ``i`` of ``A`` (column indices as rows), then the diagonal ``-1`` (overwritten with
    ``-1/R_i`` by the caller). Returns ``(Kp, Ki, Kx, rdiag)``, ``rdiag[i]`` the position of the
    diagonal entry of column ``n + i``.
    """
    nnzA = Ap[n]
    cnt = np.zeros(n + m, dtype=np.int64)
    for j in range(n):
        c = 0
        for k in range(Pp[j], Pp[j + 1]):
            if Pi[k] < j:
                c += 1
        cnt[j] = c + 1
    for k in range(nnzA):
        cnt[n + Ai[k]] += 1
    for i in range(m):
        cnt[n + i] += 1
    Kp = np.zeros(n + m + 1, dtype=np.int64)
    for j in range(n + m):
        Kp[j + 1] = Kp[j] + cnt[j]
    nnz = Kp[n + m]
    Ki = np.empty(nnz, dtype=np.int64)
    Kx = np.empty(nnz)
    for j in range(n):
        pos = Kp[j]
        d = sigma
        for k in range(Pp[j], Pp[j + 1]):
            r = Pi[k]
            if r < j:
                Ki[pos] = r
                Kx[pos] = Px[k]
                pos += 1
            elif r == j:
                d += Px[k]
        Ki[pos] = j
        Kx[pos] = d
    nxt = np.empty(m, dtype=np.int64)
    for i in range(m):
        nxt[i] = Kp[n + i]
    for j in range(n):                   # columns of A in increasing j: each row segment sorted
        for k in range(Ap[j], Ap[j + 1]):
            r = Ai[k]
            Ki[nxt[r]] = j
            Kx[nxt[r]] = Ax[k]
            nxt[r] += 1
    rdiag = np.empty(m, dtype=np.int64)
    for i in range(m):
        Ki[nxt[i]] = n + i
        Kx[nxt[i]] = -1.0
        rdiag[i] = nxt[i]
    return Kp, Ki, Kx, rdiag


@njit
def csc_matvec(Mp, Mi, Mx, v, out):
    """``out = M v`` for a CSC ``M`` (``out`` overwritten)."""
    for i in range(out.shape[0]):
        out[i] = 0.0
    for j in range(v.shape[0]):
        vj = v[j]
        if vj != 0.0:
            for k in range(Mp[j], Mp[j + 1]):
                out[Mi[k]] += Mx[k] * vj


@njit
def csc_rmatvec(Mp, Mi, Mx, v, out):
    """``out = M^T v`` for a CSC ``M`` (``out`` overwritten)."""
    for j in range(out.shape[0]):
        s = 0.0
        for k in range(Mp[j], Mp[j + 1]):
            s += Mx[k] * v[Mi[k]]
        out[j] = s


@njit
def qp_check(x, z, y, Pp, Pi, Px, Ap, Ai, Ax, q, q0, l0, u0, D, E, cost, wm, wn, wn2):
    r"""OSQP's termination quantities at the scaled iterate ``(x, z, y)`` in one pass.

    Returns ``(r, s, r_scale, s_scale, gap, gap_scale, rs, ss, rs_scale, ss_scale)``: the unscaled
    residuals ``|A x - z|_inf``, ``|P x + q + A^T y|_inf`` and their scales (the norms of their
    terms), the duality gap ``|x'Px + q'x + S(y)|`` with ``S(y) = u' max(y, 0) + l' min(y, 0)``
    over the finite bounds and its scale ``max(|x'Px|, |q'x|, |S(y)|)``, and the same residuals
    and scales of the *scaled* problem (OSQP's ``compute_rho_estimate`` reads those).
    ``wm`` (length ``m``), ``wn``, ``wn2`` (length ``n``) are scratch.
    """
    n = x.shape[0]
    m = z.shape[0]
    csc_matvec(Ap, Ai, Ax, x, wm)            # A_s x
    csc_matvec(Pp, Pi, Px, x, wn)            # P_s x
    csc_rmatvec(Ap, Ai, Ax, y, wn2)          # A_s^T y
    r = 0.0
    r_scale = 0.0
    rs = 0.0
    rs_scale = 0.0
    support = 0.0
    for i in range(m):
        a = wm[i]
        zi = z[i]
        v = abs(a - zi)
        if v > rs:
            rs = v
        v = max(abs(a), abs(zi))
        if v > rs_scale:
            rs_scale = v
        e = E[i]
        v = abs(a - zi) / e
        if v > r:
            r = v
        v = max(abs(a), abs(zi)) / e
        if v > r_scale:
            r_scale = v
        yu = e * y[i] / cost
        if yu > 0.0:
            if u0[i] < np.inf:
                support += u0[i] * yu
        elif yu < 0.0:
            if l0[i] > -np.inf:
                support += l0[i] * yu
    s = 0.0
    s_scale = 0.0
    ss = 0.0
    ss_scale = 0.0
    xPx = 0.0
    qx = 0.0
    for j in range(n):
        px = wn[j]
        aty = wn2[j]
        v = abs(px + q[j] + aty)
        if v > ss:
            ss = v
        v = max(abs(px), abs(q[j]), abs(aty))
        if v > ss_scale:
            ss_scale = v
        cd = cost * D[j]
        pu = px / cd
        au = aty / cd
        v = abs(pu + q0[j] + au)
        if v > s:
            s = v
        v = max(abs(pu), abs(q0[j]), abs(au))
        if v > s_scale:
            s_scale = v
        xu = D[j] * x[j]
        xPx += xu * pu
        qx += q0[j] * xu
    gap = abs(xPx + qx + support)
    gap_scale = max(abs(xPx), abs(qx), abs(support))
    return r, s, r_scale, s_scale, gap, gap_scale, rs, ss, rs_scale, ss_scale


@njit
def qp_objective(x, Pp, Pi, Px, q, cost, wn):
    """The unscaled objective ``1/2 x'P x + q'x`` from the scaled ``x`` (``(1/2 x'P_s x + q_s'x) / c``)."""
    csc_matvec(Pp, Pi, Px, x, wn)
    f = 0.0
    for j in range(x.shape[0]):
        f += x[j] * (0.5 * wn[j] + q[j])
    return f / cost


@njit
def qp_detect(dZx, dYz, Pp, Pi, Px, Ap, Ai, Ax, q0, l0, u0, D, E, cost, eps_prim_inf, eps_dual_inf,
              dy, wm, wn):
    r"""OSQP's infeasibility tests on the scaled iterate differences ``dZx = x^{k+1} - x^k`` and
    ``dYz = y^{k+1} - y^k``. Returns ``1`` (primal infeasible: ``dy`` holds the unscaled
    certificate, not normalized), ``2`` (dual infeasible: ``wn`` holds the unscaled ``dx``) or
    ``0``.

    Primal: ``dy = E dY / c`` projected on the polar of the recession cone of ``[l, u]``,
    ``|A'dy|_inf <= eps |dy|_inf`` and ``u'max(dy, 0) + l'min(dy, 0) < 0``. Dual: ``dx = D dX``,
    ``q'dx < -eps |dx|``, ``|P dx|_inf <= eps |dx|`` and ``A dx`` in the recession cone of
    ``[l, u]`` up to ``eps |dx|``.
    """
    n = dZx.shape[0]
    m = dYz.shape[0]
    ndy = 0.0
    support = 0.0
    for i in range(m):
        v = E[i] * dYz[i] / cost
        if v > 0.0 and not u0[i] < np.inf:
            v = 0.0
        if v < 0.0 and not l0[i] > -np.inf:
            v = 0.0
        dy[i] = v
        if abs(v) > ndy:
            ndy = abs(v)
        if v > 0.0:
            support += u0[i] * v
        elif v < 0.0:
            support += l0[i] * v
    if ndy > 1e-30 and support < 0.0:
        for i in range(m):
            wm[i] = dy[i] / E[i]
        ok = True
        lim = eps_prim_inf * ndy
        for j in range(n):                   # A0' dy = D^{-1} A_s' E^{-1} dy
            s = 0.0
            for k in range(Ap[j], Ap[j + 1]):
                s += Ax[k] * wm[Ai[k]]
            if abs(s / D[j]) >= lim:
                ok = False
                break
        if ok:
            return 1
    ndx = 0.0
    qdx = 0.0
    for j in range(n):
        v = D[j] * dZx[j]
        wn[j] = v
        if abs(v) > ndx:
            ndx = abs(v)
        qdx += q0[j] * v
    if ndx <= 1e-30:
        return 0
    eps = eps_dual_inf * ndx
    if not qdx < -eps:
        return 0
    # P0 dx = P_s dZx / (c D), A0 dx = A_s dZx / E
    for i in range(m):
        wm[i] = 0.0
    for j in range(n):
        vj = dZx[j]
        if vj != 0.0:
            for k in range(Ap[j], Ap[j + 1]):
                wm[Ai[k]] += Ax[k] * vj
    for i in range(m):
        a = wm[i] / E[i]
        if u0[i] < np.inf and a > eps:
            return 0
        if l0[i] > -np.inf and a < -eps:
            return 0
    for j in range(n):
        s = 0.0
        for k in range(Pp[j], Pp[j + 1]):
            s += Px[k] * dZx[Pi[k]]        # P symmetric: column j of P = row j
        if abs(s / (cost * D[j])) >= eps:
            return 0
    return 2



# -- the indirect (PCG) x-update (OSQP's indirect linear-system solver) -------------------------

@njit
def reduced_matvec(Pp, Pi, Px, Ap, Ai, Ax, R, sigma, v, out, wm):
    """``out = (P + sigma I + A^T diag(R) A) v`` (``wm``: scratch of length ``m``)."""
    n = v.shape[0]
    csc_matvec(Pp, Pi, Px, v, out)
    csc_matvec(Ap, Ai, Ax, v, wm)
    for i in range(wm.shape[0]):
        wm[i] *= R[i]
    for j in range(n):
        s = sigma * v[j]
        for k in range(Ap[j], Ap[j + 1]):
            s += Ax[k] * wm[Ai[k]]
        out[j] += s


@njit
def jacobi_diagonal(Pp, Pi, Px, Ap, Ai, Ax, R, sigma, out):
    """``out = 1 / diag(P + sigma I + A^T diag(R) A)`` (the Jacobi preconditioner)."""
    n = out.shape[0]
    for j in range(n):
        d = sigma
        for k in range(Pp[j], Pp[j + 1]):
            if Pi[k] == j:
                d += Px[k]
        for k in range(Ap[j], Ap[j + 1]):
            d += R[Ai[k]] * Ax[k] * Ax[k]
        out[j] = 1.0 / d


@njit
def pcg(Pp, Pi, Px, Ap, Ai, Ax, R, sigma, Minv, b, x, tol, maxiter, r, zv, p, Kp, wm):
    r"""Preconditioned conjugate gradients on ``(P + sigma I + A^T R A) x = b``, warm-started at ``x``
    (updated in place), Jacobi preconditioner ``Minv``; stops when ``|b - K x|_inf <= tol`` or
    after ``maxiter`` iterations. Returns the number of CG iterations."""
    n = b.shape[0]
    reduced_matvec(Pp, Pi, Px, Ap, Ai, Ax, R, sigma, x, Kp, wm)
    rn = 0.0
    for j in range(n):
        r[j] = b[j] - Kp[j]
        if abs(r[j]) > rn:
            rn = abs(r[j])
    if rn <= tol:
        return 0
    rz = 0.0
    for j in range(n):
        zv[j] = Minv[j] * r[j]
        p[j] = zv[j]
        rz += r[j] * zv[j]
    for it in range(maxiter):
        reduced_matvec(Pp, Pi, Px, Ap, Ai, Ax, R, sigma, p, Kp, wm)
        pKp = 0.0
        for j in range(n):
            pKp += p[j] * Kp[j]
        if not pKp > 0.0:               # K is positive definite for a convex QP: stop on breakdown
            return it + 1
        a = rz / pKp
        rn = 0.0
        for j in range(n):
            x[j] += a * p[j]
            r[j] -= a * Kp[j]
            if abs(r[j]) > rn:
                rn = abs(r[j])
        if rn <= tol:
            return it + 1
        rz_new = 0.0
        for j in range(n):
            zv[j] = Minv[j] * r[j]
            rz_new += r[j] * zv[j]
        beta = rz_new / rz
        rz = rz_new
        for j in range(n):
            p[j] = zv[j] + beta * p[j]
    return maxiter


@njit
def qp_iterations_pcg(niter, Pp, Pi, Px, Ap, Ai, Ax, Minv, q, l, u, R, sigma, alpha, tol, maxcg,
                      x, z, y, x_prev, y_prev, xt, zt, rhs, r, zv, p, Kp, wm):
    r"""``niter`` OSQP iterations with the x-update solved by PCG on the reduced system
    ``(P + sigma I + A^T R A) x~ = sigma x - q + A^T (R z - y)``, ``z~ = A x~`` (OSQP's indirect
    solver), warm-started at the previous ``x~`` (``xt``, updated in place). The rest as
    :func:`qp_iterations`. Returns the total number of CG iterations."""
    n = x.shape[0]
    m = z.shape[0]
    total = 0
    for it in range(niter):
        for i in range(m):
            wm[i] = R[i] * z[i] - y[i]
        for j in range(n):
            s = sigma * x[j] - q[j]
            for k in range(Ap[j], Ap[j + 1]):
                s += Ax[k] * wm[Ai[k]]
            rhs[j] = s
        total += pcg(Pp, Pi, Px, Ap, Ai, Ax, R, sigma, Minv, rhs, xt, tol, maxcg, r, zv, p, Kp, wm)
        csc_matvec(Ap, Ai, Ax, xt, zt)
        if it == niter - 1:
            for j in range(n):
                x_prev[j] = x[j]
            for i in range(m):
                y_prev[i] = y[i]
        for j in range(n):
            x[j] = alpha * xt[j] + (1.0 - alpha) * x[j]
        for i in range(m):
            ri = R[i]
            zr = alpha * zt[i] + (1.0 - alpha) * z[i]
            v = zr + y[i] / ri
            if v < l[i]:
                v = l[i]
            elif v > u[i]:
                v = u[i]
            y[i] = y[i] + ri * (zr - v)
            z[i] = v
    return total


@njit
def select_rows_csc(n, Ap, Ai, Ax, newrow, k):
    """The rows ``i`` with ``newrow[i] >= 0`` of the CSC ``A`` (``n`` columns), renumbered
    ``newrow[i]``, as a ``k x n`` CSC matrix ``(Bp, Bi, Bx)`` (row order kept: sorted columns stay sorted)."""
    Bp = np.zeros(n + 1, dtype=np.int64)
    for j in range(n):
        c = 0
        for t in range(Ap[j], Ap[j + 1]):
            if newrow[Ai[t]] >= 0:
                c += 1
        Bp[j + 1] = Bp[j] + c
    Bi = np.empty(Bp[n], dtype=np.int64)
    Bx = np.empty(Bp[n])
    pos = 0
    for j in range(n):
        for t in range(Ap[j], Ap[j + 1]):
            r = newrow[Ai[t]]
            if r >= 0:
                Bi[pos] = r
                Bx[pos] = Ax[t]
                pos += 1
    return Bp, Bi, Bx


@njit
def polish_kkt_residual(Pp, Pi, Px, Bp, Bi, Bx, rhs, sol, out):
    """``out = rhs - [[P, B^T], [B, 0]] sol`` (the unregularized polishing KKT matrix; ``B`` is
    ``k x n`` CSC, ``P`` symmetric CSC with both triangles)."""
    n = Pp.shape[0] - 1
    k = out.shape[0] - n
    for i in range(n + k):
        out[i] = rhs[i]
    for j in range(n):
        vj = sol[j]
        s = 0.0
        for t in range(Pp[j], Pp[j + 1]):
            out[Pi[t]] -= Px[t] * vj
        for t in range(Bp[j], Bp[j + 1]):
            out[n + Bi[t]] -= Bx[t] * vj          # B x
            s += Bx[t] * sol[n + Bi[t]]           # (B^T nu)_j
        out[j] -= s


@njit
def qp_run_until(nblock, check_every, k0, Lp, Li, Lx, Dinv, perm, q, l, u, R, sigma, alpha,
                 x, z, y, x_prev, y_prev, rhs, sol, work,
                 Pp, Pi, Px, Ap, Ai, Ax, q0, l0, u0, D, E, cost, eps_abs, eps_rel, floor,
                 eps_prim_inf, eps_dual_inf, wm, wn, wn2, dx, dyv, dy, wn3):
    r"""Up to ``nblock`` iterations of :func:`qp_iterations` from iteration ``k0``, with OSQP's
    termination and infeasibility tests (:func:`qp_check`, :func:`qp_detect`) at every multiple
    of ``check_every`` *before* the last iteration: the call returns early, at such a check,
    when the iterate passes the convergence test (residuals and duality gap within
    ``eps_abs + eps_rel * scale``, each at least ``floor``) or an infeasibility test. Returns
    the number of iterations run; the caller re-checks the returned iterate (the same kernels:
    the same verdict), so this only saves the Python round trips of the intermediate checks.
    """
    done = 0
    while done < nblock:
        k = k0 + done
        step = check_every - (k % check_every)
        if step > nblock - done:
            step = nblock - done
        qp_iterations(step, Lp, Li, Lx, Dinv, perm, q, l, u, R, sigma, alpha, x, z, y, x_prev, y_prev,
                      rhs, sol, work)
        done += step
        if done >= nblock:
            break
        r, s, r_scale, s_scale, gap, gap_scale, rs, ss, rs_scale, ss_scale = qp_check(
            x, z, y, Pp, Pi, Px, Ap, Ai, Ax, q, q0, l0, u0, D, E, cost, wm, wn, wn2)
        if (r <= max(eps_abs + eps_rel * r_scale, floor) and s <= max(eps_abs + eps_rel * s_scale, floor)
                and gap <= max(eps_abs + eps_rel * gap_scale, floor)):
            break
        for j in range(x.shape[0]):
            dx[j] = x[j] - x_prev[j]
        for i in range(y.shape[0]):
            dyv[i] = y[i] - y_prev[i]
        if qp_detect(dx, dyv, Pp, Pi, Px, Ap, Ai, Ax, q0, l0, u0, D, E, cost, eps_prim_inf, eps_dual_inf,
                     dy, wm, wn3) != 0:
            break
    return done
