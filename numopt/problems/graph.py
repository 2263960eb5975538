r"""Quadratics with sparse (graph) structure: ``SparseQuadratic`` and label propagation.

* ``SparseQuadratic(A, b)``: ``f(x) = 1/2 x^T A x - b^T x`` with ``A`` sparse symmetric
  positive (semi)definite; the graph of ``A`` is what forest-structured block methods use.
* ``LabelPropagation(W, labelled, labels)``: the harmonic-function objective
  ``1/2 sum_{ij} w_ij (x_i - x_j)^2`` over the unlabelled nodes of a weighted graph ``W``
  with the labelled values fixed (Zhu, Ghahramani & Lafferty, ICML 2003). It is a
  ``SparseQuadratic`` with ``A = (D - W)_{UU}`` (Laplacian restricted to the unlabelled
  nodes ``U``) and ``b = W_{UL} y_L``; the constant term is kept so ``fun`` is the full energy.

``lattice_graph(rows, cols, weight)`` builds the 4-neighbour lattice of the BCD paper's
label-propagation experiment (Nutini, Laradji & Schmidt, JMLR 2022, dataset D).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import as_vector
from .base import SmoothProblem

__all__ = ["SparseQuadratic", "LabelPropagation", "lattice_graph"]


class SparseQuadratic(SmoothProblem):
    r"""``f(x) = 1/2 x^T A x - b^T x + c`` with sparse symmetric ``A``.

    Parameters
    ----------
    A : sparse or dense (n, n) symmetric matrix.
    b : (n,) vector.
    c : constant added to ``f`` (default 0).
    """

    oracles = SmoothProblem.oracles | {"hess", "coordinate"}

    def __init__(self, A, b, c: float = 0.0, x0=None, name=None):
        if not (sp.issparse(A) or isinstance(A, np.ndarray)):
            raise TypeError(f"A must be a scipy.sparse matrix or ndarray, got {type(A).__name__}")
        A = sp.csc_matrix(A, dtype=float)
        n = A.shape[0]
        if A.shape != (n, n):
            raise ValueError(f"A must be square, got shape {A.shape}")
        asym = abs(A - A.T).max() if A.nnz else 0.0
        if asym > 1e-10 * (1.0 + abs(A).max()):
            raise ValueError("A must be symmetric")
        self.A = A
        self.b = as_vector(b, "b", size=n)
        self.c = float(c)
        super().__init__(n, np.zeros(n) if x0 is None else x0, name or "SparseQuadratic")

    def _fun(self, x):
        return 0.5 * float(x @ (self.A @ x)) - float(self.b @ x) + self.c

    def _grad(self, x):
        return self.A @ x - self.b

    def _hessp(self, x, p):
        return self.A @ p

    def _hess(self, x):
        return self.A.toarray()

    def lipschitz(self) -> float:
        """``lambda_max(A)``."""
        from scipy.sparse.linalg import eigsh
        if self.n <= 200:
            return float(np.linalg.eigvalsh(self.A.toarray())[-1])
        return float(eigsh(self.A, k=1, which="LA", return_eigenvectors=False, tol=1e-6)[0])

    def coordinate_lipschitz(self) -> np.ndarray:
        """``A_ii``."""
        return np.asarray(self.A.diagonal(), dtype=float)

    def solution(self) -> np.ndarray:
        """The minimiser by a sparse direct solve (a reference for tests)."""
        from scipy.sparse.linalg import spsolve
        return spsolve(self.A.tocsc(), self.b)


class LabelPropagation(SparseQuadratic):
    r"""Label propagation on a weighted graph (harmonic energy with fixed labelled values).

    Parameters
    ----------
    W : (N, N) symmetric non-negative weight matrix (sparse or dense).
    labelled : indices of the labelled nodes.
    labels : their values ``y_L``.

    The variables are the unlabelled nodes in increasing order (``self.unlabelled``).
    """

    def __init__(self, W, labelled, labels, name=None):
        W = sp.csr_matrix(W, dtype=float)
        N = W.shape[0]
        if W.shape != (N, N):
            raise ValueError(f"W must be square, got shape {W.shape}")
        if W.nnz and W.data.min() < 0:
            raise ValueError("W must have non-negative weights")
        labelled = np.asarray(labelled, dtype=np.int64).ravel()
        if labelled.size and (labelled.min() < 0 or labelled.max() >= N):
            raise ValueError(f"labelled must hold node indices in [0, {N}), got range "
                             f"[{labelled.min()}, {labelled.max()}]")
        yL = as_vector(labels, "labels", size=labelled.size)
        mask = np.ones(N, dtype=bool)
        mask[labelled] = False
        U = np.flatnonzero(mask)
        if U.size == 0:
            raise ValueError("every node is labelled: nothing to propagate")
        deg = np.asarray(W.sum(axis=1)).ravel()
        L = sp.diags(deg) - W
        A = L[U][:, U]
        WUL = W[U][:, labelled]
        b = WUL @ yL
        c = 0.5 * float(yL @ (L[labelled][:, labelled] @ yL))
        super().__init__(A, b, c=c, name=name or "LabelPropagation")
        self.W, self.labelled, self.labels, self.unlabelled = W, labelled, yL, U


def lattice_graph(rows: int, cols: int, weight: float = 1.0) -> sp.csr_matrix:
    """Weights of the ``rows x cols`` 4-neighbour lattice (node ``r * cols + c``)."""
    if rows < 1 or cols < 1:
        raise ValueError(f"rows and cols must be >= 1, got {rows} and {cols}")
    idx = np.arange(rows * cols).reshape(rows, cols)
    i = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    j = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    W = sp.coo_matrix((np.full(i.size, float(weight)), (i, j)), shape=(rows * cols,) * 2)
    return (W + W.T).tocsr()
