r"""numba kernels of block coordinate descent (Nutini, Laradji & Schmidt, JMLR 2022).

Everything per iteration of the plain engine happens here: gradient bookkeeping, block
updates and the batch loop (:func:`run_batch`). The selection-rule scores and top-k selection
live in :mod:`._rules`, the forest (message-passing) solves and colourings in :mod:`._forest`,
the separable term's scalars in :mod:`._penalty`. Module-level functions
over arrays and scalars, updating arrays in place.

Problem encoding (``kind``), with the matrix in CSC form ``(indptr, indices, data)``:

* ``0`` least squares ``f = invN/2 ||X x - y||^2``; ``aux = X x`` is maintained;
* ``1`` logistic ``f = invN sum log(1 + exp(-y_i (X x)_i))``; ``aux = X x``;
* ``2`` quadratic ``f = 1/2 x^T A x - y^T x`` (``A`` symmetric, e.g. a graph Laplacian);
  ``aux = A x - y`` (the gradient itself) is maintained;
* ``3`` softmax regression ``f = invN sum_i [logsumexp((X W)_i) - (X W)_{i, y_i}]`` with
  ``x = vec(W)`` row-major (``j = f K + c``) and ``aux = vec(X W)`` (``n x K`` row-major).

Separable term (``reg``): ``0`` none, ``1`` ``alpha ||x||_1``, ``2`` ``alpha 1^T x`` plus
``x >= 0``. Rules (``rule``): 0 cyclic, 1 random, 2 Lipschitz sampling, 3 GS, 4 GSL,
5 GSD, 6 GSQ. Updates (``update``): 0 gradient step with the block constant ``L_b``,
1 backtracking estimate of ``L_b``, 2 matrix update with a fixed upper bound ``H_b`` of the
block Hessian (exact block minimisation for quadratics; message passing on forest blocks),
3 Newton with the exact block Hessian and an Armijo line search (proximal Newton when
``reg > 0``).
"""
from __future__ import annotations

import numpy as np

from ..._jit import njit
from ...linesearch_kernels import armijo_accepts
from ._logistic import _sigmoid          # the one overflow-safe logistic function of the family
from ._forest import forest_solve, greedy_forest
from ._penalty import _prox, _regval
from ._rules import _block_score, _topk, _topk_mask, coord_scores

# ----------------------------------------------------------------------------------------
# scalar helpers


@njit
def _log1pexp(t):
    if t > 0.0:
        return t + np.log1p(np.exp(-t))
    return np.log1p(np.exp(t))


@njit
def _dphi(kind, zi, yi):
    """Derivative of the per-sample loss at ``z_i``."""
    if kind == 0:
        return zi - yi
    return -yi * _sigmoid(-yi * zi)


@njit
def _curv(kind, zi, yi, exact):
    """Per-sample curvature weight: 1 (least squares), 1/4 (logistic bound) or exact."""
    if kind == 0:
        return 1.0
    if exact:
        s = _sigmoid(yi * zi)
        return s * (1.0 - s)
    return 0.25


# ----------------------------------------------------------------------------------------
# objective and gradients


@njit
def _row_lse(aux, i, K):
    """``log sum_c exp(aux[i, c])`` for the row-major ``n x K`` scores of softmax regression."""
    mx = -np.inf
    for c in range(K):
        mx = max(mx, aux[i * K + c])
    s = 0.0
    for c in range(K):
        s += np.exp(aux[i * K + c] - mx)
    return mx + np.log(s)


@njit
def _sm_value(y, invN, aux):
    K = aux.size // y.size
    s = 0.0
    for i in range(y.size):
        s += _row_lse(aux, i, K) - aux[i * K + int(y[i])]
    return invN * s


@njit
def _sm_full_grad(indptr, indices, data, y, invN, l2, x, aux, rho, g):
    n = y.size
    K = aux.size // n
    for i in range(n):
        lse = _row_lse(aux, i, K)
        for c in range(K):
            rho[i * K + c] = np.exp(aux[i * K + c] - lse) - (1.0 if c == int(y[i]) else 0.0)
    for f in range(indptr.size - 1):
        for c in range(K):
            s = 0.0
            for k in range(indptr[f], indptr[f + 1]):
                s += data[k] * rho[indices[k] * K + c]
            g[f * K + c] = invN * s + l2 * x[f * K + c]


