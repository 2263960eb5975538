r"""Linear algebra of one outer iteration: LICQ check, Hessian modification, KKT matrix.

Dense (small) problems follow the reference code exactly: ``xi_G = lambda_min(G G^T)``
by a symmetric eigensolver, the null-space basis ``Z`` from a full QR of ``G^T`` and
``lambda_min(Z^T H Z)``. Sparse problems (a sparse Jacobian, and the problem's
``hess_lag(x, lam)`` when it has one) use a shift-invert Lanczos for ``xi_G`` and, for the
reduced Hessian, first the Gershgorin bound ``lambda_min(Z^T H Z) >= lambda_min(H) >=
min_i (H_ii - sum_{j != i} |H_ij|)``, then Lanczos on the projected operator.

Matrix norms are Frobenius norms, as in the reference (Julia's ``norm`` of a matrix); they
bound the spectral norms the theory uses from above, so the constants stay valid.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["lagrangian_hessian", "licq_eigmin", "reduced_hessian_min", "fro_norm", "kkt_matrix"]


def lagrangian_hessian(problem, x, lam):
    """``H = Hessian of the Lagrangian`` at ``(x, lam)``.

    Uses ``problem.hess_lag(x, lam)`` when the problem has it (may be sparse), else ``n``
    Hessian-vector products ``problem.hessp_lag(x, lam, e_j)`` (symmetrized).
    """
    hl = getattr(problem, "hess_lag", None)
    if callable(hl):
        H = hl(x, lam)
        return H.tocsr() if sp.issparse(H) else np.asarray(H, dtype=float)
    n = x.size
    H = np.empty((n, n))
    e = np.zeros(n)
    for j in range(n):
        e[j] = 1.0
        H[:, j] = problem.hessp_lag(x, lam, e)
        e[j] = 0.0
    return 0.5 * (H + H.T)


def fro_norm(M) -> float:
    if sp.issparse(M):
        return float(np.sqrt(np.sum(np.abs(M.data) ** 2)))
    return float(np.linalg.norm(M))


def licq_eigmin(G) -> float:
    """``lambda_min(G G^T)`` (``inf`` when there are no constraints; 0 when singular)."""
    m = G.shape[0]
    if m == 0:
        return np.inf
    if not sp.issparse(G):
        return float(np.linalg.eigvalsh(G @ G.T)[0])
    GGt = (G @ G.T).tocsc()
    if m <= 200:
        return float(np.linalg.eigvalsh(GGt.toarray())[0])
    from scipy.sparse.linalg import eigsh
    try:
        val = eigsh(GGt, k=1, sigma=0.0, which="LM", return_eigenvectors=False, tol=1e-6)
    except (RuntimeError, ValueError):           # factorization of a singular G G^T
        return 0.0
    return float(val[0])


def _gershgorin_min(H) -> float:
    if sp.issparse(H):
        H = H.tocsr()
        d = H.diagonal()
        off = np.asarray(abs(H).sum(axis=1)).ravel() - np.abs(d)
    else:
        d = np.diag(H)
        off = np.abs(H).sum(axis=1) - np.abs(d)
    return float(np.min(d - off)) if d.size else np.inf


def reduced_hessian_min(H, G, threshold: float) -> float:
    """A value ``<`` ``threshold`` iff ``lambda_min(Z^T H Z) < threshold`` (``Z``: null space of ``G``).

    Dense: the exact smallest eigenvalue. Sparse: the Gershgorin bound when it already
    clears ``threshold``, else Lanczos on ``P H P + s (I - P)`` with ``P`` the projector
    onto the null space and ``s`` a shift above ``||H||_F``.
    """
    n, m = H.shape[0], G.shape[0]
    if m >= n:
        return np.inf
    if not (sp.issparse(H) or sp.issparse(G)):
        Q, _ = np.linalg.qr(G.T, mode="complete")
        Z = Q[:, m:]
        return float(np.linalg.eigvalsh(Z.T @ H @ Z)[0])
    gmin = _gershgorin_min(H)
    if gmin >= threshold:
        return gmin
    from scipy.sparse.linalg import LinearOperator, eigsh, splu
    Gs = sp.csr_matrix(G)
    lu = splu((Gs @ Gs.T).tocsc())
    shift = fro_norm(H) + 1.0

    def proj(v):
        return v - Gs.T @ lu.solve(Gs @ v)

    def mv(v):
        pv = proj(v)
        return proj(H @ pv) + shift * (v - pv)

    op = LinearOperator((n, n), matvec=mv, dtype=float)
    try:
        return float(eigsh(op, k=1, which="SA", return_eigenvectors=False, tol=1e-4, maxiter=20 * n)[0])
    except Exception:  # noqa: BLE001 - ARPACK failure: report "not positive enough" (modify)
        return -np.inf


def kkt_matrix(B, G):
    """``K = [[B, G^T], [G, 0]]`` as a CSR matrix with sorted indices (explicit zeros dropped)."""
    m = G.shape[0]
    if m == 0:
        K = sp.csr_matrix(B)
    else:
        K = sp.bmat([[sp.csr_matrix(B), sp.csr_matrix(G).T], [sp.csr_matrix(G), sp.csr_matrix((m, m))]],
                    format="csr")
    K.eliminate_zeros()
    K.sort_indices()
    K.indptr = K.indptr.astype(np.int64)
    K.indices = K.indices.astype(np.int64)
    return K
