"""``relu-admm``: the convex two-layer ReLU program vs cvxpy, weight recovery, and a
classifier trained on a real LIBSVM data set."""
import os

import numpy as np
import pytest

import numopt
from numopt.problems.convex_relu import ConvexReLU, relu_network_predict

cp = pytest.importorskip("cvxpy")


def _cvx_value(pb):
    X, P, d = pb.X, pb.P, pb.d
    V, W = cp.Variable((P, d)), cp.Variable((P, d))
    pred = sum(cp.multiply(pb.D[:, i], X @ (V[i] - W[i])) for i in range(P))
    S = 2 * pb.D - 1
    cons = [cp.multiply(S[:, i], X @ V[i]) >= 0 for i in range(P)] + \
           [cp.multiply(S[:, i], X @ W[i]) >= 0 for i in range(P)]
    obj = 0.5 * cp.sum_squares(pred - pb.y) + pb.beta * (cp.sum(cp.norm(V, axis=1)) + cp.sum(cp.norm(W, axis=1)))
    pr = cp.Problem(cp.Minimize(obj), cons)
    pr.solve(solver="CLARABEL")
    return pr.value


def test_matches_cvxpy_on_tiny_instance():
    g = np.random.default_rng(0)
    X = np.hstack([g.standard_normal((40, 2)), np.ones((40, 1))])
    y = np.sign(X[:, 0] * X[:, 1] + 0.3)
    pb = ConvexReLU(X, y, beta=1e-2, n_hyperplanes=10, rng=0)
    res = numopt.minimize(pb, method="relu-admm", options={"eps_abs": 1e-7, "eps_rel": 1e-7, "maxiter": 20000})
    ref = _cvx_value(pb)
    assert res.success
    assert abs(res.fun - ref) / ref < 1e-5
    assert res.constr_violation < 1e-4
    # the recovered network reproduces the convex model's predictions (patterns hold)
    U, alpha = res.weights
    assert np.allclose(relu_network_predict(X, U, alpha), pb.predict_convex(res.x), atol=1e-3)
    assert res.primal_residual <= res.eps_pri and res.dual_residual <= res.eps_dual


def test_classifier_on_breast_cancer_beats_linear_baseline(numopt_data):
    from sklearn.datasets import load_svmlight_file
    from sklearn.model_selection import train_test_split
    root = str(numopt_data)
    X, y = load_svmlight_file(os.path.join(root, "libsvm", "breast-cancer_scale"))
    X = np.hstack([X.toarray(), np.ones((X.shape[0], 1))])
    y = np.where(y == y.max(), 1.0, -1.0)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0)
    pb = ConvexReLU(Xtr, ytr, beta=0.05, n_hyperplanes=20, rng=0)
    res = numopt.minimize(pb, method="relu-admm", options={"eps_abs": 1e-5, "eps_rel": 1e-5, "maxiter": 300})
    acc = np.mean(np.sign(res.predict(Xte)) == yte)
    w = np.linalg.lstsq(Xtr, ytr, rcond=None)[0]                      # least-squares linear classifier
    lin = np.mean(np.sign(Xte @ w) == yte)
    majority = max(np.mean(yte == 1), np.mean(yte == -1))
    print(f"breast-cancer test accuracy: relu-admm {acc:.4f}, linear {lin:.4f}, majority {majority:.4f}")
    assert acc >= lin and acc > majority + 0.25


def test_relu_input_errors():
    with pytest.raises(ValueError, match="beta"):
        ConvexReLU(np.ones((4, 2)), np.ones(4), beta=0.0)
    with pytest.raises(ValueError, match="convex_relu"):
        numopt.minimize(numopt.problems.QP(np.eye(2), np.ones(2)), np.zeros(2), method="relu-admm")
