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
from ...linesearch import backtrack
from ...result import Status
from .engine import Splitting, SplittingFailure, qp_options

__all__ = ["CompositeSplitting", "TVSplitting", "GenericSplitting"]


class CompositeSplitting(Splitting):
    """``f(x) + g(z)`` s.t. ``x = z`` for a :class:`CompositeProblem`.

    Stopping (Boyd et al. 2011, sec. 3.3.1, in the 2-norm) with the absolute tolerance scaled
    to the data, so that rescaling ``X, y`` (and the regularization with them) changes
    neither the answer nor the verdict: ``eps_abs`` is multiplied by ``|grad f(0)|_inf`` for
    the dual residual (gradient units) and by ``|grad f(0)|_inf / L`` for the primal one
    (units of ``x``: one gradient step from 0), ``L`` the Lipschitz constant of ``grad f``
    (when the model has one, else 1). Both fall back to 1 when ``grad f(0) = 0``.
    """

    def __init__(self, problem):
        cp = as_composite(problem)
        self.f, self.g = cp.smooth, cp.prox
        self.quadratic = isinstance(self.f, LeastSquares)
        if self.quadratic:
            X, N = self.f.X, self.f.n_samples
            self._Xty = np.asarray(X.T @ self.f.y).ravel() / N
            self.cache = FactorCache(gram_solver(X, 1.0 / N))
            g0 = -self._Xty
        else:
            g0 = np.asarray(self.f.grad(np.zeros(self.f.n)), dtype=float)
        g0n = float(np.max(np.abs(g0), initial=0.0))
        lip = getattr(self.f, "lipschitz", None)
        L = float(lip()) if callable(lip) else 1.0
        if np.isfinite(g0n) and g0n > 0 and np.isfinite(L) and L > 0:
            self.abs_scale_dual, self.abs_scale_primal = g0n, g0n / L
        if callable(lip) and np.isfinite(L) and L > 0:
            self.rho_scale = L
        self._njev_seen = self.f.counts.get("njev", 0)

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

    def passes(self, iterations: int, checks: int) -> float:
        """Least squares: one pass per x-update (a solve with the cached Gram factor) and half
        a pass (one product with ``X``) per objective evaluation at a check. Other smooth ``f``:
        the inner solver's gradient evaluations (each one full pass)."""
        if self.quadratic:
            return float(iterations) + 0.5 * float(checks)
        now = self.f.counts.get("njev", 0)
        done, self._njev_seen = now - self._njev_seen, now
        return float(done)


def _prox_smooth(f, v, rho, x, tol=1e-12, maxiter=50):
    r"""``argmin_x f(x) + rho/2 |x - v|^2`` by damped Newton (:func:`numopt.linesearch.backtrack`
    on the subproblem's objective), or L-BFGS-B when ``f`` has no Hessian.

    Every inner result is checked: a non-finite value raises :class:`SplittingFailure` with
    ``Status.NUMERICAL_ERROR``, an inner solver that stops short of its tolerance with
    ``Status.INNER_MAXITER`` (or ``LINE_SEARCH_FAILED``), so the run ends at the last good
    iterate instead of using an unconverged subproblem solution.
    """
    def phi_of(w):
        fw, gw = f.fun_and_grad(w)
        d = w - v
        return float(fw) + 0.5 * rho * float(d @ d), np.asarray(gw, dtype=float) + rho * d

    def small(g, w):
        return float(np.max(np.abs(g), initial=0.0)) <= tol * max(1.0, float(np.max(np.abs(w), initial=0.0)))

    if "hess" not in f.oracles:
        from scipy.optimize import minimize
        res = minimize(phi_of, x, jac=True, method="L-BFGS-B",
                       options={"gtol": tol, "ftol": 0.0, "maxiter": 500})
        xs = np.asarray(res.x, dtype=float)
        fs, gs = phi_of(xs)
        if not (np.isfinite(fs) and np.all(np.isfinite(gs)) and np.all(np.isfinite(xs))):
            raise SplittingFailure(Status.NUMERICAL_ERROR, "non-finite objective or gradient in the x-update "
                                   "(inner L-BFGS-B)")
        gmax = float(np.max(np.abs(gs), initial=0.0))
        if not res.success and gmax > 1e-6 * max(1.0, float(np.max(np.abs(xs), initial=0.0))):
            status = Status.INNER_MAXITER if res.nit >= 500 else Status.LINE_SEARCH_FAILED
            raise SplittingFailure(status, f"inner L-BFGS-B of the x-update failed ({res.message}); "
                                   f"gradient norm {gmax:.2e}")
        return xs
    x = np.array(x, dtype=float)
    phi, g = phi_of(x)
    if not (np.isfinite(phi) and np.all(np.isfinite(g))):
        raise SplittingFailure(Status.NUMERICAL_ERROR, "non-finite objective or gradient in the x-update")
    for _ in range(maxiter):
        if small(g, x):
            return x
        H = f.hess(x)
        if not np.all(np.isfinite(H)):
            raise SplittingFailure(Status.NUMERICAL_ERROR, "non-finite Hessian in the x-update")
        try:
            d = -sla.solve(H + rho * np.eye(x.size), g, assume_a="pos", check_finite=False)
        except (np.linalg.LinAlgError, ValueError) as exc:
            raise SplittingFailure(Status.SINGULAR, f"x-update Newton system: {exc}") from None
        ls = backtrack(lambda t: phi_of(x + t * d), phi, float(g @ d))
        if not ls.success:
            if float(np.max(np.abs(g), initial=0.0)) <= 1e-8 * max(1.0, float(np.max(np.abs(x), initial=0.0))):
                return x                 # at rounding level: the subproblem is solved
            raise SplittingFailure(Status.LINE_SEARCH_FAILED, "x-update Newton line search failed")
        x = x + ls.alpha * d
        phi, g = ls.value, ls.payload
    if small(g, x) or float(np.max(np.abs(g), initial=0.0)) <= 1e-8 * max(1.0, float(np.max(np.abs(x), initial=0.0))):
        return x
    raise SplittingFailure(Status.INNER_MAXITER, f"x-update Newton did not converge in {maxiter} steps")


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

    @property
    def abs_scale_primal(self):
        # units of D x (and of b): the data's magnitude, so rescaling b rescales the tolerance
        return max(float(np.max(np.abs(self.b), initial=0.0)), 1e-300)

    abs_scale_dual = abs_scale_primal


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
        return QPSplitting(problem, **qp_options(options))
    if isinstance(problem, TotalVariation1D):
        return TVSplitting(problem)
    if isinstance(problem, ADMMProblem):
        return GenericSplitting(problem)
    if isinstance(problem, CompositeProblem) or "grad" in problem.oracles:
        return CompositeSplitting(problem)
    raise TypeError(f"method 'admm' cannot split {problem!r}; supported: QP, TotalVariation1D, ADMMProblem, "
                    "composite problems (Lasso, ElasticNet, LogisticRegression, smooth + prox)")
