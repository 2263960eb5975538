r"""Splittings of the shared model templates for the ADMM engine.

* :class:`CompositeSplitting` — ``f(x) + g(z)``, ``x - z = 0`` for composite problems
  (``Lasso``, ``ElasticNet``, ``LogisticRegression``, any smooth + prox). Least squares
  ``f``: exact x-update ``(X^T X / N + rho I) x = X^T y / N + rho (z - u)`` with a cached
  Cholesky (matrix-inversion lemma when ``N < n``). Other smooth ``f``: the strongly convex
  x-subproblem is solved by damped Newton warm-started at the previous ``x`` (or L-BFGS when
  the problem has no Hessian). z-update: ``prox_{g/rho}``. ``res.x`` is ``z`` (exactly sparse).
* :class:`TVSplitting` — 1-D total variation, ``A = D`` (differences), ``B = -I``:
  ``(I + rho D^T D) x = b + rho D^T (z - u)`` through a cached banded Cholesky (O(n)),
  ``z = S_{lam/rho}(D x + u)``.
* :class:`GenericSplitting` — :class:`numopt.problems.ADMMProblem`: exact prox updates when
  ``A = I`` / ``B = -I``, linearized updates otherwise (Parikh & Boyd 2014, sec. 4.4.2).

Reference: Boyd et al. 2011, sec. 6.4 (lasso, generalized lasso), 8.2.3 (logistic).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from ...linalg import spectral_norm_sq
from ...problems.composite import CompositeProblem, as_composite
from ...problems.models import LeastSquares, TotalVariation1D
from ...problems.splitting import ADMMProblem
from ._linalg import FactorCache, gram_solver
from .engine import Splitting

__all__ = ["CompositeSplitting", "TVSplitting", "GenericSplitting"]


class CompositeSplitting(Splitting):
    """``f(x) + g(z)`` s.t. ``x = z`` for a :class:`CompositeProblem`."""

    def __init__(self, problem):
        cp = as_composite(problem)
        self.f, self.g = cp.smooth, cp.prox
        self.quadratic = isinstance(self.f, LeastSquares)
        if self.quadratic:
            X, N = self.f.X, self.f.n_samples
            self._Xty = np.asarray(X.T @ self.f.y).ravel() / N
            self.cache = FactorCache(gram_solver(X, 1.0 / N))

    def x_update(self, z, u, pen, x_prev):
        v = z - u
        if self.quadratic:
            return self.cache.solver(pen)(self._Xty + pen * v)
        return _prox_smooth(self.f, v, pen, x_prev)

    def z_update(self, v, pen, z_prev):
        return self.g(v, 1.0 / pen)

    def objective(self, x, z):
        return self.f.fun(z) + self.g.value(z)

    def solution(self, x, z):
        return z


def _prox_smooth(f, v, rho, x, tol=1e-12, maxiter=50):
    r"""``argmin_x f(x) + rho/2 |x - v|^2`` by damped Newton (Armijo backtracking)."""
    if "hess" not in f.oracles:
        from scipy.optimize import minimize

        def phi(w):
            fw, gw = f.fun_and_grad(w)
            d = w - v
            return fw + 0.5 * rho * float(d @ d), gw + rho * d
        return minimize(phi, x, jac=True, method="L-BFGS-B",
                        options={"gtol": tol, "ftol": 0.0, "maxiter": 500}).x
    x = np.array(x, dtype=float)
    fx, gx = f.fun_and_grad(x)
    phi = fx + 0.5 * rho * float((x - v) @ (x - v))
    for _ in range(maxiter):
        g = gx + rho * (x - v)
        gn = float(np.max(np.abs(g)))
        if gn <= tol * max(1.0, float(np.max(np.abs(x)))):
            break
        H = f.hess(x) + rho * np.eye(x.size)
        d = -sla.solve(H, g, assume_a="pos", check_finite=False)
        t, slope = 1.0, float(g @ d)
        while True:
            xn = x + t * d
            fn, gxn = f.fun_and_grad(xn)
            phin = fn + 0.5 * rho * float((xn - v) @ (xn - v))
            if phin <= phi + 1e-4 * t * slope or t < 1e-10:
                break
            t *= 0.5
        if phin >= phi and t < 1e-10:
            break
        x, fx, gx, phi = xn, fn, gxn, phin
    return x


class TVSplitting(Splitting):
    """1-D total variation: ``1/2 |x - b|^2 + lam |z|_1``, ``D x - z = 0``."""

    def __init__(self, problem: TotalVariation1D):
        from ...problems.prox import L1
        self.b, self.lam, self.n = problem.b, problem.lam, problem.n
        self.g = L1(problem.lam)
        n = self.n

        def build(rho):
            ab = np.empty((2, n))
            ab[0, 0] = 0.0
            ab[0, 1:] = -rho
            diag = np.full(n, 2.0 * rho)
            diag[0] = diag[-1] = rho
            ab[1] = 1.0 + diag
            cb = sla.cholesky_banded(ab, lower=False, check_finite=False)
            return lambda v: sla.cho_solve_banded((cb, False), v, check_finite=False)
        self.cache = FactorCache(build)

    def A(self, x):
        return np.diff(x)

    def AT(self, y):
        out = np.empty(y.size + 1)
        out[0] = -y[0]
        out[1:-1] = y[:-1] - y[1:]
        out[-1] = y[-1]
        return out

    def start(self, x0):
        x = np.array(x0, dtype=float)
        return x, np.diff(x), np.zeros(x.size - 1)

    def x_update(self, z, u, pen, x_prev):
        return self.cache.solver(pen)(self.b + pen * self.AT(z - u))

    def z_update(self, v, pen, z_prev):
        return self.g(v, 1.0 / pen)

    def objective(self, x, z):
        return 0.5 * float(np.sum((x - self.b) ** 2)) + self.lam * float(np.sum(np.abs(np.diff(x))))


class GenericSplitting(Splitting):
    """:class:`ADMMProblem` ``f(x) + g(z)``, ``A x + B z = c``."""

    def __init__(self, problem: ADMMProblem):
        self.pb = problem
        self.f, self.g = problem.f, problem.g
        self.Am, self.Bm, self.c = problem.A, problem.B, problem.c
        self._LA = None if self.Am is None else spectral_norm_sq(self.Am, safety=1.0001)
        self._LB = None if self.Bm is None else spectral_norm_sq(self.Bm, safety=1.0001)

    def A(self, x):
        return x if self.Am is None else self.Am @ x

    def AT(self, y):
        return y if self.Am is None else self.Am.T @ y

    def B(self, z):
        return -z if self.Bm is None else self.Bm @ z

    def start(self, x0):
        x = np.array(x0, dtype=float)
        z = self.g(self.A(x) - self.c, 1.0) if self.Bm is None else self.g(np.zeros(self.pb.m), 1.0)
        return x, z, np.zeros(self.pb.p)

    def x_update(self, z, u, pen, x_prev):
        w = self.B(z) - self.c + u
        if self.Am is None:
            return self.f(-w, 1.0 / pen)
        return self.f(x_prev - self.Am.T @ (self.Am @ x_prev + w) / self._LA, 1.0 / (pen * self._LA))

    def z_update(self, v, pen, z_prev):
        if self.Bm is None:
            return self.g(v, 1.0 / pen)
        return self.g(z_prev - self.Bm.T @ (self.Bm @ z_prev + v) / self._LB, 1.0 / (pen * self._LB))

    def objective(self, x, z):
        return self.pb.objective(x, z)


def make_splitting(problem, options) -> Splitting:
    """The splitting of a supported problem (the ``admm`` method's dispatch)."""
    from ...problems.models import QP
    from .qp import QPSplitting
    if isinstance(problem, QP):
        return QPSplitting(problem, sigma=options.sigma, scaling=options.scaling)
    if isinstance(problem, TotalVariation1D):
        return TVSplitting(problem)
    if isinstance(problem, ADMMProblem):
        return GenericSplitting(problem)
    if isinstance(problem, CompositeProblem) or "grad" in problem.oracles:
        return CompositeSplitting(problem)
    raise TypeError(f"method 'admm' cannot split {problem!r}; supported: QP, TotalVariation1D, ADMMProblem, "
                    "composite problems (Lasso, ElasticNet, LogisticRegression, smooth + prox)")
