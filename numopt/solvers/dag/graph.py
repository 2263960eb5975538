"""Graph utilities of the DAG family: acyclicity test, topological order, threshold-till-DAG,
and :func:`small_blas`, the family's one BLAS-thread pin.

Pure numpy (no kernels): these run once per solve, on ``d x d`` matrices.
"""
from __future__ import annotations

import contextlib
import heapq

import numpy as np

__all__ = ["topological_order", "is_dag", "threshold_till_dag", "order_from_weights", "check_square",
           "small_blas", "SMALL_BLAS_MAX_D"]

#: Up to this many variables the family's dense algebra runs on one BLAS thread (:func:`small_blas`).
SMALL_BLAS_MAX_D = 256


@contextlib.contextmanager
def small_blas(d: int):
    """Run the block with one BLAS thread when ``d <= SMALL_BLAS_MAX_D`` (threadpoolctl).

    The DAG family's dense algebra is on ``d x d`` matrices (``expm``, inverses, matrix powers,
    L-BFGS-B's updates). OpenBLAS threads there cost more than they give, and on a loaded
    2-core machine they made a 6 x 6 ``expm`` 30x slower (measured: 1.5 ms vs 0.05 ms per call;
    ``notears`` at d = 6: 16 s -> 0.56 s). Used by both solvers (``SmallBLAS`` in
    :mod:`~numopt.solvers.dag.topo`) and by :func:`numopt.dag.varsortability`.
    """
    if d > SMALL_BLAS_MAX_D:
        yield
        return
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def check_square(W, name: str = "W") -> np.ndarray:
    """``W`` as a finite square float matrix, or a ``ValueError``/``TypeError`` naming ``name``."""
    try:
        W = np.array(W, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a square matrix of real numbers, got {type(W).__name__}") from None
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"{name} must be a square (d x d) matrix, got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{name} must be finite, got nan or inf entries")
    return W


def topological_order(W) -> np.ndarray | None:
    """A topological order of the graph ``W != 0`` (Kahn's algorithm, smallest index first),
    or ``None`` when the graph has a cycle (a self-loop counts as a cycle)."""
    B = np.asarray(W) != 0
    d = B.shape[0]
    indeg = B.sum(axis=0).astype(np.int64)
    heap = [int(k) for k in np.flatnonzero(indeg == 0)]
    heapq.heapify(heap)
    out = []
    while heap:
        k = heapq.heappop(heap)
        out.append(k)
        for c in np.flatnonzero(B[k]):
            indeg[c] -= 1
            if indeg[c] == 0:
                heapq.heappush(heap, int(c))
    return np.array(out, dtype=np.int64) if len(out) == d else None


def is_dag(W) -> bool:
    """Whether the graph ``W != 0`` is acyclic."""
    return topological_order(W) is not None


def threshold_till_dag(W):
    """``(W_dag, threshold)``: zero the entries with ``|W_ij| <= threshold`` for the smallest
    threshold among the values of ``|W|`` that leaves a DAG (``threshold = 0`` when ``W`` is
    already one); DAGMA's post-processing."""
    W = check_square(W)
    if is_dag(W):
        return W.copy(), 0.0
    vals = np.unique(np.abs(W[W != 0]))
    lo, hi = 0, len(vals)                  # vals[hi - 1] removes all but the largest ties
    while lo < hi:                          # smallest k such that thresholding at vals[k] is a DAG
        mid = (lo + hi) // 2
        if is_dag(np.where(np.abs(W) > vals[mid], W, 0.0)):
            hi = mid
        else:
            lo = mid + 1
    thr = vals[min(lo, len(vals) - 1)]
    Wd = np.where(np.abs(W) > thr, W, 0.0)
    return Wd, float(thr)


def order_from_weights(W) -> np.ndarray:
    """A topological order of ``W`` after :func:`threshold_till_dag` (so any matrix, cyclic or
    not, gives a warm-start order; the strongest edges are kept)."""
    Wd, _ = threshold_till_dag(W)
    order = topological_order(Wd)
    assert order is not None
    return order
