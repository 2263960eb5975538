"""The ``admm`` method: lasso / elastic net / logistic vs scikit-learn, QP vs cvxpy with
infeasibility certificates, 1-D TV vs cvxpy, the generic two-block form, engine features."""
import os

import numpy as np
import pytest
import scipy.sparse as sp

import numopt
from numopt.problems import QP, ElasticNet, Lasso, LogisticRegression
from numopt.problems.models import TotalVariation1D
from numopt.problems.prox import L1, Box, SquaredL2
from numopt.problems.splitting import ADMMProblem

cp = pytest.importorskip("cvxpy")


@pytest.fixture(scope="module")
def heart(numopt_data):
    from sklearn.datasets import load_svmlight_file
    root = str(numopt_data)
    X, y = load_svmlight_file(os.path.join(root, "libsvm", "heart_scale"))
    return X.toarray(), y


def _rand_qp(n, m, seed, sparse=False):
    g = np.random.default_rng(seed)
    M = g.standard_normal((n, n))
    P = M @ M.T / n
    A = g.standard_normal((m, n))
    if sparse:
        A = sp.random(m, n, density=0.3, random_state=seed, format="csr") + sp.eye(m, n)
        P = sp.csr_matrix(P * (np.abs(P) > 0.3)) + sp.eye(n)
    x0 = g.standard_normal(n)
    Ax = A @ x0
    l, u = Ax - g.uniform(0, 1, m), Ax + g.uniform(0, 1, m)
    l[:3] = u[:3] = Ax[:3]                 # a few equality rows
    u[5] = np.inf                          # a one-sided row
    return QP(P, g.standard_normal(n), A, l, u)


def _cvx_qp(qp):
    x = cp.Variable(qp.n)
    P = qp.P.toarray() if sp.issparse(qp.P) else qp.P
    fin_l, fin_u = np.isfinite(qp.l), np.isfinite(qp.u)
    cons = [qp.A[fin_l] @ x >= qp.l[fin_l], qp.A[fin_u] @ x <= qp.u[fin_u]]
    pr = cp.Problem(cp.Minimize(0.5 * cp.quad_form(x, cp.psd_wrap(P)) + qp.q @ x), cons)
    pr.solve(solver="CLARABEL")
    return pr.value, x.value


def test_lasso_matches_sklearn_on_libsvm_heart(heart):
    from sklearn.linear_model import Lasso as SkLasso
    X, y = heart
    pb = Lasso(X, y, alpha=0.01)
    res = numopt.minimize(pb, method="admm", options={"eps_abs": 1e-11, "eps_rel": 1e-11})
    sk = SkLasso(alpha=0.01, fit_intercept=False, tol=1e-14, max_iter=100000).fit(X, y)
    f_sk = pb.fun(sk.coef_)
    assert res.success and res.status_name == "CONVERGED"
    assert abs(res.fun - f_sk) / f_sk < 1e-8
    assert res.fun <= f_sk * (1 + 1e-8)
    assert np.max(np.abs(res.x - sk.coef_)) < 1e-5
    assert res.duality_gap < 1e-8
    assert res.primal_residual <= res.eps_pri and res.dual_residual <= res.eps_dual
    assert np.count_nonzero(res.x == 0) == np.count_nonzero(sk.coef_ == 0)   # exact zeros from the prox


def test_lasso_wide_uses_matrix_inversion_lemma():
    from sklearn.linear_model import Lasso as SkLasso
    g = np.random.default_rng(3)
    X = g.standard_normal((40, 120))
    y = X[:, :5] @ np.ones(5) + 0.1 * g.standard_normal(40)
    pb = Lasso(X, y, alpha=0.05)
    res = numopt.minimize(pb, method="admm", options={"eps_abs": 1e-11, "eps_rel": 1e-11})
    sk = SkLasso(alpha=0.05, fit_intercept=False, tol=1e-14, max_iter=200000).fit(X, y)
    assert abs(res.fun - pb.fun(sk.coef_)) / pb.fun(sk.coef_) < 1e-8


def test_elastic_net_matches_sklearn(heart):
    from sklearn.linear_model import ElasticNet as SkEN
    X, y = heart
    pb = ElasticNet(X, y, alpha=0.02, l1_ratio=0.7)
    res = numopt.minimize(pb, method="admm", options={"eps_abs": 1e-11, "eps_rel": 1e-11})
    sk = SkEN(alpha=0.02, l1_ratio=0.7, fit_intercept=False, tol=1e-14, max_iter=100000).fit(X, y)
    assert abs(res.fun - pb.fun(sk.coef_)) / pb.fun(sk.coef_) < 1e-8


def test_sparse_logistic_regression_matches_sklearn(heart):
    from sklearn.linear_model import LogisticRegression as SkLR
    X, y = heart
    N, alpha = X.shape[0], 0.02
    pb = LogisticRegression(X, y, penalty="l1", alpha=alpha)
    res = numopt.minimize(pb, method="admm", options={"eps_abs": 1e-10, "eps_rel": 1e-10})
    sk = SkLR(l1_ratio=1.0, C=1.0 / (alpha * N), solver="liblinear", fit_intercept=False, tol=1e-12,
              max_iter=100000).fit(X, y)
    f_sk = pb.fun(sk.coef_.ravel())
    assert res.success
    assert res.fun <= f_sk + 1e-7 * f_sk
    assert abs(res.fun - f_sk) / f_sk < 1e-6
    assert np.any(res.x == 0) and np.any(res.x != 0)


