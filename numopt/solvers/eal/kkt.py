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

__all__ = ["lagrangian_hessian", "hessian_operator", "sym_norm_estimate", "licq_eigmin", "licq_eigmin_precond",
           "reduced_hessian_min",
           "fro_norm", "kkt_matrix", "kkt_operator"]


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


def hessian_operator(problem, x, lam):
    """``H`` as a symmetric ``LinearOperator`` of ``problem.hessp_lag(x, lam, .)`` (matrix-free)."""
    from scipy.sparse.linalg import LinearOperator
    n = x.size
    return LinearOperator((n, n), matvec=lambda v: np.asarray(problem.hessp_lag(x, lam, np.ravel(v)), dtype=float),
                          dtype=float)


def sym_norm_estimate(H) -> float:
    """``||H||_2`` of a symmetric operator by Lanczos (``eigsh``, ``tol=1e-3``, inflated by 1e-3 to
    stay an upper estimate); a power-iteration fallback when ARPACK fails."""
    from scipy.sparse.linalg import eigsh
    n = H.shape[0]
    if n <= 2:
        M = H @ np.eye(n)
        return float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (M + M.T))), initial=0.0))
    try:
        v = eigsh(H, k=1, which="LM", return_eigenvectors=False, tol=1e-3, maxiter=50 * n,
                  v0=np.ones(n) / np.sqrt(n))
        return float(abs(v[0])) * (1.0 + 1e-3)
    except Exception:  # noqa: BLE001 - ARPACK failure: a few power steps, then inflate
        u = np.random.default_rng(0).standard_normal(n)
        lam = 0.0
        for _ in range(30):
            w = H @ u
            lam = float(np.linalg.norm(w))
            if lam == 0.0:
                return 0.0
            u = w / lam
        return 1.5 * lam


def fro_norm(M) -> float:
    if sp.issparse(M):
        return float(np.sqrt(np.sum(np.abs(M.data) ** 2)))
    return float(np.linalg.norm(M))


def licq_eigmin(G) -> float:
    r"""``lambda_min(G G^T)`` (``inf`` when there are no constraints; 0 when singular).

    ``m <= 200``: all eigenvalues of the dense ``G G^T`` (``eigvalsh``), as the reference.
    Larger ``m``: ``G G^T`` is factorized -- a dense Cholesky when ``G`` is dense, a sparse LU
    (SuperLU, symmetric mode, minimum degree on ``A + A^T``) when it is sparse, never a dense
    eigensolver -- and Lanczos (``eigsh``, ``tol=1e-6``) finds the largest eigenvalue of
    ``(G G^T)^{-1}`` through that factorization (shift-invert at 0). A factorization that fails
    means ``G G^T`` is singular to working precision: 0 is returned.
    """
    m = G.shape[0]
    if m == 0:
        return np.inf
    dense = not sp.issparse(G)
    GGt = G @ G.T if dense else (G @ G.T).tocsc()
    if m <= 200:
        return float(np.linalg.eigvalsh(GGt if dense else GGt.toarray())[0])
    from scipy.sparse.linalg import LinearOperator, eigsh
    if dense:
        from scipy.linalg import LinAlgError, cho_factor, cho_solve
        try:
            c = cho_factor(GGt)
        except LinAlgError:
            return 0.0

        def solve(v):
            return cho_solve(c, v)
    else:
        from scipy.sparse.linalg import splu
        try:
            solve = splu(GGt, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                         options={"SymmetricMode": True}).solve
        except RuntimeError:                      # exactly singular
            return 0.0
    op = LinearOperator((m, m), matvec=lambda v: solve(np.ravel(v)), dtype=float)
    try:
        mu = float(eigsh(op, k=1, which="LA", return_eigenvectors=False, tol=1e-6,
                         v0=np.ones(m) / np.sqrt(m), maxiter=max(1000, 10 * m))[0])
    except Exception:  # noqa: BLE001 - ARPACK failure: report "singular" (the safe side)
        return 0.0
    if not np.isfinite(mu) or mu <= 0.0:
        return 0.0
    return 1.0 / mu


