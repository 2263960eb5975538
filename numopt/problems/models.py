r"""Model templates shared by every family: least squares, lasso, elastic net, logistic
regression and convex QPs. Dense ``ndarray`` or ``scipy.sparse`` data.

Scalings follow scikit-learn, so objectives are comparable with its estimators:

* ``LeastSquares``:   ``f(w) = 1/(2N) ||X w - y||^2``
* ``Lasso``:          ``f(w) + alpha ||w||_1``
* ``ElasticNet``:     ``f(w) + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio)/2 ||w||^2``
* ``LogisticRegression``: ``1/N sum log(1 + exp(-y_i x_i^T w)) + penalty`` with labels in {-1, +1}
* ``SoftmaxRegression``: ``1/N sum [logsumexp(x_i^T W) - x_i^T w_{y_i}] + penalty``, ``K`` classes
* ``QP``:             ``1/2 x^T P x + q^T x  s.t.  l <= A x <= u`` (OSQP's form)
* ``TotalVariation1D``: ``1/2 ||x - b||^2 + lam sum_i |x_{i+1} - x_i|``
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import as_matrix, as_scalar, as_vector
from ..linalg import col_sq_norms, spectral_norm_sq
from .base import Problem
from .composite import CompositeProblem
from .constrained import ConstrainedProblem
from .finite_sum import FiniteSum
from .prox import L1, ElasticNet as ElasticNetProx, Zero

__all__ = ["LeastSquares", "Lasso", "ElasticNet", "LogisticLoss", "LogisticRegression", "SoftmaxLoss",
           "SoftmaxRegression", "QP", "TotalVariation1D"]


def _design(X):
    """The design matrix ``X``: :func:`as_matrix`, with at least one sample and one feature."""
    X = as_matrix(X, "X")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one sample and one feature, got shape {X.shape}")
    return X


class _Data:
    """Shared data handling for models on a design matrix ``X`` and targets ``y``."""

    def _set_data(self, X, y):
        self.X = _design(X)
        self.y = as_vector(y, "y", size=self.X.shape[0])
        self.n_samples, self.n_features = self.X.shape
        self._L = None

    def lipschitz(self) -> float:
        """A Lipschitz constant of the smooth part's gradient (cached), always ``> 0``.

        An all-zero design with no ridge term gives a constant smooth part, for which every
        ``L > 0`` is a valid constant: 1.0 is returned then (so ``1 / L`` is a finite step),
        and a positive constant below the smallest normal double is raised to it.
        """
        if self._L is None:
            L = self._lipschitz_scale * spectral_norm_sq(self.X) / self.n_samples + self._lipschitz_shift
            self._L = float(L) if L > 0 else 1.0
            self._L = max(self._L, np.finfo(float).tiny)
        return self._L

    def coordinate_lipschitz(self) -> np.ndarray:
        """Per-coordinate Lipschitz constants of the smooth part's gradient."""
        return self._lipschitz_scale * col_sq_norms(self.X) / self.n_samples + self._lipschitz_shift

    _lipschitz_scale = 1.0
    _lipschitz_shift = 0.0


class LeastSquares(_Data, FiniteSum):
    r"""``f(w) = 1/(2N) ||X w - y||^2`` (scikit-learn's scaling)."""

    #: ``"coordinate"``: per-coordinate data (``X``, Lipschitz constants) for coordinate methods.
    oracles = FiniteSum.oracles | {"hess", "coordinate"}

    def __init__(self, X, y, x0=None, name=None):
        self._set_data(X, y)
        super().__init__(self.n_features, x0, name or "LeastSquares")
        self.n_components = self.n_samples

    def _fun(self, w):
        r = self.X @ w - self.y
        return 0.5 * float(r @ r) / self.n_samples

    def _grad(self, w):
        return self.X.T @ (self.X @ w - self.y) / self.n_samples

    def _fun_and_grad(self, w):
        r = self.X @ w - self.y
        return 0.5 * float(r @ r) / self.n_samples, self.X.T @ r / self.n_samples

    def _hessp(self, w, p):
        return self.X.T @ (self.X @ p) / self.n_samples

    def _hess(self, w):
        H = self.X.T @ self.X / self.n_samples
        return H.toarray() if sp.issparse(H) else H

    def _grad_batch(self, w, idx):
        Xi = self.X[idx]
        return Xi.T @ (Xi @ w - self.y[idx]) / idx.size

    def solution(self) -> np.ndarray:
        """The minimum-norm least-squares solution (a reference for tests)."""
        X = self.X.toarray() if sp.issparse(self.X) else self.X
        return np.linalg.lstsq(X, self.y, rcond=None)[0]