@njit
def _sm_coord_grad(indptr, indices, data, y, invN, l2, x, aux, j):
    K = aux.size // y.size
    f = j // K
    c = j % K
    s = 0.0
    for k in range(indptr[f], indptr[f + 1]):
        i = indices[k]
        pc = np.exp(aux[i * K + c] - _row_lse(aux, i, K))
        s += data[k] * (pc - (1.0 if c == int(y[i]) else 0.0))
    return invN * s + l2 * x[j]


@njit
def _sm_weight(aux, i, K, ca, cb, exact):
    """Softmax curvature weight of sample ``i`` for classes ``(ca, cb)``: exact
    ``p_a (delta_ab - p_b)`` or Boehning's bound ``1/2 (delta_ab - 1/K)``."""
    if exact:
        lse = _row_lse(aux, i, K)
        pa = np.exp(aux[i * K + ca] - lse)
        pb = np.exp(aux[i * K + cb] - lse)
        return pa * ((1.0 if ca == cb else 0.0) - pb)
    return 0.5 * (1.0 - 1.0 / K) if ca == cb else -0.5 / K


@njit
def _sm_change(indptr, indices, data, y, invN, l2, x, aux, blk, m, d, t, dz):
    K = aux.size // y.size
    sq = 0.0
    for a in range(m):
        j = blk[a]
        sq += l2 * t * d[a] * (x[j] + 0.5 * t * d[a])     # exact difference of squares
        f = j // K
        for k in range(indptr[f], indptr[f + 1]):
            dz[indices[k] * K + j % K] += data[k] * d[a]
    s = 0.0
    for a in range(m):
        f = blk[a] // K
        for k in range(indptr[f], indptr[f + 1]):
            i = indices[k]
            touched = False
            for c in range(K):
                if dz[i * K + c] != 0.0:
                    touched = True
            if not touched:
                continue
            # lse(a + delta) - lse(a) = log1p(sum_c softmax(a)_c expm1(delta_c)): no cancellation
            old = _row_lse(aux, i, K)
            e = 0.0
            for c in range(K):
                e += np.exp(aux[i * K + c] - old) * np.expm1(t * dz[i * K + c])
            s += np.log1p(e) - t * dz[i * K + int(y[i])]
            for c in range(K):
                dz[i * K + c] = 0.0
    return sq + invN * s


@njit
def smooth_value(kind, data_y, invN, l2, x, aux):
    """The smooth part ``f(x)`` (plus ``l2/2 ||x||^2``) from the maintained ``aux``."""
    s = 0.0
    for j in range(x.size):
        s += 0.5 * l2 * x[j] * x[j]
    if kind == 3:
        return s + _sm_value(data_y, invN, aux)
    q = 0.0
    if kind == 0:
        for i in range(aux.size):
            r = aux[i] - data_y[i]
            q += r * r
        return s + 0.5 * invN * q
    if kind == 1:
        for i in range(aux.size):
            q += _log1pexp(-data_y[i] * aux[i])
        return s + invN * q
    for i in range(x.size):
        q += x[i] * (aux[i] - data_y[i])
    return s + 0.5 * q


@njit
def objective(kind, y, invN, l2, x, aux, alpha, reg):
    s = smooth_value(kind, y, invN, l2, x, aux)
    for i in range(x.size):
        s += _regval(x[i], alpha, reg)
    return s


@njit
def full_grad(kind, indptr, indices, data, y, invN, l2, x, aux, rho, g):
    """``g = grad f(x)``; for kinds 0/1 this costs ``O(nnz)`` (``rho`` is workspace)."""
    p = g.size
    if kind == 3:
        _sm_full_grad(indptr, indices, data, y, invN, l2, x, aux, rho, g)
        return
    if kind == 2:
        for j in range(p):
            g[j] = aux[j] + l2 * x[j]
        return
    for i in range(aux.size):
        rho[i] = _dphi(kind, aux[i], y[i])
    for j in range(p):
        s = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            s += data[k] * rho[indices[k]]
        g[j] = invN * s + l2 * x[j]


