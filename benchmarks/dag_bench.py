"""DAG structure learning: numopt's ``topo`` and ``notears`` against DAGMA, side by side.

Setup of the TOPO paper (Deng et al., ICML 2023) at small/medium size: ER and SF graphs with
``k d`` edges (``ERk``/``SFk``), edge weights ``+-U[0.5, 2]``, linear SEM with standard Gaussian
noise (equal variances), ``n = 1000``. The data come from ``dagma.utils`` (an implementation
independent of numopt's simulator), seeded; each dataset is used raw and standardized
(unit variances: this removes the varsortability shortcut, Reisach et al. 2021).

Methods, run on the same data, interleaved (the order rotates with the dataset), after a
warm-up (numba compilation):

* ``topo``: ``numopt.dag.topo(X)`` with its defaults (least squares, lambda1 = 0, candidate
  sizes (3d, 12d, 1); descents from a random order, the variance order, the greedy top-down
  order and 10 perturbations of the best order, the best kept);
* ``topo-1``: one descent from the random order (``starts="", restarts=0``: the reference algorithm);
* ``topo-l1``: ``topo`` with lambda1 = 0.03 (DAGMA's default weight; lasso refits; only with ``--methods``);
* ``notears``: ``numopt.dag.notears(X)`` (lambda1 = 0.1, expm, the reference code's defaults);
* ``dagma``: ``dagma.linear.DagmaLinear(loss_type="l2").fit(X)`` (its defaults: lambda1 = 0.03,
  T = 5, w_threshold = 0.3), in a child process (``benchmarks/_dag_external.py``) bounded by
  ``--timeout`` wall seconds; its CPU time is the child's, of the fit alone. ``--cache DIR``
  stores and reuses its outputs (so a long DAGMA run can be computed once, e.g. concurrently
  with the other methods: compare CPU times then);
* ``dagma>topo`` / ``notears>topo``: one topo descent warm-started from that output (the
  post-processor; the time column is topo's alone, ``total`` adds the initializer's);
* ``sortnregress``: sort by marginal variance, regress (the varsortability baseline).

Every output is thresholded at 0.3. Metrics: SHD / TPR / FDR / number of edges from
``dagma.utils.count_accuracy`` (checked equal to ``numopt.dag.count_accuracy``), the
least-squares **loss** ``1/(2n) ||X - X W||_F^2`` of the returned ``W`` on the centred data,
and the **refit loss**: the loss after refitting every node by OLS on the parents the method
found (so penalized methods are not charged for shrinkage); ``rel`` is the refit loss divided
by that of the true graph on the same data. The **goal** row counts the seeds where topo's
refit loss is at most ``(1 + 1e-9)`` times the best of DAGMA's and NOTEARS'. Wall and CPU
seconds of one run. BLAS: one thread for everything (set the environment variables below).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/dag_bench.py \\
        --d 10,20 --graphs ER2,ER4,SF2,SF4 --seeds 5 --notears-max-d 20 --cache /tmp/dagcache --out runs.json

Prints a markdown table per (d, graph, data) group (medians over seeds), then one summary line
per group, and writes every run to ``--out`` (JSON).
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


class Timeout(Exception):
    """An external run exceeded ``--timeout`` seconds (wall clock)."""


class Missing(Exception):
    """``--cache-only`` and the external run is not in the cache."""


def run_external(method, X, key, cache, timeout, cache_only=False):
    """``(W, cpu_s, wall_s)`` of ``benchmarks/_dag_external.py METHOD`` on ``X`` in a child process
    (bounded by ``timeout`` wall seconds: DAGMA has no time limit). With ``cache`` (a directory)
    a result stored under ``key`` is reused, and new ones are stored (``KEY.npz``, or
    ``KEY.npz.timeout`` for a run that timed out)."""
    import subprocess
    import tempfile
    cache = Path(cache) if cache else Path(tempfile.mkdtemp(prefix="dagbench-"))
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / f"{method}_{key}.npz"
    if not out.exists():
        if Path(str(out) + ".timeout").exists():
            raise Timeout(Path(str(out) + ".timeout").read_text())
        if cache_only:
            raise Missing(key)
        inp = cache / f"{method}_{key}.in.npy"
        np.save(inp, X)
        try:
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "_dag_external.py"), method, str(inp),
                            str(out)], timeout=timeout, check=True)
        except subprocess.TimeoutExpired:
            Path(str(out) + ".timeout").write_text(str(timeout))
            raise Timeout(str(timeout)) from None
        finally:
            inp.unlink(missing_ok=True)
    z = np.load(out)
    return z["W"], float(z["cpu_s"]), float(z["wall_s"])


def _topo(X, **kw):
    """``numopt.dag.topo``'s result thresholded at 0.3, and the score ``Q`` of the unthresholded
    optimum (``numopt.dag.topo`` is ``solve`` followed by this threshold)."""
    import numopt.dag as nd
    res = nd.solve(X, "topo", **kw)
    return np.where(np.abs(res.W) >= 0.3, res.W, 0.0), float(res.fun)


def methods(notears_ok):
    import numopt.dag as nd
    single = {"starts": "", "restarts": 0}         # one descent (the reference algorithm)
    out = {
        "topo": lambda X, prev: _topo(X),
        "topo-1": lambda X, prev: _topo(X, options=single),
        "topo-l1": lambda X, prev: nd.topo(X, lambda1=0.03, warn=False),
        "dagma": None,                             # external (run_external)
        "dagma>topo": lambda X, prev: _topo(X, init=prev["dagma"], options=single),
        "sortnregress": lambda X, prev: nd.sortnregress(X),
    }
    if notears_ok:
        out["notears"] = lambda X, prev: nd.notears(X, warn=False)
        out["notears>topo"] = lambda X, prev: _topo(X, init=prev["notears"], options=single)
    return out


def one(d, graph, seed, standardized, notears_ok, rotation, only=None, cache=None, timeout=600.0,
        cache_only=False):
    from dagma import utils as du
    import numopt.dag as nd
    B, _, X = dataset(d, graph, seed)
    X = X - X.mean(0)
    if standardized:
        X = X / X.std(0)
    ref = refit_loss(X, B)
    meth = methods(notears_ok)
    base = ["topo", "topo-1", "dagma", "sortnregress"] + (["notears"] if notears_ok else [])
    if only:                               # a subset (e.g. a supplementary run of "topo-l1")
        base = [m for m in only if m in meth]
    base = base[rotation % len(base):] + base[:rotation % len(base)]
    seq = []
    for name in base:                      # post-processors right after their initializer
        seq.append(name)
        if name + ">topo" in meth and not only:
            seq.append(name + ">topo")
    prev, rows = {}, []
    key = f"d{d}_{graph}_s{seed}_{'std' if standardized else 'raw'}"
    for name in seq:
        row = {"d": d, "graph": graph, "seed": seed, "data": "std" if standardized else "raw", "method": name}
        if name == "dagma":
            try:
                W, cpu, wall = run_external("dagma", X, key, cache, timeout, cache_only)
            except Missing:
                continue
            except Timeout as exc:
                rows.append({**row, "timeout": float(str(exc))})
                print(json.dumps(rows[-1]), flush=True)
                continue
        else:
            if name.endswith(">topo") and name[:-5] not in prev:
                continue
            c0, t0 = time.process_time(), time.perf_counter()
            out = meth[name](X, prev)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            W, score = out if isinstance(out, tuple) else (out, None)
            W = np.asarray(W, dtype=float)
        if name == "dagma":
            score = None
        prev[name] = W
        dag = bool(du.is_dag(W != 0))
        acc = du.count_accuracy(B, (W != 0).astype(int)) if dag else {}
        if dag:
            mine = nd.count_accuracy(B, W)
            assert mine["shd"] == acc["shd"] and mine["nnz"] == acc["nnz"], (mine, acc)
            assert np.isclose(mine["tpr"], acc["tpr"]) and np.isclose(mine["fdr"], acc["fdr"]), (mine, acc)
        rl = refit_loss(X, W != 0)
        rows.append({**row, "wall_s": wall, "cpu_s": cpu, "dag": dag, "shd": acc.get("shd"),
                     "tpr": acc.get("tpr"), "fdr": acc.get("fdr"), "nnz": int((W != 0).sum()),
                     "loss": loss(X, W), "refit_loss": rl, "true_refit_loss": ref, "rel": rl / ref,
                     "score": rl if score is None else score})
        if name.endswith(">topo"):
            rows[-1]["total_s"] = wall + next(r["wall_s"] for r in rows if r["method"] == name[:-5])
        print(json.dumps(rows[-1]), flush=True)
    return rows


ORDER = ["topo", "topo-1", "topo-l1", "notears", "notears>topo", "dagma", "dagma>topo", "sortnregress"]
TOL = 1e-9          # "at least as good": refit loss <= the other's * (1 + TOL)


def _groups(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["d"], r["graph"], r["data"]), []).append(r)
    return sorted(groups.items())


def _med(xs):
    return statistics.median(xs) if xs else float("nan")


def wins(rs, a="topo", others=("dagma", "notears"), key="refit_loss"):
    """``(won, compared, lost_seeds)``: seeds where ``a``'s ``key`` is at most every finished
    other's (times 1 + TOL); a timed-out other counts as beaten, and a seed with no finished
    other is not compared. ``key="score"`` compares ``a``'s optimized score ``Q`` with the
    others' refit losses (the best ``Q`` their graphs allow)."""
    by = {m: {r["seed"]: r for r in rs if r["method"] == m} for m in (a, *others)}
    won, comp, lost = 0, 0, []
    for seed, ra in sorted(by[a].items()):
        rivals = [by[m][seed]["refit_loss"] for m in others if seed in by[m] and "refit_loss" in by[m][seed]]
        mine = ra.get(key, ra["refit_loss"])
        if not rivals:
            continue
        comp += 1
        if mine <= min(rivals) * (1 + TOL):
            won += 1
        else:
            lost.append(seed)
    return won, comp, lost


