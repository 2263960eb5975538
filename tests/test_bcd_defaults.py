"""``numopt.minimize(problem, method="bcd")`` with no options converges on real data.

L1-logistic regression at ``0.1`` and ``0.01 alpha_max`` on the LIBSVM sets of issue 17
(breast-cancer standardized, german.numer, and a9a.t, where the prox-Newton line search used
to stall at a gap of 1e-9 to 1e-8 because the Armijo test compared objective values below their
rounding), checked against scikit-learn's (liblinear) solution; ElasticNet (the plain engine) against
scikit-learn's. The shared L1 coordinate pieces (``numopt._cd_kernels``) and the
cancellation-free datafit differences are tested as kernels.
"""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import numopt
from numopt.problems import ElasticNet, LogisticRegression
from numopt.result import Status

from _libsvm import read_libsvm


def _libsvm(name, standardize=False):
    X, y = read_libsvm(name)
    y = np.where(y == y.max(), 1.0, -1.0)                 # breast-cancer: 2/4 or -1/1
    if standardize:
        X = X.toarray()
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    else:
        X = sp.csc_matrix(X)
    return X, y


def _liblinear(X, y, alpha):
    """scikit-learn's liblinear at a tight tolerance (celer stops early on a9a.t: gap 2.6e-7 at
    tol=1e-10, and runs for minutes at 1e-14)."""
    from sklearn.linear_model import LogisticRegression as SkLR
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return SkLR(penalty="l1", C=1.0 / (X.shape[0] * alpha), solver="liblinear", fit_intercept=False,
                    tol=1e-12, max_iter=100000).fit(X, y).coef_.ravel()


@pytest.mark.parametrize("name, standardize", [("breast-cancer_scale", True), ("german.numer", False),
                                               ("a9a.t", False)])
@pytest.mark.parametrize("frac", [0.1, 0.01])
def test_defaults_converge_on_l1_logistic_libsvm(name, standardize, frac):
    X, y = _libsvm(name, standardize)
    alpha = frac * np.max(np.abs(X.T @ y)) / (2 * X.shape[0])
    P = LogisticRegression(X, y, penalty="l1", alpha=alpha)
    r = numopt.minimize(P, method="bcd")
    assert r.status == Status.CONVERGED, r.message
    assert r.engine == "working-set"
    gap = P.duality_gap(r.x)
    assert gap <= 1e-10 * abs(r.fun) and gap <= 1e-8
    ref = _liblinear(X, y, alpha)
    assert P.duality_gap(ref) <= 1e-7                     # the reference itself is accurate
    assert r.fun <= P.fun(ref) + 1e-12
    if name != "a9a.t":
        # a9a.t's one-hot columns make the minimizer non-unique: at 0.01 alpha_max celer's solution
        # has a coefficient of -0.29 where numopt's is 0, with equal objectives
        # (1e-15) and both certified (gaps 4e-9 and 2e-16); only the objective is compared there
        np.testing.assert_array_equal(r.x != 0, np.abs(ref) > 1e-7)
        np.testing.assert_allclose(r.x, ref, atol=1e-4 * max(1.0, np.max(np.abs(ref))))


@pytest.mark.parametrize("frac", [0.1, 0.01])
def test_defaults_converge_on_elastic_net_german(frac):
    from sklearn.linear_model import ElasticNet as SkEN
    X, y = _libsvm("german.numer")
    N = X.shape[0]
    alpha = frac * np.max(np.abs(X.T @ y)) / N
    P = ElasticNet(X, y, alpha, 0.5)
    r = numopt.minimize(P, method="bcd")
    assert r.status == Status.CONVERGED, r.message
    sk = SkEN(alpha=alpha, l1_ratio=0.5, fit_intercept=False, tol=1e-14, max_iter=100000).fit(X, y).coef_
    assert abs(r.fun - P.fun(sk)) <= 1e-8 * abs(P.fun(sk))
    np.testing.assert_allclose(r.x, sk, atol=1e-4 * max(1.0, np.max(np.abs(sk))))


@pytest.mark.kernels
def test_shared_l1_coordinate_pieces():
    from numopt._cd_kernels import l1_violation, soft_threshold
    for v, t, out in [(3.0, 1.0, 2.0), (-3.0, 1.0, -2.0), (0.5, 1.0, 0.0), (-1.0, 1.0, 0.0)]:
        assert soft_threshold(v, t) == out
    # dist(-g, lam d|w|): on the support |g + lam sign(w)|, off it max(|g| - lam, 0)
    assert l1_violation(-0.3, 2.0, 0.5) == pytest.approx(0.2)
    assert l1_violation(0.3, -2.0, 0.5) == pytest.approx(0.2)
    assert l1_violation(0.3, 0.0, 0.5) == 0.0
    assert l1_violation(-0.8, 0.0, 0.5) == pytest.approx(0.3)
    assert np.isnan(l1_violation(np.nan, 0.0, 0.5)) and np.isnan(l1_violation(np.nan, 1.0, 0.5))


@pytest.mark.kernels
@pytest.mark.parametrize("loss", [0, 1])
def test_datafit_delta_has_no_cancellation(loss):
    from numopt.solvers.bcd import _datafit
    mod = _datafit.module(loss)
    for z, y in [(0.7, 1.0), (-3.0, -1.0), (25.0, 1.0), (-40.0, 1.0)]:
        for dz in (2.5, -0.9, 1e-3):               # no cancellation: the plain difference is exact enough
            ref = mod.value(z + dz, y) - mod.value(z, y)
            assert _datafit.delta(loss, z, y, dz) == pytest.approx(ref, rel=1e-9, abs=1e-300)
        dz = 1e-13                                 # far below eps |phi|: the second-order Taylor value
        ref = dz * mod.deriv(z, y) + 0.5 * dz * dz * mod.curvature(z, y)
        assert _datafit.delta(loss, z, y, dz) == pytest.approx(ref, rel=1e-9, abs=1e-300)
