r"""Stopping tests, written once; every native solver's verdict comes from here.

Scale-aware by design: a test compares a residual with a reference of the same physical
units, so multiplying the data (and the regularization with it) by a constant changes
neither the answer nor the verdict. The reference is named in each solver's docstring.

* :func:`small_gradient` -- ``||g||_inf <= gtol * scale`` (scipy's BFGS test when ``scale = 1``);
* :func:`small_relative` -- ``r <= tol * max(ref, floor)``: a residual against a reference
  magnitude (the first residual, ``|f|``, the data norm);
* :func:`small_gap` -- a duality gap against the primal objective,
  ``gap <= tol * max(|P|, floor)``; a negative gap beyond rounding is not convergence;
* :func:`small_residuals` -- the splitting test
  ``r_p <= eps_abs + eps_rel s_p`` and ``r_d <= eps_abs + eps_rel s_d``
  (Boyd et al. 2011, sec. 3.3.1, in the max-norm form OSQP uses);
* :func:`small_step` -- ``||x_{k+1} - x_k|| <= xtol (xtol + ||x_k||)``;
* :func:`small_decrease` -- ``(f_k - f_{k+1}) <= ftol max(|f_k|, |f_{k+1}|, floor)``
  (L-BFGS-B's ``factr`` test; used only as a stall detector, never as proof of optimality).

Every test is false for non-finite input: NaN never converges.

Work units (what ``nfev``/``njev``/``nhev`` and ``npass`` mean, for every family) are defined
in :mod:`numopt.work`.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["small_gradient", "small_relative", "small_gap", "small_residuals", "small_step",
           "small_decrease", "TINY"]

#: Floor of every reference magnitude: below it a quantity counts as zero.
TINY = float(np.finfo(float).tiny) ** 0.5  # ~1.5e-154, keeps tol * ref representable


def _finite(*values) -> bool:
    return all(math.isfinite(v) for v in values)


def small_gradient(g, gtol: float, scale: float = 1.0) -> bool:
    """``||g||_inf <= gtol * scale`` (false when ``g`` has NaN or inf)."""
    gmax = float(np.max(np.abs(g), initial=0.0))
    return _finite(gmax, scale) and gmax <= gtol * scale


def small_relative(r: float, ref: float, tol: float, floor: float = TINY) -> bool:
    """``r <= tol * max(ref, floor)``: a residual relative to a reference magnitude."""
    r, ref = float(r), float(ref)
    return _finite(r, ref) and r <= tol * max(abs(ref), floor)


def small_gap(gap: float, primal: float, tol: float, floor: float = TINY) -> bool:
    """A duality gap relative to the primal value: ``-eps|P| <= gap <= tol max(|P|, floor)``.

    A gap more negative than rounding (``1e3 eps |P|``) means the dual point is not feasible:
    the test is false, so a broken certificate never passes as convergence.
    """
    gap, primal = float(gap), float(primal)
    if not _finite(gap, primal):
        return False
    ref = max(abs(primal), floor)
    return -1e3 * np.finfo(float).eps * ref <= gap <= tol * ref


def small_residuals(r_primal: float, r_dual: float, scale_primal: float, scale_dual: float,
                    eps_abs: float, eps_rel: float) -> bool:
    """Splitting residuals ``r <= eps_abs + eps_rel * scale`` (primal and dual)."""
    if not _finite(r_primal, r_dual, scale_primal, scale_dual):
        return False
    return (r_primal <= eps_abs + eps_rel * scale_primal) and (r_dual <= eps_abs + eps_rel * scale_dual)


def small_step(x_new, x_old, xtol: float) -> bool:
    """``||x_new - x_old|| <= xtol (xtol + ||x_old||)``."""
    d, ref = float(np.linalg.norm(x_new - x_old)), float(np.linalg.norm(x_old))
    return _finite(d, ref) and d <= xtol * (xtol + ref)


def small_decrease(f_old: float, f_new: float, ftol: float, floor: float = TINY) -> bool:
    """``f_old - f_new <= ftol * max(|f_old|, |f_new|, floor)`` (a stall, not optimality)."""
    f_old, f_new = float(f_old), float(f_new)
    return _finite(f_old, f_new) and (f_old - f_new) <= ftol * max(abs(f_old), abs(f_new), floor)
