"""DAG structure learning: numopt's ``topo`` and ``notears`` against DAGMA, side by side.

Setup of the TOPO paper (Deng et al., ICML 2023) at small/medium size: ER and SF graphs with
``k d`` edges (``ERk``/``SFk``), edge weights ``+-U[0.5, 2]``, linear SEM with standard Gaussian
noise (equal variances), ``n = 1000``. The data come from ``dagma.utils`` (an implementation
independent of numopt's simulator), seeded; each dataset is used raw and standardized
(unit variances: this removes the varsortability shortcut, Reisach et al. 2021).

Methods, run on the same data, interleaved (the order rotates with the dataset), after a
warm-up (numba compilation):

* ``topo``: ``numopt.dag.topo(X)`` (least squares, lambda1 = 0, random starting order,
  default candidate sizes (3d, 12d, 1));
* ``topo-l1``: the same with lambda1 = 0.03 (DAGMA's default weight; lasso refits);
* ``notears``: ``numopt.dag.notears(X)`` (lambda1 = 0.1, expm, the reference code's defaults);
* ``dagma``: ``dagma.linear.DagmaLinear(loss_type="l2").fit(X)`` (its defaults: lambda1 = 0.03,
  T = 5, w_threshold = 0.3);
* ``dagma>topo`` / ``notears>topo``: topo warm-started from that output (the post-processor;
  the time column is topo's alone, ``total`` adds the initializer's);
* ``sortnregress``: sort by marginal variance, regress (the varsortability baseline).

Every output is thresholded at 0.3. Metrics: SHD / TPR / FDR / number of edges from
``dagma.utils.count_accuracy`` (checked equal to ``numopt.dag.count_accuracy``), the
least-squares **loss** ``1/(2n) ||X - X W||_F^2`` of the returned ``W`` on the centred data,
and the **refit loss**: the loss after refitting every node by OLS on the parents the method
found (so penalized methods are not charged for shrinkage); ``rel`` is the refit loss divided
by that of the true graph on the same data. Wall and CPU seconds of one run. BLAS: one thread
for everything (set the environment variables below).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/dag_bench.py \\
        --d 10,20,50 --graphs ER2,ER4,SF4 --seeds 3 --notears-max-d 20 --out docs/benchmarks/dag_results.json

Prints a markdown table per (d, graph, data) group (medians over seeds) and writes every run to
``--out`` (JSON).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def dataset(d, graph, seed, n=1000):
    from dagma import utils as du
    du.set_random_seed(1000 * seed + d)
    k = int(graph[2:])
    B = du.simulate_dag(d, k * d, graph[:2])
    W = du.simulate_parameter(B)
    X = du.simulate_linear_sem(W, n, "gauss")
    return B, W, X


def loss(X, W):
    R = X - X @ W
    return 0.5 / X.shape[0] * float(np.sum(R * R))


def refit_loss(X, B):
    """OLS of every node on its parents in ``B != 0``."""
    tot = 0.0
    for j in range(X.shape[1]):
        pa = np.flatnonzero(B[:, j])
        r = X[:, j] - X[:, pa] @ np.linalg.lstsq(X[:, pa], X[:, j], rcond=None)[0] if pa.size else X[:, j]
        tot += 0.5 / X.shape[0] * float(r @ r)
    return tot


def run_dagma(X):
    from dagma.linear import DagmaLinear
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        return DagmaLinear(loss_type="l2").fit(X.copy(), lambda1=0.03, w_threshold=0.3)


def methods(notears_ok):
    import numopt.dag as nd
    out = {
        "topo": lambda X, prev: nd.topo(X, warn=False),
        "topo-l1": lambda X, prev: nd.topo(X, lambda1=0.03, warn=False),
        "dagma": lambda X, prev: run_dagma(X),
        "dagma>topo": lambda X, prev: nd.topo(X, init=prev["dagma"], warn=False),
        "sortnregress": lambda X, prev: nd.sortnregress(X),
    }
    if notears_ok:
        out["notears"] = lambda X, prev: nd.notears(X, warn=False)
        out["notears>topo"] = lambda X, prev: nd.topo(X, init=prev["notears"], warn=False)
    return out


def one(d, graph, seed, standardized, notears_ok, rotation, only=None):
    from dagma import utils as du
    import numopt.dag as nd
    B, _, X = dataset(d, graph, seed)
    X = X - X.mean(0)
    if standardized:
        X = X / X.std(0)
    ref = refit_loss(X, B)
    meth = methods(notears_ok)
    base = ["topo", "dagma", "sortnregress"] + (["notears"] if notears_ok else [])
    if only:                               # a subset (e.g. a supplementary run of "topo-l1")
        base = [m for m in only if m in meth]
    base = base[rotation % len(base):] + base[:rotation % len(base)]
    seq = []
    for name in base:                      # post-processors right after their initializer
        seq.append(name)
        if name + ">topo" in meth and not only:
            seq.append(name + ">topo")
    prev, rows = {}, []
    for name in seq:
        c0, t0 = time.process_time(), time.perf_counter()
        W = np.asarray(meth[name](X, prev), dtype=float)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        prev[name] = W
        dag = bool(du.is_dag(W != 0))
        acc = du.count_accuracy(B, (W != 0).astype(int)) if dag else {}
        if dag:
            mine = nd.count_accuracy(B, W)
            assert mine["shd"] == acc["shd"] and mine["nnz"] == acc["nnz"], (mine, acc)
            assert np.isclose(mine["tpr"], acc["tpr"]) and np.isclose(mine["fdr"], acc["fdr"]), (mine, acc)
        rl = refit_loss(X, W != 0)
        rows.append({"d": d, "graph": graph, "seed": seed, "data": "std" if standardized else "raw",
                     "method": name, "wall_s": wall, "cpu_s": cpu, "dag": dag, "shd": acc.get("shd"),
                     "tpr": acc.get("tpr"), "fdr": acc.get("fdr"), "nnz": int((W != 0).sum()),
                     "loss": loss(X, W), "refit_loss": rl, "true_refit_loss": ref, "rel": rl / ref})
        if name.endswith(">topo"):
            rows[-1]["total_s"] = wall + next(r["wall_s"] for r in rows if r["method"] == name[:-5])
        print(json.dumps(rows[-1]), flush=True)
    return rows


def table(rows):
    order = ["topo", "topo-l1", "notears", "notears>topo", "dagma", "dagma>topo", "sortnregress"]
    groups = {}
    for r in rows:
        groups.setdefault((r["d"], r["graph"], r["data"]), []).append(r)
    lines = []
    for (d, g, data), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        seeds = sorted({r["seed"] for r in rs})
        lines.append(f"\n**d = {d}, {g}, {data} data** ({len(seeds)} seeds; medians; SHD per seed)\n")
        lines.append("| method | wall s | CPU s | SHD | SHD per seed | TPR | FDR | edges | loss | refit loss / true |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        med = lambda xs: statistics.median(xs) if xs else float("nan")
        for m in order:
            mr = sorted([r for r in rs if r["method"] == m], key=lambda r: r["seed"])
            if not mr:
                continue
            wall = med([r["wall_s"] for r in mr])
            tot = f" (total {med([r['total_s'] for r in mr]):.2f})" if "total_s" in mr[0] else ""
            shd = [r["shd"] if r["shd"] is not None else "cyc" for r in mr]
            num = [s for s in shd if s != "cyc"]
            lines.append(f"| {m} | {wall:.2f}{tot} | {med([r['cpu_s'] for r in mr]):.2f} | {med(num):g} | "
                         f"{'/'.join(map(str, shd))} | {med([r['tpr'] for r in mr if r['tpr'] is not None]):.2f} | "
                         f"{med([r['fdr'] for r in mr if r['fdr'] is not None]):.2f} | "
                         f"{med([r['nnz'] for r in mr]):g} | {med([r['loss'] for r in mr]):.4f} | "
                         f"{med([r['rel'] for r in mr]):.4f} |")
        by = {m: {r["seed"]: r for r in rs if r["method"] == m} for m in order}
        ratios = []
        for a, b in [("topo", "dagma"), ("topo-l1", "dagma"), ("topo", "notears"), ("dagma>topo", "dagma"),
                     ("notears>topo", "notears")]:
            common = sorted(set(by[a]) & set(by[b]))
            if common:
                t = med([by[a][s]["wall_s"] / by[b][s]["wall_s"] for s in common])
                c = med([by[a][s]["cpu_s"] / max(by[b][s]["cpu_s"], 1e-6) for s in common])
                q = med([by[a][s]["refit_loss"] / by[b][s]["refit_loss"] for s in common])
                ratios.append(f"{a} / {b}: wall x{t:.3g}, CPU x{c:.3g}, refit loss x{q:.4f}")
        if ratios:
            lines.append("\nRatios (median over seeds): " + "; ".join(ratios) + ".")
    return "\n".join(lines)


def summary(rows):
    """One line per (d, graph, data): median SHD, CPU seconds and refit loss / true per method."""
    names = ["topo", "topo-l1", "notears", "notears>topo", "dagma", "dagma>topo", "sortnregress"]
    short = {"notears>topo": "nt>topo", "dagma>topo": "dg>topo", "sortnregress": "sortnr"}
    groups = {}
    for r in rows:
        groups.setdefault((r["d"], r["graph"], r["data"]), []).append(r)
    med = lambda xs: statistics.median(xs) if xs else None
    fmt = lambda v, f: "-" if v is None else format(v, f)
    head = " / ".join(short.get(m, m) for m in names)
    out = [f"| d | graph | data | seeds | SHD: {head} | CPU s: topo / notears / dagma | "
           "refit loss / true: topo / notears / dagma / dg>topo |",
           "|---|---|---|---|---|---|---|"]
    for (d, g, data), rs in sorted(groups.items()):
        by = {m: [r for r in rs if r["method"] == m] for m in names}
        shd = " / ".join(fmt(med([r["shd"] for r in by[m] if r["shd"] is not None]), "g") for m in names)
        cpu = " / ".join(fmt(med([r["cpu_s"] for r in by[m]]), ".2f") for m in ("topo", "notears", "dagma"))
        rel = " / ".join(fmt(med([r["rel"] for r in by[m]]), ".3f")
                         for m in ("topo", "notears", "dagma", "dagma>topo"))
        out.append(f"| {d} | {g} | {data} | {len({r['seed'] for r in rs})} | {shd} | {cpu} | {rel} |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--d", default="10,20,50")
    ap.add_argument("--graphs", default="ER2,ER4")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--data", default="raw,std")
    ap.add_argument("--notears-max-d", type=int, default=20, help="skip notears above this d (75 s per run at d=50)")
    ap.add_argument("--methods", default=None, help="run only these (comma-separated; no post-processors)")
    ap.add_argument("--summary", action="store_true", help="with --table-only: one line per group")
    ap.add_argument("--out", default=None)
    ap.add_argument("--table-only", default=None,
                    help="print the table of --out files or of runs' printed lines (comma-separated)")
    args = ap.parse_args(argv)
    if args.table_only:
        rows = []
        for f in args.table_only.split(","):
            text = Path(f).read_text()
            try:
                rows += json.loads(text)["runs"]
            except json.JSONDecodeError:                # the printed rows of a run (JSON lines)
                rows += [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        print(summary(rows) if args.summary else table(rows))
        return
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    import numopt.dag as nd
    _, _, Xw = dataset(6, "ER2", 99)
    nd.topo(Xw, warn=False)                                    # numba compilation
    nd.topo(Xw, lambda1=0.01, warn=False)
    rows, rot = [], 0
    only = args.methods.split(",") if args.methods else None
    for d in map(int, args.d.split(",")):
        for g in args.graphs.split(","):
            for seed in range(args.seeds):
                for data in args.data.split(","):
                    rows += one(d, g, seed, data == "std", d <= args.notears_max_d, rot, only)
                    rot += 1
    import dagma
    meta = {"command": " ".join(sys.argv), "dagma": getattr(dagma, "__version__", "1.1.1"),
            "load": os.getloadavg(), "threads": os.environ.get("OPENBLAS_NUM_THREADS")}
    if args.out:
        Path(args.out).write_text(json.dumps({"meta": meta, "runs": rows}, indent=1))
    print(table(rows))


if __name__ == "__main__":
    main()
