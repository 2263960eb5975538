"""Small linear-algebra helpers shared by problems and solvers (one place each)."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["spectral_norm_sq", "col_sq_norms"]


def col_sq_norms(X) -> np.ndarray:
    """Squared Euclidean norms of the columns of a dense or sparse matrix."""
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=0)).ravel()
    return np.einsum("ij,ij->j", X, X)


def spectral_norm_sq(X, *, safety: float = 1.0) -> float:
    r"""``||X||_2^2``, the largest eigenvalue of ``X^T X`` (times ``safety``), for dense or sparse X.

    Exact (LAPACK SVD) when ``min(X.shape) <= 200`` and ``X`` is dense; otherwise ARPACK
    (``svds``, ``tol=1e-6``, deterministic start). If ARPACK fails, the Frobenius bound
    ``sum_j ||X_j||^2 >= ||X||_2^2`` is returned: a valid upper bound, never an underestimate.
    An all-zero ``X`` gives 0.
    """
    if min(X.shape) == 0:
        return 0.0
    frob = float(np.sum(col_sq_norms(X)))
    if frob == 0.0:
        return 0.0
    if min(X.shape) <= 200 and not sp.issparse(X):
        return float(np.linalg.norm(X, 2) ** 2) * safety
    from scipy.sparse.linalg import ArpackError, svds
    try:
        s = svds(X, k=1, return_singular_vectors=False, tol=1e-6, random_state=0)
        # ARPACK's tolerance is relative; 1 + 1e-6 keeps the estimate an upper bound
        return min(float(s[0] ** 2) * (1.0 + 1e-6), frob) * safety
    except (ArpackError, ValueError, np.linalg.LinAlgError):
        return frob * safety