class Lasso(CompositeProblem):
    r"""``1/(2N) ||X w - y||^2 + alpha ||w||_1`` as scikit-learn's ``Lasso`` (no intercept).

    Certificate: the duality gap at the rescaled residual (``duality_gap``).
    """

    def __init__(self, X, y, alpha: float, x0=None, name=None):
        self.alpha = as_scalar(alpha, "alpha", low=0.0)
        ls = LeastSquares(X, y)
        super().__init__(ls, L1(self.alpha), x0=np.zeros(ls.n) if x0 is None else x0, name=name or "Lasso")
        self.X, self.y = ls.X, ls.y

    def duality_gap(self, w) -> float:
        r"""Gap between the primal and the dual at ``u = s (y - X w)``, ``s`` making ``u`` feasible."""
        N = self.smooth.n_samples
        lam = N * self.alpha
        r = self.y - self.X @ w
        dn = float(np.max(np.abs(self.X.T @ r), initial=0.0))
        if lam == 0.0 and dn > 0.0:
            # alpha = 0 (least squares): the dual needs X^T u = 0 exactly; scaling r by 0 would
            # give u = 0 and a gap equal to the objective. Project r onto null(X^T) instead.
            import scipy.sparse as sp
            if sp.issparse(self.X):
                from scipy.sparse.linalg import lsqr
                c = lsqr(self.X, r, atol=1e-14, btol=1e-14, iter_lim=10 * self.X.shape[1])[0]
            else:
                c = np.linalg.lstsq(self.X, r, rcond=None)[0]
            u = r - self.X @ c
        else:
            s = 1.0 if dn <= lam or dn == 0.0 else lam / dn
            u = s * r
        primal = 0.5 * float(r @ r) + lam * float(np.sum(np.abs(w)))
        dual = 0.5 * float(self.y @ self.y) - 0.5 * float((self.y - u) @ (self.y - u))
        return max(primal - dual, 0.0) / N

    def certificates(self, x) -> dict:
        return {"duality_gap": self.duality_gap(x)}


class ElasticNet(CompositeProblem):
    r"""scikit-learn's ``ElasticNet`` objective (no intercept)."""

    def __init__(self, X, y, alpha: float, l1_ratio: float = 0.5, x0=None, name=None):
        ls = LeastSquares(X, y)
        super().__init__(ls, ElasticNetProx(alpha, l1_ratio), x0=np.zeros(ls.n) if x0 is None else x0,
                         name=name or "ElasticNet")
        self.X, self.y = ls.X, ls.y
        self.alpha, self.l1_ratio = self.prox.alpha, self.prox.l1_ratio


def _log1pexp(z):
    """``log(1 + exp(z))`` without overflow."""
    return np.logaddexp(0.0, z)


def _sigmoid(z):
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


