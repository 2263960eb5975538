r"""What the BCD kernels need from a problem: the encoded matrix, targets and separable term.

Accepted problems (the shared templates):

* ``LeastSquares`` / ``Lasso`` / ``ElasticNet`` (kind 0, ``aux = X x``);
* ``LogisticLoss`` / ``LogisticRegression`` with penalty ``"l1"``, ``"l2"``,
  ``"elasticnet"`` or ``"none"`` (kind 1);
* ``SparseQuadratic`` / ``LabelPropagation`` (kind 2, ``aux = A x - b``);
* ``SoftmaxLoss`` / ``SoftmaxRegression`` (kind 3, ``aux = vec(X W)``);
* any ``CompositeProblem`` of one of those smooth parts with ``Zero``, ``L1`` (unweighted),
  ``ElasticNet``, ``SquaredL2`` or ``NonNegative`` as its ``g``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...linalg import spectral_norm_sq
from ...problems import prox as P
from ...problems.composite import CompositeProblem
from ...problems.graph import SparseQuadratic
from ...problems.models import LeastSquares, LogisticLoss, SoftmaxLoss

__all__ = ["Encoded", "encode", "gap_model", "l1_problem"]


@dataclass
class Encoded:
    kind: int                 # 0 least squares, 1 logistic, 2 sparse quadratic, 3 softmax
    M: sp.csc_matrix          # X (kinds 0, 1) or A (kind 2)
    y: np.ndarray             # targets or b
    invN: float
    l2: float                 # extra ridge l2/2 ||x||^2
    reg: int                  # 0 none, 1 L1, 2 non-negativity (+ alpha 1^T x)
    alpha: float
    scale: float              # curvature bound of the loss (1 or 1/4)
    const: float = 0.0        # constant added to f (kind 2)
    ls: tuple | None = None   # Gram mode: the original (X, y, invN) of the least-squares problem
    dense: np.ndarray | None = None   # the dense X (kinds 0, 1), for BLAS products in certificates
    K: int = 1                # classes (kind 3); variables are (feature, class) pairs j = f K + c
    gap_model: object = None  # the model whose duality_gap certifies this problem (L1, no ridge)

    def __post_init__(self):
        M = self.M
        self.arrays = (M.indptr.astype(np.int64), M.indices.astype(np.int64), M.data)

    @property
    def p(self) -> int:
        return self.M.shape[1] * self.K

    def initial_aux(self, x) -> np.ndarray:
        """``aux`` at ``x``: ``X x``, ``A x - b`` or ``vec(X W)``."""
        if self.kind == 3:
            aux = np.asarray(self.M @ x.reshape(-1, self.K)).ravel()
        else:
            aux = self.M @ x - (self.y if self.kind == 2 else 0.0)
        return np.ascontiguousarray(aux, dtype=float)

    def _softmax_factor(self, diag: bool) -> float:
        K = self.K
        return 0.5 * (1.0 - 1.0 / K) if diag else (1.0 - 1.0 / K)

    def coordinate_lipschitz(self) -> np.ndarray:
        if self.kind == 2:
            return np.asarray(self.M.diagonal(), dtype=float) + self.l2
        colsq = np.asarray(self.M.multiply(self.M).sum(axis=0)).ravel()
        if self.kind == 3:
            return np.repeat(self._softmax_factor(True) * self.invN * colsq, self.K) + self.l2
        return self.scale * self.invN * colsq + self.l2

    def gershgorin(self) -> np.ndarray:
        """``d_i >= sum_j |H_ij|`` for the fixed Hessian bound ``H`` (a diagonal bound valid for every block)."""
        absM = abs(self.M)
        if self.kind == 2:
            return np.asarray(absM.sum(axis=0)).ravel() + self.l2
        rows = np.asarray(absM.sum(axis=1)).ravel()
        if self.kind == 3:   # row sums of |1/2 (I - 11^T/K)| are 1 - 1/K
            return np.repeat(self._softmax_factor(False) * self.invN * (absM.T @ rows), self.K) + self.l2
        return self.scale * self.invN * (absM.T @ rows) + self.l2

    def hessian_row_sums(self) -> np.ndarray:
        """Exact ``sum_j |H_ij|`` of the fixed Hessian bound ``H`` (the ranking of the reference
        code's ``Hsort``/``Havg`` partitions). ``X^T X`` is formed a chunk of columns at a time
        (``O(p)`` memory per column); for sparse quadratics this is ``gershgorin``."""
        if self.kind == 2:
            return self.gershgorin()
        M, p = self.M, self.M.shape[1]
        rows = np.empty(p)
        step = max(1, (1 << 22) // max(p, 1))
        for s in range(0, p, step):
            rows[s:s + step] = np.asarray(abs(M.T @ M[:, s:s + step]).sum(axis=0)).ravel()
        if self.kind == 3:   # row sums of |1/2 (I - 11^T/K)| are 1 - 1/K
            return np.repeat(self._softmax_factor(False) * self.invN * rows, self.K) + self.l2
        return self.scale * self.invN * rows + self.l2

    def block_bound(self, idx) -> np.ndarray:
        """Dense fixed upper bound ``H_b`` of the block Hessian (exact for quadratics)."""
        idx = np.asarray(idx)
        if self.kind == 3:
            f, c = idx // self.K, idx % self.K
            Mb = self.M[:, f]
            S = np.where(c[:, None] == c[None, :], 0.5 * (1.0 - 1.0 / self.K), -0.5 / self.K)
            return self.invN * (Mb.T @ Mb).toarray() * S + self.l2 * np.eye(len(idx))
        Mb = self.M[:, idx]
        if self.kind == 2:
            H = Mb[idx].toarray()
        else:
            H = self.scale * self.invN * (Mb.T @ Mb).toarray()
        return H + self.l2 * np.eye(len(idx))

    def global_lipschitz(self) -> float:
        from scipy.sparse.linalg import eigsh
        if self.kind == 2:
            if self.p <= 200:
                return float(np.linalg.eigvalsh(self.M.toarray())[-1]) + self.l2
            return float(eigsh(self.M, k=1, which="LA", return_eigenvectors=False, tol=1e-6)[0]) + self.l2
        s2 = spectral_norm_sq(self.M.toarray() if min(self.M.shape) <= 200 else self.M)
        return (0.5 if self.kind == 3 else self.scale) * self.invN * s2 + self.l2


def _smooth_part(smooth):
    if isinstance(smooth, LeastSquares):
        return 0, sp.csc_matrix(smooth.X), smooth.y, 1.0 / smooth.n_samples, 0.0, 1.0, 0.0
    if isinstance(smooth, LogisticLoss):
        return 1, sp.csc_matrix(smooth.X), smooth.y, 1.0 / smooth.n_samples, smooth.l2, 0.25, 0.0
    if isinstance(smooth, SoftmaxLoss):
        return 3, sp.csc_matrix(smooth.X), smooth.codes.astype(float), 1.0 / smooth.n_samples, smooth.l2, 0.5, 0.0
    if isinstance(smooth, SparseQuadratic):
        return 2, sp.csc_matrix(smooth.A), smooth.b, 1.0, 0.0, 1.0, smooth.c
    raise TypeError("method 'bcd' needs a LeastSquares, LogisticLoss/LogisticRegression, SoftmaxLoss or "
                    f"SparseQuadratic/LabelPropagation problem (or a composite of one), got {type(smooth).__name__}")


def gap_model(problem):
    """The model object whose ``duality_gap`` certifies ``problem``, or None.

    ``Lasso`` and ``LogisticRegression(penalty="l1")`` certify themselves; a
    ``CompositeProblem`` of ``LeastSquares`` / ``LogisticLoss`` (no ridge) with an unweighted
    ``L1`` is certified by the equivalent model built on the same data.
    """
    from ...problems.models import Lasso, LogisticRegression
    if isinstance(problem, Lasso):
        return problem
    if isinstance(problem, LogisticRegression):
        return problem if problem.penalty == "l1" else None
    if not isinstance(problem, CompositeProblem):
        return None
    smooth, g = problem.smooth, problem.prox
    if not (isinstance(g, P.L1) and getattr(g, "weights", None) is None and float(g.alpha) > 0):
        return None
    if type(smooth) is LeastSquares:
        return Lasso(smooth.X, smooth.y, float(g.alpha))
    if type(smooth) is LogisticLoss and smooth.l2 == 0.0:
        return LogisticRegression(smooth.X, smooth.y, penalty="l1", alpha=float(g.alpha))
    return None


def l1_problem(problem):
    """``(smooth, loss, alpha, gap_model)`` if the working-set engine applies (an L1 problem with
    a least-squares (loss 0) or logistic (loss 1) datafit and a duality gap), else None."""
    model = gap_model(problem)
    if model is None or float(model.prox.alpha) <= 0.0:
        return None
    smooth = problem.smooth
    return smooth, (0 if isinstance(smooth, LeastSquares) else 1), float(problem.prox.alpha), model


def encode(problem, gram: bool | None = None) -> Encoded:
    """Encode a supported problem for the kernels (TypeError naming what is unsupported).

    Least squares in Gram mode (``gram=True``, or ``None`` and ``p^2 <= nnz(X)``) is encoded
    as the quadratic ``1/2 x^T G x - c^T x + ||y||^2/(2N)`` with ``G = X^T X / N``,
    ``c = X^T y / N``, so the full gradient is maintained in ``O(p)`` per coordinate update
    (greedy rules become cheap when ``N >> p``).
    """
    smooth, g = (problem.smooth, problem.prox) if isinstance(problem, CompositeProblem) else (problem, P.Zero())
    kind, M, y, invN, l2, scale, const = _smooth_part(smooth)
    dense = smooth.X if kind in (0, 1) and isinstance(smooth.X, np.ndarray) else None
    reg, alpha = 0, 0.0
    if isinstance(g, P.Zero):
        pass
    elif isinstance(g, P.L1):
        if getattr(g, "weights", None) is not None:
            raise TypeError("method 'bcd' supports an unweighted L1 term only")
        reg, alpha = 1, float(g.alpha)
    elif isinstance(g, P.ElasticNet):
        reg, alpha, l2 = 1, float(g._lam), l2 + float(g._mu)
    elif isinstance(g, P.SquaredL2):
        l2 += float(g.alpha)
    elif isinstance(g, P.Box) and np.all(g.lb == 0.0) and np.all(np.isinf(g.ub)):
        reg = 2
    else:
        raise TypeError(f"method 'bcd' supports g = 0, L1, ElasticNet, SquaredL2 or NonNegative, "
                        f"got {type(g).__name__}")
    if reg == 1 and alpha == 0.0:
        reg = 0
    M = M.copy()
    M.sort_indices()
    y = np.ascontiguousarray(y, dtype=float)
    p = M.shape[1]
    model = gap_model(problem) if reg == 1 else None
    if kind == 0 and (gram or (gram is None and p * p <= M.nnz)):
        G = sp.csc_matrix(invN * (M.T @ M).toarray())
        G.sort_indices()
        c = invN * np.asarray(M.T @ y).ravel()
        return Encoded(2, G, c, 1.0, l2, reg, alpha, 1.0, 0.5 * invN * float(y @ y),
                       ls=(M if dense is None else dense, y, invN), gap_model=model)
    return Encoded(kind, M, y, invN, l2, reg, alpha, scale, const, dense=dense,
                   K=smooth.K if kind == 3 else 1, gap_model=model)
