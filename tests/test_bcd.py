"""Block coordinate descent (method="bcd"): every rule x partition x update converges,
L1 problems match scikit-learn on LIBSVM data, certificates, active-set identification."""

import numpy as np
import pytest
import scipy.sparse as sp

import numopt
from numopt.problems import ElasticNet, Lasso, LeastSquares, LogisticRegression
from numopt.problems.composite import CompositeProblem
from numopt.problems.prox import NonNegative
from numopt.result import Status

from _libsvm import read_libsvm

RULES = ["cyclic", "random", "lipschitz", "gs", "gsl", "gsd", "gsq"]
PARTS = ["order", "sort", "balanced", "variable"]
UPDATES = ["lb", "la", "hb", "newton"]


def _data(name):
    X, y = read_libsvm(name)
    return sp.csc_matrix(X), y


@pytest.fixture(scope="module")
def ls_problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 40)) * rng.uniform(0.5, 2.0, 40)
    w = rng.standard_normal(40)
    return X, w


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("gram", [False, True])
def test_every_combination_converges_on_least_squares(ls_problem, rule, gram):
    X, w = ls_problem
    y = X @ w                     # consistent: the unique minimiser is w
    for part in PARTS:
        for upd in UPDATES:
            r = numopt.minimize(LeastSquares(X, y), np.zeros(40), method="bcd",
                                options=dict(rule=rule, partition=part, block_size=5, update=upd, gram=gram,
                                             maxiter=10000 if rule == "lipschitz" else 3000, gtol=1e-10,
                                             rng=1))
            assert r.status == Status.CONVERGED, (rule, part, upd, r.message)
            assert np.linalg.norm(r.x - w) <= 1e-7 * np.linalg.norm(w), (rule, part, upd)
            assert r.optimality <= 1e-10


def test_user_partition_and_uneven_blocks(ls_problem):
    X, w = ls_problem
    blocks = [np.arange(0, 7), np.arange(7, 30), np.arange(30, 40)]
    r = numopt.minimize(LeastSquares(X, X @ w), np.zeros(40), method="bcd",
                        options=dict(partition=blocks, rule="gsq", update="hb", gtol=1e-10))
    assert r.success and np.allclose(r.x, w, atol=1e-7)
    assert r.n_blocks == 3
    r = numopt.minimize(LeastSquares(X, X @ w), np.zeros(40), method="bcd",
                        options=dict(block_size=7, rule="gsl", gtol=1e-10, maxiter=5000))   # 40 = 5*7 + 5
    assert r.success and np.allclose(r.x, w, atol=1e-7)


def _sk_lasso(X, y, alpha):
    from sklearn.linear_model import Lasso as SkLasso
    return SkLasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=200000).fit(X, y).coef_


@pytest.mark.parametrize("name, frac", [("heart_scale", 0.05), ("breast-cancer_scale", 0.02)])
def test_lasso_matches_sklearn_on_libsvm(name, frac):
    X, y = _data(name)
    amax = np.max(np.abs(X.T @ y)) / X.shape[0]
    alpha = frac * amax
    P = Lasso(X, y, alpha)
    coef = _sk_lasso(X, y, alpha)
    F_sk = P.fun(coef)
    for opts in [dict(rule="cyclic"), dict(rule="cyclic", gram=False),
                 dict(rule="gsl", partition="variable", block_size=3, update="hb", gram=False),
                 dict(rule="gsl", partition="variable", block_size=3, update="hb"),
                 dict(rule="gsq", partition="sort", block_size=4, update="newton"),
                 dict(rule="gs", update="la"), dict(rule="random", rng=0),
                 dict(rule="cyclic", working_set=5, gram=False)]:
        r = numopt.minimize(P, np.zeros(P.n), method="bcd", options=dict(**opts, gap_tol=1e-13, maxiter=20000))
        assert r.status == Status.CONVERGED, opts
        assert abs(r.fun - F_sk) <= 1e-8 * abs(F_sk), opts
        assert r.fun <= F_sk + 1e-12 * abs(F_sk)
        assert r.duality_gap <= 1e-13
        np.testing.assert_array_equal(r.x != 0, np.abs(coef) > 1e-10, err_msg=str(opts))


@pytest.mark.parametrize("name, C", [("heart_scale", 0.05), ("german.numer", 0.02)])
def test_l1_logistic_matches_liblinear(name, C):
    import warnings
    from sklearn.linear_model import LogisticRegression as SkLR
    X, y = _data(name)
    N = X.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = SkLR(penalty="l1", C=C, solver="liblinear", fit_intercept=False, tol=1e-12,
                  max_iter=100000).fit(X, y)
    coef = sk.coef_.ravel()
    P = LogisticRegression(X, y, penalty="l1", alpha=1.0 / (C * N))    # sklearn's C <-> alpha
    F_sk = P.fun(coef)
    for opts in [dict(rule="cyclic"), dict(rule="gsl", partition="variable", block_size=4, update="newton"),
                 dict(rule="gsq", block_size=3, update="hb"), dict(rule="gsd", update="la"),
                 dict(rule="cyclic", update="newton", working_set=10)]:
        r = numopt.minimize(P, np.zeros(P.n), method="bcd", options=dict(**opts, gap_tol=1e-12, maxiter=20000))
        assert r.status == Status.CONVERGED, opts
        assert abs(r.fun - F_sk) <= 1e-8 * abs(F_sk), opts
        assert r.duality_gap <= 1e-12
        np.testing.assert_array_equal(r.x != 0, np.abs(coef) > 1e-8, err_msg=str(opts))