class LogisticLoss(_Data, FiniteSum):
    r"""``1/N sum_i log(1 + exp(-y_i x_i^T w)) + l2/2 ||w||^2`` with ``y_i`` in {-1, +1}."""

    _lipschitz_scale = 0.25
    oracles = FiniteSum.oracles | {"hess", "coordinate"}

    def __init__(self, X, y, l2: float = 0.0, x0=None, name=None):
        self._set_data(X, y)
        labels = np.unique(self.y)
        if not np.all(np.isin(labels, (-1.0, 1.0))):
            raise ValueError(f"y must hold labels -1 and +1, got values {labels[:5].tolist()}"
                             f"{'...' if labels.size > 5 else ''}")
        self.l2 = as_scalar(l2, "alpha", low=0.0)
        self._lipschitz_shift = self.l2
        super().__init__(self.n_features, x0, name or "LogisticLoss")
        self.n_components = self.n_samples

    def _fun(self, w):
        z = self.y * (self.X @ w)
        return float(np.mean(_log1pexp(-z))) + 0.5 * self.l2 * float(w @ w)

    def _grad(self, w):
        return self._fun_and_grad(w)[1]

    def _fun_and_grad(self, w):
        z = self.y * (self.X @ w)
        f = float(np.mean(_log1pexp(-z))) + 0.5 * self.l2 * float(w @ w)
        s = -self.y * _sigmoid(-z)
        return f, self.X.T @ s / self.n_samples + self.l2 * w

    def _hessp(self, w, p):
        z = self.y * (self.X @ w)
        d = _sigmoid(z) * _sigmoid(-z)
        return self.X.T @ (d * (self.X @ p)) / self.n_samples + self.l2 * p

    def _hess(self, w):
        z = self.y * (self.X @ w)
        d = _sigmoid(z) * _sigmoid(-z) / self.n_samples
        X = self.X
        H = X.T @ (X.multiply(d[:, None]) if sp.issparse(X) else X * d[:, None])
        H = H.toarray() if sp.issparse(H) else H
        return H + self.l2 * np.eye(self.n)

    def _grad_batch(self, w, idx):
        Xi, yi = self.X[idx], self.y[idx]
        z = yi * (Xi @ w)
        return Xi.T @ (-yi * _sigmoid(-z)) / idx.size + self.l2 * w


class LogisticRegression(CompositeProblem):
    r"""Regularized logistic regression, labels in {-1, +1}.

    ``penalty``: ``"l2"`` (``alpha/2 ||w||^2``, smooth), ``"l1"`` (``alpha ||w||_1``),
    ``"elasticnet"`` (scikit-learn's parameterization with ``l1_ratio``) or ``"none"``.
    With ``"l2"`` or ``"none"`` the problem is smooth (no ``"nonsmooth"`` structure),
    so smooth solvers (``BFGS``, ...) accept it too. scikit-learn's ``C`` corresponds
    to ``alpha = 1 / (C N)``.
    """

    def __init__(self, X, y, penalty: str = "l2", alpha: float = 1.0, l1_ratio: float = 0.5,
                 x0=None, name=None):
        if penalty not in ("l2", "l1", "elasticnet", "none", None):
            raise ValueError(f"penalty must be 'l2', 'l1', 'elasticnet' or 'none', got {penalty!r}")
        penalty = "none" if penalty is None else penalty
        alpha = as_scalar(alpha, "alpha", low=0.0)
        l2 = {"l2": alpha, "elasticnet": alpha * (1.0 - l1_ratio)}.get(penalty, 0.0)
        loss = LogisticLoss(X, y, l2=l2)
        prox = {"l1": lambda: L1(alpha), "elasticnet": lambda: L1(alpha * l1_ratio)}.get(penalty, Zero)()
        super().__init__(loss, prox, x0=np.zeros(loss.n) if x0 is None else x0,
                         name=name or f"LogisticRegression-{penalty}")
        self.X, self.y, self.penalty, self.alpha = loss.X, loss.y, penalty, alpha

    def duality_gap(self, w) -> float:
        r"""Duality gap of the L1 problem (``penalty="l1"`` only) at the rescaled residual.

        Dual: ``D(theta) = -1/N sum_i H(t_i)``, ``H(t) = t log t + (1 - t) log(1 - t)``, at
        ``t_i = s sigmoid(-y_i x_i^T w)`` with ``s = min(1, alpha / ||grad f(w)||_inf)`` making
        ``theta_i = y_i t_i / N`` dual feasible (``||X^T theta||_inf <= alpha``).
        """
        if self.penalty != "l1":
            raise ValueError(f"duality_gap needs penalty 'l1', got {self.penalty!r}")
        from scipy.special import xlogy
        z = self.y * np.asarray(self.X @ w).ravel()
        sig = _sigmoid(-z)
        g = np.asarray(self.X.T @ (-self.y * sig)).ravel() / self.smooth.n_samples
        dn = float(np.max(np.abs(g), initial=0.0))
        s = 1.0 if dn <= self.alpha or dn == 0.0 else self.alpha / dn
        t = s * sig
        dual = -float(np.mean(xlogy(t, t) + xlogy(1.0 - t, 1.0 - t)))
        primal = float(np.mean(_log1pexp(-z))) + self.alpha * float(np.sum(np.abs(w)))
        return max(primal - dual, 0.0)

    def certificates(self, x) -> dict:
        return {"duality_gap": self.duality_gap(x)} if self.penalty == "l1" else {}


