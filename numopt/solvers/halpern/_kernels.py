r"""Numba kernels of the monotone-inclusion family (no problem objects, arrays only).

Linear finite sums are passed as ``op = (Pptr, Pind, Pdat, Qptr, Qind, Qdat, c, wscale)``: the
CSR rows of ``P`` and ``Q`` (component ``F_i(u) = p_i (q_i^T u) + c``) and the importance weights
``wscale_i = 1 / (N pi_i)`` of the sampled components. Resolvents of box / simplex products are
``res = (kinds, starts, radii, lb, ub)``: block ``b`` covers ``starts[b]:starts[b+1]`` and is a box
(``kinds[b] == 0``, bounds ``lb, ub``) or a simplex of radius ``radii[b]`` (``kinds[b] == 1``).
Random numbers are drawn by the caller (a numpy Generator) and passed in, so runs are reproducible
with or without the JIT.
"""
from __future__ import annotations

import numpy as np

from ..._jit import njit


@njit
def project_simplex(v, radius, out):
    """Euclidean projection of ``v`` onto ``{x >= 0, sum x = radius}`` (sorting; Duchi et al. 2008)."""
    n = v.size
    shift = v.max()       # projecting v - max(v) 1 gives the same point and keeps radius above rounding
    u = np.sort(v)[::-1] - shift
    css = 0.0
    theta = 0.0
    for k in range(n):
        css += u[k]
        t = (css - radius) / (k + 1.0)
        if u[k] - t > 0.0:
            theta = t
    for k in range(n):
        d = (v[k] - shift) - theta
        out[k] = d if d > 0.0 else 0.0


@njit
def resolve(res, v, out):
    """``out = J_G(v)`` for a product of boxes and simplices (see the module docstring)."""
    kinds, starts, radii, lb, ub = res
    for b in range(kinds.size):
        s, e = starts[b], starts[b + 1]
        if kinds[b] == 0:
            for k in range(s, e):
                x = v[k]
                if x < lb[k]:
                    x = lb[k]
                elif x > ub[k]:
                    x = ub[k]
                out[k] = x
        else:
            project_simplex(v[s:e], radii[b], out[s:e])


@njit
def full_operator(op, u, out):
    """``out = P^T (Q u) / N + c``."""
    Pptr, Pind, Pdat, Qptr, Qind, Qdat, c, _ = op
    N = Pptr.size - 1
    out[:] = c
    for i in range(N):
        s = 0.0
        for k in range(Qptr[i], Qptr[i + 1]):
            s += Qdat[k] * u[Qind[k]]
        if s != 0.0:
            s /= N
            for k in range(Pptr[i], Pptr[i + 1]):
                out[Pind[k]] += s * Pdat[k]


@njit
def add_component_diffs(op, idx, scale, du, out):
    """``out += scale * sum_{i in idx} wscale_i p_i (q_i^T du)`` (the estimator of ``F(u) - F(v)``)."""
    Pptr, Pind, Pdat, Qptr, Qind, Qdat, _, wscale = op
    for t in range(idx.size):
        i = idx[t]
        s = 0.0
        for k in range(Qptr[i], Qptr[i + 1]):
            s += Qdat[k] * du[Qind[k]]
        s *= scale * wscale[i]
        if s != 0.0:
            for k in range(Pptr[i], Pptr[i + 1]):
                out[Pind[k]] += s * Pdat[k]


@njit
def forb_inner(op, res, u, eta, gamma, alpha, idx, coins, v):
    r"""VR-FoRB on ``0 in T(v) + eta G(v)``, ``T(v) = eta F(v) + v - u`` (Alacaoglu & Malitsky 2022).

    Starts at ``v = w = w_prev = u`` (``v`` is overwritten with the result). For each ``t``:

    ``vbar = alpha v + (1 - alpha) w``,
    ``v <- J(vbar - gamma [T(w) + T_i(v) - T_i(w_prev)])`` with ``i = idx[t]``,
    and, when ``coins[t]``, ``w <- v`` with a fresh full ``F(w)``.

    Returns ``(component evaluations, full evaluations)`` for the work count.
    """
    D = u.size
    w = u.copy()
    wp = u.copy()
    v[:] = u
    Fw = np.empty(D)
    full_operator(op, w, Fw)
    nfull = 1
    arg = np.empty(D)
    d = np.empty(D)
    Pptr, Pind, Pdat, Qptr, Qind, Qdat, _, wscale = op
    for t in range(idx.size):
        i = idx[t]
        for k in range(D):
            d[k] = v[k] - wp[k]
        # stochastic part eta * wscale_i * p_i (q_i^T d), kept sparse in g
        s = 0.0
        for k in range(Qptr[i], Qptr[i + 1]):
            s += Qdat[k] * d[Qind[k]]
        s *= eta * wscale[i]
        for k in range(D):
            arg[k] = alpha * v[k] + (1.0 - alpha) * w[k] - gamma * (eta * Fw[k] + w[k] - u[k] + d[k])
        for k in range(Pptr[i], Pptr[i + 1]):
            arg[Pind[k]] -= gamma * s * Pdat[k]
        resolve(res, arg, v)
        wp[:] = w
        if coins[t]:
            w[:] = v
            full_operator(op, w, Fw)
            nfull += 1
    return 2 * idx.size, nfull


