"""Reports of a suite's records: terminal table, Markdown, CSV, and profile plots (PNG, SVG).

Files written into the output directory by :func:`write_reports`:

* ``report.md``: summary per solver, per-problem table, the plots, the criterion;
* ``records.csv``: every run (one row per record of ``records.jsonl``);
* ``summary.csv``: every (problem, solver) pair aggregated over repeats;
* ``perf_time``, ``perf_evals``, ``data_time``, ``data_evals`` ``.png``/``.svg``:
  Dolan-Moré performance profiles and Moré-Wild data profiles on time and evaluations.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from .analysis import aggregate, cost_matrix
from .profiles import data_profile, performance_profile

__all__ = ["solver_summary", "terminal_table", "write_reports", "plot_profiles"]

_CSV_FIELDS = ["key", "problem", "solver", "method", "repeat", "status", "converged", "fun", "f_ref", "f0",
               "cviol", "kkt", "nit", "nfev", "njev", "nhev", "constr_nfev", "constr_njev", "evals", "npass",
               "work_unit", "wall", "cpu", "n", "m_eq", "m_ineq", "error", "host"]


def _fmt(v, spec=".3g") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def _time(v) -> str:
    if v is None:
        return "-"
    return f"{v * 1e3:.3g} ms" if v < 1 else f"{v:.3g} s"


def solver_summary(pairs, solvers, time_metric: str) -> list[dict]:
    """Per solver: pairs solved, median time and evaluations over solved pairs, failures by status."""
    out = []
    for s in solvers:
        ps = [p for p in pairs if p.solver == s]
        ok = [p for p in ps if p.solved]
        fails = {}
        for p in ps:
            if not p.solved:
                fails[p.status] = fails.get(p.status, 0) + 1
        times = [getattr(p, time_metric) for p in ok if getattr(p, time_metric) is not None]
        evals = [p.evals for p in ok if p.evals is not None]
        out.append({"solver": s, "solved": len(ok), "problems": len(ps),
                    "median_time": float(np.median(times)) if times else None,
                    "median_evals": float(np.median(evals)) if evals else None,
                    "failures": ", ".join(f"{k} {v}" for k, v in sorted(fails.items()))})
    return out


def _cell(p, time_metric: str) -> str:
    if p is None:
        return ""
    if p.solved:
        return f"ok {_time(getattr(p, time_metric))}"
    if p.n_solved:
        return f"{p.n_solved}/{p.runs} {p.status}"
    return p.status if p.status != "CONVERGED" else "CONVERGED*"


def _matrix(pairs):
    problems = list(dict.fromkeys(p.problem for p in pairs))
    solvers = list(dict.fromkeys(p.solver for p in pairs))
    cell = {(p.problem, p.solver): p for p in pairs}
    return problems, solvers, cell


def _ascii_table(header, rows) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def _md_table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |" for r in rows]
    return "\n".join(out)


def _summary_rows(summary, time_metric):
    return [[s["solver"], f"{s['solved']}/{s['problems']}", _time(s["median_time"]),
             _fmt(s["median_evals"], ".0f"), s["failures"] or "-"] for s in summary]


def _summary_header(time_metric):
    return ["solver", "solved", f"median {time_metric} time", "median evals", "not solved (status)"]


def terminal_table(records, ctol: float, ftol: float, time_metric: str = "cpu") -> str:
    """The text printed at the end of a run: per-problem cells and a per-solver summary."""
    pairs = aggregate(records, ctol, ftol)
    if not pairs:
        return "no records"
    problems, solvers, cell = _matrix(pairs)
    rows = [[p] + [_cell(cell.get((p, s)), time_metric) for s in solvers] for p in problems]
    summary = solver_summary(pairs, solvers, time_metric)
    return (_ascii_table(["problem"] + solvers, rows) + "\n\n"
            + _ascii_table(_summary_header(time_metric), _summary_rows(summary, time_metric))
            + f"\n(ok = solved by the success criterion, with its median {time_metric} time; CONVERGED* = the solver "
              "claimed convergence but the runner's check failed)")


def _plot(path_stem: Path, x, y, solvers, xlabel, title, logx: str | None) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for j, s in enumerate(solvers):
        xs = np.concatenate([x, [x[-1] * 2 if x[-1] > 0 else 1.0]])
        ys = np.concatenate([y[:, j], [y[-1, j]]])
        ax.step(xs, ys, where="post", label=s, linewidth=1.6)
    if logx == "log2":
        ax.set_xscale("log", base=2)
    elif logx == "log10":
        ax.set_xscale("log")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of problems solved")
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    out = []
    for ext in ("png", "svg"):
        p = path_stem.with_suffix(f".{ext}")
        fig.savefig(p, dpi=120 if ext == "png" else None)
        out.append(p)
    plt.close(fig)
    return out


def plot_profiles(pairs, out_dir, time_metric: str = "cpu") -> list[Path]:
    """Write the four profile plots (PNG and SVG); returns the files written."""
    out_dir = Path(out_dir)
    files = []
    for metric, label in ((time_metric, f"{time_metric} time"), ("evals", "evaluations (nfev + njev)")):
        # evaluation profiles hold only methods that count full evaluations (numopt.work)
        problems, solvers, T, n = cost_matrix(pairs, metric)
        tag = "time" if metric != "evals" else "evals"
        taus, rho = performance_profile(T)
        files += _plot(out_dir / f"perf_{tag}", taus, rho, solvers, r"$\tau$ (ratio to the best solver)",
                       f"Performance profile ({label}), {len(problems)} problems", "log2")
        if metric == "evals":
            alphas, d = data_profile(T, n)
            xl = r"budget $\alpha$ in simplex gradients ($n_p + 1$ evaluations)"
        else:
            alphas, d = data_profile(T)
            xl = f"budget ({time_metric} seconds)"
        files += _plot(out_dir / f"data_{tag}", alphas, d, solvers, xl,
                       f"Data profile ({label}), {len(problems)} problems", "log10")
    return files


def _write_csv(path, rows, fields) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in r.items()})


def write_reports(records, out_dir, *, suite, plots: bool = True, command: str = "") -> list[Path]:
    """Write ``report.md``, ``records.csv``, ``summary.csv`` and (``plots``) the profiles."""
    out_dir = Path(out_dir)
    ctol, ftol, tm = suite.ctol, suite.ftol, suite.time_metric
    pairs = aggregate(records, ctol, ftol)
    files = [out_dir / "records.csv", out_dir / "summary.csv", out_dir / "report.md"]
    _write_csv(files[0], [{k: r.get(k) for k in _CSV_FIELDS} for r in records], _CSV_FIELDS)
    _write_csv(files[1], [{**vars(p), "solved": p.solved} for p in pairs],
               ["problem", "solver", "runs", "n_solved", "solved", "status", "fun", "cviol", "kkt", "nit",
                "evals", "wall", "cpu", "n", "error"])
    pics = plot_profiles(pairs, out_dir, tm) if plots and pairs else []
    files += pics
    problems, solvers, cell = _matrix(pairs)
    lines = [f"# Benchmark report: suite `{suite.name}`", ""]
    if suite.description:
        lines += [suite.description, ""]
    if command:
        lines += ["Produced by:", "", "```bash", command, "```", ""]
    n_runs = len(records)
    lines += [f"{len(problems)} problems, {len(solvers)} solvers, {n_runs} runs "
              f"({suite.repeats} repeat(s) each, time limit {suite.time_limit:g} s per run). "
              f"Success criterion: converged status, recomputed objective finite, constraint violation "
              f"<= ctol = {ctol:g}, and f - f_ref <= ftol max(1, |f_ref|) with ftol = {ftol:g} (f_ref: the "
              f"published/closed-form optimum when known, else the best feasible value found by any solver). "
              f"Times are medians over repeats, after a warm-up run.", "", "## Summary", ""]
    lines += [_md_table(_summary_header(tm), _summary_rows(solver_summary(pairs, solvers, tm), tm)), ""]
    if pics:
        lines += ["## Profiles", ""]
        for stem, title in (("perf_time", "Performance profile, time"), ("perf_evals", "Performance profile, "
                            "evaluations"), ("data_time", "Data profile, time"), ("data_evals", "Data profile, "
                            "evaluations")):
            lines += [f"![{title}]({stem}.png)", ""]
    lines += ["## Per problem", "",
              f"Cells: median objective, constraint violation, KKT residual, evaluations, {tm} time; "
              "**bold** = solved by the criterion.", ""]
    rows = []
    for p in problems:
        row = [f"`{p}`"]
        for s in solvers:
            c = cell.get((p, s))
            if c is None:
                row.append("")
                continue
            txt = (f"{_fmt(c.fun, '.8g')}; viol {_fmt(c.cviol, '.1e')}; kkt {_fmt(c.kkt, '.1e')}; "
                   f"{_fmt(c.evals, '.0f')} ev; {_time(getattr(c, tm))}")
            if c.solved:
                txt = f"**{txt}**"
            elif c.status in ("ERROR", "CRASH", "TIMEOUT", "UNSUPPORTED"):
                txt = f"{c.status}: {c.error[:80]}"
            else:
                txt = f"{_cell(c, tm)}: {txt}"
            row.append(txt)
        rows.append(row)
    lines += [_md_table(["problem"] + solvers, rows), ""]
    lines += ["Files: `records.jsonl` (raw records), `records.csv`, `summary.csv`"
              + (", profile plots `.png`/`.svg`." if pics else "."), ""]
    files[2].write_text("\n".join(lines))
    return files
