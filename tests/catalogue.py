"""Reference problems for the registry-driven conformance sweep.

Each entry builds ``(problem, info)`` afresh; ``info`` may hold a known optimum ``f_opt``
and its source, and must hold ``verify(problem, res) -> float``: a certificate recomputed
here, independently of every solver (gradient norms, prox-gradient fixed-point residuals,
KKT residuals, marginal errors, distances to closed-form or cvxpy solutions), relative to
the problem's own scale, so 0 is exact and the sweep asserts ``verify <= VERIFY_TOL`` (or the
entry's own ``verify_tol``, with its reason) whenever a method reports success. The sweep runs every registered method on every entry it can solve.
"""
import numpy as np
from scipy.optimize import rosen, rosen_der, rosen_hess, rosen_hess_prod

from numopt.problems import (QP, Lasso, LeastSquares, LogisticRegression, Objective,
                             ScipyConstrainedProblem)


#: success must mean a recomputed certificate at most this (relative) large, at default tolerances
VERIFY_TOL = 1e-3


def _rel(r, scale) -> float:
    return float(r) / max(float(scale), 1e-300)


def _gradient_norm(problem, res):
    """``||grad f(x)||_inf / max(||grad f(x0)||_inf, |f(x0)|, 1e-300)`` for smooth problems."""
    g = problem._grad(res.x) if hasattr(problem, "_grad") else problem.grad(res.x)
    g0 = problem._grad(problem.x0) if hasattr(problem, "_grad") else problem.grad(problem.x0)
    return _rel(np.max(np.abs(g)), np.max(np.abs(g0)))


def _gradient_mapping(problem, res):
    """Prox-gradient fixed-point residual ``||L (x - prox_{g/L}(x - grad f(x)/L))||_inf`` relative
    to its value at ``x0`` (zero exactly at the minimizers of ``f + g``)."""
    f, g = problem.smooth, problem.prox
    L = f.lipschitz()

    def G(x):
        return L * np.max(np.abs(x - g(x - f._grad(x) / L, 1.0 / L)))
    return _rel(G(res.x), G(problem.x0))


def _distance_to(x_ref):
    def verify(problem, res):
        return _rel(np.linalg.norm(res.x - x_ref), max(np.linalg.norm(x_ref), 1.0))
    return verify


def _objective_gap(f_opt, feasibility=None):
    """Relative objective gap to an independent optimum, plus relative infeasibility."""
    def verify(problem, res):
        gap = abs(float(res.fun) - f_opt) / max(abs(f_opt), 1.0)
        return max(gap, feasibility(problem, res) if feasibility else 0.0)
    return verify


def _rosenbrock():
    return Objective(rosen, np.array([-1.2, 1.0]), jac=rosen_der, hess=rosen_hess,
                     hessp=rosen_hess_prod, name="rosenbrock"), {"f_opt": 0.0, "verify": _gradient_norm}


def _least_squares():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 5))
    y = X @ np.arange(1.0, 6.0) + 0.1 * rng.standard_normal(30)
    p = LeastSquares(X, y, x0=np.zeros(5))
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    return p, {"f_opt": p.fun(w), "verify": _distance_to(w)}


def _lasso():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 8))
    y = X[:, :3] @ np.array([2.0, -1.0, 0.5]) + 0.05 * rng.standard_normal(40)
    return Lasso(X, y, alpha=0.1), {"verify": _gradient_mapping}


def _logistic():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((50, 4))
    y = np.where(X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 * rng.standard_normal(50) > 0, 1.0, -1.0)
    return LogisticRegression(X, y, penalty="l2", alpha=0.1), {"verify": _gradient_mapping}


def _logistic_l1():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((60, 6))
    y = np.where(X @ np.array([1.5, -2.0, 0.0, 0.0, 0.5, 0.0]) + 0.3 * rng.standard_normal(60) > 0, 1.0, -1.0)
    return LogisticRegression(X, y, penalty="l1", alpha=0.02), {"verify": _gradient_mapping}


def _bounded_quadratic():
    obj = Objective(lambda x: float(np.sum((x - np.array([2.0, -3.0, 0.5])) ** 2)), np.zeros(3),
                    jac=lambda x: 2 * (x - np.array([2.0, -3.0, 0.5])))
    return ScipyConstrainedProblem(obj, (), bounds=[(0, 1), (-1, 1), (None, None)], name="bounded-quadratic"), \
        {"f_opt": 1.0 + 4.0, "verify": _distance_to(np.array([1.0, -1.0, 0.5]))}


