r"""Constrained programs ``min f(x)  s.t.  c_E(x) = 0,  c_I(x) >= 0,  lb <= x <= ub``.

:class:`ConstrainedProblem` is the protocol; :class:`ScipyConstrainedProblem` builds one
from scipy-style ``constraints=`` (dicts, ``NonlinearConstraint``, ``LinearConstraint``)
and ``bounds=``. The Lagrangian is ``L(x, y) = f(x) + y_E^T c_E(x)`` (equality part; the
sign convention of the exact augmented Lagrangian literature).
"""
from __future__ import annotations

import numpy as np

from .._validation import as_vector
from .base import Objective, Problem, SmoothProblem, _EPS

__all__ = ["ConstrainedProblem", "ScipyConstrainedProblem", "normalize_bounds"]


def _bound_side(value, side: str, n: int) -> np.ndarray:
    """One side of the bounds as a new float array of length ``n`` (a scalar is broadcast)."""
    from .._validation import _real_dtype_or_raise
    raw = _real_dtype_or_raise(value, f"bounds ({side})", "real numbers (use +-inf for no bound)")
    arr = np.array(raw, dtype=float)          # a copy: the user's Bounds object is never written
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size not in (1, n)):
        raise ValueError(f"bounds must have one {side} bound per variable ({n}) or a scalar, "
                         f"got shape {arr.shape}")
    return np.broadcast_to(arr.reshape(-1) if arr.ndim else arr, (n,)).copy()


def normalize_bounds(bounds, n: int):
    """scipy ``Bounds``, a sequence of ``(lo, hi)`` pairs (``None`` = unbounded), or ``(lb, ub)``.

    Returns ``(lb, ub)`` float arrays of length ``n``, or ``None`` when all are infinite.
    """
    if bounds is None:
        return None
    from scipy.optimize import Bounds
    if isinstance(bounds, Bounds):
        lb, ub = bounds.lb, bounds.ub
    else:
        try:
            pairs = [(-np.inf if lo is None else lo, np.inf if hi is None else hi) for lo, hi in bounds]
        except (TypeError, ValueError):
            raise TypeError(f"bounds must be scipy.optimize.Bounds or a sequence of (min, max) pairs, "
                            f"got {type(bounds).__name__}") from None
        if len(pairs) == n:
            lb, ub = np.array(pairs, dtype=float).T
        elif len(pairs) == 2 and n != 2:
            lb, ub = pairs[0], pairs[1]
        else:
            raise ValueError(f"bounds must have one (min, max) pair per variable ({n}), got {len(pairs)}")
    lb, ub = _bound_side(lb, "lower", n), _bound_side(ub, "upper", n)
    if np.any(np.isnan(lb)) or np.any(np.isnan(ub)):
        raise ValueError("bounds must not contain nan")
    if np.any(lb > ub):
        i = int(np.flatnonzero(lb > ub)[0])
        raise ValueError(f"bounds are inconsistent: lb[{i}] = {lb[i]} > ub[{i}] = {ub[i]}")
    if np.all(np.isneginf(lb)) and np.all(np.isposinf(ub)):
        return None
    return lb, ub


