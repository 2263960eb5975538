"""Problem protocol and the shared model templates."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, NonlinearConstraint

import numopt
from numopt.problems import (QP, ElasticNet, Lasso, LeastSquares, LogisticLoss, LogisticRegression,
                             Objective, ScipyConstrainedProblem)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    X[rng.random(X.shape) < 0.5] = 0.0
    y = X @ rng.standard_normal(6) + 0.1 * rng.standard_normal(40)
    return X, y, np.sign(y + 1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_model_derivatives(data, sparse):
    X, y, labels = data
    Xs = sp.csr_matrix(X) if sparse else X
    w = np.random.default_rng(1).standard_normal(6)
    for p in (LeastSquares(Xs, y), LogisticLoss(Xs, labels, l2=0.3)):
        errs = numopt.check_problem(p, w)
        assert max(errs.values()) < 1e-6, errs
        np.testing.assert_allclose(p.hess(w) @ w, p.hessp(w, w), rtol=1e-12, atol=1e-12)
        idx = np.arange(p.n_components)
        np.testing.assert_allclose(p.grad_batch(w, idx), p.grad(w), rtol=1e-12, atol=1e-12)


def test_dense_and_sparse_agree(data):
    X, y, labels = data
    w = np.linspace(-1, 1, 6)
    for make in (lambda A: LeastSquares(A, y), lambda A: LogisticLoss(A, labels, 0.1)):
        a, b = make(X), make(sp.csr_matrix(X))
        assert a.fun(w) == pytest.approx(b.fun(w), rel=1e-14)
        np.testing.assert_allclose(a.grad(w), b.grad(w), rtol=1e-13)
        assert a.lipschitz() == pytest.approx(b.lipschitz(), rel=1e-5)


def test_lipschitz_constants_bound_the_curvature(data):
    X, y, labels = data
    for p in (LeastSquares(X, y), LogisticLoss(X, labels, 0.2)):
        H = p.hess(np.zeros(6))
        assert np.linalg.eigvalsh(H).max() <= p.lipschitz() * (1 + 1e-10)
        assert np.all(np.diag(H) <= p.coordinate_lipschitz() * (1 + 1e-10))


def test_lasso_matches_sklearn_objective_and_gap(diabetes):
    from sklearn.linear_model import Lasso as SkLasso
    X, y = diabetes
    sk = SkLasso(alpha=0.5, fit_intercept=False, tol=1e-12, max_iter=100000).fit(X, y)
    p = Lasso(X, y, 0.5)
    r = X @ sk.coef_ - y
    assert p.fun(sk.coef_) == pytest.approx(0.5 * r @ r / len(y) + 0.5 * np.abs(sk.coef_).sum(), rel=1e-14)
    assert p.duality_gap(sk.coef_) < 1e-8 * p.fun(sk.coef_)
    assert p.duality_gap(np.zeros(X.shape[1])) > 1.0


def test_elastic_net_objective_matches_sklearn_scaling(diabetes):
    X, y = diabetes
    w = np.linspace(-3, 3, X.shape[1])
    p = ElasticNet(X, y, alpha=0.3, l1_ratio=0.2)
    r = X @ w - y
    expected = r @ r / (2 * len(y)) + 0.3 * 0.2 * np.abs(w).sum() + 0.5 * 0.3 * 0.8 * w @ w
    assert p.fun(w) == pytest.approx(expected, rel=1e-14)


def test_logistic_regression_objective_and_labels(data):
    X, _, labels = data
    w = np.linspace(-1, 1, 6)
    p = LogisticRegression(X, labels, penalty="l2", alpha=0.5)
    expected = np.mean(np.log1p(np.exp(-labels * (X @ w)))) + 0.25 * w @ w
    assert p.fun(w) == pytest.approx(expected, rel=1e-13)
    assert p.structure == frozenset()                         # smooth: BFGS may solve it
    assert LogisticRegression(X, labels, penalty="l1").structure == {"nonsmooth"}
    with pytest.raises(ValueError, match="labels -1 and \\+1"):
        LogisticRegression(X, (labels + 1) / 2)
    with pytest.raises(ValueError, match="penalty must be"):
        LogisticRegression(X, labels, penalty="l3")


def test_logistic_overflow_is_avoided():
    X = np.array([[1000.0], [-1000.0]])
    p = LogisticLoss(X, np.array([1.0, 1.0]))
    f, g = p.fun_and_grad(np.array([1.0]))
    assert np.isfinite(f) and np.all(np.isfinite(g)) and f == pytest.approx(500.0)


def test_qp_validation_and_structure():
    P = np.eye(2)
    with pytest.raises(ValueError, match="P must be symmetric"):
        QP(np.array([[1.0, 2.0], [0.0, 1.0]]), np.zeros(2))
    with pytest.raises(ValueError, match="q must have length 2"):
        QP(P, np.zeros(3))
    with pytest.raises(ValueError, match=r"inconsistent bounds: l\[0\]"):
        QP(P, np.zeros(2), np.eye(2), [1, 0], [0, 1])
    qp = QP(P, np.zeros(2), np.array([[1.0, 1.0], [1.0, -1.0]]), [1.0, -np.inf], [1.0, 0.5])
    assert qp.structure == {"eq_constraints", "ineq_constraints"} and qp.m_eq == 1 and qp.m_ineq == 1
    res = numopt.minimize(qp, np.zeros(2), method="slsqp", options={"ftol": 1e-14})
    np.testing.assert_allclose(res.x, [0.5, 0.5], atol=1e-6)


def test_scipy_constraints_are_normalized():
    obj = Objective(lambda x: float(x @ x), np.array([1.0, 2.0, 3.0]), jac=lambda x: 2 * x)
    cons = [{"type": "eq", "fun": lambda x: x[0] + x[1] - 1.0, "jac": lambda x: [[1.0, 1.0, 0.0]]},
            NonlinearConstraint(lambda x: [x[0] ** 2, x[2]], [0.0, -1.0], [0.0, 2.0],
                                jac=lambda x: [[2 * x[0], 0.0, 0.0], [0.0, 0.0, 1.0]],
                                hess=lambda x, v: np.diag([2 * v[0], 0.0, 0.0])),
            LinearConstraint([[1.0, 0.0, 1.0]], 0.5, np.inf)]
    p = ScipyConstrainedProblem(obj, cons, bounds=[(None, 4.0)] * 3)
    assert (p.m_eq, p.m_ineq) == (2, 3)
    assert p.structure == {"eq_constraints", "ineq_constraints", "bounds"}
    x = np.array([0.3, 0.2, 1.0])
    np.testing.assert_allclose(p.cons_eq(x), [-0.5, 0.09])
    np.testing.assert_allclose(p.cons_ineq(x), [2.0, 1.0, 0.8])     # x2+1, 2-x2, x0+x2-0.5
    errs = numopt.check_problem(p, x)
    assert max(errs.values()) < 1e-6, errs
    assert p.constr_violation(x) == pytest.approx(0.5)
    # without derivatives (finite differences everywhere) the oracles stay usable
    p_fd = ScipyConstrainedProblem(obj, [{"type": "eq", "fun": lambda x: x[0] ** 2 + x[1] - 1.0}])
    np.testing.assert_allclose(p_fd.jac_eq(x), [[0.6, 1.0, 0.0]], atol=1e-6)
    with pytest.raises(ValueError, match="'type' must be 'eq' or 'ineq'"):
        ScipyConstrainedProblem(obj, {"type": "equal", "fun": lambda x: x})
    with pytest.raises(TypeError, match="constraints must be dicts"):
        ScipyConstrainedProblem(obj, ["x > 0"])


def test_objective_memoizes_and_counts():
    calls = []
    obj = Objective(lambda x: (calls.append(1), float(x @ x))[1], np.ones(2), jac=lambda x: 2 * x)
    x = np.array([1.0, 2.0])
    obj.fun(x), obj.fun(x), obj.grad(x), obj.fun_and_grad(x)
    assert len(calls) == 1 and obj.counts == {"nfev": 1, "njev": 1}
    fd = Objective(lambda x: float(x @ x), np.ones(3))
    np.testing.assert_allclose(fd.grad(np.ones(3)), 2.0, rtol=1e-6)
    assert fd.counts["nfev"] == 4                               # f(x) + n forward differences


def test_check_grad_detects_a_wrong_gradient():
    f = lambda x: float(np.sum(np.sin(x)))
    assert numopt.check_grad(f, np.cos, np.linspace(0, 1, 4)) < 1e-8
    assert numopt.check_grad(f, np.sin, np.linspace(0, 1, 4)) > 1e-2
    assert numopt.check_grad(f, np.cos, np.linspace(0, 1, 4), ndirections=3, rng=0) < 1e-8
