r"""Stabilized Sinkhorn sweeps shared by ``sinkhorn`` and ``sns``.

One sweep is the exact block maximization of the dual ``D(f, g)``:

.. math::
    f_i \leftarrow \mathrm{reg}\,\big(\log a_i - \mathrm{LSE}_j((g_j - C_{ij})/\mathrm{reg})\big), \qquad
    g_j \leftarrow \mathrm{reg}\,\big(\log b_j - \mathrm{LSE}_i((f_i - C_{ij})/\mathrm{reg})\big).

Three ways to run it (``mode``):

* ``"kernel"``: matrix scaling ``u = a / (K v)``, ``v = b / (K^T u)`` with ``K = e^{(f_0 + g_0 - C)/reg}``
  fixed (POT's ``sinkhorn``); fast, overflows/underflows at small ``reg``;
* ``"log"``: the log-sum-exp updates above (POT's ``sinkhorn_log``); never overflows, O(nm)
  exponentials per sweep;
* ``"auto"`` (default): scaling with *absorption* (Schmitzer 2019): the kernel is
  ``K = e^{(fa + ga - C)/reg}`` at absorbed potentials ``(fa, ga)``; when ``|log u|`` or
  ``|log v|`` exceeds ``absorb_threshold`` the scalings are folded into ``(fa, ga)`` and ``K`` is
  rebuilt. When a row or column of ``K v`` / ``K^T u`` underflows (cold start at small ``reg``),
  that sweep is done in the log domain and the kernel is rebuilt at the result.

The marginal error reported by :meth:`Scaling.sweep` is that of the iterate *entering* the sweep
(the row sums ``u * (K v)`` come free with the first half-sweep); when it is below ``tol`` the
iterate is kept unchanged, so the error of the returned iterate is exact.

Reference: B. Schmitzer, "Stabilized sparse scaling algorithms for entropy regularized transport
problems", SIAM J. Sci. Comput. 41 (2019) A1443-A1481.
"""
from __future__ import annotations

import numpy as np

from . import _kernels as kern

__all__ = ["Scaling"]

_TINY = 1e-280


class Scaling:
    """Potentials ``(f, g)`` of an :class:`~numopt.problems.EntropicOT` and the sweep machinery."""

    def __init__(self, problem, f, g, mode: str = "auto", absorb_threshold: float = 50.0):
        self.C, self.a, self.b, self.reg = problem.C, problem.a, problem.b, problem.reg
        self.loga, self.logb = np.log(self.a), np.log(self.b)
        self.f = np.array(f, dtype=float)
        self.g = np.array(g, dtype=float)
        self.mode = mode
        self.threshold = float(absorb_threshold)
        n, m = self.C.shape
        self.kv, self.ktu = np.empty(n), np.empty(m)
        self.lse_r, self.lse_c = np.empty(n), np.empty(m)
        self.col_err = np.inf          # column error of the current iterate (unknown at the start)
        self.total_mass = np.nan       # sum of the plan at the current iterate, when known
        self.n_log = 0
        self.n_absorb = 0
        self.K = None
        if mode != "log":
            self.K = np.empty_like(self.C)
            self.absorb()
        self.initial_error = self.measure()

    def measure(self) -> float:
        """Exact marginal error of the current potentials; sets ``col_err`` and ``total_mass``."""
        n, m = self.C.shape
        if self.K is not None and np.all(self.u == 1.0) and np.all(self.v == 1.0):
            rows, cols = np.empty(n), np.empty(m)
            kern.matvec(self.K, np.ones(m), rows)
            kern.rmatvec(self.K, np.ones(n), cols)
        else:
            kern.row_lse(self.C, self.g, self.reg, self.lse_r)
            kern.col_lse(self.C, self.f, self.reg, self.lse_c)
            with np.errstate(over="ignore"):
                rows = np.exp(self.f / self.reg + self.lse_r)
                cols = np.exp(self.g / self.reg + self.lse_c)
        self.col_err = float(np.abs(cols - self.b).sum())
        self.total_mass = float(rows.sum())
        return float(np.abs(rows - self.a).sum()) + self.col_err

    # -- kernel management ------------------------------------------------------------------
    def absorb(self):
        """Fold the scalings into the kernel: ``K = e^{(f + g - C)/reg}``, ``u = v = 1``."""
        self.fa, self.ga = self.f.copy(), self.g.copy()
        kern.exp_kernel(self.C, self.fa, self.ga, self.reg, self.K)
        self.u = np.ones(self.C.shape[0])
        self.v = np.ones(self.C.shape[1])
        self.n_absorb += 1

    def dual(self) -> float:
        """``D(f, g)`` from the stored total plan mass (exact after a sweep)."""
        return float(self.a @ self.f + self.b @ self.g - self.reg * self.total_mass + self.reg)

    # -- sweeps -----------------------------------------------------------------------------
    def sweep(self, tol: float) -> tuple[float, bool]:
        """One Sinkhorn iteration. Returns ``(error of the entering iterate, updated)``."""
        if self.mode == "log":
            return self._sweep_log(tol)
        return self._sweep_kernel(tol)

    def _sweep_log(self, tol):
        kern.row_lse(self.C, self.g, self.reg, self.lse_r)
        rows = np.exp(self.f / self.reg + self.lse_r)
        err = float(np.abs(rows - self.a).sum()) + self.col_err
        if err <= tol:
            return err, False
        self.f = self.reg * (self.loga - self.lse_r)
        kern.col_lse(self.C, self.f, self.reg, self.lse_c)
        self.g = self.reg * (self.logb - self.lse_c)
        self.total_mass = float(np.exp(self.g / self.reg + self.lse_c).sum())
        self.col_err = 0.0
        self.n_log += 1
        return err, True

    def _fallback_log(self, tol):
        """A log-domain sweep from the current potentials, then a fresh kernel."""
        err, updated = self._sweep_log(tol)
        if self.mode == "auto":
            self.absorb()
        return err, updated

    def _sweep_kernel(self, tol):
        auto = self.mode == "auto"
        kern.matvec(self.K, self.v, self.kv)
        if auto and not self.kv.min() > _TINY:
            return self._fallback_log(tol)
        err = float(np.abs(self.u * self.kv - self.a).sum()) + self.col_err
        if err <= tol:
            return err, False
        u = self.a / self.kv
        kern.rmatvec(self.K, u, self.ktu)
        if auto and not self.ktu.min() > _TINY:
            self.f = self.fa + self.reg * np.log(u)
            kern.col_lse(self.C, self.f, self.reg, self.lse_c)
            self.g = self.reg * (self.logb - self.lse_c)
            self.total_mass = float(np.exp(self.g / self.reg + self.lse_c).sum())
            self.col_err = 0.0
            self.n_log += 1
            self.absorb()
            return err, True
        v = self.b / self.ktu
        self.u, self.v = u, v
        self.total_mass = float(v @ self.ktu)
        self.col_err = 0.0
        with np.errstate(divide="ignore"):
            lu, lv = np.log(u), np.log(v)
        self.f = self.fa + self.reg * lu
        self.g = self.ga + self.reg * lv
        if auto and max(np.abs(lu).max(), np.abs(lv).max()) > self.threshold:
            self.absorb()
        return err, True