class ConstrainedProblem(SmoothProblem):
    r"""Protocol of constrained programs.

    Subclasses set ``m_eq``, ``m_ineq``, ``bounds`` (``None`` or ``(lb, ub)``) and implement
    ``_fun``, ``_grad`` and, for equalities, ``_cons_eq``, ``_jac_eq`` (dense ``(m_eq, n)``)
    and ``_hessp_lag(x, y, p)`` (Hessian of ``f + y^T c_E`` times ``p``); for
    inequalities (``c_I(x) >= 0``) ``_cons_ineq`` and ``_jac_ineq``.
    """

    oracles = frozenset({"fun", "grad", "hessp", "cons", "jac", "hessp_lag"})
    m_eq = 0
    m_ineq = 0
    bounds = None

    @property
    def structure(self):
        s = set()
        if self.m_eq:
            s.add("eq_constraints")
        if self.m_ineq:
            s.add("ineq_constraints")
        if self.bounds is not None:
            s.add("bounds")
        return frozenset(s)

    # counted public oracles ----------------------------------------------------------------
    def cons_eq(self, x) -> np.ndarray:
        self._count("constr_nfev")
        return self._cons_eq(x)

    def jac_eq(self, x) -> np.ndarray:
        self._count("constr_njev")
        return self._jac_eq(x)

    def hessp_lag(self, x, y, p) -> np.ndarray:
        self._count("nhev")
        return self._hessp_lag(x, y, p)

    def cons_ineq(self, x) -> np.ndarray:
        self._count("constr_nfev")
        return self._cons_ineq(x)

    def jac_ineq(self, x) -> np.ndarray:
        self._count("constr_njev")
        return self._jac_ineq(x)

    def _cons_ineq(self, x):
        return np.zeros(0)

    def _jac_ineq(self, x):
        return np.zeros((0, self.n))

    def _cons_eq(self, x):
        return np.zeros(0)

    def _jac_eq(self, x):
        return np.zeros((0, self.n))

    def _hessp_lag(self, x, y, p):
        """Default: forward difference of ``grad f + J^T y`` along ``p``."""
        x = np.asarray(x, dtype=float)
        pn = np.linalg.norm(p)
        if pn == 0.0:
            return np.zeros(self.n)
        h = np.sqrt(_EPS) * max(1.0, np.linalg.norm(x)) / pn

        def gl(z):
            return self._grad(z) + (self._jac_eq(z).T @ y if self.m_eq else 0.0)
        return (gl(x + h * np.asarray(p, dtype=float)) - gl(x)) / h

    def constr_violation(self, x) -> float:
        """Max-norm violation of all constraints and bounds at ``x``."""
        v = 0.0
        if self.m_eq:
            v = max(v, float(np.max(np.abs(self._cons_eq(x)))))
        if self.m_ineq:
            v = max(v, float(np.max(np.maximum(-self._cons_ineq(x), 0.0), initial=0.0)))
        if self.bounds is not None:
            lb, ub = self.bounds
            v = max(v, float(np.max(np.maximum(lb - x, 0.0), initial=0.0)),
                    float(np.max(np.maximum(x - ub, 0.0), initial=0.0)))
        return v

    def to_scipy(self) -> dict:
        from scipy.optimize import Bounds, NonlinearConstraint
        kw = super().to_scipy()
        cons = []
        if self.m_eq:
            cons.append(NonlinearConstraint(self.cons_eq, 0.0, 0.0, jac=self.jac_eq,
                                            hess=lambda x, v: _hess_from_hessp(
                                                lambda p: self._hessp_lag(x, v, p) - self._hessp(x, p), self.n)))
        if self.m_ineq:
            cons.append(NonlinearConstraint(self.cons_ineq, 0.0, np.inf, jac=self.jac_ineq))
        kw["constraints"] = cons
        if self.bounds is not None:
            kw["bounds"] = Bounds(*self.bounds)
        return kw


def _hess_from_hessp(hp, n):
    from scipy.sparse.linalg import LinearOperator
    return LinearOperator((n, n), matvec=hp, dtype=float)


class _Block:
    """One scipy constraint, normalized: ``fun``, ``jac`` and which rows are = / >= / <=."""

    def __init__(self, fun, jac, hess, n, eq_rows, eq_val, lo_rows, lo_val, hi_rows, hi_val, linear=None):
        self.fun, self.jac, self.hess, self.n = fun, jac, hess, n
        self.eq_rows, self.eq_val = eq_rows, eq_val
        self.lo_rows, self.lo_val = lo_rows, lo_val
        self.hi_rows, self.hi_val = hi_rows, hi_val
        self.linear = linear

    def jacobian(self, x, f0=None):
        if self.linear is not None:
            return self.linear
        if callable(self.jac):
            J = np.atleast_2d(np.asarray(self.jac(x), dtype=float))
            return J.reshape(-1, self.n)
        f0 = np.atleast_1d(self.fun(x)) if f0 is None else f0
        J = np.empty((f0.size, self.n))
        for i in range(self.n):
            h = np.sqrt(_EPS) * max(1.0, abs(x[i]))
            xh = x.copy()
            xh[i] += h
            J[:, i] = (np.atleast_1d(self.fun(xh)) - f0) / h
        return J


