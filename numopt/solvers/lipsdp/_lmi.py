r"""The one representation of a structured LMI shared by the formulation and the interior-point method.

.. math::
    S(y) = C_0 + \sum_t c_t\, y_{j(t)}\, \mathrm{sym}(\varphi_{p(t)} \varphi_{q(t)}^T),
    \qquad \mathrm{sym}(a b^T) = (a b^T + b a^T)/2,

with ``varphi_p`` the rows of the sparse feature matrix ``Phi`` and bounds ``lb <= y <= ub``.
:class:`._formulation.Formulation` (the LipSDP LMI of a network) and :class:`._ipm.LMIProgram`
(an LMI with a linear objective, e.g. a phase I) both extend :class:`LMIData`.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

__all__ = ["LMIData", "cholesky"]


@dataclass
class LMIData:
    """``S(y) = C0 + sum_t coef_t y[var_t] sym(Phi[P_t] Phi[Q_t]^T)`` with ``lb <= y <= ub``."""

    Phi: sp.csr_matrix
    P: np.ndarray
    Q: np.ndarray
    coef: np.ndarray
    var: np.ndarray
    C0: np.ndarray
    lb: np.ndarray
    ub: np.ndarray

    @property
    def n(self) -> int:
        """The size of the LMI."""
        return self.C0.shape[0]

    @property
    def m(self) -> int:
        """The number of scalar variables (``y[0]`` is the objective's variable)."""
        return self.lb.size

    @cached_property
    def agg(self) -> sp.csr_matrix:
        """``C`` (terms x variables) with ``coef_t`` at ``(t, var_t)``: term sums to variable sums."""
        T = self.P.size
        return sp.csr_matrix((self.coef, (np.arange(T), self.var)), shape=(T, self.m))

    @cached_property
    def _halves(self):
        return self.Phi[self.P].T.tocsr(), self.Phi[self.Q].tocsr()

    def matrix(self, y, constant: bool = True) -> np.ndarray:
        """``S(y)`` as a dense symmetric matrix; without ``C0`` when ``constant`` is false (then it
        is linear in ``y``)."""
        if self.P.size == 0:
            return self.C0.copy() if constant else np.zeros_like(self.C0)
        PT, Qm = self._halves
        w = self.coef * np.asarray(y, dtype=float)[self.var]
        half = PT @ sp.diags(w) @ Qm
        half = half.toarray() if sp.issparse(half) else np.asarray(half)
        out = 0.5 * (half + half.T)
        return out + self.C0 if constant else out


def cholesky(A, shift: float = 0.0, check_finite: bool = False):
    """The lower Cholesky factor of ``A - shift I``, or ``None`` when it is not (numerically) positive
    definite or, with ``check_finite``, not finite."""
    if A.shape[0] == 0:
        return np.zeros((0, 0))
    try:
        return sla.cholesky(A - shift * np.eye(A.shape[0]) if shift else A, lower=True, check_finite=check_finite)
    except (np.linalg.LinAlgError, ValueError):
        return None