@njit
def dense_operator(Xd, c, u, out):
    """``out = X^T (X u) / N + c`` for a dense ``X`` (``P = Q = X``, BLAS products)."""
    s = np.dot(Xd, u)
    out[:] = np.dot(s, Xd) / Xd.shape[0] + c


@njit
def page_block(op, res, u, u_prev, Ft, anchor, eta, k, b, budget, max_iters, coins, samples, perm, cdf,
               importance, Xd):
    r"""A block of Algorithm 1 (PAGE estimator inside the one-step Halpern iteration), in place.

    Runs iterations while the passes used in the block are below ``budget`` and fewer than
    ``max_iters`` iterations have run. Iteration ``t`` (Halpern counter ``k``):

    * a full ``Ft = F(u)`` when ``k <= 1`` or ``coins[t] < p_k`` (one pass), else
      ``Ft += (1/b) sum_{i in S} wscale_i p_i q_i^T (u - u_prev)`` (``2 b / N`` passes), ``S`` from
      ``samples[t*b:(t+1)*b]``: uniform without replacement by a partial Fisher-Yates shuffle of
      ``perm`` (kept across blocks), or, with ``importance``, with replacement by inverse ``cdf``;
    * ``u_prev <- u``, ``u <- J(lambda_k anchor + (1 - lambda_k) u - eta Ft)``, ``lambda_k = 2/(k+4)``.

    ``p_k = 4/(k+4)`` for ``2 <= k <= sqrt(N) + 1`` and ``4/(sqrt(N)+5)`` after. The full ``F`` uses
    the dense ``Xd`` (``P = Q = Xd``, BLAS) when it has rows, else the CSR rows. Stops early, with
    ``ok = False``, when the resolvent's argument is not finite (``u`` is then nan).
    Returns ``(iterations, k, full evaluations, sampled iterations, ok)``.
    """
    Pptr = op[0]
    N = Pptr.size - 1
    D = u.size
    sq = np.sqrt(N)
    arg = np.empty(D)
    du = np.empty(D)
    used = 0.0
    part_cost = 2.0 * b / N
    nfull = 0
    npart = 0
    t = 0
    while t < max_iters and used < budget:
        if k <= 1:
            pk = 1.0
        elif k <= sq + 1:
            pk = 4.0 / (k + 4)
        else:
            pk = 4.0 / (sq + 5)
        if k <= 1 or coins[t] < pk:
            if Xd.shape[0] > 0:
                dense_operator(Xd, op[6], u, Ft)
            else:
                full_operator(op, u, Ft)
            nfull += 1
            used += 1.0
        else:
            base = t * b
            if importance:
                idx = np.empty(b, dtype=np.int64)
                total = cdf[N - 1]
                for j in range(b):
                    i = np.searchsorted(cdf, samples[base + j] * total, side="right")
                    idx[j] = i if i < N else N - 1
            else:
                for j in range(b):
                    r = j + int(samples[base + j] * (N - j))
                    if r > N - 1:
                        r = N - 1
                    tmp = perm[j]
                    perm[j] = perm[r]
                    perm[r] = tmp
                idx = perm[:b]
            for q in range(D):
                du[q] = u[q] - u_prev[q]
            add_component_diffs(op, idx, 1.0 / b, du, Ft)
            npart += 1
            used += part_cost
        lam = 2.0 / (k + 4)
        finite = True
        for q in range(D):
            a = lam * anchor[q] + (1.0 - lam) * u[q] - eta * Ft[q]
            arg[q] = a
            if not np.isfinite(a):
                finite = False
        u_prev[:] = u
        t += 1
        k += 1
        if not finite:
            u[:] = np.nan
            return t, k, nfull, npart, False
        resolve(res, arg, u)
    return t, k, nfull, npart, True


