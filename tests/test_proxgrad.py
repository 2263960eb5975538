"""prox-grad against scikit-learn and scipy."""
import numpy as np
import pytest

import numopt
from numopt.problems import Lasso, LogisticRegression


def _sk_lasso(X, y, alpha):
    from sklearn.linear_model import Lasso as SkLasso
    return SkLasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=200000).fit(X, y).coef_


@pytest.mark.parametrize("alpha", [0.05, 1.0])
def test_lasso_matches_sklearn_on_diabetes(diabetes, alpha):
    X, y = diabetes
    p = Lasso(X, y, alpha)
    res = numopt.minimize(p, method="prox-grad", tol=1e-10, options={"maxiter": 100000})
    ref = _sk_lasso(X, y, alpha)
    assert res.success
    assert abs(res.fun - p.fun(ref)) <= 1e-8 * p.fun(ref)
    np.testing.assert_array_equal(np.flatnonzero(res.x), np.flatnonzero(ref))
    assert res.duality_gap <= 1e-6 * res.fun


def test_lasso_on_real_libsvm_data(numopt_data):
    from sklearn.datasets import load_svmlight_file
    X, y = load_svmlight_file(str(numopt_data / "libsvm" / "german.numer"), n_features=24)
    X = X.toarray()
    p = Lasso(X, y, 0.01)
    res = numopt.minimize(p, method="fista", tol=1e-10, options={"maxiter": 100000})
    ref = _sk_lasso(X, y, 0.01)
    assert abs(res.fun - p.fun(ref)) <= 1e-8 * p.fun(ref)
    np.testing.assert_array_equal(np.flatnonzero(res.x), np.flatnonzero(ref))


def test_l1_logistic_matches_sklearn(numopt_data):
    from sklearn.datasets import load_svmlight_file
    from sklearn.linear_model import LogisticRegression as SkLR
    X, y = load_svmlight_file(str(numopt_data / "libsvm" / "heart_scale"), n_features=13)
    X = X.toarray()
    alpha = 0.02
    p = LogisticRegression(X, y, penalty="l1", alpha=alpha)
    res = numopt.minimize(p, method="prox-grad", tol=1e-10, options={"maxiter": 100000})
    sk = SkLR(penalty="l1", C=1.0 / (alpha * len(y)), fit_intercept=False, solver="liblinear",
              tol=1e-12, max_iter=100000).fit(X, y)
    ref = sk.coef_.ravel()
    assert res.success
    assert abs(res.fun - p.fun(ref)) <= 1e-8 * p.fun(ref)
    np.testing.assert_array_equal(np.flatnonzero(np.abs(res.x) > 1e-10), np.flatnonzero(np.abs(ref) > 1e-10))


def test_smooth_problem_agrees_with_lbfgs(diabetes):
    X, y = diabetes
    p = LogisticRegression(X, np.sign(y - np.median(y)), penalty="l2", alpha=1e-3)
    ours = numopt.minimize(p, method="prox-grad", tol=1e-10, options={"maxiter": 100000})
    ref = numopt.minimize(p, method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 10000})
    assert ours.success
    assert ours.fun == pytest.approx(ref.fun, rel=1e-10)
    np.testing.assert_allclose(ours.x, ref.x, atol=1e-5)


def test_acceleration_and_restart_pay_off(diabetes):
    X, y = diabetes
    p = Lasso(X, y, 0.05)
    ista = numopt.minimize(p, method="prox-grad", tol=1e-6, options={"accelerated": False, "maxiter": 200000})
    fista = numopt.minimize(p, method="prox-grad", tol=1e-6, options={"restart": "none", "maxiter": 200000})
    restart = numopt.minimize(p, method="prox-grad", tol=1e-6)
    assert ista.success and fista.success and restart.success
    assert restart.nit < fista.nit < ista.nit


def test_history_is_recorded_and_objective_decreases_without_momentum(diabetes):
    X, y = diabetes
    res = numopt.minimize(Lasso(X, y, 0.1), method="prox-grad", options={"history": True, "accelerated": False})
    f = res.history["fun"]
    assert len(f) == res.nit + 1 and np.all(np.diff(f) <= 1e-9 * abs(f[0]))
