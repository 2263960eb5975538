r"""numba kernels of the DAG family: per-order refits and swap evaluation.

Conventions: ``order`` is a permutation (``order[p]`` is the node at position ``p``), ``pos``
its inverse. For a fixed order, node ``k = order[p]`` is regressed on its predecessors
``order[:p]``; the loss is a sum of per-column losses.

Least squares without l1 (``chol_*``): with ``M = Sigma + lambda2 I`` (``Sigma = X^T X / n``)
permuted by the order, ``M_pi = L L^T``, the column loss of the node at position ``p`` is
``(L[p, p]^2 - lambda2) / 2`` (the Schur complement of its predecessors), and its weights solve
``L[:p, :p]^T w = L[p, :p]``. A swap of the nodes at positions ``a < b`` changes only rows
``a..b`` of ``L``; their first ``a`` entries are those of the same nodes in the current factor
(they depend only on the unchanged prefix), so a candidate costs ``O(m^2 a + m^3)`` with
``m = b - a + 1`` instead of ``m`` regressions.

Least squares with l1 (``lasso_*``): cyclic coordinate descent on the Gram matrix, warm-started.
Logistic (``logistic_*``): (proximal) Newton with the shared Armijo test
(:func:`numopt.linesearch_kernels.armijo_accepts`), coordinate descent on the quadratic model when
``lambda1 > 0``.
"""
from __future__ import annotations

import numpy as np

from ..._cd_kernels import l1_violation
from ..._jit import njit
from ...linesearch_kernels import armijo_accepts

__all__ = ["chol_order", "chol_weights", "chol_swap_deltas", "lasso_cd", "lasso_swap_deltas",
           "logistic_fit", "logistic_swap_deltas", "PIVOT_RTOL"]

#: A node whose residual variance given its predecessors is below ``PIVOT_RTOL`` times its own
#: variance (R^2 > 1 - 1e-10) makes the Gram matrix singular along the order.
PIVOT_RTOL = 1e-10


# ---------------------------------------------------------------------------------------
# least squares, no l1: Cholesky along the order
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def chol_order(Ms, order, L):
    """Cholesky factor ``L`` of ``Ms[order][:, order]`` in place; returns the first position
    whose squared pivot is at most ``PIVOT_RTOL * Ms_kk`` (``-1`` when the factorization succeeded)."""
    d = order.shape[0]
    for p in range(d):
        k = order[p]
        for q in range(p):
            s = Ms[k, order[q]]
            for r in range(q):
                s -= L[p, r] * L[q, r]
            L[p, q] = s / L[q, q]
        s = Ms[k, k]
        for r in range(p):
            s -= L[p, r] * L[p, r]
        if not s > PIVOT_RTOL * Ms[k, k]:
            return p
        L[p, p] = np.sqrt(s)
        for q in range(p + 1, d):
            L[p, q] = 0.0
    return -1


@njit(cache=True)
def chol_weights(L, order, W):
    """Fill ``W`` (d x d, zeroed by the caller) with the per-order regression weights:
    ``W[order[:p], order[p]]`` solves ``L[:p, :p]^T w = L[p, :p]``."""
    d = order.shape[0]
    w = np.empty(d)
    for p in range(1, d):
        for q in range(p - 1, -1, -1):
            s = L[p, q]
            for r in range(q + 1, p):
                s -= L[r, q] * w[r]
            w[q] = s / L[q, q]
        k = order[p]
        for q in range(p):
            W[order[q], k] = w[q]


@njit(cache=True)
def chol_swap_deltas(Ms, L, order, pos, ci, cj, out):
    """``out[t]``: change of the loss when nodes ``ci[t]`` (later) and ``cj[t]`` (earlier) swap
    positions (``+inf`` if a pivot is singular, as in :func:`chol_order`). Only rows ``pos[cj]..pos[ci]`` are refitted."""
    d = order.shape[0]
    Ln = np.empty((d, d))
    nodes = np.empty(d, dtype=np.int64)
    for t in range(ci.shape[0]):
        a, b = pos[cj[t]], pos[ci[t]]
        m = b - a + 1
        for u in range(m):
            nodes[u] = order[a + u]
        nodes[0], nodes[m - 1] = ci[t], cj[t]
        new = 0.0
        old = 0.0
        ok = True
        for u in range(m):
            k = nodes[u]
            rk = pos[k]
            for v in range(u):
                kk = nodes[v]
                rv = pos[kk]
                s = Ms[k, kk]
                for r in range(a):
                    s -= L[rk, r] * L[rv, r]
                for r in range(v):
                    s -= Ln[u, r] * Ln[v, r]
                Ln[u, v] = s / Ln[v, v]
            s = Ms[k, k]
            for r in range(a):
                s -= L[rk, r] * L[rk, r]
            for r in range(u):
                s -= Ln[u, r] * Ln[u, r]
            if not s > PIVOT_RTOL * Ms[k, k]:
                ok = False
                break
            Ln[u, u] = np.sqrt(s)
            new += s
            old += L[a + u, a + u] * L[a + u, a + u]
        out[t] = 0.5 * (new - old) if ok else np.inf


