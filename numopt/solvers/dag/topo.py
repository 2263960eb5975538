r"""TOPO: NOTEARS objectives optimized by topological swaps (method ``topo``).

Bi-level search over topological orders ``pi`` (Deng, Bello, Aragam, Ravikumar, ICML 2023):

* **inner**: for a fixed order, ``W_pi = argmin Q(W)`` subject to ``W_ij = 0`` unless ``i``
  precedes ``j``: ``d`` independent regressions of each node on its predecessors
  (:mod:`numopt.solvers.dag._kernels`: a Cholesky factor along the order for least squares,
  coordinate descent for l1, (proximal) Newton for the logistic score);
* **candidates**: pairs ``(i, j)`` with ``i`` after ``j`` whose acyclicity gradient
  ``[dh/dA(|W_pi|)]_ij`` (the weight of the paths ``j ~> i``) is among the ``size_small``
  smallest (ties included), or the ``size_large`` smallest for the larger search;
* **swaps**: the loss after swapping the positions of ``i`` and ``j`` is evaluated by
  refitting only the nodes between them (their predecessor sets are the only ones that
  change); all improving swaps are applied greedily, best first, as long as their position
  intervals are disjoint (their effects then add up exactly);
* **termination**: when no candidate of the small set improves, the large set (minus the
  small one) is tried, at most ``n_large`` times successfully; the run ends (``CONVERGED``)
  when the candidates searched offer no improving swap. With ``size_small = d(d-1)/2`` the
  result is a point where no single swap improves the loss (a local minimum over orders).

**The search over starts** (options ``starts``, ``restarts``, ``perturb``). One descent ends at a
local minimum over orders that depends on its start (from a random order, d = 50 ER4 got stuck
at a score 17 % above the true graph's). The solver therefore runs descents from: the first
order (``order``, ``x0`` or a random one), the extra ``starts`` (default ``"var,greedy"``: the
order of increasing marginal variance, and the greedy top-down order of least residual
variance given the nodes already placed, :func:`start_order`), then ``restarts`` times from a
random perturbation of the best order so far (iterated local search; ``perturb`` random swaps
of positions at most ``max(2, d // 5)`` apart). It returns the best descent: ``x``, ``W``,
``order``, ``nit`` and ``history`` are that descent's (so the history decreases at every
step); ``nit_total``, ``n_swaps``, ``n_candidates`` and the work counters add up all descents;
``descent_funs`` lists each descent's final score and ``best_descent`` the winner. The search
ends ``CONVERGED`` when every descent did; a descent that does not (``maxiter`` and
``maxtime`` bound the whole search) ends it with that status, returning the best point so far.
``starts="", restarts=0`` is the single-descent reference algorithm.

A swap *improves* when the loss decreases by more than ``ftol * max(|Q|, tiny)``
(:func:`numopt.stopping.small_decrease`, reference scale: the current score ``Q``). Every
accepted step decreases ``Q``; the output is a DAG by construction (``W`` is supported on an
order). Warm start: option ``order``, or ``x0`` = any weighted adjacency matrix (a NOTEARS or
DAGMA result, cyclic or not: its order is that of :func:`~numopt.solvers.dag.graph.threshold_till_dag`),
else a random permutation (``seed``).

Result fields: ``W`` (``x`` as a matrix), ``order``, ``loss`` (data term), ``kkt_residual``
(:meth:`numopt.problems.dag.DAGScore.kkt_residual`), ``h`` (``0`` for a DAG), ``n_swaps``,
``n_large_used``, ``n_candidates`` (evaluated in total), and with the search ``n_descents``,
``descent_funs``, ``best_descent``, ``nit_total``.

Reference: C. Deng, K. Bello, B. Aragam, P. Ravikumar, "Optimizing NOTEARS objectives via
topological swaps", ICML 2023.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ...driver import Solver, SolverState, fail, replace
from ...options import DriverOptions, opt
from ...problems.dag import ACYCLICITY, acyclicity_dA
from ...registry import register
from ...result import Status
from ...stopping import small_decrease
from ...work import add_passes
from .graph import order_from_weights, small_blas

__all__ = ["Topo", "TopoOptions", "TopoState", "default_sizes", "fit_order", "candidates", "check_order",
           "start_order", "START_KINDS"]

#: The extra starting orders of option ``starts`` (:func:`start_order`).
START_KINDS = ("var", "greedy")


def default_sizes(d: int) -> tuple[int, int]:
    """``(size_small, size_large) = (min(3d, P), min(12d, P))``, ``P = d(d-1)/2`` (the research
    note's finding: dagrad's ``1.5d`` is too small for dense graphs)."""
    P = d * (d - 1) // 2
    return min(3 * d, P), min(12 * d, P)


@dataclass
class TopoOptions(DriverOptions):
    maxiter: int = opt(10000, "Maximum number of outer iterations (each applies >= 1 swap).", kind=int)
    order: object = opt(None, "Warm-start topological order (a permutation of range(d)); overrides x0.")
    seed: int | None = opt(0, "Seed of the random starting order used when x0 has no edges and "
                           "no order is given.", kind=int)
    size_small: int | None = opt(None, "Size of the small candidate set (default min(3d, d(d-1)/2)).", kind=int)
    size_large: int | None = opt(None, "Size of the large candidate set (default min(12d, d(d-1)/2)).",
                                 kind=int)
    n_large: int = opt(1, "How many times the large candidate set may be used successfully.", kind=int)
    ftol: float = opt(1e-12, "A swap improves when Q decreases by more than ftol * |Q|.", kind=(int, float))
    h: str = opt("logdet", "Acyclicity function whose gradient (at A = |W|) ranks candidate swaps: "
                 "'logdet', 'expm' or 'poly'.", kind=str)
    inner_tol: float = opt(1e-9, "Optimality tolerance of the l1 / logistic column refits.", kind=(int, float))
    inner_maxiter: int = opt(2000, "Iteration cap of one column refit (l1 / logistic).", kind=int)
    starts: str = opt("var,greedy", "Extra starting orders, comma-separated, searched after the first one "
                      "(order / x0 / random): 'var' (increasing marginal variance), 'greedy' (top-down: "
                      "repeatedly the node of least residual variance given those chosen); '' for none.",
                      kind=str)
    restarts: int | None = opt(None, "Iterated local search: this many descents from a perturbation of the "
                               "best order so far (default 10 for least squares without l1, 2 otherwise); "
                               "restarts=0 with starts='' is the single-start reference algorithm.", kind=int)
    perturb: int | None = opt(None, "Random swaps per perturbation (positions at most max(2, d // 5) apart; "
                              "default max(2, d // 10)).", kind=int)

    def validate(self):
        if self.h not in ACYCLICITY:
            raise ValueError(f"option 'h' must be one of {', '.join(map(repr, ACYCLICITY))}, got {self.h!r}")
        for name in ("size_small", "size_large"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ValueError(f"option {name!r} must be >= 1, got {v}")
        if self.n_large < 0:
            raise ValueError(f"option 'n_large' must be >= 0, got {self.n_large}")
        if not self.ftol >= 0:
            raise ValueError(f"option 'ftol' must be >= 0, got {self.ftol}")
        kinds = [k.strip() for k in self.starts.split(",") if k.strip()]
        bad = [k for k in kinds if k not in START_KINDS]
        if bad:
            raise ValueError(f"option 'starts' takes a comma-separated subset of {', '.join(START_KINDS)}, "
                             f"got {self.starts!r}")
        for name in ("restarts", "perturb"):
            v = getattr(self, name)
            if v is not None and v < (0 if name == "restarts" else 1):
                raise ValueError(f"option {name!r} must be >= {0 if name == 'restarts' else 1}, got {v}")
        if not self.inner_tol > 0 or self.inner_maxiter < 1:
            raise ValueError("options 'inner_tol' must be > 0 and 'inner_maxiter' >= 1, "
                             f"got {self.inner_tol} and {self.inner_maxiter}")


@dataclass
class TopoState(SolverState):
    order: np.ndarray = None
    W: np.ndarray = None
    ccost: np.ndarray = None
    L: np.ndarray = None
    n_large_used: int = 0
    n_swaps: int = 0
    n_candidates: int = 0
    fitter: object = None
    sizes: tuple = (1, 1)


def check_order(order, d: int) -> np.ndarray:
    """``order`` as an int64 permutation of ``range(d)``, or a ``ValueError`` naming it."""
    try:
        arr = np.asarray(order)
    except (TypeError, ValueError):  # pragma: no cover
        raise TypeError(f"order must be a permutation of range({d}), got {type(order).__name__}") from None
    if arr.ndim != 1 or arr.size != d or not np.issubdtype(arr.dtype, np.integer) \
            or not np.array_equal(np.sort(arr), np.arange(d)):
        raise ValueError(f"order must be a permutation of range({d}) (integers, each once), got {order!r}"[:300])
    return arr.astype(np.int64)


# ---------------------------------------------------------------------------------------
# fitters: one per score; each refits columns for an order and evaluates swaps
# ---------------------------------------------------------------------------------------
class _CholFitter:
    """Least squares, no l1: the Cholesky factor along the order."""

    def __init__(self, problem, options):
        self.Ms = np.ascontiguousarray(problem.gram + problem.lambda2 * np.eye(problem.d))
        self.shift = 0.5 * problem.lambda2

    def fit(self, order, W, ccost, L, changed=None):
        from ._kernels import chol_order, chol_weights
        d = order.size
        bad = chol_order(self.Ms, order, L)
        if bad >= 0:
            return f"the Gram matrix is singular along the order (pivot {bad}, node {order[bad]}): " \
                   "use lambda2 > 0, more samples or drop collinear variables"
        W[:] = 0.0
        chol_weights(L, order, W)
        diag = np.diag(L)
        ccost[order] = 0.5 * diag * diag
        return None

    def deltas(self, order, pos, W, ccost, L, ci, cj):
        from ._kernels import chol_swap_deltas
        out = np.empty(ci.size)
        chol_swap_deltas(self.Ms, L, order, pos, ci, cj, out)
        return out, 0


class _LassoFitter:
    """Least squares with l1: coordinate descent per column on the Gram matrix."""

    def __init__(self, problem, options):
        self.Ms = np.ascontiguousarray(problem.gram + problem.lambda2 * np.eye(problem.d))
        self.shift = 0.5 * problem.lambda2
        self.lam1, self.tol, self.maxit = problem.lambda1, options.inner_tol, options.inner_maxiter

    def _col(self, k, parents, w):
        from ._kernels import lasso_cd
        return lasso_cd(self.Ms, k, parents, w, self.lam1, self.tol, self.maxit)

    def fit(self, order, W, ccost, L, changed=None):
        nodes = order if changed is None else changed
        pos = np.argsort(order)
        for k in nodes:
            par = order[:pos[k]].copy()
            w = np.ascontiguousarray(W[par, k])
            val, ok = self._col(k, par, w)
            if not ok:
                return f"the inner regression of node {k} did not converge in {self.maxit} sweeps"
            W[:, k] = 0.0
            W[par, k] = w
            ccost[k] = val
        return None

    def deltas(self, order, pos, W, ccost, L, ci, cj):
        from ._kernels import lasso_swap_deltas
        out = np.empty(ci.size)
        nfail = lasso_swap_deltas(self.Ms, order, pos, W, ccost, ci, cj, self.lam1, self.tol, self.maxit, out)
        return out, nfail


class _LogisticFitter(_LassoFitter):
    """Logistic score: (proximal) Newton per column on the data."""

    def __init__(self, problem, options):
        self.X = problem.X
        self.shift = 0.0
        self.lam1, self.lam2 = problem.lambda1, problem.lambda2
        self.tol, self.maxit = options.inner_tol, options.inner_maxiter

    def _col(self, k, parents, w):
        from ._kernels import logistic_fit
        return logistic_fit(self.X, k, parents, w, self.lam1, self.lam2, self.tol, self.maxit)

    def deltas(self, order, pos, W, ccost, L, ci, cj):
        from ._kernels import logistic_swap_deltas
        out = np.empty(ci.size)
        nfail = logistic_swap_deltas(self.X, order, pos, W, ccost, ci, cj, self.lam1, self.lam2,
                                     self.tol, self.maxit, out)
        return out, nfail


def _fitter(problem, options):
    if problem.score == "logistic":
        return _LogisticFitter(problem, options)
    return _LassoFitter(problem, options) if problem.lambda1 > 0 else _CholFitter(problem, options)


def fit_order(problem, order, inner_tol: float = 1e-9, inner_maxiter: int = 2000):
    """``(W, Q)``: the inner solution for a fixed ``order`` (each node regressed on its
    predecessors with the problem's score and regularization) and its score.

    Raises ``ValueError`` if the Gram matrix is singular along the order (least squares without
    ``lambda2``) or an inner regression does not converge.
    """
    _check_problem(problem)
    d = problem.d
    order = check_order(order, d)
    opts = TopoOptions(inner_tol=inner_tol, inner_maxiter=inner_maxiter)
    fitter = _fitter(problem, opts)
    W, ccost, L = np.zeros((d, d)), np.zeros(d), np.zeros((d, d))
    err = fitter.fit(order, W, ccost, L)
    if err is not None:
        raise ValueError(f"cannot fit the order: {err}")
    return W, problem.fun(W.ravel())


def start_order(problem, kind: str) -> np.ndarray:
    """A starting order from the Gram matrix ``M = X^T X / n + lambda2 I`` of the problem.

    ``"var"``: increasing marginal variance ``M_kk`` (sort-and-regress's order, Reisach et al.
    2021). ``"greedy"``: top-down, repeatedly the node of least residual variance given the
    nodes already chosen (the Schur complement of ``M``; the order that is exact for
    equal-variance Gaussian SEMs in the population, Chen, Drton, Wang 2019), ``O(d^3)``.
    """
    M = problem.gram + problem.lambda2 * np.eye(problem.d)
    if kind == "var":
        return np.argsort(np.diag(M), kind="stable").astype(np.int64)
    if kind != "greedy":
        raise ValueError(f"start kind must be one of {', '.join(START_KINDS)}, got {kind!r}")
    C = M.copy()
    left = np.ones(problem.d, dtype=bool)
    out = np.empty(problem.d, dtype=np.int64)
    diag0 = np.diag(M).copy()
    for p in range(problem.d):
        cand = np.flatnonzero(left)
        k = cand[np.argmin(np.diag(C)[cand])]
        out[p], left[k] = k, False
        if C[k, k] > 1e-10 * max(diag0[k], np.finfo(float).tiny):   # else k is (nearly) spanned: no update
            c = C[:, k].copy()
            C -= np.outer(c, c) / c[k]
    return out


def _perturb(order, rng, k):
    """``k`` random swaps of positions at most ``max(2, d // 5)`` apart; at most ``10 d^2`` of them
    (far past mixing: a larger ``perturb`` draws a random order in bounded time)."""
    o = order.copy()
    d = o.size
    span = max(2, d // 5)
    for _ in range(min(int(k), 10 * d * d)):
        a = int(rng.integers(d))
        b = min(d - 1, max(0, a + int(rng.integers(-span, span + 1))))
        o[a], o[b] = o[b], o[a]
    return o


class SmallBLAS:
    """Mixin: run the whole solve inside :func:`~numopt.solvers.dag.graph.small_blas` (one BLAS
    thread when ``d <= 256``; the reason and the measurement are there)."""

    def solve(self, problem, x0, options, callback=None, method: str = ""):
        with small_blas(getattr(problem, "d", 0)):
            return super().solve(problem, x0, options, callback=callback, method=method)


def _check_problem(problem):
    from ...problems.dag import DAGScore
    if not isinstance(problem, DAGScore):
        raise TypeError(f"the DAG methods need a numopt.problems.DAGScore problem, got {type(problem).__name__}")


def candidates(W, order, kind: str, size: int, exclude=None):
    """Candidate swaps ``(ci, cj)`` (``ci`` after ``cj``) with the ``size`` smallest acyclicity
    gradients ``[dh/dA(|W|)]_{ij}``, ties included (the reference implementation's rule);
    ``exclude`` (a boolean mask) removes pairs already searched."""
    d = order.size
    pos = np.empty(d, dtype=np.int64)
    pos[order] = np.arange(d)
    Z = pos[:, None] > pos[None, :]                      # (i, j): i after j, the forbidden edges
    _, G = acyclicity_dA(np.abs(W), kind)
    vals = np.sort(G[Z])
    thr = vals[min(size, vals.size) - 1]
    mask = Z & (G <= thr)
    if exclude is not None:
        mask &= ~exclude
    ci, cj = np.nonzero(mask)
    return ci.astype(np.int64), cj.astype(np.int64), mask


@register("topo", family="dag", options=TopoOptions, requires={"dag"}, supports={"dag"},
          tol_options=("ftol",), work_unit="passes",
          summary="TOPO: NOTEARS scores optimized by topological swaps (Deng et al. 2023)")
class Topo(SmallBLAS, Solver):
    """Topological swaps for NOTEARS objectives (see the module docstring)."""

    # -- the search over starts (multi-start + iterated local search) ----------------------
    _STD_FIELDS = frozenset({"x", "fun", "success", "status", "numopt_status", "status_name", "message",
                             "numopt_message", "nit", "nfev", "njev", "nhev", "method", "history",
                             "execution_time", "npass", "detail"})

    @staticmethod
    def n_restarts(problem, options) -> int:
        """Option ``restarts``, or its default: 10 for least squares without l1 (a descent costs a
        few Cholesky updates), 2 otherwise (coordinate-descent / Newton refits)."""
        if options.restarts is not None:
            return options.restarts
        return 10 if problem.score == "l2" and problem.lambda1 == 0 else 2

    def solve(self, problem, x0, options, callback=None, method: str = ""):
        _check_problem(problem)
        kinds = [k.strip() for k in options.starts.split(",") if k.strip()]
        restarts = self.n_restarts(problem, options)
        if not kinds and restarts == 0:
            return super().solve(problem, x0, options, callback=callback, method=method)
        with small_blas(problem.d):
            return self._search(problem, x0, options, callback, method, kinds, restarts)

    def _search(self, problem, x0, options, callback, method, kinds, restarts):
        import dataclasses
        import time
        from ...driver import _counts
        from ...result import OptimizeResult
        t0, counts0 = time.perf_counter(), dict(problem.counts)
        single = dataclasses.replace(options, starts="", restarts=0)
        seed = options.seed
        rng = np.random.default_rng(None if seed is None else [seed, 7919])
        perturb = options.perturb or max(2, problem.d // 10)
        best, funs, nit, stop, nswaps, ncand = None, [], 0, None, 0, 0
        plan = itertools.chain(["first"], kinds, itertools.repeat("perturb", restarts))   # lazy: restarts may be huge
        for label in plan:
            left_iter, left_time = options.maxiter - nit, options.maxtime - (time.perf_counter() - t0)
            if best is not None and (left_iter <= 0 or left_time <= 0):   # the first descent always runs
                stop = (Status.MAXITER if left_iter <= 0 else Status.MAXTIME,
                        f"the budget ended after {len(funs)} descents")
                break
            if label == "first":
                opts, xs = dataclasses.replace(single, maxiter=left_iter, maxtime=left_time), x0
            else:
                order = start_order(problem, label) if label != "perturb" else _perturb(best.order, rng, perturb)
                opts, xs = dataclasses.replace(single, order=order, maxiter=left_iter, maxtime=left_time), None
            try:
                res = Solver.solve(self, problem, xs, opts, callback=callback, method=method)
            except ValueError:
                if label == "first":
                    raise
                continue                       # e.g. a singular Gram along this start: skip it
            nit += res.nit
            nswaps += res.n_swaps
            ncand += res.n_candidates
            funs.append(float(res.fun))
            if best is None or (res.fun < best.fun and not small_decrease(best.fun, res.fun, options.ftol)):
                best, best_i = res, len(funs) - 1
            if not res.success:
                stop = (Status(res.numopt_status), f"descent {len(funs)} ({label} start): {res.message}")
                break
        if stop is None:
            status, detail = Status.CONVERGED, f"no candidate swap improves the score; best of {len(funs)} descents"
        else:
            status, detail = stop[0], stop[1] + f"; the best of the {len(funs)} descents is returned"
        extra = {k: v for k, v in best.items() if k not in self._STD_FIELDS}
        extra.update(nit_total=nit, n_swaps=nswaps, n_candidates=ncand, n_descents=len(funs), descent_funs=np.array(funs),
                     best_descent=best_i)
        out = OptimizeResult.build(x=best.x, fun=best.fun, status=status, method=method, nit=best.nit,
                                   history=best.history, detail=detail,
                                   **_counts(problem.counts, counts0), **extra)
        out["execution_time"] = time.perf_counter() - t0
        return out

    def init(self, problem, x0, options):
        _check_problem(problem)
        d = problem.d
        if options.order is not None:
            order = check_order(options.order, d)
        else:
            W0 = problem.as_matrix(x0)
            if np.any(W0 != 0):
                order = order_from_weights(W0)
            else:
                order = np.random.default_rng(options.seed).permutation(d).astype(np.int64)
        fitter = _fitter(problem, options)
        W, ccost, L = np.zeros((d, d)), np.zeros(d), np.zeros((d, d))
        err = fitter.fit(order, W, ccost, L)
        if err is not None:
            raise ValueError(f"topo cannot fit the starting order: {err}")
        add_passes(problem, 1.0)
        small, large = default_sizes(d)
        P = d * (d - 1) // 2
        sizes = (min(options.size_small or small, P), min(options.size_large or large, P))
        fun = float(ccost.sum() - d * fitter.shift)
        return TopoState(x=W.ravel().copy(), fun=fun, order=order, W=W, ccost=ccost, L=L,
                         fitter=fitter, sizes=sizes, metrics={"n_swaps": 0, "n_candidates": 0})

    def _improving(self, deltas, fun, ftol):
        return [t for t in np.argsort(deltas, kind="stable")
                if deltas[t] < 0 and not small_decrease(fun, fun + deltas[t], ftol)]

    def step(self, problem, state, options):
        d = problem.d
        fitter = state.fitter
        order = state.order
        pos = np.empty(d, dtype=np.int64)
        pos[order] = np.arange(d)
        s_small, s_large = state.sizes
        ci, cj, mask = candidates(state.W, order, options.h, s_small)
        deltas, nfail = fitter.deltas(order, pos, state.W, state.ccost, state.L, ci, cj)
        ncand = ci.size
        add_passes(problem, float(np.sum(np.abs(pos[ci] - pos[cj]) + 1)) / d)
        if nfail:
            return fail(state, Status.INNER_MAXITER, f"{nfail} column refits did not converge "
                        f"in {options.inner_maxiter} iterations")
        good = self._improving(deltas, state.fun, options.ftol)
        large_used = state.n_large_used
        if not good:
            if large_used >= options.n_large:
                return self._converged(state, ncand, "no candidate swap improves the score")
            ci, cj, _ = candidates(state.W, order, options.h, s_large, exclude=mask)
            deltas, nfail = fitter.deltas(order, pos, state.W, state.ccost, state.L, ci, cj)
            ncand += ci.size
            add_passes(problem, float(np.sum(np.abs(pos[ci] - pos[cj]) + 1)) / d)
            if nfail:
                return fail(state, Status.INNER_MAXITER, f"{nfail} column refits did not converge "
                            f"in {options.inner_maxiter} iterations")
            good = self._improving(deltas, state.fun, options.ftol)
            if not good:
                return self._converged(state, ncand, "no swap of the large candidate set improves the score")
            large_used += 1
        # greedy multi-swap: best first, disjoint position intervals
        taken = np.zeros(d, dtype=bool)
        new_order = order.copy()
        changed = []
        nsw = 0
        for t in good:
            a, b = pos[cj[t]], pos[ci[t]]
            if taken[a:b + 1].any():
                continue
            taken[a:b + 1] = True
            new_order[a], new_order[b] = ci[t], cj[t]
            changed.extend(order[a:b + 1].tolist())
            nsw += 1
        W, ccost, L = state.W.copy(), state.ccost.copy(), state.L.copy()
        err = fitter.fit(new_order, W, ccost, L, changed=np.array(changed, dtype=np.int64))
        add_passes(problem, len(changed) / d)
        if err is not None:
            return fail(state, Status.INNER_MAXITER if "converge" in err else Status.SINGULAR, err)
        fun = float(ccost.sum() - d * fitter.shift)
        if not fun < state.fun:
            return fail(state, Status.NUMERICAL_ERROR,
                        f"the accepted swaps did not decrease the score ({state.fun!r} -> {fun!r})")
        return replace(state, x=W.ravel().copy(), fun=fun, order=new_order, W=W, ccost=ccost, L=L,
                       n_large_used=large_used, n_swaps=state.n_swaps + nsw,
                       n_candidates=state.n_candidates + ncand,
                       metrics={"n_swaps": state.n_swaps + nsw, "n_candidates": state.n_candidates + ncand})

    def _converged(self, state, ncand, detail):
        return replace(state, n_candidates=state.n_candidates + ncand, status=Status.CONVERGED, detail=detail,
                       metrics={"n_swaps": state.n_swaps, "n_candidates": state.n_candidates + ncand})

    def finalize(self, problem, state, options):
        W = problem.as_matrix(state.x).copy()
        state.fun = problem.fun(state.x)        # Q(W) evaluated directly (the search used column sums)
        return {"W": W, "order": state.order.copy(), "loss": problem.loss(W)[0],
                "kkt_residual": problem.kkt_residual(W), "h": problem.acyclicity(W, "logdet")[0],
                "n_swaps": state.n_swaps, "n_large_used": state.n_large_used,
                "n_candidates": state.n_candidates}