class SoftmaxLoss(_Data, FiniteSum):
    r"""Multinomial logistic loss ``1/N sum_i [logsumexp(x_i^T W) - x_i^T W_{:, y_i}] + l2/2 ||W||^2``.

    The variable is ``W`` (``n_features x K``) flattened row-major: ``w[f K + c] = W[f, c]``.
    Labels may be any values; ``classes`` holds them sorted and class ``c`` is ``classes[c]``.
    The Hessian is bounded by Boehning's ``1/2 (I - 11^T/K) kron X^T X / N`` (Boehning, Ann.
    Inst. Stat. Math. 44 (1992) 197-200), so ``L_{f,c} = (1 - 1/K) ||X_f||^2 / (2N)``.
    """

    oracles = FiniteSum.oracles | {"coordinate"}

    def __init__(self, X, y, l2: float = 0.0, x0=None, name=None):
        self.X = _design(X)
        self.n_samples, self.n_features = self.X.shape
        self._L = None
        self.y = np.asarray(y).ravel()           # labels of any type
        if self.y.shape[0] != self.n_samples:
            raise ValueError(f"y must have length {self.n_samples} (the rows of X), got {self.y.shape[0]}")
        self.classes, codes = np.unique(self.y, return_inverse=True)
        if self.classes.size < 2:
            raise ValueError(f"y must hold at least two classes, got {self.classes.size}")
        self.K = int(self.classes.size)
        self.codes = codes.astype(np.int64)
        self.l2 = as_scalar(l2, "alpha", low=0.0)
        self._lipschitz_scale, self._lipschitz_shift = 0.5 * (1.0 - 1.0 / self.K), self.l2
        super().__init__(self.n_features * self.K, x0, name or "SoftmaxLoss")
        self.n_components = self.n_samples

    def _scores(self, w):
        return np.asarray(self.X @ w.reshape(self.n_features, self.K))

    def _probs(self, Z):
        Z = Z - Z.max(axis=1, keepdims=True)
        E = np.exp(Z)
        return E / E.sum(axis=1, keepdims=True)

    def _fun(self, w):
        Z = self._scores(w)
        mx = Z.max(axis=1)
        lse = mx + np.log(np.exp(Z - mx[:, None]).sum(axis=1))
        return float(np.mean(lse - Z[np.arange(self.n_samples), self.codes])) + 0.5 * self.l2 * float(w @ w)

    def _grad(self, w):
        P = self._probs(self._scores(w))
        P[np.arange(self.n_samples), self.codes] -= 1.0
        return np.asarray(self.X.T @ P).ravel() / self.n_samples + self.l2 * w

    def _hessp(self, w, p):
        P = self._probs(self._scores(w))
        V = self._scores(p)
        R = P * V - P * (P * V).sum(axis=1, keepdims=True)
        return np.asarray(self.X.T @ R).ravel() / self.n_samples + self.l2 * p

    def coordinate_lipschitz(self) -> np.ndarray:
        return np.repeat(super().coordinate_lipschitz(), self.K)

    def predict(self, w) -> np.ndarray:
        """Predicted labels ``classes[argmax_c x_i^T W_{:, c}]``."""
        return self.classes[np.argmax(self._scores(np.asarray(w, dtype=float)), axis=1)]


