"""Halpern-family benchmark: the paper's two settings at small size, numopt's methods side by side
with the tool a user would pick instead (scipy's HiGHS for the game, scipy's lsq_linear for box LS).

Problems
--------
* ``game``: the policeman-burglar matrix game (Nemirovski's row-scaled version, n = m = 500,
  theta = 0.8, seed 1; ``numopt.problems.policeman_burglar``), min_x max_y x'Ay over simplices.
* ``boxls``: box-constrained least squares, n = 10^4 components, d = 20, unit-norm rows
  (the finite-sum cocoercive setting where VR-Halpern's oracle complexity wins).
* ``qp``: the paper's hard equality-constrained QP, n = 200 (``numopt.problems.hard_qp``), residual
  ||F(x)|| after fixed epoch budgets against a direct KKT solve.

Every accuracy figure is recomputed here from the returned x, independently of the solvers:
the duality gap from A, the certified residual ||F(ubar) + (pre - ubar)/eta|| (eta = 1/L, own
projection code), the natural residual ||x - J(x - F(x))|| (eta = 1, the reference code's plot
measure), and for box LS the distance to lsq_linear's solution.

Two kinds of runs, interleaved (every repeat runs every method once, in turn):

1. *curves*: each numopt method with a fixed budget of epochs (data passes), no certification
   inside the run (``check_every = inf``, so the epoch axis is algorithm work only; the variants
   with restarts on the certified residual certify every 5 passes, counted); the callback
   stores the iterate and the clock; the residuals are computed afterwards.
2. *to tolerance*: each method with its own stopping test (``tol``), timed without a callback,
   median of ``--repeats`` runs; the scipy reference in the same loop.

Usage::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/halpern_bench.py \
        [--quick] [--repeats 3] [--out docs/benchmarks]
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/halpern_bench.py --notes   # n=100 table
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.optimize import linprog, lsq_linear

import numopt
from numopt.problems.inclusion import BoxLeastSquares, policeman_burglar


# -- independent measures ------------------------------------------------------------------------
def proj_simplex(v):
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    k = np.arange(1, v.size + 1)
    rho = np.nonzero(u - css / k > 0)[0][-1]
    return np.maximum(v - css[rho] / (rho + 1.0), 0.0)


def simplex_dist_sq(f, x):
    """min over the normal cone N(x) of the simplex of ||f + n||^2, n = lam 1 - mu, mu >= 0, mu_i = 0 where x_i > 0.

    A convex piecewise quadratic in lam: phi(lam) = sum_{x_i>0} (f_i + lam)^2 + sum_{x_i=0} min(f_i + lam, 0)^2,
    minimized exactly over its breakpoints."""
    pos = x > 0
    fp, fz = f[pos], f[~pos]

    def phi(lam):
        return float(np.sum((fp + lam) ** 2) + np.sum(np.minimum(fz + lam, 0.0) ** 2))
    # stationary points of each quadratic piece between breakpoints -f_z
    bps = np.sort(-fz)
    cands = list(bps)
    edges = np.concatenate([[-np.inf], bps, [np.inf]])
    for a, b in zip(edges[:-1], edges[1:]):
        mid = a + 1.0 if np.isinf(b) else (b - 1.0 if np.isinf(a) else 0.5 * (a + b))
        act = fz + mid < 0                      # zero coordinates whose term is active on (a, b)
        cnt = fp.size + act.sum()
        if cnt:
            lam = -(fp.sum() + fz[act].sum()) / cnt
            if a <= lam <= b:
                cands.append(lam)
    return min(phi(c) for c in cands) if cands else 0.0


class _Residuals:
    """The two residuals of ``0 in F(u) + N(u)`` shared by the measures (``F``, ``J``, ``L`` given)."""

    def certified(self, u):
        eta = 1.0 / self.L
        pre = u - eta * self.F(u)
        ub = self.J(pre)
        return float(np.linalg.norm(self.F(ub) + (pre - ub) / eta))

    def natural(self, u):
        return float(np.linalg.norm(u - self.J(u - self.F(u))))


class GameMeasure(_Residuals):
    def __init__(self, A):
        self.A = A
        self.m = A.shape[0]
        self.L = float(np.linalg.norm(A, 2))
        self.scale = float(np.abs(A).max())

    def F(self, u):
        x, y = u[:self.m], u[self.m:]
        return np.concatenate([self.A @ y, -(self.A.T @ x)])

    def J(self, v):
        return np.concatenate([proj_simplex(v[:self.m]), proj_simplex(v[self.m:])])

    def gap(self, u):
        return float(np.max(self.A.T @ u[:self.m]) - np.min(self.A @ u[self.m:]))

    def dist(self, u):
        """Exact dist(0, F(u) + N(u)) at a feasible u (inf if u is off the simplices)."""
        x, y = u[:self.m], u[self.m:]
        if min(x.min(), y.min()) < 0 or abs(x.sum() - 1) > 1e-9 or abs(y.sum() - 1) > 1e-9:
            return np.inf
        return float(np.sqrt(simplex_dist_sq(self.A @ y, x) + simplex_dist_sq(-(self.A.T @ x), y)))

    def all(self, u):
        return {"gap": self.gap(u), "dist": self.dist(u), "certified": self.certified(u), "natural": self.natural(u)}


class BoxLSMeasure(_Residuals):
    def __init__(self, X, y, lb, ub, xref):
        self.X, self.y, self.lb, self.ub, self.xref = X, y, lb, ub, xref
        self.n = X.shape[0]
        self.L = float(np.linalg.norm(X, 2) ** 2 / self.n)
        self.fref = self.f(xref)

    def F(self, u):
        return self.X.T @ (self.X @ u - self.y) / self.n

    def f(self, u):
        r = self.X @ u - self.y
        return float(r @ r) / (2 * self.n)

    def J(self, v):
        return np.clip(v, self.lb, self.ub)

    def dist(self, u):
        """Exact dist(0, F(u) + N_box(u)) at a feasible u."""
        if np.any(u < self.lb - 1e-15) or np.any(u > self.ub + 1e-15):
            return np.inf
        F = self.F(u)
        t = np.where(u <= self.lb, np.maximum(-F, 0.0), np.where(u >= self.ub, np.maximum(F, 0.0), F))
        return float(np.linalg.norm(t))

    def all(self, u):
        return {"dist": self.dist(u), "certified": self.certified(u), "natural": self.natural(u),
                "dist_ref": float(np.linalg.norm(u - self.xref)), "f_minus_fref": self.f(u) - self.fref}


# -- problems ------------------------------------------------------------------------------------
def make_game(n):
    g = policeman_burglar(n, theta=0.8, seed=1, variant="nemirovski")
    return g, GameMeasure(np.asarray(g.A))


def make_boxls(n, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    y = X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)
    lb, ub = -0.1, 0.1
    xref = lsq_linear(X, y, (lb, ub), method="bvls", tol=1e-14).x
    return BoxLeastSquares(X, y, lb, ub), BoxLSMeasure(X, y, lb, ub, xref), (X, y, lb, ub)


def game_lp(A, method):
    """The game by HiGHS: min v s.t. A^T x <= v 1, x in the simplex; y from the duals."""
    m, n = A.shape
    c = np.r_[np.zeros(m), 1.0]
    r = linprog(c, A_ub=np.c_[A.T, -np.ones(n)], b_ub=np.zeros(n), A_eq=np.r_[np.ones(m), 0.0][None],
                b_eq=[1.0], bounds=[(0, None)] * m + [(None, None)], method=method)
    if r.status != 0:
        raise RuntimeError(f"linprog {method}: {r.message}")
    x = r.x[:m]
    y = -r.ineqlin.marginals
    y = np.maximum(y, 0.0)
    y /= y.sum()
    return np.concatenate([x, y])


# -- runs ----------------------------------------------------------------------------------------
def curve(problem, method, options, budget):
    """Iterates and clock along a run with a fixed epoch budget (no certification inside)."""
    pts = []
    t0 = time.perf_counter()

    def cb(intermediate_result):
        pts.append((float(intermediate_result.epochs), time.perf_counter() - t0, np.array(intermediate_result.x)))

    res = numopt.minimize(problem, method=method, callback=cb,
                          options={"check_every": np.inf, **options, "max_passes": budget, "maxiter": 10 ** 8})
    return pts, res


def thin(pts, k=150):
    if len(pts) <= k:
        return pts
    idx = np.unique(np.geomspace(1, len(pts), k).astype(int) - 1)
    return [pts[i] for i in idx]


def timed(fn, repeats_out, key):
    t = time.perf_counter()
    out = fn()
    repeats_out.setdefault(key, []).append(time.perf_counter() - t)
    return out


def notes_table():
    """The research note's calibration runs (n = 100 policeman-burglar, both variants), ours beside them.

    Natural residual (eta = 1) and gap at the returned x, after 1000 and 3000 epochs."""
    rows = []
    for variant in ("reference", "nemirovski"):
        g = policeman_burglar(100, theta=0.8, seed=1, variant=variant)
        gm = GameMeasure(np.asarray(g.A))
        runs = {"halpern (adaptive restarts)": ("halpern", {}),
                "eag, eta = 1/(8L) (default)": ("eag", {}),
                "eag, eta = 5/L (the note's)": ("eag", {"step": 5.0 / gm.L}),
                "vr-halpern Alg. 2 (default eta = sqrt(N)/L_Q)": ("vr-halpern", {"rng": 0}),
                "vr-halpern Alg. 2, importance sampling": ("vr-halpern", {"rng": 0, "importance": True}),
                "vr-halpern Alg. 2, eta = 1/L": ("vr-halpern", {"rng": 0, "step": 1.0 / gm.L}),
                "vr-halpern Alg. 2, eta = 5/L (the note's)": ("vr-halpern", {"rng": 0, "step": 5.0 / gm.L})}
        for label, (method, opts) in runs.items():
            for budget in (1000, 3000):
                r = numopt.minimize(g, method=method, tol=1e-12,
                                    options={**opts, "max_passes": budget, "check_every": np.inf, "maxiter": 10 ** 8})
                m = gm.all(r.x)
                rows.append({"variant": variant, "method": label, "epochs": float(r.epochs), **m})
                print(f"  {variant:10s} {label:42s} {r.epochs:6.0f} ep  natural {m['natural']:.2e}  gap {m['gap']:.2e}",
                      flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes (game n=100, box LS n=2000)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="docs/benchmarks")
    ap.add_argument("--notes", action="store_true", help="only the research note's n=100 calibration table")
    ap.add_argument("--replot", action="store_true", help="redraw the figure from the stored results json")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        tag = "_quick" if args.quick else ""
        plot(json.loads((out / f"halpern_results{tag}.json").read_text()), out / f"halpern_convergence{tag}.png")
        return
    if args.notes:
        (out / "halpern_notes_table.json").write_text(json.dumps(notes_table(), indent=1))
        return
    n_game = 100 if args.quick else 500
    n_ls = 2000 if args.quick else 10000
    results = {"game": {"n": n_game}, "boxls": {"n": n_ls, "d": 20}}

    # ---------------- matrix game ----------------
    g, gm = make_game(n_game)
    budget = 1000
    LA = g.restricted_lipschitz()
    game_methods = {
        "halpern (adaptive restarts)": ("halpern", {}),
        "halpern (restarts, primal-weight update)": ("halpern", {"primal_weight_update": True}),
        "halpern (restarts, full-norm step)": ("halpern", {"pdhg_norm": "full"}),
        "halpern (no restart)": ("halpern", {"restart": "none"}),
        "halpern (fixed restarts, 400)": ("halpern", {"restart": "fixed", "restart_every": 400}),
        "eag": ("eag", {}),
        "extragradient": ("extragradient", {}),
        "extragradient (step 0.9/L_A)": ("extragradient", {"step": 0.9 / LA}),
        "vr-halpern (Alg. 2)": ("vr-halpern", {"rng": 0}),
        "vr-halpern (Alg. 2, restarts)": ("vr-halpern", {"rng": 0, "restart": "adaptive", "check_every": 5}),
        "vr-halpern (Alg. 2, importance)": ("vr-halpern", {"rng": 0, "importance": True}),
    }
    results["game"]["L"], results["game"]["L_A"] = float(g.lipschitz), float(LA)
    for method, opts in set((m, json.dumps(o)) for m, o in game_methods.values()):
        numopt.minimize(g, method=method, options={**json.loads(opts), "maxiter": 30})   # JIT warm-up
    curves = {}
    for label, (method, opts) in game_methods.items():
        pts, res = curve(g, method, opts, budget if method == "vr-halpern" else 3 * budget)
        curves[label] = [(e, t, gm.all(x)) for e, t, x in thin(pts)]
    results["game"]["curves"] = curves

    # to tolerance (solver's own stopping test), interleaved with HiGHS
    tol = 1e-6
    times, final = {}, {}
    # budgets: 20000 epochs for the full-norm step (it needs ~6600), 1000 for vr-halpern (the issue's),
    # 5000 for the rest; methods that cannot reach tol in the budget (O(1/k), Alg. 2) run once
    tol_budget = {"vr-halpern": 1000}
    once = ("halpern (no restart)", "eag", "extragradient", "vr-halpern (Alg. 2)", "vr-halpern (Alg. 2, restarts)",
            "vr-halpern (Alg. 2, importance)")
    for rep in range(args.repeats):
        for label, (method, opts) in game_methods.items():
            if rep > 0 and label in once:
                continue
            mp = 20000 if label == "halpern (restarts, full-norm step)" else tol_budget.get(method, 5000)
            res = timed(lambda: numopt.minimize(g, method=method, tol=tol,
                                                options={**opts, "max_passes": mp, "maxiter": 10 ** 8}),
                        times, label)
            final[label] = {"status": res.status_name, "epochs": float(res.epochs), "nit": int(res.nit),
                            "iterations": int(getattr(res, "iterations", res.nit)),
                            **gm.all(res.x), "reported_residual": float(res.residual)}
        for lp in ("highs-ds", "highs-ipm"):
            u = timed(lambda: game_lp(gm.A, lp), times, f"linprog {lp}")
            final[f"linprog {lp}"] = {"status": "optimal", **gm.all(u)}
    for k in final:
        final[k]["time_median"] = float(np.median(times[k]))
        final[k]["times"] = times[k]
    results["game"]["to_tol"] = final
    results["game"]["r0"] = gm.certified(g.x0)
    results["game"]["value_lp"] = float(game_lp(gm.A, "highs-ds")[:n_game] @ gm.A @ game_lp(gm.A, "highs-ds")[n_game:])

    # ---------------- box least squares ----------------
    p, bm, (X, y, lb, ub) = make_boxls(n_ls, 20)
    ls_methods = {
        "vr-halpern (Alg. 1)": ("vr-halpern", {"rng": 0}),
        "vr-halpern (Alg. 1, restarts)": ("vr-halpern", {"rng": 0, "restart": "adaptive", "check_every": 5}),
        "halpern (no restart)": ("halpern", {"restart": "none"}),
        "halpern (adaptive restarts)": ("halpern", {}),
        "eag": ("eag", {}),
        "extragradient": ("extragradient", {}),
    }
    for method, opts in ls_methods.values():
        numopt.minimize(p, method=method, options={**opts, "maxiter": 30})                 # JIT warm-up
    curves = {}
    for label, (method, opts) in ls_methods.items():
        pts, res = curve(p, method, opts, 200)
        curves[label] = [(e, t, bm.all(x)) for e, t, x in thin(pts)]
    results["boxls"]["curves"] = curves
    times, final = {}, {}
    for rep in range(args.repeats):
        for target in (1e-3, 1e-6):
            for label, (method, opts) in ls_methods.items():
                key = f"{label} @ {target:g}"
                extra = {"check_every": 2} if target == 1e-3 else {}
                res = timed(lambda: numopt.minimize(p, method=method, tol=target,
                                                    options={**opts, **extra, "max_passes": 1000,
                                                             "maxiter": 10 ** 8}), times, key)
                final[key] = {"status": res.status_name, "epochs": float(res.epochs), **bm.all(res.x),
                              "reported_residual": float(res.residual)}
        for meth in ("bvls", "trf"):
            u = timed(lambda: lsq_linear(X, y, (lb, ub), method=meth, tol=1e-10).x, times, f"lsq_linear {meth}")
            final[f"lsq_linear {meth}"] = {"status": "done", **bm.all(u)}
    for k in final:
        final[k]["time_median"] = float(np.median(times[k]))
        final[k]["times"] = times[k]
    results["boxls"]["to_tol"] = final
    results["boxls"]["r0"] = bm.certified(p.x0)

    # ---------------- the paper's hard QP ----------------
    results["qp"] = qp_section(n=50 if args.quick else 200, repeats=args.repeats)

    tag = "_quick" if args.quick else ""
    (out / f"halpern_results{tag}.json").write_text(json.dumps(results, indent=1))
    plot(results, out / f"halpern_convergence{tag}.png")
    report(results)


def qp_section(n, repeats, budgets=(1000, 10000)):
    """The paper's equality-constrained QP (``hard_qp``): ||F(x)|| (G = 0: the natural and the reference's
    "operator norm" measure) relative to ||F(x0)|| after fixed epoch budgets, and the distance to the
    KKT solution by a direct dense solve (the tool a user would pick at this size), timed."""
    from numopt.problems.inclusion import hard_qp
    q = hard_qp(n)
    K, rhs = q.K, -q.c
    sol = np.linalg.solve(K, rhs)
    r0 = float(np.linalg.norm(K @ q.x0 - rhs))
    methods = {
        "eag (eta = 1/(8L))": ("eag", {}),
        "eag (eta = 0.3, the reference's)": ("eag", {"step": 0.3}),
        "extragradient (eta = 0.9/L)": ("extragradient", {}),
        "extragradient (eta = 0.5, the reference's)": ("extragradient", {"step": 0.5}),
        "vr-halpern (Alg. 2)": ("vr-halpern", {"rng": 0}),
        "vr-halpern (Alg. 2, importance)": ("vr-halpern", {"rng": 0, "importance": True}),
    }
    out = {"n": n, "r0": r0, "L": float(q.lipschitz), "cond_K": float(np.linalg.cond(K)),
           "sol_norm": float(np.linalg.norm(sol)), "rows": {}}
    for label, (method, opts) in methods.items():
        row = {}
        for budget in budgets:
            t = time.perf_counter()
            r = numopt.minimize(q, method=method, tol=1e-12,
                                options={**opts, "max_passes": budget, "check_every": np.inf, "maxiter": 10 ** 8})
            el = time.perf_counter() - t
            x = np.asarray(r.x)
            row[str(budget)] = {"epochs": float(r.epochs), "time": el,
                                "rel_residual": float(np.linalg.norm(K @ x - rhs)) / r0,
                                "dist_sol": float(np.linalg.norm(x - sol))}
        out["rows"][label] = row
        print(f"  qp {label:44s} " + "  ".join(f"{b}: {v['rel_residual']:.2e} ({v['time']:.1f}s)"
                                              for b, v in row.items()), flush=True)
    ts = []
    for _ in range(max(repeats, 3)):
        t = time.perf_counter()
        np.linalg.solve(K, rhs)
        ts.append(time.perf_counter() - t)
    out["direct_solve_time"] = float(np.median(ts))
    try:
        numopt.minimize(q, method="vr-halpern", options={"variant": "cocoercive"})
        out["alg1"] = "ran"
    except ValueError as exc:
        out["alg1"] = f"refused: {exc}"
    return out


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(2, 2, figsize=(12, 9))
    for row, (key, measure, title) in enumerate((
            ("game", "certified", f"policeman-burglar game n={results['game']['n']}: certified residual"),
            ("boxls", "certified", f"box least squares n={results['boxls']['n']}, d=20: certified residual"))):
        r0 = results[key]["r0"]
        colors = plt.get_cmap("tab20").colors
        for i, (label, pts) in enumerate(results[key]["curves"].items()):
            style = {"color": colors[(2 * i) % 20 + (2 * i) // 20], "ls": "-" if i < 6 else "--"}
            e = [p[0] for p in pts]
            t = [p[1] for p in pts]
            v = [p[2][measure] / r0 for p in pts]
            ax[row, 0].semilogy(e, v, label=label, **style)
            ax[row, 1].loglog(np.maximum(t, 1e-4), v, label=label, **style)
        ref = [k for k in results[key]["to_tol"] if k.startswith(("linprog", "lsq_linear"))]
        for k in ref:
            ax[row, 1].axvline(results[key]["to_tol"][k]["time_median"], ls=":", color="k")
            ax[row, 1].text(results[key]["to_tol"][k]["time_median"], 0.5, k, rotation=90, fontsize=7)
        ax[row, 0].set(xlabel="epochs (data passes)", ylabel="||R|| / ||R(x0)||", title=title)
        ax[row, 1].set(xlabel="wall time [s] (dotted: scipy reference, to optimality)", ylabel="||R|| / ||R(x0)||",
                       title=title)
        ax[row, 0].legend(fontsize=8)
        ax[row, 0].grid(True, which="both", alpha=0.3)
        ax[row, 1].grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def report(results):
    qp = results.get("qp")
    if qp:
        print(f"\n== qp n={qp['n']}: ||F(x0)|| = {qp['r0']:.3e}, L = {qp['L']:.3f}, cond(K) = {qp['cond_K']:.0f}, "
              f"direct KKT solve {qp['direct_solve_time'] * 1e3:.1f} ms")
    for key in ("game", "boxls"):
        print(f"\n== {key} ({results[key]['n']}) r0 = {results[key]['r0']:.3e}")
        print("-- curves: value at the last recorded iterate")
        for label, pts in results[key]["curves"].items():
            e, t, m = pts[-1]
            print(f"  {label:32s} epochs {e:7.1f}  time {t:7.2f}s  " +
                  "  ".join(f"{k} {v:.2e}" for k, v in m.items()))
        print("-- to tolerance (median time)")
        for label, r in results[key]["to_tol"].items():
            print(f"  {label:38s} {r['status']:10s} epochs {r.get('epochs', float('nan')):8.1f}  "
                  f"time {r['time_median']:8.3f}s  " +
                  "  ".join(f"{k} {v:.2e}" for k, v in r.items()
                            if k in ("gap", "dist", "reported_residual", "certified", "natural", "dist_ref",
                                     "f_minus_fref")))


if __name__ == "__main__":
    main()
