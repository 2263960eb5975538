"""Run a suite: expand it into tasks, execute them in isolation, store records, report.

Execution: every task runs in an isolated worker subprocess (:mod:`numopt.bench.isolation`)
driven through a :mod:`concurrent.futures` executor: threads (default) or processes
with ``jobs`` slots, or a Dask cluster (``scheduler`` = its address, or a
``distributed.Client``) through ``client.get_executor()``. Records are appended to
``OUT/records.jsonl`` by this process as runs finish; ``resume`` skips the runs already
recorded.
"""
from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .isolation import close_workers, execute_task
from .records import RecordStore

__all__ = ["run_suite", "RunResult", "Progress"]

log = logging.getLogger("numopt.bench")


@dataclass
class RunResult:
    """What :func:`run_suite` did."""

    out_dir: Path
    records: list
    ran: int
    skipped: int
    lost: int = 0
    files: list = field(default_factory=list)


class Progress:
    """Progress indicator on a stream (stderr): a redrawn bar on a terminal, else one line per run."""

    def __init__(self, total: int, done: int = 0, stream=None, enabled: bool = True):
        self.total, self.done = total, done
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self.started = done

    def update(self, record: dict) -> None:
        self.done += 1
        if not self.enabled:
            return
        frac = self.done / max(self.total, 1)
        ran = self.done - self.started
        eta = (time.perf_counter() - self.t0) / ran * (self.total - self.done) if ran else 0.0
        what = f"{record['problem']} x {record['solver']} #{record['repeat']}: {record['status']}"
        if self.tty:
            bar = "#" * int(30 * frac)
            self.stream.write(f"\r[{bar:<30}] {self.done}/{self.total} eta {eta:5.0f}s  {what[:60]:<60}")
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"[{self.done}/{self.total}] {what}\n")
        self.stream.flush()


def _executor(jobs: int, kind: str, scheduler):
    """``(executor, cleanup)`` for the requested backend."""
    if scheduler is not None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - the 'distributed' extra
            raise ValueError("--scheduler needs dask.distributed: pip install 'numopt[distributed]'") from exc
        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)

        def cleanup():
            try:
                client.run(close_workers)
            except Exception:  # noqa: BLE001 - the cluster may be gone already
                pass
            if client is not scheduler:
                client.close()
        return client.get_executor(), cleanup
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    if kind == "thread":
        return cf.ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="numopt-bench"), close_workers
    if kind == "process":
        ctx = multiprocessing.get_context("spawn")
        return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx), lambda: None
    raise ValueError(f"executor must be 'thread' or 'process', got {kind!r}")


def run_suite(suite, out_dir, *, resume: bool = False, overwrite: bool = False, jobs: int = 1,
              executor: str = "thread", scheduler=None, problems: str | None = None,
              progress: bool = True, stream=None) -> RunResult:
    """Run every task of ``suite`` not yet recorded in ``out_dir/records.jsonl``.

    Parameters
    ----------
    suite : :class:`numopt.bench.suite.Suite`
    out_dir : directory for ``records.jsonl`` (created).
    resume : continue an earlier run (its records are kept, its finished runs skipped).
    overwrite : discard earlier records.
    jobs, executor : number of parallel slots and ``"thread"``/``"process"``.
    scheduler : a Dask scheduler address or ``distributed.Client`` (then ``jobs`` is ignored).
    problems : a regular expression; only problem ids matching it run.
    progress, stream : the progress indicator and where it goes (default stderr).
    """
    import re
    out_dir = Path(out_dir)
    tasks = suite.tasks()
    if problems:
        rx = re.compile(problems)
        tasks = [t for t in tasks if rx.search(t.problem)]
    store = RecordStore(out_dir / "records.jsonl", resume=resume, overwrite=overwrite)
    todo = [t for t in tasks if t.key not in store.keys]
    bar = Progress(len(tasks), len(tasks) - len(todo), stream, enabled=progress)
    ran = lost = 0
    pool, cleanup = _executor(jobs, executor, scheduler) if todo else (None, lambda: None)
    try:
        if todo:
            futures = {pool.submit(execute_task, t): t for t in todo}
            for fut in cf.as_completed(futures):
                try:
                    rec = fut.result()
                except Exception as exc:  # noqa: BLE001 - the executor failed, not the solver
                    lost += 1
                    log.warning("run %s could not be executed (%s: %s); it is not recorded, "
                                "--resume retries it", futures[fut].key, type(exc).__name__, exc)
                    continue
                if store.append(rec):
                    ran += 1
                bar.update(rec)
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        cleanup()
        store.close()
        raise
    if pool is not None:
        pool.shutdown(wait=True)
    cleanup()
    store.close()
    keys = {t.key for t in tasks}
    return RunResult(out_dir=out_dir, records=[r for r in store.records if r["key"] in keys], ran=ran,
                     skipped=len(tasks) - len(todo), lost=lost)
