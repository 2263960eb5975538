r"""Numba kernels of the entropic-OT family (module-level functions over arrays, in place).

Notation: ``C`` is the (n, m) cost, ``reg`` the regularization, ``f, g`` the dual potentials;
the plan is ``P_ij = exp((f_i + g_j - C_ij) / reg)``. The scaling form keeps an absorbed kernel
``K_ij = exp((fa_i + ga_j - C_ij) / reg)`` and scalings ``u = exp((f - fa)/reg)``,
``v = exp((g - ga)/reg)``, so ``P = diag(u) K diag(v)``.

All O(nm) sweeps are parallel over rows (``prange``) or over blocks of columns, so no two
threads write the same entry; no kernel allocates O(nm) memory.
"""
from __future__ import annotations

import os
import types

import numpy as np

from ..._jit import njit, prange
from ..._sparse_kernels import csr_matvec, csr_rmatvec  # noqa: F401  (used here and by sns.py)
# FLUSH and the plan kernel live with the problem (numopt/problems/_ot_math.py), which uses them too
from ...problems._ot_math import FLUSH, _exp_kernel  # noqa: F401

#: Arrays with at least this many entries use the threaded (``prange``) kernels, smaller ones the
#: serial build of the same code. Default: never threaded. On the shared 2-core machine this
#: project runs on, the threaded sweep was 2-25x *slower* than the serial one at every size
#: (docs/benchmarks/ot.md), because each parallel region waits for a descheduled thread. On a
#: dedicated multi-core machine set the environment variable ``NUMOPT_OT_PARALLEL_MIN_SIZE``
#: (e.g. 4000000) before importing numopt.
PARALLEL_MIN_SIZE = int(os.environ.get("NUMOPT_OT_PARALLEL_MIN_SIZE", 1 << 62))


def _dispatch(fn, fastmath=False, serial=None):
    """Compile ``fn`` threaded and ``serial`` (default: ``fn`` again) serial; pick by the size
    of the first argument."""
    par = njit(parallel=True, fastmath=fastmath)(fn)
    if serial is None:
        # a renamed copy, so numba's on-disk cache (keyed by qualified name) keeps both builds apart
        serial = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_serial", fn.__defaults__,
                                    fn.__closure__)
        serial.__qualname__ = fn.__qualname__ + "_serial"
    ser = njit(fastmath=fastmath)(serial)

    def call(A, *args):
        return (par if A.size >= PARALLEL_MIN_SIZE else ser)(A, *args)  # read at call time

    call.__name__, call.__doc__ = fn.__name__.lstrip("_"), fn.__doc__
    call.parallel, call.serial = par, ser
    return call

__all__ = ["matvec", "rmatvec", "exp_kernel", "scaled_plan", "row_lse", "col_lse", "exp_sum",
           "key_histogram", "count_above", "fill_csr", "csr_matvec", "csr_rmatvec", "schur_pcg", "greenkhorn"]

_COLBLOCK = 256


def _matvec(K, v, out):
    """``out = K @ v`` (rows in parallel)."""
    n, m = K.shape
    for i in prange(n):
        s = 0.0
        for j in range(m):
            s += K[i, j] * v[j]
        out[i] = s


def _rmatvec(K, u, out):
    """``out = K.T @ u`` reading ``K`` row-major, column blocks in parallel."""
    n, m = K.shape
    nb = (m + _COLBLOCK - 1) // _COLBLOCK
    for b in prange(nb):
        j0 = b * _COLBLOCK
        j1 = min(m, j0 + _COLBLOCK)
        acc = np.zeros(j1 - j0)
        for i in range(n):
            ui = u[i]
            for j in range(j0, j1):
                acc[j - j0] += K[i, j] * ui
        for j in range(j0, j1):
            out[j] = acc[j - j0]


def _rmatvec_rows(K, u, out):
    """``out = K.T @ u`` as a sequence of row axpys (the serial build: ``out`` stays in cache)."""
    n, m = K.shape
    out[:] = 0.0
    for i in range(n):
        ui = u[i]
        for j in range(m):
            out[j] += K[i, j] * ui


def _scaled_plan(K, u, v, out):
    """``out = diag(u) K diag(v)``."""
    n, m = K.shape
    for i in prange(n):
        ui = u[i]
        for j in range(m):
            out[i, j] = ui * K[i, j] * v[j]


def _exp_sum(C, f, g, reg):
    """``sum_ij exp((f_i + g_j - C_ij) / reg)`` without storing the plan (inf on overflow)."""
    n, m = C.shape
    inv = 1.0 / reg
    total = 0.0
    for i in prange(n):
        fi = f[i]
        s = 0.0
        for j in range(m):
            s += np.exp((fi + g[j] - C[i, j]) * inv)
        total += s
    return total


