r"""Performance and data profiles, computed from a cost matrix.

``T[p, s]`` is the cost (time or evaluations) solver ``s`` needed to solve problem ``p``;
``inf`` (or ``nan``) marks a failure. Costs must be positive.

Performance profile (Dolan & Moré, Math. Program. 91 (2002) 201-213):

.. math:: r_{p,s} = \frac{T_{p,s}}{\min_{s'} T_{p,s'}}, \qquad
          \rho_s(\tau) = \frac{|\{p : r_{p,s} \le \tau\}|}{|P|},

with ``r = inf`` when ``s`` fails on ``p`` (and when every solver fails on ``p``, which then
counts against all). Gould & Scott (ACM TOMS 43(2), 2016) warn that only ``rho_s(1)`` (wins)
and ``rho_s(inf)`` (robustness) compare more than the best solver with the rest.

Data profile (Moré & Wild, SIAM J. Optim. 20 (2009) 172-191):

.. math:: d_s(\alpha) = \frac{|\{p : T_{p,s} \le \alpha\, (n_p + 1)\}|}{|P|},

the fraction of problems solved within a budget of ``alpha`` "simplex gradients" (for
evaluations), or, with ``n=None``, within ``alpha`` cost units (for time).
"""
from __future__ import annotations

import numpy as np

__all__ = ["performance_ratios", "performance_profile", "data_profile"]


def _costs(T) -> np.ndarray:
    T = np.array(T, dtype=float)
    if T.ndim != 2 or T.size == 0:
        raise ValueError(f"T must be a non-empty 2-D array (problems x solvers), got shape {T.shape}")
    T[np.isnan(T)] = np.inf
    if np.any(T <= 0):
        raise ValueError("T must hold positive costs (inf or nan for failures), got a value <= 0")
    return T


def performance_ratios(T) -> np.ndarray:
    """``r[p, s] = T[p, s] / min_s T[p, s]`` (``inf`` for failures)."""
    T = _costs(T)
    best = T.min(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        r = T / best
    r[~np.isfinite(T)] = np.inf
    return r


def _step(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``out[k, s] = mean_p (values[p, s] <= grid[k])``."""
    return (values[None, :, :] <= grid[:, None, None]).mean(axis=1)


def performance_profile(T, taus=None):
    """Dolan-Moré performance profile.

    Parameters
    ----------
    T : array_like, shape (n_problems, n_solvers)
        Costs; ``inf``/``nan`` for failures.
    taus : array_like, optional
        Where to evaluate ``rho``. Default: 1 and every finite ratio (the breakpoints of
        the step functions), sorted.

    Returns
    -------
    taus : ndarray, shape (k,)
    rho : ndarray, shape (k, n_solvers)
        ``rho[i, s]`` = fraction of problems with ``r[p, s] <= taus[i]``.
    """
    r = performance_ratios(T)
    if taus is None:
        taus = np.unique(np.concatenate([[1.0], r[np.isfinite(r)]]))
    taus = np.asarray(taus, dtype=float)
    return taus, _step(r, taus)


def data_profile(T, n=None, alphas=None):
    """Moré-Wild data profile.

    Parameters
    ----------
    T : array_like, shape (n_problems, n_solvers)
        Costs; ``inf``/``nan`` for failures.
    n : array_like, shape (n_problems,), optional
        Problem dimensions; the budget unit of problem ``p`` is then ``n_p + 1``
        (simplex gradients). ``None``: costs are used as they are (e.g. seconds).
    alphas : array_like, optional
        Budgets. Default: every finite normalized cost, sorted.

    Returns
    -------
    alphas : ndarray, shape (k,)
    d : ndarray, shape (k, n_solvers)
    """
    T = _costs(T)
    if n is not None:
        n = np.asarray(n, dtype=float).reshape(-1)
        if n.shape != (T.shape[0],) or np.any(n < 0):
            raise ValueError(f"n must hold one non-negative dimension per problem ({T.shape[0]}), got {n}")
        T = T / (n[:, None] + 1.0)
    if alphas is None:
        alphas = np.unique(T[np.isfinite(T)])
        if alphas.size == 0:
            alphas = np.array([1.0])
    alphas = np.asarray(alphas, dtype=float)
    return alphas, _step(T, alphas)