@njit
def coord_grad(kind, indptr, indices, data, y, invN, l2, x, aux, j):
    if kind == 3:
        return _sm_coord_grad(indptr, indices, data, y, invN, l2, x, aux, j)
    if kind == 2:
        return aux[j] + l2 * x[j]
    s = 0.0
    for k in range(indptr[j], indptr[j + 1]):
        i = indices[k]
        s += data[k] * _dphi(kind, aux[i], y[i])
    return invN * s + l2 * x[j]


@njit
def apply_step(kind, indptr, indices, data, x, aux, blk, m, d):
    """``x_b += d`` and the matching update of ``aux`` (``X_b d``, ``A_{:,b} d``; for softmax
    variable ``j = f K + c`` moves column ``c`` of the scores by ``X_f d``)."""
    K = x.size // (indptr.size - 1)
    for a in range(m):
        j = blk[a]
        dj = d[a]
        if dj == 0.0:
            continue
        x[j] += dj
        f = j // K
        c = j % K
        for k in range(indptr[f], indptr[f + 1]):
            aux[indices[k] * K + c] += data[k] * dj


@njit
def block_hessian(kind, indptr, indices, data, y, invN, l2, aux, blk, m, exact, H, work):
    """Dense ``H_b`` (``m x m``): ``X_b^T W X_b invN``, ``A_bb`` or the softmax block (exact or
    Boehning's bound). ``work`` is zero on entry and exit."""
    K = aux.size // y.size if kind == 3 else 1
    for a in range(m):
        fa = blk[a] // K
        ca = blk[a] % K
        for k in range(indptr[fa], indptr[fa + 1]):
            i = indices[k]
            if kind == 0 or kind == 1:
                work[i] = data[k] * _curv(kind, aux[i], y[i], exact)
            else:
                work[i] = data[k]
        for b in range(a + 1):
            fb = blk[b] // K
            cb = blk[b] % K
            if kind == 2:
                s = work[fb]
            else:
                s = 0.0
                for k in range(indptr[fb], indptr[fb + 1]):
                    i = indices[k]
                    w = work[i]
                    if kind == 3 and w != 0.0:
                        w *= _sm_weight(aux, i, K, ca, cb, exact)
                    s += data[k] * w
                s *= invN
            if a == b:
                s += l2
            H[a, b] = s
            H[b, a] = s
        for k in range(indptr[fa], indptr[fa + 1]):
            work[indices[k]] = 0.0


@njit
def smooth_change(kind, indptr, indices, data, y, invN, l2, x, aux, blk, m, d, t, gb, dz):
    """``f(x + t U_b d) - f(x)``. ``dz`` (size of ``aux``) is workspace, zero on entry and exit."""
    if kind == 3:
        return _sm_change(indptr, indices, data, y, invN, l2, x, aux, blk, m, d, t, dz)
    for a in range(m):
        j = blk[a]
        for k in range(indptr[j], indptr[j + 1]):
            dz[indices[k]] += data[k] * d[a]
    s = 0.0
    for a in range(m):
        xa = x[blk[a]]
        s += l2 * t * d[a] * (xa + 0.5 * t * d[a])
    if kind == 2:
        lin = 0.0
        quad = 0.0
        for a in range(m):
            lin += (gb[a] - l2 * x[blk[a]]) * d[a]
            quad += d[a] * dz[blk[a]]
        s += t * lin + 0.5 * t * t * quad
        for a in range(m):
            j = blk[a]
            for k in range(indptr[j], indptr[j + 1]):
                dz[indices[k]] = 0.0
        return s
    sq = s
    s = 0.0
    for a in range(m):
        j = blk[a]
        for k in range(indptr[j], indptr[j + 1]):
            i = indices[k]
            if dz[i] != 0.0:       # each touched row once; clearing dz as we go
                dd = t * dz[i]
                if kind == 0:
                    s += dd * (aux[i] - y[i] + 0.5 * dd)      # exact difference of squares
                else:
                    # log(1 + e^{a + delta}) - log(1 + e^a) = log1p(sigmoid(a) expm1(delta))
                    s += np.log1p(_sigmoid(-y[i] * aux[i]) * np.expm1(-y[i] * dd))
                dz[i] = 0.0
    return sq + invN * s


