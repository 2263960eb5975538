r"""The equality-constrained Hock-Schittkowski problems, written in numpy.

Each problem is ``min f(x)  s.t.  c(x) = 0`` (no bounds) with analytic gradient,
Hessian, constraint Jacobian and Lagrangian Hessian ``grad^2 f + sum_i y_i grad^2 c_i``
(the Lagrangian is ``f + y^T c``, the sign convention of
:class:`~numopt.problems.ConstrainedProblem`). Constraints are written as in the CUTEst
SIF files (same order and sign), so the S2MPJ/CUTEst translations agree with these
row by row. Every problem carries

* ``x0`` -- the standard starting point of the collection;
* ``f_opt`` -- the published optimal value (re-verified, see ``docs/problems.md``);
* ``x_opt`` -- a published minimizer (``None`` where none is unique/published);
* ``citation`` -- where the problem and its optimum come from.

References
----------
W. Hock and K. Schittkowski, *Test Examples for Nonlinear Programming Codes*, Lecture
Notes in Economics and Mathematical Systems 187, Springer, 1981.

N. I. M. Gould, D. Orban and Ph. L. Toint, CUTEst SIF collection (GENHS28: SIF input
N. Gould, 1991).

Examples
--------
>>> from numopt.problems.hs import hs_problem
>>> p = hs_problem("hs40")
>>> p.n, p.m_eq, p.f_opt
(4, 3, -0.25)
"""
from __future__ import annotations

import numpy as np

from .constrained import ConstrainedProblem

__all__ = ["HS_PROBLEMS", "hs_problem", "HSProblem"]

_HS1981 = ("W. Hock and K. Schittkowski, Test Examples for Nonlinear Programming Codes, Lecture Notes "
           "in Economics and Mathematical Systems 187, Springer, 1981")
_S2 = np.sqrt(2.0)


class _PowerSum:
    r"""``f(x) = const + sum_k w_k (a_k^T x - b_k)^{p_k}`` with integer ``p_k >= 1``.

    Most HS objectives have this form; value, gradient and Hessian follow from
    ``d/dx (a^T x - b)^p = p r^{p-1} a``.
    """

    def __init__(self, n, terms, const=0.0):
        # terms: sequence of (coefficients {index: a_i} (0-based), b, p, w)
        self.A = np.zeros((len(terms), n))
        for k, (coef, _, _, _) in enumerate(terms):
            for i, a in coef.items():
                self.A[k, i] = a
        self.b = np.array([t[1] for t in terms], dtype=float)
        self.p = np.array([t[2] for t in terms], dtype=float)
        self.w = np.array([t[3] for t in terms], dtype=float)
        self.const = float(const)

    def value(self, x):
        r = self.A @ x - self.b
        return self.const + float(self.w @ r ** self.p)

    def grad(self, x):
        r = self.A @ x - self.b
        return self.A.T @ (self.w * self.p * r ** (self.p - 1.0))

    def hess(self, x):
        r = self.A @ x - self.b
        d = self.w * self.p * (self.p - 1.0) * r ** np.maximum(self.p - 2.0, 0.0)
        return self.A.T @ (d[:, None] * self.A)


def _terms(*spec):
    """``_terms((coef, b, p), ...)`` or with a weight ``(coef, b, p, w)``; coef 1-based."""
    out = []
    for t in spec:
        coef, b, p = t[:3]
        w = t[3] if len(t) > 3 else 1.0
        out.append(({i - 1: a for i, a in coef.items()}, b, p, w))
    return out


def _prod_grad(x):
    """Gradient of ``prod(x)``: ``g_i = prod_{k != i} x_k`` (no division, exact at zeros)."""
    n = x.size
    return np.prod(np.where(np.eye(n, dtype=bool), 1.0, x[None, :]), axis=1)


def _prod_hess(x):
    """Hessian of ``prod(x)``: ``H_ij = prod_{k != i, j} x_k`` off the diagonal, 0 on it."""
    n = x.size
    eye = np.eye(n, dtype=bool)
    skip = eye[:, None, :] | eye[None, :, :]           # k == i or k == j
    H = np.prod(np.where(skip, 1.0, x[None, None, :]), axis=2)
    H[eye] = 0.0
    return H


