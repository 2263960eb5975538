"""Steady-state error of ``fed-admm`` under communication noise: standard vs dual-free.

For every (rho, noise level, scheduling probability, links) cell, both variants run on the
same federated WLS instance with the same seeds (hence the same scheduling and noise draws
where the variants consume them alike) for ``--rounds`` rounds; the steady-state MSD
``|z - w*|^2 / |w*|^2`` (``w*`` the closed-form WLS solution) is averaged over the second half
of the rounds and over the seeds. ``ratio`` = dual-free / standard (< 1: dual-free more robust);
``worst`` is the largest per-seed ratio.

Example
-------
    PYTHONPATH=. python benchmarks/admm_fed_noise.py --seeds 5 --rounds 1500
"""
from __future__ import annotations

import argparse
import itertools

import numpy as np

import numopt
from numopt.problems.splitting import make_federated_wls


def steady_msd(pb, variant, rounds, seed, **opts):
    res = numopt.minimize(pb, method="fed-admm",
                          options={"variant": variant, "maxiter": rounds, "history": True, "rng": seed, **opts})
    return float(np.mean(res.history["msd"][rounds // 2:]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=1500)
    ap.add_argument("--rho", type=float, nargs="+", default=[1.0, 20.0])
    ap.add_argument("--noise", type=float, nargs="+", default=[1e-3, 1e-2])
    ap.add_argument("--prob", type=float, nargs="+", default=[1.0, 0.5])
    a = ap.parse_args(argv)
    pb = make_federated_wls(rng=0)
    print("| rho | noise std | links | p | continue | MSD standard | MSD dual-free | ratio | worst |")
    print("|---|---|---|---|---|---|---|---|---|")
    for rho, sd, links, p in itertools.product(a.rho, a.noise, ("both", "down"), a.prob):
        for cont in ((True, False) if p < 1 else (True,)):
            opts = {"rho": rho, "noise_std": sd, "schedule_prob": p,
                    "uplink_noise_std": sd if links == "both" else 0.0}
            s = np.array([steady_msd(pb, "standard", a.rounds, seed, **opts) for seed in range(a.seeds)])
            f = np.array([steady_msd(pb, "dual-free", a.rounds, seed, continue_updates=cont, **opts)
                          for seed in range(a.seeds)])
            print(f"| {rho:g} | {sd:g} | {links} | {p:g} | {'yes' if cont else 'no'} | {s.mean():.3e} | "
                  f"{f.mean():.3e} | {f.mean() / s.mean():.3f} | {np.max(f / s):.3f} |", flush=True)


if __name__ == "__main__":
    main()
