r"""``relu-admm``: the ADMM of Bai, Gautam & Sojoudi for convex two-layer ReLU training.

Problem: :class:`numopt.problems.convex_relu.ConvexReLU`. With ``u = (v_1..v_P, w_1..w_P)``,
``F u = sum_i D_i X (v_i - w_i)`` and ``G = blkdiag((2D_i - I) X)`` over the ``2P`` blocks,
the splitting in the engine's form is ``x = u``, ``z = (s, t)``, ``A = [I; G]``, ``B = -I``:

.. math::
    u^{k+1} &= (F^TF + \rho I + \rho G^TG)^{-1}\big(F^Ty + \rho(s^k - \lambda^k) + \rho G^T(t^k - \nu^k)\big)\\
    s^{k+1}_j &= \big(1 - \tfrac{\beta/\rho}{\|a_j\|}\big)_+ a_j,\quad a = \hat u^{k+1} + \lambda^k
    \qquad t^{k+1} = (\widehat{Gu}^{k+1} + \nu^k)_+

Structure: ``(2D_i - I)^2 = I`` so ``G^TG = I_{2P} \otimes X^TX``; the system matrix is
constant for a given ``rho`` and is Cholesky-factored once (refactored only when the
adaptive penalty is adopted). Per iteration: two triangular solves of size ``2Pd`` and
``O(nPd)`` products.

References: Y. Bai, T. Gautam, S. Sojoudi, "Efficient global optimization of two-layer
ReLU networks: quadratic-time algorithms and adversarial training", SIAM J. Math. Data Sci.
5(2), 2023 (Algorithm 1); M. Pilanci, T. Ergen, ICML 2020 (the convex program).
"""
from __future__ import annotations

import numpy as np

from ...problems.convex_relu import ConvexReLU, relu_network_predict
from ...registry import register
from ._linalg import FactorCache, dense_spd_solver
from .engine import ADMMEngine, ADMMOptions, Splitting

__all__ = ["ReluADMM"]


class ReluSplitting(Splitting):
    default_rho = 0.1

    def __init__(self, pb: ConvexReLU):
        self.pb = pb
        X, D, P, d, n = pb.X, pb.D, pb.P, pb.d, pb.X.shape[0]
        self.X, self.P, self.d, self.n = X, P, d, n
        self.S = np.hstack([2.0 * D - 1.0, 2.0 * D - 1.0])                 # (n, 2P) signs
        self.Dm = np.hstack([D, -D])                                       # (n, 2P) signed masks of F
        self.N = 2 * P * d
        F = (self.Dm[:, :, None] * X[:, None, :]).reshape(n, self.N)       # F u with u blocks of size d
        self.F = F
        FtF = F.T @ F
        XtX = X.T @ X
        self.Fty = F.T @ pb.y

        def build(rho):
            M = FtF + rho * np.eye(self.N)
            for j in range(2 * P):
                sl = slice(j * d, (j + 1) * d)
                M[sl, sl] += rho * XtX
            return dense_spd_solver(M)
        self.cache = FactorCache(build)

    def G(self, u):
        return (self.S * (self.X @ u.reshape(2 * self.P, self.d).T)).T.ravel()

    def GT(self, t):
        T = t.reshape(2 * self.P, self.n).T                                 # (n, 2P)
        return (self.X.T @ (self.S * T)).T.ravel()

    def A(self, u):
        return np.concatenate([u, self.G(u)])

    def AT(self, y):
        return y[:self.N] + self.GT(y[self.N:])

    def start(self, x0):
        u = np.array(x0, dtype=float)
        Au = self.A(u)
        return u, np.concatenate([Au[:self.N], np.maximum(Au[self.N:], 0.0)]), np.zeros(Au.size)

    def x_update(self, z, u, pen, x_prev):
        w = z - u
        rhs = self.Fty + pen * self.AT(w)
        return self.cache.solver(pen)(rhs)

    def z_update(self, v, pen, z_prev):
        N, d = self.N, self.d
        a = v[:N].reshape(-1, d)
        nrm = np.linalg.norm(a, axis=1)
        thr = self.pb.beta / pen
        scale = np.where(nrm > thr, 1.0 - thr / np.maximum(nrm, 1e-300), 0.0)
        return np.concatenate([(a * scale[:, None]).ravel(), np.maximum(v[N:], 0.0)])

    def objective(self, x, z):
        return self.pb.fun(x)

    def extra(self, x, z, u, pen):
        U, alpha = self.pb.network(x)
        return {"weights": (U, alpha), "predict": lambda Xnew: relu_network_predict(Xnew, U, alpha),
                "constr_violation": self.pb.constraint_violation(x)}


@register("relu-admm", family="admm", options=ADMMOptions, aliases=("convex-relu-admm",),
          requires={"convex_relu"}, supports={"convex_relu"},
          tol_options=("eps_abs", "eps_rel"))
class ReluADMM(ADMMEngine):
    """ADMM for the convex two-layer ReLU program (sampled arrangements, factor once)."""

    def make_splitting(self, problem, options):
        if not isinstance(problem, ConvexReLU):
            raise TypeError(f"relu-admm needs a numopt.problems.convex_relu.ConvexReLU, got {problem!r}")
        return ReluSplitting(problem)