# ----------------------------------------------------------------------------------------
# block subproblems


@njit
def block_qp(H, gb, xb, m, alpha, reg, d, Hd, maxsweep, tol):
    """``d = argmin g^T d + 1/2 d^T H d + r(x_b + d)`` by coordinate descent on the block.

    With ``reg == 0`` a dense solve (tiny ridge for semidefinite ``H``). A non-finite ``H`` or
    gradient gives ``d = 0``.
    """
    finite = True
    for a in range(m):
        if not (np.isfinite(gb[a]) and np.isfinite(H[a, a])):
            finite = False
    if not finite:
        for a in range(m):
            d[a] = 0.0
        return
    if reg == 0:
        Hs = H[:m, :m].copy()
        tr = 0.0
        for a in range(m):
            tr += Hs[a, a]
        ridge = 1e-12 * max(tr / max(m, 1), 1e-300)
        for a in range(m):
            Hs[a, a] += ridge
        sol = np.linalg.solve(Hs, -gb[:m].copy())
        for a in range(m):
            d[a] = sol[a]
        return
    for a in range(m):
        d[a] = xb[a]            # d holds the new block value u = x_b + step during the sweeps
        Hd[a] = 0.0
    for _ in range(maxsweep):
        dmax = 0.0
        umax = 0.0
        for a in range(m):
            haa = H[a, a]
            if haa <= 0.0:
                continue
            u = d[a]
            q = gb[a] + Hd[a]
            un = _prox(u - q / haa, alpha / haa, reg)
            delta = un - u
            if delta != 0.0:
                d[a] = un
                for c in range(m):
                    Hd[c] += H[c, a] * delta
            dmax = max(dmax, abs(delta))
            umax = max(umax, abs(un))
        if dmax <= tol * (1.0 + umax):
            break
    for a in range(m):
        d[a] = d[a] - xb[a]     # exact: a coordinate set to 0 gives x_b + d == 0 exactly


# ----------------------------------------------------------------------------------------
# selection


@njit
def _iht(kind, indptr, indices, data, y, invN, l2, aux, g, Lc, Lglob, tau, out, dvec, Hd, zwork, scores):
    """Variable-block GSQ by iterative hard thresholding on ``g^T d + 1/2 d^T H d``, ``|supp d| <= tau``.

    Starts from the GSD block with ``d = -g_i / L_i``; each of (at most) 10 iterations takes a
    gradient step ``d - (g + H d) / L`` and keeps the ``tau`` entries of largest ``L_i d_i^2``
    (the diagonal estimate of their share of the model decrease). The block is the support.
    """
    p = g.size
    for j in range(p):
        dvec[j] = -g[j] / Lc[j] if Lc[j] > 0.0 else 0.0
        scores[j] = Lc[j] * dvec[j] * dvec[j]
    _topk_mask(scores, tau, out)
    for j in range(p):
        if scores[j] == 0.0:
            dvec[j] = 0.0
    mu = 1.0 / Lglob
    for _ in range(10):
        # Hd = H dvec (H = X^T W X invN with the bound weights, or A)
        nz = zwork.size
        for i in range(nz):
            zwork[i] = 0.0
        for a in range(tau):
            j = out[a]
            for k in range(indptr[j], indptr[j + 1]):
                zwork[indices[k]] += data[k] * dvec[j]
        if kind == 2:
            for j in range(p):
                Hd[j] = zwork[j]
        else:
            for i in range(nz):
                zwork[i] *= _curv(kind, aux[i], y[i], False)
            for j in range(p):
                s = 0.0
                for k in range(indptr[j], indptr[j + 1]):
                    s += data[k] * zwork[indices[k]]
                Hd[j] = invN * s
        change = 0.0
        for j in range(p):
            nd = dvec[j] - mu * (g[j] + Hd[j] + l2 * dvec[j])
            scores[j] = Lc[j] * nd * nd
            Hd[j] = nd
        _topk_mask(scores, tau, out)
        for j in range(p):
            nd = Hd[j] if scores[j] != 0.0 else 0.0
            change += (nd - dvec[j]) ** 2
            dvec[j] = nd
        if change < 1e-20:
            break
    for i in range(zwork.size):
        zwork[i] = 0.0              # shared workspace: must be zero on exit


