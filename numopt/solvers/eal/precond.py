r"""Symmetric positive definite preconditioners for MINRES on the Newton-KKT system.

MINRES needs an SPD preconditioner ``M``; for the saddle-point matrix
``K = [[B, G^T], [G, -rho I]]`` the standard choice is block diagonal (Murphy, Golub & Wathen
2000; Silvester & Wathen 1994):

.. math:: M = \begin{pmatrix} \tilde D & 0 \\ 0 & \tilde S \end{pmatrix},\qquad
          \tilde D = \operatorname{diag}(\max(|B_{ii}|, d_{\min})),\qquad
          \tilde S \approx G \tilde D^{-1} G^\top + \rho I .

With ``tilde D = B`` and ``tilde S`` the exact Schur complement ``G B^{-1} G^T`` (``rho = 0``),
``M^{-1} K`` has the three eigenvalues ``1`` and ``(1 +- sqrt 5)/2`` and MINRES ends in three
steps; with a diagonal ``tilde D`` the eigenvalues of ``M^{-1} K`` stay in intervals fixed by the
spectrum of ``tilde D^{-1/2} B tilde D^{-1/2}`` (Rusten & Winther 1992), independent of the
conditioning of ``G G^T`` -- which is what grows like ``N^4`` on the Poisson control problem.
Two choices for ``tilde S`` (``preconditioner`` option of ``method="eal"``):

* ``"schur"``: ``tilde S = G tilde D^{-1} G^T + rho I`` factorized once -- a dense Cholesky
  (``scipy.linalg.cho_factor``) when ``G`` is dense, a sparse LU in SuperLU's symmetric mode
  (``splu`` with minimum-degree ordering on ``S + S^T``, no off-diagonal pivoting) when it is
  sparse. ``tilde S`` is SPD when ``G`` has full row rank or ``rho > 0``; a factorization that
  fails (rank-deficient ``G`` with ``rho = 0``) is retried once with the shift
  ``1e-10 max_i S_ii``.
* ``"jacobi"``: ``tilde S = diag(G tilde D^{-1} G^T) + rho`` (no factorization; cheap, weaker).

The factorization is **refreshed only when needed**: :func:`block_diagonal` keeps the last
preconditioner with a copy of the data it was built from (``tilde D``, ``G``, ``rho``) and
reuses it while they are unchanged -- every outer iteration of a problem with linear constraints
and a constant Hessian, such as :class:`~numopt.problems.pde.PoissonControl` -- so the
factorization is paid once per run there, once per outer iteration on a nonlinear problem.

References
----------
M. F. Murphy, G. H. Golub, A. J. Wathen. "A note on preconditioning for indefinite linear
systems." SIAM J. Sci. Comput. 21 (2000) 1969-1972.
T. Rusten, R. Winther. "A preconditioned iterative method for saddlepoint problems."
SIAM J. Matrix Anal. Appl. 13 (1992) 887-904.
D. Silvester, A. Wathen. "Fast iterative solution of stabilised Stokes systems part II: using
general block preconditioners." SIAM J. Numer. Anal. 31 (1994) 1352-1367.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["BlockDiagonal", "block_diagonal", "PRECONDITIONERS", "matrix_signature", "same_matrix"]

PRECONDITIONERS = ("none", "jacobi", "schur")


def matrix_signature(A):
    """A copy of the data of ``A`` (dense or sparse) for :func:`same_matrix`."""
    if sp.issparse(A):
        A = A.tocsr()
        return ("sparse", A.shape, A.indptr.copy(), A.indices.copy(), A.data.copy())
    return ("dense", np.shape(A), np.array(A, dtype=float, copy=True))


def same_matrix(sig, A) -> bool:
    """Whether ``A`` equals the matrix whose :func:`matrix_signature` is ``sig`` (exactly)."""
    if sig is None:
        return False
    if sp.issparse(A):
        if sig[0] != "sparse":
            return False
        A = A.tocsr()
        return (sig[1] == A.shape and np.array_equal(sig[2], A.indptr) and np.array_equal(sig[3], A.indices)
                and np.array_equal(sig[4], A.data))
    return sig[0] == "dense" and sig[1] == np.shape(A) and np.array_equal(sig[2], A)


class BlockDiagonal:
    r"""``v -> M^{-1} v`` for ``M = diag(tilde D, tilde S)`` (see the module docstring).

    Parameters
    ----------
    kind : {"schur", "jacobi"}
        How ``tilde S`` approximates the Schur complement.
    d : ndarray, shape (n,)
        The diagonal of ``B`` (its absolute values are used, floored at ``1e-8 max(max|d|, 1)``).
    G : ndarray or sparse matrix, shape (m, n)
        Constraint Jacobian.
    rho : float
        The dual regularization (``K``'s ``(2, 2)`` block is ``-rho I``).
    """

    def __init__(self, kind, d, G, rho=0.0):
        if kind not in ("schur", "jacobi"):
            raise ValueError(f"preconditioner kind must be 'schur' or 'jacobi', got {kind!r}")
        d = np.abs(np.asarray(d, dtype=float).reshape(-1))
        m, n = G.shape
        if d.shape != (n,) or not np.all(np.isfinite(d)):
            raise ValueError(f"the diagonal d must be a finite vector of length {n}, got shape {d.shape}")
        self.kind, self.n, self.m, self.rho = kind, n, m, float(rho)
        self.dinv = 1.0 / np.maximum(d, 1e-8 * max(float(np.max(d, initial=0.0)), 1.0))
        self.shifted = False
        if m == 0:
            self._solve_s = lambda v: v
            return
        if kind == "jacobi":
            if sp.issparse(G):
                s = np.asarray(sp.csr_matrix(G).multiply(G) @ self.dinv).ravel()
            else:
                s = (np.asarray(G) ** 2) @ self.dinv
            s = s + self.rho
            s = np.maximum(s, 1e-12 * max(float(np.max(s, initial=0.0)), 1e-300))
            sinv = 1.0 / s
            self._solve_s = lambda v: sinv * v
            return
        if sp.issparse(G):
            Gs = sp.csr_matrix(G)
            S = (Gs @ sp.diags(self.dinv) @ Gs.T).tocsc()
            if self.rho > 0:
                S = (S + self.rho * sp.identity(m, format="csc")).tocsc()
            self._solve_s = self._factor_sparse(S)
        else:
            Gd = np.asarray(G, dtype=float)
            S = (Gd * self.dinv) @ Gd.T + self.rho * np.eye(m)
            self._solve_s = self._factor_dense(0.5 * (S + S.T))

    def _factor_dense(self, S):
        from scipy.linalg import LinAlgError, cho_factor, cho_solve
        try:
            c = cho_factor(S)
        except LinAlgError:
            self.shifted = True
            c = cho_factor(S + 1e-10 * max(float(np.max(np.diag(S))), 1e-300) * np.eye(S.shape[0]))
        return lambda v: cho_solve(c, v)

    def _factor_sparse(self, S):
        from scipy.sparse.linalg import splu
        kw = dict(permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
        try:
            lu = splu(S, **kw)
        except RuntimeError:                    # exactly singular (rank-deficient G, rho = 0)
            self.shifted = True
            shift = 1e-10 * max(float(S.diagonal().max()), 1e-300)
            lu = splu((S + shift * sp.identity(S.shape[0], format="csc")).tocsc(), **kw)
        return lu.solve

    def solve_schur(self, v):
        """``tilde S^{-1} v`` (the constraint block alone)."""
        return self._solve_s(np.asarray(v, dtype=float).reshape(-1))

    def __call__(self, v):
        v = np.asarray(v, dtype=float).reshape(-1)
        out = np.empty_like(v)
        out[:self.n] = self.dinv * v[:self.n]
        out[self.n:] = self._solve_s(v[self.n:])
        return out

    def __repr__(self):
        return f"BlockDiagonal(kind={self.kind!r}, n={self.n}, m={self.m}, rho={self.rho:g})"


def block_diagonal(kind, d, G, rho, cache):
    """The preconditioner for ``(d, G, rho)``, reusing ``cache['P']`` when the data are unchanged.

    ``cache`` is a dict owned by the caller (one per run). Returns ``(P, refreshed)``.
    """
    d = np.asarray(d, dtype=float).reshape(-1)
    old = cache.get("P")
    if (old is not None and old.kind == kind and cache.get("rho") == float(rho)
            and np.array_equal(cache.get("d"), d) and same_matrix(cache.get("G"), G)):
        return old, False
    P = BlockDiagonal(kind, d, G, rho)
    cache.update(P=P, rho=float(rho), d=d.copy(), G=matrix_signature(G))
    return P, True
