"""sinkhorn and sns against POT (sinkhorn_log, emd), certificates, the paper's random-assignment claim."""
import warnings

import numpy as np
import pytest

import numopt
import numopt.ot
from numopt import ot_generators as gen
from numopt.problems import EntropicOT
from numopt.result import Status

ot = pytest.importorskip("ot")

VARIANTS = [("sinkhorn", {}), ("sinkhorn", {"mode": "log"}), ("sinkhorn", {"mode": "kernel"}), ("sns", {}),
            ("sns", {"min_predicted_sweeps": 0})]          # the last one always takes the Newton stage


@pytest.fixture(scope="module")
def moderate():
    p = gen.point_clouds(40, 35, reg=0.05, seed=4, uniform=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        G = ot.sinkhorn(p.a, p.b, p.C, p.reg, method="sinkhorn_log", stopThr=1e-15, numItermax=20000)
    return p, G


@pytest.mark.parametrize("method, options", VARIANTS)
def test_plan_matches_pot_sinkhorn_log(moderate, method, options):
    p, G = moderate
    res = numopt.minimize(p, method=method, tol=1e-13, options=options)
    assert res.success, res.message
    assert np.abs(res.plan - G).max() <= 1e-10
    assert res.marginal_error <= 1e-13
    assert np.isclose(res.dual_objective, res.cost, rtol=0, atol=1e-11)   # strong duality at the optimum
    f, g = res.potentials
    assert np.allclose(np.concatenate([f, g]), res.x)
    assert res.nit == res.nit_sinkhorn + res.nit_newton + 1 or res.nit == res.nit_sinkhorn + res.nit_newton
    if options.get("min_predicted_sweeps") == 0:
        assert res.nit_newton >= 1


def test_sns_finishes_with_sinkhorn_when_it_is_fast(moderate):
    p, _ = moderate
    res = numopt.minimize(p, method="sns", tol=1e-8)
    assert res.success and res.nit_newton == 0

@pytest.mark.parametrize("method, options", [("sinkhorn", {}), ("sns", {"min_predicted_sweeps": 0})])
@pytest.mark.parametrize("tol", [1e-4, 1e-8])
def test_marginals_hold_to_requested_tolerance(moderate, method, options, tol):
    p, _ = moderate
    res = numopt.minimize(p, method=method, tol=tol, options=options)
    P = res.plan
    err = np.abs(P.sum(1) - p.a).sum() + np.abs(P.sum(0) - p.b).sum()
    assert res.success and err <= tol and np.isclose(err, res.marginal_error, rtol=1e-6, atol=1e-15)


@pytest.mark.parametrize("method", ["sinkhorn", "sns"])
def test_small_reg_limit_matches_emd_planted(method):
    # a planted optimal permutation with a cost gap of 0.2: the entropic plan is within
    # ~n^2 exp(-0.2/reg) of the EMD plan
    rng = np.random.default_rng(3)
    n = 10
    a = np.full(n, 1 / n)
    M = rng.uniform(0.2, 1.0, (n, n))
    M[np.arange(n), rng.permutation(n)] = 0.0
    G0 = ot.emd(a, a, M)
    res = numopt.ot.solve(a, a, M, 5e-3, method=method, tol=1e-12, maxiter=20000)
    assert res.success
    assert np.abs(res.plan - G0).sum() <= 1e-10
    assert abs(res.transport_cost - float((G0 * M).sum())) <= 1e-10


@pytest.mark.parametrize("seed", [1, 7])
def test_small_reg_limit_matches_emd_random_costs(seed):
    # U[0,1] costs have small LP gaps: only a small reg gets close, where Newton is needed
    rng = np.random.default_rng(seed)
    n = 8
    a = np.full(n, 1 / n)
    M = rng.random((n, n))
    G0 = ot.emd(a, a, M)
    res = numopt.ot.solve(a, a, M, 1e-3, method="sns", tol=1e-12)
    assert res.success and res.nit_newton >= 1
    assert np.abs(res.plan - G0).sum() <= 1e-9
    assert abs(res.transport_cost - float((G0 * M).sum())) <= 1e-10


def test_sns_dual_objective_never_decreases():
    p = gen.grid_densities(10, p=2, reg=1e-3, seed=1)
    res = numopt.minimize(p, method="sns", tol=1e-11, options={"history": True, "warmup": 5, "switch_tol": 1.0})
    assert res.success and res.nit_newton >= 5
    D = -res.history["fun"]
    assert np.all(np.diff(D) >= -1e-14 * np.abs(D[1:])), np.diff(D).min()
    assert np.all(np.isfinite(D))


@pytest.fixture(scope="module")
def assignment_runs():
    out = []
    for seed in (0, 1, 2):
        p = gen.random_assignment(500, seed=seed)
        sns = numopt.minimize(p, method="sns", tol=1e-10)
        sk = numopt.minimize(p, method="sinkhorn", tol=1e-10, options={"maxiter": 2000, "history": True})
        out.append((sns, sk))
    return out


def test_random_assignment_sns_converges_in_few_tens_of_iterations(assignment_runs):
    for sns, _ in assignment_runs:
        assert sns.success and sns.marginal_error <= 1e-10
        assert sns.nit_sinkhorn + sns.nit_newton <= 50
        assert sns.nit_newton <= 15


def test_random_assignment_sinkhorn_needs_tens_of_thousands(assignment_runs):
    for _, sk in assignment_runs:
        assert sk.status == Status.MAXITER and sk.marginal_error > 1e-8
        # linear rate over the last 1000 sweeps, extrapolated to 1e-10
        e = sk.history["marginal_error"]
        rate = (np.log(e[-1]) - np.log(e[-1001])) / 1000
        assert rate < 0
        remaining = (np.log(1e-10) - np.log(e[-1])) / rate
        assert 2000 + remaining >= 10000


@pytest.mark.parametrize("p_", [2, 1])
def test_grid_costs_small_reg_converge_or_report(p_):
    p = gen.grid_densities(12, p=p_, seed=0)           # reg = 1/1200 with cost scale 2
    res = numopt.minimize(p, method="sns", tol=1e-9, options={"maxiter": 1500})
    P = res.plan
    assert np.all(np.isfinite(P)) and P.min() >= 0 and np.isfinite(res.fun)
    if res.success:
        assert res.marginal_error <= 1e-9
    else:
        assert res.status in (Status.MAXITER, Status.MAXTIME) and np.isfinite(res.marginal_error)
    assert res.success, f"W{p_}: {res.message} err={res.marginal_error}"


@pytest.mark.parametrize("method, options", [("sinkhorn", {}), ("sinkhorn", {"mode": "log"}), ("sns", {})])
@pytest.mark.parametrize("rel", [1e-2, 1e-3, 1e-4])
def test_no_nan_or_inf_down_to_tiny_reg(method, options, rel):
    p0 = gen.point_clouds(30, reg=1.0, seed=5)
    p = EntropicOT(p0.a, p0.b, 3.0 * p0.C, rel * 3.0)        # cost scale 3
    res = numopt.minimize(p, method=method, tol=1e-9, options={"maxiter": 3000, **options})
    for v in (res.x, res.plan, res.fun, res.marginal_error, res.dual_objective, res.cost):
        assert np.all(np.isfinite(v))
    assert res.status in (Status.CONVERGED, Status.MAXITER)
    assert res.plan.min() >= 0 and res.marginal_error <= 2.0


def test_plain_kernel_mode_reports_numerical_error_at_tiny_reg():
    p0 = gen.point_clouds(30, reg=1.0, seed=5)
    p = EntropicOT(p0.a, p0.b, p0.C + 0.1, 1e-4)     # exp(-C/reg) underflows everywhere
    res = numopt.minimize(p, method="sinkhorn", options={"mode": "kernel", "maxiter": 50})
    assert res.status == Status.NUMERICAL_ERROR and np.all(np.isfinite(res.x))
    auto = numopt.minimize(p, method="sinkhorn", options={"maxiter": 50})
    assert auto.n_log_sweeps >= 1 and np.all(np.isfinite(auto.plan))   # the automatic switch


def test_warm_start_from_potentials_and_pot_warmstart(moderate):
    p, G = moderate
    cold = numopt.minimize(p, method="sinkhorn", tol=1e-10)
    loose = numopt.minimize(p, method="sinkhorn", tol=1e-3)
    warm = numopt.minimize(p, loose.x, method="sinkhorn", tol=1e-10)
    assert warm.success and warm.nit < cold.nit - loose.nit + 3
    again = numopt.minimize(p, cold.x, method="sns", tol=1e-10)
    assert again.success and again.nit <= 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, log = ot.sinkhorn(p.a, p.b, p.C, p.reg, stopThr=1e-3, log=True)
    P = numopt.ot.sinkhorn(p.a, p.b, p.C, p.reg, stopThr=1e-10,
                           warmstart=(np.log(log["u"]), np.log(log["v"])))
    assert np.abs(P - G).max() <= 1e-9


def test_callback_maxiter_and_stop_iteration(moderate):
    p, _ = moderate
    seen = []
    res = numopt.minimize(p, method="sns", callback=lambda intermediate_result: seen.append(
        intermediate_result.marginal_error), options={"maxiter": 7})
    assert res.status == Status.MAXITER and res.nit == 7 and len(seen) == 7

    def stop(intermediate_result):
        if intermediate_result.nit == 3:
            raise StopIteration
    res = numopt.minimize(p, method="sinkhorn", callback=stop)
    assert res.status == Status.CALLBACK_STOP and res.nit == 3


def test_numopt_ot_functions_match_pot(moderate):
    p, G = moderate
    for method in ("sinkhorn", "sns", "sinkhorn_log", "sinkhorn_stabilized"):
        P = numopt.ot.sinkhorn(p.a, p.b, p.C, p.reg, method=method, stopThr=1e-12)
        assert np.abs(P - G).max() <= 1e-10
    lin = numopt.ot.sinkhorn2(p.a, p.b, p.C, p.reg, method="sns", stopThr=1e-12)      # <C, P>, as POT
    assert np.isclose(lin, float((G * p.C).sum()), rtol=1e-9)
    full = numopt.ot.solve(p.a, p.b, p.C, p.reg, tol=1e-12).cost                        # the regularized cost
    assert np.isclose(full, lin + p.reg * float((G * np.log(G)).sum()), rtol=1e-9)
    with pytest.warns(UserWarning, match="did not converge"):                           # POT's warning class
        numopt.ot.sinkhorn(p.a, p.b, p.C, 1e-3, numItermax=3)
    with pytest.raises(ValueError, match="Unknown method"):
        numopt.ot.sinkhorn(p.a, p.b, p.C, p.reg, method="newton")


def test_options_are_validated():
    p = gen.point_clouds(5, reg=0.1)
    with pytest.raises(ValueError, match="option 'mode'"):
        numopt.minimize(p, method="sinkhorn", options={"mode": "fast"})
    with pytest.raises(ValueError, match="option 'density'"):
        numopt.minimize(p, method="sns", options={"density": 2.0})
    with pytest.raises(ValueError, match="option 'warmup_max'"):
        numopt.minimize(p, method="sns", options={"warmup": 10, "warmup_max": 5})
    with pytest.raises(ValueError, match="unknown option"):
        numopt.minimize(p, method="sinkhorn", options={"stopThr": 1e-9})
