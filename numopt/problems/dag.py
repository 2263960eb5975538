r"""DAG-learning scores: ``DAGScore(X, score="l2", lambda1=0.0, lambda2=0.0)``.

The variable is a weighted adjacency matrix ``W`` (``d x d``, ``W[i, j]`` is the weight of the
edge ``i -> j``), flattened row-major: ``x = W.ravel()``. The objective is the NOTEARS score

.. math::
    Q(W) = \ell(W) + \lambda_1 \|W\|_1 + \tfrac{\lambda_2}{2} \|W\|_F^2,

with the least-squares loss of a linear SEM (``score="l2"``)

.. math::
    \ell(W) = \tfrac{1}{2n} \|X - XW\|_F^2, \qquad \nabla \ell(W) = -\tfrac1n X^T (X - XW),

or the logistic loss for binary data (``score="logistic"``, ``X`` in {0, 1})

.. math::
    \ell(W) = \tfrac1n \textstyle\sum_{k,j} \big[\log(1 + e^{(XW)_{kj}}) - X_{kj} (XW)_{kj}\big],
    \qquad \nabla \ell(W) = \tfrac1n X^T (\sigma(XW) - X).

The loss separates over columns: ``ell(W) = sum_j ell_j(W[:, j])``, which is what makes the
per-order inner problem of :mod:`numopt.solvers.dag` ``d`` independent regressions. ``X`` is
used as given (no centering: the regressions have no intercept, as in the NOTEARS and TOPO
reference codes); :func:`numopt.dag.topo` centers and optionally standardizes before building
the problem.

Acyclicity functions (:meth:`DAGScore.acyclicity`), on a nonnegative matrix ``A`` built from
``W`` (``A = W * W`` by default, ``A = |W|`` with ``elementwise="abs"``):

* ``"logdet"`` (DAGMA, Bello et al. 2022): ``h = -log det(sI - A) + d log s``,
  ``dh/dA = (sI - A)^{-T}``; finite only while ``s`` exceeds the spectral radius of ``A``;
* ``"expm"`` (NOTEARS, Zheng et al. 2018): ``h = tr e^A - d``, ``dh/dA = (e^A)^T``;
* ``"poly"`` (Yu et al. 2019): ``h = tr (I + A/d)^d - d``, ``dh/dA = ((I + A/d)^{d-1})^T``.

Each is zero exactly on DAGs, and ``[dh/dA]_{ij} = 0`` exactly when there is no directed path
``j ~> i`` (so adding ``i -> j`` keeps the graph acyclic), the fact TOPO's candidate swaps use.

References: X. Zheng, B. Aragam, P. Ravikumar, E. Xing, NeurIPS 2018 (NOTEARS);
K. Bello, B. Aragam, P. Ravikumar, NeurIPS 2022 (DAGMA); Y. Yu et al., ICML 2019 (DAG-GNN);
C. Deng, K. Bello, B. Aragam, P. Ravikumar, ICML 2023 (TOPO).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_scalar
from .base import Problem

__all__ = ["DAGScore", "acyclicity", "acyclicity_dA", "reachability", "ACYCLICITY"]

SCORES = ("l2", "logistic")
#: The acyclicity functions :func:`acyclicity` knows.
ACYCLICITY = ("logdet", "expm", "poly")


def _as_data(X) -> np.ndarray:
    try:
        X = np.array(X, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"X must be a 2-D array of real numbers (n samples x d variables), "
                        f"got {type(X).__name__}") from None
    if X.ndim != 2:
        raise ValueError(f"X must be two-dimensional (n samples x d variables), got shape {X.shape}")
    n, d = X.shape
    if not np.all(np.isfinite(X)):
        bad = np.argwhere(~np.isfinite(X))[:3].tolist()
        raise ValueError(f"X must be finite, got nan or inf at (row, column) {bad}")
    if d < 2:
        raise ValueError(f"X must have at least 2 variables (columns) to learn a graph, got d = {d}")
    if n < 2:
        raise ValueError(f"X must have at least 2 samples (rows), got n = {n}")
    return np.ascontiguousarray(X)


def reachability(B) -> np.ndarray:
    """Boolean ``R[i, j]``: a directed path of length >= 1 from ``i`` to ``j`` in the graph ``B != 0``."""
    B = np.asarray(B) != 0
    R = B.copy()
    for _ in range(max(1, int(np.ceil(np.log2(max(B.shape[0], 2)))) + 1)):
        Rn = R | ((R.astype(np.int64) @ R.astype(np.int64)) > 0)
        if np.array_equal(Rn, R):
            break
        R = Rn
    return R


def acyclicity_dA(A, kind: str = "logdet", s: float = 1.0):
    """``(h, dh/dA)`` of the acyclicity function ``kind`` at a nonnegative matrix ``A``.

    For ``"logdet"``, ``h = inf`` (and a NaN gradient) when ``sI - A`` is not an M-matrix
    (``det <= 0``): ``s`` must exceed the spectral radius of ``A``.
    """
    A = np.asarray(A, dtype=float)
    d = A.shape[0]
    if kind == "logdet":
        M = s * np.eye(d) - A
        sign, logdet = np.linalg.slogdet(M)
        if sign <= 0:
            return np.inf, np.full_like(A, np.nan)
        return float(-logdet + d * np.log(s)), np.linalg.inv(M).T
    if kind == "expm":
        from scipy.linalg import expm
        E = expm(A)
        return float(np.trace(E) - d), E.T
    if kind == "poly":
        B = np.eye(d) + A / d
        E = np.linalg.matrix_power(B, d - 1)
        return float(np.sum(E.T * B) - d), E.T
    raise ValueError(f"acyclicity kind must be one of {', '.join(map(repr, ACYCLICITY))}, got {kind!r}")


def acyclicity(W, kind: str = "logdet", s: float = 1.0, elementwise: str = "square"):
    """``(h(W), dh/dW)`` with ``A = W * W`` (``elementwise="square"``) or ``A = |W|`` (``"abs"``).

    ``dh/dW = 2 W * dh/dA`` for the square, ``sign(W) * dh/dA`` for the absolute value (a
    subgradient at zero entries). See the module docstring for the three kinds.
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix, got shape {W.shape}")
    if elementwise == "square":
        h, G = acyclicity_dA(W * W, kind, s)
        return h, 2.0 * W * G
    if elementwise == "abs":
        h, G = acyclicity_dA(np.abs(W), kind, s)
        return h, np.sign(W) * G
    raise ValueError(f"elementwise must be 'square' or 'abs', got {elementwise!r}")


