"""BCD rule ordering on the paper's least-squares recipe, forest blocks and message passing
on label propagation, and the numba kernels on tiny inputs."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

import numopt
from numopt.problems import LabelPropagation, LeastSquares, SparseQuadratic, lattice_graph


def paper_least_squares(m, p, seed):
    """Dataset A of Nutini, Laradji & Schmidt (scaled down): sparse, badly scaled columns."""
    rng = np.random.default_rng(seed)
    A = (rng.standard_normal((m, p)) + 1.0) * (10.0 * rng.standard_normal(p))
    A *= rng.random((m, p)) < 10.0 * np.log(m) / m
    w = rng.standard_normal(p) * (rng.random(p) < 0.1)
    return sp.csc_matrix(A), A @ w + rng.standard_normal(m)


@pytest.fixture(scope="module")
def rule_gaps():
    """Relative gap f(x_500)/f(x_0) (f* = 0: p > m, consistent) for several configurations, 3 seeds."""
    configs = {
        "random": dict(rule="random", partition="sort"),
        "gs": dict(rule="gs", partition="sort"),
        "gsl": dict(rule="gsl", partition="sort"),
        "vb-random": dict(rule="random", partition="variable"),
        "vb-gs": dict(rule="gs", partition="variable"),
        "vb-hb-gs": dict(rule="gs", partition="variable", update="hb"),
        "vb-hb-gsd": dict(rule="gsd", partition="variable", update="hb"),
    }
    out = {k: [] for k in configs}
    for seed in (0, 1, 2):
        A, b = paper_least_squares(200, 800, seed)
        P = LeastSquares(A, b)
        f0 = P.fun(np.zeros(P.n))
        for name, o in configs.items():
            r = numopt.minimize(P, np.zeros(P.n), method="bcd",
                                options=dict(**o, block_size=5, batch=500, maxiter=1, gtol=1e-300, rng=seed))
            out[name].append(r.fun / f0)
    return {k: float(np.exp(np.mean(np.log(v)))) for k, v in out.items()}     # geometric means


def test_greedy_beats_random(rule_gaps):
    g = rule_gaps
    assert g["gs"] < g["random"]
    assert g["vb-gs"] < g["vb-random"] / 3
    assert g["gsl"] < g["random"] / 100


def test_gsl_beats_gs_by_orders_of_magnitude(rule_gaps):
    # the paper's dataset-A experiment: GSL with sorted fixed blocks is far ahead of GS
    assert rule_gaps["gsl"] < rule_gaps["gs"] / 50


def test_variable_blocks_newton_gsd_reach_tiny_gap(rule_gaps):
    assert rule_gaps["vb-hb-gs"] < rule_gaps["vb-gs"] / 10
    assert rule_gaps["vb-hb-gsd"] < 1e-9


@pytest.fixture(scope="module")
def lattice():
    rng = np.random.default_rng(0)
    R = 20
    W = lattice_graph(R, R, 1e5)
    labelled = rng.choice(R * R, 16, replace=False)
    return LabelPropagation(W, labelled, 10.0 * rng.standard_normal(16))


def test_label_propagation_energy(lattice):
    P = lattice
    x = np.random.default_rng(1).standard_normal(P.n)
    full = np.zeros(P.W.shape[0])
    full[P.unlabelled], full[P.labelled] = x, P.labels
    Wc = P.W.tocoo()
    energy = 0.25 * np.sum(Wc.data * (full[Wc.row] - full[Wc.col]) ** 2)   # 1/2 sum over edges
    assert P.fun(x) == pytest.approx(energy, rel=1e-12)


def test_forest_partition_solves_to_direct_solution(lattice):
    P = lattice
    xs = P.solution()
    r = numopt.minimize(P, np.zeros(P.n), method="bcd",
                        options=dict(partition="forest", update="hb", gtol=1e-7, maxiter=100000))
    assert r.success and r.forest_fallbacks == 0
    assert np.max(np.abs(r.x - xs)) <= 1e-10 * max(1.0, np.max(np.abs(xs)))


@pytest.mark.parametrize("part, rules", [("forest", ("cyclic", "random", "gs", "gsl", "gsd")),
                                         ("redblack", ("cyclic", "gsl")),
                                         ("variable-forest", ("random", "gs", "gsl"))])
def test_graph_partitions_converge_with_every_update(part, rules):
    W = lattice_graph(6, 6, 2.0)
    P = LabelPropagation(W, [0, 17, 35], [1.0, -2.0, 3.0])
    xs = P.solution()
    for rule in rules:
        for upd in ("lb", "la", "hb", "newton"):
            r = numopt.minimize(P, np.zeros(P.n), method="bcd",
                                options=dict(partition=part, rule=rule, update=upd, gtol=1e-10, maxiter=20000,
                                             rng=0))
            assert r.success, (part, rule, upd, r.message)
            assert np.max(np.abs(r.x - xs)) <= 1e-8, (part, rule, upd)


def test_forest_beats_redblack(lattice):
    P = lattice
    fs = P.fun(P.solution())
    gaps = {}
    for part, rule in [("forest", "cyclic"), ("redblack", "cyclic"), ("variable-forest", "gsl")]:
        r = numopt.minimize(P, np.zeros(P.n), method="bcd",
                            options=dict(partition=part, rule=rule, update="hb", batch=1, maxiter=30,
                                         gtol=1e-300))
        gaps[part] = r.fun - fs
    assert gaps["forest"] < gaps["redblack"] / 3
    assert gaps["variable-forest"] < gaps["redblack"] / 5


@pytest.mark.kernels
def test_forest_solve_matches_sparse_direct_solve():
    from numopt.solvers.bcd import _kernels as K
    from numopt.solvers.bcd.partition import graph_partition
    W = lattice_graph(6, 7, 3.0)
    A = sp.csc_matrix(sp.diags(np.asarray(W.sum(1)).ravel() + 0.5) - W)
    ptr, idx = graph_partition("forest", A, A.diagonal())
    rhs_full = np.random.default_rng(0).standard_normal(A.shape[0])
    for b in range(ptr.size - 1):
        blk = idx[ptr[b]:ptr[b + 1]]
        m = blk.size
        z = np.zeros(m)
        ok = K.forest_solve(A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data, blk, m,
                            rhs_full[blk], np.full(A.shape[0], -1, dtype=np.int64), z,
                            np.empty(m, dtype=np.int64), np.empty(m, dtype=np.int64), np.zeros(m),
                            np.zeros(m), np.zeros(m))
        assert ok
        ref = spsolve(A[blk][:, blk].tocsc(), rhs_full[blk])
        assert np.max(np.abs(z - ref)) <= 1e-10 * max(1.0, np.max(np.abs(ref)))
    # a block with a cycle is reported, not silently mis-solved
    cyc = np.array([0, 1, 7, 8], dtype=np.int64)          # a 4-cycle of the lattice
    ok = K.forest_solve(A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data, cyc, 4, np.ones(4),
                        np.full(A.shape[0], -1, dtype=np.int64), np.zeros(4), np.empty(4, dtype=np.int64),
                        np.empty(4, dtype=np.int64), np.zeros(4), np.zeros(4), np.zeros(4))
    assert not ok


@pytest.mark.kernels
def test_block_qp_matches_closed_form_and_kkt():
    from numopt.solvers.bcd import _kernels as K
    rng = np.random.default_rng(2)
    B = rng.standard_normal((6, 4))
    H = B.T @ B + 0.1 * np.eye(4)
    g, xb = rng.standard_normal(4), rng.standard_normal(4)
    d = np.zeros(4)
    K.block_qp(H, g, xb, 4, 0.0, 0, d, np.zeros(4), 100, 1e-14)
    np.testing.assert_allclose(d, np.linalg.solve(H, -g), rtol=1e-10)
    alpha = 0.7
    K.block_qp(H, g, xb, 4, alpha, 1, d, np.zeros(4), 2000, 1e-15)
    u = xb + d
    grad = g + H @ d                                   # KKT of min g'd + d'Hd/2 + alpha||xb + d||_1
    nz = u != 0
    np.testing.assert_allclose(grad[nz], -alpha * np.sign(u[nz]), atol=1e-10)
    assert np.all(np.abs(grad[~nz]) <= alpha + 1e-10)


def test_sparse_quadratic_validation():
    with pytest.raises(ValueError, match="symmetric"):
        SparseQuadratic(np.array([[2.0, 1.0], [0.0, 2.0]]), np.ones(2))
    with pytest.raises(ValueError, match="labelled"):
        LabelPropagation(lattice_graph(2, 2), [7], [1.0])
