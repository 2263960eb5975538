"""The problem protocol.

A problem declares two sets of strings:

* ``structure``: what a solver must be able to handle to solve it correctly
  (``"bounds"``, ``"eq_constraints"``, ``"ineq_constraints"``, ``"nonsmooth"``, or a
  problem class of its own such as ``"entropic_ot"``);
* ``oracles``: what it can compute (``"fun"``, ``"grad"``, ``"hessp"``, ``"hess"``,
  ``"prox"``, ``"cons"``, ``"jac"``, ``"hessp_lag"``, ``"finite_sum"``, ``"qp"``, ...).

A solver's registry spec lists the structure it supports and the oracles it requires;
:func:`numopt.registry.check_capable` compares the two and names what is missing.
Evaluations go through public methods that count (``nfev``, ``njev``, ``nhev``, ...);
subclasses implement the underscored versions.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_vector

__all__ = ["Problem", "SmoothProblem", "Objective"]

_EPS = np.finfo(float).eps


class Problem:
    """Base class of every numopt problem.

    Parameters
    ----------
    n : int
        Number of variables.
    x0 : array_like, optional
        Default starting point (used when ``minimize`` is called without one).
    name : str, optional
        A label used in logs and benchmark tables.
    """

    structure: frozenset = frozenset()
    oracles: frozenset = frozenset()

    def __init__(self, n: int, x0=None, name: str | None = None):
        self.n = int(n)
        self.x0 = None if x0 is None else as_vector(x0, "x0", size=self.n)
        self.name = name or type(self).__name__
        self.counts = {}

    def _count(self, key: str, k: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + k

    def certificates(self, x) -> dict:
        """Optimality certificates at ``x`` (duality gap, KKT residual, ...). Default none."""
        return {}

    def to_scipy(self) -> dict:
        """Keyword arguments for ``scipy.optimize.minimize`` (``fun``, ``jac``, ...)."""
        raise TypeError(f"problem {self.name!r} ({type(self).__name__}) cannot be passed to scipy's methods")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} n={self.n}>"


class SmoothProblem(Problem):
    """A smooth objective ``f: R^n -> R`` with gradient and Hessian-vector products.

    Subclasses implement ``_fun`` and ``_grad``, and optionally ``_fun_and_grad``,
    ``_hessp`` (default: forward difference of the gradient) and ``_hess`` (adds the
    ``"hess"`` oracle).
    """

    oracles = frozenset({"fun", "grad", "hessp"})

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "_hess" in cls.__dict__ and "oracles" not in cls.__dict__:
            cls.oracles = cls.oracles | {"hess"}

    # -- counted public oracles -------------------------------------------------------
    def fun(self, x) -> float:
        self._count("nfev")
        return self._fun(x)

    def grad(self, x) -> np.ndarray:
        self._count("njev")
        return self._grad(x)

    def fun_and_grad(self, x):
        self._count("nfev")
        self._count("njev")
        return self._fun_and_grad(x)

    def hessp(self, x, p) -> np.ndarray:
        self._count("nhev")
        return self._hessp(x, p)

    def hess(self, x):
        if "hess" not in self.oracles:
            raise TypeError(f"problem {self.name!r} provides no Hessian matrix (oracle 'hess'); use hessp")
        self._count("nhev")
        return self._hess(x)

    # -- defaults ---------------------------------------------------------------------
    def _fun_and_grad(self, x):
        return self._fun(x), self._grad(x)

    def _hessp(self, x, p):
        """Forward difference of the gradient along ``p`` (used when no Hessian is given)."""
        p = np.asarray(p, dtype=float)
        pn = np.linalg.norm(p)
        if pn == 0.0:
            return np.zeros_like(x, dtype=float)
        h = np.sqrt(_EPS) * max(1.0, np.linalg.norm(x)) / pn
        return (self._grad(x + h * p) - self._grad(x)) / h

    def _hess(self, x):  # pragma: no cover - replaced by subclasses that have it
        raise NotImplementedError

    def to_scipy(self) -> dict:
        kw = {"fun": self.fun, "jac": self.grad}
        if "hess" in self.oracles:
            kw["hess"] = self.hess
        else:
            kw["hessp"] = self.hessp
        return kw


def _fd_grad(f, x, f0, counter):
    """Forward-difference gradient with scipy's relative step ``sqrt(eps) * max(1, |x_i|)``."""
    g = np.empty_like(x)
    for i in range(x.size):
        h = np.sqrt(_EPS) * max(1.0, abs(x[i]))
        xh = x.copy()
        xh[i] += h
        g[i] = (f(xh) - f0) / h
    counter(x.size)
    return g


