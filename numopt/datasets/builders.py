r"""Problem builders on LIBSVM data: regularized logistic regression, lasso, least squares,
and the constrained logistic regression of the exact augmented Lagrangian paper.

Every model is one of numopt's shared templates (:mod:`numopt.problems.models`) or
:class:`~numopt.problems.constrained_logreg.ConstrainedLogisticRegression`; this module only
reads the data and picks the regularization.
"""
from __future__ import annotations

import numpy as np

from ..problems.constrained_logreg import ConstrainedLogisticRegression
from ..problems.models import Lasso, LeastSquares, LogisticRegression
from .libsvm import load_libsvm

__all__ = ["libsvm_problem", "MODELS", "alpha_max"]

MODELS = ("logreg-l2", "logreg-l1", "lasso", "least-squares", "constrained-logreg")


def alpha_max(X, y, model: str) -> float:
    r"""Smallest ``alpha`` for which ``w = 0`` is optimal (``l1`` models).

    ``lasso``: ``||X^T y||_inf / N``; ``logreg-l1``: ``||X^T y||_inf / (2N)`` (the logistic
    loss has gradient ``-X^T y / (2N)`` at 0 for labels in {-1, +1}).
    """
    g = np.abs(np.asarray(X.T @ y)).ravel()
    scale = {"lasso": 1.0, "logreg-l1": 0.5}[model]
    return scale * float(np.max(g, initial=0.0)) / X.shape[0]


def libsvm_problem(name, model: str, alpha: float | None = None, *, n_features: int | None = None, **kw):
    """A numopt problem on a LIBSVM data set.

    Parameters
    ----------
    name : str or path
        Data set (see :func:`~numopt.datasets.load_libsvm`).
    model : {"logreg-l2", "logreg-l1", "lasso", "least-squares", "constrained-logreg"}
        * ``logreg-l2``: ``1/N sum log(1 + exp(-y_i x_i^T w)) + alpha/2 ||w||^2``
          (default ``alpha = 1/N``, scikit-learn's ``C = 1``);
        * ``logreg-l1``: the same loss ``+ alpha ||w||_1`` (default ``alpha_max / 10``);
        * ``lasso``: ``1/(2N) ||X w - y||^2 + alpha ||w||_1`` (default ``alpha_max / 10``);
        * ``least-squares``: ``1/(2N) ||X w - y||^2`` (no ``alpha``);
        * ``constrained-logreg``: the logistic loss s.t. 10 random linear equalities and
          ``||w||^2 = 1`` (keywords ``n_linear``, ``seed`` go to
          :class:`~numopt.problems.constrained_logreg.ConstrainedLogisticRegression`).
    alpha : float, optional
        Regularization weight (see above).
    n_features : int, optional
        Passed to the reader.

    Returns
    -------
    Problem
        Named ``"<data set>:<model>"``.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(map(repr, MODELS))}, got {model!r}")
    if kw and model != "constrained-logreg":
        raise TypeError(f"unexpected keyword argument(s) {sorted(kw)} for model {model!r}")
    if alpha is not None and model in ("least-squares", "constrained-logreg"):
        raise ValueError(f"model {model!r} takes no alpha, got alpha={alpha!r}")
    X, y = load_libsvm(name, n_features=n_features)
    label = f"{getattr(name, 'name', None) or str(name).rsplit('/', 1)[-1]}:{model}"
    if model == "logreg-l2":
        return LogisticRegression(X, y, penalty="l2", alpha=1.0 / X.shape[0] if alpha is None else alpha, name=label)
    if model == "logreg-l1":
        a = 0.1 * alpha_max(X, y, model) if alpha is None else alpha
        return LogisticRegression(X, y, penalty="l1", alpha=a, name=label)
    if model == "lasso":
        return Lasso(X, y, 0.1 * alpha_max(X, y, model) if alpha is None else alpha, name=label)
    if model == "least-squares":
        return LeastSquares(X, y, x0=np.zeros(X.shape[1]), name=label)
    return ConstrainedLogisticRegression(X, y, name=label, **kw)
