r"""Block partitions and per-block constants for BCD.

Fixed partitions are stored CSR-like: block ``b`` is ``idx[ptr[b]:ptr[b+1]]``.

* ``"order"``: contiguous blocks of ``block_size``;
* ``"sort"``: coordinates sorted by their Lipschitz constant ``L_i`` (largest first), then
  chunked, so coordinates of similar ``L_i`` share a block (the paper's "FB");
* ``"balanced"`` (alias ``"avg"``): sorted by ``L_i`` and dealt round-robin to the blocks, so
  block averages of ``L_i`` are about equal;
* ``"forest"``: a greedy partition of the nodes of the graph of ``A`` into forests (each
  node, in decreasing ``A_ii`` order, joins the first forest where it keeps acyclicity);
* ``"redblack"``: a greedy colouring into independent sets (``A_bb`` diagonal);
* a list of index arrays supplied by the user.

Variable partitions (``"variable"``, ``"variable-forest"``) are chosen per iteration in the
kernels.
"""
from __future__ import annotations

import numpy as np

__all__ = ["fixed_partition", "graph_partition", "as_blocks"]


def as_blocks(blocks, p: int):
    """``(ptr, idx)`` from a user list of index arrays that must partition ``range(p)``."""
    arrs = [np.asarray(b, dtype=np.int64).ravel() for b in blocks]
    if not arrs or any(a.size == 0 for a in arrs):
        raise ValueError("partition: a user partition must be a non-empty list of non-empty index arrays")
    idx = np.concatenate(arrs)
    if idx.size != p or not np.array_equal(np.sort(idx), np.arange(p)):
        raise ValueError(f"partition: the blocks must partition range({p}) (each index exactly once)")
    ptr = np.concatenate([[0], np.cumsum([a.size for a in arrs])]).astype(np.int64)
    return ptr, idx


def fixed_partition(kind: str, p: int, tau: int, Lc: np.ndarray):
    """``(ptr, idx)`` of a fixed partition of ``range(p)`` into blocks of about ``tau``."""
    nb = -(-p // tau)
    if kind == "order":
        idx = np.arange(p, dtype=np.int64)
    elif kind == "sort":
        idx = np.argsort(-Lc, kind="stable").astype(np.int64)
    elif kind in ("balanced", "avg"):
        order = np.argsort(-Lc, kind="stable")
        blocks = [order[b::nb] for b in range(nb)]
        return as_blocks(blocks, p)
    else:  # pragma: no cover - validated by the options
        raise ValueError(f"unknown partition {kind!r}")
    ptr = np.minimum(np.arange(nb + 1, dtype=np.int64) * tau, p)
    return ptr, idx


def graph_partition(kind: str, A, Lc: np.ndarray):
    """Forest (``"forest"``) or independent-set (``"redblack"``) partition of the graph of ``A``."""
    from . import _kernels as K
    order = np.argsort(-Lc, kind="stable").astype(np.int64)
    if kind == "forest":
        deg = np.diff(A.indptr)
        colour = K.forest_colouring(order, A.indptr.astype(np.int64), A.indices.astype(np.int64),
                                    int(deg.max(initial=1)) + 1)
    else:
        colour = K.independent_colouring(order, A.indptr.astype(np.int64), A.indices.astype(np.int64))
    blocks = [np.flatnonzero(colour == c) for c in range(int(colour.max()) + 1)]
    return as_blocks([b for b in blocks if b.size], A.shape[0])
