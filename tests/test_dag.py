"""DAG structure learning: topo and notears against the reference fixture, exhaustive search
over orders, independent least-squares refits, and the invariants of the issue."""
import itertools
import warnings

import numpy as np
import pytest

import numopt
import numopt.dag as nd
from numopt.problems import DAGScore
from numopt.problems.dag import acyclicity, reachability
from numopt.result import Status
from numopt.solvers.dag.topo import fit_order


def _sem(d, k, seed, n=1000, graph="ER"):
    B = nd.simulate_dag(d, k * d, graph, seed=seed)
    W = nd.simulate_parameter(B, seed=seed)
    X = nd.simulate_sem(W, n, "gauss", seed=seed)
    return B, W, X - X.mean(0)


def _ols_order_score(X, order):
    """Score of an order by numpy least squares on the predecessor sets (no Gram, no kernels)."""
    n = X.shape[0]
    tot = 0.5 / n * np.sum(X[:, order[0]] ** 2)
    for p in range(1, len(order)):
        S, k = list(order[:p]), order[p]
        w = np.linalg.lstsq(X[:, S], X[:, k], rcond=None)[0]
        tot += 0.5 / n * np.sum((X[:, k] - X[:, S] @ w) ** 2)
    return tot


def _assert_dag(W):
    assert nd.topological_order(W) is not None, "the output has a cycle"


def test_fixture_of_the_reference_implementation_is_matched_or_beaten(numopt_data):
    z = np.load(numopt_data / "fixtures" / "topo_er4_d30.npz")
    p = DAGScore(z["X"])
    res = numopt.minimize(p, method="topo", options={"order": z["topo_init"], "size_small": 100,
                                                     "size_large": 400, "n_large": 1,
                                                     "starts": "", "restarts": 0})   # the reference's single start
    assert res.success
    loss_ref = float(z["loss_ref"])
    assert res.fun <= loss_ref * (1 + 1e-8)
    assert np.isclose(res.fun, 0.5 / 1000 * np.sum((z["X"] - z["X"] @ res.W) ** 2), rtol=1e-12)
    _assert_dag(res.W)