class HSProblem(ConstrainedProblem):
    r"""Base class of the built-in Hock-Schittkowski problems.

    Subclasses define ``n``, ``m_eq``, ``x0``, ``f_opt``, ``x_opt``, ``citation`` and
    either ``_objective`` (a :class:`_PowerSum`) or ``_fun/_grad/_hess``, and either
    ``_A, _b`` (linear constraints ``A x - b``) or ``_cons_eq/_jac_eq/_cons_hess``
    (``_cons_hess(x, y) = sum_i y_i grad^2 c_i(x)``).
    """

    oracles = ConstrainedProblem.oracles | {"hess"}
    n_default = 0
    x0_default = ()
    f_opt: float = np.nan
    x_opt = None
    citation = _HS1981
    _objective = None
    _A = None
    _b = None

    def __init__(self, name=None):
        super().__init__(self.n_default, np.array(self.x0_default, dtype=float), name or type(self).__name__)
        if self.x_opt is not None:
            self.x_opt = np.array(self.x_opt, dtype=float)

    # objective --------------------------------------------------------------------------
    def _fun(self, x):
        return self._objective.value(np.asarray(x, dtype=float))

    def _grad(self, x):
        return self._objective.grad(np.asarray(x, dtype=float))

    def _hess(self, x):
        return self._objective.hess(np.asarray(x, dtype=float))

    def _hessp(self, x, p):
        return self._hess(x) @ p

    # constraints ------------------------------------------------------------------------
    def _cons_eq(self, x):
        return self._A @ np.asarray(x, dtype=float) - self._b

    def _jac_eq(self, x):
        return self._A.copy()

    def _cons_hess(self, x, y):
        return np.zeros((self.n, self.n))

    def _hessp_lag(self, x, y, p):
        return self.hess_lag(x, y) @ p

    def hess_lag(self, x, y) -> np.ndarray:
        r"""Hessian of the Lagrangian ``grad^2 f(x) + sum_i y_i grad^2 c_i(x)`` (dense)."""
        x = np.asarray(x, dtype=float)
        return self._hess(x) + self._cons_hess(x, np.asarray(y, dtype=float))


def _lin(rows, rhs):
    return np.array(rows, dtype=float), np.array(rhs, dtype=float)


# --------------------------------------------------------------------------------------
# the problems (n / m: variables / equality constraints)
# --------------------------------------------------------------------------------------

class HS6(HSProblem):
    r"""HS6 (2/1): ``(1 - x1)^2  s.t.  10 (x2 - x1^2) = 0``; f* = 0 at (1, 1)."""
    n_default, m_eq = 2, 1
    x0_default = (-1.2, 1.0)
    f_opt, x_opt = 0.0, (1.0, 1.0)
    _objective = _PowerSum(2, _terms(({1: 1.0}, 1.0, 2)))

    def _cons_eq(self, x):
        return np.array([10.0 * (x[1] - x[0] ** 2)])

    def _jac_eq(self, x):
        return np.array([[-20.0 * x[0], 10.0]])

    def _cons_hess(self, x, y):
        return np.array([[-20.0 * y[0], 0.0], [0.0, 0.0]])


class HS7(HSProblem):
    r"""HS7 (2/1): ``ln(1 + x1^2) - x2  s.t.  (1 + x1^2)^2 + x2^2 - 4 = 0``; f* = -sqrt(3)."""
    n_default, m_eq = 2, 1
    x0_default = (2.0, 2.0)
    f_opt, x_opt = -np.sqrt(3.0), (0.0, np.sqrt(3.0))

    def _fun(self, x):
        return float(np.log1p(x[0] ** 2) - x[1])

    def _grad(self, x):
        return np.array([2.0 * x[0] / (1.0 + x[0] ** 2), -1.0])

    def _hess(self, x):
        s = 1.0 + x[0] ** 2
        return np.array([[2.0 * (1.0 - x[0] ** 2) / s ** 2, 0.0], [0.0, 0.0]])

    def _cons_eq(self, x):
        return np.array([(1.0 + x[0] ** 2) ** 2 + x[1] ** 2 - 4.0])

    def _jac_eq(self, x):
        return np.array([[4.0 * x[0] * (1.0 + x[0] ** 2), 2.0 * x[1]]])

    def _cons_hess(self, x, y):
        return y[0] * np.array([[4.0 + 12.0 * x[0] ** 2, 0.0], [0.0, 2.0]])


class HS8(HSProblem):
    r"""HS8 (2/2): ``-1  s.t.  x1^2 + x2^2 - 25 = 0,  x1 x2 - 9 = 0`` (pure feasibility); f* = -1."""
    n_default, m_eq = 2, 2
    x0_default = (2.0, 1.0)
    f_opt = -1.0
    x_opt = ((np.sqrt(43.0) + np.sqrt(7.0)) / 2.0, (np.sqrt(43.0) - np.sqrt(7.0)) / 2.0)
    _objective = _PowerSum(2, [], const=-1.0)

    def _cons_eq(self, x):
        return np.array([x[0] ** 2 + x[1] ** 2 - 25.0, x[0] * x[1] - 9.0])

    def _jac_eq(self, x):
        return np.array([[2.0 * x[0], 2.0 * x[1]], [x[1], x[0]]])

    def _cons_hess(self, x, y):
        return np.array([[2.0 * y[0], y[1]], [y[1], 2.0 * y[0]]])


