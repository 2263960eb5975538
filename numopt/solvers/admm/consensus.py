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

Each local problem is a QP with Hessian ``P_i + w_i rho E_i^T E_i`` -- constant, so it is scaled
and factored once *where the local solve runs* (a per-process cache keyed by the run and the
block, rebuilt only when ``rho`` changes) and every round only changes its linear term. The
local solve is OSQP's iteration (the ``admm`` QP splitting's data, factors and certificates)
run as one compiled call per 25 iterations with the termination test inside the loop
(:mod:`._consensus_kernels`), warm-started from the block's previous solution. Local solves
are submitted to any :class:`concurrent.futures.Executor`: threads by default, ``"serial"``,
or e.g. Dask's ``client.get_executor(pure=False)``. Per round, only the vector
``z_{G_i} - u_i``, the penalty and the local tolerance go out and ``x_i`` comes back.

Stopping. The consensus test is the engine's (:func:`numopt.stopping.small_residuals` on Boyd's
2-norm residuals ``r = |(x_i)_{S_i} - z_{G_i}|`` and ``s = |A^T diag(w rho)(z^{k+1} - z^k)_G|``;
reference scales ``max(|Ax|, |Bz|)`` and ``|A^T y|`` for ``eps_rel``, ``sqrt(rows)`` and
``sqrt(n)`` for ``eps_abs``). The local solves are inexact (Eckstein & Bertsekas 1992: ADMM
converges with summable x-update errors): round ``k``'s local tolerance is
``t_k = max(local_eps, min(t_{k-1}, local_eps_factor * min(max(r, eps_pri), max(s, eps_dual) / rho)))``
(``t_0 = local_eps_max``) in the units of ``x``; a local solve stops on OSQP's unscaled test
with ``eps_abs = t_k`` on the primal residual, ``w_i rho t_k`` on the dual residual and the
duality gap, and ``eps_rel = local_eps`` (reference scales: the norms of the terms of each
residual, as :mod:`.qp`). ``local_eps_factor = 0``: fixed local solves,
``eps_abs = eps_rel = local_eps``.

