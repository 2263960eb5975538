r"""The entropic optimal-transport problem ``EntropicOT(a, b, C, reg)``.

Primal (POT's convention, ``reg`` multiplies the negative entropy):

.. math::
    \min_{P \ge 0,\; P 1 = a,\; P^T 1 = b} \langle C, P \rangle + \mathrm{reg} \sum_{ij} P_{ij} \log P_{ij}.

Dual (the concave "Lyapunov potential" of Tang et al. 2024, written in cost units):

.. math::
    D(f, g) = a^T f + b^T g - \mathrm{reg} \sum_{ij} e^{(f_i + g_j - C_{ij})/\mathrm{reg}} + \mathrm{reg},
    \qquad P(f, g)_{ij} = e^{(f_i + g_j - C_{ij})/\mathrm{reg}}.

``max D`` equals the primal minimum (strong duality), ``grad D = (a - P1, b - P^T 1)`` and
``-reg * hess D = [[diag(P1), P], [P^T, diag(P^T 1)]]`` (null vector ``(1, -1)``).

As a :class:`~numopt.problems.SmoothProblem` the variable is ``x = concat(f, g)`` (length
``n + m``) and the objective **minimized** is ``fun(x) = -D(f, g)``, so ``res.fun`` of an OT
solver is minus the regularized cost and ``res.dual_objective = -res.fun``. The certificate is
the marginal error ``||P1 - a||_1 + ||P^T 1 - b||_1``.

The plan of POT's ``ot.sinkhorn(a, b, C, reg)`` and of this problem coincide; POT's
log-potentials are ``(f / reg, g / reg)`` (up to the gauge ``(f + t, g - t)``).
"""
from __future__ import annotations

import numbers

import numpy as np

from .._validation import _real_dtype_or_raise
from .base import SmoothProblem

__all__ = ["EntropicOT"]

_MASS_TOL = 1e-9


