"""Benchmarks of the ADMM family against reference tools, side by side in one run.

* ``qp``: numopt ``admm`` vs OSQP (same eps_abs/eps_rel, OSQP with polishing off and its
  default scaling) on random sparse feasible QPs of growing size: time ratio, iterations,
  objective gap to OSQP.
* ``lasso``: numopt ``admm`` vs scikit-learn's coordinate descent on a LIBSVM data set
  (sanity figure; ADMM is not expected to win).
* ``consensus``: ``consensus-admm`` on N scenario QPs (inexact and fixed local tolerance),
  serial vs threads vs a local Dask cluster, against OSQP on the joint QP: wall time, ratio,
  rounds, local iterations, error of the shared variables against Clarabel.

Examples
--------
    NUMOPT_DATA=/work/shared/data PYTHONPATH=. python benchmarks/admm_bench.py qp --sizes 50 100 200 400
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/admm_bench.py consensus --scenarios 2 4 8
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import scipy.sparse as sp

import numopt
from numopt.problems import QP, Lasso
from numopt.problems.splitting import make_scenario_consensus


def random_sparse_qp(n, seed, density=0.15):
    """OSQP benchmark-style random QP: P = M M^T + 0.01 I (sparse M), sparse A with m = 2 n."""
    g = np.random.default_rng(seed)
    m = 2 * n
    M = sp.random(n, n, density=density, random_state=seed, data_rvs=g.standard_normal)
    P = (M @ M.T + 1e-2 * sp.eye(n)).tocsc()
    A = sp.random(m, n, density=density, random_state=seed + 1, data_rvs=g.standard_normal).tocsc()
    q = g.standard_normal(n)
    l, u = -g.uniform(0, 1, m), g.uniform(0, 1, m)
    return P, q, A, l, u


def bench_qp(sizes, eps, repeats, density):
    import osqp
    print(f"\n## QP: numopt admm vs OSQP {osqp.__version__} (eps_abs = eps_rel = {eps}, polish off, density {density})\n")
    print("| n | m | nnz(P)+nnz(A) | OSQP time [s] | OSQP iter | numopt time [s] | numopt iter | ratio | rel. obj. gap |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        P, q, A, l, u = random_sparse_qp(n, seed=n, density=density)
        t_o, t_n = [], []
        for _ in range(repeats):
            s = osqp.OSQP()
            t0 = time.perf_counter()
            s.setup(P=sp.triu(P, format="csc"), q=q, A=A, l=l, u=u, eps_abs=eps, eps_rel=eps, polishing=False,
                    verbose=False, max_iter=100000)
            ro = s.solve()
            t_o.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            rn = numopt.minimize(QP(P, q, A, l, u), np.zeros(n), method="admm",
                                 options={"eps_abs": eps, "eps_rel": eps, "maxiter": 100000, "check_every": 5})
            t_n.append(time.perf_counter() - t0)
        gap = abs(rn.fun - ro.info.obj_val) / max(1.0, abs(ro.info.obj_val))
        to, tn = min(t_o), min(t_n)
        print(f"| {n} | {2 * n} | {P.nnz + A.nnz} | {to:.4f} | {ro.info.iter} | {tn:.4f} | {rn.nit} | "
              f"{tn / to:.1f} | {gap:.1e} |")


def bench_lasso(alpha):
    from sklearn.datasets import load_svmlight_file
    from sklearn.linear_model import Lasso as SkLasso
    root = os.environ.get("NUMOPT_DATA", "/work/shared/data")
    print(f"\n## Lasso vs scikit-learn coordinate descent (alpha = {alpha})\n")
    print("| data | n x d | sklearn time [s] | numopt admm time [s] | ratio | rel. obj. diff |")
    print("|---|---|---|---|---|---|")
    for name in ("heart_scale", "german.numer", "a9a.t"):
        X, y = load_svmlight_file(os.path.join(root, "libsvm", name))
        X = X.toarray() if X.shape[1] <= 200 else X
        t0 = time.perf_counter()
        sk = SkLasso(alpha=alpha, fit_intercept=False, tol=1e-10, max_iter=100000).fit(X, y)
        ts = time.perf_counter() - t0
        pb = Lasso(X, y, alpha)
        t0 = time.perf_counter()
        res = numopt.minimize(pb, method="admm", options={"eps_abs": 1e-9, "eps_rel": 1e-9})
        tn = time.perf_counter() - t0
        fs = pb.fun(sk.coef_)
        print(f"| {name} | {X.shape[0]} x {X.shape[1]} | {ts:.3f} | {tn:.3f} | {tn / ts:.1f} | "
              f"{(res.fun - fs) / fs:.1e} |")


def joint_qp(pb):
    """The consensus problem as one QP in ``(x_1, ..., x_N, z)``: block-diagonal local data plus
    the rows ``(x_i)_{S_i} - z_{G_i} = 0``."""
    sizes = [q.n for q in pb.local]
    off = np.concatenate([[0], np.cumsum(sizes)])
    nx, nz = int(off[-1]), pb.n
    tocsc = lambda M: sp.csc_matrix(M)
    P = sp.block_diag([tocsc(q.P) for q in pb.local] + [sp.csc_matrix((nz, nz))], format="csc")
    qv = np.concatenate([q.q for q in pb.local] + [np.zeros(nz)])
    A_loc = sp.hstack([sp.block_diag([tocsc(q.A) for q in pb.local]), sp.csc_matrix((sum(q.A.shape[0] for q in pb.local), nz))])
    rows, cols, vals, r = [], [], [], 0
    for i, (S, G) in enumerate(zip(pb.shared, pb.global_index)):
        for a, b in zip(S, G):
            rows += [r, r]
            cols += [off[i] + a, nx + b]
            vals += [1.0, -1.0]
            r += 1
    E = sp.csc_matrix((vals, (rows, cols)), shape=(r, nx + nz))
    A = sp.vstack([A_loc, E], format="csc")
    lo = np.concatenate([q.l for q in pb.local] + [np.zeros(r)])
    hi = np.concatenate([q.u for q in pb.local] + [np.zeros(r)])
    return P, qv, A, lo, hi, nx


def bench_consensus(scenarios, n, dask, eps, repeats):
    """consensus-admm (inexact local solves, the default; and the fixed local tolerance 1e-10 of
    ``local_eps_factor=0``), serial / threads / Dask, against OSQP on the joint QP (setup + solve,
    same eps, polishing off). Runs interleaved per repeat; the best of ``repeats`` is reported.
    Accuracy: the max deviation of the shared variables from a tight Clarabel solve of the joint QP."""
    import clarabel
    import osqp
    print(f"\n## consensus-admm: scenario QPs (n = {n} each, shared segment 8), eps {eps}\n")
    print("| N | solver | time [s] | ratio to OSQP | rounds | local (OSQP: all) iterations | max shared error vs Clarabel |")
    print("|---|---|---|---|---|---|---|")
    client = cluster = None
    if dask:
        import distributed
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    try:
        for N in scenarios:
            pb = make_scenario_consensus(N, n=n, m=(3 * n) // 4, n_shared=8, rng=N)
            P, qv, A, lo, hi, nx = joint_qp(pb)
            eq = lo == hi
            Acl = sp.vstack([A[eq], A[~eq], -A[~eq]], format="csc")
            bcl = np.concatenate([hi[eq], hi[~eq], -lo[~eq]])
            st = clarabel.DefaultSettings()
            st.verbose, st.tol_gap_abs, st.tol_gap_rel, st.tol_feas = False, 1e-11, 1e-11, 1e-11
            ref = np.array(clarabel.DefaultSolver(sp.triu(P, format="csc"), qv, Acl, bcl,
                                                  [clarabel.ZeroConeT(int(eq.sum())),
                                                   clarabel.NonnegativeConeT(int(2 * (~eq).sum()))], st).solve().x)
            z_ref = ref[nx:]
            runs = [("consensus serial", {"executor": "serial"}),
                    ("consensus serial, local_eps_factor=0", {"executor": "serial", "local_eps_factor": 0}),
                    ("consensus threads(2)", {"executor": None, "n_workers": 2})]
            if client is not None:
                runs.append(("consensus dask(2 workers)", {"executor": client.get_executor(pure=False)}))
            best = {label: np.inf for label, _ in runs}
            best["OSQP joint"] = np.inf
            info = {}
            for _ in range(repeats):
                t0 = time.perf_counter()
                m = osqp.OSQP()
                m.setup(P=sp.triu(P, format="csc"), q=qv, A=A, l=lo, u=hi, eps_abs=eps, eps_rel=eps,
                        polishing=False, verbose=False, max_iter=100000)
                ro = m.solve()
                best["OSQP joint"] = min(best["OSQP joint"], time.perf_counter() - t0)
                info["OSQP joint"] = ("-", ro.info.iter, np.abs(ro.x[nx:] - z_ref).max())
                for label, o in runs:
                    t0 = time.perf_counter()
                    try:
                        res = numopt.minimize(pb, method="consensus-admm", options={"eps_abs": eps, "eps_rel": eps, **o})
                    except ValueError:          # an option this numopt does not have (a baseline run)
                        continue
                    best[label] = min(best[label], time.perf_counter() - t0)
                    assert res.success, res.message
                    info[label] = (res.nit, res.local_iterations, np.abs(res.x - z_ref).max())
            t_osqp = best["OSQP joint"]
            for label in ["OSQP joint"] + [r[0] for r in runs if r[0] in info]:
                rounds, its, err = info[label]
                print(f"| {N} | {label} | {best[label]:.4f} | {best[label] / t_osqp:.1f} | {rounds} | {its} | {err:.1e} |")
    finally:
        if client is not None:
            client.close()
            cluster.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    q = sub.add_parser("qp", help="numopt admm vs OSQP on random sparse QPs")
    q.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 400, 800])
    q.add_argument("--eps", type=float, default=1e-4)
    q.add_argument("--repeats", type=int, default=3)
    q.add_argument("--density", type=float, default=0.15, help="density of M (P = M M^T) and A")
    la = sub.add_parser("lasso", help="numopt admm vs scikit-learn Lasso on LIBSVM data")
    la.add_argument("--alpha", type=float, default=0.01)
    c = sub.add_parser("consensus", help="consensus-admm: serial vs threads vs Dask vs OSQP on the joint QP")
    c.add_argument("--scenarios", type=int, nargs="+", default=[2, 4, 8])
    c.add_argument("--n", type=int, default=40)
    c.add_argument("--eps", type=float, default=1e-6)
    c.add_argument("--repeats", type=int, default=3)
    c.add_argument("--no-dask", action="store_true")
    args = ap.parse_args(argv)
    # warm up (imports, first factorization paths)
    P, q_, A, l, u = random_sparse_qp(20, 0)
    numopt.minimize(QP(P, q_, A, l, u), np.zeros(20), method="admm")
    if args.what == "consensus":      # the fused local-solve kernel (compiled or loaded from the cache)
        numopt.minimize(make_scenario_consensus(2, n=6, m=4, n_shared=2, rng=0), method="consensus-admm",
                        options={"executor": "serial"})
    if args.what == "qp":
        bench_qp(args.sizes, args.eps, args.repeats, args.density)
    elif args.what == "lasso":
        bench_lasso(args.alpha)
    else:
        bench_consensus(args.scenarios, args.n, not args.no_dask, args.eps, args.repeats)


if __name__ == "__main__":
    main()
