"""Softmax (multi-class logistic) regression: the shared template and method="bcd" on it."""
import warnings

import numpy as np
import pytest

import numopt
from numopt.problems import SoftmaxLoss, SoftmaxRegression


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((90, 6))
    W = rng.standard_normal((6, 4))
    y = np.array(["a", "b", "c", "d"])[np.argmax(X @ W + 0.5 * rng.standard_normal((90, 4)), axis=1)]
    return X, y


def test_softmax_loss_derivatives(data):
    X, y = data
    S = SoftmaxLoss(X, y, l2=0.1)
    assert S.K == 4 and S.n == 24
    w = np.random.default_rng(1).standard_normal(24)
    eps = 1e-6
    fd = np.array([(S.fun(w + eps * e) - S.fun(w - eps * e)) / (2 * eps) for e in np.eye(24)])
    np.testing.assert_allclose(S.grad(w), fd, atol=1e-8)
    v = np.random.default_rng(2).standard_normal(24)
    hv = (S.grad(w + eps * v) - S.grad(w - eps * v)) / (2 * eps)
    np.testing.assert_allclose(S.hessp(w, v), hv, atol=1e-7)
    # Boehning's bound dominates the coordinate curvature
    H = np.array([S.hessp(w, e) for e in np.eye(24)])
    assert np.all(np.diag(H) <= S.coordinate_lipschitz() + 1e-12)


def test_bcd_softmax_l2_matches_sklearn(data):
    from sklearn.linear_model import LogisticRegression as SkLR
    X, y = data
    N, C = X.shape[0], 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLR(C=C, fit_intercept=False, tol=1e-12, max_iter=10000).fit(X, y)
    ref = sk.coef_.T.ravel()                      # W (features x classes), row-major
    P = SoftmaxRegression(X, y, penalty="l2", alpha=1.0 / (C * N))
    for opts in [dict(rule="cyclic"), dict(rule="gsl", block_size=4), dict(rule="gsq", block_size=4, update="hb"),
                 dict(rule="gsd", partition="variable", block_size=6, update="newton"),
                 dict(rule="random", update="la", block_size=4, rng=0)]:
        r = numopt.minimize(P, np.zeros(P.n), method="bcd", options=dict(**opts, gtol=1e-10, maxiter=20000))
        assert r.success, opts
        np.testing.assert_allclose(r.x, ref, atol=1e-6, err_msg=str(opts))
        assert abs(r.fun - P.fun(ref)) <= 1e-10 * P.fun(ref)


def test_bcd_softmax_l1_matches_fista(data):
    X, y = data
    P = SoftmaxRegression(X, y, penalty="l1", alpha=0.02)
    ref = numopt.minimize(P, np.zeros(P.n), method="prox-grad", options=dict(gtol=1e-11, maxiter=100000))
    for opts in [dict(rule="gsl", update="newton", block_size=4), dict(rule="cyclic", working_set=5)]:
        r = numopt.minimize(P, np.zeros(P.n), method="bcd", options=dict(**opts, gtol=1e-10, maxiter=20000))
        assert r.success
        # the L1 softmax minimiser need not be unique (shifts across classes); the value is
        assert abs(r.fun - ref.fun) <= 1e-9 * ref.fun
        assert r.optimality <= 1e-10


def test_newton_on_separable_softmax_stays_finite():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 3))
    y = np.argmax(X @ rng.standard_normal((3, 3)), axis=1)      # separable: no minimiser
    P = SoftmaxRegression(X, y, penalty="none")
    r = numopt.minimize(P, np.zeros(P.n), method="bcd",
                        options=dict(rule="gsl", partition="variable", block_size=9, update="newton", maxiter=30))
    assert r.status == numopt.result.Status.MAXITER or r.success
    assert np.all(np.isfinite(r.x)) and r.fun < P.fun(np.zeros(P.n))