def _row_lse(C, g, reg, out):
    """``out_i = log sum_j exp((g_j - C_ij) / reg)`` (max-shifted, two passes per row)."""
    n, m = C.shape
    inv = 1.0 / reg
    for i in prange(n):
        mx = -np.inf
        for j in range(m):
            t = g[j] - C[i, j]
            if t > mx:
                mx = t
        s = 0.0
        for j in range(m):
            s += np.exp((g[j] - C[i, j] - mx) * inv)
        out[i] = mx * inv + np.log(s)


def _col_lse(C, f, reg, out):
    """``out_j = log sum_i exp((f_i - C_ij) / reg)``; column blocks in parallel, row-major reads."""
    n, m = C.shape
    inv = 1.0 / reg
    nb = (m + _COLBLOCK - 1) // _COLBLOCK
    for b in prange(nb):
        j0 = b * _COLBLOCK
        j1 = min(m, j0 + _COLBLOCK)
        mx = np.full(j1 - j0, -np.inf)
        for i in range(n):
            fi = f[i]
            for j in range(j0, j1):
                t = fi - C[i, j]
                if t > mx[j - j0]:
                    mx[j - j0] = t
        s = np.zeros(j1 - j0)
        for i in range(n):
            fi = f[i]
            for j in range(j0, j1):
                s[j - j0] += np.exp((fi - C[i, j] - mx[j - j0]) * inv)
        for j in range(j0, j1):
            out[j] = mx[j - j0] * inv + np.log(s[j - j0])


# --- top-k sparsification ---------------------------------------------------------------
# For non-negative doubles the int64 bit pattern is monotone in the value, so ``bits >> 48``
# (sign, 11 exponent bits, 4 mantissa bits) is a monotone key with 2**15 buckets, each
# 1/16 of an octave wide. A histogram of keys gives the threshold of the k largest entries
# in two streaming passes, without sorting.
_KEYSHIFT = 48
NKEYS = 1 << 15


def _key_histogram(P, nchunks, hist):
    """``hist[c, key]`` = count of entries of row chunk ``c`` with that key (``hist`` zeroed)."""
    n, m = P.shape
    chunk = (n + nchunks - 1) // nchunks
    for c in prange(nchunks):
        for i in range(c * chunk, min(n, (c + 1) * chunk)):
            row = P[i].view(np.int64)
            for j in range(m):
                hist[c, row[j] >> _KEYSHIFT] += 1


def _count_above(P, key, counts):
    """``counts_i`` = number of entries of row ``i`` whose key is ``>= key``."""
    n, m = P.shape
    for i in prange(n):
        row = P[i].view(np.int64)
        c = 0
        for j in range(m):
            if (row[j] >> _KEYSHIFT) >= key:
                c += 1
        counts[i] = c


def _fill_csr(P, key, indptr, indices, data):
    """Fill CSR arrays with the entries of ``P`` whose key is ``>= key`` (``indptr`` given)."""
    n, m = P.shape
    for i in prange(n):
        row = P[i].view(np.int64)
        p = indptr[i]
        for j in range(m):
            if (row[j] >> _KEYSHIFT) >= key:
                indices[p] = j
                data[p] = P[i, j]
                p += 1


# --- sparse Hessian products and the Newton system ---------------------------------------
@njit
def _schur_apply(indptr, indices, data, dr, dc, p, t, out):
    # out = (D_c - A^T D_r^{-1} A) p on the gauge-fixed space (last coordinate pinned to 0)
    m = dc.size
    csr_matvec(indptr, indices, data, p, t)
    for i in range(t.size):
        t[i] /= dr[i]
    csr_rmatvec(indptr, indices, data, t, out)
    for j in range(m):
        out[j] = dc[j] * p[j] - out[j]
    out[m - 1] = 0.0