def _marginal(value, name: str) -> np.ndarray:
    raw = _real_dtype_or_raise(value, name, "a 1-D array of probabilities")
    try:
        arr = np.array(raw, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{name} must be a 1-D array of probabilities, got {type(value).__name__}") from None
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got nan or inf at index {np.flatnonzero(~np.isfinite(arr))[:5].tolist()}")
    if np.any(arr <= 0):
        bad = np.flatnonzero(arr <= 0)[:5].tolist()
        raise ValueError(f"{name} must be strictly positive (drop zero-mass points first), "
                         f"got {arr[bad[0]]!r} at index {bad}")
    total = float(arr.sum())
    if abs(total - 1.0) > _MASS_TOL:
        raise ValueError(f"{name} must sum to 1 (a probability vector; normalize with {name} / {name}.sum()), "
                         f"got sum {total!r}")
    return arr


class EntropicOT(SmoothProblem):
    r"""Entropic OT between marginals ``a`` (n) and ``b`` (m) with cost ``C`` (n, m).

    Parameters
    ----------
    a, b : array_like
        Strictly positive marginals, each summing to 1 (to 1e-9).
    C : array_like, shape (n, m)
        Finite cost matrix (stored as a C-contiguous float64 array, not copied when it
        already is one; do not modify it while a solver runs).
    reg : float
        Regularization ``> 0`` (POT's ``reg``; the paper's ``eta = 1 / reg``).
    name : str, optional

    Notes
    -----
    ``structure = {"entropic_ot"}`` so only OT solvers (``sinkhorn``, ``sns``) accept it;
    ``x0`` defaults to zero potentials. Dense oracles cost O(nm) exponentials.
    """

    structure = frozenset({"entropic_ot"})
    oracles = frozenset({"fun", "grad", "hessp", "entropic_ot"})

    def __init__(self, a, b, C, reg, name: str | None = None):
        a = _marginal(a, "a")
        b = _marginal(b, "b")
        raw = _real_dtype_or_raise(C, "C", "a 2-D array of real numbers")
        try:
            C = np.ascontiguousarray(raw, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise TypeError(f"C must be a 2-D array of real numbers, got {type(C).__name__}") from None
        if C.shape != (a.size, b.size):
            raise ValueError(f"C must have shape (len(a), len(b)) = ({a.size}, {b.size}), got shape {C.shape}")
        if not np.all(np.isfinite(C)):
            raise ValueError("C must be finite, got nan or inf entries")
        if isinstance(reg, (bool, np.bool_)) or not isinstance(reg, numbers.Real):
            raise TypeError(f"reg must be a positive real number, got {type(reg).__name__} {reg!r}")
        reg = float(reg)
        if not (np.isfinite(reg) and reg > 0):
            raise ValueError(f"reg must be a finite number > 0, got {reg!r}")
        super().__init__(a.size + b.size, np.zeros(a.size + b.size), name or f"entropic-ot-{a.size}x{b.size}")
        self.a, self.b, self.C, self.reg = a, b, C, reg
        self.n_rows, self.n_cols = a.size, b.size
        self._plan_key = None
        self._plan = None

    # -- helpers ------------------------------------------------------------------------
    @property
    def cost_scale(self) -> float:
        """``max C - min C`` (the scale ``reg`` is compared with)."""
        return float(self.C.max() - self.C.min())

    def split(self, x):
        """``(f, g)`` views of ``x = concat(f, g)``."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n,):
            raise ValueError(f"x must have shape ({self.n},) = (n + m,), got {x.shape}")
        return x[:self.n_rows], x[self.n_rows:]

    def plan(self, x) -> np.ndarray:
        """The plan ``P(f, g)`` (an (n, m) array; the last one is cached)."""
        f, g = self.split(x)
        key = x.tobytes() if isinstance(x, np.ndarray) else np.asarray(x, dtype=float).tobytes()
        if self._plan_key != key:
            from ._ot_math import plan_into
            P = np.empty_like(self.C)
            with np.errstate(over="ignore"):
                plan_into(self.C, np.ascontiguousarray(f), np.ascontiguousarray(g), self.reg, P)
            self._plan_key, self._plan = key, P
        return self._plan

    def marginal_error(self, x) -> float:
        """``||P1 - a||_1 + ||P^T 1 - b||_1`` at ``x``."""
        P = self.plan(x)
        return float(np.abs(P.sum(1) - self.a).sum() + np.abs(P.sum(0) - self.b).sum())

    def dual(self, x) -> float:
        """The dual objective ``D(f, g)`` (to be maximized)."""
        f, g = self.split(x)
        return float(self.a @ f + self.b @ g - self.reg * self.plan(x).sum() + self.reg)

    def primal_cost(self, P, regularized: bool = True) -> float:
        r"""``<C, P> + reg sum P log P`` (``regularized=False``: ``<C, P>`` only, POT's ``sinkhorn2``)."""
        P = np.asarray(P, dtype=float)
        lin = float(np.sum(self.C * P))
        if not regularized:
            return lin
        pos = P > 0
        return lin + self.reg * float(np.sum(P[pos] * np.log(P[pos])))

    def certificates(self, x) -> dict:
        return {"marginal_error": self.marginal_error(x)}

    # -- SmoothProblem oracles (of -D) ----------------------------------------------------
    def _fun(self, x):
        return -self.dual(x)

    def _grad(self, x):
        P = self.plan(x)
        return np.concatenate([P.sum(1) - self.a, P.sum(0) - self.b])

    def _hessp(self, x, p):
        P = self.plan(x)
        pf, pg = self.split(p)
        return np.concatenate([P.sum(1) * pf + P @ pg, P.T @ pf + P.sum(0) * pg]) / self.reg

    def __repr__(self) -> str:
        return f"<EntropicOT {self.name!r} n={self.n_rows} m={self.n_cols} reg={self.reg:g}>"