class HS9(HSProblem):
    r"""HS9 (2/1, linear): ``sin(pi x1/12) cos(pi x2/16)  s.t.  4 x1 - 3 x2 = 0``; f* = -0.5.

    Minimizers ``(12k - 3, 16k - 4)``, k integer; ``x_opt`` is the one reached from ``x0``.
    """
    n_default, m_eq = 2, 1
    x0_default = (0.0, 0.0)
    f_opt, x_opt = -0.5, (-3.0, -4.0)
    _A, _b = _lin([[4.0, -3.0]], [0.0])
    _u, _v = np.pi / 12.0, np.pi / 16.0

    def _fun(self, x):
        return float(np.sin(self._u * x[0]) * np.cos(self._v * x[1]))

    def _grad(self, x):
        a, b = self._u * x[0], self._v * x[1]
        return np.array([self._u * np.cos(a) * np.cos(b), -self._v * np.sin(a) * np.sin(b)])

    def _hess(self, x):
        a, b = self._u * x[0], self._v * x[1]
        h12 = -self._u * self._v * np.cos(a) * np.sin(b)
        sc = np.sin(a) * np.cos(b)
        return np.array([[-self._u ** 2 * sc, h12], [h12, -self._v ** 2 * sc]])


class HS26(HSProblem):
    r"""HS26 (3/1): ``(x1 - x2)^2 + (x2 - x3)^4  s.t.  (1 + x2^2) x1 + x3^4 - 3 = 0``; f* = 0."""
    n_default, m_eq = 3, 1
    x0_default = (-2.6, 2.0, 2.0)
    f_opt, x_opt = 0.0, (1.0, 1.0, 1.0)
    _objective = _PowerSum(3, _terms(({1: 1.0, 2: -1.0}, 0.0, 2), ({2: 1.0, 3: -1.0}, 0.0, 4)))

    def _cons_eq(self, x):
        return np.array([(1.0 + x[1] ** 2) * x[0] + x[2] ** 4 - 3.0])

    def _jac_eq(self, x):
        return np.array([[1.0 + x[1] ** 2, 2.0 * x[0] * x[1], 4.0 * x[2] ** 3]])

    def _cons_hess(self, x, y):
        return y[0] * np.array([[0.0, 2.0 * x[1], 0.0], [2.0 * x[1], 2.0 * x[0], 0.0],
                                [0.0, 0.0, 12.0 * x[2] ** 2]])


class HS27(HSProblem):
    r"""HS27 (3/1): ``0.01 (x1 - 1)^2 + (x2 - x1^2)^2  s.t.  x1 + x3^2 + 1 = 0``; f* = 0.04."""
    n_default, m_eq = 3, 1
    x0_default = (2.0, 2.0, 2.0)
    f_opt, x_opt = 0.04, (-1.0, 1.0, 0.0)

    def _fun(self, x):
        return float(0.01 * (x[0] - 1.0) ** 2 + (x[1] - x[0] ** 2) ** 2)

    def _grad(self, x):
        r = x[1] - x[0] ** 2
        return np.array([0.02 * (x[0] - 1.0) - 4.0 * x[0] * r, 2.0 * r, 0.0])

    def _hess(self, x):
        return np.array([[0.02 - 4.0 * x[1] + 12.0 * x[0] ** 2, -4.0 * x[0], 0.0],
                         [-4.0 * x[0], 2.0, 0.0], [0.0, 0.0, 0.0]])

    def _cons_eq(self, x):
        return np.array([x[0] + x[2] ** 2 + 1.0])

    def _jac_eq(self, x):
        return np.array([[1.0, 0.0, 2.0 * x[2]]])

    def _cons_hess(self, x, y):
        H = np.zeros((3, 3))
        H[2, 2] = 2.0 * y[0]
        return H


class HS28(HSProblem):
    r"""HS28 (3/1, linear): ``(x1 + x2)^2 + (x2 + x3)^2  s.t.  x1 + 2 x2 + 3 x3 - 1 = 0``; f* = 0."""
    n_default, m_eq = 3, 1
    x0_default = (-4.0, 1.0, 1.0)
    f_opt, x_opt = 0.0, (0.5, -0.5, 0.5)
    _objective = _PowerSum(3, _terms(({1: 1.0, 2: 1.0}, 0.0, 2), ({2: 1.0, 3: 1.0}, 0.0, 2)))
    _A, _b = _lin([[1.0, 2.0, 3.0]], [1.0])


