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

    def __init__(self, qp, sigma: float = 1e-6):
        self.qp = qp
        self.P, self.q, self.Am, self.l, self.u = qp.P, qp.q, qp.A, qp.l, qp.u
        self.n, self.m = qp.n, self.Am.shape[0]
        self.sigma = sigma
        self.eq = (self.u - self.l) < 1e-4
        self.free = np.isinf(self.l) & np.isinf(self.u)
        dense = not (sp.issparse(self.P) or sp.issparse(self.Am)) and self.n + self.m <= 3000
        self.cache = FactorCache(self._build_dense if dense else self._build_sparse)

    def penalty(self, rho):
        R = np.where(self.eq, _EQ_SCALE * rho, rho)
        R[self.free] = _RHO_MIN
        return np.concatenate([np.full(self.n, self.sigma), R])

    def _build_dense(self, pen):
        n, R = self.n, pen[self.n:]
        P = np.asarray(self.P.toarray() if sp.issparse(self.P) else self.P)
        A = np.asarray(self.Am.toarray() if sp.issparse(self.Am) else self.Am)
        solve = dense_spd_solver(P + self.sigma * np.eye(n) + A.T @ (A * R[:, None]))
        return lambda r1, r2: solve(r1 + A.T @ (R * r2))

    def _build_sparse(self, pen):
        n, R = self.n, pen[self.n:]
        K = sp.bmat([[sp.csc_matrix(self.P) + self.sigma * sp.identity(n), sp.csc_matrix(self.Am).T],
                     [sp.csc_matrix(self.Am), sp.diags(-1.0 / R)]], format="csc")
        solve = sparse_solver(K)
        return lambda r1, r2: solve(np.concatenate([r1, r2]))[:n]

    def start(self, x0):
        x = np.array(x0, dtype=float)
        Ax = self.Am @ x
        X = np.concatenate([x, Ax])
        Z = np.concatenate([x, np.clip(Ax, self.l, self.u)])
        return X, Z, np.zeros(self.n + self.m)

    def warm_dual(self, y, pen):
        y = np.asarray(y, dtype=float)
        if y.size == self.m:
            return np.concatenate([np.zeros(self.n), y / pen[self.n:]])
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
        x = Z[:self.n]
        return 0.5 * float(x @ (self.P @ x)) + float(self.q @ x)

    def solution(self, X, Z):
        return Z[:self.n]

    def residuals(self, X, Z, U, pen, AX, BZ, BZ_old, opts):
        n = self.n
        x, z, y = Z[:n], Z[n:], pen[n:] * U[n:]
        Ax, Px, ATy = self.Am @ x, self.P @ x, self.Am.T @ y
        r = _inf(Ax - z)
        s = _inf(Px + self.q + ATy)
        r_scale = max(_inf(Ax), _inf(z))
        s_scale = max(_inf(Px), _inf(ATy), _inf(self.q))
        return (r, s, opts.eps_abs + opts.eps_rel * r_scale, opts.eps_abs + opts.eps_rel * s_scale,
                r_scale, s_scale)

    def detect(self, X, Z, U, dX, dZ, dY, pen, opts):
        n = self.n
        dy = dY[n:].copy()
        dy[np.isinf(self.u) & (dy > 0)] = 0.0      # project onto the polar of the recession cone
        dy[np.isinf(self.l) & (dy < 0)] = 0.0
        ndy = _inf(dy)
        if ndy > 1e-30:
            fu, fl = np.isfinite(self.u), np.isfinite(self.l)
            support = float(self.u[fu] @ np.maximum(dy[fu], 0.0) + self.l[fl] @ np.minimum(dy[fl], 0.0))
            if support < 0 and _inf(self.Am.T @ dy) < opts.eps_prim_inf * ndy:
                cert = dy / ndy
                return Status.INFEASIBLE, "primal infeasible", {"primal_infeasibility_certificate": cert}
        dx = dZ[:n]
        ndx = _inf(dx)
        if ndx > 1e-30:
            eps = opts.eps_dual_inf * ndx
            if float(self.q @ dx) < -eps and _inf(self.P @ dx) < eps:
                Adx = self.Am @ dx
                fu, fl = np.isfinite(self.u), np.isfinite(self.l)
                if np.all(Adx[fu] <= eps) and np.all(Adx[fl] >= -eps):
                    return Status.UNBOUNDED, "dual infeasible", {"dual_infeasibility_certificate": dx / ndx}
        return None

    def extra(self, X, Z, U, pen):
        n = self.n
        y = pen[n:] * U[n:]
        return {"y": y, "constr_violation": float(np.max(np.maximum(self.Am @ Z[:n] - self.u,
                                                                    self.l - self.Am @ Z[:n]), initial=0.0))}
