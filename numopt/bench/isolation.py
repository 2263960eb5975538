"""Run tasks in isolated worker processes with time limits.

:func:`execute_task` is what executors call (threads, processes, or Dask workers): it hands
the task to a persistent worker subprocess owned by the calling thread
(:class:`IsolatedWorker`, started on demand with ``subprocess``, so it also works inside
daemonic Dask workers). A worker that crashes, or that does not answer within the time
limit, is killed and replaced, and the run is recorded as ``CRASH`` or ``TIMEOUT``: one
bad run never blocks or ends the suite.

Time limits: building the problem plus the warm-up must finish within
``task.warmup_time_limit``; the timed run plus the measurement within
``task.time_limit + grace(task.time_limit)``.
"""
from __future__ import annotations

import atexit
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .worker import failure_record, read_message, write_message

__all__ = ["IsolatedWorker", "execute_task", "close_workers", "grace"]

def grace(time_limit: float) -> float:
    """Seconds allowed after ``time_limit`` for the measurement and the answer (1 to 10 s)."""
    return min(10.0, max(1.0, 0.5 * time_limit))

_BOOT = "import sys; sys.path[:0] = {path!r}; from numopt.bench.worker import main; main()"
_BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")

_local = threading.local()
_all: list = []
_all_lock = threading.Lock()


class IsolatedWorker:
    """One worker subprocess; :meth:`run` sends a task and waits with time limits."""

    def __init__(self, blas_threads: int | None = 1):
        self.blas_threads = blas_threads
        self.proc = None
        self._queue = None
        self._log = None

    # -- process management ---------------------------------------------------------------
    def start(self) -> None:
        env = dict(os.environ)
        if self.blas_threads is not None:
            env.update({v: str(self.blas_threads) for v in _BLAS_VARS})
        env.setdefault("MPLBACKEND", "Agg")
        pkg_root = str(Path(__file__).resolve().parents[2])
        path = [pkg_root] + [p for p in sys.path if p and p != pkg_root]
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-c", _BOOT.format(path=path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._log, env=env)
        self._queue = queue.Queue()
        threading.Thread(target=self._reader, args=(self.proc.stdout, self._queue), daemon=True).start()

    @staticmethod
    def _reader(stream, q) -> None:
        try:
            while True:
                msg = read_message(stream)
                q.put(msg)
                if msg is None:
                    return
        except Exception:                         # noqa: BLE001 - a broken pipe is end of input
            q.put(None)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for f in (self.proc.stdin, self.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
        if self._log is not None:
            self._log.close()
        self.proc, self._log = None, None

    def close(self, timeout: float = 2.0) -> None:
        """Ask the worker to exit (end of input); kill it if it does not."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def _stderr_tail(self, limit: int = 1500) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - limit))
            return self._log.read().decode(errors="replace").strip()
        except (OSError, ValueError):
            return ""

    # -- one task -------------------------------------------------------------------------
    def _wait(self, task, timeout: float, phase: str):
        try:
            msg = self._queue.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            return failure_record(task, "TIMEOUT", f"no answer within {timeout:g} s ({phase}); the worker was killed")
        if msg is None:
            self.proc.wait()
            code = self.proc.returncode
            tail = self._stderr_tail()
            self.kill()
            return failure_record(task, "CRASH", f"the worker process died (exit code {code}) {phase}"
                                  + (f"; its last output:\n{tail}" if tail else ""))
        return msg

    def run(self, task) -> dict:
        """Run ``task``; always returns a record (failures included)."""
        if not self.alive():
            self.kill()
            self.start()
        try:
            write_message(self.proc.stdin, {"kind": "run", "task": task})
        except (BrokenPipeError, OSError) as exc:
            self.kill()
            return failure_record(task, "CRASH", f"could not send the task to the worker: {exc}")
        msg = self._wait(task, task.warmup_time_limit, "while building the problem and warming up")
        if msg.get("kind") == "ready":
            msg = self._wait(task, task.time_limit + grace(task.time_limit),
                             f"during the run (time limit {task.time_limit:g} s)")
        if "kind" not in msg:                     # a failure record made here
            return msg
        return msg["record"]


def _worker_for(task) -> IsolatedWorker:
    workers = getattr(_local, "workers", None)
    if workers is None:
        workers = _local.workers = {}
    w = workers.get(task.blas_threads)
    if w is None:
        w = workers[task.blas_threads] = IsolatedWorker(task.blas_threads)
        with _all_lock:
            _all.append(w)
    return w


def execute_task(task) -> dict:
    """Run one task in this thread's isolated worker (the function executors call)."""
    return _worker_for(task).run(task)


def close_workers() -> None:
    """Stop every worker started by this process."""
    with _all_lock:
        workers = list(_all)
        _all.clear()
    for w in workers:
        w.close()
    _local.__dict__.clear()




atexit.register(close_workers)
