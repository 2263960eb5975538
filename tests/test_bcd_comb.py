"""BCD lattice comb forests (``partition="comb"``) and the ``hsort``/``havg`` fixed partitions."""
import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve

import numopt
from numopt.problems import LabelPropagation, LeastSquares, SparseQuadratic, lattice_graph
from numopt.solvers.bcd.partition import comb_blocks, comb_partition, fixed_partition, lattice_shape


def is_forest(G, blk):
    """A graph is a forest iff #edges = #nodes - #components."""
    S = sp.csr_matrix(G)[blk][:, blk]
    S = sp.triu(S, k=1)
    S.eliminate_zeros()
    ncomp = connected_components(S, directed=False)[0]
    return S.nnz == blk.size - ncomp


def lattice_problem(R, C, n_lab, seed):
    rng = np.random.default_rng(seed)
    lab = rng.choice(R * C, n_lab, replace=False)
    return LabelPropagation(lattice_graph(R, C, 1e5), lab, 10.0 * rng.standard_normal(n_lab))


@pytest.mark.parametrize("R, C", [(1, 5), (2, 2), (3, 4), (4, 3), (7, 6), (6, 7), (10, 10)])
def test_combs_are_forests_covering_every_node_once(R, C):
    W = lattice_graph(R, C, 1.0)
    assert lattice_shape(W) == (R, C)
    blocks = comb_blocks(R, C)
    allidx = np.concatenate(blocks)
    assert np.array_equal(np.sort(allidx), np.arange(R * C))
    for blk in blocks:
        assert is_forest(W, blk)
        # a comb is one tree (connected) unless empty
        if blk.size:
            assert connected_components(W[blk][:, blk], directed=False)[0] == 1
    # and the partition is not trivially small: both combs hold about half of the nodes
    if R >= 2:
        assert min(b.size for b in blocks) >= (R * C) // 2 - C


def test_comb_partition_of_label_propagation_restricts_to_unlabelled():
    P = lattice_problem(9, 8, 10, 3)
    ptr, idx = comb_partition(P)
    assert np.array_equal(np.sort(idx), np.arange(P.n))
    for b in range(ptr.size - 1):
        assert is_forest(P.A, idx[ptr[b]:ptr[b + 1]])


@pytest.mark.kernels
def test_comb_forest_solve_matches_sparse_direct_solve():
    from numopt.solvers.bcd import _kernels as K
    R, C = 6, 7
    W = lattice_graph(R, C, 3.0)
    A = sp.csc_matrix(sp.diags(np.asarray(W.sum(1)).ravel() + 0.5) - W)
    A.sort_indices()
    ptr, idx = comb_partition(SparseQuadratic(A, np.zeros(R * C)))
    assert ptr.size == 3
    rhs = np.random.default_rng(0).standard_normal(A.shape[0])
    for b in range(2):
        blk = idx[ptr[b]:ptr[b + 1]]
        m = blk.size
        z = np.zeros(m)
        ok = K.forest_solve(A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data, blk, m, rhs[blk],
                            np.full(A.shape[0], -1, dtype=np.int64), z, np.empty(m, dtype=np.int64),
                            np.empty(m, dtype=np.int64), np.zeros(m), np.zeros(m), np.zeros(m))
        assert ok
        ref = spsolve(A[blk][:, blk].tocsc(), rhs[blk])
        assert np.max(np.abs(z - ref)) <= 1e-10 * max(1.0, np.max(np.abs(ref)))


def test_comb_converges_to_direct_solution():
    P = lattice_problem(20, 20, 16, 0)
    xs = P.solution()
    r = numopt.minimize(P, np.zeros(P.n), method="bcd",
                        options=dict(partition="comb", update="hb", gtol=1e-7, maxiter=100000))
    assert r.success and r.n_blocks == 2 and r.forest_fallbacks == 0
    assert np.max(np.abs(r.x - xs)) <= 1e-10 * max(1.0, np.max(np.abs(xs)))
    # a non-message-passing update converges too
    r = numopt.minimize(P, np.zeros(P.n), method="bcd",
                        options=dict(partition="comb", rule="gsl", update="lb", gtol=1e-4, maxiter=200000))
    assert r.success and np.max(np.abs(r.x - xs)) <= 1e-6 * max(1.0, np.max(np.abs(xs)))