def test_active_set_identified_in_finitely_many_iterations():
    X, y = _data("breast-cancer_scale")
    alpha = 0.02 * np.max(np.abs(X.T @ y)) / X.shape[0]
    P = Lasso(X, y, alpha)
    r = numopt.minimize(P, np.zeros(P.n), method="bcd",
                        options=dict(rule="gsl", batch=1, gtol=1e-12, maxiter=5000, history=True))
    assert r.success
    supp = r.x != 0
    # the support stops changing at a finite iteration, well before the end ...
    k = r.active_set_iteration
    assert 0 < k < r.block_iterations
    n_active = r.history["n_active"]
    assert np.all(n_active[k:] == supp.sum())
    # ... and it is the optimal support (scikit-learn's)
    np.testing.assert_array_equal(supp, np.abs(_sk_lasso(X, y, alpha)) > 1e-10)


def test_newton_switch_after_identification_is_superlinear():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 60)) @ np.diag(rng.uniform(0.1, 3, 60))
    X[:, 1:] += 0.8 * X[:, :-1]                                       # correlated columns
    y = X[:, :8] @ rng.standard_normal(8) + 0.1 * rng.standard_normal(200)
    P = Lasso(X, y, 0.05)
    base = dict(rule="gsl", partition="variable", block_size=10, gtol=1e-11, maxiter=20000)
    plain = numopt.minimize(P, np.zeros(60), method="bcd", options=base)
    switched = numopt.minimize(P, np.zeros(60), method="bcd", options=dict(**base, newton_switch=2))
    assert plain.success and switched.success
    assert switched.switch_iteration is not None
    assert switched.block_iterations < plain.block_iterations / 3
    assert abs(switched.fun - plain.fun) <= 1e-12 * plain.fun


def test_nonnegative_and_elastic_net_and_l2_logistic():
    from scipy.optimize import nnls
    rng = np.random.default_rng(4)
    X = rng.standard_normal((50, 20))
    y = rng.standard_normal(50)
    P = CompositeProblem(LeastSquares(X, y), NonNegative())
    r = numopt.minimize(P, np.zeros(20), method="bcd", options=dict(rule="gsq", partition="variable",
                                                                    block_size=4, update="hb", gtol=1e-10))
    assert r.success and np.allclose(r.x, nnls(X, y)[0], atol=1e-7)
    from sklearn.linear_model import ElasticNet as SkEN
    coef = SkEN(alpha=0.05, l1_ratio=0.6, fit_intercept=False, tol=1e-14, max_iter=100000).fit(X, y).coef_
    r = numopt.minimize(ElasticNet(X, y, 0.05, 0.6), np.zeros(20), method="bcd", options=dict(gtol=1e-11))
    assert r.success and np.allclose(r.x, coef, atol=1e-8)
    yl = np.sign(X[:, 0] + 0.3 * rng.standard_normal(50))
    P = LogisticRegression(X, yl, penalty="l2", alpha=0.1)
    r = numopt.minimize(P, np.zeros(20), method="bcd", options=dict(rule="gs", update="newton", block_size=5,
                                                                    gtol=1e-10))
    from scipy.optimize import minimize as sp_minimize
    ref = sp_minimize(P.smooth.fun, np.zeros(20), jac=P.smooth.grad, method="L-BFGS-B",
                      options=dict(gtol=1e-12, ftol=1e-15))
    assert r.success and np.allclose(r.x, ref.x, atol=1e-6)


def test_certificates_and_result_fields(ls_problem):
    X, w = ls_problem
    r = numopt.minimize(Lasso(X, X @ w, 0.1), np.zeros(40), method="bcd", options=dict(maxiter=3, trace=True))
    assert r.status == Status.MAXITER and r.nit == 3
    assert r.trace.shape == (3 * 40,) and np.all(np.diff(r.trace) <= 1e-12)    # monotone
    assert r.duality_gap > 0 and r.optimality > 0
    assert r.coordinate_updates == 3 * 40


def test_invalid_options_and_problems(ls_problem):
    X, w = ls_problem
    P = LeastSquares(X, X @ w)
    with pytest.raises(ValueError, match="rule"):
        numopt.minimize(P, np.zeros(40), method="bcd", options=dict(rule="best"))
    with pytest.raises(ValueError, match="partition"):
        numopt.minimize(P, np.zeros(40), method="bcd", options=dict(partition="forest"))
    with pytest.raises(ValueError, match="partition"):
        numopt.minimize(P, np.zeros(40), method="bcd", options=dict(partition=[np.arange(10)]))
    with pytest.raises(ValueError, match="working_set"):
        numopt.minimize(P, np.zeros(40), method="bcd", options=dict(working_set=3, block_size=2))
    with pytest.raises(ValueError, match="block_size"):
        numopt.minimize(P, np.zeros(40), method="bcd", options=dict(block_size=0))
    with pytest.raises(ValueError, match="method 'bcd' cannot solve .*does not provide coordinate"):
        numopt.minimize(lambda x: float(x @ x), np.zeros(3), jac=lambda x: 2 * x, method="bcd")