def _normalize_constraint(c, n, x0):
    from scipy.optimize import LinearConstraint, NonlinearConstraint
    if isinstance(c, dict):
        kind = c.get("type")
        if kind not in ("eq", "ineq"):
            raise ValueError(f"constraint dict 'type' must be 'eq' or 'ineq', got {kind!r}")
        if not callable(c.get("fun")):
            raise TypeError("constraint dict needs a callable 'fun'")
        unknown = set(c) - {"type", "fun", "jac", "args"}
        if unknown:
            raise ValueError(f"unknown key(s) {sorted(unknown)} in constraint dict; valid: type, fun, jac, args")
        args = c.get("args", ())
        args = args if isinstance(args, tuple) else (args,)
        fun = lambda x, f=c["fun"], a=args: np.atleast_1d(np.asarray(f(x, *a), dtype=float))
        jac = c.get("jac")
        jfun = (lambda x, j=jac, a=args: j(x, *a)) if callable(jac) else None
        m = fun(x0).size
        rows = np.arange(m)
        if kind == "eq":
            return _Block(fun, jfun, None, n, rows, np.zeros(m), rows[:0], np.zeros(0), rows[:0], np.zeros(0))
        return _Block(fun, jfun, None, n, rows[:0], np.zeros(0), rows, np.zeros(m), rows[:0], np.zeros(0))
    if isinstance(c, LinearConstraint):
        A = c.A.toarray() if hasattr(c.A, "toarray") else np.atleast_2d(np.asarray(c.A, dtype=float))
        if A.shape[1] != n:
            raise ValueError(f"LinearConstraint A must have {n} columns, got shape {A.shape}")
        fun = lambda x, A=A: A @ x
        jac, hess, linear, m = None, None, A, A.shape[0]
    elif isinstance(c, NonlinearConstraint):
        fun = lambda x, f=c.fun: np.atleast_1d(np.asarray(f(x), dtype=float))
        jac = c.jac if callable(c.jac) else None
        hess = c.hess if callable(c.hess) else None
        linear, m = None, fun(x0).size
    else:
        raise TypeError(f"constraints must be dicts, LinearConstraint or NonlinearConstraint, "
                        f"got {type(c).__name__}")
    lb = np.broadcast_to(np.asarray(c.lb, dtype=float), (m,))
    ub = np.broadcast_to(np.asarray(c.ub, dtype=float), (m,))
    if np.any(lb > ub):
        raise ValueError("constraint bounds are inconsistent: some lb > ub")
    eq = np.flatnonzero(lb == ub)
    lo = np.flatnonzero((lb != ub) & np.isfinite(lb))
    hi = np.flatnonzero((lb != ub) & np.isfinite(ub))
    return _Block(fun, jac, hess, n, eq, lb[eq], lo, lb[lo], hi, ub[hi], linear)


class ScipyConstrainedProblem(ConstrainedProblem):
    """A constrained program from scipy-style arguments (what ``minimize`` builds).

    Parameters
    ----------
    objective : SmoothProblem
        Usually an :class:`~numopt.problems.Objective` wrapping the user's callables.
    constraints : dict, LinearConstraint, NonlinearConstraint or a sequence of them
    bounds : Bounds, sequence of pairs, or None
    """

    def __init__(self, objective: SmoothProblem, constraints=(), bounds=None, name=None):
        super().__init__(objective.n, objective.x0, name or objective.name)
        self.objective = objective
        self.counts = objective.counts
        if isinstance(constraints, (dict,)) or not isinstance(constraints, (list, tuple)):
            constraints = [constraints]
        x0 = objective.x0 if objective.x0 is not None else np.zeros(self.n)
        self._blocks = [_normalize_constraint(c, self.n, x0) for c in constraints]
        self.m_eq = sum(b.eq_rows.size for b in self._blocks)
        self.m_ineq = sum(b.lo_rows.size + b.hi_rows.size for b in self._blocks)
        self.bounds = normalize_bounds(bounds, self.n)
        self.oracles = objective.oracles | {"cons", "jac", "hessp_lag"}

    def fun(self, x):
        return self.objective.fun(x)

    def grad(self, x):
        return self.objective.grad(x)

    def fun_and_grad(self, x):
        return self.objective.fun_and_grad(x)

    def hessp(self, x, p):
        return self.objective.hessp(x, p)

    def _fun(self, x):
        return self.objective.fun(x)

    def _grad(self, x):
        return self.objective.grad(x)

    def _hessp(self, x, p):
        return self.objective.hessp(x, p)

    def _cons_eq(self, x):
        x = np.asarray(x, dtype=float)
        return np.concatenate([b.fun(x)[b.eq_rows] - b.eq_val for b in self._blocks] or [np.zeros(0)])

    def _jac_eq(self, x):
        x = np.asarray(x, dtype=float)
        return np.vstack([b.jacobian(x)[b.eq_rows] for b in self._blocks] or [np.zeros((0, self.n))])

    def _cons_ineq(self, x):
        x = np.asarray(x, dtype=float)
        parts = []
        for b in self._blocks:
            if b.lo_rows.size or b.hi_rows.size:
                v = b.fun(x)
                parts += [v[b.lo_rows] - b.lo_val, b.hi_val - v[b.hi_rows]]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _jac_ineq(self, x):
        x = np.asarray(x, dtype=float)
        parts = []
        for b in self._blocks:
            if b.lo_rows.size or b.hi_rows.size:
                J = b.jacobian(x)
                parts += [J[b.lo_rows], -J[b.hi_rows]]
        return np.vstack(parts) if parts else np.zeros((0, self.n))

    def _hessp_lag(self, x, y, p):
        if all(b.linear is not None or b.hess is not None or not b.eq_rows.size for b in self._blocks):
            out = self.objective.hessp(x, p)
            k = 0
            for b in self._blocks:
                m = b.eq_rows.size
                if m and b.linear is None:
                    v = np.zeros(b.fun(x).size)
                    v[b.eq_rows] = y[k:k + m]
                    out = out + np.asarray(b.hess(x, v)) @ p
                k += m
            return out
        return super()._hessp_lag(x, y, p)
