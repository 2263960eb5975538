"""The isolated worker process: builds a problem, warms the solver up, times one run, measures.

Started by :mod:`numopt.bench.isolation` as ``python -c "...; main()"``. It reads
length-prefixed pickled messages on standard input and answers on a private copy of
standard output (file descriptor 1 itself is redirected to standard error, so solvers or
loaders that print cannot corrupt the protocol). For each task it answers ``ready`` once
the problem is built and the solver warmed up (numba compiled), then ``result`` with the
record. It exits on end of input, and within a second of its parent's death.
"""
from __future__ import annotations

import io
import math
import os
import pickle
import socket
import struct
import sys
import threading
import time
import traceback

__all__ = ["run_task", "main", "write_message", "read_message"]

_HEADER = struct.Struct("!Q")


def write_message(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=4)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def read_message(stream):
    """The next message, or ``None`` at end of input."""
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    size = _HEADER.unpack(head)[0]
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def _finite(v):
    """JSON-safe float: ``None`` for nan/inf (and non-numbers)."""
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def base_record(task) -> dict:
    """The identifying fields of a task's record."""
    from .. import __version__
    return {"key": task.key, "suite": task.suite, "problem": task.problem, "source": task.source,
            "name": task.name, "params": task.params, "solver": task.solver, "method": task.method,
            "repeat": task.repeat, "host": socket.gethostname(), "numopt_version": __version__}


def failure_record(task, status: str, error: str, **extra) -> dict:
    """A record for a run that produced no result (``ERROR``, ``CRASH``, ``TIMEOUT``, ...)."""
    rec = base_record(task)
    rec.update(status=status, converged=False, error=error, fun=None, cviol=None, kkt=None, nit=None,
               nfev=None, njev=None, nhev=None, evals=None, wall=None, cpu=None, f_ref=None, f0=None,
               n=None, m_eq=None, m_ineq=None, message="", certificates={}, finished=time.time())
    rec.update(extra)
    return rec


def _method(task):
    if ":" in task.method:
        from .sources import resolve_object
        return resolve_object(task.method)
    return task.method


def _unsupported(method, problem) -> str | None:
    if not isinstance(method, str):
        return None
    from ..registry import check_capable, get_spec
    reasons = check_capable(get_spec(method), problem)
    return "; ".join(reasons) if reasons else None


def _warm_up(task, method, source) -> None:
    """One short run on a separate instance, so that compilation is not timed.

    ``maxiter`` is capped at ``task.warmup_maxiter`` where the method accepts the option.
    Errors are ignored here: the timed run reproduces and records them.
    """
    import numpy as np
    from .._minimize import minimize
    for options in ({**task.options, "maxiter": task.warmup_maxiter}, task.options):
        try:
            bp = source.build(task.name, **task.params)
            with np.errstate(all="ignore"):
                minimize(bp.problem, method=method, tol=task.tol, options=dict(options))
            return
        except (ValueError, TypeError):
            continue
        except Exception:                         # noqa: BLE001 - recorded by the timed run
            return


def _work_unit(method) -> str:
    """The registry's ``work_unit`` of ``method`` (:mod:`numopt.work`); custom solvers: evaluations."""
    from ..registry import get_spec
    if isinstance(method, str):
        try:
            return get_spec(method).work_unit
        except ValueError:
            pass
    return "evaluations"


def run_task(task, warmed: set, ready=lambda: None) -> dict:
    """Build, warm up (once per problem and solver in this process), run and measure one task."""
    import numpy as np
    from .._minimize import minimize
    from .measure import constraint_violation, kkt_residual
    from .sources import get_source
    from ..work import passes_of

    for mod in task.imports:
        __import__(mod)
    source = get_source(task.source)
    try:
        bp = source.build(task.name, **task.params)
        method = _method(task)
        reason = _unsupported(method, bp.problem)
    except Exception as exc:                      # noqa: BLE001 - a broken problem is a failed run
        ready()
        return failure_record(task, "ERROR", f"building the problem failed: {type(exc).__name__}: {exc}")
    problem = bp.problem
    if reason:
        ready()
        return failure_record(task, "UNSUPPORTED", f"{task.method} cannot solve it: {reason}", n=problem.n)
    wkey = (task.problem, task.solver)
    if task.warmup and wkey not in warmed:
        _warm_up(task, method, source)
        warmed.add(wkey)
    ready()

    counts0 = dict(problem.counts)
    error, res = "", None
    w0, c0 = time.perf_counter(), time.process_time()
    try:
        with np.errstate(all="ignore"):
            res = minimize(problem, method=method, tol=task.tol, options=dict(task.options))
    except Exception as exc:                      # noqa: BLE001 - any exception is a failed run
        error = f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exc(limit=-3))
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    used = {k: problem.counts.get(k, 0) - counts0.get(k, 0) for k in set(problem.counts) | {"nfev", "njev"}}
    if res is None:
        return failure_record(task, "ERROR", error, wall=wall, cpu=cpu, n=problem.n)

    x = np.asarray(res.x, dtype=float).reshape(-1)
    unit = _work_unit(method)
    rec = base_record(task)
    fun = cviol = kkt = f0 = None
    certs = {}
    with np.errstate(all="ignore"):
        try:                                      # measurement must not lose the run
            if x.shape == (problem.n,) and np.all(np.isfinite(x)):
                fun = problem.fun(x)
                cviol = constraint_violation(problem, x)
                kkt = kkt_residual(problem, x)
                certs = {k: _finite(v) for k, v in problem.certificates(x).items()}
            else:
                error = error or f"returned x is not a finite vector of length {problem.n}"
            f0 = problem.fun(problem.x0)
        except Exception as exc:                  # noqa: BLE001
            error = error or f"measuring the result failed: {type(exc).__name__}: {exc}"
    rec.update(
        status=res.status_name, converged=bool(res.status_name == "CONVERGED"), message=str(res.message),
        error=error, fun=_finite(fun), fun_reported=_finite(res.fun), cviol=_finite(cviol), kkt=_finite(kkt),
        f_ref=bp.f_ref, f0=_finite(f0), nit=int(res.get("nit", 0) or 0),
        nfev=int(used.get("nfev", 0)), njev=int(used.get("njev", 0)), nhev=int(used.get("nhev", 0)),
        constr_nfev=int(used.get("constr_nfev", 0)), constr_njev=int(used.get("constr_njev", 0)),
        evals=int(used.get("nfev", 0) + used.get("njev", 0)) if unit == "evaluations" else None,
        npass=passes_of(used), work_unit=unit,
        solver_nfev=int(res.get("nfev", 0) or 0), solver_njev=int(res.get("njev", 0) or 0), wall=wall, cpu=cpu,
        n=int(problem.n),
        m_eq=int(getattr(problem, "m_eq", 0)), m_ineq=int(getattr(problem, "m_ineq", 0)),
        certificates=certs, finished=time.time())
    return rec


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(3)


def main() -> None:
    """Serve tasks until end of input (see the module docstring)."""
    proto = io.open(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.stdout = io.TextIOWrapper(io.open(1, "wb", buffering=0), write_through=True)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    stdin = sys.stdin.buffer
    warmed: set = set()
    while True:
        msg = read_message(stdin)
        if msg is None:
            return
        task = msg["task"]
        try:
            rec = run_task(task, warmed, ready=lambda: write_message(proto, {"kind": "ready"}))
        except Exception as exc:                  # noqa: BLE001 - report instead of dying
            rec = failure_record(task, "ERROR", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}")
        write_message(proto, {"kind": "result", "record": rec})