class HS39(HSProblem):
    r"""HS39 (4/2): ``-x1  s.t.  x2 - x1^3 - x3^2 = 0,  x1^2 - x2 - x4^2 = 0``; f* = -1."""
    n_default, m_eq = 4, 2
    x0_default = (2.0, 2.0, 2.0, 2.0)
    f_opt, x_opt = -1.0, (1.0, 1.0, 0.0, 0.0)
    _objective = _PowerSum(4, _terms(({1: -1.0}, 0.0, 1)))

    def _cons_eq(self, x):
        return np.array([x[1] - x[0] ** 3 - x[2] ** 2, x[0] ** 2 - x[1] - x[3] ** 2])

    def _jac_eq(self, x):
        return np.array([[-3.0 * x[0] ** 2, 1.0, -2.0 * x[2], 0.0],
                         [2.0 * x[0], -1.0, 0.0, -2.0 * x[3]]])

    def _cons_hess(self, x, y):
        return np.diag([-6.0 * x[0] * y[0] + 2.0 * y[1], 0.0, -2.0 * y[0], -2.0 * y[1]])


class HS40(HSProblem):
    r"""HS40 (4/3): ``-x1 x2 x3 x4  s.t.  x1^3 + x2^2 - 1 = 0,  x1^2 x4 - x3 = 0,  x4^2 - x2 = 0``.

    f* = -0.25 at ``(2^{-1/3}, 2^{-1/2}, 2^{-11/12}, 2^{-1/4})``.
    """
    n_default, m_eq = 4, 3
    x0_default = (0.8, 0.8, 0.8, 0.8)
    f_opt = -0.25
    x_opt = (2.0 ** (-1.0 / 3.0), 2.0 ** -0.5, 2.0 ** (-11.0 / 12.0), 2.0 ** -0.25)

    def _fun(self, x):
        return float(-np.prod(x))

    def _grad(self, x):
        return -_prod_grad(np.asarray(x, dtype=float))

    def _hess(self, x):
        return -_prod_hess(np.asarray(x, dtype=float))

    def _cons_eq(self, x):
        return np.array([x[0] ** 3 + x[1] ** 2 - 1.0, x[0] ** 2 * x[3] - x[2], x[3] ** 2 - x[1]])

    def _jac_eq(self, x):
        return np.array([[3.0 * x[0] ** 2, 2.0 * x[1], 0.0, 0.0],
                         [2.0 * x[0] * x[3], 0.0, -1.0, x[0] ** 2],
                         [0.0, -1.0, 0.0, 2.0 * x[3]]])

    def _cons_hess(self, x, y):
        H = np.zeros((4, 4))
        H[0, 0] = 6.0 * x[0] * y[0] + 2.0 * x[3] * y[1]
        H[1, 1] = 2.0 * y[0]
        H[0, 3] = H[3, 0] = 2.0 * x[0] * y[1]
        H[3, 3] = 2.0 * y[2]
        return H


class HS42(HSProblem):
    r"""HS42 (4/2): ``sum_i (x_i - i)^2  s.t.  x1 - 2 = 0,  x3^2 + x4^2 - 2 = 0``; f* = 28 - 10 sqrt(2)."""
    n_default, m_eq = 4, 2
    x0_default = (1.0, 1.0, 1.0, 1.0)
    f_opt, x_opt = 28.0 - 10.0 * _S2, (2.0, 2.0, 0.6 * _S2, 0.8 * _S2)
    _objective = _PowerSum(4, _terms(*[({i: 1.0}, float(i), 2) for i in range(1, 5)]))

    def _cons_eq(self, x):
        return np.array([x[0] - 2.0, x[2] ** 2 + x[3] ** 2 - 2.0])

    def _jac_eq(self, x):
        return np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2.0 * x[2], 2.0 * x[3]]])

    def _cons_hess(self, x, y):
        return np.diag([0.0, 0.0, 2.0 * y[1], 2.0 * y[1]])


_HS46_OBJ = _terms(({1: 1.0, 2: -1.0}, 0.0, 2), ({3: 1.0}, 1.0, 2), ({4: 1.0}, 1.0, 4), ({5: 1.0}, 1.0, 6))


class _SinCons(HSProblem):
    r"""Constraints ``x1^2 x4 + sin(x4 - x5) - a = 0,  x2 + x3^4 x4^2 - b = 0`` (HS46, HS77)."""
    _rhs = (1.0, 2.0)

    def _cons_eq(self, x):
        return np.array([x[0] ** 2 * x[3] + np.sin(x[3] - x[4]) - self._rhs[0],
                         x[1] + x[2] ** 4 * x[3] ** 2 - self._rhs[1]])

    def _jac_eq(self, x):
        c = np.cos(x[3] - x[4])
        return np.array([[2.0 * x[0] * x[3], 0.0, 0.0, x[0] ** 2 + c, -c],
                         [0.0, 1.0, 4.0 * x[2] ** 3 * x[3] ** 2, 2.0 * x[2] ** 4 * x[3], 0.0]])

    def _cons_hess(self, x, y):
        s = np.sin(x[3] - x[4])
        H = np.zeros((5, 5))
        H[0, 0] = 2.0 * x[3] * y[0]
        H[0, 3] = H[3, 0] = 2.0 * x[0] * y[0]
        H[3, 3] = -s * y[0] + 2.0 * x[2] ** 4 * y[1]
        H[3, 4] = H[4, 3] = s * y[0]
        H[4, 4] = -s * y[0]
        H[2, 2] = 12.0 * x[2] ** 2 * x[3] ** 2 * y[1]
        H[2, 3] = H[3, 2] = 8.0 * x[2] ** 3 * x[3] * y[1]
        return H


