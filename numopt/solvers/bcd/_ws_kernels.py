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

from ..._jit import njit
from . import _datafit


@njit
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
def _soft(v, t):
    if v > t:
        return v - t
    if v < -t:
        return v + t
    return 0.0


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
        new = _soft(old - g / L, alpha / L)
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
def ws_violation(loss, X, y, invN, alpha, w, z, ws):
    """``max_{j in ws} dist(-grad_j f, alpha d|w_j|)`` (the KKT violation on the working set)."""
    v = 0.0
    for t in range(ws.size):
        j = ws[t]
        g = invN * col_grad(loss, X, j, z, y)
        if w[j] > 0.0:
            e = abs(g + alpha)
        elif w[j] < 0.0:
            e = abs(g - alpha)
        else:
            e = max(abs(g) - alpha, 0.0)
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
