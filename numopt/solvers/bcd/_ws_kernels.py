r"""numba kernels of the working-set engine for L1 problems (Lasso, L1-logistic regression).

The design ``X`` travels as one tuple ``X = (D, indptr, indices, data)``: a dense
Fortran-ordered ``D`` (then ``indptr`` is empty, and columns are read in place, no CSC copy)
or the CSC arrays of a sparse ``X`` (then ``D`` is a 2 x 2 dummy). Tuples keep the
signatures short and compile to plain structs; unlike jitclasses they are cached on disk.
The loss is an integer code resolved by :mod:`._datafit`.

Inner solver: cyclic proximal coordinate descent on the working set ``ws``
(``w_j <- S_{alpha/L_j}(w_j - grad_j f / L_j)``, ``L_j = c ||X_j||^2 / N`` with the datafit's
curvature bound ``c``), with Anderson extrapolation of the primal iterates every ``K``
epochs (Bertrand & Massias, AISTATS 2021; skglm), accepted only when it lowers the
objective, and the KKT violation on ``ws`` checked every ``check`` epochs.
"""
from __future__ import annotations

import numpy as np

from ..._cd_kernels import l1_violation, soft_threshold
from ..._jit import njit
from ...linesearch_kernels import armijo_accepts
from . import _datafit

#: reassociation only (no nnan/ninf: NaN still propagates), so LLVM vectorizes the reductions
_REDUCE = {"reassoc", "contract"}


@njit(fastmath=_REDUCE)
def col_grad(loss, X, j, z, y):
    """``X_j^T phi'(z, y)`` (without the ``1/N``)."""
    D, indptr, indices, data = X
    s = 0.0
    if indptr.size == 0:
        if loss == 0:
            for i in range(D.shape[0]):
                s += D[i, j] * (z[i] - y[i])
        else:
            for i in range(D.shape[0]):
                s += D[i, j] * _datafit.deriv(1, z[i], y[i])
    else:
        if loss == 0:
            for k in range(indptr[j], indptr[j + 1]):
                i = indices[k]
                s += data[k] * (z[i] - y[i])
        else:
            for k in range(indptr[j], indptr[j + 1]):
                i = indices[k]
                s += data[k] * _datafit.deriv(1, z[i], y[i])
    return s


@njit
def col_axpy(X, j, a, v):
    """``v += a X_j``."""
    D, indptr, indices, data = X
    if indptr.size == 0:
        for i in range(D.shape[0]):
            v[i] += a * D[i, j]
    else:
        for k in range(indptr[j], indptr[j + 1]):
            v[indices[k]] += a * data[k]


@njit
def col_sq_norms(X):
    """``||X_j||^2`` for every column (one pass, in place for dense ``D``)."""
    D, indptr, indices, data = X
    p = D.shape[1] if indptr.size == 0 else indptr.size - 1
    out = np.zeros(p)
    for j in range(p):
        s = 0.0
        if indptr.size == 0:
            for i in range(D.shape[0]):
                s += D[i, j] * D[i, j]
        else:
            for k in range(indptr[j], indptr[j + 1]):
                s += data[k] * data[k]
        out[j] = s
    return out


@njit
def cd_epoch(loss, X, y, invN, alpha, w, z, ws, Lc):
    """One cyclic pass of proximal coordinate descent over ``ws`` (``z = X w`` kept)."""
    for t in range(ws.size):
        j = ws[t]
        L = Lc[j]
        if L <= 0.0:            # zero column: w_j = 0 is optimal and stays
            continue
        g = invN * col_grad(loss, X, j, z, y)
        old = w[j]
        new = soft_threshold(old - g / L, alpha / L)
        if new != old:
            col_axpy(X, j, new - old, z)
            w[j] = new


@njit
def objective(loss, y, invN, alpha, w, z):
    s = 0.0
    for i in range(z.size):
        s += _datafit.value(loss, z[i], y[i])
    r = 0.0
    for j in range(w.size):
        r += abs(w[j])
    return invN * s + alpha * r


@njit
def certify_pass(loss, X, y, invN, alpha, w, z, rho, g):
    """The certificate's one pass over the data: ``rho_i = phi'(z_i, y_i)`` (into ``rho``),
    ``g = X^T rho / N`` (into ``g``) and returns ``P(w)``; the value and the derivative share
    one exponential per sample (:func:`._datafit.value_deriv`)."""
    s = 0.0
    for i in range(z.size):
        v, r = _datafit.value_deriv(loss, z[i], y[i])
        s += v
        rho[i] = r
    D, indptr, indices, data = X
    p = g.size
    for j in range(p):
        t = 0.0
        if indptr.size == 0:
            for i in range(D.shape[0]):
                t += D[i, j] * rho[i]
        else:
            for k in range(indptr[j], indptr[j + 1]):
                t += data[k] * rho[indices[k]]
        g[j] = invN * t
    l1 = 0.0
    for j in range(w.size):
        l1 += abs(w[j])
    return invN * s + alpha * l1


