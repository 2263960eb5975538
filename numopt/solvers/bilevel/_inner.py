r"""Inner solvers of the bilevel family: lower-level minimization, CG and curvature estimates.

* :func:`projected_gradient` -- accelerated projected gradient (FISTA with function restart)
  for ``min_{y in Y} h(y)``, the step from :func:`numopt.linesearch.lipschitz_backtracking`,
  stopped on the gradient mapping ``L ||y - Pi_Y(y - grad h(y)/L)||`` against a tolerance the
  caller derives from a reference (:func:`numopt.stopping.small_relative`);
* :func:`conjugate_gradient` -- CG for ``H v = b`` with ``H`` given by products, stopped on
  ``||r|| <= rtol ||b||``; non-positive curvature and the iteration cap are reported;
* :func:`power_curvature` -- the largest eigenvalue of a symmetric PSD operator by power
  iteration (for fixed inner steps ``1/L`` where no Lipschitz constant is known).

Failures are reported as :class:`InnerFailure` (status and detail), which the bilevel solvers
turn into :func:`numopt.driver.fail`; they are never treated as success.
"""
from __future__ import annotations

import numpy as np

from ...linesearch import lipschitz_backtracking
from ...problems.bilevel import NonFiniteOracle
from ...result import Status
from ...stopping import small_relative

__all__ = ["InnerFailure", "InnerResult", "projected_gradient", "conjugate_gradient", "power_curvature"]


class InnerFailure(Exception):
    """An inner solve failed: ``status`` (a :class:`~numopt.result.Status`) and ``detail``."""

    def __init__(self, status: Status, detail: str):
        super().__init__(detail)
        self.status, self.detail = Status(status), detail


class InnerResult:
    __slots__ = ("y", "value", "grad", "L", "nit", "residual")

    def __init__(self, y, value, grad, L, nit, residual):
        self.y, self.value, self.grad, self.L, self.nit, self.residual = y, value, grad, L, nit, residual


def projected_gradient(fun_grad, fun, proj, y0, *, L: float, tol: float, maxiter: int,
                       fixed_step: bool = False, what: str = "lower level") -> InnerResult:
    r"""FISTA with adaptive restart for ``min_{y in Y} h(y)`` from ``y0`` (in ``Y``).

    ``fun_grad(y) -> (h, grad h)`` (with ``fixed_step`` only the gradient is used, so it may
    return ``(None, grad h)``), ``fun(y) -> h``, ``proj(v, t)`` the projection onto ``Y``.
    Steps ``1/L``: with ``fixed_step`` ``L`` is a known Lipschitz constant of ``grad h`` and
    the restart is the gradient test of O'Donoghue & Candes (no function values at all);
    otherwise ``L`` comes from :func:`numopt.linesearch.lipschitz_backtracking` and the
    restart is on function increase. Stops when the gradient mapping
    ``L ||w_k - Pi_Y(w_k - grad h(w_k)/L)||_2 <= tol`` (``w_k`` the extrapolated point) and
    returns the projected point. ``InnerFailure`` with ``INNER_MAXITER`` after ``maxiter``
    steps, ``NUMERICAL_ERROR`` when the backtracking fails (no ``L`` makes the quadratic upper
    bound hold: a non-finite or non-smooth ``h``).
    """
    x = np.array(y0, dtype=float)
    fx = None
    w, t, r = x.copy(), 1.0, np.inf
    for k in range(int(maxiter) + 1):
        fw, gw = fun_grad(w)
        if fixed_step:
            z, fz = proj(w - gw / L, 1.0 / L), None
        else:
            if fx is None:
                fx = fw
            z, fz, L, _nf, ok = lipschitz_backtracking(fun, proj, w, fw, gw, L)
            if not ok:
                raise InnerFailure(Status.NUMERICAL_ERROR,
                                   f"{what}: the step-size backtracking failed at inner iteration {k} "
                                   f"(L = {L:.3g}); the lower-level objective may be non-smooth or non-finite")
        r = L * float(np.linalg.norm(w - z))
        if r <= tol:
            return InnerResult(z, fz, None, L, k + 1, r)
        if not np.isfinite(r):
            raise InnerFailure(Status.NUMERICAL_ERROR, f"{what}: non-finite gradient mapping at inner iteration {k}")
        if k == maxiter:
            break
        restart = (float((w - z) @ (z - x)) > 0.0) if fixed_step else (fz > fx)
        if restart:
            t_new, w = 1.0, z
        else:
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            w = proj(z + ((t - 1.0) / t_new) * (z - x), 1.0)
        x, fx, t = z, fz, t_new
    raise InnerFailure(Status.INNER_MAXITER,
                       f"{what}: not solved in {maxiter} inner iterations (gradient mapping {r:.3g} > {tol:.3g}); "
                       f"raise the option 'inner_maxiter' or loosen 'inner_gtol'")