@njit
def schur_pcg(indptr, indices, data, dr, dc, rhs, x, rtol, maxiter):
    r"""Jacobi-preconditioned CG on the Schur complement ``S = D_c - A^T D_r^{-1} A``.

    Solves ``S x = rhs`` with ``x[m-1] = 0`` (the gauge that removes the null vector
    ``(1, -1)`` of the full Hessian), from ``x = 0``. Stops when
    ``||rhs - S x||_2 <= rtol ||rhs||_2``. Returns ``(iterations, relative residual)``.
    """
    m = dc.size
    n = dr.size
    diag = dc.copy()
    for i in range(n):
        for p in range(indptr[i], indptr[i + 1]):
            diag[indices[p]] -= data[p] * data[p] / dr[i]
    for j in range(m):
        if not diag[j] > 0.0:
            diag[j] = dc[j]
    t = np.empty(n)
    r = rhs.copy()
    r[m - 1] = 0.0
    x[:] = 0.0
    bnorm = np.sqrt(np.sum(r * r))
    if bnorm == 0.0:
        return 0, 0.0
    z = r / diag
    z[m - 1] = 0.0
    p = z.copy()
    rz = np.sum(r * z)
    q = np.empty(m)
    res = 1.0
    for it in range(1, maxiter + 1):
        _schur_apply(indptr, indices, data, dr, dc, p, t, q)
        pq = np.sum(p * q)
        if not pq > 0.0:
            return it, res
        alpha = rz / pq
        x += alpha * p
        r -= alpha * q
        res = np.sqrt(np.sum(r * r)) / bnorm
        if res <= rtol:
            return it, res
        z = r / diag
        z[m - 1] = 0.0
        rz_new = np.sum(r * z)
        p = z + (rz_new / rz) * p
        rz = rz_new
    return maxiter, res


# --- Greenkhorn (greedy coordinate Sinkhorn) ---------------------------------------------
@njit
def _greenkhorn_sums(K, u, v, r, c):
    n, m = K.shape
    c[:] = 0.0
    for i in range(n):
        s = 0.0
        for j in range(m):
            kv = K[i, j] * v[j]
            s += kv
            c[j] += K[i, j] * u[i]
        r[i] = u[i] * s
    for j in range(m):
        c[j] *= v[j]


@njit
def greenkhorn(K, a, b, u, v, max_updates, tol):
    r"""Greenkhorn (Altschuler, Weed, Rigollet 2017) on ``P = diag(u) K diag(v)``, in place.

    Each update rescales the single row (``u_i = a_i / (K v)_i``) or column
    (``v_j = b_j / (K^T u)_j``) with the largest absolute marginal violation, O(n + m) work.
    Stops when ``max(|P1 - a|_inf, |P^T 1 - b|_inf) <= tol`` (POT's criterion) or after
    ``max_updates`` updates. The marginals are recomputed exactly every ``n + m`` updates (no
    drift of the incremental sums). Returns ``(updates, violation, ok)``; ``ok`` is False when a
    row or column of ``K`` is numerically zero (the kernel underflowed), leaving ``u, v`` finite.
    """
    n, m = K.shape
    r = np.empty(n)
    c = np.empty(m)
    _greenkhorn_sums(K, u, v, r, c)
    viol = np.inf
    for it in range(max_updates + 1):
        if it > 0 and it % (n + m) == 0:
            _greenkhorn_sums(K, u, v, r, c)
        i1, e1 = 0, -1.0
        for i in range(n):
            e = abs(r[i] - a[i])
            if e > e1:
                i1, e1 = i, e
        j1, e2 = 0, -1.0
        for j in range(m):
            e = abs(c[j] - b[j])
            if e > e2:
                j1, e2 = j, e
        viol = max(e1, e2)
        if viol <= tol or it == max_updates:
            return it, viol, True
        if e1 > e2:
            s = 0.0
            for j in range(m):
                s += K[i1, j] * v[j]
            if not (s > 0.0 and np.isfinite(s)):
                return it, viol, False
            new = a[i1] / s
            d = new - u[i1]
            for j in range(m):
                c[j] += K[i1, j] * d * v[j]
            r[i1] = a[i1]
            u[i1] = new
        else:
            s = 0.0
            for i in range(n):
                s += K[i, j1] * u[i]
            if not (s > 0.0 and np.isfinite(s)):
                return it, viol, False
            new = b[j1] / s
            d = new - v[j1]
            for i in range(n):
                r[i] += K[i, j1] * u[i] * d
            c[j1] = b[j1]
            v[j1] = new
    return max_updates, viol, True


matvec = _dispatch(_matvec, fastmath=True)
rmatvec = _dispatch(_rmatvec, fastmath=True, serial=_rmatvec_rows)
exp_kernel = _dispatch(_exp_kernel)
scaled_plan = _dispatch(_scaled_plan)
exp_sum = _dispatch(_exp_sum)
row_lse = _dispatch(_row_lse)
col_lse = _dispatch(_col_lse)
key_histogram = _dispatch(_key_histogram)
count_above = _dispatch(_count_above)
fill_csr = _dispatch(_fill_csr)