class DAGScore(Problem):
    r"""The NOTEARS score of a weighted adjacency matrix on data ``X`` (see the module docstring).

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data, one sample per row; ``n >= 2``, ``d >= 2``, finite. For ``score="logistic"`` the
        entries must be 0 or 1.
    score : {"l2", "logistic"}
        Least squares (linear SEM) or logistic loss (binary data).
    lambda1 : float
        l1 weight ``>= 0``.
    lambda2 : float
        l2 weight ``>= 0`` (the term is ``lambda2 / 2 * ||W||_F^2``).
    name : str, optional

    Notes
    -----
    ``structure = {"dag"}``: only the DAG methods (``topo``, ``notears``) solve it; they return an
    acyclic ``W``. ``x0`` is the empty graph. ``fun`` is ``Q``; ``grad`` is the gradient of the
    smooth part ``ell + lambda2/2 ||W||^2`` (the l1 term is handled by the solvers).
    ``gram`` is ``X^T X / n`` (cached), the only data the least-squares solvers touch.
    """

    structure = frozenset({"dag"})
    oracles = frozenset({"fun", "grad", "dag"})

    def __init__(self, X, score: str = "l2", lambda1: float = 0.0, lambda2: float = 0.0,
                 name: str | None = None):
        X = _as_data(X)
        if not isinstance(score, str) or score not in SCORES:
            raise ValueError(f"score must be one of {', '.join(map(repr, SCORES))}, got {score!r}")
        if score == "logistic" and not np.all((X == 0) | (X == 1)):
            raise ValueError("score='logistic' needs binary data: X must contain only 0 and 1")
        self.lambda1 = as_scalar(lambda1, "lambda1", low=0.0)
        self.lambda2 = as_scalar(lambda2, "lambda2", low=0.0)
        n, d = X.shape
        super().__init__(d * d, np.zeros(d * d), name or f"dag-{score}-n{n}-d{d}")
        self.X, self.score, self.n_samples, self.d = X, score, n, d
        self._gram = None

    # -- helpers ------------------------------------------------------------------------
    @property
    def gram(self) -> np.ndarray:
        """``X^T X / n`` (computed once)."""
        if self._gram is None:
            self._gram = np.ascontiguousarray(self.X.T @ self.X / self.n_samples)
        return self._gram

    def as_matrix(self, x) -> np.ndarray:
        """``W`` (d x d) from ``x = W.ravel()`` (or from ``W`` itself), validated."""
        W = np.asarray(x, dtype=float)
        if W.shape == (self.n,):
            return W.reshape(self.d, self.d)
        if W.shape == (self.d, self.d):
            return W
        raise ValueError(f"W must have shape ({self.d}, {self.d}) or ({self.n},), got {W.shape}")

    def loss(self, W) -> tuple[float, np.ndarray]:
        """``(ell(W), grad ell(W))``: the data term only, no regularization."""
        W = self.as_matrix(W)
        if self.score == "l2":
            # on the Gram matrix S: ell = tr((I - W)^T S (I - W)) / 2, grad = -S (I - W)
            S = self.gram
            SW = S - S @ W
            return float(0.5 * (np.trace(S) - np.sum(W * S) - np.sum(W * SW))), -SW
        from scipy.special import expit
        X, n = self.X, self.n_samples
        M = X @ W
        val = float(np.sum(np.logaddexp(0.0, M) - X * M) / n)
        return val, X.T @ (expit(M) - X) / n

    def column_losses(self, W) -> np.ndarray:
        """``ell_j(W[:, j])`` per column (the data term splits over columns)."""
        W = self.as_matrix(W)
        X, n = self.X, self.n_samples
        M = X @ W
        if self.score == "l2":
            return 0.5 / n * np.sum((X - M) ** 2, axis=0)
        return np.sum(np.logaddexp(0.0, M) - X * M, axis=0) / n

    def refit(self, W, penalized: bool = False, tol: float = 1e-9, maxiter: int = 2000) -> np.ndarray:
        r"""The weights refit on the support of ``W``: each column ``j`` regressed on its parents
        ``S_j = {i : W_ij != 0}`` (``i != j``), with the support kept fixed.

        ``score="l2"``: least squares on the Gram matrix, ``w = Sigma_SS^{-1} Sigma_Sj`` (with
        ``penalized=True``: ``argmin ell_j + lambda1 |w|_1 + lambda2/2 |w|^2``, which may zero some
        entries). ``score="logistic"``: the logistic maximum-likelihood weights (with
        ``penalized``: the regularized ones). Used after thresholding (``numopt.dag.topo(...,
        refit=True)``): thresholding removes edges but leaves the surviving weights fitted to the
        removed ones (and penalized methods shrink them); the refit gives, on the learned graph,
        the best score the graph allows. Warm-started from ``W``; coordinate descent with an
        exact face polish (least squares) or Newton's method (logistic), as in the ``topo``
        refits, to the optimality residual ``tol``.

        Raises ``ValueError`` when a column does not converge in ``maxiter`` iterations (a
        singular ``Sigma_SS``, or separable binary data without ``penalized=True``).
        """
        from ..solvers.dag._kernels import lasso_cd, logistic_fit
        W = self.as_matrix(W)
        if not np.all(np.isfinite(W)):
            raise ValueError("W must be finite to be refit")
        lam1 = self.lambda1 if penalized else 0.0
        lam2 = self.lambda2 if penalized else 0.0
        out = np.zeros_like(W, dtype=float)
        Ms = np.ascontiguousarray(self.gram + lam2 * np.eye(self.d)) if self.score == "l2" else None
        for j in range(self.d):
            S = np.flatnonzero(W[:, j] != 0)
            S = S[S != j].astype(np.int64)
            if S.size == 0:
                continue
            w = np.ascontiguousarray(W[S, j], dtype=float)
            if self.score == "l2":
                _, ok = lasso_cd(Ms, j, S, w, lam1, tol, maxiter)
            else:
                _, ok = logistic_fit(self.X, j, S, w, lam1, lam2, tol, maxiter)
            if not ok or not np.all(np.isfinite(w)):
                raise ValueError(f"the refit of node {j} on its {S.size} parents did not converge in {maxiter} "
                                 "iterations (collinear parents, or separable binary data: use penalized=True "
                                 "with lambda2 > 0)")
            out[S, j] = w
        return out

    def regularizer(self, W) -> float:
        W = self.as_matrix(W)
        return float(self.lambda1 * np.abs(W).sum() + 0.5 * self.lambda2 * np.sum(W * W))

    def acyclicity(self, W, kind: str = "logdet", s: float = 1.0, elementwise: str = "square"):
        """``(h(W), dh/dW)``; see :func:`acyclicity`."""
        return acyclicity(self.as_matrix(W), kind, s, elementwise)

    def kkt_residual(self, W) -> float:
        r"""Max violation of the first-order conditions over the edges ``W`` allows.

        An edge ``(i, j)`` is *allowed* when adding it keeps ``W`` acyclic (no path ``j ~> i``),
        which for a DAG are exactly the edges consistent with some topological order of ``W``
        (the KKT conditions of the NOFEARS reformulation, Wei et al. 2020). The residual is the
        distance of ``-grad`` to ``lambda1 * d|W_ij|`` on those entries.
        """
        W = self.as_matrix(W)
        _, G = self.loss(W)
        G = G + self.lambda2 * W
        R = reachability(W != 0)
        if np.any(np.diag(R)):
            return np.inf                              # cyclic: no KKT point of the DAG program
        allowed = ~R.T                                 # i -> j allowed iff no path j ~> i
        np.fill_diagonal(allowed, False)
        lam = self.lambda1
        r = np.where(W > 0, np.abs(G + lam), np.where(W < 0, np.abs(G - lam), np.maximum(np.abs(G) - lam, 0.0)))
        r = np.where(allowed | (W != 0), r, 0.0)
        return float(r.max(initial=0.0))

    # -- oracles ------------------------------------------------------------------------
    def fun(self, x) -> float:
        self._count("nfev")
        return self.loss(x)[0] + self.regularizer(x)

    def grad(self, x) -> np.ndarray:
        self._count("njev")
        W = self.as_matrix(x)
        return (self.loss(W)[1] + self.lambda2 * W).ravel()
