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
  ``r_p <= a_p eps_abs + eps_rel s_p`` and ``r_d <= a_d eps_abs + eps_rel s_d``
  (Boyd et al. 2011, sec. 3.3.1: ``a = sqrt(dimension)`` in the 2-norm; OSQP's max-norm form:
  ``a = 1``); :func:`residual_tolerances` gives the two right-hand sides (for reports),
  :func:`small_residual` the test of one residual (e.g. OSQP's duality-gap test);
* :func:`small_step` -- ``||x_{k+1} - x_k|| <= xtol (xtol + ||x_k||)``;
* :func:`small_decrease` -- ``(f_k - f_{k+1}) <= ftol max(|f_k|, |f_{k+1}|, floor)``
  (L-BFGS-B's ``factr`` test; used only as a stall detector, never as proof of optimality).

Every test is false for non-finite input: NaN never converges. :func:`small_relative`,
:func:`small_residual` and :func:`small_residuals` are also valid numba code: their jitted twins
for kernels are in :mod:`numopt.stopping_kernels` (compiled and Python code then give the same
verdicts).

Work units (what ``nfev``/``njev``/``nhev`` and ``npass`` mean, for every family) are defined
in :mod:`numopt.work`.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["small_gradient", "small_relative", "small_gap", "small_residual", "small_residuals",
           "residual_tolerances", "small_step", "small_decrease", "TINY"]

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
    return math.isfinite(r) and math.isfinite(ref) and r <= tol * max(abs(ref), floor)


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


def residual_tolerances(scale_primal: float, scale_dual: float, eps_abs: float, eps_rel: float,
                        abs_primal: float = 1.0, abs_dual: float = 1.0):
    """The right-hand sides of :func:`small_residuals`:
    ``(abs_primal eps_abs + eps_rel scale_primal, abs_dual eps_abs + eps_rel scale_dual)``."""
    return (eps_abs * abs_primal + eps_rel * scale_primal, eps_abs * abs_dual + eps_rel * scale_dual)


def small_residual(r: float, scale: float, eps_abs: float, eps_rel: float, abs_scale: float = 1.0) -> bool:
    """One residual: ``r <= abs_scale eps_abs + eps_rel scale`` (false on NaN or inf)."""
    return (math.isfinite(r) and math.isfinite(scale)
            and r <= eps_abs * abs_scale + eps_rel * scale)


def small_residuals(r_primal: float, r_dual: float, scale_primal: float, scale_dual: float,
                    eps_abs: float, eps_rel: float, abs_primal: float = 1.0, abs_dual: float = 1.0) -> bool:
    r"""Splitting residuals: ``r_p <= abs_primal eps_abs + eps_rel scale_primal`` and
    ``r_d <= abs_dual eps_abs + eps_rel scale_dual`` (:func:`residual_tolerances`).

    ``scale_*`` are the reference scales of the relative part (the magnitudes of the terms of
    each residual, e.g. ``max(|Ax|, |Bz|, |c|)`` and ``|A^T y|``), ``abs_*`` those of the
    absolute part (``sqrt`` of the dimension for Boyd's 2-norm test, ``1`` for OSQP's max-norm
    test, a data-derived unit for the model splittings). False when any input is NaN or inf.
    """
    if not (math.isfinite(r_primal) and math.isfinite(r_dual)
            and math.isfinite(scale_primal) and math.isfinite(scale_dual)):
        return False
    return (r_primal <= eps_abs * abs_primal + eps_rel * scale_primal
            and r_dual <= eps_abs * abs_dual + eps_rel * scale_dual)


def small_step(x_new, x_old, xtol: float) -> bool:
    """``||x_new - x_old|| <= xtol (xtol + ||x_old||)``."""
    d, ref = float(np.linalg.norm(x_new - x_old)), float(np.linalg.norm(x_old))
    return _finite(d, ref) and d <= xtol * (xtol + ref)


def small_decrease(f_old: float, f_new: float, ftol: float, floor: float = TINY) -> bool:
    """``f_old - f_new <= ftol * max(|f_old|, |f_new|, floor)`` (a stall, not optimality)."""
    f_old, f_new = float(f_old), float(f_new)
    return _finite(f_old, f_new) and (f_old - f_new) <= ftol * max(abs(f_old), abs(f_new), floor)