@pytest.mark.parametrize("seed,sparse", [(0, False), (1, False), (2, True)])
def test_qp_matches_clarabel(seed, sparse):
    qp = _rand_qp(30, 40, seed, sparse)
    res = numopt.minimize(qp, np.zeros(qp.n), method="admm", options={"eps_abs": 1e-9, "eps_rel": 1e-9})
    ref, xref = _cvx_qp(qp)
    assert res.success
    assert abs(res.fun - ref) / max(1.0, abs(ref)) < 1e-5
    assert np.max(np.abs(res.x - xref)) < 1e-4
    assert res.constr_violation < 1e-7
    # KKT with the returned multipliers
    assert np.max(np.abs(qp.P @ res.x + qp.q + qp.A.T @ res.y)) < 1e-7
    assert res.primal_residual <= res.eps_pri and res.dual_residual <= res.eps_dual


def test_qp_primal_infeasible_certificate():
    n = 6
    g = np.random.default_rng(0)
    A = np.vstack([np.ones((1, n)), -np.ones((1, n)), g.standard_normal((4, n))])
    l = np.array([1.0, 1.0, -1, -1, -1, -1])       # sum(x) >= 1 and -sum(x) >= 1: infeasible
    u = np.array([np.inf, np.inf, 1, 1, 1, 1])
    qp = QP(np.eye(n), np.zeros(n), A, l, u)
    res = numopt.minimize(qp, np.zeros(n), method="admm")
    assert res.status_name == "INFEASIBLE" and not res.success
    y = res.primal_infeasibility_certificate
    assert np.max(np.abs(y)) == pytest.approx(1.0)
    assert np.max(np.abs(A.T @ y)) < 1e-4                         # A^T y = 0
    fu, fl = np.isfinite(u), np.isfinite(l)
    assert np.all(y[~fu] <= 0) and np.all(y[~fl] >= 0)
    assert u[fu] @ np.maximum(y[fu], 0) + l[fl] @ np.minimum(y[fl], 0) < 0   # separating


def test_qp_unbounded_certificate():
    g = np.random.default_rng(1)
    n = 5
    P = np.diag([0.0, 1, 1, 1, 1])
    q = g.standard_normal(n)
    q[0] = -1.0
    A = np.hstack([np.zeros((3, 1)), g.standard_normal((3, n - 1))])
    A = np.vstack([A, np.eye(n)[0]])                # x0 >= 0, unbounded above with q0 < 0
    qp = QP(P, q, A, [-1, -1, -1, 0.0], [1, 1, 1, np.inf])
    res = numopt.minimize(qp, np.zeros(n), method="admm")
    assert res.status_name == "UNBOUNDED"
    d = res.dual_infeasibility_certificate
    assert np.max(np.abs(d)) == pytest.approx(1.0)
    assert q @ d < 0 and np.max(np.abs(P @ d)) < 1e-4
    Ad = A @ d
    assert np.all(np.abs(Ad[:3]) < 1e-4) and Ad[3] >= -1e-4


def test_total_variation_matches_cvxpy():
    g = np.random.default_rng(0)
    b = np.repeat(g.standard_normal(5), 40) + 0.3 * g.standard_normal(200)
    pb = TotalVariation1D(b, 1.5)
    res = numopt.minimize(pb, method="admm", options={"eps_abs": 1e-11, "eps_rel": 1e-11})
    x = cp.Variable(b.size)
    pr = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - b) + 1.5 * cp.norm1(cp.diff(x))))
    pr.solve(solver="CLARABEL")
    assert res.success
    assert abs(res.fun - pr.value) / pr.value < 1e-6
    assert np.max(np.abs(res.x - x.value)) < 1e-4


def test_generic_two_block_exact_and_linearized():
    g = np.random.default_rng(0)
    # exact prox form (A = I, B = -I): min 1/2 |x|^2 + indicator(z in [0.3, 1]) -> x = 0.3
    pb = ADMMProblem(SquaredL2(1.0), Box(0.3, 1.0), n=8)
    res = numopt.minimize(pb, method="admm", options={"eps_abs": 1e-10, "eps_rel": 1e-10})
    assert res.success and np.allclose(res.x, 0.3, atol=1e-8) and np.allclose(res.z, 0.3)
    # linearized: ridge-regularized least absolute deviations min a/2|x|^2 + |A x - b|_1
    A = g.standard_normal((30, 6))
    b = A @ g.standard_normal(6) + np.where(g.random(30) < 0.2, 5.0, 0.1) * g.standard_normal(30)
    pb = ADMMProblem(SquaredL2(0.5), L1(1.0), A=A, c=b)
    res = numopt.minimize(pb, method="admm", options={"eps_abs": 1e-9, "eps_rel": 1e-9, "maxiter": 50000})
    x = cp.Variable(6)
    pr = cp.Problem(cp.Minimize(0.25 * cp.sum_squares(x) + cp.norm1(A @ x - b)))
    pr.solve(solver="CLARABEL")
    assert res.success
    assert abs(pb.objective(res.x, A @ res.x - b) - pr.value) / pr.value < 1e-6


