"""The one driver loop every native method runs in.

A native solver derives from :class:`Solver` and implements

* ``init(problem, x0, options) -> state`` (a :class:`SolverState` or subclass),
* ``step(problem, state, options) -> state``, one iteration; it sets ``state.status``
  when its own stopping test holds (using :mod:`numopt.stopping`),
* optionally ``finalize(problem, state, options) -> dict`` of extra result fields
  (multipliers, certificates).

The driver owns ``maxiter``, ``maxtime`` (checked between iterations, and inside long steps
through ``state.deadline``: the overshoot is at most one inner batch), the callback (once per iteration, including the
last; ``StopIteration`` ends the run with ``Status.CALLBACK_STOP``), non-finite detection
(the last finite iterate is returned with ``Status.NUMERICAL_ERROR``), ``history`` and
the iteration log. Where one iteration is tiny, ``step`` runs a compiled batch.
"""
from __future__ import annotations

import dataclasses
import inspect
import time
from dataclasses import dataclass, field

import numpy as np

from .reporter import IterationReporter
from .result import OptimizeResult, Status
from .work import passes_of

__all__ = ["SolverState", "Solver", "wrap_callback", "fail", "past", "replace"]


@dataclass
class SolverState:
    """What the driver needs from a solver's state. Subclass it to add the solver's own.

    ``metrics`` holds named scalars for the log, the history and the callback
    (e.g. ``optimality``, ``step_size``, ``primal_residual``). ``deadline`` is set by the
    driver (a ``time.perf_counter()`` value, from ``maxtime``): a step whose inner loop can
    run long checks it between batches and ends with ``Status.MAXTIME`` (see :func:`past`).
    """

    x: np.ndarray
    fun: float
    status: Status | None = None
    detail: str | None = None
    metrics: dict = field(default_factory=dict)
    deadline: float = float("inf")


def past(deadline: float) -> bool:
    """True once ``time.perf_counter()`` has reached ``deadline`` (for inner loops)."""
    return deadline != float("inf") and time.perf_counter() >= deadline


def wrap_callback(callback):
    """Return ``f(intermediate_result)`` calling the user's callback in its own style.

    As in scipy: a callable whose only parameter is named ``intermediate_result`` gets an
    :class:`OptimizeResult`; any other gets a copy of ``x`` (legacy style).
    """
    if callback is None:
        return None
    if not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    try:
        params = set(inspect.signature(callback).parameters)
    except (TypeError, ValueError):
        params = set()
    if params == {"intermediate_result"}:          # by keyword: it may be keyword-only
        return lambda res: callback(intermediate_result=res)
    return lambda res: callback(np.copy(res.x))


def fail(state: SolverState, status: Status, detail: str) -> SolverState:
    """End the run at ``state`` (the last good iterate) with a non-success ``status``.

    The one way a ``step`` reports that something it relied on failed: a line search
    (``Status.LINE_SEARCH_FAILED``), an inner solver (``INNER_MAXITER``, ``SINGULAR``), a
    non-finite oracle value (``NUMERICAL_ERROR``). ``detail`` says what, for the message.
    Return it from ``step`` instead of a new state.
    """
    if status == Status.CONVERGED:
        raise ValueError("fail() is for non-success statuses")
    state.status, state.detail = Status(status), detail
    return state


def _finite(state: SolverState) -> bool:
    return bool(np.all(np.isfinite(state.x))) and bool(np.isfinite(state.fun))


class Solver:
    """Base class of native solvers (see the module docstring)."""

    def init(self, problem, x0, options) -> SolverState:  # pragma: no cover - protocol
        raise NotImplementedError

    def step(self, problem, state, options) -> SolverState:  # pragma: no cover - protocol
        raise NotImplementedError

    def finalize(self, problem, state, options) -> dict:
        return {}

    def solve(self, problem, x0, options, callback=None, method: str = "") -> OptimizeResult:
        """Run the shared driver loop and build the result."""
        cb = wrap_callback(callback)
        counts0 = dict(problem.counts)
        t0 = time.perf_counter()
        reporter = IterationReporter(method, options.disp, getattr(options, "log_every", 1))
        hist = {} if options.history else None

        def record(state, nit):
            elapsed = time.perf_counter() - t0
            values = {"nit": nit, "fun": state.fun, **state.metrics}
            reporter.row(nit, values)
            if hist is not None:
                for k, v in {**values, "time": elapsed}.items():
                    hist.setdefault(k, []).append(v)
            return elapsed

        deadline = t0 + float(options.maxtime)
        self.deadline = deadline          # for inner loops that run inside init (before state exists)
        state = self.init(problem, x0, options)
        state.deadline = deadline
        if not _finite(state):
            raise ValueError(f"the objective is not finite at x0 (fun = {state.fun}); "
                             "check x0 and fun")
        nit = 0
        record(state, nit)
        while state.status is None:
            if nit >= options.maxiter:
                state.status = Status.MAXITER
                break
            if time.perf_counter() - t0 >= options.maxtime:
                state.status = Status.MAXTIME
                break
            try:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    new = self.step(problem, state, options)
            except FloatingPointError as exc:  # pragma: no cover - only under np.seterr(raise)
                state.status, state.detail = Status.NUMERICAL_ERROR, str(exc)
                break
            nit += 1
            new.deadline = deadline
            if not _finite(new):
                state.status = Status.NUMERICAL_ERROR
                state.detail = f"non-finite value at iteration {nit}"
                break
            state = new
            elapsed = record(state, nit)
            if cb is not None:
                used = _counts(problem.counts, counts0)
                info = OptimizeResult(x=state.x.copy(), fun=state.fun, nit=nit, elapsed=elapsed,
                                      **used, **state.metrics)
                try:
                    cb(info)
                except StopIteration:
                    if state.status is None or state.status != Status.CONVERGED:
                        state.status = Status.CALLBACK_STOP
                    break
        extra = self.finalize(problem, state, options)
        if state.status == Status.CONVERGED and not _finite(state):     # finalize may recompute fun/x
            state.status = Status.NUMERICAL_ERROR
            state.detail = f"non-finite value at the returned point (fun = {state.fun})"
        extra.update(problem.certificates(state.x))
        reporter.row(nit, {"nit": nit, "fun": state.fun, **state.metrics}, force=nit % reporter.every != 0)
        history = None if hist is None else {k: np.asarray(v) for k, v in hist.items()}
        res = OptimizeResult.build(x=state.x, fun=state.fun, status=state.status, method=method, nit=nit,
                                   history=history, detail=state.detail,
                                   **_counts(problem.counts, counts0), **{**state.metrics, **extra})
        res["execution_time"] = time.perf_counter() - t0
        reporter.close(f"{method}: {res.message} nit={nit} fun={state.fun:.6e}")
        return res


def _counts(now: dict, before: dict) -> dict:
    """Work done since ``before``: the problem's counters plus ``npass`` (:mod:`numopt.work`)."""
    keys = set(now) | {"nfev", "njev", "nhev"}
    used = {k: now.get(k, 0) - before.get(k, 0) for k in keys}
    used["npass"] = passes_of(used)
    return used


def replace(state: SolverState, **changes) -> SolverState:
    """A copy of ``state`` with fields changed (states are treated as values)."""
    return dataclasses.replace(state, **changes)