@njit
def pdhg_block(A, u, anchor, Ay, ATx, Ay0, ATx0, m, rx, ry, steps, counters, options, max_iters):
    r"""A block of restarted reflected Halpern PDHG on the matrix game ``min_x max_y x^T A y`` (in place).

    ``u = (x, y)``, ``anchor``; ``Ay, ATx`` (``A y`` and ``A^T x`` of ``u``) and ``Ay0, ATx0`` (of the
    anchor) are carried by the iterate's affine recursion, so an iteration costs one ``A^T x^+`` and
    one ``A y^+`` (one pass). Per iteration, exactly as ``Halpern._pdhg_step``:

    ``x^+ = P_x(x - tau A y)``, ``y^+ = P_y(y + sigma A^T (2 x^+ - x))`` (simplices of radii ``rx, ry``);
    ``r = ||u - T u||_M``; the restart test (``options[0]``: 0 none, 1 fixed every ``options[1]``,
    2 adaptive: ``r <= 0.2 r_s``, or ``r <= 0.8 r_s`` and ``r > r_prev``, or ``k >= 0.36 nit``);
    then either the Halpern step ``u <- u0/(k+2) + (k+1)/(k+2) [(1 - rho) u + rho T u]`` or, on a
    restart, ``u <- u0 <- T u`` (with PDLP's primal-weight update when ``options[2]``).

    ``steps = [tau, sigma, omega, L_A, rho]`` and ``counters = [k, nit, r_start, r_prev, restarts, r]``
    are updated. Returns ``(iterations, ok)``; ``ok`` is False when a point is not finite.
    """
    n = u.size - m
    tau, sigma, omega, LA, rho = steps[0], steps[1], steps[2], steps[3], steps[4]
    k = int(counters[0])
    nit = int(counters[1])
    r_start, r_prev, restarts = counters[2], counters[3], int(counters[4])
    mode, every, pw = options[0], options[1], options[2]
    vx = np.empty(m)
    vy = np.empty(n)
    xp = np.empty(m)
    yp = np.empty(n)
    t = 0
    ok = True
    while t < max_iters:
        x = u[:m]
        y = u[m:]
        for i in range(m):
            vx[i] = x[i] - tau * Ay[i]
        if not np.all(np.isfinite(vx)):
            ok = False
            break
        project_simplex(vx, rx, xp)
        ATxp = np.dot(xp, A)
        for j in range(n):
            vy[j] = y[j] + sigma * (2.0 * ATxp[j] - ATx[j])
        if not np.all(np.isfinite(vy)):
            ok = False
            break
        project_simplex(vy, ry, yp)
        Ayp = np.dot(A, yp)
        s = 0.0
        for i in range(m):
            d = x[i] - xp[i]
            s += d * d / tau - 2.0 * d * (Ay[i] - Ayp[i])
        for j in range(n):
            d = y[j] - yp[j]
            s += d * d / sigma
        r = np.sqrt(s) if s > 0.0 else 0.0
        restart = False
        if mode == 1:
            restart = k + 1 >= every
        elif mode == 2 and k > 0:
            restart = r <= 0.2 * r_start or (r <= 0.8 * r_start and r > r_prev) or k >= 0.36 * nit
        if k == 0:
            r_start = r
        r_prev = r
        t += 1
        nit += 1
        if restart:
            if pw:
                mx = 0.0
                my = 0.0
                for i in range(m):
                    mx += (xp[i] - anchor[i]) ** 2
                for j in range(n):
                    my += (yp[j] - anchor[m + j]) ** 2
                mx = np.sqrt(mx)
                my = np.sqrt(my)
                if mx > 1e-10 and my > 1e-10 and np.isfinite(mx + my):
                    omega = np.exp(0.5 * np.log(my / mx) + 0.5 * np.log(omega))
                    tau = 0.99 / (omega * LA)
                    sigma = 0.99 * omega / LA
            u[:m] = xp
            u[m:] = yp
            anchor[:] = u
            Ay[:] = Ayp
            Ay0[:] = Ayp
            ATx[:] = ATxp
            ATx0[:] = ATxp
            k = 0
            restarts += 1
            r_start = np.inf
        else:
            lam = 1.0 / (k + 2)
            a = (1.0 - lam) * (1.0 - rho)
            b = (1.0 - lam) * rho
            for i in range(m):
                u[i] = lam * anchor[i] + a * x[i] + b * xp[i]
                Ay[i] = lam * Ay0[i] + a * Ay[i] + b * Ayp[i]
            for j in range(n):
                u[m + j] = lam * anchor[m + j] + a * y[j] + b * yp[j]
                ATx[j] = lam * ATx0[j] + a * ATx[j] + b * ATxp[j]
            k += 1
    steps[0], steps[1], steps[2] = tau, sigma, omega
    counters[0], counters[1], counters[2], counters[3], counters[4] = k, nit, r_start, r_prev, restarts
    if t > 0:
        counters[5] = r_prev
    return t, ok
