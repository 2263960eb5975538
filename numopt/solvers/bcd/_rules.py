r"""Selection-rule kernels of the plain engine (Nutini, Laradji & Schmidt, JMLR 2022):
per-coordinate greedy scores for variable blocks (GS, GSL, GSD, GS-q), block scores for fixed
blocks (GSQ with the cached ``H_b^{-1}``), and the heap-based top-``k`` selection (``O(p log k)``,
no full sort). Rule codes: 3 GS, 4 GSL, 5 GSD, 6 GSQ (see :mod:`._kernels`). The IHT
approximation of variable-block GSQ needs block Hessian products and stays in :mod:`._kernels`."""
from __future__ import annotations

import numpy as np

from ..._jit import njit
from ._penalty import _gsq_score, _min_norm_subgrad

@njit
def _better(scores, a, b):
    """``a`` ranks before ``b``: larger score, ties by smaller index."""
    return scores[a] > scores[b] or (scores[a] == scores[b] and a < b)


@njit
def _sift_down(heap, k, i, scores):
    # min-heap on the ranking: the root is the worst of the kept entries
    while True:
        c = 2 * i + 1
        if c >= k:
            return
        if c + 1 < k and _better(scores, heap[c], heap[c + 1]):
            c += 1
        if _better(scores, heap[i], heap[c]):
            heap[i], heap[c] = heap[c], heap[i]
            i = c
        else:
            return


@njit
def _topk(scores, k, out):
    """Indices of the ``k`` largest scores (ties by index) into ``out``, best first; returns ``k``.

    ``O(p log k)`` with a bounded heap (``O(p)`` for ``k = 1``), not a full sort.
    """
    p = scores.size
    if k == 1:
        b = 0
        for j in range(1, p):
            if scores[j] > scores[b]:
                b = j
        out[0] = b
        return 1
    heap = np.empty(k, dtype=np.int64)
    for a in range(k):
        heap[a] = a
    for i in range(k // 2 - 1, -1, -1):
        _sift_down(heap, k, i, scores)
    for j in range(k, p):
        if _better(scores, j, heap[0]):
            heap[0] = j
            _sift_down(heap, k, 0, scores)
    for a in range(k):           # insertion sort of the k kept entries, best first
        v = heap[a]
        b = a - 1
        while b >= 0 and _better(scores, v, out[b]):
            out[b + 1] = out[b]
            b -= 1
        out[b + 1] = v
    return k


@njit
def _topk_mask(scores, k, out):
    """``_topk``, then overwrite ``scores`` with the 0/1 indicator of the chosen entries."""
    _topk(scores, k, out)
    for j in range(scores.size):
        scores[j] = 0.0
    for a in range(k):
        scores[out[a]] = 1.0


@njit
def coord_scores(rule, g, x, Lc, dg, alpha, reg, scores):
    """Per-coordinate greedy scores for variable blocks (GS, GSL, GSD; GS-q when ``reg > 0``)."""
    for j in range(g.size):
        if rule == 6:
            scores[j] = _gsq_score(g[j], x[j], Lc[j], alpha, reg) if Lc[j] > 0 else 0.0
            continue
        s = _min_norm_subgrad(g[j], x[j], alpha, reg)
        s = s * s
        if rule == 4:
            s = s / dg[j] if dg[j] > 0 else 0.0
        elif rule == 5:
            s = s / Lc[j] if Lc[j] > 0 else 0.0
        scores[j] = s


@njit
def _block_score(rule, b, bptr, bidx, g, x, Lb, Lc, Hinv, alpha, reg):
    s = 0.0
    L = Lb[b]
    if rule == 6 and reg == 0:
        m = bptr[b + 1] - bptr[b]
        for a in range(m):
            ga = g[bidx[bptr[b] + a]]
            for c in range(m):
                s += ga * Hinv[b, a, c] * g[bidx[bptr[b] + c]]
        return s
    for t in range(bptr[b], bptr[b + 1]):
        j = bidx[t]
        if rule == 6:
            s += _gsq_score(g[j], x[j], L, alpha, reg) if L > 0 else 0.0
            continue
        v = _min_norm_subgrad(g[j], x[j], alpha, reg)
        v = v * v
        if rule == 5:
            v = v / Lc[j] if Lc[j] > 0 else 0.0
        s += v
    if rule == 4:
        s = s / L if L > 0 else 0.0
    return s