class SoftmaxRegression(CompositeProblem):
    r"""Multi-class (softmax) logistic regression with penalty ``"l2"`` (``alpha/2 ||W||^2``),
    ``"l1"`` (``alpha ||W||_1``) or ``"none"``; see :class:`SoftmaxLoss` for the layout of ``W``."""

    def __init__(self, X, y, penalty: str = "l2", alpha: float = 1.0, x0=None, name=None):
        if penalty not in ("l2", "l1", "none", None):
            raise ValueError(f"penalty must be 'l2', 'l1' or 'none', got {penalty!r}")
        penalty = "none" if penalty is None else penalty
        alpha = as_scalar(alpha, "alpha", low=0.0)
        loss = SoftmaxLoss(X, y, l2=alpha if penalty == "l2" else 0.0)
        prox = L1(alpha) if penalty == "l1" else Zero()
        super().__init__(loss, prox, x0=np.zeros(loss.n) if x0 is None else x0,
                         name=name or f"SoftmaxRegression-{penalty}")
        self.X, self.y, self.penalty, self.alpha, self.K = loss.X, loss.y, penalty, alpha, loss.K


class QP(ConstrainedProblem):
    r"""Convex quadratic program ``min 1/2 x^T P x + q^T x subject to l <= A x <= u`` (OSQP's form).

    Sparse first: a ``scipy.sparse`` ``P`` or ``A`` is kept sparse (CSC/CSR, never
    densified by the constructor or by the ``admm`` path); dense arrays stay dense.

    Parameters
    ----------
    P : (n, n) array or sparse matrix
        Symmetric positive semidefinite. With ``P_triangle="upper"`` (or ``"lower"``) only
        that triangle is read and the symmetric matrix is completed from it, as OSQP reads
        its ``P`` (OSQP's convention: the upper triangle). Without it, ``P`` must be
        symmetric (checked, ``O(nnz)``). A negative diagonal entry is refused (a cheap
        necessary condition for convexity; full PSD-ness is not checked).
    q : (n,) array
    A : (m, n) array or sparse matrix, optional
        ``None``: no constraints.
    l, u : (m,) arrays or scalars, optional
        Row bounds, ``-inf`` / ``+inf`` allowed (``None``: ``-inf`` / ``+inf``). Rows with
        ``l == u`` are equalities; *free* rows (``l = -inf``, ``u = +inf``) are kept for
        ``admm`` (which gives them OSQP's tiny penalty) and dropped from the constraint
        protocol and :meth:`to_scipy`. ``l = u = +inf`` (or ``-inf``), ``l > u``, NaN and
        wrong lengths raise ``ValueError`` naming the argument.
    x0 : (n,) array, optional
        Default: zero (as OSQP; ``admm`` also takes warm starts through its options).
    """

    def __init__(self, P, q, A=None, l=None, u=None, x0=None, name=None, P_triangle=None):
        P = as_matrix(P, "P")
        n = P.shape[0]
        if P.shape != (n, n):
            raise ValueError(f"P must be square, got shape {P.shape}")
        if P_triangle not in (None, "upper", "lower"):
            raise ValueError(f"P_triangle must be None, 'upper' or 'lower', got {P_triangle!r}")
        if P_triangle is not None:
            P = _complete_triangle(P, P_triangle)
        elif _asymmetry(P) > 1e-10 * (1.0 + _absmax(P)):
            raise ValueError("P must be symmetric (or pass P_triangle='upper' to read only its upper "
                             "triangle, as OSQP does)")
        diag = P.diagonal()
        if np.any(diag < 0):
            i = int(np.flatnonzero(diag < 0)[0])
            raise ValueError(f"P must be positive semidefinite, got a negative diagonal entry P[{i}, {i}] = {diag[i]}")
        self.P = P.tocsc() if sp.issparse(P) else P
        self.q = as_vector(q, "q", size=n)
        if A is None:
            self.A = sp.csr_matrix((0, n))
        else:
            self.A = as_matrix(A, "A")
            if self.A.ndim != 2 or self.A.shape[1] != n:
                raise ValueError(f"A must have {n} columns (the size of q), got shape {self.A.shape}")
        m = self.A.shape[0]
        self.l = _bound(l, "l", m, -np.inf)
        self.u = _bound(u, "u", m, np.inf)
        both = (self.l == self.u) & np.isinf(self.l)
        if np.any(both):
            i = int(np.flatnonzero(both)[0])
            raise ValueError(f"l and u must not be both {self.l[i]} (row {i} can never hold); "
                             "use l = -inf, u = +inf for a free row")
        if np.any(self.l > self.u):
            i = int(np.flatnonzero(self.l > self.u)[0])
            raise ValueError(f"inconsistent bounds: l[{i}] = {self.l[i]} > u[{i}] = {self.u[i]}")
        super().__init__(n, np.zeros(n) if x0 is None else x0, name or "QP")
        self.free = np.isneginf(self.l) & np.isposinf(self.u)
        self._eq = np.flatnonzero(self.l == self.u)
        self._lo = np.flatnonzero((self.l != self.u) & np.isfinite(self.l))
        self._hi = np.flatnonzero((self.l != self.u) & np.isfinite(self.u))
        self.m_eq, self.m_ineq = self._eq.size, self._lo.size + self._hi.size
        self._dense_rows = None

    oracles = ConstrainedProblem.oracles | {"hess", "qp", "splitting"}

    @property
    def m(self) -> int:
        """Number of constraint rows (including free rows)."""
        return self.A.shape[0]

    def _rows(self):
        # built on first use only: the constraint protocol (cons_eq / jac_eq) wants dense
        # Jacobians, ``admm`` never calls it
        if self._dense_rows is None:
            A = self.A
            A_eq = A[self._eq]
            A_in = sp.vstack([A[self._lo], -A[self._hi]]) if sp.issparse(A) else np.vstack([A[self._lo], -A[self._hi]])
            dense = (lambda M: M.toarray()) if sp.issparse(A) else np.asarray
            self._dense_rows = (dense(A_eq), dense(A_in), np.concatenate([self.l[self._lo], -self.u[self._hi]]))
        return self._dense_rows

    # the dense constraint rows of the constraint protocol, by their former attribute names
    # (built on first access, see _rows)
    _A_eq = property(lambda self: self._rows()[0])
    _A_ineq = property(lambda self: self._rows()[1])
    _b_ineq = property(lambda self: self._rows()[2])

    def _fun(self, x):
        return 0.5 * float(x @ (self.P @ x)) + float(self.q @ x)

    def _grad(self, x):
        return self.P @ x + self.q

    def _hessp(self, x, p):
        return self.P @ p

    def _hess(self, x):
        return self.P.toarray() if sp.issparse(self.P) else self.P

    def _hessp_lag(self, x, y, p):
        return self.P @ p

    def _cons_eq(self, x):
        return self._rows()[0] @ x - self.l[self._eq]

    def _jac_eq(self, x):
        return self._rows()[0]

    def _cons_ineq(self, x):
        _, A_in, b_in = self._rows()
        return A_in @ x - b_in

    def _jac_ineq(self, x):
        return self._rows()[1]

    def to_scipy(self) -> dict:
        """``fun/jac/hess`` and a ``LinearConstraint`` of the non-free rows (none if all are free)."""
        from scipy.optimize import LinearConstraint
        kw = {"fun": self.fun, "jac": self.grad, "hess": self.hess}
        keep = np.flatnonzero(~self.free)
        kw["constraints"] = [LinearConstraint(self.A[keep], self.l[keep], self.u[keep])] if keep.size else []
        return kw


