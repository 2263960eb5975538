"""``fed-admm``: the dual-free recursion equals standard federated ADMM, reaches the WLS
solution, converges under random scheduling, and its behaviour under link noise."""
import numpy as np
import pytest

import numopt
from numopt.problems.splitting import FederatedWLS


@pytest.fixture(scope="module")
def wls():
    g = np.random.default_rng(0)
    K, d = 10, 5
    X = [g.standard_normal((20, d)) for _ in range(K)]
    wt = g.standard_normal(d)
    y = [Xk @ wt + 0.1 * g.standard_normal(20) for Xk in X]
    lam = [g.uniform(0.5, 2.0, 20) for _ in range(K)]
    return FederatedWLS(X, y, lam)


def _run(pb, **opts):
    zs = []
    res = numopt.minimize(pb, method="fed-admm", options={"history": True, "rho": 20.0, **opts},
                          callback=lambda x: zs.append(x))
    return res, np.array(zs)


def test_closed_form_reference(wls):
    Xs, ys = np.vstack(wls.X), np.concatenate(wls.y)
    w = np.concatenate(wls.lam)
    ref = np.linalg.lstsq(Xs * np.sqrt(w)[:, None], ys * np.sqrt(w), rcond=None)[0]
    assert np.allclose(wls.solution(), ref, atol=1e-12)


def test_dual_free_reproduces_standard_iterates_and_reaches_wls(wls):
    std, zs = _run(wls, variant="standard")
    dfr, zd = _run(wls, variant="dual-free")
    assert std.success and dfr.success and std.nit == dfr.nit
    assert np.max(np.abs(zs - zd)) < 1e-10
    wstar = wls.solution()
    for r in (std, dfr):
        assert np.sum((r.x - wstar) ** 2) / np.sum(wstar ** 2) < 1e-20
        assert r.primal_residual <= 1e-7 and r.dual_residual <= 1e-7


def test_random_scheduling_converges_and_continued_updates_save_rounds(wls):
    wstar = wls.solution()
    std, _ = _run(wls, variant="standard", schedule_prob=0.5, rng=1)
    idle, _ = _run(wls, variant="dual-free", schedule_prob=0.5, continue_updates=False, rng=1)
    cont, _ = _run(wls, variant="dual-free", schedule_prob=0.5, continue_updates=True, rng=1)
    for r in (std, idle, cont):
        assert r.success and np.sum((r.x - wstar) ** 2) / np.sum(wstar ** 2) < 1e-18
    assert cont.nit < 0.7 * std.nit          # unscheduled clients that keep updating save rounds


def test_noise_behaviour(wls):
    """Under additive link noise both variants reach a bounded steady-state error. With full
    participation and the same noise draws they coincide: the dual elimination is an exact
    identity. (The paper's claim of a lower steady-state error is NOT reproduced by this
    reconstruction; see docs/admm.md.)"""
    for seed in range(3):
        std, _ = _run(wls, variant="standard", noise_std=1e-2, maxiter=400, rng=seed)
        dfr, _ = _run(wls, variant="dual-free", noise_std=1e-2, maxiter=400, rng=seed)
        assert std.status_name == dfr.status_name == "MAXITER"
        assert np.allclose(std.history["msd"], dfr.history["msd"], rtol=1e-6, atol=1e-14)
        ss = np.mean(dfr.history["msd"][-200:])
        assert 1e-8 < ss < 1e-3                       # bounded, noise-limited
        assert np.mean(dfr.history["msd"][-100:]) < 3 * np.mean(dfr.history["msd"][-200:-100])  # no drift


def test_fed_input_errors(wls):
    with pytest.raises(ValueError, match="variant"):
        numopt.minimize(wls, method="fed-admm", options={"variant": "fast"})
    with pytest.raises(ValueError, match="schedule_prob"):
        numopt.minimize(wls, method="fed-admm", options={"schedule_prob": 0.0})
    with pytest.raises(ValueError, match="columns"):
        FederatedWLS([np.ones((3, 2)), np.ones((3, 3))], [np.ones(3), np.ones(3)])