# ----------------------------------------------------------------------------------------
# the batch of iterations


@njit
def _refresh_grad(kind, indptr, indices, rptr, rind, rdat, y, invN, l2, aux, rho, g, blk, m, d, mark, rows):
    """After ``x_b += d``: ``g += invN X_i^T (phi'(aux_i) - rho_i)`` over the rows ``i`` that the
    block's columns touch (CSR rows), ``rho_i`` refreshed, plus the ridge term. Returns the
    number of matrix entries read. ``mark`` is zero on entry and exit."""
    cnt = 0
    work = 0
    for a in range(m):
        if d[a] == 0.0:
            continue
        j = blk[a]
        g[j] += l2 * d[a]
        for k in range(indptr[j], indptr[j + 1]):
            i = indices[k]
            if mark[i] == 0:
                mark[i] = 1
                rows[cnt] = i
                cnt += 1
    for t in range(cnt):
        i = rows[t]
        mark[i] = 0
        new = _dphi(kind, aux[i], y[i])
        dl = new - rho[i]
        rho[i] = new
        if dl != 0.0:
            dl *= invN
            for k in range(rptr[i], rptr[i + 1]):
                g[rind[k]] += dl * rdat[k]
            work += rptr[i + 1] - rptr[i]
    return work


@njit
def run_batch(prob, blocks, it, n_iter, cyc, seed, trace):
    """Run ``n_iter`` block iterations in place on ``x`` and ``aux``.

    The arguments travel as three tuples (numba compiles them to plain structs, and unlike
    jitclasses they are cached on disk; structured records cannot hold arrays of varying size):

    * ``prob = (kind, indptr, indices, data, y, invN, l2, alpha, reg, csr)``: the encoded
      problem (fixed for a run; :class:`.problem_data.Encoded`);
    * ``blocks = (rule, update, variable, tau, forest, bptr, bidx, Lb, Lc, dg, Hinv, Lglob,
      cum_prob)``: partition, rule and update with their constants (:class:`.solver._Setup`);
    * ``it = (x, aux, Lhat, gtrack, stats)``: the arrays updated in place.

    ``stats`` (int64, 5): [cyclic position, function evaluations in line searches,
    forest-solve fallbacks, block coordinates updated, matrix entries read (work)].
    ``trace``, if non-empty, receives ``F(x)`` after every iteration. ``csr`` is
    ``(indptr, indices, data)`` of the same matrix in CSR form for greedy rules on least
    squares / logistic data (empty otherwise): the full gradient is then computed once per
    batch and refreshed after each block update over the rows the block touches only
    (``g += invN X_i^T (phi'(z_i) - rho_i)``), instead of ``O(nnz)`` per iteration.
    Returns the cyclic position.
    """
    kind, indptr, indices, data, y, invN, l2, alpha, reg, csr = prob
    rule, update, variable, tau, forest, bptr, bidx, Lb, Lc, dg, Hinv, Lglob, cum_prob = blocks
    x, aux, Lhat, gtrack, stats = it
    np.random.seed(seed)
    p = x.size
    nb = bptr.size - 1
    n_aux = aux.size
    mmax = tau if variable else 0
    if not variable:
        for b in range(nb):
            mmax = max(mmax, bptr[b + 1] - bptr[b])
    if forest and variable:
        mmax = p
    g = gtrack
    rho = np.zeros(n_aux)
    work = np.zeros(max(n_aux, p))
    dz = np.zeros(n_aux)
    blk = np.empty(max(mmax, 1), dtype=np.int64)
    gb = np.zeros(max(mmax, 1))
    xb = np.zeros(max(mmax, 1))
    d = np.zeros(max(mmax, 1))
    Hd = np.zeros(max(mmax, 1))
    hdim = 1 if (forest and kind == 2 and reg == 0) else max(mmax, 1)
    H = np.zeros((hdim, hdim))      # forest blocks need no dense matrix (unless a fallback)
    scores = np.zeros(p if variable else nb)
    ibuf = np.empty(max(p, 1), dtype=np.int64)
    ibuf2 = np.empty(max(p, 1), dtype=np.int64)
    pos = np.full(p, -1, dtype=np.int64)
    fbuf = np.zeros(max(mmax, 1))
    fbuf2 = np.zeros(max(mmax, 1))
    cbuf = np.zeros(max(mmax, 1))
    dvec = np.zeros(p)
    hdw = np.zeros(p)
    greedy = rule >= 3
    rptr, rind, rdat = csr
    nnz = indptr[indptr.size - 1]
    incremental = greedy and (kind == 0 or kind == 1) and rptr.size > 1
    Kc = x.size // (indptr.size - 1)
    mark = np.zeros(n_aux if incremental else 0, dtype=np.int64)
    rows = np.empty(n_aux if incremental else 0, dtype=np.int64)
    if incremental:
        full_grad(kind, indptr, indices, data, y, invN, l2, x, aux, rho, g)
        stats[4] += nnz
    for it in range(n_iter):
        # ---- gradient (full for greedy rules)
        if greedy and not incremental:
            full_grad(kind, indptr, indices, data, y, invN, l2, x, aux, rho, g)
            stats[4] += nnz if kind != 2 else 0
        # ---- selection
        m = 0
        if variable:
            if forest:
                if rule == 1:
                    for j in range(p):
                        scores[j] = np.random.random()
                else:
                    coord_scores(4 if rule == 4 else 3, g, x, Lc, Lc, alpha, reg, scores)
                m = greedy_forest(scores, indptr, indices, ibuf, ibuf2, pos, blk)
                for j in range(p):
                    pos[j] = -1
                if m == 0:
                    break
            elif rule == 0:
                for a in range(tau):
                    blk[a] = (cyc + a) % p
                cyc = (cyc + tau) % p
                m = tau
            elif rule == 1 or rule == 2:
                # tau distinct coordinates, uniformly or with probability proportional to L_i
                m = 0
                while m < tau:
                    u = np.random.random() * cum_prob[p - 1]
                    j = np.searchsorted(cum_prob, u, side="right")
                    if j >= p:
                        j = p - 1
                    dup = False
                    for a in range(m):
                        if blk[a] == j:
                            dup = True
                    if not dup:
                        blk[m] = j
                        m += 1
            elif rule == 6 and reg == 0:
                _iht(kind, indptr, indices, data, y, invN, l2, aux, g, Lc, Lglob, tau, blk, dvec, hdw, work[:n_aux], scores)
                stats[4] += 10 * nnz             # at most 10 products H d (upper bound)
                m = tau
            else:
                coord_scores(rule, g, x, Lc, dg, alpha, reg, scores)
                m = _topk(scores, tau, blk)
        else:
            if rule == 0:
                b = cyc
                cyc = (cyc + 1) % nb
            elif rule == 1 or rule == 2:
                u = np.random.random() * cum_prob[nb - 1]
                b = np.searchsorted(cum_prob, u, side="right")
                if b >= nb:
                    b = nb - 1
            else:
                b = 0
                best = -1.0
                for c in range(nb):
                    s = _block_score(rule, c, bptr, bidx, g, x, Lb, Lc, Hinv, alpha, reg)
                    scores[c] = s
                    if s > best:
                        best = s
                        b = c
            m = bptr[b + 1] - bptr[b]
            for a in range(m):
                blk[a] = bidx[bptr[b] + a]
        # ---- block gradient
        colwork = 0
        for a in range(m):
            f = blk[a] // Kc
            colwork += indptr[f + 1] - indptr[f]
        for a in range(m):
            j = blk[a]
            xb[a] = x[j]
            if greedy:
                gb[a] = g[j]
            else:
                gb[a] = coord_grad(kind, indptr, indices, data, y, invN, l2, x, aux, j)
        if not greedy:
            stats[4] += colwork
        # ---- update
        if update == 0 or update == 1:
            if update == 0:
                if variable:
                    if m == 1:
                        L = Lc[blk[0]]
                    else:
                        if H.shape[0] < m:
                            H = np.zeros((m, m))
                        block_hessian(kind, indptr, indices, data, y, invN, l2, aux, blk, m, False, H, work)
                        stats[4] += m * colwork
                        L = np.linalg.eigvalsh(H[:m, :m])[m - 1]
                else:
                    L = Lb[b]
            else:
                L = 0.0
                for a in range(m):
                    L = max(L, Lhat[blk[a]])
            if L <= 0.0:
                L = 1.0
            while True:
                for a in range(m):
                    d[a] = _prox(xb[a] - gb[a] / L, alpha / L, reg) - xb[a]
                if update == 0:
                    break
                lin = 0.0
                nrm = 0.0
                for a in range(m):
                    lin += gb[a] * d[a]
                    nrm += d[a] * d[a]
                if nrm == 0.0:
                    break
                stats[1] += 1
                stats[4] += colwork
                ch = smooth_change(kind, indptr, indices, data, y, invN, l2, x, aux, blk, m, d, 1.0, gb, dz)
                if ch <= lin + 0.5 * L * nrm * (1.0 + 1e-10) or L > 1e300:
                    break
                L *= 2.0
            if update == 1:
                for a in range(m):
                    Lhat[blk[a]] = L
        else:
            exact = update == 3
            if forest and kind == 2 and reg == 0:
                for a in range(m):
                    fbuf[a] = -gb[a]
                ok = forest_solve(indptr, indices, data, blk, m, fbuf, pos, d, ibuf, ibuf2, fbuf2, Hd, cbuf)
                if not ok:
                    stats[2] += 1
                    if H.shape[0] < m:
                        H = np.zeros((m, m))
                    block_hessian(kind, indptr, indices, data, y, invN, l2, aux, blk, m, exact, H, work)
                    block_qp(H, gb, xb, m, alpha, reg, d, Hd, 200, 1e-13)
                stats[4] += 2 * colwork
            else:
                block_hessian(kind, indptr, indices, data, y, invN, l2, aux, blk, m, exact, H, work)
                stats[4] += m * colwork
                block_qp(H, gb, xb, m, alpha, reg, d, Hd, 500, 1e-14)
            if exact and (kind == 1 or kind == 3):
                # Armijo backtracking on F along d (prox-Newton)
                dec = 0.0
                for a in range(m):
                    dec += gb[a] * d[a] + _regval(xb[a] + d[a], alpha, reg) - _regval(xb[a], alpha, reg)
                t = 1.0
                accepted = dec >= 0.0           # no predicted decrease (round-off level): full step
                ch = 0.0
                for _ in range(50):
                    if accepted:
                        break
                    stats[1] += 1
                    stats[4] += colwork
                    ch = smooth_change(kind, indptr, indices, data, y, invN, l2, x, aux, blk, m, d, t, gb, dz)
                    rch = 0.0
                    for a in range(m):
                        rch += _regval(xb[a] + t * d[a], alpha, reg) - _regval(xb[a], alpha, reg)
                    # the shared sufficient-decrease test on F(x + t d) - F(x) (false for nan)
                    if armijo_accepts(ch + rch, 0.0, t, dec, 1e-4):
                        accepted = True
                    else:
                        t *= 0.5
                if not accepted and not np.isfinite(ch):
                    t = 0.0                             # trial steps overflow: leave the block
                for a in range(m):
                    d[a] *= t
        apply_step(kind, indptr, indices, data, x, aux, blk, m, d)
        stats[3] += m
        stats[4] += colwork
        if incremental:
            stats[4] += _refresh_grad(kind, indptr, indices, rptr, rind, rdat, y, invN, l2, aux, rho, g,
                                      blk, m, d, mark, rows)
        if trace.size > 0:
            trace[it] = objective(kind, y, invN, l2, x, aux, alpha, reg)
    stats[0] = cyc
    return cyc
