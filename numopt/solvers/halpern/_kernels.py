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
    u = np.sort(v)[::-1]
    css = 0.0
    theta = 0.0
    for k in range(n):
        css += u[k]
        t = (css - radius) / (k + 1.0)
        if u[k] - t > 0.0:
            theta = t
    for k in range(n):
        d = v[k] - theta
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
def page_block(op, res, u, u_prev, Ft, anchor, eta, k, b, budget, max_iters, coins, samples, perm, cdf,
               importance):
    r"""A block of Algorithm 1 (PAGE estimator inside the one-step Halpern iteration), in place.

    Runs iterations while the passes used in the block are below ``budget`` and fewer than
    ``max_iters`` iterations have run. Iteration ``t`` (Halpern counter ``k``):

    * a full ``Ft = F(u)`` when ``k <= 1`` or ``coins[t] < p_k`` (one pass), else
      ``Ft += (1/b) sum_{i in S} wscale_i p_i q_i^T (u - u_prev)`` (``2 b / N`` passes), ``S`` from
      ``samples[t*b:(t+1)*b]``: uniform without replacement by a partial Fisher-Yates shuffle of
      ``perm`` (kept across blocks), or, with ``importance``, with replacement by inverse ``cdf``;
    * ``u_prev <- u``, ``u <- J(lambda_k anchor + (1 - lambda_k) u - eta Ft)``, ``lambda_k = 2/(k+4)``.

    ``p_k = 4/(k+4)`` for ``2 <= k <= sqrt(N) + 1`` and ``4/(sqrt(N)+5)`` after. Stops early, with
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