class Objective(SmoothProblem):
    """A smooth objective built from user callables, counted and memoized.

    This is the evaluator behind ``numopt.minimize(fun, x0, jac=..., hess=..., hessp=...)``:
    ``fun(x, *args)``, ``jac`` a callable, ``True`` (``fun`` returns ``(f, g)``) or
    ``None`` (forward differences, counted in ``nfev``); ``hess(x, *args)`` an
    (n, n) array; ``hessp(x, p, *args)``. The last point is memoized, so a solver
    that asks for ``f`` and then ``g`` at the same ``x`` costs one call each.
    Return values are checked: a non-scalar ``fun`` or a wrongly shaped ``jac``
    raises ``ValueError`` naming the callable.
    """

    def __init__(self, fun, x0=None, *, jac=None, hess=None, hessp=None, args=(), n=None, name=None):
        if not callable(fun):
            raise TypeError(f"fun must be callable or a numopt problem, got {type(fun).__name__}")
        if x0 is None and n is None:
            raise ValueError("x0 is required when fun is a plain callable")
        n = np.size(x0) if n is None else n
        super().__init__(n, x0, name or getattr(fun, "__name__", "objective"))
        if not isinstance(args, tuple):
            args = (args,)
        self._f, self._args = fun, args
        if jac is not None and jac is not True and not callable(jac):
            if isinstance(jac, str) and jac in ("2-point", "3-point", "cs"):
                jac = None
            else:
                raise TypeError(f"jac must be callable, True, None or a finite-difference scheme, got {jac!r}")
        for nm, h in (("hess", hess), ("hessp", hessp)):
            if h is not None and not callable(h):
                raise TypeError(f"{nm} must be callable for numopt's own methods, got {type(h).__name__}")
        self._jac, self._h, self._hp = jac, hess, hessp
        self.grad_is_fd = jac is None
        ora = {"fun", "grad", "hessp"} | ({"hess"} if hess is not None else set())
        self.oracles = frozenset(ora)
        self._memo_x = None
        self._memo_f = None
        self._memo_g = None

    # scalar/shape checks ---------------------------------------------------------------
    def _check_f(self, f):
        arr = np.asarray(f)
        if arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"fun must return a scalar, got {arr.dtype} of shape {arr.shape}")
        return float(arr.reshape(()))

    def _check_g(self, g):
        g = np.asarray(g, dtype=float)
        if g.shape != (self.n,):
            g2 = g.reshape(-1) if g.size == self.n else None
            if g2 is None:
                raise ValueError(f"jac must return an array of shape ({self.n},), got shape {g.shape}")
            g = g2
        return g

    def _at(self, x):
        if self._memo_x is None or not np.array_equal(x, self._memo_x):
            self._memo_x = np.array(x, dtype=float, copy=True)
            self._memo_f = None
            self._memo_g = None

    def _eval(self, x, need_g: bool):
        """Evaluate with memoization; returns (f, g or None). Counts real calls only."""
        self._at(x)
        if self._jac is True:
            if self._memo_f is None:
                self._count("nfev")
                self._count("njev")
                out = self._f(self._memo_x.copy(), *self._args)
                if not isinstance(out, tuple) or len(out) != 2:
                    raise ValueError("with jac=True, fun must return a tuple (f, g)")
                self._memo_f, self._memo_g = self._check_f(out[0]), self._check_g(out[1])
            return self._memo_f, self._memo_g
        if self._memo_f is None:
            self._count("nfev")
            self._memo_f = self._check_f(self._f(self._memo_x.copy(), *self._args))
        if need_g and self._memo_g is None:
            if self._jac is None:
                f = lambda z: self._check_f(self._f(z, *self._args))
                self._memo_g = _fd_grad(f, self._memo_x, self._memo_f, lambda k: self._count("nfev", k))
            else:
                self._count("njev")
                self._memo_g = self._check_g(self._jac(self._memo_x.copy(), *self._args))
        return self._memo_f, self._memo_g

    # public oracles (counting is done in _eval, so these bypass the base counters) ---------
    def fun(self, x):
        return self._eval(x, False)[0]

    def grad(self, x):
        return self._eval(x, True)[1].copy()

    def fun_and_grad(self, x):
        f, g = self._eval(x, True)
        return f, g.copy()

    def _fun(self, x):
        return self._eval(x, False)[0]

    def _grad(self, x):
        return self._eval(x, True)[1].copy()

    def hessp(self, x, p):
        if self._hp is not None:
            self._count("nhev")
            out = np.asarray(self._hp(np.array(x, dtype=float), np.array(p, dtype=float), *self._args), dtype=float)
            if out.shape != (self.n,):
                raise ValueError(f"hessp must return an array of shape ({self.n},), got shape {out.shape}")
            return out
        if self._h is not None:
            return self.hess(x) @ p
        return super().hessp(x, p)

    def _hessp(self, x, p):
        xs = np.asarray(x, dtype=float)
        pn = np.linalg.norm(p)
        if pn == 0.0:
            return np.zeros(self.n)
        h = np.sqrt(_EPS) * max(1.0, np.linalg.norm(xs)) / pn
        g0 = self.grad(xs)
        g1 = self._eval(xs + h * np.asarray(p, dtype=float), True)[1]
        return (g1 - g0) / h

    def hess(self, x):
        if self._h is None:
            raise TypeError("no hess was given; pass hess= or use hessp")
        self._count("nhev")
        H = self._h(np.array(x, dtype=float), *self._args)
        shape = getattr(H, "shape", None)
        if shape != (self.n, self.n):
            raise ValueError(f"hess must return an array of shape ({self.n}, {self.n}), got shape {shape}")
        return H

    def to_scipy(self) -> dict:
        kw = {"fun": self.fun, "jac": None if self.grad_is_fd else self.grad}
        if self._h is not None:
            kw["hess"] = self.hess
        if self._hp is not None:
            kw["hessp"] = self.hessp
        return kw