def test_warm_start_and_anderson():
    qp = _rand_qp(30, 40, 5)
    opts = {"eps_abs": 1e-8, "eps_rel": 1e-8}
    cold = numopt.minimize(qp, np.zeros(qp.n), method="admm", options=opts)
    warm = numopt.minimize(qp, np.zeros(qp.n), method="admm", options={**opts, "warm_start": cold})
    assert cold.success and warm.success and warm.nit < max(5, cold.nit // 5)
    aa = numopt.minimize(qp, np.zeros(qp.n), method="admm", options={**opts, "anderson": 5})
    assert aa.success and abs(aa.fun - cold.fun) < 1e-6 * max(1, abs(cold.fun))


def test_adaptive_rho_refactors_only_on_change(heart):
    X, y = heart
    pb = Lasso(X, y, alpha=0.01)
    res = numopt.minimize(pb, method="admm", options={"rho": 1e3, "eps_abs": 1e-10, "eps_rel": 1e-10,
                                                      "history": True})
    fixed = numopt.minimize(pb, method="admm", options={"rho": 1e3, "eps_abs": 1e-10, "eps_rel": 1e-10,
                                                        "adaptive_rho": "none", "maxiter": 3000})
    assert res.success and res.rho_updates >= 1
    assert len(np.unique(res.history["rho"])) == res.rho_updates + 1
    assert res.nit < fixed.nit


def test_options_and_input_errors():
    qp = _rand_qp(8, 8, 0)
    with pytest.raises(ValueError, match="alpha"):
        numopt.minimize(qp, np.zeros(8), method="admm", options={"alpha": 2.5})
    with pytest.raises(ValueError, match="adaptive_rho"):
        numopt.minimize(qp, np.zeros(8), method="admm", options={"adaptive_rho": "magic"})
    with pytest.raises(TypeError, match="Prox"):
        ADMMProblem(lambda x: x, L1())
    with pytest.raises(ValueError, match="splitting"):
        numopt.minimize(_NotSplittable(), np.zeros(2), method="admm")
    res = numopt.minimize(qp, np.zeros(8), method="admm", options={"maxiter": 3})
    assert res.status_name == "MAXITER" and np.isfinite(res.primal_residual)


class _NotSplittable(numopt.problems.Problem):
    def __init__(self):
        super().__init__(2)


def test_anderson_acceleration_cuts_iterations_on_tv():
    g = np.random.default_rng(0)
    b = np.repeat(g.standard_normal(5), 40) + 0.3 * g.standard_normal(200)
    pb = TotalVariation1D(b, 1.5)
    opts = {"eps_abs": 1e-9, "eps_rel": 1e-9, "adaptive_rho": "none"}
    plain = numopt.minimize(pb, method="admm", options=opts)
    aa = numopt.minimize(pb, method="admm", options={**opts, "anderson": 10})
    assert plain.success and aa.success
    assert aa.nit < plain.nit / 5
    assert abs(aa.fun - plain.fun) < 1e-7 * plain.fun


def test_engine_verdict_is_the_stopping_modules_with_the_splittings_scales():
    """The engine decides with numopt.stopping.small_residuals; the thresholds it reports are
    residual_tolerances of the splitting's reference scales (OSQP's for QPs, Boyd's otherwise)."""
    from numopt.solvers.admm.engine import ADMMOptions, Splitting
    from numopt.solvers.admm.qp import QPSplitting
    from numopt.stopping import residual_tolerances
    qp = _rand_qp(8, 6, 3)
    spl = QPSplitting(qp)
    opts = ADMMOptions(eps_abs=1e-4, eps_rel=1e-3)
    pen = spl.penalty(0.1)
    g = np.random.default_rng(1)
    Z, U = g.standard_normal(8 + 6), g.standard_normal(8 + 6)
    r, s, eps_pri, eps_dual, r_scale, s_scale = spl.residuals(None, Z, U, pen, None, None, None, opts)
    assert (eps_pri, eps_dual) == residual_tolerances(r_scale, s_scale, 1e-4, 1e-3, *spl.abs_scales(8, 0))
    # the generic rule: sqrt(p), sqrt(n) times the absolute part, 2-norm
    gen = Splitting()
    x = g.standard_normal(5)
    out = gen.residuals(x, x, x, 1.0, x, -x, -x + 1e-3, opts)
    assert gen.abs_scales(5, 5) == (np.sqrt(5), np.sqrt(5))
    assert out[2] == pytest.approx(np.sqrt(5) * 1e-4 + 1e-3 * out[4], rel=1e-15)
    res = numopt.minimize(qp, method="admm", options={"eps_abs": 1e-6, "eps_rel": 1e-6})
    assert res.success and res.primal_residual <= res.eps_pri and res.dual_residual <= res.eps_dual