class HS46(_SinCons):
    r"""HS46 (5/2): ``(x1-x2)^2 + (x3-1)^2 + (x4-1)^4 + (x5-1)^6``
    s.t. ``x1^2 x4 + sin(x4 - x5) - 1 = 0,  x2 + x3^4 x4^2 - 2 = 0``; f* = 0 at ones."""
    n_default, m_eq = 5, 2
    x0_default = (0.5 * _S2, 1.75, 0.5, 2.0, 2.0)
    f_opt, x_opt = 0.0, (1.0, 1.0, 1.0, 1.0, 1.0)
    _objective = _PowerSum(5, _HS46_OBJ)


class _HS47Cons(HSProblem):
    r"""Constraints ``x1 + x2^2 + x3^3 - a = 0,  x2 - x3^2 + x4 - b = 0,  x1 x5 - c = 0`` (HS47, HS79)."""
    _rhs = (3.0, 1.0, 1.0)

    def _cons_eq(self, x):
        return np.array([x[0] + x[1] ** 2 + x[2] ** 3 - self._rhs[0],
                         x[1] - x[2] ** 2 + x[3] - self._rhs[1], x[0] * x[4] - self._rhs[2]])

    def _jac_eq(self, x):
        return np.array([[1.0, 2.0 * x[1], 3.0 * x[2] ** 2, 0.0, 0.0],
                         [0.0, 1.0, -2.0 * x[2], 1.0, 0.0],
                         [x[4], 0.0, 0.0, 0.0, x[0]]])

    def _cons_hess(self, x, y):
        H = np.zeros((5, 5))
        H[1, 1] = 2.0 * y[0]
        H[2, 2] = 6.0 * x[2] * y[0] - 2.0 * y[1]
        H[0, 4] = H[4, 0] = y[2]
        return H


class HS47(_HS47Cons):
    r"""HS47 (5/3): ``(x1-x2)^2 + (x2-x3)^3 + (x3-x4)^4 + (x4-x5)^4``
    s.t. ``x1 + x2^2 + x3^3 - 3 = 0,  x2 - x3^2 + x4 - 1 = 0,  x1 x5 - 1 = 0``; f* = 0 at ones."""
    n_default, m_eq = 5, 3
    x0_default = (2.0, _S2, -1.0, 2.0 - _S2, 0.5)
    f_opt, x_opt = 0.0, (1.0, 1.0, 1.0, 1.0, 1.0)
    _objective = _PowerSum(5, _terms(({1: 1.0, 2: -1.0}, 0.0, 2), ({2: 1.0, 3: -1.0}, 0.0, 3),
                                     ({3: 1.0, 4: -1.0}, 0.0, 4), ({4: 1.0, 5: -1.0}, 0.0, 4)))


class HS48(HSProblem):
    r"""HS48 (5/2, linear): ``(x1-1)^2 + (x2-x3)^2 + (x4-x5)^2``
    s.t. ``sum x - 5 = 0,  x3 - 2 (x4 + x5) + 3 = 0``; f* = 0 at ones."""
    n_default, m_eq = 5, 2
    x0_default = (3.0, 5.0, -3.0, 2.0, -2.0)
    f_opt, x_opt = 0.0, (1.0, 1.0, 1.0, 1.0, 1.0)
    _objective = _PowerSum(5, _terms(({1: 1.0}, 1.0, 2), ({2: 1.0, 3: -1.0}, 0.0, 2), ({4: 1.0, 5: -1.0}, 0.0, 2)))
    _A, _b = _lin([[1, 1, 1, 1, 1], [0, 0, 1, -2, -2]], [5.0, -3.0])


class HS49(HSProblem):
    r"""HS49 (5/2, linear): HS46's objective s.t. ``x1 + x2 + x3 + 4 x4 - 7 = 0,  x3 + 5 x5 - 6 = 0``.

    f* = 0 at ones (approached slowly: the objective is flat, degree 6 in ``x5``).
    """
    n_default, m_eq = 5, 2
    x0_default = (10.0, 7.0, 2.0, -3.0, 0.8)
    f_opt, x_opt = 0.0, (1.0, 1.0, 1.0, 1.0, 1.0)
    _objective = _PowerSum(5, _HS46_OBJ)
    _A, _b = _lin([[1, 1, 1, 4, 0], [0, 0, 1, 0, 5]], [7.0, 6.0])


