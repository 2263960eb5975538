r"""numba kernels of the ``eal`` family: the inner randomized sketch-and-project loops.

Every kernel solves ``K z = b`` for a **symmetric** matrix ``K`` stored in CSR form
(``indptr, indices, data``) by sketch-and-project steps

.. math:: z \leftarrow z - K^\top S (S^\top K K^\top S)^\dagger S^\top r, \qquad r = K z - b,

and keeps the residual ``r`` up to date incrementally (``r \leftarrow r - K K^\top S y``)
instead of recomputing ``K z - b``. Symmetry lets a column of ``K`` be read as a row.
Each kernel runs the pre-drawn random choices it is given (rows, blocks or Gaussian
vectors; the caller owns the random generator), stops early when ``||r||^2 <= rr_tol``,
and returns the number of steps taken. ``z`` and ``r`` are updated in place.
"""
from __future__ import annotations

import numpy as np

from ..._jit import njit
from ..._sparse_kernels import csr_matvec

__all__ = ["kaczmarz_steps", "gaussian_steps", "block_kaczmarz_steps", "block_kaczmarz_steps_gram", "block_gaussian_steps",
           "csr_matvec"]


@njit
def _sumsq(r):
    acc = 0.0
    for l in range(r.size):
        acc += r[l] * r[l]
    return acc


@njit
def kaczmarz_steps(indptr, indices, data, Kd, KK, rownorm2, rows, z, r, rr_tol):
    """Randomized Kaczmarz: ``z -= r_i / ||K_i||^2 K_i`` for each ``i`` in ``rows``.

    The residual update is ``r -= (r_i/||K_i||^2) K K_i^T``. Sparse path (``KK`` empty):
    it touches the rows ``j`` in the support of ``K_i`` (cost ``sum_j nnz(K_j)``). Dense
    path (``Kd`` = ``K`` and ``KK = K K`` given as ``(N, N)`` arrays): ``r -= coef KK[:, i]``,
    cost ``O(N)``, worth it when the rows of ``K`` are dense. ``||r||^2`` is kept
    incrementally and recomputed exactly every ``len(r)`` steps and before stopping.
    """
    nr = r.size
    dense = KK.shape[0] == nr
    rr = _sumsq(r)
    since = 0
    for t in range(rows.size):
        if rr <= rr_tol:
            rr = _sumsq(r)             # the incremental value may have drifted: confirm
            since = 0
            if rr <= rr_tol:
                return t
        i = rows[t]
        rn = rownorm2[i]
        if rn > 0.0:
            coef = r[i] / rn
            if dense:
                for l in range(nr):
                    z[l] -= coef * Kd[i, l]
                    old = r[l]
                    new = old - coef * KK[l, i]
                    r[l] = new
                    rr += new * new - old * old
            else:
                for p in range(indptr[i], indptr[i + 1]):
                    j = indices[p]
                    ca = coef * data[p]
                    z[j] -= ca
                    for q in range(indptr[j], indptr[j + 1]):
                        l = indices[q]
                        old = r[l]
                        new = old - ca * data[q]
                        r[l] = new
                        rr += new * new - old * old
        since += 1
        if since >= nr:
            rr = _sumsq(r)
            since = 0
    return rows.size


@njit
def gaussian_steps(indptr, indices, data, S, z, r, rr_tol, w, kw):
    """Gaussian vector sketch: for each row ``s`` of ``S``, ``z -= (s^T r / ||K s||^2) K s``.

    ``w`` and ``kw`` are work vectors of length ``len(r)`` (``K s`` and ``K K s``).
    """
    nr = r.size
    rr = _sumsq(r)
    for t in range(S.shape[0]):
        if rr <= rr_tol:
            return t
        s = S[t]
        csr_matvec(indptr, indices, data, s, w)
        ww = 0.0
        sr = 0.0
        for l in range(nr):
            ww += w[l] * w[l]
            sr += s[l] * r[l]
        if ww == 0.0:
            continue
        coef = sr / ww
        csr_matvec(indptr, indices, data, w, kw)
        rr = 0.0
        for l in range(nr):
            z[l] -= coef * w[l]
            r[l] -= coef * kw[l]
            rr += r[l] * r[l]
    return S.shape[0]


@njit
def _solve_small(gram, rhs):
    """Solve the small Gram system ``gram y = rhs``: Cholesky, or the pseudo-inverse
    (minimum-norm solution) when a pivot is not safely positive (dependent sketch rows)."""
    p = rhs.size
    L = np.zeros((p, p))
    scale = 0.0
    for a in range(p):
        scale = max(scale, gram[a, a])
    ok = True
    for a in range(p):
        for c in range(a + 1):
            acc = gram[a, c]
            for k in range(c):
                acc -= L[a, k] * L[c, k]
            if a == c:
                if acc <= 1e-12 * scale:
                    ok = False
                    break
                L[a, a] = np.sqrt(acc)
            else:
                L[a, c] = acc / L[c, c]
        if not ok:
            break
    if not ok:
        return np.linalg.pinv(gram) @ rhs
    y = np.empty(p)
    for a in range(p):
        acc = rhs[a]
        for k in range(a):
            acc -= L[a, k] * y[k]
        y[a] = acc / L[a, a]
    for a in range(p - 1, -1, -1):
        acc = y[a]
        for k in range(a + 1, p):
            acc -= L[k, a] * y[k]
        y[a] = acc / L[a, a]
    return y


