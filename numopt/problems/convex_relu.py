r"""Convex reformulation of two-layer ReLU network training (Pilanci & Ergen 2020).

A network ``f(X) = sum_j (X u_j)_+ alpha_j`` trained with squared loss and weight decay
``beta/2 sum_j (|u_j|^2 + alpha_j^2)`` equals, for enough neurons, the convex program

.. math::
    \min_{v_i, w_i} \tfrac12 \Big\|\sum_{i=1}^P D_i X (v_i - w_i) - y\Big\|^2
    + \beta \sum_i (\|v_i\|_2 + \|w_i\|_2)
    \quad\text{s.t.}\quad (2D_i - I) X v_i \ge 0,\ (2D_i - I) X w_i \ge 0,

with ``D_i = diag(1[X h_i >= 0])`` the hyperplane arrangement patterns. Sampling ``h_i ~
N(0, I)`` and keeping the distinct patterns gives the practical (approximate) version
(Bai, Gautam & Sojoudi, SIAM J. Math. Data Sci. 2023). The variable is stacked
``u = (v_1, ..., v_P, w_1, ..., w_P)``, shape ``(2 P d,)``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import as_matrix, as_scalar, as_vector
from .base import Problem

__all__ = ["ConvexReLU", "relu_network_predict"]


def relu_network_predict(X, U, alpha):
    """Output ``sum_j (X U[:, j])_+ alpha_j`` of a two-layer ReLU network."""
    return np.maximum(np.asarray(X) @ U, 0.0) @ alpha


class ConvexReLU(Problem):
    """Convex two-layer ReLU training problem with sampled arrangement patterns.

    Parameters
    ----------
    X : (n, d) array — include a column of ones for a bias (sparse input is densified: the
        arrangement patterns make every block dense anyway).
    y : (n,) array — targets (for classification, labels in {-1, +1}).
    beta : float — weight decay (> 0).
    n_hyperplanes : int — number of sampled hyperplanes (duplicates patterns are dropped).
    rng : int or numpy Generator — for the sampling.
    """

    structure = frozenset({"convex_relu"})
    oracles = frozenset({"fun", "convex_relu"})

    def __init__(self, X, y, beta: float, n_hyperplanes: int = 50, rng=None, name=None):
        X = as_matrix(X, "X")
        self.X = X.toarray() if sp.issparse(X) else np.asarray(X)
        self.y = as_vector(y, "y", size=self.X.shape[0])
        self.beta = as_scalar(beta, "beta", low=0.0, strict=True)
        if not (isinstance(n_hyperplanes, (int, np.integer)) and n_hyperplanes >= 1):
            raise ValueError(f"n_hyperplanes must be a positive integer, got {n_hyperplanes!r}")
        gen = np.random.default_rng(rng)
        H = gen.standard_normal((self.X.shape[1], int(n_hyperplanes)))
        D = (self.X @ H >= 0)
        D = np.unique(D, axis=1)
        D = D[:, D.any(axis=0)]              # an all-zero pattern contributes nothing
        if D.shape[1] == 0:
            raise ValueError(f"no sampled hyperplane gives a non-empty ReLU pattern (X h >= 0 holds for no "
                             f"row, for all n_hyperplanes={n_hyperplanes} samples); increase n_hyperplanes "
                             "or add a bias column of ones to X")
        self.D = D.astype(float)             # (n, P)
        self.P = self.D.shape[1]
        self.d = self.X.shape[1]
        super().__init__(2 * self.P * self.d, np.zeros(2 * self.P * self.d), name or "ConvexReLU")

    def split(self, u):
        """``(V, W)``, each ``(P, d)``, from the stacked variable."""
        u = np.asarray(u, dtype=float)
        half = self.P * self.d
        return u[:half].reshape(self.P, self.d), u[half:].reshape(self.P, self.d)

    def predict_convex(self, u, X=None):
        """Output of the convex model ``sum_i D_i X (v_i - w_i)`` on the training data, or of
        the recovered network on new data ``X`` (patterns are recomputed there)."""
        if X is not None:
            U, alpha = self.network(u)
            return relu_network_predict(X, U, alpha)
        V, W = self.split(u)
        return np.sum(self.D * (self.X @ (V - W).T), axis=1)

    def fun(self, u) -> float:
        self._count("nfev")
        V, W = self.split(u)
        r = self.predict_convex(u) - self.y
        return 0.5 * float(r @ r) + self.beta * float(np.sum(np.linalg.norm(V, axis=1))
                                                        + np.sum(np.linalg.norm(W, axis=1)))

    def constraint_violation(self, u) -> float:
        """Largest violation of ``(2 D_i - I) X v_i >= 0`` and ``(2 D_i - I) X w_i >= 0``."""
        V, W = self.split(u)
        S = 2.0 * self.D - 1.0
        return float(max(np.max(-S * (self.X @ V.T), initial=0.0), np.max(-S * (self.X @ W.T), initial=0.0)))

    def network(self, u, tol: float = 0.0):
        r"""Recover first-layer weights ``U`` (d, m) and output weights ``alpha`` (m,):
        ``u_j = v_i / sqrt|v_i|``, ``alpha_j = sqrt|v_i|`` (and ``-sqrt|w_i|`` for ``w_i``)."""
        V, W = self.split(u)
        cols, alpha = [], []
        for M, sign in ((V, 1.0), (W, -1.0)):
            for row in M:
                nr = np.linalg.norm(row)
                if nr > tol and nr > 0:
                    cols.append(row / np.sqrt(nr))
                    alpha.append(sign * np.sqrt(nr))
        if not cols:
            return np.zeros((self.d, 0)), np.zeros(0)
        return np.array(cols).T, np.array(alpha)

    def certificates(self, u) -> dict:
        return {"constr_violation": self.constraint_violation(u)}