# ---------------------------------------------------------------------------------------
# least squares with l1: coordinate descent on the Gram matrix
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def _lasso_residual(Ms, j, parents, w, g, lam1):
    """Largest scaled optimality residual ``dist(-g_k, lam1 d|w_k|) / sqrt(A_kk Ms_jj)``."""
    worst = 0.0
    for u in range(parents.shape[0]):
        r = l1_violation(g[u], w[u], lam1) / np.sqrt(Ms[parents[u], parents[u]] * Ms[j, j])
        if r > worst:
            worst = r
    return worst


@njit(cache=True)
def _lasso_gradient(Ms, j, parents, w, g):
    p = parents.shape[0]
    for u in range(p):
        s = -Ms[parents[u], j]
        for v in range(p):
            s += Ms[parents[u], parents[v]] * w[v]
        g[u] = s


@njit(cache=True)
def _lasso_polish(Ms, j, parents, w, g, lam1, tol):
    """Active-set polishing: repeat {solve ``A_SS w_S = b_S - lam1 sign(w_S)`` on the support
    ``S`` of ``w``; move towards the solution as far as the signs hold, dropping the coordinate
    that reaches zero} until the face minimizer is reached (at most ``|S|`` drops). Each move
    decreases ``c`` (``c`` equals that convex quadratic on the face). Updates ``w`` and
    ``g``; returns whether the residual test then passes."""
    p = parents.shape[0]
    idx = np.empty(p, dtype=np.int64)
    for _drop in range(p + 1):
        m = 0
        for u in range(p):
            if w[u] != 0.0:
                idx[m] = u
                m += 1
        if m == 0:
            break
        A = np.empty((m, m))
        rhs = np.empty(m)
        for a in range(m):
            ka = parents[idx[a]]
            rhs[a] = Ms[ka, j] - lam1 * np.sign(w[idx[a]])
            for c in range(m):
                A[a, c] = Ms[ka, parents[idx[c]]]
        sol = np.linalg.solve(A, rhs)
        t = 1.0
        hit = -1
        for a in range(m):
            wa = w[idx[a]]
            if np.sign(sol[a]) != np.sign(wa):
                ta = wa / (wa - sol[a])             # where the segment crosses zero
                if ta < t:
                    t = ta
                    hit = a
        for a in range(m):
            u = idx[a]
            w[u] = w[u] + t * (sol[a] - w[u])
        if hit < 0:
            break
        w[idx[hit]] = 0.0
    _lasso_gradient(Ms, j, parents, w, g)
    return _lasso_residual(Ms, j, parents, w, g, lam1) <= tol


@njit(cache=True)
def lasso_cd(Ms, j, parents, w, lam1, tol, maxit):
    r"""Minimize ``c(w) = Ms_jj / 2 - b^T w + w^T A w / 2 + lam1 |w|_1`` over ``w`` (in place),
    ``A = Ms[parents][:, parents]``, ``b = Ms[parents, j]`` (``Ms = Sigma + lambda2 I``).

    Cyclic coordinate descent (which finds the coordinates that enter the support) with an
    active-set polish every 3 sweeps (:func:`_lasso_polish`: the exact minimizer on the current
    orthant face, dropping coordinates whose sign would change); on ill-conditioned Gram matrices,
    e.g. raw varsortable data, plain coordinate descent needs thousands of sweeps. Stops when
    every coordinate's optimality residual ``dist(-grad_k, lam1 d|w_k|)`` is at most
    ``tol * sqrt(A_kk * Ms_jj)`` (a correlation-like, scale-free test). Returns
    ``(c(w), converged)``; ``c`` uses ``Ms_jj = Sigma_jj + lambda2``, so the column's score is
    ``c(w) - lambda2 / 2`` (the caller's shift).
    """
    p = parents.shape[0]
    g = np.empty(p)                      # g = A w - b
    _lasso_gradient(Ms, j, parents, w, g)
    converged = p == 0 or _lasso_residual(Ms, j, parents, w, g, lam1) <= tol
    for sweep in range(maxit):
        if converged:
            break
        for u in range(p):
            akk = Ms[parents[u], parents[u]]
            z = w[u] - g[u] / akk
            wn = np.sign(z) * max(abs(z) - lam1 / akk, 0.0)
            dw = wn - w[u]
            if dw != 0.0:
                w[u] = wn
                ku = parents[u]
                for v in range(p):
                    g[v] += Ms[parents[v], ku] * dw
        converged = _lasso_residual(Ms, j, parents, w, g, lam1) <= tol
        if not converged and sweep % 3 == 2:
            converged = _lasso_polish(Ms, j, parents, w, g, lam1, tol)
    val = 0.5 * Ms[j, j]
    for u in range(p):
        # with g = A w - b: c = Ms_jj / 2 + w^T (g - b) / 2 + lam1 |w|_1
        val += 0.5 * (g[u] - Ms[parents[u], j]) * w[u] + lam1 * abs(w[u])
    return val, converged


