r"""Forest kernels of the plain engine: the message-passing solve of ``A_bb z = rhs`` on a
forest-structured block (Gaussian elimination leaves-to-root, then back substitution), the
greedy forest selection (GSL scores, union-find), and the forest / independent-set colourings
that build fixed forest partitions (:mod:`.partition`)."""
from __future__ import annotations

import numpy as np

from ..._jit import njit

@njit
def forest_solve(indptr, indices, data, blk, m, rhs, pos, z, order, parent, pw, diag, c):
    """Solve ``A_bb z = rhs`` in ``O(|b| + nnz)`` when the graph of ``A_bb`` is a forest.

    Gaussian elimination leaves-to-root in breadth-first order, then back substitution
    (the two passes of Gaussian belief propagation on a tree). ``pos`` (size ``p``) is -1 on
    entry and exit. Returns False (and leaves ``z`` unspecified) if a cycle is found.
    """
    for a in range(m):
        pos[blk[a]] = a
    for a in range(m):
        parent[a] = -2          # unvisited
        diag[a] = 0.0
        c[a] = rhs[a]
        j = blk[a]
        for k in range(indptr[j], indptr[j + 1]):
            if indices[k] == j:
                diag[a] += data[k]
    ok = True
    head = 0
    tail = 0
    for r in range(m):
        if parent[r] != -2:
            continue
        parent[r] = -1
        pw[r] = 0.0
        order[tail] = r
        tail += 1
        while head < tail:
            v = order[head]
            head += 1
            jv = blk[v]
            for k in range(indptr[jv], indptr[jv + 1]):
                u = pos[indices[k]]
                if u < 0 or u == v:
                    continue
                if parent[u] == -2:
                    parent[u] = v
                    pw[u] = data[k]
                    order[tail] = u
                    tail += 1
                elif parent[v] != u:
                    ok = False      # a non-tree edge: the block is not a forest
    for a in range(m):
        pos[blk[a]] = -1
    if not ok:
        return False
    for t in range(m - 1, -1, -1):
        v = order[t]
        pv = parent[v]
        if pv >= 0:
            w = pw[v] / diag[v]
            diag[pv] -= pw[v] * w
            c[pv] -= w * c[v]
    for t in range(m):
        v = order[t]
        pv = parent[v]
        if pv < 0:
            z[v] = c[v] / diag[v]
        else:
            z[v] = (c[v] - pw[v] * z[pv]) / diag[v]
    return True


@njit
def _distinct_roots(v, indptr, indices, member, label, uf, roots):
    """Union-find roots of the neighbours ``u`` of ``v`` with ``member[u] == label`` into ``roots``.

    Returns how many, or -1 if two lie in the same tree (adding ``v`` would close a cycle).
    """
    cnt = 0
    for k in range(indptr[v], indptr[v + 1]):
        u = indices[k]
        if u == v or member[u] != label:
            continue
        r = u
        while uf[r] != r:
            uf[r] = uf[uf[r]]       # path halving
            r = uf[r]
        for q in range(cnt):
            if roots[q] == r:
                return -1
        roots[cnt] = r
        cnt += 1
    return cnt


@njit
def greedy_forest(scores, indptr, indices, order_buf, uf, sel, out):
    """Variable forest block: scan coordinates by decreasing score, keep ``v`` if its selected
    neighbours lie in pairwise distinct trees (union-find), so the block's graph stays a forest."""
    p = scores.size
    idx = np.argsort(-scores, kind="mergesort")
    for j in range(p):
        uf[j] = j
        sel[j] = 0
    m = 0
    for t in range(p):
        v = idx[t]
        if scores[v] <= 0.0:
            break
        cnt = _distinct_roots(v, indptr, indices, sel, 1, uf, order_buf)
        if cnt < 0:
            continue
        sel[v] = 1
        for q in range(cnt):
            uf[order_buf[q]] = v
        out[m] = v
        m += 1
    return m


@njit
def forest_colouring(order, indptr, indices, max_forests):
    """Greedy partition of the nodes into forests: each node (in ``order``) joins the first
    forest in which its already-assigned neighbours lie in pairwise distinct trees."""
    p = order.size
    uf = np.empty((max_forests, p), dtype=np.int64)
    for f in range(max_forests):
        for j in range(p):
            uf[f, j] = j
    colour = np.full(p, -1, dtype=np.int64)
    roots = np.empty(p, dtype=np.int64)
    for t in range(p):
        v = order[t]
        for f in range(max_forests):
            cnt = _distinct_roots(v, indptr, indices, colour, f, uf[f], roots)
            if cnt >= 0:
                colour[v] = f
                for q in range(cnt):
                    uf[f, roots[q]] = v
                break
    return colour


@njit
def independent_colouring(order, indptr, indices):
    """Greedy colouring into independent sets (the "red-black" partition for a bipartite graph)."""
    p = order.size
    colour = np.full(p, -1, dtype=np.int64)
    used = np.full(p + 1, -1, dtype=np.int64)
    for t in range(p):
        v = order[t]
        for k in range(indptr[v], indptr[v + 1]):
            u = indices[k]
            if u != v and colour[u] >= 0:
                used[colour[u]] = v
        c = 0
        while used[c] == v:
            c += 1
        colour[v] = c
    return colour
