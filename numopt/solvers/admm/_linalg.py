"""Cached factorizations for the ADMM linear systems.

Every ADMM x-update that is a linear solve uses a matrix that depends on the penalty
``rho`` only. :class:`FactorCache` keeps the factorizations of the last few ``rho``
values (built by a user function), so a penalty that returns to an earlier value, or a
penalty that does not change, costs no refactorization.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

__all__ = ["FactorCache", "dense_spd_solver", "sparse_solver", "gram_solver"]


class FactorCache:
    """``solver(rho)`` returns ``solve(v)`` for the matrix built by ``build(rho)``.

    Parameters
    ----------
    build : callable
        ``build(rho) -> solve`` where ``solve(v)`` solves the system for a right-hand side.
    maxsize : int
        Number of factorizations kept (least recently used dropped).
    """

    def __init__(self, build, maxsize: int = 3):
        self._build, self._maxsize = build, int(maxsize)
        self._cache: OrderedDict = OrderedDict()
        self.nfactor = 0

    def solver(self, rho):
        key = float(rho) if np.isscalar(rho) else np.asarray(rho, dtype=float).tobytes()
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        solve = self._build(rho)
        self.nfactor += 1
        self._cache[key] = solve
        if len(self._cache) > self._maxsize:
            self._cache.popitem(last=False)
        return solve


def dense_spd_solver(M):
    """Cholesky of a dense symmetric positive definite ``M``; returns ``solve(v)``."""
    from scipy.linalg.lapack import dpotrs
    L, _ = sla.cho_factor(np.asarray(M, dtype=float), lower=True, check_finite=False)

    def solve(v):
        x, info = dpotrs(L, v, lower=1)
        return x
    return solve


def sparse_solver(M):
    """Sparse LU (SuperLU, COLAMD ordering) of ``M``; returns ``solve(v)``.

    Used for the quasi-definite KKT matrices ``[[P + sigma I, A^T], [A, -R^{-1}]]`` that
    are strongly factorizable, so no pivoting problems arise.
    """
    from scipy.sparse.linalg import splu
    lu = splu(sp.csc_matrix(M), permc_spec="COLAMD")
    return lu.solve


def gram_solver(X, scale: float = 1.0, weights=None):
    """A builder ``rho -> solve`` for ``(scale X^T W X + rho I) v = rhs``.

    ``n <= m``: Cholesky of the ``n x n`` Gram matrix (dense; sparse LU of the sparse Gram
    matrix when ``X`` is sparse and ``n > 2000``). ``m < n``: the matrix-inversion lemma with
    the ``m x m`` matrix ``rho/scale W^{-1} + X X^T`` (here ``W = diag(weights)``, positive),
    dense Cholesky or, for a sparse ``X`` with ``m > 2000``, sparse LU. A sparse ``X`` is never
    densified: only the Gram matrix of the smaller dimension is, when it is at most
    ``2000 x 2000``.
    """
    m, n = X.shape
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=float)
    issparse = sp.issparse(X)
    if issparse:
        X = X.tocsr()
    if n <= m:
        if issparse:
            G = (X.T @ X.multiply(w[:, None]).tocsr()).tocsc() * scale
            if n > 2000:
                return lambda rho: sparse_solver(G + rho * sp.identity(n, format="csc"))
            G = G.toarray()
        else:
            G = scale * (X.T @ (X * w[:, None]))
        return lambda rho: dense_spd_solver(G + rho * np.eye(n))
    # m < n: (rho I + s X^T W X)^{-1} = (1/rho)[I - X^T (rho/s W^{-1} + X X^T)^{-1} X]
    XXt = X @ X.T
    if issparse and m > 2000:
        XXt = XXt.tocsc()

        def build_sparse(rho):
            inner = sparse_solver(XXt + sp.diags(rho / (scale * w), format="csc"))
            return lambda v: (v - X.T @ inner(X @ v)) / rho
        return build_sparse
    XXt = XXt.toarray() if sp.issparse(XXt) else XXt

    def build(rho):
        inner = dense_spd_solver(XXt + np.diag(rho / (scale * w)))
        return lambda v: (v - X.T @ inner(X @ v)) / rho
    return build