class HS50(HSProblem):
    r"""HS50 (5/3, linear): ``(x1-x2)^2 + (x2-x3)^2 + (x3-x4)^4 + (x4-x5)^2``
    s.t. ``x_i + 2 x_{i+1} + 3 x_{i+2} - 6 = 0`` (i = 1, 2, 3); f* = 0 at ones."""
    n_default, m_eq = 5, 3
    x0_default = (35.0, -31.0, 11.0, 5.0, -5.0)
    f_opt, x_opt = 0.0, (1.0, 1.0, 1.0, 1.0, 1.0)
    _objective = _PowerSum(5, _terms(({1: 1.0, 2: -1.0}, 0.0, 2), ({2: 1.0, 3: -1.0}, 0.0, 2),
                                     ({3: 1.0, 4: -1.0}, 0.0, 4), ({4: 1.0, 5: -1.0}, 0.0, 2)))
    _A, _b = _lin([[1, 2, 3, 0, 0], [0, 1, 2, 3, 0], [0, 0, 1, 2, 3]], [6.0, 6.0, 6.0])


_HS51_TAIL = (({4: 1.0}, 1.0, 2), ({5: 1.0}, 1.0, 2))


class HS51(HSProblem):
    r"""HS51 (5/3, linear): ``(x1-x2)^2 + (x2+x3-2)^2 + (x4-1)^2 + (x5-1)^2``
    s.t. ``x1 + 3 x2 - 4 = 0,  x3 + x4 - 2 x5 = 0,  x2 - x5 = 0``; f* = 0 at ones."""
    n_default, m_eq = 5, 3
    x0_default = (2.5, 0.5, 2.0, -1.0, 0.5)
    f_opt, x_opt = 0.0, (1.0, 1.0, 1.0, 1.0, 1.0)
    _objective = _PowerSum(5, _terms(({1: 1.0, 2: -1.0}, 0.0, 2), ({2: 1.0, 3: 1.0}, 2.0, 2), *_HS51_TAIL))
    _A, _b = _lin([[1, 3, 0, 0, 0], [0, 0, 1, 1, -2], [0, 1, 0, 0, -1]], [4.0, 0.0, 0.0])


class HS52(HSProblem):
    r"""HS52 (5/3, linear): ``(4 x1 - x2)^2 + (x2+x3-2)^2 + (x4-1)^2 + (x5-1)^2``
    s.t. ``x1 + 3 x2 = 0,  x3 + x4 - 2 x5 = 0,  x2 - x5 = 0``.

    f* = 1859/349 = 5.32664756... at ``(-33, 11, 180, -158, 11)/349`` (a convex QP, so
    this is exact; the SIF file's SOLTN 5.326643 is a rounded value).
    """
    n_default, m_eq = 5, 3
    x0_default = (2.0, 2.0, 2.0, 2.0, 2.0)
    f_opt = 1859.0 / 349.0
    x_opt = tuple(v / 349.0 for v in (-33.0, 11.0, 180.0, -158.0, 11.0))
    citation = _HS1981 + "; exact optimum 1859/349 from the KKT system (SIF SOLTN 5.326643 is rounded)"
    _objective = _PowerSum(5, _terms(({1: 4.0, 2: -1.0}, 0.0, 2), ({2: 1.0, 3: 1.0}, 2.0, 2), *_HS51_TAIL))
    _A, _b = _lin([[1, 3, 0, 0, 0], [0, 0, 1, 1, -2], [0, 1, 0, 0, -1]], [0.0, 0.0, 0.0])


_A56 = np.arcsin(np.sqrt(1.0 / 4.2))
_B56 = np.arcsin(np.sqrt(5.0 / 7.2))