def licq_eigmin_precond(G, solve, rtol: float = 1e-6, scale: float = 1.0, maxiter: int = 200):
    r"""``lambda_min(G G^T)`` by LOBPCG preconditioned with ``solve ~ (G G^T)^{-1}``; ``None`` when
    it does not converge (the caller then uses :func:`licq_eigmin`).

    No factorization of ``G G^T``: the preconditioner is the factorized Schur approximation
    ``G D^{-1} G^T`` of :mod:`~numopt.solvers.eal.precond`, spectrally equivalent to ``G G^T``
    within ``[min D, max D]``, so LOBPCG (Knyazev 2001) converges in a number of steps set by
    ``max D / min D`` only. The start is one inverse-iteration step ``solve(1)``. Converged means
    the eigen-residual ``||G G^T u - mu u|| <= rtol max(mu, scale)`` with ``||u|| = 1``, which
    bounds the eigenvalue error by the same amount (``scale``: the LICQ threshold, so a value far
    below it needs only absolute accuracy ``rtol scale``).
    """
    import warnings

    from scipy.sparse.linalg import LinearOperator, lobpcg
    m = G.shape[0]
    A = (G @ G.T).tocsr() if sp.issparse(G) else G @ G.T
    x0 = np.asarray(solve(np.ones(m)), dtype=float).reshape(m, 1)
    if not np.all(np.isfinite(x0)) or not np.any(x0):
        return None
    M = LinearOperator((m, m), matvec=lambda v: solve(np.ravel(v)), dtype=float)
    x1 = np.ravel(x0)
    rq = float(x1 @ (A @ x1)) / float(x1 @ x1)          # >= lambda_min: the scale of the tolerance
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lam, u = lobpcg(A, x0, M=M, largest=False, tol=0.5 * rtol * max(rq, scale, 1e-300), maxiter=maxiter)
    except Exception:  # noqa: BLE001 - any LOBPCG failure: let the caller factorize
        return None
    mu = float(lam[0])
    u = np.ravel(u) / np.linalg.norm(u)
    res = float(np.linalg.norm(A @ u - mu * u))
    if not (np.isfinite(mu) and np.isfinite(res)) or res > rtol * max(mu, scale):
        return None
    return max(mu, 0.0)


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
    operator = not (sp.issparse(H) or isinstance(H, np.ndarray))
    if not operator and not (sp.issparse(H) or sp.issparse(G)):
        Q, _ = np.linalg.qr(G.T, mode="complete")
        Z = Q[:, m:]
        return float(np.linalg.eigvalsh(Z.T @ H @ Z)[0])
    if not operator:
        gmin = _gershgorin_min(H)
        if gmin >= threshold:
            return gmin
    from scipy.sparse.linalg import LinearOperator, eigsh, splu
    Gs = sp.csr_matrix(G)
    try:
        lu = splu((Gs @ Gs.T).tocsc())
    except RuntimeError:                      # G G^T singular (LICQ fails): report "modify"
        return -np.inf
    shift = (sym_norm_estimate(H) if operator else fro_norm(H)) + 1.0

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


def kkt_matrix(B, G, rho: float = 0.0):
    """``K = [[B, G^T], [G, -rho I]]`` as a CSR matrix with sorted indices (explicit zeros dropped)."""
    m = G.shape[0]
    if m == 0:
        K = sp.csr_matrix(B)
    else:
        C = -rho * sp.identity(m, format="csr") if rho > 0 else sp.csr_matrix((m, m))
        K = sp.bmat([[sp.csr_matrix(B), sp.csr_matrix(G).T], [sp.csr_matrix(G), C]], format="csr")
    K.eliminate_zeros()
    K.sort_indices()
    K.indptr = K.indptr.astype(np.int64)
    K.indices = K.indices.astype(np.int64)
    return K


def kkt_operator(H, shift, G, rho: float = 0.0):
    """``K = [[H + shift I, G^T], [G, -rho I]]`` as a matrix-free symmetric ``LinearOperator``
    (``H`` an operator, ``G`` a dense or sparse Jacobian): no KKT matrix is ever formed."""
    from scipy.sparse.linalg import LinearOperator
    m, n = G.shape

    def mv(v):
        v = np.ravel(v)
        vx, vl = v[:n], v[n:]
        top = H @ vx + shift * vx + G.T @ vl
        return np.concatenate([np.ravel(top), np.ravel(G @ vx) - rho * vl])

    return LinearOperator((n + m, n + m), matvec=mv, rmatvec=mv, dtype=float)