def _bound(v, name, m, default):
    if v is None:
        return np.full(m, default)
    arr = np.asarray(v, dtype=float) if not isinstance(v, np.ndarray) else v.astype(float)
    if arr.ndim == 0:
        arr = np.full(m, float(arr))
    if arr.ndim != 1 or arr.shape[0] != m:
        raise ValueError(f"{name} must be a scalar or have length {m} (the rows of A), got shape {arr.shape}")
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} must not contain nan (index {np.flatnonzero(np.isnan(arr))[:5].tolist()})")
    return arr.copy()


def _absmax(M) -> float:
    if sp.issparse(M):
        return float(np.max(np.abs(M.data), initial=0.0))
    return float(np.max(np.abs(M), initial=0.0))


def _asymmetry(M) -> float:
    if sp.issparse(M):
        # same pattern (the usual case): compare the stored values, no sparse subtraction and
        # no scipy transpose (a canonical CSC matrix: its entries in row-major order are those
        # of the transpose in column-major order)
        C = M.tocsc()
        if C.has_canonical_format and C.shape[0] == C.shape[1]:
            n = C.shape[0]
            cols = np.repeat(np.arange(n, dtype=np.int64), np.diff(C.indptr))
            rows = C.indices.astype(np.int64)
            order = np.argsort(rows * n + cols, kind="stable")
            if np.array_equal(rows[order], cols) and np.array_equal(cols[order], rows):
                return float(np.max(np.abs(C.data - C.data[order]), initial=0.0))
        T = M.T.tocsc()
        if not C.has_canonical_format:
            C = C.copy()
            C.sum_duplicates()
        if not T.has_canonical_format:
            T.sum_duplicates()
        if np.array_equal(C.indptr, T.indptr) and np.array_equal(C.indices, T.indices):
            return float(np.max(np.abs(C.data - T.data), initial=0.0))
    return _absmax(M - M.T)