class HS56(HSProblem):
    r"""HS56 (7/4): ``-x1 x2 x3``  s.t. ``x_i - 4.2 sin^2 x_{i+3} = 0`` (i = 1, 2, 3),
    ``x1 + 2 x2 + 2 x3 - 7.2 sin^2 x7 = 0``; f* = -3.456.

    ``x0`` uses the exact angles ``arcsin(sqrt(1/4.2))`` and ``arcsin(sqrt(5/7.2))`` (the SIF file
    rounds them to 8 digits). The minimizer is not unique: the angles are periodic.
    """
    n_default, m_eq = 7, 4
    x0_default = (1.0, 1.0, 1.0, _A56, _A56, _A56, _B56)  # the SIF file rounds these to 8 digits
    f_opt = -3.456
    x_opt = (2.4, 1.2, 1.2, np.arcsin(np.sqrt(4.0 / 7.0)), np.arcsin(np.sqrt(2.0 / 7.0)),
             np.arcsin(np.sqrt(2.0 / 7.0)), 0.5 * np.pi)
    _coef = np.array([4.2, 4.2, 4.2, 7.2])
    _lin_part = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 2, 2]], dtype=float)

    def _fun(self, x):
        return float(-x[0] * x[1] * x[2])

    def _grad(self, x):
        return np.array([-x[1] * x[2], -x[0] * x[2], -x[0] * x[1], 0.0, 0.0, 0.0, 0.0])

    def _hess(self, x):
        H = np.zeros((7, 7))
        H[0, 1] = H[1, 0] = -x[2]
        H[0, 2] = H[2, 0] = -x[1]
        H[1, 2] = H[2, 1] = -x[0]
        return H

    def _cons_eq(self, x):
        return self._lin_part @ x[:3] - self._coef * np.sin(x[3:]) ** 2

    def _jac_eq(self, x):
        J = np.zeros((4, 7))
        J[:, :3] = self._lin_part
        J[np.arange(4), 3 + np.arange(4)] = -self._coef * np.sin(2.0 * x[3:])
        return J

    def _cons_hess(self, x, y):
        H = np.zeros((7, 7))
        H[3 + np.arange(4), 3 + np.arange(4)] = -2.0 * self._coef * np.cos(2.0 * x[3:]) * y
        return H


class HS61(HSProblem):
    r"""HS61 (3/2): ``4 x1^2 + 2 x2^2 + 2 x3^2 - 33 x1 + 16 x2 - 24 x3``
    s.t. ``3 x1 - 2 x2^2 - 7 = 0,  4 x1 - x3^2 - 11 = 0``; f* = -143.6461422.

    At the standard start ``x0 = 0`` the Jacobian ``[[3, 0, 0], [4, 0, 0]]`` has rank 1
    (LICQ fails there), which stops SQP methods such as SLSQP.
    """
    n_default, m_eq = 3, 2
    x0_default = (0.0, 0.0, 0.0)
    f_opt, x_opt = -143.6461422, (5.3267701, -2.1189986, 3.2104642)
    _objective = _PowerSum(3, _terms(({1: 1.0}, 0.0, 2, 4.0), ({2: 1.0}, 0.0, 2, 2.0), ({3: 1.0}, 0.0, 2, 2.0),
                                     ({1: -33.0, 2: 16.0, 3: -24.0}, 0.0, 1)))

    def _cons_eq(self, x):
        return np.array([3.0 * x[0] - 2.0 * x[1] ** 2 - 7.0, 4.0 * x[0] - x[2] ** 2 - 11.0])

    def _jac_eq(self, x):
        return np.array([[3.0, -4.0 * x[1], 0.0], [4.0, 0.0, -2.0 * x[2]]])

    def _cons_hess(self, x, y):
        return np.diag([0.0, -4.0 * y[0], -2.0 * y[1]])


class HS77(_SinCons):
    r"""HS77 (5/2): ``(x1-1)^2 + (x1-x2)^2 + (x3-1)^2 + (x4-1)^4 + (x5-1)^6``
    s.t. ``x1^2 x4 + sin(x4 - x5) - 2 sqrt(2) = 0,  x2 + x3^4 x4^2 - 8 - sqrt(2) = 0``;
    f* = 0.24150513."""
    n_default, m_eq = 5, 2
    x0_default = (2.0, 2.0, 2.0, 2.0, 2.0)
    f_opt, x_opt = 0.24150513, (1.166172, 1.182111, 1.380257, 1.506036, 0.610920)
    _rhs = (2.0 * _S2, 8.0 + _S2)
    _objective = _PowerSum(5, _terms(({1: 1.0}, 1.0, 2)) + _HS46_OBJ)


class HS78(HSProblem):
    r"""HS78 (5/3): ``x1 x2 x3 x4 x5``
    s.t. ``sum x_i^2 - 10 = 0,  x2 x3 - 5 x4 x5 = 0,  x1^3 + x2^3 + 1 = 0``; f* = -2.91970041."""
    n_default, m_eq = 5, 3
    x0_default = (-2.0, 1.5, 2.0, -1.0, -1.0)
    f_opt, x_opt = -2.91970041, (-1.717144, 1.595710, 1.827246, -0.763643, -0.763643)

    def _fun(self, x):
        return float(np.prod(x))

    def _grad(self, x):
        return _prod_grad(np.asarray(x, dtype=float))

    def _hess(self, x):
        return _prod_hess(np.asarray(x, dtype=float))

    def _cons_eq(self, x):
        return np.array([float(x @ x) - 10.0, x[1] * x[2] - 5.0 * x[3] * x[4], x[0] ** 3 + x[1] ** 3 + 1.0])

    def _jac_eq(self, x):
        return np.array([2.0 * x,
                         [0.0, x[2], x[1], -5.0 * x[4], -5.0 * x[3]],
                         [3.0 * x[0] ** 2, 3.0 * x[1] ** 2, 0.0, 0.0, 0.0]])

    def _cons_hess(self, x, y):
        H = 2.0 * y[0] * np.eye(5)
        H[1, 2] = H[2, 1] = y[1]
        H[3, 4] = H[4, 3] = -5.0 * y[1]
        H[0, 0] += 6.0 * x[0] * y[2]
        H[1, 1] += 6.0 * x[1] * y[2]
        return H