def conjugate_gradient(matvec, b, x0=None, *, rtol: float, maxiter: int):
    r"""CG for ``H v = b`` (``H`` symmetric positive definite, given by ``matvec``).

    Returns ``(v, nit, relative_residual)`` when ``||b - H v|| <= rtol ||b||``; ``b = 0``
    returns ``v = 0`` with ``nit = 0`` and residual 0 (exact). Raises ``InnerFailure``:
    ``INNER_MAXITER`` at the cap, ``NUMERICAL_ERROR`` for a direction of non-positive curvature
    (the lower-level Hessian is not positive definite there, so implicit differentiation does
    not apply).
    """
    b = np.asarray(b, dtype=float)
    bn = float(np.linalg.norm(b))
    if bn == 0.0:
        return np.zeros_like(b), 0, 0.0
    v = np.zeros_like(b) if x0 is None else np.array(x0, dtype=float)
    r = b - matvec(v) if np.any(v) else b.copy()
    rr = float(r @ r)
    if small_relative(np.sqrt(rr), bn, rtol):
        return v, 0, np.sqrt(rr) / bn
    p = r.copy()
    for k in range(1, int(maxiter) + 1):
        Hp = matvec(p)
        pHp = float(p @ Hp)
        if not (pHp > 0.0) or not np.isfinite(pHp):
            raise InnerFailure(Status.NUMERICAL_ERROR,
                               f"CG: non-positive curvature p^T H p = {pHp:.3g} at CG iteration {k}: the "
                               "lower-level Hessian is not positive definite (implicit differentiation needs it)")
        a = rr / pHp
        v += a * p
        r -= a * Hp
        rr_new = float(r @ r)
        if small_relative(np.sqrt(rr_new), bn, rtol):
            return v, k, np.sqrt(rr_new) / bn
        p = r + (rr_new / rr) * p
        rr = rr_new
    raise InnerFailure(Status.INNER_MAXITER,
                       f"CG: not converged in {maxiter} iterations (relative residual {np.sqrt(rr) / bn:.3g} > "
                       f"{rtol:.3g}); raise the option 'cg_maxiter' or loosen 'cg_tol'")


def power_curvature(matvec, n: int, *, iters: int = 50, seed: int = 0) -> float:
    """Largest eigenvalue of a symmetric PSD operator by power iteration (an estimate from below,
    within ``iters`` products; callers multiply by a safety factor)."""
    v = np.random.default_rng(seed).standard_normal(n)
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(int(iters)):
        w = matvec(v)
        lam_new = float(v @ w)
        nw = float(np.linalg.norm(w))
        if nw == 0.0 or not np.isfinite(nw):
            return max(lam_new, 0.0)
        v = w / nw
        if abs(lam_new - lam) <= 1e-6 * abs(lam_new):
            lam = lam_new
            break
        lam = lam_new
    return max(lam, 0.0)


def guard(fn, *args):
    """Call an oracle; a non-finite value becomes ``InnerFailure(NUMERICAL_ERROR)`` naming it."""
    try:
        return fn(*args)
    except NonFiniteOracle as exc:
        raise InnerFailure(Status.NUMERICAL_ERROR, str(exc)) from None
