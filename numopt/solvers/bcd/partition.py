r"""Block partitions and per-block constants for BCD.

Fixed partitions are stored CSR-like: block ``b`` is ``idx[ptr[b]:ptr[b+1]]``.

* ``"order"``: contiguous blocks of ``block_size``;
* ``"sort"``: coordinates sorted by their Lipschitz constant ``L_i`` (largest first), then
  chunked, so coordinates of similar ``L_i`` share a block (the paper's "FB");
* ``"balanced"`` (alias ``"avg"``): sorted by ``L_i`` and dealt round-robin to the blocks, so
  block averages of ``L_i`` are about equal;
* ``"hsort"``, ``"havg"``: as ``"sort"`` and ``"balanced"`` but ranking the coordinates by the
  row sums ``d_i = sum_j |H_ij|`` of the fixed Hessian bound (the reference code's ``Hsort`` /
  ``Havg``), which also see the off-diagonal coupling of a coordinate;
* ``"forest"``: a greedy partition of the nodes of the graph of ``A`` into forests (each
  node, in decreasing ``A_ii`` order, joins the first forest where it keeps acyclicity);
* ``"redblack"``: a greedy colouring into independent sets (``A_bb`` diagonal);
* ``"comb"``: for a ``rows x cols`` 4-neighbour lattice (``lattice_graph``), the paper's two
  comb-shaped trees: the top row (spine) with the even columns above the last row (teeth), and
  the complement, i.e. the bottom row with the odd columns below the first row. Each block is
  a tree, so the exact block solve is linear-time message passing. For label propagation the
  combs are restricted to the unlabelled nodes (sub-forests of trees);
* a list of index arrays supplied by the user.

Variable partitions (``"variable"``, ``"variable-forest"``) are chosen per iteration in the
kernels.
"""
from __future__ import annotations

import numpy as np

__all__ = ["fixed_partition", "graph_partition", "as_blocks", "comb_blocks", "lattice_shape",
           "comb_partition"]


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
    """``(ptr, idx)`` of a fixed partition of ``range(p)`` into blocks of about ``tau``.

    ``Lc`` holds the ranking values: ``L_i`` for ``"sort"``/``"balanced"``, the Hessian-bound
    row sums ``d_i`` for ``"hsort"``/``"havg"`` (the caller passes the right vector).
    """
    nb = -(-p // tau)
    if kind == "order":
        idx = np.arange(p, dtype=np.int64)
    elif kind in ("sort", "hsort"):
        idx = np.argsort(-Lc, kind="stable").astype(np.int64)
    elif kind in ("balanced", "avg", "havg"):
        order = np.argsort(-Lc, kind="stable")
        blocks = [order[b::nb] for b in range(nb)]
        return as_blocks(blocks, p)
    else:  # pragma: no cover - validated by the options
        raise ValueError(f"unknown partition {kind!r}")
    ptr = np.minimum(np.arange(nb + 1, dtype=np.int64) * tau, p)
    return ptr, idx


def graph_partition(kind: str, A, Lc: np.ndarray):
    """Forest (``"forest"``) or independent-set (``"redblack"``) partition of the graph of ``A``."""
    from . import _forest as K
    order = np.argsort(-Lc, kind="stable").astype(np.int64)
    if kind == "forest":
        deg = np.diff(A.indptr)
        colour = K.forest_colouring(order, A.indptr.astype(np.int64), A.indices.astype(np.int64),
                                    int(deg.max(initial=1)) + 1)
    else:
        colour = K.independent_colouring(order, A.indptr.astype(np.int64), A.indices.astype(np.int64))
    blocks = [np.flatnonzero(colour == c) for c in range(int(colour.max()) + 1)]
    return as_blocks([b for b in blocks if b.size], A.shape[0])


def comb_blocks(rows: int, cols: int):
    r"""The two comb trees partitioning the nodes of the ``rows x cols`` lattice (node ``r*cols + c``).

    Comb 0: the whole first row (spine) and the even columns in rows ``0..rows-2`` (teeth);
    comb 1: its complement, the whole last row and the odd columns in rows ``1..rows-1``.
    Rows ``1..rows-2`` of one comb hold only every other column, so they carry no horizontal
    edge; each comb is a spine path with vertical paths hanging from it, i.e. a tree
    (Nutini, Laradji & Schmidt, JMLR 2022, section 5; the reference code's lattice
    ``TreePartitions``). A single-row lattice is one block.
    """
    rr, cc = np.divmod(np.arange(rows * cols, dtype=np.int64), cols)
    first = (rr == 0) | ((cc % 2 == 0) & (rr < rows - 1))
    return [np.flatnonzero(first), np.flatnonzero(~first)]


def lattice_shape(S):
    """``(rows, cols)`` if the off-diagonal pattern of ``S`` is exactly that of
    ``lattice_graph(rows, cols)`` (node ``r*cols + c``), else ``None``."""
    import scipy.sparse as sp
    from ...problems.graph import lattice_graph
    S = sp.csr_matrix(S)
    N = S.shape[0]
    S = sp.csr_matrix(((S - sp.diags(S.diagonal())) != 0).astype(np.int8))
    S.eliminate_zeros()
    nb0 = np.sort(S.indices[S.indptr[0]:S.indptr[1]]) if N else np.empty(0, dtype=np.int64)
    if N == 1:
        return 1, 1
    if nb0.size == 1 and nb0[0] == 1:
        rows, cols = 1, N
    elif nb0.size == 2 and nb0[0] == 1 and N % nb0[1] == 0:
        rows, cols = N // int(nb0[1]), int(nb0[1])
    else:
        return None
    L = sp.csr_matrix((lattice_graph(rows, cols) != 0).astype(np.int8))
    return (rows, cols) if (S != L).nnz == 0 else None


def comb_partition(problem):
    """``(ptr, idx)`` of the comb partition of a lattice-structured ``SparseQuadratic``.

    For a ``LabelPropagation`` the lattice is its weight graph ``W`` and the blocks are the
    combs restricted to the unlabelled nodes (renumbered as the problem's variables); for any
    other ``SparseQuadratic`` the graph of ``A`` itself must be the lattice. Raises ValueError
    (naming the option) when the graph is not a ``lattice_graph(rows, cols)`` pattern.
    """
    from ...problems.graph import LabelPropagation
    if isinstance(problem, LabelPropagation):
        G, nodes, what = problem.W, problem.unlabelled, "the weight graph W"
    else:
        G, nodes, what = problem.A, np.arange(problem.n), "the graph of A"
    shape = lattice_shape(G)
    if shape is None:
        raise ValueError("option partition='comb' needs a problem whose graph is a rows x cols 4-neighbour "
                         f"lattice numbered r*cols + c (as built by lattice_graph); {what} "
                         f"({G.shape[0]} nodes) is not")
    var = np.full(G.shape[0], -1, dtype=np.int64)
    var[nodes] = np.arange(nodes.size)
    blocks = [var[c][var[c] >= 0] for c in comb_blocks(*shape)]
    return as_blocks([b for b in blocks if b.size], nodes.size)
