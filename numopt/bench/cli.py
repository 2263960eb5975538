"""``numopt bench``: the benchmark runner's command line (registered by :mod:`numopt.cli`)."""
from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import replace
from pathlib import Path

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Run solvers on a suite of problems and report which is better, on what, and by how much.

SUITE is a built-in suite name (see --list), a file problems/SUITE.toml under the current
directory, or a path to a suite .toml file (format: docs/bench.md). Without SUITE the
'quick' suite runs.

Each (problem, solver, repeat) runs in an isolated worker process after a warm-up run
(numba compilation is not timed); a crash, NaN, exception or time-out is recorded as a
failure and the suite goes on. Records are appended to OUT/records.jsonl as runs finish
(fsync'ed); --resume continues an interrupted run without repeating finished runs.
Outputs in OUT: report.md, records.csv, summary.csv, and Dolan-More performance and
More-Wild data profiles on time and on evaluations (perf_*.png/svg, data_*.png/svg).

A run counts as solved when the solver reports convergence AND the recomputed objective
is finite AND the constraint violation is <= ctol AND f - f_ref <= ftol max(1, |f_ref|),
where f_ref is the known optimum or else the best feasible value any solver found."""

_EPILOG = """\
examples:
  numopt bench                          run the quick suite into bench-results/quick
  numopt bench --list                   list the suites with their problem counts
  numopt bench hs-eq --jobs 2           two runs at a time (threads driving worker processes)
  numopt bench my.toml --resume         continue an interrupted run of a suite file
  numopt bench quick --scheduler tcp://10.0.0.5:8786    run on a Dask cluster
  numopt bench quick --report-only      rebuild the reports from the existing records"""


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``bench`` sub-command to ``numopt``'s sub-parsers."""
    p = subparsers.add_parser("bench", help="run a benchmark suite (default: quick) and report",
                              description=_DESCRIPTION, epilog=_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite", nargs="?", default="quick", metavar="SUITE",
                   help="built-in suite name, problems/SUITE.toml, or a .toml path (default: quick)")
    p.add_argument("--list", action="store_true", help="list the suites, their problem and run counts, and exit")
    p.add_argument("--out", metavar="DIR", help="output directory (default: bench-results/SUITE)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue an earlier run in DIR, skipping finished runs")
    g.add_argument("--overwrite", action="store_true", help="discard the records already in DIR")
    p.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                   help="runs at a time (default 1; each in its own worker process)")
    p.add_argument("--executor", choices=("thread", "process"), default="thread",
                   help="concurrent.futures executor driving the workers (default: thread)")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="Dask scheduler address (e.g. tcp://host:8786): run through dask.distributed")
    p.add_argument("--time-limit", type=float, metavar="S", help="override the suite's time limit per run (s)")
    p.add_argument("--repeats", type=int, metavar="K", help="override the suite's repeats per (problem, solver)")
    p.add_argument("--time-metric", choices=("cpu", "wall"), help="time used in tables and profiles")
    p.add_argument("--problems", metavar="REGEX", help="only problems whose id matches REGEX (e.g. 'HS[1-9]$')")
    p.add_argument("--solvers", metavar="LABELS", help="only these solver labels (comma-separated)")
    p.add_argument("--no-warmup", action="store_true", help="skip the warm-up runs (timings include compilation)")
    p.add_argument("--no-plots", action="store_true", help="do not draw the profile plots")
    p.add_argument("--report-only", action="store_true", help="only rebuild the reports from OUT/records.jsonl")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress indicator and no table")
    p.set_defaults(func=run)
    return p


def _list(out) -> int:
    from .sources import get_source, source_available
    from .suite import builtin_suites, load_suite
    rows = []
    names = list(builtin_suites())
    local = sorted(Path("problems").glob("*.toml")) if Path("problems").is_dir() else []
    for ref in names + [str(p) for p in local]:
        try:
            suite = load_suite(ref)
        except (ValueError, ImportError) as exc:
            rows.append((ref, "-", "-", f"invalid: {exc}"))
            continue
        counts, notes, runs = [], [], 0
        for g in suite.problems:
            why = source_available(g.source)
            if why:
                notes.append(f"source {g.source!r} unavailable: {why}")
                continue
            try:
                k = len(get_source(g.source).select(**g.select)) * len(g.params)
            except Exception as exc:  # noqa: BLE001 - list what can be listed
                notes.append(f"{g.source}: {exc}")
                continue
            counts.append(k)
            runs += k * len(g.solvers or suite.solvers) * suite.repeats
        total = str(sum(counts)) + ("+?" if notes else "")
        desc = suite.description + (f" [{'; '.join(notes)}]" if notes else "")
        rows.append((ref, total, str(runs) + ("+?" if notes else ""), desc))
    w = max(len(r[0]) for r in rows)
    out.write(f"{'suite':<{w}}  problems  runs   description\n")
    for name, k, runs, desc in rows:
        out.write(f"{name:<{w}}  {k:>8}  {runs:>5}  {desc}\n")
    return 0


def run(args) -> int:
    """Entry point of ``numopt bench``."""
    from .records import read_records
    from .report import terminal_table, write_reports
    from .runner import run_suite
    from .suite import load_suite

    if args.list:
        return _list(sys.stdout)
    suite = load_suite(args.suite)
    suite = suite.with_overrides(time_limit=args.time_limit, repeats=args.repeats, time_metric=args.time_metric,
                                 warmup=False if args.no_warmup else None)
    if args.solvers:
        keep = [s.strip() for s in args.solvers.split(",") if s.strip()]
        for label in keep:
            suite.solver(label)
        suite.solvers = [s for s in suite.solvers if s.label in keep]
        suite.problems = [replace(g, solvers=tuple(x for x in g.solvers if x in keep))
                          if g.solvers is not None else g for g in suite.problems]
    out = Path(args.out or Path("bench-results") / suite.name)
    command = "numopt bench " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["bench"] \
        else f"numopt bench {args.suite}"
    if args.report_only:
        records = read_records(out / "records.jsonl")
        if not records:
            raise ValueError(f"no records in {out / 'records.jsonl'}; run the suite first")
    else:
        try:
            result = run_suite(suite, out, resume=args.resume, overwrite=args.overwrite, jobs=args.jobs,
                               executor=args.executor, scheduler=args.scheduler, problems=args.problems,
                               progress=not args.quiet)
        except KeyboardInterrupt:
            sys.stderr.write(f"\ninterrupted: finished runs are in {out / 'records.jsonl'}; "
                             f"rerun with --resume to continue\n")
            return 130
        records = result.records
        if result.lost:
            sys.stderr.write(f"warning: {result.lost} run(s) could not be executed and are not recorded; "
                             f"rerun with --resume to retry them\n")
    files = write_reports(records, out, suite=suite, plots=not args.no_plots, command=command)
    if not args.quiet:
        sys.stdout.write(terminal_table(records, suite.ctol, suite.ftol, suite.time_metric) + "\n")
        sys.stdout.write(f"\nreport: {files[2]}  records: {out / 'records.jsonl'}"
                         + (f"  profiles: {out}/perf_time.png ..." if not args.no_plots else "") + "\n")
    return 1 if not args.report_only and result.lost else 0