@njit
def block_kaczmarz_steps(indptr, indices, data, blocks, z, r, rr_tol, dense, v, touched, mark):
    """Block Kaczmarz: for each row ``I`` of ``blocks``, ``z -= K_I^T (K_I K_I^T)^+ r_I``.

    ``dense`` and ``v`` are zeroed work vectors of length ``len(r)``; ``touched`` an int
    work vector of that length and ``mark`` a zeroed int work vector of that length.
    """
    nr = r.size
    p = blocks.shape[1]
    gram = np.empty((p, p))
    rhs = np.empty(p)
    rr = _sumsq(r)
    for t in range(blocks.shape[0]):
        if rr <= rr_tol:
            return t
        blk = blocks[t]
        for a in range(p):
            ia = blk[a]
            for q in range(indptr[ia], indptr[ia + 1]):
                dense[indices[q]] = data[q]
            for c in range(a, p):
                ic = blk[c]
                acc = 0.0
                for q in range(indptr[ic], indptr[ic + 1]):
                    acc += data[q] * dense[indices[q]]
                gram[a, c] = acc
                gram[c, a] = acc
            for q in range(indptr[ia], indptr[ia + 1]):
                dense[indices[q]] = 0.0
            rhs[a] = r[ia]
        y = _solve_small(gram, rhs)
        nt = 0
        for a in range(p):
            ia = blk[a]
            for q in range(indptr[ia], indptr[ia + 1]):
                j = indices[q]
                if mark[j] == 0:
                    mark[j] = 1
                    touched[nt] = j
                    nt += 1
                v[j] += y[a] * data[q]
        for k in range(nt):
            j = touched[k]
            vj = v[j]
            z[j] -= vj
            for q in range(indptr[j], indptr[j + 1]):
                r[indices[q]] -= vj * data[q]
            v[j] = 0.0
            mark[j] = 0
        rr = 0.0
        for l in range(nr):
            rr += r[l] * r[l]
    return blocks.shape[0]


@njit
def block_kaczmarz_steps_gram(Kd, KK, blocks, z, r, rr_tol):
    """Block Kaczmarz on a dense ``K`` with the precomputed ``KK = K K``: the Gram block is
    ``KK[I, I]``, and ``z -= K_I^T y``, ``r -= KK[:, I] y`` cost ``O(p (n + m))`` per step."""
    nr = r.size
    p = blocks.shape[1]
    gram = np.empty((p, p))
    rhs = np.empty(p)
    rr = _sumsq(r)
    for t in range(blocks.shape[0]):
        if rr <= rr_tol:
            return t
        blk = blocks[t]
        for a in range(p):
            for c in range(p):
                gram[a, c] = KK[blk[a], blk[c]]
            rhs[a] = r[blk[a]]
        y = _solve_small(gram, rhs)
        rr = 0.0
        for l in range(nr):
            dz = 0.0
            dr = 0.0
            for a in range(p):
                dz += y[a] * Kd[blk[a], l]
                dr += y[a] * KK[l, blk[a]]
            z[l] -= dz
            r[l] -= dr
            rr += r[l] * r[l]
    return blocks.shape[0]


@njit
def block_gaussian_steps(indptr, indices, data, S, z, r, rr_tol, W, kw):
    """Block Gaussian sketch: for each ``S[t]`` of shape ``(p, len(r))``,
    ``z -= W^T (W W^T)^+ S[t] r`` with ``W = S[t] K`` (rows ``K s_a``).

    ``W`` is a ``(p, len(r))`` work array and ``kw`` a work vector of length ``len(r)``.
    """
    nr = r.size
    p = S.shape[1]
    gram = np.empty((p, p))
    rhs = np.empty(p)
    dz = np.empty(nr)
    rr = _sumsq(r)
    for t in range(S.shape[0]):
        if rr <= rr_tol:
            return t
        for a in range(p):
            csr_matvec(indptr, indices, data, S[t, a], W[a])
            acc = 0.0
            for l in range(nr):
                acc += S[t, a, l] * r[l]
            rhs[a] = acc
        for a in range(p):
            for c in range(a, p):
                acc = 0.0
                for l in range(nr):
                    acc += W[a, l] * W[c, l]
                gram[a, c] = acc
                gram[c, a] = acc
        y = _solve_small(gram, rhs)
        for l in range(nr):
            acc = 0.0
            for a in range(p):
                acc += y[a] * W[a, l]
            dz[l] = acc
            z[l] -= acc
        csr_matvec(indptr, indices, data, dz, kw)
        rr = 0.0
        for l in range(nr):
            r[l] -= kw[l]
            rr += r[l] * r[l]
    return S.shape[0]
