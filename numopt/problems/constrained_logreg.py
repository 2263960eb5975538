r"""Logistic regression with random linear equalities and a unit-norm constraint.

The test problem of the exact augmented Lagrangian paper (Hong, Na, Mahoney, Kolar 2023):

.. math::

    \min_x \; \frac1N \sum_{i=1}^N \log\bigl(1 + e^{-y_i a_i^\top x}\bigr)
    \quad\text{s.t.}\quad A x - b = 0,\quad \|x\|_2^2 - 1 = 0,

with ``A`` (``n_linear x d``) and ``b`` drawn i.i.d. ``N(0, 1)`` from a fixed seed, labels
``y_i`` in {-1, +1}, start ``x0 = 1`` and multipliers ``y0 = 1`` (``m = n_linear + 1``).
The constraint rows are ``[A x - b; ||x||^2 - 1]`` in that order, so the Lagrangian Hessian
is ``grad^2 f + 2 y_m I``.

The random draws use numpy's ``default_rng(seed)`` (first ``A``, then ``b``), not the
paper's Julia generator, so instances match the paper in distribution, not bit for bit.
The problem is feasible only if the affine set ``{A x = b}`` meets the unit sphere, i.e.
if its minimum-norm point has norm <= 1; this holds with high probability when ``d`` is
much larger than ``n_linear`` (the paper's data sets have d >= 34) and is checked at
construction (``ValueError`` otherwise).

References
----------
I. Hong, S. Na, M. W. Mahoney and M. Kolar, "Constrained optimization via exact augmented
Lagrangian and randomized iterative sketching", ICML 2023.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_matrix, as_vector
from .constrained import ConstrainedProblem
from .models import LogisticLoss

__all__ = ["ConstrainedLogisticRegression"]


class ConstrainedLogisticRegression(ConstrainedProblem):
    r"""Logistic loss s.t. ``A x = b`` (random) and ``||x||^2 = 1`` (see the module doc).

    Parameters
    ----------
    X : (N, d) array or sparse matrix
        Features.
    y : (N,) array
        Labels in {-1, +1}.
    n_linear : int
        Number of random linear equalities (10 in the paper).
    seed : int or numpy Generator
        Seed of the draws of ``A`` and ``b`` (default 2023, the paper code's seed).
    A, b : arrays, optional
        Use these linear equalities instead of random ones.

    Attributes
    ----------
    A, b : ndarray
        The linear equalities.
    y0 : ndarray
        The paper's starting multipliers (all ones).
    min_norm : float
        Norm of the minimum-norm point of ``{A x = b}`` (< 1 for a feasible instance).
    """

    oracles = ConstrainedProblem.oracles | {"hess"}

    def __init__(self, X, y, n_linear: int = 10, seed=2023, A=None, b=None, x0=None, name=None):
        self.loss = LogisticLoss(X, y)
        d = self.loss.n
        if A is None:
            if isinstance(n_linear, bool) or not isinstance(n_linear, (int, np.integer)) or n_linear < 0:
                raise ValueError(f"n_linear must be a non-negative integer, got {n_linear!r}")
            rng = np.random.default_rng(seed)
            A = rng.standard_normal((int(n_linear), d))
            b = rng.standard_normal(int(n_linear)) if b is None else b
        A = np.asarray(as_matrix(A, "A"), dtype=float)
        if A.shape[1] != d:
            raise ValueError(f"A must have {d} columns (the number of features), got shape {A.shape}")
        self.A = A
        self.b = as_vector(b, "b", size=A.shape[0])
        if A.shape[0]:
            xmin = np.linalg.lstsq(A, self.b, rcond=None)[0]
            if np.linalg.norm(A @ xmin - self.b) > 1e-8 * (1.0 + np.linalg.norm(self.b)):
                raise ValueError("the linear equalities A x = b are inconsistent")
        else:
            xmin = np.zeros(d)
        self.min_norm = float(np.linalg.norm(xmin))
        if self.min_norm > 1.0:
            raise ValueError(f"infeasible instance: the closest point of {{A x = b}} has norm {self.min_norm:.3g} > 1 "
                             f"(d = {d} features, {A.shape[0]} random equalities); use more features, fewer "
                             f"equalities or another seed")
        super().__init__(d, np.ones(d) if x0 is None else x0, name or "ConstrainedLogisticRegression")
        self.m_eq = A.shape[0] + 1
        self.y0 = np.ones(self.m_eq)
        self.counts = self.loss.counts

    # objective: the shared logistic-loss template (uncounted internals; counting is ours)
    def _fun(self, x):
        return self.loss._fun(x)

    def _grad(self, x):
        return self.loss._grad(x)

    def _fun_and_grad(self, x):
        return self.loss._fun_and_grad(x)

    def _hessp(self, x, p):
        return self.loss._hessp(x, p)

    def _hess(self, x):
        return self.loss._hess(x)

    # constraints
    def _cons_eq(self, x):
        x = np.asarray(x, dtype=float)
        return np.concatenate([self.A @ x - self.b, [float(x @ x) - 1.0]])

    def _jac_eq(self, x):
        x = np.asarray(x, dtype=float)
        return np.vstack([self.A, 2.0 * x[None, :]])

    def _hessp_lag(self, x, y, p):
        return self.loss._hessp(x, p) + 2.0 * y[-1] * np.asarray(p, dtype=float)

    def hess_lag(self, x, y) -> np.ndarray:
        """Dense Hessian of the Lagrangian ``grad^2 f(x) + 2 y_m I``."""
        return self.loss._hess(x) + 2.0 * float(np.asarray(y)[-1]) * np.eye(self.n)
