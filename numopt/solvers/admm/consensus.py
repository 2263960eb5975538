r"""``consensus-admm``: global and general-form consensus over N local QPs.

Problem (:class:`numopt.problems.splitting.ConsensusProblem`):
``min sum_i f_i(x_i)  s.t.  (x_i)_{S_i} = z_{G_i}``, ``f_i`` a convex QP with its own
constraints. In the engine's form ``x = (x_1, ..., x_N)``, ``A x = ((x_i)_{S_i})_i``,
``B z = -(z_{G_i})_i``, penalty ``w_i rho`` on the rows of problem ``i`` (Boyd et al. 2011,
sec. 7.2):

.. math::
    x_i^{k+1} &= \arg\min_{l_i \le A_i x \le u_i} f_i(x) + \tfrac{w_i\rho}{2}\|x_{S_i} - z^k_{G_i} + u_i^k\|^2
    \quad\text{(in parallel)}\\
    z^{k+1}_j &= \frac{\sum_{i \ni j} w_i (\hat x_{i} + u_i)_j}{\sum_{i \ni j} w_i}, \qquad
    u_i^{k+1} = u_i^k + \hat x_{i,S_i} - z^{k+1}_{G_i}.

Each local problem is a QP with Hessian ``P_i + w_i rho E_i^T E_i`` — constant, so its KKT
factorization is built once *where the local solve runs* (a per-process cache keyed by
the run and the block, rebuilt only when ``rho`` changes) and every round only changes its
linear term; the local solve is the ``admm`` QP engine, warm-started from the block's previous
solution. Local solves are submitted to any :class:`concurrent.futures.Executor`:
threads by default, ``"serial"``, or e.g. Dask's ``client.get_executor(pure=False)``.
Per round, only the vector ``z_{G_i} - u_i`` and the penalty go out and ``x_i`` comes back.

Every local result is checked: a local solve that stops short of its tolerance ends the run
with ``INNER_MAXITER``, an infeasible local QP with ``INFEASIBLE``, non-finite local data or
iterates with ``NUMERICAL_ERROR`` -- each at the last good consensus iterate, naming the block.
``maxtime`` reaches the local solves as a remaining budget (valid on any worker's clock).
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...driver import fail
from ...options import opt
from ...problems.models import QP
from ...problems.splitting import ConsensusProblem
from ...registry import register
from ...result import Status
from .engine import ADMMEngine, ADMMOptions, Splitting
from .qp import QPSplitting

__all__ = ["ConsensusADMM", "ConsensusOptions"]

_TOKENS = itertools.count()
_CACHE: OrderedDict = OrderedDict()      # (token, block) -> _LocalQP, per process
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 512


@dataclass
class ConsensusOptions(ADMMOptions):
    alpha: float = opt(1.0, "Over-relaxation parameter in (0, 2) (1: plain ADMM).", kind=(int, float))
    executor: object = opt(None, "Where local solves run: None (a thread pool owned by the run), "
                           "'serial', or any concurrent.futures.Executor (e.g. Dask's "
                           "client.get_executor(pure=False)).", kind=(str, object))
    n_workers: int | None = opt(None, "Threads of the default pool (default: min(N, cpu count)).", kind=int)
    local_eps: float = opt(1e-10, "eps_abs = eps_rel of the local QP solves.", kind=(int, float))
    local_maxiter: int = opt(20000, "Iteration cap of a local QP solve.", kind=int)

    def validate(self):
        super().validate()
        if isinstance(self.executor, str) and self.executor != "serial":
            raise ValueError(f"option 'executor' must be None, 'serial' or an Executor, got {self.executor!r}")
        if self.executor is not None and not isinstance(self.executor, str) and not hasattr(self.executor, "submit"):
            raise TypeError(f"option 'executor' must have a submit method (concurrent.futures.Executor), "
                            f"got {type(self.executor).__name__}")
        if not self.local_eps > 0:
            raise ValueError(f"option 'local_eps' must be > 0, got {self.local_eps}")


class _FixedEngine(ADMMEngine):
    def __init__(self, splitting):
        self.splitting = splitting

    def make_splitting(self, problem, options):
        return self.splitting


class _LocalQP:
    """A local QP ``f_i(x) + pen/2 |x_S - v|^2`` solved by the QP engine, factor cached per pen."""

    def __init__(self, data, eps, maxiter):
        self.P, self.q, self.A, self.l, self.u, self.S = data
        self.opts = ADMMOptions(eps_abs=eps, eps_rel=eps, maxiter=maxiter, check_every=5)
        self.splits: OrderedDict = OrderedDict()
        self.warm = None
        self.nfactor = 0

    def _splitting(self, pen):
        spl = self.splits.get(pen)
        if spl is None:
            n = self.P.shape[0]
            d = np.zeros(n)
            d[self.S] = pen
            P = self.P + (sp.diags(d) if sp.issparse(self.P) else np.diag(d))
            spl = QPSplitting(QP(P, self.q, self.A, self.l, self.u))
            self.nfactor += 1
            self.splits[pen] = spl
            if len(self.splits) > 2:
                self.splits.popitem(last=False)
        return spl

    def solve(self, v, pen, budget=float("inf")):
        """``(x, iterations, status, detail)``; ``status`` is ``None`` when the local QP converged."""
        if not np.all(np.isfinite(v)):
            return None, 0, Status.NUMERICAL_ERROR, "its consensus target z - u is not finite"
        deadline = time.perf_counter() + budget
        spl = self._splitting(pen)
        q = self.q.copy()
        q[self.S] -= pen * v
        spl.set_q(q)
        eng = _FixedEngine(spl)
        opts = self.opts
        if self.warm is not None:
            opts = ADMMOptions(**{**vars(self.opts), "warm_start": self.warm})
        state = eng.init(None, np.zeros(self.P.shape[0]), opts)
        k = 0
        while state.status is None and k < opts.maxiter:
            if k % 50 == 0 and time.perf_counter() >= deadline:
                return None, k, Status.MAXTIME, "time limit reached in its local solve"
            state = eng.step(None, state, opts)
            k = state.k                  # ADMM iterations (a fused QP step runs a block of them)
        if not np.all(np.isfinite(state.x)):
            return None, k, Status.NUMERICAL_ERROR, "its local solve produced a non-finite iterate"
        if state.status is None or state.status == Status.MAXITER:
            return None, k, Status.INNER_MAXITER, f"its local QP did not converge in {k} iterations"
        if state.status != Status.CONVERGED:
            return None, k, Status(state.status), f"its local QP ended with {Status(state.status).name}"
        self.warm = {"xk": state.xk, "z": state.z, "y": spl.extra(state.xk, state.z, state.u,
                                                               state.extra["pen"])["y"], "rho": state.rho}
        return state.x.copy(), k, None, None


class _LocalFailure(Exception):
    """A local solve failed; carries the status for the consensus run."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _local_solve(handle, v, pen, budget=float("inf")):
    """Run on a worker: look up (or build once) the block's local solver and solve."""
    key = handle[0]
    with _CACHE_LOCK:
        loc = _CACHE.get(key)
    if loc is None:
        loc = _LocalQP(*handle[1])
        with _CACHE_LOCK:
            _CACHE[key] = loc
            while len(_CACHE) > _CACHE_MAX:
                _CACHE.popitem(last=False)
    return loc.solve(v, pen, budget)