Every local result is checked: a local solve that stops short of its tolerance ends the run
with ``INNER_MAXITER``, an infeasible local QP with ``INFEASIBLE``, non-finite local data or
iterates with ``NUMERICAL_ERROR`` -- each at the last good consensus iterate, naming the block.
``maxtime`` reaches the local solves as a remaining budget (valid on any worker's clock).

References
----------
S. Boyd et al., "Distributed optimization and statistical learning via the alternating
direction method of multipliers", 2011, sec. 7. J. Eckstein, D. P. Bertsekas, "On the
Douglas-Rachford splitting method and the proximal point algorithm for maximal monotone
operators", Math. Prog. 55, 1992.
"""
from __future__ import annotations

import copy
import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...driver import fail
from ...options import opt
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
    local_eps: float = opt(1e-10, "Tightest local tolerance (eps_abs = eps_rel of the local QP solves); "
                           "with local_eps_factor = 0 the fixed local tolerance.", kind=(int, float))
    local_eps_factor: float = opt(0.1, "Inexact local solves: round k's local tolerance is "
                                  "min(local_eps_max, factor * min(r, s)) of the consensus residuals so far "
                                  "(non-increasing, at least local_eps); 0: always local_eps.",
                                  kind=(int, float))
    local_eps_max: float = opt(1e-3, "Loosest local tolerance (the first rounds').", kind=(int, float))
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
        if not self.local_eps_factor >= 0:
            raise ValueError(f"option 'local_eps_factor' must be >= 0, got {self.local_eps_factor}")
        if not self.local_eps_max >= self.local_eps:
            raise ValueError(f"option 'local_eps_max' must be >= local_eps ({self.local_eps}), "
                             f"got {self.local_eps_max}")
        if self.local_maxiter < 1:
            raise ValueError(f"option 'local_maxiter' must be >= 1, got {self.local_maxiter}")


class _PenalizedP:
    """``P + pen diag(1_S)`` for any ``pen`` in ``O(nnz)`` without sparse arithmetic: the
    pattern (with the diagonal of ``S``) is built once, a new ``pen`` rewrites the diagonal."""

    def __init__(self, P, S):
        if sp.issparse(P):
            d = np.zeros(P.shape[0])
            d[S] = 1.0
            M = (P.tocsc() + sp.diags(d, format="csc")).tocsc()   # the diagonal of S in the pattern
            M.sum_duplicates()
            M.sort_indices()
            col = np.repeat(np.arange(M.shape[1]), np.diff(M.indptr))
            on_diag = (M.indices == col) & (d[col] > 0)
            self.pos = np.flatnonzero(on_diag)
            self.base = M.data[self.pos] - 1.0
            self.M = M
        else:
            self.M, self.S = np.asarray(P, dtype=float), np.asarray(S)
            self.pos = None

    def __call__(self, pen):
        if self.pos is None:
            out = self.M.copy()
            out[self.S, self.S] += pen
            return out
        data = self.M.data.copy()
        data[self.pos] = self.base + pen
        return sp.csc_matrix((data, self.M.indices, self.M.indptr), shape=self.M.shape)


class _Block:
    """One local QP with a consensus penalty folded in, ``P + diag(pen on S)``: its
    :class:`~.qp.QPSplitting` (Ruiz scaling, cached KKT factors per local rho, certificates)
    and the arrays the kernel reads (built once per penalty, reused by every round).

    ``qp`` is the user's (validated) local QP; the penalized one is a shallow copy with only
    ``P`` replaced (symmetric, its diagonal increased: still a valid QP), so no revalidation."""

    def __init__(self, qp, P_pen, pen):
        pqp = copy.copy(qp)
        pqp.P = P_pen(pen)
        self.spl = spl = QPSplitting(pqp)
        n = self.n = qp.n
        self.m = spl.m
        i64 = lambda a: np.ascontiguousarray(a, dtype=np.int64)
        Ps, As = spl.P.tocsc(), spl.Am.tocsc()
        self.cost, self.sigma = float(spl.cost), float(spl.sigma)
        self.q0 = np.array(qp.q, dtype=float)        # unscaled linear term, refilled per round
        self.qs = np.empty(n)                        # its scaled twin
        self.data = (i64(Ps.indptr), i64(Ps.indices), np.ascontiguousarray(Ps.data, dtype=float),
                     i64(As.indptr), i64(As.indices), np.ascontiguousarray(As.data, dtype=float),
                     spl.D, spl.E, self.q0, np.asarray(spl.l0, dtype=float), np.asarray(spl.u0, dtype=float))
        self.lu = (np.ascontiguousarray(spl.l, dtype=float), np.ascontiguousarray(spl.u, dtype=float))
        self._rho: OrderedDict = OrderedDict()       # local rho -> (penalty vector, factors, kernel tuple)

    def at_rho(self, rho):
        """``(penalty vector, factors, (q, l, u, R))`` of the local penalty ``rho`` (the factors
        are :class:`~.qp._KKT`'s, cached there; this cache only skips the lookups)."""
        got = self._rho.get(rho)
        if got is None:
            spl = self.spl
            penv = spl.penalty(rho)
            got = (penv, spl._factors(penv), (self.qs, self.lu[0], self.lu[1], penv[self.n:]))
            self._rho[rho] = got
            if len(self._rho) > 3:
                self._rho.popitem(last=False)
        return got

    def set_q(self, q):
        self.q0[:] = q
        self.spl.set_q(self.q0)                     # for the certificates (reads the unscaled q)
        self.qs[:] = self.spl.q

    def from_unscaled(self, x, z, y):
        spl = self.spl
        return x / spl.D, spl.E * z, spl.cost * y / spl.E


class _LocalQP:
    r"""A local QP ``f_i(x) + pen/2 |x_S - v|^2`` (constraints of ``f_i``) solved by OSQP's
    iteration, warm-started from the block's previous solution.

    Per consensus penalty ``pen`` the QP data are scaled and factored once (:class:`_Block`,
    the last two kept); a round only refills ``q - pen E^T v``. A solve is one call of
    :func:`._consensus_kernels.local_qp_solve` per 25 iterations (the termination test inside
    the compiled loop), between calls: the deadline, OSQP's infeasibility certificates
    (:meth:`.qp.QPSplitting.detect`) and OSQP's local-rho adaptation (:meth:`.ADMMEngine._new_rho`,
    kept across rounds with the iterate).
    """

    CHUNK = 25           # iterations between two Python-level looks (deadline, certificates, rho)
    CHECK_EVERY = 5      # termination tests inside the kernel
    DETECT_EVERY = 100   # infeasibility certificates (iterations)

    def __init__(self, data, maxiter):
        self.qp, self.S = data
        self.q = np.asarray(self.qp.q, dtype=float)
        self.P_pen = _PenalizedP(self.qp.P, self.S)
        self.maxiter = int(maxiter)
        self.opts = ADMMOptions()                 # OSQP's local-rho rule (tolerance 5, at most 50 changes)
        self.blocks: OrderedDict = OrderedDict()
        self.it = None                            # (block key, x, z, y) scaled, of the last solve
        self.rho = QPSplitting.default_rho
        self.scratch = None
        self.out = np.zeros(6)

    def _block(self, pen):
        blk = self.blocks.get(pen)
        if blk is None:
            blk = _Block(self.qp, self.P_pen, pen)
            self.blocks[pen] = blk
            if len(self.blocks) > 2:
                self.blocks.popitem(last=False)
        return blk

    def _start(self, blk, pen):
        n, m = blk.n, blk.m
        if self.it is None:                       # cold: x = 0, z = clip(A 0), y = 0
            x, z, y = np.zeros(n), np.clip(np.zeros(m), *blk.lu), np.zeros(m)
        elif self.it[0] == pen:
            x, z, y = self.it[1:4]
        else:                                     # another penalty: through the problem's units
            x, z, y, D, E, cost = self.it[1:]
            x, z, y = blk.from_unscaled(D * x, z / E, E * y / cost)
        if self.scratch is None or self.scratch[0].size != n + m:
            self.scratch = (np.empty(n + m), np.empty(n + m), np.empty(n + m), np.empty(m), np.empty(n),
                            np.empty(n))
        return (np.array(x, dtype=float), np.array(z, dtype=float), np.array(y, dtype=float),
                np.empty(n), np.empty(m))

    def solve(self, v, pen, eps, budget=float("inf")):
        """``(x, iterations, status, detail)``; ``status`` is ``None`` when the local QP met
        OSQP's test with ``(eps_abs, eps_rel, dual unit) = eps`` (:mod:`._consensus_kernels`)."""
        from ._consensus_kernels import local_qp_solve
        if not np.all(np.isfinite(v)):
            return None, 0, Status.NUMERICAL_ERROR, "its consensus target z - u is not finite"
        deadline = time.perf_counter() + budget
        blk = self._block(pen)
        q = self.q.copy()
        q[self.S] -= pen * v
        blk.set_q(q)
        spl, n = blk.spl, blk.n
        it = self._start(blk, pen)
        x, z, y, xp, yp = it
        out, opts, alpha = self.out, self.opts, float(self.opts.alpha)
        eps_abs, eps_rel, abs_dual = float(eps[0]), float(eps[1]), float(eps[2])
        k, updates, first = 0, 0, True
        while True:
            try:
                penv, factors, scaled = blk.at_rho(self.rho)
            except np.linalg.LinAlgError as exc:
                return None, k, Status.SINGULAR, f"its local KKT factorization failed: {exc}"
            nb = min(self.CHUNK, self.maxiter - k)
            done, code = local_qp_solve(nb, self.CHECK_EVERY, first, factors, scaled, blk.data,
                                        blk.cost, blk.sigma, alpha, eps_abs, eps_rel, abs_dual, it,
                                        self.scratch, out)
            first = False
            k += int(done)
            if code == 1:
                break
            if code == -1:
                return None, k, Status.NUMERICAL_ERROR, "its local solve produced a non-finite iterate"
            if k >= self.maxiter:
                return None, k, Status.INNER_MAXITER, f"its local QP did not converge in {k} iterations"
            if time.perf_counter() >= deadline:
                return None, k, Status.MAXTIME, "time limit reached in its local solve"
            if k % self.DETECT_EVERY < self.CHUNK:       # OSQP's certificates from the last step
                found = spl.detect(None, np.concatenate([x, z]), None, None,
                                   np.concatenate([x - xp, np.zeros(blk.m)]),
                                   np.concatenate([np.zeros(n), y - yp]), penv, None)
                if found is not None:
                    return None, k, found[0], f"its local QP is {found[1]}"
            r, s, r_scale, s_scale = out[:4]
            if updates < opts.adaptive_rho_max:
                rho_new = ADMMEngine._new_rho(self.rho, r, s, r_scale, s_scale, None, None, opts)
                if rho_new is not None:
                    self.rho, updates = rho_new, updates + 1
        self.it = (pen, x, z, y, spl.D, spl.E, spl.cost)
        return spl.D * x, k, None, None


class _LocalFailure(Exception):
    """A local solve failed; carries the status for the consensus run."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _local_solve(handle, v, pen, eps, budget=float("inf")):
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
    return loc.solve(v, pen, eps, budget)


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
        self.handles = [((token, i), ((q, s), options.local_maxiter))
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
        self.local_rounds = 0
        self.local_eps, self.local_factor = float(options.local_eps), float(options.local_eps_factor)
        self.local_tol = float(options.local_eps_max) if self.local_factor > 0 else self.local_eps
        self.last_tol = self.local_tol
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
        self.last_tol = t = self.local_tol
        if self.local_factor > 0:      # primal tolerance t (x units), dual and gap tolerance pen_i t
            eps = [(t, self.local_eps, pi) for _, pi in blocks]
        else:                          # fixed: OSQP's test with eps_abs = eps_rel = local_eps
            eps = [(t, t, 1.0)] * len(blocks)
        if self.executor == "serial":
            out = [_local_solve(h, vi, pi, e, budget) for h, (vi, pi), e in zip(self.handles, blocks, eps)]
        else:
            futs = [self.executor.submit(_local_solve, h, vi, pi, e, budget)
                    for h, (vi, pi), e in zip(self.handles, blocks, eps)]
            out = [f.result() for f in futs]
        self.local_iters += sum(o[1] for o in out)
        self.local_rounds += 1
        for i, (_, _, status, detail) in enumerate(out):
            if status is not None:
                raise _LocalFailure(status, f"block {i}: {detail}")
        return np.concatenate([o[0] for o in out])

    def residuals(self, x, z, u, pen, Ax, Bz, Bz_old, opts):
        """Boyd's residuals (:meth:`.Splitting.residuals`: 2-norm, reference scales
        ``max(|Ax|, |z_G|)`` and ``|A^T y|``, absolute part ``sqrt(rows)``, ``sqrt(n)``); they
        also set the next rounds' local tolerance
        ``max(local_eps, min(previous, local_eps_factor * min(r, s)))``."""
        out = super().residuals(x, z, u, pen, Ax, Bz, Bz_old, opts)
        if self.local_factor > 0 and pen.size:
            r, s_, eps_pri, eps_dual = out[:4]
            rho = float(pen[0] / self.wrow[0])
            tol = self.local_factor * min(max(r, eps_pri), max(s_, eps_dual) / rho)
            if np.isfinite(tol):
                self.local_tol = max(self.local_eps, min(self.local_tol, tol))
        return out

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
        return {"local_x": self.local_x(x), "local_iterations": self.local_iters,
                "local_tol": self.last_tol}


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