def test_d20_er2_recovers_the_graph_on_most_seeds():
    good = 0
    for seed in range(5):
        B, _, X = _sem(20, 2, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", nd.VarsortabilityWarning)
            W = nd.topo(X)
        _assert_dag(W)
        good += nd.count_accuracy(B, W)["shd"] <= 2
    assert good >= 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_topo_reaches_the_exhaustive_optimum_for_d5(seed):
    B, _, X = _sem(5, 2, seed, n=300)
    best = min(_ols_order_score(X, list(o)) for o in itertools.permutations(range(5)))
    p = DAGScore(X)
    res = numopt.minimize(p, method="topo", options={"size_small": 10, "size_large": 10, "seed": seed})
    assert res.success
    assert res.fun >= best - 1e-10                      # nothing beats the best order
    assert res.fun <= best + 1e-9 * best
    assert np.isclose(res.fun, _ols_order_score(X, list(res.order)), rtol=1e-10)


def test_refits_equal_numpy_least_squares_on_the_predecessor_sets():
    _, _, X = _sem(7, 2, 3, n=200)
    order = np.random.default_rng(0).permutation(7)
    W, Q = fit_order(DAGScore(X), order)
    for p in range(1, 7):
        S, k = order[:p], order[p]
        ref = np.linalg.lstsq(X[:, S], X[:, k], rcond=None)[0]
        assert np.allclose(W[S, k], ref, atol=1e-10)
        assert np.all(W[order[p:], k] == 0)
    assert np.isclose(Q, _ols_order_score(X, order), rtol=1e-12)


def test_at_termination_with_all_pairs_no_swap_improves_and_every_step_decreases():
    _, _, X = _sem(9, 2, 4, n=500)
    p = DAGScore(X)
    P = 9 * 8 // 2
    res = numopt.minimize(p, method="topo", options={"size_small": P, "size_large": P, "history": True})
    assert res.success
    assert np.all(np.diff(res.history["fun"][:-1]) < 0)           # every accepted step decreases Q
    for a, b in itertools.combinations(range(9), 2):             # every single swap, refit independently
        o = res.order.copy()
        o[a], o[b] = o[b], o[a]
        assert _ols_order_score(X, o) >= res.fun - 1e-9
    assert res.kkt_residual <= 1e-10                              # grad Q = 0 on the allowed edges
    assert res.h == pytest.approx(0.0, abs=1e-12)


def test_output_is_a_dag_also_from_a_cyclic_warm_start():
    _, W_true, X = _sem(8, 2, 5, n=400)
    W0 = W_true + W_true.T                                        # every edge in both directions
    assert nd.topological_order(W0) is None
    res = nd.solve(X, init=W0)
    _assert_dag(res.W)
    assert res.success
    W = nd.topo(X, init=W0, warn=False)
    _assert_dag(W)


@pytest.mark.parametrize("lam1,lam2", [(0.05, 0.0), (0.0, 0.1), (0.02, 0.05)])
def test_regularized_scores_decrease_monotonically_and_match_the_problem(lam1, lam2):
    _, _, X = _sem(7, 2, 6, n=300)
    p = DAGScore(X, lambda1=lam1, lambda2=lam2)
    res = numopt.minimize(p, method="topo", options={"history": True, "size_small": 21, "size_large": 21})
    assert res.success and np.all(np.diff(res.history["fun"][:-1]) < 0)
    assert np.isclose(res.fun, p.fun(res.x), rtol=1e-9)
    assert res.kkt_residual <= 1e-6
    _assert_dag(res.W)


def test_logistic_score_on_binary_data():
    rng = np.random.default_rng(7)
    B = nd.simulate_dag(5, 5, "ER", seed=7)
    W = nd.simulate_parameter(B, seed=7) * 2
    X = nd.simulate_sem(W, 2000, "logistic", seed=rng)
    assert set(np.unique(X)) <= {0.0, 1.0}
    p = DAGScore(X, score="logistic", lambda1=0.01)
    res = numopt.minimize(p, method="topo", options={"size_small": 10, "size_large": 10})
    assert res.success
    _assert_dag(res.W)
    assert np.isclose(res.fun, p.fun(res.x), rtol=1e-9)
    W_e, Q_e = fit_order(p, res.order)
    assert np.isclose(Q_e, res.fun, rtol=1e-9)


def test_notears_is_acyclic_no_better_than_topo_and_topo_post_processing_never_increases():
    _, _, X = _sem(6, 2, 8, n=500)
    p = DAGScore(X, lambda1=0.05)
    nt = numopt.minimize(p, method="notears")
    assert nt.success and nt.h <= 1e-8
    _assert_dag(nt.W)
    tp = numopt.minimize(p, method="topo", options={"size_small": 15, "size_large": 15})
    assert nt.fun >= tp.fun - 1e-12
    post = numopt.minimize(p, nt.x, method="topo")
    assert post.success and post.fun <= nt.fun + 1e-12
    _assert_dag(post.W)


def test_notears_inner_failure_is_never_success():
    _, _, X = _sem(5, 2, 9, n=200)
    res = numopt.minimize(DAGScore(X, lambda1=0.1), method="notears", options={"inner_maxiter": 2})
    assert not res.success and res.status == Status.INNER_MAXITER
    assert "L-BFGS-B" in res.message
    _assert_dag(res.W)


def test_acyclicity_functions_zero_on_dags_gradients_by_finite_differences():
    rng = np.random.default_rng(10)
    d = 5
    Wdag = np.triu(rng.uniform(0.3, 0.6, (d, d)), 1)
    Wcyc = Wdag.copy()
    Wcyc[4, 0] = 0.4
    for kind in ("logdet", "expm", "poly"):
        assert abs(acyclicity(Wdag, kind)[0]) < 1e-12
        h, G = acyclicity(0.5 * Wcyc, kind)
        assert h > 1e-6
        E = rng.standard_normal((d, d))
        t = 1e-6
        fd = (acyclicity(0.5 * Wcyc + t * E, kind)[0] - acyclicity(0.5 * Wcyc - t * E, kind)[0]) / (2 * t)
        assert np.isclose(fd, np.sum(G * E), rtol=1e-6)
    # dh/dA is zero exactly where there is no path j ~> i (reachability, transposed)
    from numopt.problems.dag import acyclicity_dA
    _, H = acyclicity_dA(np.abs(Wdag), "expm")
    R = reachability(Wdag) | np.eye(d, dtype=bool)
    assert np.array_equal(H > 1e-300, R.T)


def test_problem_oracles_and_kkt_of_the_empty_graph():
    _, _, X = _sem(4, 1, 11, n=100)
    p = DAGScore(X, lambda2=0.2)
    W = np.triu(np.ones((4, 4)), 1) * 0.3
    g = p.grad(W.ravel())
    assert numopt.check_grad(lambda x: p.fun(x), lambda x: p.grad(x), W.ravel()) < 1e-5
    assert g.shape == (16,)
    assert DAGScore(X).kkt_residual(np.zeros((4, 4))) > 0


def test_metrics_and_simulation():
    B_true = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    B_est = np.array([[0, 1, 1], [0, 0, 0], [0, 1, 0]])           # one right, one reversed, one extra
    acc = nd.count_accuracy(B_true, B_est)
    assert acc == {"fdr": 2 / 3, "tpr": 0.5, "fpr": 2 / 1, "shd": 2, "nnz": 3}
    B = nd.simulate_dag(12, 24, "ER", seed=0)
    assert B.sum() == 24 and nd.is_dag(B)
    S = nd.simulate_dag(30, 60, "SF", seed=0)
    assert nd.is_dag(S) and S.sum() > 0
    W = nd.simulate_parameter(B, seed=0)
    assert np.all((np.abs(W[B != 0]) >= 0.5) & (np.abs(W[B != 0]) <= 2)) and np.all(W[B == 0] == 0)
    for sem in ("gauss", "exp", "gumbel", "uniform"):
        X = nd.simulate_sem(W, 50, sem, seed=1)
        assert X.shape == (50, 12) and np.all(np.isfinite(X))


def test_varsortability_and_sortnregress_on_equal_variance_data():
    B, W, X = _sem(15, 2, 12)
    v = nd.varsortability(X, W)
    assert v > 0.9                                               # simulated EV data are varsortable
    Ws = nd.sortnregress(X)
    _assert_dag(Ws)
    assert nd.count_accuracy(B, Ws)["shd"] < B.sum()             # the trivial baseline already works
    Xs = X / X.std(0)
    assert nd.varsortability(Xs, W) == pytest.approx(0.5)        # all variances equal: ties
    with pytest.warns(nd.VarsortabilityWarning):
        nd.topo(X)


def test_standardize_changes_the_data_not_the_contract():
    _, _, X = _sem(6, 2, 13, n=300)
    res = nd.solve(X * np.arange(1, 7), standardize=True)
    assert np.allclose(res.problem.X.std(0), 1.0)
    _assert_dag(res.W)


def test_bad_input_raises_clear_errors():
    X = np.random.default_rng(0).standard_normal((20, 3))
    Xn = X.copy()
    Xn[2, 1] = np.nan
    with pytest.raises(ValueError, match="X must be finite"):
        DAGScore(Xn)
    with pytest.raises(ValueError, match="at least 2 variables"):
        DAGScore(X[:, :1])
    with pytest.raises(ValueError, match="at least 2 samples"):
        DAGScore(X[:1])
    with pytest.raises(ValueError, match="square"):
        nd.topo(X, init=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="init must be"):
        nd.topo(X, init=np.zeros((4, 4)))
    with pytest.raises(ValueError, match="permutation"):
        nd.topo(X, init=[0, 0, 1])
    with pytest.raises(ValueError, match="score"):
        DAGScore(X, score="l1")
    with pytest.raises(ValueError, match="binary"):
        DAGScore(X, score="logistic")
    with pytest.raises(ValueError, match="lambda1"):
        DAGScore(X, lambda1=-1.0)
    with pytest.raises(ValueError, match="unknown option"):
        numopt.minimize(DAGScore(X), method="topo", options={"sizes": 3})
    with pytest.raises(ValueError, match="singular"):
        numopt.minimize(DAGScore(np.column_stack([X, X[:, 0] - X[:, 1]])), method="topo")
    with pytest.raises(ValueError, match="cannot solve"):
        numopt.minimize(numopt.problems.Lasso(X, X[:, 0], 0.1), method="topo")


def test_topo_counts_work_and_reports_its_fields():
    _, _, X = _sem(6, 2, 14, n=200)
    res = numopt.minimize(DAGScore(X), method="topo")
    assert res.npass > 0 and res.n_candidates > 0
    assert set(res) >= {"W", "order", "loss", "kkt_residual", "h", "n_swaps", "n_large_used"}
    assert sorted(res.order.tolist()) == list(range(6))


# ---------------------------------------------------------------------------------------
# scores, acyclicity functions and metrics against independent computations
# ---------------------------------------------------------------------------------------
def test_logistic_and_l2_scores_and_gradients_by_finite_differences():
    rng = np.random.default_rng(20)
    B = nd.simulate_dag(5, 6, "ER", seed=20)
    Xb = nd.simulate_sem(nd.simulate_parameter(B, seed=20), 300, "logistic", seed=20)
    W = rng.uniform(-1, 1, (5, 5))
    np.fill_diagonal(W, 0.0)
    p = DAGScore(Xb, score="logistic", lambda1=0.1, lambda2=0.3)
    M = Xb @ W                                                   # the formula of the issue, in numpy
    direct = np.mean(np.sum(np.log1p(np.exp(M)) - Xb * M, axis=1)) + 0.1 * np.abs(W).sum() \
        + 0.15 * np.sum(W * W)
    assert np.isclose(p.fun(W.ravel()), direct, rtol=1e-12)
    assert np.isclose(p.column_losses(W).sum(), p.loss(W)[0], rtol=1e-12)
    smooth = lambda x: p.fun(x) - 0.1 * np.abs(x).sum()          # grad is that of the smooth part
    assert numopt.check_grad(smooth, p.grad, W.ravel()) < 1e-6
    _, _, X = _sem(5, 2, 21, n=200)
    q = DAGScore(X, lambda2=0.2)
    assert np.isclose(q.loss(W)[0], 0.5 / 200 * np.sum((X - X @ W) ** 2), rtol=1e-12)
    assert numopt.check_grad(q.fun, q.grad, W.ravel()) < 1e-6


@pytest.mark.parametrize("kind", ["logdet", "expm", "poly"])
def test_acyclicity_gradients_in_A_and_for_abs_by_finite_differences(kind):
    from numopt.problems.dag import acyclicity_dA
    rng = np.random.default_rng(22)
    d = 6
    A = rng.uniform(0.0, 0.25, (d, d))                           # cyclic, spectral radius < 1.5
    W = A * rng.choice([-1.0, 1.0], (d, d))                      # no zero entries: |W| is smooth here
    E = rng.standard_normal((d, d))
    t = 1e-6
    for s in ((1.0, 2.0) if kind == "logdet" else (1.0,)):
        h, G = acyclicity_dA(A, kind, s)
        assert h > 0
        fd = (acyclicity_dA(A + t * E, kind, s)[0] - acyclicity_dA(A - t * E, kind, s)[0]) / (2 * t)
        assert np.isclose(fd, np.sum(G * E), rtol=1e-6)
        h2, Gw = acyclicity(W, kind, s, elementwise="abs")
        assert h2 == pytest.approx(h, rel=1e-12)
        fd = (acyclicity(W + t * E, kind, s, "abs")[0] - acyclicity(W - t * E, kind, s, "abs")[0]) / (2 * t)
        assert np.isclose(fd, np.sum(Gw * E), rtol=1e-6)
    # closed forms: tr e^A - d by the eigenvalues; -log det(I - A) by slogdet
    if kind == "expm":
        assert np.isclose(acyclicity_dA(A, kind)[0], np.sum(np.exp(np.linalg.eigvals(A))).real - d, rtol=1e-10)
    if kind == "logdet":
        assert np.isclose(acyclicity_dA(A, kind)[0], -np.log(np.linalg.det(np.eye(d) - A)), rtol=1e-10)
        assert acyclicity_dA(3 * np.ones((d, d)), kind)[0] == np.inf   # s below the spectral radius


def _count_by_pairs(Bt, Be):
    """SHD / TPR / FDR by walking the unordered pairs (NOTEARS' definitions, written independently)."""
    d = Bt.shape[0]
    shd = tp = rev = fp = 0
    for i in range(d):
        for j in range(i + 1, d):
            t = (Bt[i, j], Bt[j, i])
            e = (Be[i, j], Be[j, i])
            tp += (Bt[i, j] and Be[i, j]) + (Bt[j, i] and Be[j, i])
            if e != (0, 0) and t == (0, 0):
                fp += 1
            if e != (0, 0) and t != (0, 0) and e != t:
                rev += 1
            shd += e != t                                        # extra, missing or reversed: one each
    pred = int(Be.sum())
    return {"shd": shd, "tpr": tp / max(int(Bt.sum()), 1), "fdr": (rev + fp) / max(pred, 1), "nnz": pred}


def test_count_accuracy_against_pairwise_counts_and_dagma():
    try:
        from dagma.utils import count_accuracy as dagma_count
    except ImportError:                                          # dagma (and igraph) are optional
        dagma_count = None
    rng = np.random.default_rng(23)
    for trial in range(30):
        d = int(rng.integers(3, 12))
        Bt = nd.simulate_dag(d, int(rng.integers(0, 2 * d)), "ER" if trial % 2 else "SF", seed=trial)
        Be = Bt.copy()                                           # perturb: drop, reverse, add (kept acyclic)
        for i, j in zip(*np.nonzero(Bt)):
            u = rng.random()
            if u < 0.2:
                Be[i, j] = 0
            elif u < 0.4:
                Be[i, j], Be[j, i] = 0, 1
                if not nd.is_dag(Be):
                    Be[i, j], Be[j, i] = 1, 0
        for _ in range(int(rng.integers(0, d))):
            i, j = rng.integers(d, size=2)
            if i != j and Be[j, i] == 0:
                Be[i, j] = 1
                if not nd.is_dag(Be):
                    Be[i, j] = 0
        mine = nd.count_accuracy(Bt, Be)
        ref = _count_by_pairs(Bt.astype(int), Be.astype(int))
        assert mine["shd"] == ref["shd"] and mine["nnz"] == ref["nnz"]
        assert np.isclose(mine["tpr"], ref["tpr"]) and np.isclose(mine["fdr"], ref["fdr"])
        if dagma_count is not None and Bt.sum() > 0:
            theirs = dagma_count(Bt.astype(int), Be.astype(int))
            for key in ("shd", "tpr", "fdr", "fpr", "nnz"):
                assert np.isclose(mine[key], theirs[key]), (key, mine, theirs)


def test_threshold_till_dag_removes_the_fewest_smallest_entries():
    rng = np.random.default_rng(24)
    for _ in range(20):
        W = rng.standard_normal((7, 7)) * (rng.random((7, 7)) < 0.4)
        np.fill_diagonal(W, 0.0)
        Wd, thr = nd.threshold_till_dag(W)
        _assert_dag(Wd)
        assert np.array_equal(Wd, np.where(np.abs(W) > thr, W, 0.0))
        smaller = np.abs(W[(np.abs(W) < thr) & (W != 0)])
        if nd.is_dag(W):
            assert thr == 0.0 and np.array_equal(Wd, W)
        elif smaller.size:                                       # any lower threshold leaves a cycle
            assert not nd.is_dag(np.where(np.abs(W) > smaller.max(), W, 0.0))


# ---------------------------------------------------------------------------------------
# guaranteed acyclicity and warm starts
# ---------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::numopt.dag.VarsortabilityWarning")
def test_outputs_are_dags_for_any_threshold_warm_start_and_budget():
    _, _, X = _sem(7, 2, 25, n=300)
    rng = np.random.default_rng(25)
    for trial in range(4):
        W0 = rng.standard_normal((7, 7)) * (rng.random((7, 7)) < 0.5)     # random, usually cyclic
        for thr in (0.0, 0.3):
            _assert_dag(nd.topo(X, init=W0, w_threshold=thr, warn=False))
            _assert_dag(nd.topo(X, init=W0, lambda1=0.05, w_threshold=thr, maxiter=1, warn=False))
    with pytest.warns(nd.ConvergenceWarning):                    # stopped early: still a DAG
        W = nd.notears(X, w_threshold=0.0, maxiter=1)
    _assert_dag(W)
    res = nd.solve(X, "notears", lambda1=0.05, options={"w_threshold": 0.0, "maxiter": 1})
    assert not res.success and res.status == Status.MAXITER
    _assert_dag(res.W)
    assert np.isclose(res.fun, res.problem.fun(res.W.ravel()))   # fun is that of the returned DAG


def test_notears_with_the_polynomial_acyclicity_is_acyclic_and_topo_improves_it():
    _, _, X = _sem(5, 2, 26, n=300)
    p = DAGScore(X, lambda1=0.05)
    nt = numopt.minimize(p, method="notears", options={"h": "poly"})
    assert nt.success and nt.h <= 1e-8
    _assert_dag(nt.W)
    post = numopt.minimize(p, nt.x, method="topo", options={"size_small": 10, "size_large": 10})
    assert post.success and post.fun <= nt.fun + 1e-12


def test_warm_start_from_a_dagma_matrix_never_increases_the_score():
    dlin = pytest.importorskip("dagma.linear")
    import contextlib
    import io
    B, _, X = _sem(6, 2, 27, n=400)
    with contextlib.redirect_stderr(io.StringIO()):              # dagma's progress bars
        Wd = dlin.DagmaLinear(loss_type="l2").fit(X.copy(), lambda1=0.03, w_threshold=0.0, T=1,
                                                  warm_iter=300, max_iter=600)
    Wdag, _ = nd.threshold_till_dag(np.where(np.abs(Wd) >= 0.3, Wd, 0.0))
    res = nd.solve(X, init=Wd)                                   # the raw (cyclic or not) DAGMA matrix
    assert res.success
    _assert_dag(res.W)
    assert res.fun <= DAGScore(X).fun(Wdag.ravel()) + 1e-12      # refit + swaps only go down
    W = nd.topo(X, init=Wd, warn=False)
    _assert_dag(W)
    assert nd.count_accuracy(B, W)["shd"] <= nd.count_accuracy(B, Wdag)["shd"] + 2


def test_small_blas_pins_one_thread_for_small_d_only():
    from threadpoolctl import threadpool_info
    from numopt.solvers.dag.graph import SMALL_BLAS_MAX_D, small_blas
    blas = lambda: [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    before = blas()
    with small_blas(50):
        assert all(t == 1 for t in blas())
    assert blas() == before
    with small_blas(SMALL_BLAS_MAX_D + 1):
        assert blas() == before


def test_the_dag_bench_source_and_suite():
    from numopt.bench import load_suite
    from numopt.solvers.dag.bench import DAGSource
    src = DAGSource()
    assert src.select() == ["ER2", "ER4", "SF4"]
    with pytest.raises(ValueError, match="unknown dag problem"):
        src.select(["ER3"])
    with pytest.raises(TypeError, match="unexpected parameters"):
        src.build("ER2", dd=3)
    bp = src.build("ER2", d=6, n=200)
    assert bp.problem.constr_violation(bp.problem.x0) == 0.0           # the empty graph is a DAG
    cyc = np.zeros((6, 6))
    cyc[0, 1] = cyc[1, 0] = 1.0
    assert bp.problem.constr_violation(cyc.ravel()) > 0
    suite = load_suite("dag")
    assert {s.method for s in suite.solvers} == {"topo", "notears"}


# ---------------------------------------------------------------------------------------
# the search over starts, and the refit after thresholding
# ---------------------------------------------------------------------------------------
def test_start_orders_and_the_search_keeps_the_best_descent():
    from numopt.solvers.dag.topo import start_order
    B, W, X = _sem(12, 2, 31, n=2000)
    p = DAGScore(X)
    var = start_order(p, "var")
    assert np.all(np.diff(np.diag(p.gram)[var]) >= 0)
    greedy = start_order(p, "greedy")
    assert sorted(greedy.tolist()) == list(range(12))
    # greedy = argmin residual variance given the chosen ones, checked by independent regressions
    for t in range(1, 4):
        S = list(greedy[:t])
        rest = [k for k in range(12) if k not in S]
        resid = [np.sum((X[:, k] - X[:, S] @ np.linalg.lstsq(X[:, S], X[:, k], rcond=None)[0]) ** 2) for k in rest]
        assert rest[int(np.argmin(resid))] == greedy[t]
    single = numopt.minimize(p, method="topo", options={"starts": "", "restarts": 0})
    res = numopt.minimize(p, method="topo", options={"history": True})
    assert res.success and res.n_descents == 13 and len(res.descent_funs) == 13
    assert res.descent_funs[0] == pytest.approx(single.fun, rel=1e-12)   # the first descent is the single one
    assert res.fun == pytest.approx(res.descent_funs.min(), rel=1e-12) and res.fun <= single.fun
    assert np.isclose(res.fun, _ols_order_score(X, list(res.order)), rtol=1e-10)
    assert len(res.history["nit"]) == res.nit + 1 and res.nit_total >= res.nit
    _assert_dag(res.W)
    # a cut search is not a success, and returns the best descent so far
    cut = numopt.minimize(p, method="topo", options={"maxiter": single.nit + 1})
    assert not cut.success and cut.status == Status.MAXITER and cut.fun <= single.fun + 1e-12
    with pytest.raises(ValueError, match="starts"):
        numopt.minimize(p, method="topo", options={"starts": "var,best"})


def test_refit_after_thresholding_equals_independent_regressions():
    lm = pytest.importorskip("sklearn.linear_model")
    _, _, X = _sem(8, 2, 32, n=500)
    p = DAGScore(X)
    res = nd.solve(X)
    Wt = np.where(np.abs(res.W) >= 0.3, res.W, 0.0)
    Wr = p.refit(Wt)
    assert np.array_equal(Wr != 0, Wt != 0)
    for j in range(8):
        S = np.flatnonzero(Wt[:, j])
        if S.size:
            ref = lm.LinearRegression(fit_intercept=False).fit(X[:, S], X[:, j]).coef_
            assert np.allclose(Wr[S, j], ref, atol=1e-7)
    W = nd.topo(X, refit=True, warn=False)
    assert np.allclose(W, Wr, atol=1e-9)
    assert p.fun(W.ravel()) <= p.fun(Wt.ravel()) + 1e-12
    Xs = X[:300, :5] - X[:300, :5].mean(0)
    Wn = nd.notears(Xs, refit=True, warn=False)                   # removes notears' l1 shrinkage
    assert np.count_nonzero(Wn) > 0
    for j in range(5):
        S = np.flatnonzero(Wn[:, j])
        if S.size:
            assert np.allclose(Wn[S, j], np.linalg.lstsq(Xs[:, S], Xs[:, j], rcond=None)[0], atol=1e-7)
    # penalized: ridge in closed form
    p2 = DAGScore(X, lambda2=0.5)
    Wr2 = p2.refit(Wt, penalized=True)
    j = int(np.argmax((Wt != 0).sum(0)))
    S = np.flatnonzero(Wt[:, j])
    G = X.T @ X / X.shape[0]
    assert np.allclose(Wr2[S, j], np.linalg.solve(G[np.ix_(S, S)] + 0.5 * np.eye(S.size), G[S, j]), atol=1e-8)
    with pytest.raises(TypeError, match="refit"):
        nd.topo(X, refit="yes")


def test_logistic_refit_equals_sklearn_unpenalized():
    lm = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(33)
    B = nd.simulate_dag(5, 5, "ER", seed=33)
    X = nd.simulate_sem(nd.simulate_parameter(B, seed=33), 3000, "logistic", seed=rng)
    p = DAGScore(X, score="logistic", lambda1=0.01)
    Wr = p.refit(B)
    for j in range(5):
        S = np.flatnonzero(B[:, j])
        if S.size:
            ref = lm.LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=10000) \
                .fit(X[:, S], X[:, j]).coef_.ravel()
            assert np.allclose(Wr[S, j], ref, atol=1e-5)
    with pytest.raises(ValueError, match="did not converge in 1 iterations"):
        p.refit(B, maxiter=1)