@njit
def rmatvec(X, v, invN, out):
    """``out = X^T v / N``."""
    D, indptr, indices, data = X
    for j in range(out.size):
        t = 0.0
        if indptr.size == 0:
            for i in range(D.shape[0]):
                t += D[i, j] * v[i]
        else:
            for k in range(indptr[j], indptr[j + 1]):
                t += data[k] * v[indices[k]]
        out[j] = invN * t


@njit
def dual_value(loss, r, y, N, s):
    """``D(theta)`` at ``theta = -s r / N`` (``-inf`` outside the dual domain)."""
    t = 0.0
    for i in range(r.size):
        t += _datafit.dual_term(loss, r[i], y[i], N, s)
    return t / N


@njit
def ws_violation(loss, X, y, invN, alpha, w, z, ws):
    """``max_{j in ws} dist(-grad_j f, alpha d|w_j|)`` (the KKT violation on the working set)."""
    v = 0.0
    for t in range(ws.size):
        j = ws[t]
        e = l1_violation(invN * col_grad(loss, X, j, z, y), w[j], alpha)
        if not (e <= v):        # also propagates nan
            v = e
    return v


@njit
def _anderson(last, K):
    """Anderson weights ``c`` (``sum c = 1``) from ``K + 1`` stored iterates (rows of ``last``);
    returns the extrapolated point, or an empty array if the system is degenerate."""
    m = last.shape[1]
    U = np.empty((K, m))
    for k in range(K):
        for a in range(m):
            U[k, a] = last[k + 1, a] - last[k, a]
    C = U @ U.T
    tr = 0.0
    for k in range(K):
        tr += C[k, k]
    if not (tr > 0.0) or not np.isfinite(tr):
        return np.empty(0)
    for k in range(K):
        C[k, k] += 1e-10 * tr / K
    z = np.linalg.solve(C, np.ones(K))
    sz = z.sum()
    if not np.isfinite(sz) or sz == 0.0:
        return np.empty(0)
    out = np.zeros(m)
    for k in range(K):
        c = z[k] / sz
        for a in range(m):
            out[a] += c * last[k + 1, a]
    return out


@njit
def solve_ws(loss, X, y, invN, alpha, w, z, ws, Lc, tol, max_epochs, K, check):
    """Solve the problem restricted to ``ws`` until its KKT violation is ``<= tol``.

    Updates ``w`` and ``z = X w`` in place. Returns ``(epochs, extra, violation)``:
    coordinate epochs over ``ws``, further passes over ``X_ws`` (Anderson products and
    violation checks, each costing one epoch's data) and the last violation computed.
    """
    m = ws.size
    last = np.empty((K + 1, m)) if K > 0 else np.empty((1, m))
    zacc = np.empty(z.size)
    extra = 0
    viol = np.inf
    epochs = 0
    for ep in range(max_epochs):
        cd_epoch(loss, X, y, invN, alpha, w, z, ws, Lc)
        epochs += 1
        if K > 0:
            r = ep % (K + 1)
            for a in range(m):
                last[r, a] = w[ws[a]]
            if r == K:
                wacc = _anderson(last, K)
                if wacc.size == m:
                    for i in range(z.size):
                        zacc[i] = 0.0
                    for a in range(m):
                        if wacc[a] != 0.0:
                            col_axpy(X, ws[a], wacc[a], zacc)
                    extra += 1
                    f_old = objective(loss, y, invN, alpha, w, z)
                    wold = np.empty(m)
                    for a in range(m):
                        wold[a] = w[ws[a]]
                        w[ws[a]] = wacc[a]
                    f_new = objective(loss, y, invN, alpha, w, zacc)
                    if f_new < f_old:
                        for i in range(z.size):
                            z[i] = zacc[i]
                    else:
                        for a in range(m):
                            w[ws[a]] = wold[a]
        if (ep + 1) % check == 0 or ep == max_epochs - 1:
            viol = ws_violation(loss, X, y, invN, alpha, w, z, ws)
            extra += 1
            if viol <= tol or not np.isfinite(viol):
                break
    return epochs, extra, viol


