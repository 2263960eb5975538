r"""A scalable PDE-constrained program: distributed control of the discrete Poisson equation.

On the ``N x N`` interior grid of the square with mesh size ``h = 2/(N+1)`` and zero
boundary values, with state ``w`` and control ``u`` (both ``N^2`` vectors, ``x = (w, u)``):

.. math::
    \min_{w,u}\ \tfrac12\|w - w_t\|^2 + \tfrac{\alpha}{2}\|u\|^2
    \quad\text{s.t.}\quad \tfrac{1}{h^2}\,\Delta_5 w + u = 0,

where ``Delta_5`` is the 5-point Laplacian (neighbours minus four times the centre) and
``w_t(i, j) = sin(4 + 0.1/sqrt(15) (i - (N+1)/2)) + cos(3 + 0.1/sqrt(15) (j - (N+1)/2))``
(``i, j = 1..N``). This is the PDE experiment of Hong, Na, Mahoney & Kolar (ICML 2023), whose
code fixes ``N = 3`` (18 variables); here ``N`` is a parameter (``n = 2 N^2`` variables,
``m = N^2`` linear constraints, about ``7 N^2`` Jacobian nonzeros). The reference starts at
``x0 = 1`` with multipliers ``y0 = 1`` (``problem.y0``, which ``method="eal"`` uses).
Jacobian and Lagrangian Hessian are sparse (``jac_eq`` returns CSR; ``hess_lag`` a diagonal).
Being a convex QP, its exact solution is one sparse KKT solve (:meth:`solution`).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .constrained import ConstrainedProblem

__all__ = ["PoissonControl"]


class PoissonControl(ConstrainedProblem):
    """Discrete Poisson-constrained optimal control on an ``N x N`` grid (see the module docstring).

    Parameters
    ----------
    N : int
        Interior grid points per side (``N >= 1``).
    alpha : float
        Control cost (the paper uses 0.1).
    """

    def __init__(self, N: int = 3, alpha: float = 0.1):
        if int(N) != N or N < 1:
            raise ValueError(f"N must be a positive integer, got {N!r}")
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha!r}")
        N = int(N)
        self.N, self.alpha = N, float(alpha)
        nn = N * N
        super().__init__(2 * nn, np.ones(2 * nn), f"PoissonControl(N={N})")
        self.m_eq = nn
        self.y0 = np.ones(nn)
        h = 2.0 / (N + 1)
        T = sp.diags([np.ones(N - 1), -2.0 * np.ones(N), np.ones(N - 1)], [-1, 0, 1])
        I = sp.identity(N)
        lap = (sp.kron(I, T) + sp.kron(T, I)) / h ** 2
        self.A = sp.hstack([lap, sp.identity(nn)], format="csr")
        s = 0.1 / np.sqrt(15.0)
        k = np.arange(1, N + 1) - (N + 1) / 2.0
        wt = np.sin(4.0 + s * k)[:, None] + np.cos(3.0 + s * k)[None, :]
        self.w_target = wt.ravel(order="F")
        self._d = np.concatenate([np.ones(nn), self.alpha * np.ones(nn)])

    def _fun(self, x):
        nn = self.N * self.N
        dw = x[:nn] - self.w_target
        return 0.5 * float(dw @ dw) + 0.5 * self.alpha * float(x[nn:] @ x[nn:])

    def _grad(self, x):
        nn = self.N * self.N
        return np.concatenate([x[:nn] - self.w_target, self.alpha * x[nn:]])

    def _hessp(self, x, p):
        return self._d * np.asarray(p, dtype=float)

    def _hess(self, x):
        return sp.diags(self._d, format="csr")

    def _cons_eq(self, x):
        return self.A @ np.asarray(x, dtype=float)

    def _jac_eq(self, x):
        return self.A

    def _hessp_lag(self, x, y, p):
        return self._d * np.asarray(p, dtype=float)

    def hess_lag(self, x, y):
        """Hessian of the Lagrangian (the constraints are linear): ``diag(1, ..., alpha, ...)``."""
        self._count("nhev")
        return sp.diags(self._d, format="csr")

    def solution(self):
        """``(x*, lam*)`` from one sparse direct solve of the KKT system."""
        from scipy.sparse.linalg import spsolve
        nn = self.N * self.N
        K = sp.bmat([[sp.diags(self._d), self.A.T], [self.A, None]], format="csc")
        rhs = np.concatenate([np.concatenate([self.w_target, np.zeros(nn)]), np.zeros(nn)])
        sol = spsolve(K, rhs)
        return sol[:2 * nn], sol[2 * nn:]