def test_comb_beats_redblack_after_same_iterations():
    ratios = []
    for seed in (0, 1, 2):
        P = lattice_problem(20, 20, 16, seed)
        fs = P.fun(P.solution())
        gaps = {}
        for part in ("comb", "redblack"):
            r = numopt.minimize(P, np.zeros(P.n), method="bcd",
                                options=dict(partition=part, update="hb", batch=1, maxiter=30, gtol=1e-300))
            gaps[part] = r.fun - fs
        assert gaps["comb"] < gaps["redblack"] / 2, (seed, gaps)
        ratios.append(gaps["redblack"] / gaps["comb"])
    assert np.exp(np.mean(np.log(ratios))) > 3      # measured 4-9x


def test_comb_rejects_non_lattice_problems():
    rng = np.random.default_rng(0)
    B = sp.random(30, 30, density=0.2, random_state=1)
    A = B @ B.T + sp.eye(30)
    with pytest.raises(ValueError, match="partition='comb'.*lattice"):
        numopt.minimize(SparseQuadratic(A, rng.standard_normal(30)), np.zeros(30), method="bcd",
                        options=dict(partition="comb", update="hb"))
    X = rng.standard_normal((20, 10))
    with pytest.raises(ValueError, match="partition='comb'"):
        numopt.minimize(LeastSquares(X, rng.standard_normal(20)), np.zeros(10), method="bcd",
                        options=dict(partition="comb"))
    with pytest.raises(ValueError, match="gsq"):
        numopt.minimize(lattice_problem(4, 4, 2, 0), np.zeros(14), method="bcd",
                        options=dict(partition="comb", rule="gsq"))


def test_lattice_shape_rejects_near_lattices():
    W = lattice_graph(4, 5, 1.0).tolil()
    W[0, 6] = W[6, 0] = 1.0            # a diagonal edge
    assert lattice_shape(W) is None
    assert lattice_shape(lattice_graph(4, 5)[:19, :19]) is None


def test_hsort_havg_partitions_rank_by_hessian_row_sums():
    from numopt.solvers.bcd.problem_data import encode
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 12)) * rng.uniform(0.1, 10, 12)
    P = LeastSquares(X, rng.standard_normal(40))
    d = encode(P, gram=False).hessian_row_sums()
    H = np.abs(X.T @ X) / 40
    assert np.allclose(d, H.sum(axis=1), rtol=1e-12)
    assert np.all(encode(P, gram=False).gershgorin() >= d * (1 - 1e-12))     # the cheap bound is above
    ptr, idx = fixed_partition("hsort", 12, 4, d)
    assert np.array_equal(idx, np.argsort(-H.sum(axis=1), kind="stable"))
    ptr, idx = fixed_partition("havg", 12, 4, d)
    means = [d[idx[ptr[b]:ptr[b + 1]]].mean() for b in range(3)]
    assert max(means) - min(means) < (d.max() - d.min()) / 2
    xs = np.linalg.lstsq(X, P.y, rcond=None)[0]
    for part in ("hsort", "havg"):
        for rule in ("cyclic", "gsl"):
            r = numopt.minimize(P, np.zeros(12), method="bcd",
                                options=dict(partition=part, rule=rule, block_size=4, gtol=1e-9, maxiter=100000))
            assert r.success and np.max(np.abs(r.x - xs)) <= 1e-6, (part, rule)


def test_hessian_row_sums_match_dense_bound_for_every_loss():
    from numopt.problems.models import LogisticLoss, SoftmaxLoss
    from numopt.solvers.bcd.problem_data import encode
    rng = np.random.default_rng(1)
    X = sp.random(30, 8, density=0.5, random_state=2).toarray()
    for P in (LeastSquares(X, rng.standard_normal(30)), LogisticLoss(X, np.sign(rng.standard_normal(30)), l2=0.1),
              SoftmaxLoss(X, rng.integers(0, 3, 30))):
        enc = encode(P, gram=False)
        H = enc.block_bound(np.arange(enc.p))          # the dense fixed bound of all coordinates
        assert np.allclose(enc.hessian_row_sums(), np.abs(H).sum(axis=1), rtol=1e-12), type(P).__name__