def _hs28():
    # Hock & Schittkowski (1981) problem 28: f* = 0 at (0.5, -0.5, 0.5)
    f = lambda x: (x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2
    g = lambda x: np.array([2 * (x[0] + x[1]), 2 * (x[0] + x[1]) + 2 * (x[1] + x[2]), 2 * (x[1] + x[2])])
    obj = Objective(f, np.array([-4.0, 1.0, 1.0]), jac=g)
    con = {"type": "eq", "fun": lambda x: np.array([x[0] + 2 * x[1] + 3 * x[2] - 1]),
           "jac": lambda x: np.array([[1.0, 2.0, 3.0]])}
    return ScipyConstrainedProblem(obj, [con], name="hs28"), \
        {"f_opt": 0.0, "verify": _distance_to(np.array([0.5, -0.5, 0.5]))}


def _qp():
    rng = np.random.default_rng(4)
    M = rng.standard_normal((6, 6))
    A = rng.standard_normal((3, 6))
    P, q = M @ M.T + np.eye(6), rng.standard_normal(6)
    return QP(P, q, A, -np.ones(3), np.ones(3), x0=np.zeros(6)), \
        {"verify": _distance_to(_cvxpy_qp(P, q, A, -np.ones(3), np.ones(3)))}


def _cvxpy_qp(P, q, A, lo, hi):
    import cvxpy as cp
    x = cp.Variable(P.shape[0])
    cp.Problem(cp.Minimize(0.5 * cp.quad_form(x, cp.psd_wrap(P)) + q @ x), [A @ x >= lo, A @ x <= hi]).solve(
        solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return np.asarray(x.value)


def _tv1d():
    from numopt.problems import TotalVariation1D
    rng = np.random.default_rng(5)
    import cvxpy as cp
    b = np.repeat([0.0, 1.0, -0.5], 10) + 0.1 * rng.standard_normal(30)
    x = cp.Variable(30)
    cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - b) + 0.5 * cp.norm1(cp.diff(x)))).solve(
        solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return TotalVariation1D(b, lam=0.5), {"verify": _distance_to(np.asarray(x.value))}


def _entropic_ot():
    from numopt.ot_generators import random_assignment
    def verify(problem, res):           # L1 marginal error of the plan, recomputed from the potentials
        P = problem.plan(res.x)
        return float(np.abs(P.sum(1) - problem.a).sum() + np.abs(P.sum(0) - problem.b).sum())
    return random_assignment(n=12, reg=0.05, seed=0), {"verify": verify}


def _consensus():
    from numopt.problems.splitting import make_scenario_consensus
    import cvxpy as cp
    pb = make_scenario_consensus(n_scenarios=3, n=6, m=4, n_shared=2, rng=0)
    xs = [cp.Variable(q.n) for q in pb.local]
    cons = [c for q, x in zip(pb.local, xs) for c in (q.A @ x >= q.l, q.A @ x <= q.u)]
    cons += [x[s] == xs[0][pb.shared[0]] for x, s in zip(xs[1:], pb.shared[1:])]
    obj = sum(0.5 * cp.quad_form(x, cp.psd_wrap(q.P)) + q.q @ x for q, x in zip(pb.local, xs))
    cp.Problem(cp.Minimize(obj), cons).solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12,
                                             tol_feas=1e-12)
    return pb, {"verify": _distance_to(np.asarray(xs[0].value)[pb.shared[0]])}


def _federated():
    from numopt.problems.splitting import FederatedWLS
    rng = np.random.default_rng(6)
    X = [rng.standard_normal((8, 3)) for _ in range(4)]
    pb = FederatedWLS(X, [x @ np.ones(3) + 0.1 * rng.standard_normal(8) for x in X])
    Xa, ya = np.vstack(pb.X), np.concatenate(pb.y)
    return pb, {"verify": _distance_to(np.linalg.lstsq(Xa, ya, rcond=None)[0])}


def _convex_relu():
    from numopt.problems.convex_relu import ConvexReLU
    rng = np.random.default_rng(7)
    X = np.hstack([rng.standard_normal((20, 2)), np.ones((20, 1))])
    pb = ConvexReLU(X, np.sign(X[:, 0] * X[:, 1] + 1e-9), beta=0.1, n_hyperplanes=6, rng=0)
    import cvxpy as cp
    V, W = cp.Variable((pb.P, pb.d)), cp.Variable((pb.P, pb.d))
    pred = sum(cp.multiply(pb.D[:, i], pb.X @ (V[i] - W[i])) for i in range(pb.P))
    S = 2.0 * pb.D - 1.0
    cons = [cp.multiply(S[:, i], pb.X @ V[i]) >= 0 for i in range(pb.P)] + \
           [cp.multiply(S[:, i], pb.X @ W[i]) >= 0 for i in range(pb.P)]
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(pred - pb.y)
                                  + pb.beta * (cp.sum(cp.norm(V, axis=1)) + cp.sum(cp.norm(W, axis=1)))), cons)
    f_opt = prob.solve(solver="CLARABEL")
    scale = float(np.abs(pb.X).max())
    return pb, {"verify": _objective_gap(f_opt, lambda problem, res: problem.constraint_violation(res.x) / scale)}


