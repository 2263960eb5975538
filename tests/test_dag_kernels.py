"""DAG-family numba kernels on tiny arrays, against independent numpy/scikit-learn fits
(re-run by CI with NUMOPT_DISABLE_JIT=1)."""
import numpy as np
import pytest

from numopt.solvers.dag import _kernels as K

pytestmark = pytest.mark.kernels


def _data(n=200, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) @ (np.eye(d) + 0.5 * np.triu(rng.standard_normal((d, d)), 1))
    return X - X.mean(0)


def _lstsq_order(X, order, lam2=0.0):
    """Per-order ridge/OLS by numpy's least squares on the predecessors (independent of the Gram)."""
    n, d = X.shape
    W = np.zeros((d, d))
    for p in range(1, d):
        S, k = order[:p], order[p]
        A = np.vstack([X[:, S], np.sqrt(n * lam2) * np.eye(p)])
        y = np.concatenate([X[:, k], np.zeros(p)])
        W[S, k] = np.linalg.lstsq(A, y, rcond=None)[0]
    return W


def _score(X, W, lam1=0.0, lam2=0.0):
    n = X.shape[0]
    return 0.5 / n * np.sum((X - X @ W) ** 2) + lam1 * np.abs(W).sum() + 0.5 * lam2 * np.sum(W * W)


@pytest.mark.parametrize("lam2", [0.0, 0.3])
def test_cholesky_along_the_order_matches_least_squares(lam2):
    X = _data()
    n, d = X.shape
    order = np.array([3, 0, 5, 1, 4, 2])
    Ms = X.T @ X / n + lam2 * np.eye(d)
    L = np.zeros((d, d))
    assert K.chol_order(Ms, order, L) == -1
    assert np.allclose(L @ L.T, Ms[np.ix_(order, order)], atol=1e-13)
    W = np.zeros((d, d))
    K.chol_weights(L, order, W)
    Wref = _lstsq_order(X, order, lam2)
    assert np.allclose(W, Wref, atol=1e-10)
    # column losses (L_pp^2 - lam2) / 2 sum to the score
    assert np.isclose(0.5 * np.sum(np.diag(L) ** 2 - lam2), _score(X, Wref, 0.0, lam2), rtol=1e-12)


def test_cholesky_reports_a_singular_gram_matrix():
    X = _data()
    X = np.column_stack([X, X[:, 0] + X[:, 1]])       # collinear column
    d = X.shape[1]
    L = np.zeros((d, d))
    bad = K.chol_order(X.T @ X / X.shape[0], np.arange(d), L)
    assert bad == d - 1


def test_swap_deltas_equal_full_refits():
    X = _data(d=7, seed=1)
    n, d = X.shape
    Ms = X.T @ X / n
    order = np.random.default_rng(2).permutation(d)
    pos = np.argsort(order)
    L = np.zeros((d, d))
    K.chol_order(Ms, order, L)
    base = _score(X, _lstsq_order(X, order))
    ci, cj = [], []
    for i in range(d):
        for j in range(d):
            if pos[i] > pos[j]:
                ci.append(i)
                cj.append(j)
    ci, cj = np.array(ci), np.array(cj)
    out = np.empty(ci.size)
    K.chol_swap_deltas(Ms, L, order, pos, ci, cj, out)
    for t in range(ci.size):
        new = order.copy()
        a, b = pos[cj[t]], pos[ci[t]]
        new[a], new[b] = ci[t], cj[t]
        assert np.isclose(out[t], _score(X, _lstsq_order(X, new)) - base, atol=1e-11), t


def test_lasso_column_matches_scikit_learn():
    from sklearn.linear_model import Lasso
    X = _data(d=6, seed=3)
    n = X.shape[0]
    par = np.array([0, 2, 4, 5])
    for alpha in (0.01, 0.2):
        w = np.zeros(par.size)
        val, ok = K.lasso_cd(X.T @ X / n, 1, par, w, alpha, 1e-12, 10000)
        ref = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100000).fit(X[:, par], X[:, 1]).coef_
        assert ok and np.allclose(w, ref, atol=1e-8)
        r = X[:, 1] - X[:, par] @ w
        assert np.isclose(val, 0.5 / n * r @ r + alpha * np.abs(w).sum(), rtol=1e-10)


def test_lasso_swap_deltas_equal_refits():
    X = _data(d=5, seed=4)
    n, d = X.shape
    Ms = X.T @ X / n
    lam1 = 0.05
    order = np.arange(d)
    W = np.zeros((d, d))
    cc = np.zeros(d)
    for p in range(d):
        w = np.zeros(p)
        cc[order[p]], ok = K.lasso_cd(Ms, order[p], order[:p].copy(), w, lam1, 1e-12, 10000)
        W[order[:p], order[p]] = w
    ci, cj = np.array([3, 4, 2]), np.array([1, 0, 1])
    out = np.empty(3)
    assert K.lasso_swap_deltas(Ms, order, np.argsort(order), W, cc, ci, cj, lam1, 1e-12, 10000, out) == 0
    for t in range(3):
        new = order.copy()
        new[cj[t]], new[ci[t]] = ci[t], cj[t]
        tot = 0.0
        for p in range(d):
            w = np.zeros(p)
            tot += K.lasso_cd(Ms, new[p], new[:p].copy(), w, lam1, 1e-12, 10000)[0]
        assert np.isclose(out[t], tot - cc.sum(), atol=1e-9)


@pytest.mark.parametrize("lam1,lam2", [(0.0, 0.02), (0.01, 0.0)])
def test_logistic_column_matches_scikit_learn(lam1, lam2):
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(5)
    n = 400
    X = (rng.random((n, 4)) < 0.5).astype(float)
    X[:, 0] = (rng.random(n) < 1 / (1 + np.exp(-(X[:, 1:] @ np.array([1.5, -1.0, 0.5]) - 0.5)))).astype(float)
    par = np.array([1, 2, 3])
    w = np.zeros(3)
    val, ok = K.logistic_fit(X, 0, par, w, lam1, lam2, 1e-10, 200)
    assert ok
    if lam1 == 0:
        m = LogisticRegression(C=1 / (lam2 * n), fit_intercept=False, tol=1e-12, max_iter=10000)
    else:
        m = LogisticRegression(C=1 / (lam1 * n), l1_ratio=1.0, solver="liblinear",
                               fit_intercept=False, tol=1e-12, max_iter=10000)
    ref = m.fit(X[:, par], X[:, 0]).coef_[0]
    assert np.allclose(w, ref, atol=2e-5)
    eta = X[:, par] @ w
    f = np.mean(np.logaddexp(0, eta) - X[:, 0] * eta) + lam1 * np.abs(w).sum() + 0.5 * lam2 * w @ w
    assert np.isclose(val, f, rtol=1e-12)
