"""How far past ``maxtime`` each native method returns (issue 10: bounded overshoot).

Each method runs on a problem big enough that it cannot finish in ``--maxtime`` seconds, after a
warm-up (numba compilation excluded); the figure is ``elapsed - maxtime`` (wall clock, the
``execution_time`` of the result, which includes finalize and the certificates).

Example::

    PYTHONPATH=. python benchmarks/maxtime_overshoot.py --maxtime 0.2 --repeats 3
"""
from __future__ import annotations

import argparse
import time

import numpy as np

import numopt


def cases():
    from numopt import ot_generators as gen
    from numopt.problems import QP, Lasso, LogisticRegression, MatrixGame, PoissonControl
    rng = np.random.default_rng(0)
    X = rng.standard_normal((4000, 800))
    y = X[:, :20] @ rng.standard_normal(20) + rng.standard_normal(4000)
    yl = np.sign(y)
    M = rng.standard_normal((400, 400))
    P = M @ M.T / 400 + 1e-3 * np.eye(400)
    A = rng.standard_normal((300, 400))
    return {
        "prox-grad": (lambda: Lasso(X, y, 1e-4), {"gtol": 1e-300}),
        "bcd": (lambda: LogisticRegression(X, yl, alpha=1e-5, penalty="l1"), {"gap_tol": 1e-300}),
        "admm": (lambda: QP(P, rng.standard_normal(400), A, -np.ones(300), np.ones(300)),
                 {"eps_abs": 1e-300, "eps_rel": 1e-300}),
        "sinkhorn": (lambda: gen.random_assignment(1500, seed=0), {"ctol": 1e-300}),
        "sns": (lambda: gen.random_assignment(1500, seed=0), {"ctol": 1e-300}),
        "halpern": (lambda: MatrixGame(rng.standard_normal((1500, 1500))), {"rtol": 1e-300}),
        "eal": (lambda: PoissonControl(24), {"gtol": 1e-300}),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--maxtime", type=float, default=0.2)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    print(f"| method | status | median overshoot (s) | worst (s) |\n|---|---|---|---|")
    for method, (make, opts) in cases().items():
        numopt.minimize(make(), method=method, options={**opts, "maxiter": 2})          # warm-up
        over, status = [], None
        for _ in range(a.repeats):
            problem = make()
            t = time.perf_counter()
            res = numopt.minimize(problem, method=method, options={**opts, "maxtime": a.maxtime, "maxiter": 10**9})
            over.append(time.perf_counter() - t - a.maxtime)
            status = res.status_name
        print(f"| `{method}` | {status} | {np.median(over):.3f} | {max(over):.3f} |", flush=True)


if __name__ == "__main__":
    main()