class HS79(_HS47Cons):
    r"""HS79 (5/3): ``(x1-1)^2 + (x1-x2)^2 + (x2-x3)^2 + (x3-x4)^4 + (x4-x5)^4``
    s.t. ``x1 + x2^2 + x3^3 - 2 - 3 sqrt(2) = 0,  x2 - x3^2 + x4 + 2 - 2 sqrt(2) = 0,  x1 x5 - 2 = 0``;
    f* = 0.0787768209."""
    n_default, m_eq = 5, 3
    x0_default = (2.0, 2.0, 2.0, 2.0, 2.0)
    f_opt, x_opt = 0.0787768209, (1.191127, 1.362603, 1.472818, 1.635017, 1.679081)
    _rhs = (2.0 + 3.0 * _S2, -2.0 + 2.0 * _S2, 2.0)
    _objective = _PowerSum(5, _terms(({1: 1.0}, 1.0, 2), ({1: 1.0, 2: -1.0}, 0.0, 2), ({2: 1.0, 3: -1.0}, 0.0, 2),
                                     ({3: 1.0, 4: -1.0}, 0.0, 4), ({4: 1.0, 5: -1.0}, 0.0, 4)))


class GENHS28(HSProblem):
    r"""GENHS28 (N/N-2, linear; default N = 10): ``sum_{i<N} (x_i + x_{i+1})^2``
    s.t. ``x_i + 2 x_{i+1} + 3 x_{i+2} - 1 = 0`` (i = 1..N-2), ``x0 = (-4, 1, ..., 1)``.

    A convex QP: ``f_opt``/``x_opt`` are computed from its KKT system (0.927173694... for
    N = 10). The SIF file's SOLTN "0.0" is wrong.

    Parameters
    ----------
    N : int, optional
        Number of variables, at least 3 (SIF parameter ``N``; default 10).
    """
    citation = ("CUTEst SIF GENHS28 (N. Gould, 1991), a multi-dimensional extension of problem 28 of "
                + _HS1981 + "; optimum from the KKT system (the SIF SOLTN 0.0 is wrong)")

    def __init__(self, N: int = 10, name=None):
        if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 3:
            raise ValueError(f"N must be an integer >= 3, got {N!r}")
        N = int(N)
        self.n_default, self.m_eq = N, N - 2
        self.x0_default = (-4.0,) + (1.0,) * (N - 1)
        self._objective = _PowerSum(N, [({i: 1.0, i + 1: 1.0}, 0.0, 2.0, 1.0) for i in range(N - 1)])
        A = np.zeros((N - 2, N))
        for i in range(N - 2):
            A[i, i:i + 3] = (1.0, 2.0, 3.0)
        self._A, self._b = A, np.ones(N - 2)
        H = self._objective.hess(np.zeros(N))
        K = np.block([[H, A.T], [A, np.zeros((N - 2, N - 2))]])
        sol = np.linalg.solve(K, np.concatenate([np.zeros(N), self._b]))
        self.x_opt = sol[:N]
        self.f_opt = self._objective.value(self.x_opt)
        super().__init__(name=name or ("GENHS28" if N == 10 else f"GENHS28-{N}"))


#: The collection by name (upper case): ``HS6``, ``HS7``, ..., ``GENHS28``.
HS_PROBLEMS: dict[str, type] = {cls.__name__: cls for cls in (
    HS6, HS7, HS8, HS9, HS26, HS27, HS28, HS39, HS40, HS42, HS46, HS47, HS48, HS49, HS50, HS51, HS52,
    HS56, HS61, HS77, HS78, HS79, GENHS28)}


def hs_problem(name: str, **params) -> HSProblem:
    """A built-in Hock-Schittkowski problem by name (case-insensitive), e.g. ``"hs40"``.

    ``params`` go to the constructor (only GENHS28 has one: ``N``).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    cls = HS_PROBLEMS.get(name.strip().upper())
    if cls is None:
        raise ValueError(f"unknown Hock-Schittkowski problem {name!r}; valid names: {', '.join(HS_PROBLEMS)}")
    return cls(**params)
