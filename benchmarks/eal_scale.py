"""Benchmark: method="eal" at scale on PoissonControl(N), adaptive vs reference inner test, against
scipy's trust-constr and IPOPT (cyipopt), side by side and interleaved.

For each grid size N (n = 2 N^2 variables, m = N^2 linear constraints) every solver runs on the same
problem in the same process, ``--repeats`` times, the solvers' order rotating from repeat to repeat
(interleaved, so load drifts hit all alike); the median wall time is reported. Every solver gets the
same target, ``--tol`` (default 1e-6): eal's ``gtol`` on ||(grad_x L, c)||_2, trust-constr's ``gtol``,
IPOPT's ``tol``. The accuracy is then checked **from the outputs**, the same way for every solver:
the KKT residual ||(grad f + A^T lam_LS, A x)||_2 with the least-squares multipliers lam_LS of the
returned x (one sparse solve), and ||x - x*|| / ||x*|| against the exact solution (one sparse KKT
solve). numba kernels are compiled (warm-up) before timing. The eal variants: MINRES with the
block-diagonal preconditioner ``preconditioner="schur"`` (``diag(B)`` and ``G diag(B)^{-1} G^T``
factorized, numopt.solvers.eal.precond) in both fidelities and on the matrix-free path, with
``"jacobi"``, and unpreconditioned MINRES and Kaczmarz up to ``--plain-max`` / ``--rk-max``.
trust-constr gets the same ``--maxtime`` through its callback. Example::

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/eal_scale.py --sizes 4 8 16 32 64 128 256 \
        --rk-max 8 --plain-max 64 --repeats 3
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import LinearConstraint, minimize as sp_minimize
from scipy.sparse.linalg import splu

import numopt
from numopt.bench.baselines import IPOPT
from numopt.problems.pde import PoissonControl


def kkt_from_output(P, x):
    """||(grad f + A^T lam, A x)|| with lam the least-squares multipliers at x."""
    A = P.A
    g = P.grad(x)
    lam = -splu((A @ A.T).tocsc()).solve(A @ g)
    gl = g + A.T @ lam
    c = A @ x
    return float(np.sqrt(gl @ gl + c @ c))


def eal(opts):
    def run(P, tol, maxtime):
        r = numopt.minimize(P, method="eal", tol=tol, options={"rng": 0, "maxtime": maxtime, **opts})
        return r.status_name, r.nit, r.x, f"inner={r.inner_iterations}"
    return run


def trust_constr(P, tol, maxtime):
    H = sp.diags(P._d)
    t0 = time.perf_counter()
    r = sp_minimize(P.fun, P.x0, jac=P.grad, hess=lambda x: H, method="trust-constr",
                    constraints=[LinearConstraint(P.A, 0.0, 0.0)], options={"gtol": tol, "maxiter": 10000},
                    callback=lambda xk, st: time.perf_counter() - t0 > maxtime)
    status = "CONVERGED" if r.status in (1, 2) else ("MAXTIME" if r.status == 3 else f"scipy{r.status}")
    return status, r.nit, r.x, f"cg_iters={r.cg_niter}"


def ipopt(P, tol, maxtime):
    r = numopt.minimize(P, method=IPOPT, options={"tol": tol, "maxtime": maxtime})
    return r.status_name, r.nit, r.x, ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--rk-max", type=int, default=8, help="largest N for the Kaczmarz variants")
    ap.add_argument("--plain-max", type=int, default=64,
                    help="largest N for unpreconditioned MINRES and the Jacobi preconditioner")
    ap.add_argument("--maxtime", type=float, default=60.0, help="time limit per eal / IPOPT run (s)")
    ap.add_argument("--solvers", default="",
                    help="comma-separated solver names to run (default: all); trust-constr and IPOPT are always "
                         "run when named or when the list is empty")
    args = ap.parse_args(argv)

    schur = {"sketch": "minres", "preconditioner": "schur"}
    solvers = {
        "eal adaptive minres+schur": eal(schur),
        "eal reference minres+schur": eal({**schur, "fidelity": "reference"}),
        "eal adaptive minres+schur (operator)": eal({**schur, "kkt": "operator"}),
        "eal adaptive minres+jacobi": eal({"sketch": "minres", "preconditioner": "jacobi"}),
        "eal adaptive minres": eal({"sketch": "minres"}),
        "eal reference minres": eal({"sketch": "minres", "fidelity": "reference"}),
        "eal adaptive kaczmarz": eal({"max_inner": 1000000}),
        "eal reference kaczmarz": eal({"max_inner": 1000000, "fidelity": "reference"}),
        "trust-constr": trust_constr,
        "IPOPT": ipopt,
    }
    if args.solvers:
        keep = [s.strip() for s in args.solvers.split(",")]
        unknown = [s for s in keep if s not in solvers]
        if unknown:
            ap.error(f"unknown solver(s) {unknown}; valid: {list(solvers)}")
        solvers = {s: solvers[s] for s in keep}
    warm = PoissonControl(3)
    for run in solvers.values():
        run(warm, 1e-4, 10.0)

    print(f"tol = {args.tol:g}, repeats = {args.repeats} (median wall time), solvers interleaved\n")
    print("| N | n | m | solver | status | iterations | time (s) | KKT from output | rel. ||x - x*|| | notes |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    ratios = []
    for N in args.sizes:
        P = PoissonControl(N)
        xs, _ = P.solution()
        plain = ("eal adaptive minres", "eal reference minres", "eal adaptive minres+jacobi")
        names = [s for s in solvers if ("kaczmarz" not in s or N <= args.rk_max)
                 and (s not in plain or N <= args.plain_max)]
        times = {s: [] for s in names}
        last = {}
        for rep in range(args.repeats):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for s in order:
                t = time.perf_counter()
                out = solvers[s](P, args.tol, args.maxtime)
                times[s].append(time.perf_counter() - t)
                last[s] = out
        med = {s: statistics.median(v) for s, v in times.items()}
        for s in names:
            status, nit, x, note = last[s]
            print(f"| {N} | {P.n} | {P.m_eq} | {s} | {status} | {nit} | {med[s]:.3g} | "
                  f"{kkt_from_output(P, x):.1e} | {np.linalg.norm(x - xs) / np.linalg.norm(xs):.1e} | {note} |",
                  flush=True)
        for s in names:
            if s.startswith("eal"):
                ratios.append((N, s, med[s] / med["trust-constr"] if "trust-constr" in med else np.nan,
                               med[s] / med["IPOPT"] if "IPOPT" in med else np.nan))
    print("\n| N | eal variant | time / trust-constr | time / IPOPT |")
    print("|---|---|---|---|")
    for N, s, a, b in ratios:
        print(f"| {N} | {s} | {a:.3g} | {b:.3g} |")


if __name__ == "__main__":
    main()