# ---------------------------------------------------------------------------------------
# logistic loss: (proximal) Newton per column
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def _logistic_value(X, j, parents, w, lam1, lam2, eta):
    n = X.shape[0]
    p = parents.shape[0]
    val = 0.0
    for i in range(n):
        s = 0.0
        for u in range(p):
            s += X[i, parents[u]] * w[u]
        eta[i] = s
        if s > 0:
            val += s + np.log1p(np.exp(-s)) - X[i, j] * s
        else:
            val += np.log1p(np.exp(s)) - X[i, j] * s
    val /= n
    for u in range(p):
        val += lam1 * abs(w[u]) + 0.5 * lam2 * w[u] * w[u]
    return val


@njit(cache=True)
def logistic_fit(X, j, parents, w, lam1, lam2, tol, maxit):
    r"""Minimize ``(1/n) sum_i [log(1 + e^{eta_i}) - x_ij eta_i] + lam1 |w|_1 + lam2/2 |w|^2``,
    ``eta = X[:, parents] w`` (in place), by (proximal) Newton with Armijo backtracking.

    The direction minimizes the quadratic model (a Cholesky solve, or coordinate descent when
    ``lam1 > 0``); the Armijo slope is ``g^T d + lam1 (|w + d|_1 - |w|_1)`` (Tseng & Yun 2009).
    Stops when the optimality residual ``max_k dist(-g_k, lam1 d|w_k|)`` is at most ``tol``
    (the loss is an average of O(1) terms). When the predicted decrease is below the rounding
    of the objective, the full step is taken without the Armijo test (which cannot decide
    there); the residual test still decides convergence. Returns ``(value, converged)``.
    """
    n = X.shape[0]
    p = parents.shape[0]
    eta = np.empty(n)
    f = _logistic_value(X, j, parents, w, lam1, lam2, eta)
    if p == 0:
        return f, True
    g = np.empty(p)
    H = np.empty((p, p))
    dvec = np.empty(p)
    wt = np.empty(p)
    pr = np.empty(n)
    for _ in range(maxit):
        for i in range(n):
            pr[i] = 1.0 / (1.0 + np.exp(-eta[i]))
        for u in range(p):
            s = 0.0
            for i in range(n):
                s += X[i, parents[u]] * (pr[i] - X[i, j])
            g[u] = s / n + lam2 * w[u]
        worst = 0.0
        for u in range(p):
            if w[u] > 0:
                r = abs(g[u] + lam1)
            elif w[u] < 0:
                r = abs(g[u] - lam1)
            else:
                r = max(abs(g[u]) - lam1, 0.0)
            worst = max(worst, r)
        if worst <= tol:
            return f, True
        for u in range(p):
            for v in range(u + 1):
                s = 0.0
                for i in range(n):
                    s += X[i, parents[u]] * X[i, parents[v]] * pr[i] * (1.0 - pr[i])
                H[u, v] = s / n
                H[v, u] = s / n
            H[u, u] += lam2 + 1e-12
        if lam1 == 0.0:
            dvec[:] = np.linalg.solve(H, -g)
        else:
            for u in range(p):
                dvec[u] = 0.0
            for _sweep in range(50):
                change = 0.0
                for u in range(p):
                    # model gradient at w + d, coordinate u
                    s = g[u]
                    for v in range(p):
                        s += H[u, v] * dvec[v]
                    z = w[u] + dvec[u] - s / H[u, u]
                    zn = np.sign(z) * max(abs(z) - lam1 / H[u, u], 0.0)
                    change = max(change, abs(zn - w[u] - dvec[u]))
                    dvec[u] = zn - w[u]
                if change <= 1e-3 * tol:
                    break
        slope = 0.0
        for u in range(p):
            slope += g[u] * dvec[u] + lam1 * (abs(w[u] + dvec[u]) - abs(w[u]))
        if not slope < 0.0:
            return f, worst <= 10 * tol
        alpha = 1.0
        accepted = False
        if -slope <= 1e2 * 2.220446049250313e-16 * max(abs(f), 1.0):
            # the predicted decrease is below the rounding of f: the Armijo test cannot decide,
            # take the full (proximal) Newton step and let the residual test judge it
            for u in range(p):
                wt[u] = w[u] + dvec[u]
            ft = _logistic_value(X, j, parents, wt, lam1, lam2, eta)
            accepted = ft == ft
        for _ls in range(40):
            if accepted:
                break
            for u in range(p):
                wt[u] = w[u] + alpha * dvec[u]
            ft = _logistic_value(X, j, parents, wt, lam1, lam2, eta)
            if armijo_accepts(ft, f, alpha, slope, 1e-4):
                accepted = True
                break
            alpha *= 0.5
        if not accepted:
            _logistic_value(X, j, parents, w, lam1, lam2, eta)
            return f, False
        for u in range(p):
            w[u] = wt[u]
        f = ft
    return f, False


