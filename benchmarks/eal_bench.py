"""Benchmark: method="eal" vs scipy's trust-constr and SLSQP on the scalable Poisson-control problem
and on the constrained logistic regression of the paper (LIBSVM data under $NUMOPT_DATA/libsvm).

For each grid size N (n = 2 N^2 variables, m = N^2 linear constraints) every solver runs on the
same problem in the same process; numba kernels are compiled (warm-up run) before timing. Reported
per solver: status, outer iterations, wall time, distance to the exact solution (one sparse KKT
solve) and the final KKT residual ||(grad_x L, c)||_2; then eal's time and iteration ratios against
each reference solver. Example::

    NUMOPT_DATA=/work/shared/data PYTHONPATH=. python benchmarks/eal_bench.py --sizes 3 4 6 8 12 \
        --logistic german.numer:24 a9a.t:123

All solvers use KKT/gradient tolerance 1e-4 (eal's reference default; trust-constr's gtol and
SLSQP's ftol set to 1e-4 too) so the comparison is at equal target, and the table shows the
accuracy each one actually reached.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, minimize as sp_minimize

import numopt
from numopt.problems.pde import PoissonControl


def kkt(P, x, lam):
    gl = P.grad(x) + P.jac_eq(x).T @ lam
    return float(np.sqrt(gl @ gl + np.sum(P.cons_eq(x) ** 2)))


def run_eal(P, sketch, max_inner, maxtime, seed):
    t = time.perf_counter()
    r = numopt.minimize(P, method="eal", options={"sketch": sketch, "max_inner": max_inner, "rng": seed,
                                                   "maxtime": maxtime})
    return dict(status=r.status_name, nit=r.nit, time=time.perf_counter() - t, x=r.x, lam=r.multipliers,
                extra=f"inner={r.inner_iterations}")


def run_trust_constr(P, maxtime):
    t = time.perf_counter()
    if isinstance(P, PoissonControl):       # give it the linear structure and the sparse Hessian
        H = sp.diags(P._d)
        r = sp_minimize(P.fun, P.x0, jac=P.grad, hess=lambda x: H, method="trust-constr",
                        constraints=[LinearConstraint(P.A, 0.0, 0.0)], options={"gtol": 1e-4, "maxiter": 10000})
    else:
        kw = P.to_scipy()
        r = sp_minimize(kw.pop("fun"), P.x0, method="trust-constr", options={"gtol": 1e-4, "maxiter": 10000},
                        **kw)
    lam = np.asarray(r.v[0])
    return dict(status="CONVERGED" if r.status in (1, 2) else f"scipy{r.status}", nit=r.nit,
                time=time.perf_counter() - t, x=r.x, lam=lam, extra="")


def _dense(M):
    return M.toarray() if sp.issparse(M) else np.asarray(M)


def run_slsqp(P, maxtime):
    t = time.perf_counter()
    r = sp_minimize(P.fun, P.x0, jac=P.grad, method="SLSQP",
                    constraints=[{"type": "eq", "fun": P.cons_eq, "jac": lambda x: _dense(P.jac_eq(x))}],
                    options={"ftol": 1e-4 ** 2, "maxiter": 1000})
    # least-squares multipliers for the KKT residual (SLSQP's own vary across scipy versions)
    lam = np.linalg.lstsq(_dense(P.jac_eq(r.x)).T, -P.grad(r.x), rcond=None)[0]
    return dict(status="CONVERGED" if r.success else f"scipy{r.status}", nit=r.nit,
                time=time.perf_counter() - t, x=r.x, lam=lam, extra="")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="*", default=[3, 4, 6, 8, 12],
                    help="Poisson-control grid sizes N (none: skip the PDE problem)")
    ap.add_argument("--sketches", nargs="+", default=["kaczmarz", "gaussian", "block-kaczmarz"])
    ap.add_argument("--max-inner", type=int, default=100000, help="eal's inner cap (reference: 1e5 CUTEst, "
                    "1e6 PDE)")
    ap.add_argument("--maxtime", type=float, default=120.0, help="wall-clock limit per eal run (s)")
    ap.add_argument("--seed", type=int, default=2023, help="eal's sketch seed")
    ap.add_argument("--data-seed", type=int, default=0, help="seed of the logistic problem's A, b "
                    "(must give a feasible affine-sphere intersection)")
    ap.add_argument("--logistic", nargs="*", default=[], metavar="FILE:D",
                    help="constrained logistic regression on $NUMOPT_DATA/libsvm/FILE with D features")
    ap.add_argument("--no-slsqp", action="store_true", help="skip SLSQP (dense, O(n^3) per iteration)")
    args = ap.parse_args(argv)

    warm = PoissonControl(3)
    for sk in args.sketches:             # compile the numba kernels before timing
        run_eal(warm, sk, 1000, 10.0, 0)

    print("| problem | n | m | solver | status | iterations | time (s) | ||x - x*|| | KKT residual | notes |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ratios = []
    problems = [(N, PoissonControl(N)) for N in args.sizes]
    for spec in args.logistic:
        import os
        from sklearn.datasets import load_svmlight_file
        # the shared problem of the benchmark collection (numopt.problems.constrained_logreg)
        from numopt.problems.constrained_logreg import ConstrainedLogisticRegression
        fname, d = spec.split(":")
        X, y = load_svmlight_file(os.path.join(os.environ["NUMOPT_DATA"], "libsvm", fname), n_features=int(d))
        problems.append((fname, ConstrainedLogisticRegression(X, y, seed=args.data_seed)))
    for N, P in problems:
        if isinstance(P, PoissonControl):
            xs, _ = P.solution()
        else:                                     # reference optimum: a tight trust-constr run
            kw = P.to_scipy()
            xs = sp_minimize(kw.pop("fun"), P.x0, method="trust-constr",
                             options={"gtol": 1e-10, "xtol": 1e-14, "maxiter": 10000}, **kw).x
        rows = {}
        for sk in args.sketches:
            rows[f"eal[{sk}]"] = run_eal(P, sk, args.max_inner, args.maxtime, args.seed)
        rows["trust-constr"] = run_trust_constr(P, args.maxtime)
        if not args.no_slsqp:
            rows["SLSQP"] = run_slsqp(P, args.maxtime)
        for name, r in rows.items():
            print(f"| {N} | {P.n} | {P.m_eq} | {name} | {r['status']} | {r['nit']} | {r['time']:.3g} | "
                  f"{np.linalg.norm(r['x'] - xs):.1e} | {kkt(P, r['x'], r['lam']):.1e} | {r['extra']} |")
        for name, r in rows.items():
            if name.startswith("eal"):
                for ref in ("trust-constr", "SLSQP"):
                    if ref in rows:
                        q = rows[ref]
                        ratios.append((N, name, ref, r["time"] / q["time"], r["nit"] / max(q["nit"], 1)))
    print("\n| problem | eal variant | vs | time ratio (eal / ref) | iteration ratio |")
    print("|---|---|---|---|---|")
    for N, name, ref, tr, ir in ratios:
        print(f"| {N} | {name} | {ref} | {tr:.3g} | {ir:.3g} |")


if __name__ == "__main__":
    main()
