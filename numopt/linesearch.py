r"""Line searches as strategy objects, shared by every method that needs one.

* :class:`Armijo` -- backtracking until ``f(x + a d) <= f(x) + c1 a g^T d``;
* :class:`StrongWolfe` -- bracketing and zoom until also ``|g(x + a d)^T d| <= c2 |g^T d|``
  (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithms 3.5 and 3.6);
* :func:`lipschitz_backtracking` -- the proximal-gradient test
  ``f(z) <= f(y) + g(y)^T (z - y) + L/2 ||z - y||^2`` with ``L`` increased until it holds
  (Beck & Teboulle 2009), used by proximal and block methods;
* :func:`backtrack` -- the one backtracking loop, over any merit ``phi(alpha)`` (an augmented
  Lagrangian, a dual objective, a residual norm): :class:`Armijo` is this loop on
  ``phi(alpha) = f(x + alpha d)``. Solvers whose merit is not ``f`` call it directly;
* :func:`armijo_accepts` -- the sufficient-decrease test itself, plain arithmetic, so numba kernels
  use the same test (``numopt.linesearch_kernels.armijo_accepts`` is its jitted twin).

A search returns a :class:`LineSearchResult` (or :class:`BacktrackResult`); failure is reported,
never raised. A solver whose search failed ends with ``Status.LINE_SEARCH_FAILED`` and its last
accepted iterate (:func:`numopt.driver.fail`); it never treats a rejected step as progress.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_scalar

__all__ = ["LineSearchResult", "BacktrackResult", "Armijo", "StrongWolfe", "get_line_search",
           "lipschitz_backtracking", "backtrack", "armijo_accepts"]


@dataclass
class LineSearchResult:
    """Outcome of a line search along ``d``. ``nonfinite`` counts trials whose value was NaN or
    inf: a failed search with ``nonfinite == nfev`` met only non-finite values (a caller reports
    ``NUMERICAL_ERROR`` rather than ``LINE_SEARCH_FAILED``)."""

    alpha: float
    x: np.ndarray
    fun: float
    grad: np.ndarray | None
    success: bool
    nfev: int
    nonfinite: int = 0


def armijo_accepts(f_new: float, f0: float, alpha: float, slope: float, c1: float,
                   slack: float = 0.0) -> bool:
    """Sufficient decrease ``f_new <= f0 + c1 alpha slope + slack``, false for a non-finite ``f_new``.

    ``slack >= 0`` allows for the rounding noise of a merit evaluated as a difference of large
    terms (a dual objective). Written with plain comparisons so numba kernels compile the very
    same test (:mod:`numopt.linesearch_kernels`). ``f_new != f_new`` is the NaN test.
    """
    if f_new != f_new or f_new == float("inf") or f_new == -float("inf"):
        return False
    return f_new <= f0 + c1 * alpha * slope + slack


@dataclass
class BacktrackResult:
    """Outcome of :func:`backtrack`: the accepted ``alpha``, ``phi(alpha)``, the payload
    ``phi`` returned with it, ``success``, the number of ``phi`` evaluations and how many of
    them were not finite."""

    alpha: float
    value: float
    payload: object
    success: bool
    nfev: int
    nonfinite: int = 0


def backtrack(phi, phi0: float, slope: float, *, alpha0: float = 1.0, c1: float = 1e-4,
              shrink: float = 0.5, maxiter: int = 60, slack: float = 0.0) -> BacktrackResult:
    r"""Backtracking on a merit function: the smallest ``k`` with ``alpha = alpha0 shrink^k`` and

    .. math:: \phi(\alpha) \le \phi(0) + c_1 \alpha \phi'(0).

    Parameters
    ----------
    phi : callable
        ``phi(alpha)`` returns the merit value, or ``(value, payload)`` where the payload is
        whatever the caller wants back for the accepted step (the trial point, its gradient).
    phi0, slope : float
        ``phi(0)`` and the directional derivative ``phi'(0)``; ``slope >= 0`` (not a descent
        direction) or a non-finite ``slope`` fails at once, without evaluating ``phi``.
    alpha0, c1, shrink, maxiter :
        First trial step, sufficient-decrease constant, reduction factor, trial cap.
    slack : float
        Rounding allowance added to the right-hand side (see :func:`armijo_accepts`).

    Returns
    -------
    BacktrackResult
        ``success=False`` when no trial was accepted; its ``alpha`` is then 0 and ``value``
        is ``phi0``: the caller keeps its current point.
    """
    if not (slope < 0.0) or not np.isfinite(slope) or not np.isfinite(phi0):
        return BacktrackResult(0.0, phi0, None, False, 0)
    alpha = float(alpha0)
    bad = 0
    for k in range(1, int(maxiter) + 1):
        out = phi(alpha)
        value, payload = out if isinstance(out, tuple) else (out, None)
        value = float(value)
        if armijo_accepts(value, phi0, alpha, slope, c1, slack):
            return BacktrackResult(alpha, value, payload, True, k, bad)
        bad += not np.isfinite(value)
        alpha *= shrink
    return BacktrackResult(0.0, phi0, None, False, int(maxiter), bad)


class Armijo:
    """Backtracking (Armijo) line search: shrink ``alpha`` by ``shrink`` until sufficient decrease."""

    def __init__(self, c1: float = 1e-4, shrink: float = 0.5, maxiter: int = 60):
        self.c1 = as_scalar(c1, "c1", low=0.0, strict=True)
        self.shrink = as_scalar(shrink, "shrink", low=0.0, strict=True)
        if not (self.c1 < 1 and self.shrink < 1):
            raise ValueError("Armijo needs 0 < c1 < 1 and 0 < shrink < 1")
        self.maxiter = int(maxiter)

    def __call__(self, fun, x, d, f0, g0, alpha0=1.0, grad=None) -> LineSearchResult:
        def phi(alpha):
            xn = x + alpha * d
            return fun(xn), xn

        r = backtrack(phi, f0, float(np.dot(g0, d)), alpha0=alpha0, c1=self.c1, shrink=self.shrink,
                      maxiter=self.maxiter)
        if not r.success:
            return LineSearchResult(0.0, x, f0, g0, False, r.nfev, r.nonfinite)
        return LineSearchResult(r.alpha, r.payload, r.value, None, True, r.nfev, r.nonfinite)


class StrongWolfe:
    """Strong-Wolfe line search with cubic-interpolation zoom (Nocedal & Wright, Alg. 3.5-3.6)."""

    def __init__(self, c1: float = 1e-4, c2: float = 0.9, alpha_max: float = 1e10, maxiter: int = 40):
        self.c1 = as_scalar(c1, "c1", low=0.0, strict=True)
        self.c2 = as_scalar(c2, "c2", low=0.0, strict=True)
        if not self.c1 < self.c2 < 1:
            raise ValueError(f"StrongWolfe needs 0 < c1 < c2 < 1, got c1={c1}, c2={c2}")
        self.alpha_max, self.maxiter = float(alpha_max), int(maxiter)

    def __call__(self, fun, x, d, f0, g0, alpha0=1.0, grad=None) -> LineSearchResult:
        if grad is None:
            raise TypeError("StrongWolfe needs grad")
        dphi0 = float(np.dot(g0, d))
        if dphi0 >= 0:
            return LineSearchResult(0.0, x, f0, g0, False, 0)
        nfev = 0

        def phi(a):
            nonlocal nfev
            nfev += 1
            xa = x + a * d
            fa, ga = fun(xa), grad(xa)
            return fa, ga, float(np.dot(ga, d))

        a_prev, f_prev, dphi_prev = 0.0, f0, dphi0
        a = min(float(alpha0), self.alpha_max)
        for i in range(self.maxiter):
            fa, ga, dphia = phi(a)
            if not np.isfinite(fa) or fa > f0 + self.c1 * a * dphi0 or (i > 0 and fa >= f_prev):
                return self._zoom(phi, x, d, f0, dphi0, a_prev, f_prev, dphi_prev, a, fa, dphia, nfev_box=lambda: nfev)
            if abs(dphia) <= -self.c2 * dphi0:
                return LineSearchResult(a, x + a * d, fa, ga, True, nfev)
            if dphia >= 0:
                return self._zoom(phi, x, d, f0, dphi0, a, fa, dphia, a_prev, f_prev, dphi_prev, nfev_box=lambda: nfev)
            a_prev, f_prev, dphi_prev = a, fa, dphia
            a = min(2.0 * a, self.alpha_max)
        return LineSearchResult(a_prev, x + a_prev * d, f_prev, None, False, nfev)

    def _zoom(self, phi, x, d, f0, dphi0, lo, flo, dlo, hi, fhi, dhi, nfev_box):
        for _ in range(self.maxiter):
            a = _cubic_min(lo, flo, dlo, hi, fhi, dhi)
            fa, ga, dphia = phi(a)
            if not np.isfinite(fa) or fa > f0 + self.c1 * a * dphi0 or fa >= flo:
                hi, fhi, dhi = a, fa, dphia
            else:
                if abs(dphia) <= -self.c2 * dphi0:
                    return LineSearchResult(a, x + a * d, fa, ga, True, nfev_box())
                if dphia * (hi - lo) >= 0:
                    hi, fhi, dhi = lo, flo, dlo
                lo, flo, dlo = a, fa, dphia
            if abs(hi - lo) <= 1e-16 * max(1.0, abs(lo)):
                break
        ok = flo <= f0 + self.c1 * lo * dphi0 and lo > 0
        return LineSearchResult(lo, x + lo * d, flo, None, bool(ok), nfev_box())


def _cubic_min(a, fa, da, b, fb, db):
    """Minimizer of the cubic interpolating two points with slopes, safeguarded to the interval."""
    lo, hi = min(a, b), max(a, b)
    if np.isfinite(fb) and np.isfinite(db):
        d1 = da + db - 3.0 * (fa - fb) / (a - b)
        rad = d1 * d1 - da * db
        if rad >= 0:
            d2 = np.sign(b - a) * np.sqrt(rad)
            t = b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2)
            margin = 0.1 * (hi - lo)
            if lo + margin <= t <= hi - margin:
                return float(t)
    return 0.5 * (a + b)


_LINE_SEARCHES = {"armijo": Armijo, "strong-wolfe": StrongWolfe, "wolfe": StrongWolfe}


def get_line_search(spec) -> Armijo | StrongWolfe:
    """A line search from a name (``"armijo"``, ``"strong-wolfe"``) or an instance."""
    if isinstance(spec, str):
        try:
            return _LINE_SEARCHES[spec.lower()]()
        except KeyError:
            raise ValueError(f"unknown line search {spec!r}; valid: {', '.join(_LINE_SEARCHES)}") from None
    if callable(spec):
        return spec
    raise TypeError(f"line_search must be a name or a line-search object, got {type(spec).__name__}")


def lipschitz_backtracking(fun, prox_step, y, fy, gy, L, eta=2.0, maxiter=60):
    r"""Find ``L`` with ``f(z) <= f(y) + gy^T (z-y) + L/2 ||z-y||^2`` where ``z = prox_step(y - gy/L, 1/L)``.

    Returns ``(z, fz, L, nfev, ok)``. On failure (no ``L`` within ``maxiter`` increases, an ``L``
    so large that the step vanishes in rounding, or a non-finite ``fy``/``gy``) ``ok`` is false and ``z, fz`` are ``y, fy``: the caller keeps its
    point and reports ``Status.LINE_SEARCH_FAILED``.
    """
    if not (np.isfinite(fy) and np.all(np.isfinite(gy))):
        return y, fy, L, 0, False
    ytol = 4.0 * np.finfo(float).eps * max(float(np.max(np.abs(y), initial=0.0)), 1e-300)
    for k in range(1, maxiter + 1):
        z = prox_step(y - gy / L, 1.0 / L)
        dz = z - y
        if k > 1 and float(np.max(np.abs(dz), initial=0.0)) <= ytol:
            break      # L grew until the step vanished in rounding: that is failure, not a fixed point
        fz = fun(z)
        if np.isfinite(fz) and fz <= fy + float(gy @ dz) + 0.5 * L * float(dz @ dz) + 1e-12 * abs(fy):
            return z, fz, L, k, True
        L *= eta
    return y, fy, L, k, False
