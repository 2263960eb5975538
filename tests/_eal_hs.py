"""Small equality-constrained Hock-Schittkowski problems (CUTEst forms) for the eal tests.

Only ``f`` and ``c`` are written by hand (from the CUTEst SIF files of the HS collection);
first derivatives are complex-step derivatives (exact to rounding) and Lagrangian
Hessian-vector products are central differences of the complex-step gradient, so the
problems are independent of any hand-coded derivative. ``numopt.problems.hs`` (the
benchmark collection) is the project's real source; these exist so the tests run without it.
"""
from __future__ import annotations

import numpy as np

from numopt.problems import ConstrainedProblem

S2 = np.sqrt(2.0)


def _cs_jac(fun, x):
    """Complex-step Jacobian of a vector function (rows: outputs)."""
    h = 1e-30
    cols = []
    for i in range(x.size):
        xc = x.astype(complex)
        xc[i] += 1j * h
        cols.append(np.atleast_1d(fun(xc)).imag / h)
    return np.array(cols).T


class LocalHS(ConstrainedProblem):
    """``min f(x) s.t. c(x) = 0`` from two plain functions (``f``, ``c`` accept complex input)."""

    def __init__(self, name, f, c, x0, f_opt):
        x0 = np.asarray(x0, dtype=float)
        super().__init__(x0.size, x0, name)
        self._f, self._c, self.f_opt = f, c, f_opt
        self.m_eq = int(np.atleast_1d(c(x0)).size)

    def _fun(self, x):
        return float(np.real(self._f(np.asarray(x, dtype=float))))

    def _grad(self, x):
        return _cs_jac(lambda z: np.atleast_1d(self._f(z)), np.asarray(x, dtype=float))[0]

    def _cons_eq(self, x):
        return np.real(np.atleast_1d(self._c(np.asarray(x, dtype=float)))).astype(float)

    def _jac_eq(self, x):
        return _cs_jac(lambda z: np.atleast_1d(self._c(z)), np.asarray(x, dtype=float))

    def _hessp_lag(self, x, y, p):
        x, p = np.asarray(x, dtype=float), np.asarray(p, dtype=float)
        pn = np.linalg.norm(p)
        if pn == 0.0:
            return np.zeros(self.n)
        h = 1e-5 * max(1.0, np.linalg.norm(x)) / pn

        def gl(z):
            return self._grad(z) + self._jac_eq(z).T @ y
        return (gl(x + h * p) - gl(x - h * p)) / (2.0 * h)


def _a(*v):
    return np.array(v)


