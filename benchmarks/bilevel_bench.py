"""Bilevel benchmark: bilevel-penalty(-sl), AID, ITD and what a user would pick without them.

Setups (benchopt's ``benchmark_bilevel``, at small size; research note 3.4):

* ``quadratic`` -- the quadratic toy (strongly convex lower level, closed-form solution;
  ``dim_x = 10``, ``dim_y = 100``, ``mu = 0.1``; deterministic, full batch);
* ``ridge`` -- per-feature ridge weights ``exp(x_j)`` on german.numer (LIBSVM, 24 features;
  500 training / 500 validation samples, the +-1 labels as targets; closed-form lower level);
* ``logreg`` -- benchopt's ijcnn1 setup on german.numer (ijcnn1 is not in ../shared/data):
  l2-regularized logistic regression, per-feature ``exp(x_j)`` penalties chosen on the
  validation loss (same split);
* ``cleaning`` -- data hyper-cleaning on scikit-learn's digits (100 training samples with 40 %
  of the labels corrupted, 100 clean validation samples, multinomial linear model, reg 1e-2;
  ``x`` = one weight per training sample). ``scipy-fd`` is not run there (101 lower solves per
  gradient).

Methods, all on the same problem object (counted oracles) from ``x0 = 0`` (quadratic) or
``x0 = log(1e-2)`` (ridge, logreg):

* ``penalty`` -- ``bilevel-penalty``, default continuation sigma 1e-1 -> 1e-3;
* ``penalty-1e-4`` -- ``bilevel-penalty`` with ``sigma_final = 1e-4``;
* ``penalty-sl`` -- ``bilevel-penalty-sl`` (single loop, full batch: ``batch_size = n``), sigma 1e-3;
* ``aid`` -- ``bilevel-aid`` (CG on the lower Hessian);
* ``itd`` -- ``bilevel-itd`` (``unroll = 100``);
* ``scipy-ift`` -- the obvious alternative with Hessian-vector products: scipy's L-BFGS-B on
  ``F(x) = f(x, y*(x))`` with an exact (L-BFGS-B, gtol 1e-10, warm-started) lower-level solve
  and the implicit-function gradient by ``scipy.sparse.linalg.cg`` on the lower Hessian;
* ``scipy-fd`` -- the obvious alternative without derivatives of the lower level: the same
  L-BFGS-B with forward finite differences of ``F`` (``jac = "2-point"``).

Every method gets the same accuracy check, computed from its output ``x`` (and ``y``) on a separate
copy of the problem (uncounted): ``F(x)`` against the best value found, the stationarity
``||x - Pi_X(x - grad F(x))||`` (exact implicit-function hypergradient, dense solve; the log-weights
of ridge/logreg are bounded to ``[log 1e-2, log 1e2]``) relative to its value at ``x0``, and the lower-level gap
``g(x, y) - g(x, y*(x))`` of the returned ``y``. Work: ``njev + nhev`` (gradient pairs of f or g
and lower Hessian-vector products; one finite-difference evaluation counts its lower-level solve's
gradient calls), ``nfev`` separately, wall time. The methods run interleaved (method order rotated
per repeat); time is the median over repeats. Traces (rel. stationarity vs work and time) give the
work and time to the targets ``1e-2`` and ``1e-4``.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMOPT_DATA=/work/shared/data \
        python benchmarks/bilevel_bench.py [--repeats 3] [--problems quadratic,ridge,logreg]

Writes docs/benchmarks/bilevel_results.json and docs/benchmarks/bilevel_convergence.png and
prints markdown tables.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numopt  # noqa: E402
from numopt.problems.bilevel import logreg_hyperparameter, quadratic_bilevel, ridge_hyperparameter  # noqa: E402

TARGETS = (1e-2, 1e-4)
#: bounds of the log-weights (1e-2 <= exp(x_j) <= 1e2): unbounded, a weight of a useless feature
#: drifts to +inf and no method converges
XB = (np.log(1e-2), np.log(1e2))
#: outer-iteration cap on ridge/logreg for every method (their outer problems are flat: the
#: projected-gradient outer loops of numopt's methods do not converge within it; L-BFGS-B does)
MAXITER_LEARNING = 100


# -- problems -----------------------------------------------------------------------------------

def _german(n_train=500, n_val=500, seed=0):
    from numopt.datasets import load_libsvm
    X, y = load_libsvm("german.numer")
    X = np.asarray(X.toarray(), dtype=float)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(X.shape[0])
    tr, va = perm[:n_train], perm[n_train:n_train + n_val]
    scale = np.max(np.abs(X[tr]), axis=0)
    scale[scale == 0] = 1.0
    X = X / scale
    return X[tr], y[tr], X[va], y[va]


def build(name):
    """``(problem, x0)``; a fresh, identical object on every call."""
    if name == "quadratic":
        return quadratic_bilevel(10, 100, mu=0.1, seed=0), np.zeros(10)
    if name == "cleaning":
        from numopt.problems.bilevel import digits_hyper_cleaning
        p = digits_hyper_cleaning(n_train=100, n_val=100, noise=0.4, reg=1e-2, seed=0)
        return p, np.zeros(p.dim_x)
    if name in ("ridge", "logreg"):
        X, y, Xv, yv = _german()
        build_ = ridge_hyperparameter if name == "ridge" else logreg_hyperparameter
        return build_(X, y, Xv, yv, x_bounds=XB), np.full(X.shape[1], np.log(1e-2))
    raise ValueError(f"unknown problem {name!r}")


# -- the scipy alternatives ----------------------------------------------------------------------

class _Reduced:
    """``F(x)`` with a warm-started exact lower-level solve (scipy L-BFGS-B), and its IFT gradient."""

    def __init__(self, p):
        self.p, self.y = p, p.y0.copy()

    def lower(self, x):
        self.y = self.p.solve_lower(x, self.y, gtol=1e-10)
        return self.y

    def fun(self, x):
        return self.p.f(x, self.lower(x))

    def fun_grad(self, x):
        from scipy.sparse.linalg import LinearOperator, cg
        p, y = self.p, self.lower(x)
        fx, fy = p.grad_f(x, y)
        H = LinearOperator((p.dim_y, p.dim_y), matvec=lambda v: p.hvp_g(x, y, np.ravel(v))[1], dtype=float)
        v, info = cg(H, fy, rtol=1e-10, atol=0.0, maxiter=10 * p.dim_y)
        if info != 0:
            raise RuntimeError(f"scipy cg did not converge (info={info})")
        return p.f(x, y), fx - p.hvp_g(x, y, v)[0]


def run_scipy(p, x0, trace, jac, maxiter=500):
    from scipy.optimize import minimize as sp_minimize
    red = _Reduced(p)
    t0 = time.perf_counter()

    def cb(xk):
        trace.append((time.perf_counter() - t0, _work(p), np.array(xk)))
    trace.append((0.0, 0, np.array(x0)))
    bounds = None if p.bounds is None else list(zip(*p.bounds))
    if jac == "ift":
        r = sp_minimize(red.fun_grad, x0, jac=True, method="L-BFGS-B", callback=cb, bounds=bounds,
                        options={"gtol": 1e-9, "ftol": 1e-15, "maxiter": maxiter})
    else:
        r = sp_minimize(red.fun, x0, jac="2-point", method="L-BFGS-B", callback=cb, bounds=bounds,
                        options={"gtol": 1e-9, "ftol": 1e-15, "maxiter": maxiter})
    return np.asarray(r.x), red.lower(r.x), r


# -- numopt methods ------------------------------------------------------------------------------

METHODS = {
    "penalty": ("bilevel-penalty", {"gtol": 1e-6}),
    "penalty-1e-4": ("bilevel-penalty", {"gtol": 1e-6, "sigma_final": 1e-4}),
    "penalty-sl": ("bilevel-penalty-sl", {"sigma": 1e-3, "gtol": 1e-4, "maxiter": 20000}),
    "aid": ("bilevel-aid", {"gtol": 1e-6}),
    "itd": ("bilevel-itd", {"gtol": 1e-6, "unroll": 100}),
    "scipy-ift": None,
    "scipy-fd": None,
}


def _work(p):
    c = p.counts
    return int(c.get("njev", 0) + c.get("nhev", 0))


def run(name, method, p, x0):
    p.counts.clear()
    trace = []
    t0 = time.perf_counter()
    if method.startswith("scipy"):
        x, y, r = run_scipy(p, x0, trace, "ift" if method == "scipy-ift" else "fd",
                            500 if name == "quadratic" else MAXITER_LEARNING)
        status = "CONVERGED" if r.success else f"scipy:{r.message}"
    else:
        meth, opts = METHODS[method]
        opts = dict(opts)
        if name != "quadratic":
            opts["maxiter"] = MAXITER_LEARNING if meth != "bilevel-penalty-sl" else 2000
        if meth == "bilevel-penalty-sl":
            n = getattr(p, "n_components_g", None)
            if n is None:
                return None                          # needs a finite sum
            opts["batch_size"] = n
        trace.append((0.0, 0, np.array(x0)))
        r = numopt.minimize(p, x0, method=meth, options=opts,
                            callback=lambda xk: trace.append((time.perf_counter() - t0, _work(p), np.array(xk))))
        x, y, status = np.asarray(r.x), np.asarray(r.y), r.status_name
    wall = time.perf_counter() - t0
    return {"x": x, "y": y, "status": status, "time": wall, "work": _work(p),
            "nfev": int(p.counts.get("nfev", 0)), "njev": int(p.counts.get("njev", 0)),
            "nhev": int(p.counts.get("nhev", 0)), "trace": trace}


# -- accuracy from the outputs ---------------------------------------------------------------------

def stationarity(ev, x):
    """``||x - Pi_X(x - grad F(x))||`` (the projected-gradient mapping with unit step; ``||grad F||``
    without bounds), ``grad F`` the exact implicit-function hypergradient (dense solve)."""
    return float(np.linalg.norm(x - ev.project_x(x - ev.grad(x))))


def certify(ev, x, y):
    """``F(x)``, the stationarity of ``x`` and the lower gap of ``y`` on the evaluator copy."""
    ystar = ev.solve_lower(x, gtol=1e-12)
    F = ev.f(x, ystar)
    gF = stationarity(ev, x)
    gap = ev.g(x, y) - ev.g(x, ystar) if y is not None else np.nan
    return F, gF, float(gap)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--problems", default="quadratic,ridge,logreg")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--out", default=str(ROOT / "docs" / "benchmarks"))
    ap.add_argument("--tag", default="", help="suffix of the output files")
    ap.add_argument("--replot", action="store_true", help="only redraw the figure from the JSON file")
    args = ap.parse_args(argv)
    if args.replot:
        out = Path(args.out)
        with open(out / f"bilevel_results{args.tag}.json") as fh:
            results = json.load(fh)
        _plot(results, out / f"bilevel_convergence{args.tag}.png")
        return results
    names = args.problems.split(",")
    methods = args.methods.split(",")
    results = {}
    for name in names:
        ev, x0 = build(name)
        g0 = stationarity(ev, x0)
        runs = {m: [] for m in methods}
        # warm-up (imports, numba caches) outside the measurement
        p, _ = build(name)
        numopt.minimize(p, x0, method="bilevel-aid", options={"maxiter": 2})
        for rep in range(args.repeats):
            order = methods[rep % len(methods):] + methods[:rep % len(methods)]     # interleaved, rotated
            for m in order:
                if name == "cleaning" and m == "scipy-fd":
                    continue
                p, _ = build(name)
                out = run(name, m, p, x0)
                if out is not None:
                    runs[m].append(out)
        rows = {}
        for m in methods:
            if name == "cleaning" and m == "scipy-fd":
                continue              # 101 lower-level solves per gradient: not run
            if not runs[m]:
                continue
            last = runs[m][-1]
            F, gF, gap = certify(ev, last["x"], last["y"])
            tr = last["trace"]
            keep = sorted(set(np.unique(np.geomspace(1, len(tr), 60).astype(int) - 1)) | {len(tr) - 1})
            rel = [(tr[k][0], tr[k][1], stationarity(ev, tr[k][2]) / g0) for k in keep]   # <= 61 points
            hit = {}
            for tgt in TARGETS:
                k = next((i for i, (_, _, r) in enumerate(rel) if r <= tgt), None)
                if k is None:
                    hit[str(tgt)] = None
                else:
                    # time of the hit scaled to this repeat's median wall time
                    scale = np.median([r["time"] for r in runs[m]]) / max(last["time"], 1e-12)
                    hit[str(tgt)] = {"work": rel[k][1], "time": rel[k][0] * scale}
            rows[m] = {"status": last["status"], "time": float(np.median([r["time"] for r in runs[m]])),
                       "work": last["work"], "nfev": last["nfev"], "njev": last["njev"], "nhev": last["nhev"],
                       "F": F, "grad_rel": gF / g0, "lower_gap": gap, "targets": hit,
                       "trace": [(t, w, r) for t, w, r in rel]}
        Fbest = min(r["F"] for r in rows.values())
        if hasattr(ev, "F_star"):
            Fbest = min(Fbest, float(ev.F_star))
        for r in rows.values():
            r["F_minus_best"] = r["F"] - Fbest
        results[name] = {"g0": g0, "F_best": Fbest, "rows": rows}
        _print_table(name, results[name])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"bilevel_results{args.tag}.json", "w") as fh:
        json.dump({n: {"g0": r["g0"], "F_best": r["F_best"],
                       "rows": {m: {k: v for k, v in row.items()} for m, row in r["rows"].items()}}
                   for n, r in results.items()}, fh, indent=1, default=float)
    _plot(results, out / f"bilevel_convergence{args.tag}.png")
    return results


def _fmt(v, spec=".3g"):
    return "-" if v is None else format(v, spec)


def _print_table(name, res):
    rows = res["rows"]
    ref = rows.get("scipy-ift")
    print(f"\n### {name}  (||grad F(x0)|| = {res['g0']:.3g}, best F = {res['F_best']:.10g})\n")
    print("| method | status | F - best | rel. stationarity | lower gap | grad+HVP calls | nfev | time [s] "
          "| time / scipy-ift | work to 1e-2 | time to 1e-2 [s] | work to 1e-4 | time to 1e-4 [s] |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for m, r in rows.items():
        t2, t4 = r["targets"]["0.01"], r["targets"]["0.0001"]
        ratio = r["time"] / ref["time"] if ref else None
        print(f"| {m} | {r['status']} | {r['F_minus_best']:.2e} | {r['grad_rel']:.2e} | {r['lower_gap']:.1e} "
              f"| {r['work']} | {r['nfev']} | {r['time']:.3f} | {_fmt(ratio, '.2f')} "
              f"| {_fmt(t2 and t2['work'], 'd')} | {_fmt(t2 and t2['time'], '.3f')} "
              f"| {_fmt(t4 and t4['work'], 'd')} | {_fmt(t4 and t4['time'], '.3f')} |")


def _plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, len(results), figsize=(5 * len(results), 7.5), squeeze=False)
    for j, (name, res) in enumerate(results.items()):
        for m, r in res["rows"].items():
            tr = np.array(r["trace"])
            if tr.size == 0:
                continue
            rel = np.maximum(tr[:, 2], 1e-16)
            c = f"C{list(METHODS).index(m)}"                 # one colour per method in every panel
            axes[0, j].semilogy(np.maximum(tr[:, 1], 1), rel, color=c, label=m)
            axes[1, j].semilogy(np.maximum(tr[:, 0], 1e-4), rel, color=c, label=m)
        axes[0, j].set_xscale("log")
        axes[1, j].set_xscale("log")
        axes[0, j].set_title(name)
        axes[0, j].set_xlabel("gradient + HVP oracle calls")
        axes[1, j].set_xlabel("time [s]")
        for i in range(2):
            axes[i, j].set_ylabel("stationarity (relative to x0)")
            axes[i, j].grid(True, which="major", alpha=0.3)
        axes[0, j].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