@njit
def newton_ws(loss, X, y, invN, alpha, w, z, ws, tol, max_newton, max_cd):
    r"""Proximal Newton on the working set (for the logistic datafit; Lee, Sun & Saunders 2014,
    as in celer-pn and skglm's ``ProxNewton``).

    Each iteration minimises the quadratic model
    ``g^T d + 1/2 d^T X_ws^T H X_ws d + alpha ||w + d||_1`` (``H = diag(phi''(z)) / N``) by at most
    ``max_cd`` cyclic CD epochs, then backtracks on ``F(w + t d)`` with the shared sufficient-
    decrease test :func:`numopt.linesearch_kernels.armijo_accepts` (``c1 = 1e-4``). Stops when
    the working-set KKT violation is ``<= tol``. Returns ``(iterations, passes over X_ws,
    violation, ok)``; ``ok`` is False when the line search failed (no sufficient decrease in
    40 halvings: the caller falls back to coordinate descent, which is monotone by construction).
    The model is solved to ``eta`` times the violation, ``eta = min(0.3, viol / viol_0,
    viol / alpha)`` (a superlinear forcing sequence, also across calls through ``viol / alpha``);
    when CD has not reached it in ``max_cd`` epochs, :func:`_support_newton` solves the model
    exactly on its support. The Armijo test is applied to the difference ``F(w + t d) - F(w)``
    summed term by term (:func:`._datafit.delta`, no cancellation), so it still decides when the
    decrease is far below the rounding of ``F``; a predicted decrease below one ulp of ``F``
    takes the full step: the outer duality gap judges the result.
    """
    m = ws.size
    n = z.size
    h = np.zeros(n)         # zero off the working-set rows (_support_newton reads all rows)
    rho = np.zeros(n)
    Xd = np.zeros(n)
    d = np.zeros(m)
    gws = np.empty(m)
    Lh = np.empty(m)
    passes = 0
    viol = np.inf
    viol0 = 1.0
    D, indptr, indices, data = X
    dense = indptr.size == 0
    # the rows the working set touches: X_ws d vanishes elsewhere, so the per-sample loops
    # (derivative, curvature, line search, z update) run over these rows only (sparse X: on w8a
    # 14 working-set features touch a small share of the 49,749 samples)
    rows = _ws_rows(X, ws, n)
    nr = rows.size
    F0 = objective(loss, y, invN, alpha, w, z)
    for it in range(max_newton):
        for k in range(nr):
            i = rows[k]
            rho[i], h[i] = _datafit.deriv_curv(loss, z[i], y[i])
        viol = 0.0
        for a in range(m):
            j = ws[a]
            sg = 0.0
            sh = 0.0
            if dense:
                for i in range(n):
                    v = D[i, j]
                    sg += v * rho[i]
                    sh += h[i] * v * v
            else:
                for k in range(indptr[j], indptr[j + 1]):
                    i = indices[k]
                    sg += data[k] * rho[i]
                    sh += h[i] * data[k] * data[k]
            gws[a] = invN * sg
            Lh[a] = invN * sh
            e = l1_violation(gws[a], w[j], alpha)
            if not (e <= viol):
                viol = e
        passes += 1
        if viol <= tol or not np.isfinite(viol):
            return it, passes, viol, True
        if it == 0:
            viol0 = viol
        # superlinear forcing of the inexact model solve: relative to the first violation of this
        # call and to alpha (dimensionless: a call starts at eta = 0.3 otherwise, and outer steps
        # that run one Newton iteration each then converge only linearly, rate ~0.3)
        eta = min(0.3, viol / viol0, viol / alpha)
        for k in range(nr):
            Xd[rows[k]] = 0.0
        for a in range(m):
            d[a] = 0.0
        for e in range(max_cd):
            dmax = 0.0
            for a in range(m):
                if Lh[a] <= 0.0:
                    continue
                j = ws[a]
                s = 0.0
                if dense:
                    for i in range(n):
                        s += D[i, j] * h[i] * Xd[i]
                else:
                    for k in range(indptr[j], indptr[j + 1]):
                        i = indices[k]
                        s += data[k] * h[i] * Xd[i]
                gm = gws[a] + invN * s
                u = w[j] + d[a]
                un = soft_threshold(u - gm / Lh[a], alpha / Lh[a])
                delta = un - u
                if delta != 0.0:
                    d[a] += delta
                    col_axpy(X, j, delta, Xd)
                    dmax = max(dmax, Lh[a] * abs(delta))
            passes += 1
            if dmax <= eta * viol:
                break
        else:
            # CD on an ill-conditioned model is slow: solve the model exactly on the support it
            # identified, with its signs fixed, when that costs at most ~max_cd epochs
            passes += _support_newton(X, invN, alpha, w, ws, gws, h, d, Xd, max_cd)
        slope = 0.0
        for a in range(m):
            j = ws[a]
            slope += gws[a] * d[a] + alpha * (abs(w[j] + d[a]) - abs(w[j]))
        if not (slope < 0.0):
            return it, passes, viol, False
        # the Armijo test on the *difference* F(w + t d) - F(w), summed term by term without
        # cancellation (_datafit.delta): near the optimum the decrease is far below the rounding of
        # F itself (measured on a9a.t, N = 16281: predicted decreases of 1e-16 against a rounding of
        # F of ~1e-14 stalled 100 Newton iterations per outer step). F0 (only used for the ulp
        # test) is kept up to date by the accepted differences.
        t = 1.0
        ok = False
        dF = 0.0
        if -slope <= 2.2e-16 * abs(F0):
            ok = True          # decrease below one ulp of F: cannot change F, take the full step
        for _ in range(0 if ok else 40):
            s = 0.0
            for k in range(nr):
                i = rows[k]
                s += _datafit.delta(loss, z[i], y[i], t * Xd[i])
            r = 0.0
            for a in range(m):
                j = ws[a]
                r += abs(w[j] + t * d[a]) - abs(w[j])
            dF = invN * s + alpha * r
            if armijo_accepts(dF, 0.0, t, slope, 1e-4):
                ok = True
                break
            t *= 0.5
        if not ok:
            return it, passes, viol, False
        F0 += dF
        for a in range(m):
            w[ws[a]] += t * d[a]
        for k in range(nr):
            i = rows[k]
            z[i] += t * Xd[i]
    return max_newton, passes, viol, True