# ---------------------------------------------------------------------------------------
# swap evaluation by column refits (l1 least squares, logistic)
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def _refit_swap_deltas(data, logistic, order, pos, W, ccost, ci, cj, lam1, lam2, tol, maxit, out):
    """The swap loop shared by the l1 least-squares and logistic scores: ``out[t]`` is the change
    of the loss when ``ci[t]`` (later) and ``cj[t]`` (earlier) swap positions, every column of
    the interval ``pos[cj[t]]..pos[ci[t]]`` refitted warm from ``W`` by :func:`logistic_fit` on
    the data (``logistic``) or by :func:`lasso_cd` on the Gram matrix ``data = Ms`` (``lam2`` is
    then already in ``Ms``). Returns the number of inner solves that did not converge (their
    candidates get ``+inf``)."""
    d = order.shape[0]
    nodes = np.empty(d, dtype=np.int64)
    w = np.empty(d)
    nfail = 0
    for t in range(ci.shape[0]):
        a, b = pos[cj[t]], pos[ci[t]]
        m = b - a + 1
        for u in range(m):
            nodes[u] = order[a + u]
        nodes[0], nodes[m - 1] = ci[t], cj[t]
        par = np.empty(b, dtype=np.int64)
        for u in range(a):
            par[u] = order[u]
        delta = 0.0
        ok = True
        for u in range(m):
            k = nodes[u]
            npar = a + u
            if u > 0:
                par[npar - 1] = nodes[u - 1]
            for v in range(npar):
                w[v] = W[par[v], k]
            if logistic:
                val, conv = logistic_fit(data, k, par[:npar], w[:npar], lam1, lam2, tol, maxit)
            else:
                val, conv = lasso_cd(data, k, par[:npar], w[:npar], lam1, tol, maxit)
            if not conv:
                ok = False
                nfail += 1
                break
            delta += val - ccost[k]
        out[t] = delta if ok else np.inf
    return nfail


@njit(cache=True)
def lasso_swap_deltas(Ms, order, pos, W, ccost, ci, cj, lam1, tol, maxit, out):
    """``out[t]``: change of the l1 least-squares loss for swapping ``ci[t]``/``cj[t]``; the
    interval's columns are refitted by :func:`lasso_cd`, warm-started from ``W``. Returns the
    number of inner solves that did not converge (their candidates get ``+inf``)."""
    return _refit_swap_deltas(Ms, False, order, pos, W, ccost, ci, cj, lam1, 0.0, tol, maxit, out)


@njit(cache=True)
def logistic_swap_deltas(X, order, pos, W, ccost, ci, cj, lam1, lam2, tol, maxit, out):
    """As :func:`lasso_swap_deltas` for the logistic loss (refits by :func:`logistic_fit`)."""
    return _refit_swap_deltas(X, True, order, pos, W, ccost, ci, cj, lam1, lam2, tol, maxit, out)
