r"""The OSQP splitting of a convex QP ``min 1/2 x'Px + q'x  s.t.  l <= Ax <= u``.

Blocks (Stellato et al. 2020): ``X = (x~, z~)`` with ``A x~ = z~`` carries the quadratic
objective, ``Z = (x, z)`` with ``z in [l, u]``; constraint ``X - Z = 0`` with penalty
``diag(sigma I, R)``. The x-update solves the quasi-definite KKT system

.. math:: \begin{bmatrix} P + \sigma I & A^T \\ A & -R^{-1} \end{bmatrix}
          \begin{bmatrix} \tilde x \\ \nu \end{bmatrix} =
          \begin{bmatrix} \sigma (x - u_x) - q \\ z - u_z \end{bmatrix},\qquad \tilde z = A\tilde x,

(sparse LU of the KKT matrix, or the dense Cholesky of ``P + sigma I + A^T R A`` for
small dense data), factored once per penalty value. ``R`` is ``rho`` on inequality rows,
``1e3 rho`` on equality rows and ``1e-6`` on free rows (OSQP's ``set_rho_vec``).
Termination on OSQP's unscaled infinity-norm residuals
``|Ax - z|`` and ``|Px + q + A^T y|``; infeasibility from the iterate differences
``dy``, ``dx`` (primal infeasible: ``|A^T dy| <= eps |dy|`` and
``u^T max(dy, 0) + l^T min(dy, 0) < 0``; dual infeasible / unbounded: ``q^T dx < 0``,
``|P dx| <= eps |dx|``, ``A dx`` in the recession cone of ``[l, u]``), returned
normalized as ``primal_infeasibility_certificate`` / ``dual_infeasibility_certificate``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ...result import Status
from ._linalg import FactorCache, dense_spd_solver, sparse_solver
from .engine import Splitting

__all__ = ["QPSplitting"]

_RHO_MIN, _EQ_SCALE = 1e-6, 1e3


def _inf(v) -> float:
    return float(np.abs(v).max()) if v.size else 0.0


class QPSplitting(Splitting):
    norm = "inf"
    default_rho = 0.1

    def __init__(self, qp, sigma: float = 1e-6, scaling: int = 10):
        self.qp = qp
        self.P0, self.q0, self.A0, self.l0, self.u0 = qp.P, qp.q, qp.A, qp.l, qp.u
        self.n, self.m = qp.n, qp.A.shape[0]
        self.sigma = sigma
        self.eq = (self.u0 - self.l0) < 1e-4
        self.free = np.isinf(self.l0) & np.isinf(self.u0)
        self.D, self.E, self.cost, self.P, self.Am = _ruiz(qp.P, qp.A, scaling)
        if scaling:
            self.cost = _cost_scale(self.P, self.D * qp.q)
            self.P = self.P * self.cost
        self.q = self.cost * self.D * qp.q
        with np.errstate(invalid="ignore"):
            self.l, self.u = self.E * qp.l, self.E * qp.u
        self.cache = FactorCache(self._build_dense if self._use_dense() else self._build_sparse)

    def _use_dense(self) -> bool:
        """Dense Cholesky of the reduced matrix for small dense data, or when the reduced
        matrix ``P + A^T R A`` would be mostly nonzero anyway (then SuperLU with pivoting on
        the KKT matrix fills in and is slower than one dense factorization)."""
        n = self.n
        if not (sp.issparse(self.P) or sp.issparse(self.Am)):
            return n + self.m <= 3000 or n <= 1500
        if n > 3000:
            return False
        absA = abs(sp.csr_matrix(self.Am))
        pattern = abs(sp.csr_matrix(self.P)) + absA.T @ absA
        return pattern.nnz > 0.1 * n * n

    def penalty(self, rho):
        R = np.where(self.eq, _EQ_SCALE * rho, rho)
        R[self.free] = _RHO_MIN
        return np.concatenate([np.full(self.n, self.sigma), R])

    def _build_dense(self, pen):
        n, R, A = self.n, pen[self.n:], self.Am
        P = self.P.toarray() if sp.issparse(self.P) else np.asarray(self.P)
        ARA = (A.T @ sp.diags(R) @ A).toarray() if sp.issparse(A) else A.T @ (A * R[:, None])
        solve = dense_spd_solver(P + self.sigma * np.eye(n) + ARA)
        return lambda r1, r2: solve(r1 + A.T @ (R * r2))

    def _build_sparse(self, pen):
        n, R = self.n, pen[self.n:]
        K = sp.bmat([[sp.csc_matrix(self.P) + self.sigma * sp.identity(n), sp.csc_matrix(self.Am).T],
                     [sp.csc_matrix(self.Am), sp.diags(-1.0 / R)]], format="csc")
        solve = sparse_solver(K)
        return lambda r1, r2: solve(np.concatenate([r1, r2]))[:n]

    def set_q(self, q):
        """Change the linear term (the factorization does not depend on it)."""
        self.q0 = np.asarray(q, dtype=float)
        self.q = self.cost * self.D * self.q0

    def start(self, x0):
        x = np.array(x0, dtype=float) / self.D
        Ax = self.Am @ x
        X = np.concatenate([x, Ax])
        Z = np.concatenate([x, np.clip(Ax, self.l, self.u)])
        return X, Z, np.zeros(self.n + self.m)

    def warm_dual(self, y, pen):
        y = np.asarray(y, dtype=float)
        if y.size == self.m:         # unscaled constraint multipliers
            return np.concatenate([np.zeros(self.n), self.cost * y / self.E / pen[self.n:]])
        return y / pen

    def x_update(self, Z, U, pen, X_prev):
        n = self.n
        r1 = self.sigma * (Z[:n] - U[:n]) - self.q
        r2 = Z[n:] - U[n:]
        xt = self.cache.solver(pen)(r1, r2)
        return np.concatenate([xt, self.Am @ xt])

    def z_update(self, v, pen, Z_prev):
        n = self.n
        return np.concatenate([v[:n], np.clip(v[n:], self.l, self.u)])

    def objective(self, X, Z):
        x = self.D * Z[:self.n]
        return 0.5 * float(x @ (self.P0 @ x)) + float(self.q0 @ x)

    def solution(self, X, Z):
        return self.D * Z[:self.n]

    def residuals(self, X, Z, U, pen, AX, BZ, BZ_old, opts):
        # OSQP's residuals of the unscaled problem, from the scaled products
        n = self.n
        x, z, y = Z[:n], Z[n:], pen[n:] * U[n:]
        Ax, z = (self.Am @ x) / self.E, z / self.E
        cD = self.cost * self.D
        Px, ATy, q = (self.P @ x) / cD, (self.Am.T @ y) / cD, self.q0
        r = _inf(Ax - z)
        s = _inf(Px + q + ATy)
        r_scale = max(_inf(Ax), _inf(z))
        s_scale = max(_inf(Px), _inf(ATy), _inf(q))
        return (r, s, opts.eps_abs + opts.eps_rel * r_scale, opts.eps_abs + opts.eps_rel * s_scale,
                r_scale, s_scale)

    def detect(self, X, Z, U, dX, dZ, dY, pen, opts):
        n = self.n
        l, u = self.l0, self.u0
        dy = self.E * dY[n:] / self.cost                 # unscaled
        dy[np.isinf(u) & (dy > 0)] = 0.0              # project onto the polar of the recession cone
        dy[np.isinf(l) & (dy < 0)] = 0.0
        ndy = _inf(dy)
        if ndy > 1e-30:
            fu, fl = np.isfinite(u), np.isfinite(l)
            support = float(u[fu] @ np.maximum(dy[fu], 0.0) + l[fl] @ np.minimum(dy[fl], 0.0))
            if support < 0 and _inf(self.A0.T @ dy) < opts.eps_prim_inf * ndy:
                cert = dy / ndy
                return Status.INFEASIBLE, "primal infeasible", {"primal_infeasibility_certificate": cert}
        dx = self.D * dZ[:n]
        ndx = _inf(dx)
        if ndx > 1e-30:
            eps = opts.eps_dual_inf * ndx
            if float(self.q0 @ dx) < -eps and _inf(self.P0 @ dx) < eps:
                Adx = self.A0 @ dx
                fu, fl = np.isfinite(u), np.isfinite(l)
                if np.all(Adx[fu] <= eps) and np.all(Adx[fl] >= -eps):
                    return Status.UNBOUNDED, "dual infeasible", {"dual_infeasibility_certificate": dx / ndx}
        return None

    def extra(self, X, Z, U, pen):
        n = self.n
        y = self.E * (pen[n:] * U[n:]) / self.cost
        Ax = self.A0 @ (self.D * Z[:n])
        return {"y": y, "constr_violation": float(np.max(np.maximum(Ax - self.u0, self.l0 - Ax), initial=0.0))}


def _col_inf(M):
    if M.shape[0] == 0:
        return np.zeros(M.shape[1])
    if sp.issparse(M):
        return abs(M).max(axis=0).toarray().ravel()
    return np.abs(M).max(axis=0)


def _row_inf(M):
    if M.shape[1] == 0 or M.shape[0] == 0:
        return np.zeros(M.shape[0])
    if sp.issparse(M):
        return abs(M).max(axis=1).toarray().ravel()
    return np.abs(M).max(axis=1)


def _scale_matrix(M, left, right):
    if sp.issparse(M):
        return (sp.diags(left) @ M @ sp.diags(right)).tocsc()
    return left[:, None] * M * right[None, :]


def _ruiz(P, A, iters):
    r"""Modified Ruiz equilibration of the KKT matrix ``[[P, A^T], [A, 0]]`` (OSQP's
    ``scaling.c``): ``iters`` passes of ``D <- D / sqrt(col-inf-norm)``, norms below
    1e-4 or above 1e4 clipped (zero norms -> 1). Returns ``D, E, 1, D P D, E A D``."""
    n, m = A.shape[1], A.shape[0]
    D, E = np.ones(n), np.ones(m)
    Ps, As = P, A
    for _ in range(int(iters)):
        nx = np.maximum(_col_inf(Ps), _col_inf(As))
        nz = _row_inf(As)
        dx = 1.0 / np.sqrt(np.where(nx < 1e-4, 1.0, np.minimum(nx, 1e4)))
        dz = 1.0 / np.sqrt(np.where(nz < 1e-4, 1.0, np.minimum(nz, 1e4)))
        Ps, As = _scale_matrix(Ps, dx, dx), _scale_matrix(As, dz, dx)
        D, E = D * dx, E * dz
    return D, E, 1.0, Ps, As


def _cost_scale(Ps, qs) -> float:
    """OSQP's cost scaling ``c = 1 / max(mean col-inf-norm of P, |q|_inf)`` (clipped)."""
    cn = float(np.mean(_col_inf(Ps))) if Ps.shape[0] else 0.0
    val = max(cn, _inf(qs))
    val = 1.0 if val < 1e-4 else min(val, 1e4)
    return 1.0 / val