@njit
def _ws_rows(X, ws, n):
    """Sorted rows where some column of ``ws`` is stored (all rows for a dense ``X``)."""
    D, indptr, indices, data = X
    if indptr.size == 0:
        return np.arange(n)
    mark = np.zeros(n, dtype=np.bool_)
    cnt = 0
    for a in range(ws.size):
        j = ws[a]
        for k in range(indptr[j], indptr[j + 1]):
            i = indices[k]
            if not mark[i]:
                mark[i] = True
                cnt += 1
    out = np.empty(cnt, dtype=np.int64)
    q = 0
    for i in range(n):
        if mark[i]:
            out[q] = i
            q += 1
    return out


@njit
def _support_newton(X, invN, alpha, w, ws, gws, h, d, Xd, budget):
    """Exact minimiser of the prox-Newton model on ``S = supp(w + d)`` with the signs of
    ``w + d`` fixed: ``H_SS d_S = -(g_S + alpha sign_S) - (H d_{S^c})_S``, kept only if the signs
    agree (otherwise ``d``, ``Xd`` are unchanged). Returns the passes over ``X_ws`` spent."""
    D, indptr, indices, data = X
    dense = indptr.size == 0
    m = ws.size
    n = Xd.size
    S = np.empty(m, dtype=np.int64)
    q = 0
    for a in range(m):
        if w[ws[a]] + d[a] != 0.0:
            S[q] = a
            q += 1
    if q == 0 or (q + 1) * q > 2 * budget * max(m, 1):
        return 0
    # Xc = X_{S^c} d_{S^c} (coordinates the model sets to zero)
    Xc = np.zeros(n)
    inS = np.zeros(m, dtype=np.bool_)
    for b in range(q):
        inS[S[b]] = True
    for a in range(m):
        if not inS[a] and d[a] != 0.0:
            col_axpy(X, ws[a], d[a], Xc)
    H = np.zeros((q, q))
    rhs = np.empty(q)
    col = np.zeros(n)
    for b in range(q):
        j = ws[S[b]]
        for i in range(n):
            col[i] = 0.0
        col_axpy(X, j, 1.0, col)
        hc = 0.0
        for i in range(n):
            col[i] *= h[i]
            hc += col[i] * Xc[i]
        sg = 1.0 if w[j] + d[S[b]] > 0.0 else -1.0
        rhs[b] = -(gws[S[b]] + alpha * sg) - invN * hc
        for c in range(b + 1):
            jc = ws[S[c]]
            v = 0.0
            if dense:
                for i in range(n):
                    v += D[i, jc] * col[i]
            else:
                for k in range(indptr[jc], indptr[jc + 1]):
                    v += data[k] * col[indices[k]]
            H[b, c] = invN * v
            H[c, b] = invN * v
    tr = 0.0
    for b in range(q):
        tr += H[b, b]
    if not (tr > 0.0) or not np.isfinite(tr):
        return q
    for b in range(q):
        H[b, b] += 1e-12 * tr / q
    u = np.linalg.solve(H, rhs)
    for b in range(q):
        j = ws[S[b]]
        sg = 1.0 if w[j] + d[S[b]] > 0.0 else -1.0
        if not np.isfinite(u[b]) or (w[j] + u[b]) * sg <= 0.0:
            return q                    # sign change: keep the CD direction
    for b in range(q):
        d[S[b]] = u[b]
    for i in range(n):
        Xd[i] = Xc[i]
    for b in range(q):
        col_axpy(X, ws[S[b]], u[b], Xd)
    return q