class ConsensusSplitting(Splitting):
    def __init__(self, problem: ConsensusProblem, options):
        self.pb = problem
        self.S, self.G, self.w = problem.shared, problem.global_index, problem.weights
        self.sizes = [q.n for q in problem.local]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        self.rows = np.concatenate([[0], np.cumsum([s.size for s in self.S])])
        self.Sglob = np.concatenate([s + o for s, o in zip(self.S, self.offsets[:-1])])
        self.Gcat = np.concatenate(self.G)
        self.wrow = np.concatenate([np.full(s.size, w) for s, w in zip(self.S, self.w)])
        token = next(_TOKENS)
        self.handles = [((token, i), ((q.P, q.q, q.A, q.l, q.u, s), options.local_eps, options.local_maxiter))
                        for i, (q, s) in enumerate(zip(problem.local, self.S))]
        self.keys = [h[0] for h in self.handles]
        ex = options.executor
        client = getattr(ex, "_client", None)
        if client is not None and hasattr(client, "scatter"):
            # Dask: ship each block's data to the cluster once; tasks then carry a future
            # (resolved from worker memory) and per round only vectors travel.
            futs = client.scatter([h[1] for h in self.handles], hash=False)
            self.handles = [(h[0], f) for h, f in zip(self.handles, futs)]
        self._own = ex is None
        if ex is None:
            from concurrent.futures import ThreadPoolExecutor
            import os
            ex = ThreadPoolExecutor(max_workers=options.n_workers or min(problem.N, os.cpu_count() or 1))
        self.executor = ex
        self.local_iters = 0
        self.deadline = float("inf")          # set by ConsensusADMM.step from the driver

    def close(self):
        if self._own:
            self.executor.shutdown(wait=True)
        with _CACHE_LOCK:          # local (in-process) caches of this run
            for k in self.keys:
                _CACHE.pop(k, None)

    def penalty(self, rho):
        return rho * self.wrow

    def A(self, x):
        return x[self.Sglob]

    def AT(self, y):
        out = np.zeros(self.offsets[-1])
        out[self.Sglob] = y
        return out

    def B(self, z):
        return -z[self.Gcat]

    def start(self, x0):
        z = np.array(x0, dtype=float)
        x = np.zeros(self.offsets[-1])
        x[self.Sglob] = z[self.Gcat]
        return x, z, np.zeros(self.Sglob.size)

    def x_update(self, z, u, pen, x_prev):
        v = z[self.Gcat] - u
        blocks = [(v[self.rows[i]:self.rows[i + 1]], float(pen[self.rows[i]]) if pen.size else 0.0)
                  for i in range(self.pb.N)]
        budget = max(self.deadline - time.perf_counter(), 0.0)
        if self.executor == "serial":
            out = [_local_solve(h, vi, pi, budget) for h, (vi, pi) in zip(self.handles, blocks)]
        else:
            futs = [self.executor.submit(_local_solve, h, vi, pi, budget)
                    for h, (vi, pi) in zip(self.handles, blocks)]
            out = [f.result() for f in futs]
        self.local_iters += sum(o[1] for o in out)
        for i, (_, _, status, detail) in enumerate(out):
            if status is not None:
                raise _LocalFailure(status, f"block {i}: {detail}")
        return np.concatenate([o[0] for o in out])

    def z_update(self, v, pen, z_prev):
        num = np.zeros(self.pb.n)
        den = np.zeros(self.pb.n)
        np.add.at(num, self.Gcat, pen * v)
        np.add.at(den, self.Gcat, pen)
        return num / den

    def objective(self, x, z):
        return self.pb.objective(self.local_x(x))

    def local_x(self, x):
        return [x[a:b] for a, b in zip(self.offsets[:-1], self.offsets[1:])]

    def solution(self, x, z):
        return z

    def extra(self, x, z, u, pen):
        return {"local_x": self.local_x(x), "local_iterations": self.local_iters}


@register("consensus-admm", family="admm", options=ConsensusOptions, aliases=("scenario-admm",),
          supports={"consensus"}, requires={"consensus"},
          tol_options=("eps_abs", "eps_rel"))
class ConsensusADMM(ADMMEngine):
    """Consensus ADMM over N local QPs; local solves through any concurrent.futures.Executor."""

    def make_splitting(self, problem, options):
        if not isinstance(problem, ConsensusProblem):
            raise TypeError(f"consensus-admm needs a numopt.problems.splitting.ConsensusProblem, got {problem!r}")
        return ConsensusSplitting(problem, options)

    def step(self, problem, state, options):
        self._sp.deadline = state.deadline
        try:
            return super().step(problem, state, options)
        except _LocalFailure as exc:
            return fail(state, exc.status, exc.detail)

    def solve(self, problem, x0, options, callback=None, method=""):
        try:
            return super().solve(problem, x0, options, callback=callback, method=method)
        finally:
            spl = getattr(self, "_sp", None)
            if spl is not None:
                spl.close()