def _matrix_game():
    from numopt.problems import policeman_burglar
    pb = policeman_burglar(8, variant="nemirovski")

    def verify(problem, res):     # the duality gap max_j (A^T x)_j - min_i (A y)_i, recomputed from A
        A = np.asarray(problem.A.todense() if hasattr(problem.A, "todense") else problem.A)
        x, y = res.x[:A.shape[0]], res.x[A.shape[0]:]
        return _rel(np.max(A.T @ x) - np.min(A @ y), np.max(np.abs(A)))
    return pb, {"verify": verify}


def _box_ls_inclusion():
    from numopt.problems import BoxLeastSquares
    rng = np.random.default_rng(8)
    X = rng.standard_normal((40, 5))
    y = X @ np.ones(5) + rng.standard_normal(40)
    from scipy.optimize import lsq_linear
    ref = lsq_linear(X, y, bounds=(-0.5, 0.5), tol=1e-14, lsmr_tol=1e-14).x
    return BoxLeastSquares(X, y, -0.5, 0.5), {"verify": _distance_to(ref)}


def _bilinear_game():
    from numopt.problems import BilinearGame
    rng = np.random.default_rng(9)
    A, b, c = rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)
    # saddle point: A y + b = 0 and A^T x - c = 0
    ref = np.concatenate([np.linalg.solve(A.T, c), -np.linalg.solve(A, b)])
    return BilinearGame(A, b, c), {"verify": _distance_to(ref)}


def _dag_score():
    from numopt.dag import simulate_dag, simulate_parameter, simulate_sem
    from numopt.problems import DAGScore
    W = simulate_parameter(simulate_dag(5, 5, "ER", seed=8), seed=8)
    X = simulate_sem(W, 200, "gauss", seed=8)
    def verify(problem, res):        # the returned graph must be acyclic: its adjacency is nilpotent
        d = int(round(np.sqrt(res.x.size)))
        A = (np.abs(res.x.reshape(d, d)) > 0).astype(float)
        return float(np.any(np.linalg.matrix_power(A, d) != 0))
    return DAGScore(X - X.mean(0), lambda1=0.05), {"verify": verify}


def _network():
    # Lipschitz bounds (lipsdp): a small ReLU network; its bound lies between a sampled lower bound
    # and the product of spectral norms (checked in tests/test_lipsdp.py)
    from numopt.problems.network import Network
    rng = np.random.default_rng(8)
    Ws = [rng.standard_normal((6, 4)), rng.standard_normal((5, 6)), rng.standard_normal((2, 5))]

    def verify(problem, res):    # a certified bound lies between sampled Jacobian norms and the naive product
        pts = np.random.default_rng(0).standard_normal((200, 4))
        lower = max(np.linalg.norm(problem.jacobian(p), 2) for p in pts)
        naive = float(np.prod([np.linalg.norm(W, 2) for W in Ws]))
        return float(not (lower <= res.fun * (1 + 1e-9) <= naive * (1 + 1e-9)))
    return Network(Ws, "relu", name="relu-4-6-5-2"), {"verify": verify}


def _bilevel_quadratic():
    from numopt.problems.bilevel import quadratic_bilevel
    pb = quadratic_bilevel(2, 4, n_samples=8, seed=0)
    # penalty methods solve min_x f + (g - g*)/sigma: O(sigma) from x*, with sigma = 1e-3 at the end
    return pb, {"verify": _distance_to(np.array(pb.x_star, dtype=float)), "verify_tol": 1e-2}


CATALOGUE = {
    "rosenbrock": _rosenbrock,
    "least-squares": _least_squares,
    "lasso": _lasso,
    "logistic-l2": _logistic,
    "logistic-l1": _logistic_l1,
    "bounded-quadratic": _bounded_quadratic,
    "hs28": _hs28,
    "qp": _qp,
    "tv1d": _tv1d,
    "entropic-ot": _entropic_ot,
    "consensus": _consensus,
    "federated-wls": _federated,
    "convex-relu": _convex_relu,
    "matrix-game": _matrix_game,
    "box-ls-inclusion": _box_ls_inclusion,
    "bilinear-game": _bilinear_game,
    "dag-score": _dag_score,
    "network": _network,
    "bilevel-quadratic": _bilevel_quadratic,
}
