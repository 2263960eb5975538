"""``consensus-admm``: scenario QPs sharing a first segment equal one joint cvxpy solve,
serially, with threads and on a local Dask cluster."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import numopt
from numopt.problems.splitting import ConsensusProblem, make_scenario_consensus

cp = pytest.importorskip("cvxpy")

OPTS = {"eps_abs": 1e-9, "eps_rel": 1e-9}


@pytest.fixture(scope="module")
def scenario():
    pb = make_scenario_consensus(5, n=16, m=12, n_shared=4, rng=3)
    xs = [cp.Variable(q.n) for q in pb.local]
    obj, cons = 0, []
    for q, x in zip(pb.local, xs):
        obj += 0.5 * cp.quad_form(x, q.P) + q.q @ x
        cons += [q.A @ x >= q.l, q.A @ x <= q.u, x[:4] == xs[0][:4]]
    pr = cp.Problem(cp.Minimize(obj), cons)
    pr.solve(solver="CLARABEL", tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    return pb, pr.value, xs[0].value[:4], [x.value for x in xs]


def _check(res, ref_val, ref_shared, ref_local):
    assert res.success, res.message
    assert abs(res.fun - ref_val) / abs(ref_val) < 1e-6
    assert np.max(np.abs(res.x - ref_shared)) < 1e-6
    for xl, xr in zip(res.local_x, ref_local):
        assert np.max(np.abs(xl - xr)) < 1e-5
        assert np.max(np.abs(xl[:4] - res.x)) < 1e-7          # consensus holds
    assert res.primal_residual <= res.eps_pri and res.dual_residual <= res.eps_dual


def test_serial(scenario):
    pb, val, shared, local = scenario
    _check(numopt.minimize(pb, method="consensus-admm", options={**OPTS, "executor": "serial"}), val, shared, local)


def test_threads_default_and_given(scenario):
    pb, val, shared, local = scenario
    a = numopt.minimize(pb, method="consensus-admm", options=OPTS)
    _check(a, val, shared, local)
    with ThreadPoolExecutor(2) as ex:
        b = numopt.minimize(pb, method="consensus-admm", options={**OPTS, "executor": ex})
    _check(b, val, shared, local)
    assert np.array_equal(a.x, b.x)                            # deterministic regardless of executor


def test_dask_local_cluster(scenario):
    distributed = pytest.importorskip("distributed")
    pb, val, shared, local = scenario
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        res = numopt.minimize(pb, method="consensus-admm",
                              options={**OPTS, "executor": client.get_executor(pure=False)})
    _check(res, val, shared, local)


def test_general_form_and_global_consensus():
    g = np.random.default_rng(0)
    # global consensus: N least-squares-like QPs without constraints -> average of minimizers
    locs = []
    for _ in range(3):
        M = g.standard_normal((6, 6))
        locs.append(numopt.problems.QP(M @ M.T + np.eye(6), g.standard_normal(6)))
    pb = ConsensusProblem(locs)
    res = numopt.minimize(pb, method="consensus-admm", options={**OPTS, "executor": "serial"})
    Psum = sum(q.P for q in locs)
    assert np.allclose(res.x, np.linalg.solve(Psum, -sum(q.q for q in locs)), atol=1e-7)
    # general form: problem 0 shares its coordinates 0,1 with global 2,0; problem 1 its 3,4 with global 0,1
    pb = ConsensusProblem(locs[:2], shared=[[0, 1], [3, 4]], global_index=[[2, 0], [0, 1]])
    res = numopt.minimize(pb, method="consensus-admm", options={**OPTS, "executor": "serial"})
    x0, x1 = res.local_x
    assert abs(x0[1] - x1[3]) < 1e-7 and np.allclose([x0[1], x1[4], x0[0]], res.x, atol=1e-7)


def test_consensus_input_errors():
    q = numopt.problems.QP(np.eye(3), np.ones(3))
    with pytest.raises(TypeError, match="QP"):
        ConsensusProblem([np.eye(3)])
    with pytest.raises(ValueError, match="global_index"):
        ConsensusProblem([q, q], shared=[[0], [1]], global_index=[[0, 1], [0]])
    with pytest.raises(ValueError, match="executor"):
        numopt.minimize(ConsensusProblem([q, q]), method="consensus-admm", options={"executor": "processes"})


def test_inexact_local_solves_agree_with_fixed_tight_ones_at_less_work(scenario):
    """Default: local tolerance tied to the consensus residuals; local_eps_factor=0: every local
    solve to local_eps = 1e-10 (the former behaviour). Same answer, far fewer local iterations."""
    pb, val, shared, local = scenario
    a = numopt.minimize(pb, method="consensus-admm", options={**OPTS, "executor": "serial"})
    b = numopt.minimize(pb, method="consensus-admm", options={**OPTS, "executor": "serial", "local_eps_factor": 0})
    _check(a, val, shared, local)
    _check(b, val, shared, local)
    assert a.local_iterations < 0.7 * b.local_iterations
    assert b.local_tol == 1e-10 and 1e-10 <= a.local_tol <= 1e-3


def test_local_infeasibility_and_time_limit_are_statuses():
    from numopt.problems import QP
    from numopt.result import Status
    g = np.random.default_rng(1)
    M = g.standard_normal((4, 4))
    ok = QP(M @ M.T + np.eye(4), g.standard_normal(4), np.eye(4), -np.ones(4), np.ones(4))
    bad = QP(np.eye(4), np.ones(4), np.array([[1.0, 0, 0, 0], [1.0, 0, 0, 0]]), [1.0, -np.inf], [np.inf, -1.0])
    res = numopt.minimize(ConsensusProblem([ok, bad], shared=[[0, 1]] * 2), method="consensus-admm",
                          options={"executor": "serial"})
    assert res.status == Status.INFEASIBLE and not res.success and "block 1" in res.message
    pb = make_scenario_consensus(3, n=10, m=8, n_shared=3, rng=0)
    res = numopt.minimize(pb, method="consensus-admm", options={"executor": "serial", "maxtime": 1e-9})
    assert res.status == Status.MAXTIME and not res.success


def test_local_tolerance_options_are_validated():
    q = numopt.problems.QP(np.eye(3), np.ones(3))
    for bad in ({"local_eps_factor": -1.0}, {"local_eps_max": 1e-12}, {"local_eps": 0.0}, {"local_maxiter": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            numopt.minimize(ConsensusProblem([q, q]), method="consensus-admm", options=bad)


def test_penalized_hessian_patch_equals_the_sum():
    import scipy.sparse as sp
    from numopt.solvers.admm.consensus import _PenalizedP
    M = sp.random(9, 9, density=0.3, random_state=2)
    P = (M @ M.T).tocsc()
    S = np.array([4, 0, 7])
    d = np.zeros(9)
    d[S] = 2.5
    assert np.array_equal(_PenalizedP(P, S)(2.5).toarray(), P.toarray() + np.diag(d))
    assert np.array_equal(_PenalizedP(P.toarray(), S)(2.5), P.toarray() + np.diag(d))


@pytest.mark.kernels
def test_local_kernel_residuals_are_the_qp_engines():
    """The fused local solve's termination numbers equal QPSplitting._residuals' (OSQP's unscaled
    residuals and duality gap) at the same iterate."""
    from numopt.solvers.admm._consensus_kernels import local_qp_solve
    from numopt.solvers.admm.consensus import _LocalQP
    from numopt.solvers.admm.engine import ADMMOptions
    pb = make_scenario_consensus(1, n=6, m=4, n_shared=2, rng=5)
    loc = _LocalQP((pb.local[0], pb.shared[0]), 1000)
    x, k, status, _ = loc.solve(np.array([0.3, -0.2]), 1.5, (1e-3, 1e-10, 1.5))
    assert status is None and k >= 1
    blk = loc.blocks[1.5]
    it = loc._start(blk, 1.5)
    penv, factors, scaled = blk.at_rho(loc.rho)
    out = np.zeros(6)
    local_qp_solve(3, 1, True, factors, scaled, blk.data, blk.cost, blk.sigma, 1.6, 0.0, 0.0, 1.0, it,
                   loc.scratch, out)
    r, s, _, _, r_scale, s_scale = blk.spl._residuals(it[0], it[1], it[2], ADMMOptions(eps_abs=0, eps_rel=1e-9))
    assert np.allclose(out[:4], [r, s, r_scale, s_scale], rtol=1e-12, atol=1e-14)
    assert out[4] == pytest.approx(blk.spl.last_gap[0], rel=1e-10, abs=1e-14)