def _complete_triangle(P, which):
    """The symmetric matrix whose upper (lower) triangle is that of ``P``."""
    if sp.issparse(P):
        T = sp.triu(P, format="csc") if which == "upper" else sp.tril(P, format="csc")
        return (T + T.T - sp.diags(T.diagonal())).tocsc()
    T = np.triu(P) if which == "upper" else np.tril(P)
    return T + T.T - np.diag(np.diag(T))


class TotalVariation1D(Problem):
    r"""1-D total-variation denoising ``1/2 ||x - b||^2 + lam sum_i |x_{i+1} - x_i|``.

    A generalized lasso ``1/2 ||x - b||^2 + lam ||D x||_1`` with ``D`` the
    ``(n-1) x n`` first-difference matrix (:meth:`difference_matrix`).
    Reference: Boyd et al. 2011, sec. 6.4.1; Condat, IEEE Signal Process. Lett. 2013.
    """

    structure = frozenset({"nonsmooth"})
    oracles = frozenset({"fun", "tv1d", "splitting"})

    def __init__(self, b, lam: float, x0=None, name=None):
        self.b = as_vector(b, "b")
        if self.b.size < 2:
            raise ValueError(f"b must have at least 2 entries, got {self.b.size}")
        self.lam = as_scalar(lam, "lam", low=0.0)
        super().__init__(self.b.size, self.b.copy() if x0 is None else x0, name or "TotalVariation1D")

    def fun(self, x) -> float:
        self._count("nfev")
        x = np.asarray(x, dtype=float)
        return 0.5 * float(np.sum((x - self.b) ** 2)) + self.lam * float(np.sum(np.abs(np.diff(x))))

    def difference_matrix(self):
        """The sparse first-difference matrix ``D`` (``(Dx)_i = x_{i+1} - x_i``)."""
        n = self.n
        return sp.diags([-np.ones(n - 1), np.ones(n - 1)], [0, 1], shape=(n - 1, n), format="csr")
