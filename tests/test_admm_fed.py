"""``fed-admm``: the dual-free recursion equals standard federated ADMM without noise, reaches
the WLS solution, converges under random scheduling, and has a lower steady-state error than
standard ADMM under link noise (the paper's robustness claim, over several seeds)."""
import numpy as np
import pytest

import numopt
from numopt.problems.splitting import FederatedWLS, make_federated_wls


@pytest.fixture(scope="module")
def wls():
    return make_federated_wls(n_clients=10, n=5, m=20, rng=0)


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


def _steady_msd(pb, variant, seed, rounds=600, **opts):
    res, _ = _run(pb, variant=variant, maxiter=rounds, rng=seed, **opts)
    assert res.status_name == "MAXITER"                  # noise: the residual test is never met
    msd = np.asarray(res.history["msd"])
    assert np.mean(msd[-150:]) < 3 * np.mean(msd[-300:-150])   # stationary, no random-walk drift
    return float(np.mean(msd[rounds // 2:]))


@pytest.mark.parametrize("uplink, prob, cont, margin", [
    (0.0, 1.0, True, 0.5),      # downlink noise only: measured ratio 0.35
    (None, 1.0, True, 0.9),     # noise on both links: 0.80
    (None, 0.5, False, 0.95),   # random scheduling, idle unscheduled clients: 0.85
])
def test_dual_free_is_more_robust_to_link_noise(wls, uplink, prob, cont, margin):
    """The paper's claim: lower steady-state MSD than standard ADMM under additive link noise,
    asserted for every one of 5 seeds (same scheduling and noise draws for both variants)."""
    opts = {"rho": 1.0, "noise_std": 1e-2, "uplink_noise_std": uplink, "schedule_prob": prob}
    for seed in range(5):
        std = _steady_msd(wls, "standard", seed, **opts)
        dfr = _steady_msd(wls, "dual-free", seed, continue_updates=cont, **opts)
        assert 1e-7 < std < 1e-3 and dfr < margin * std, (seed, std, dfr)


def test_continued_updates_under_noise_cost_accuracy(wls):
    """Measured, not claimed by the paper: under noise and scheduling, unscheduled clients that
    keep updating with their last noisy model raise the steady-state error (ratio 1.6 at rho=1)."""
    opts = {"rho": 1.0, "noise_std": 1e-2, "schedule_prob": 0.5}
    idle = np.mean([_steady_msd(wls, "dual-free", s, continue_updates=False, **opts) for s in range(2)])
    cont = np.mean([_steady_msd(wls, "dual-free", s, continue_updates=True, **opts) for s in range(2)])
    assert cont > 1.3 * idle


def test_fed_input_errors(wls):
    with pytest.raises(ValueError, match="variant"):
        numopt.minimize(wls, method="fed-admm", options={"variant": "fast"})
    with pytest.raises(ValueError, match="schedule_prob"):
        numopt.minimize(wls, method="fed-admm", options={"schedule_prob": 0.0})
    with pytest.raises(ValueError, match="columns"):
        FederatedWLS([np.ones((3, 2)), np.ones((3, 3))], [np.ones(3), np.ones(3)])
