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
