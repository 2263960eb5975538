r"""Stopping tests, written once.

* :func:`small_gradient` -- ``||g||_inf <= gtol`` (scipy's BFGS test);
* :func:`small_residuals` -- the splitting test
  ``r_p <= eps_abs sqrt(m) + eps_rel s_p`` and ``r_d <= eps_abs sqrt(n) + eps_rel s_d``
  (Boyd et al. 2011, sec. 3.3.1) in the max-norm form OSQP uses
  (``r <= eps_abs + eps_rel s``);
* :func:`small_step` -- ``||x_{k+1} - x_k|| <= xtol (xtol + ||x_k||)``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["small_gradient", "small_residuals", "small_step"]


def small_gradient(g, gtol: float) -> bool:
    return float(np.max(np.abs(g), initial=0.0)) <= gtol


def small_residuals(r_primal: float, r_dual: float, scale_primal: float, scale_dual: float,
                    eps_abs: float, eps_rel: float) -> bool:
    return (r_primal <= eps_abs + eps_rel * scale_primal) and (r_dual <= eps_abs + eps_rel * scale_dual)


def small_step(x_new, x_old, xtol: float) -> bool:
    return float(np.linalg.norm(x_new - x_old)) <= xtol * (xtol + float(np.linalg.norm(x_old)))