_DEFS = {
    "HS6": (lambda x: (1 - x[0]) ** 2, lambda x: _a(10 * (x[1] - x[0] ** 2)), [-1.2, 1.0], 0.0),
    "HS7": (lambda x: np.log(1 + x[0] ** 2) - x[1], lambda x: _a((1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4),
            [2.0, 2.0], -np.sqrt(3.0)),
    "HS28": (lambda x: (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2, lambda x: _a(x[0] + 2 * x[1] + 3 * x[2] - 1),
             [-4.0, 1.0, 1.0], 0.0),
    "HS40": (lambda x: -x[0] * x[1] * x[2] * x[3],
             lambda x: _a(x[0] ** 3 + x[1] ** 2 - 1, x[0] ** 2 * x[3] - x[2], x[3] ** 2 - x[1]),
             [0.8] * 4, -0.25),
    "HS42": (lambda x: (x[0] - 1) ** 2 + (x[1] - 2) ** 2 + (x[2] - 3) ** 2 + (x[3] - 4) ** 2,
             lambda x: _a(x[0] - 2, x[2] ** 2 + x[3] ** 2 - 2), [1.0] * 4, 28 - 10 * S2),
    "HS47": (lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 3 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 4,
             lambda x: _a(x[0] + x[1] ** 2 + x[2] ** 3 - 3, x[1] - x[2] ** 2 + x[3] - 1, x[0] * x[4] - 1),
             [2.0, S2, -1.0, 2 - S2, 0.5], 0.0),
    "HS48": (lambda x: (x[0] - 1) ** 2 + (x[1] - x[2]) ** 2 + (x[3] - x[4]) ** 2,
             lambda x: _a(x[0] + x[1] + x[2] + x[3] + x[4] - 5, x[2] - 2 * (x[3] + x[4]) + 3),
             [3.0, 5.0, -3.0, 2.0, -2.0], 0.0),
    "HS50": (lambda x: (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 2 + (x[2] - x[3]) ** 4 + (x[3] - x[4]) ** 2,
             lambda x: _a(x[0] + 2 * x[1] + 3 * x[2] - 6, x[1] + 2 * x[2] + 3 * x[3] - 6,
                          x[2] + 2 * x[3] + 3 * x[4] - 6),
             [35.0, -31.0, 11.0, 5.0, -5.0], 0.0),
    "HS51": (lambda x: (x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2,
             lambda x: _a(x[0] + 3 * x[1] - 4, x[2] + x[3] - 2 * x[4], x[1] - x[4]),
             [2.5, 0.5, 2.0, -1.0, 0.5], 0.0),
    "HS52": (lambda x: (4 * x[0] - x[1]) ** 2 + (x[1] + x[2] - 2) ** 2 + (x[3] - 1) ** 2 + (x[4] - 1) ** 2,
             lambda x: _a(x[0] + 3 * x[1], x[2] + x[3] - 2 * x[4], x[1] - x[4]), [2.0] * 5, 1859 / 349),
    "HS56": (lambda x: -x[0] * x[1] * x[2],
             lambda x: _a(x[0] - 4.2 * np.sin(x[3]) ** 2, x[1] - 4.2 * np.sin(x[4]) ** 2,
                          x[2] - 4.2 * np.sin(x[5]) ** 2, x[0] + 2 * x[1] + 2 * x[2] - 7.2 * np.sin(x[6]) ** 2),
             [1.0, 1.0, 1.0, 0.50973968, 0.50973968, 0.50973968, 0.98511078], -3.456),
    "HS61": (lambda x: 4 * x[0] ** 2 + 2 * x[1] ** 2 + 2 * x[2] ** 2 - 33 * x[0] + 16 * x[1] - 24 * x[2],
             lambda x: _a(3 * x[0] - 2 * x[1] ** 2 - 7, 4 * x[0] - x[2] ** 2 - 11), [0.0] * 3, -143.646142),
    "HS77": (lambda x: (x[0] - 1) ** 2 + (x[0] - x[1]) ** 2 + (x[2] - 1) ** 2 + (x[3] - 1) ** 4 + (x[4] - 1) ** 6,
             lambda x: _a(x[0] ** 2 * x[3] + np.sin(x[3] - x[4]) - 2 * S2, x[1] + x[2] ** 4 * x[3] ** 2 - 8 - S2),
             [2.0] * 5, 0.24150513),
    "HS78": (lambda x: x[0] * x[1] * x[2] * x[3] * x[4],
             lambda x: _a(x[0] ** 2 + x[1] ** 2 + x[2] ** 2 + x[3] ** 2 + x[4] ** 2 - 10,
                          x[1] * x[2] - 5 * x[3] * x[4], x[0] ** 3 + x[1] ** 3 + 1),
             [-2.0, 1.5, 2.0, -1.0, -1.0], -2.91970041),
    "HS79": (lambda x: (x[0] - 1) ** 2 + (x[0] - x[1]) ** 2 + (x[1] - x[2]) ** 2 + (x[2] - x[3]) ** 4
             + (x[3] - x[4]) ** 4,
             lambda x: _a(x[0] + x[1] ** 2 + x[2] ** 3 - 2 - 3 * S2, x[1] - x[2] ** 2 + x[3] + 2 - 2 * S2,
                          x[0] * x[4] - 2),
             [2.0] * 5, 0.0787768209),
    # HS100 with its two equality constraints only (CUTEst HS100LNP)
    "HS100LNP": (lambda x: (x[0] - 10) ** 2 + 5 * (x[1] - 12) ** 2 + x[2] ** 4 + 3 * (x[3] - 11) ** 2
                 + 10 * x[4] ** 6 + 7 * x[5] ** 2 + x[6] ** 4 - 4 * x[5] * x[6] - 10 * x[5] - 8 * x[6],
                 lambda x: _a(2 * x[0] ** 2 + 3 * x[1] ** 4 + x[2] + 4 * x[3] ** 2 + 5 * x[4] - 127,
                              -4 * x[0] ** 2 - x[1] ** 2 + 3 * x[0] * x[1] - 2 * x[2] ** 2 - 5 * x[5] + 11 * x[6]),
                 [1.0, 2.0, 0.0, 4.0, 0.0, 1.0, 1.0], 680.630057374),
}


def local_hs(name: str) -> LocalHS:
    f, c, x0, fopt = _DEFS[name]
    return LocalHS(name, f, c, x0, fopt)


NAMES = sorted(_DEFS, key=lambda s: int("".join(ch for ch in s if ch.isdigit())))