def table(rows):
    lines = []
    for (d, g, data), rs in _groups(rows):
        seeds = sorted({r["seed"] for r in rs})
        lines.append(f"\n**d = {d}, {g}, {data} data** ({len(seeds)} seeds; medians; SHD per seed)\n")
        lines.append("| method | wall s | CPU s | SHD | SHD per seed | TPR | FDR | edges | loss | refit loss / true |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for m in ORDER:
            allr = sorted([r for r in rs if r["method"] == m], key=lambda r: r["seed"])
            mr = [r for r in allr if "timeout" not in r]
            if not allr:
                continue
            nto = len(allr) - len(mr)
            if not mr:
                lines.append(f"| {m} | timeout ({nto} runs > {allr[0]['timeout']:g} s) | | | | | | | | |")
                continue
            wall = _med([r["wall_s"] for r in mr])
            tot = f" (total {_med([r['total_s'] for r in mr]):.2f})" if "total_s" in mr[0] else ""
            shd = [("cyc" if r["shd"] is None else r["shd"]) if "timeout" not in r else "t/o" for r in allr]
            num = [x for x in shd if not isinstance(x, str)]
            lines.append(f"| {m}{f' ({nto} timed out)' if nto else ''} | {wall:.2f}{tot} | "
                         f"{_med([r['cpu_s'] for r in mr]):.2f} | {_med(num):g} | "
                         f"{'/'.join(map(str, shd))} | {_med([r['tpr'] for r in mr if r['tpr'] is not None]):.2f} | "
                         f"{_med([r['fdr'] for r in mr if r['fdr'] is not None]):.2f} | "
                         f"{_med([r['nnz'] for r in mr]):g} | {_med([r['loss'] for r in mr]):.4f} | "
                         f"{_med([r['rel'] for r in mr]):.4f} |")
        by = {m: {r["seed"]: r for r in rs if r["method"] == m and "timeout" not in r} for m in ORDER}
        ratios = []
        for a, b in [("topo", "dagma"), ("topo", "notears"), ("topo", "topo-1"), ("topo-l1", "dagma"),
                     ("dagma>topo", "dagma"), ("notears>topo", "notears")]:
            common = sorted(set(by[a]) & set(by[b]))
            if common:
                t = _med([by[a][s]["wall_s"] / by[b][s]["wall_s"] for s in common])
                c = _med([by[a][s]["cpu_s"] / max(by[b][s]["cpu_s"], 1e-6) for s in common])
                q = _med([by[a][s]["refit_loss"] / by[b][s]["refit_loss"] for s in common])
                ratios.append(f"{a} / {b}: wall x{t:.3g}, CPU x{c:.3g}, refit loss x{q:.4f}")
        if ratios:
            lines.append("\nRatios (median over seeds): " + "; ".join(ratios) + ".")
        for key, what in (("refit_loss", "refit loss of the thresholded graph"), ("score", "score Q")):
            w, c, lost = wins(rs, key=key)
            if c:
                lines.append(f"\ntopo's {what} <= min(DAGMA, NOTEARS refit loss) (x (1 + {TOL:g})) on "
                             f"{w}/{c} seeds" + (f"; not on seeds {lost}" if lost else "") + ".")
    return "\n".join(lines)


def summary(rows):
    """One line per (d, graph, data): median SHD, CPU seconds, refit loss / true per method, and
    on how many seeds topo's refit loss is at most the best of DAGMA's and NOTEARS'."""
    names = ["topo", "topo-1", "notears", "dagma", "dagma>topo", "sortnregress"]
    short = {"dagma>topo": "dg>topo", "sortnregress": "sortnr"}
    fmt = lambda v, f: "-" if v is None or v != v else format(v, f)
    out = [f"| d | graph | data | seeds | SHD: {' / '.join(short.get(m, m) for m in names)} | "
           "CPU s: topo / topo-1 / notears / dagma | refit loss / true: topo / topo-1 / notears / dagma | "
           "topo <= best other: graph / score | topo / dagma CPU |",
           "|---|---|---|---|---|---|---|---|---|"]
    for (d, g, data), rs in _groups(rows):
        by = {m: [r for r in rs if r["method"] == m and "timeout" not in r] for m in names}
        nto = sum(1 for r in rs if r["method"] == "dagma" and "timeout" in r)
        shd = " / ".join(fmt(_med([r["shd"] for r in by[m] if r["shd"] is not None]) if by[m] else None, "g")
                         for m in names)
        cpu = " / ".join(fmt(_med([r["cpu_s"] for r in by[m]]) if by[m] else None, ".3g")
                         for m in ("topo", "topo-1", "notears", "dagma"))
        rel = " / ".join(fmt(_med([r["rel"] for r in by[m]]) if by[m] else None, ".4f")
                         for m in ("topo", "topo-1", "notears", "dagma"))
        w, c, lost = wins(rs)
        w2, c2, lost2 = wins(rs, key="score")
        dg = {r["seed"]: r for r in by["dagma"]}
        ratio = _med([r["cpu_s"] / dg[r["seed"]]["cpu_s"] for r in by["topo"] if r["seed"] in dg])
        out.append(f"| {d} | {g} | {data} | {len({r['seed'] for r in rs})} | {shd} | {cpu}"
                   f"{f' ({nto} DAGMA timeouts)' if nto else ''} | {rel} | {w}/{c}"
                   f"{f' (not {lost})' if lost else ''} / {w2}/{c2}{f' (not {lost2})' if lost2 else ''} | "
                   f"{fmt(ratio, '.3g')} |")
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
    ap.add_argument("--cache", default=None, help="directory of stored DAGMA runs (reused; new runs stored)")
    ap.add_argument("--timeout", type=float, default=600.0, help="wall-clock limit of one DAGMA run (seconds)")
    ap.add_argument("--cache-only", action="store_true", help="use only the DAGMA runs in --cache (skip the others)")
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
                    rows += one(d, g, seed, data == "std", d <= args.notears_max_d, rot, only,
                                args.cache, args.timeout, args.cache_only)
                    rot += 1
    import dagma
    meta = {"command": " ".join(sys.argv), "dagma": getattr(dagma, "__version__", "1.1.1"),
            "load": os.getloadavg(), "threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if args.out:
        Path(args.out).write_text(json.dumps({"meta": meta, "runs": rows}, indent=1))
    print(table(rows))
    print()
    print(summary(rows))


if __name__ == "__main__":
    main()
