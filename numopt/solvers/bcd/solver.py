r"""Block coordinate descent with greedy rules (``method="bcd"``).

Solves ``min_x f(x) + sum_i r(x_i)`` for least squares, binary and multi-class (softmax)
logistic regression and sparse quadratics (label propagation), with ``r`` zero, L1, ridge
or non-negativity. One iteration

.. math::
    b_k = \mathrm{SELECT}(\nabla f(x_k)), \qquad
    x_{k+1, b_k} = \mathrm{UPDATE}(x_{k, b_k}, \nabla_{b_k} f(x_k)),

where the three building blocks are chosen independently:

* ``partition``: fixed blocks (``"order"``, ``"sort"`` by ``L_i``, ``"balanced"``, and
  ``"hsort"``/``"havg"`` ranking by the Hessian-bound row sums), variable blocks of
  ``block_size`` coordinates chosen each iteration (``"variable"``), forest blocks of the graph
  of a sparse quadratic (``"forest"``, ``"redblack"``, ``"variable-forest"``, and the two lattice
  combs ``"comb"``) or a user list of index arrays;
* ``rule``: ``"cyclic"``, ``"random"``, ``"lipschitz"`` (sampling ``P(b) ~ L_b``), and the
  greedy Gauss-Southwell family ``"gs"`` (``max ||g_b||``), ``"gsl"`` (``||g_b|| / sqrt(L_b)``),
  ``"gsd"`` (``||g_b||_{D_b^{-1}}``, ``D = diag(L_i)``), ``"gsq"`` (``g_b^T H_b^{-1} g_b``;
  iterative hard thresholding for variable blocks). With an L1 / non-negativity term the
  scores use the minimum-norm subgradient (GS-s) and ``"gsq"`` the prox-linear model
  decrease (GS-q). Variable-block GSL uses the Gershgorin bound ``d_i = sum_j |H_ij|``;
* ``update``: ``"lb"`` (prox-gradient step ``1/L_b``), ``"la"`` (``L_b`` estimated by
  backtracking), ``"hb"`` (exact minimisation of the fixed quadratic upper bound ``H_b``:
  exact block minimisation for quadratics, message passing on forest blocks), ``"newton"``
  (exact block Hessian with an Armijo line search; proximal Newton with L1).

With an L1 term, ``newton_switch=k`` switches ``"lb"``/``"la"`` updates to ``"newton"`` once the
support has been unchanged for ``k`` steps (the active-set identification then
superlinear-convergence scheme of the paper), and ``working_set=k`` runs ``k`` epochs over the
current support before each full epoch. Least squares with ``p^2 <= nnz(X)`` runs on the Gram
matrix (``gram``), which keeps the full gradient for the greedy rules in ``O(p)`` per update.

Certificates: ``optimality = ||x - prox_r(x - grad f(x))||_inf`` always; the duality gap for
L1-regularised least squares and logistic regression.

Reference: J. Nutini, I. Laradji, M. Schmidt, "Let's make block coordinate descent converge
faster: faster greedy rules, message-passing, active-set complexity, and superlinear
convergence", JMLR 23 (2022) 1-74.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ... import stopping
from ...driver import Solver, SolverState, fail
from ...options import DriverOptions, opt
from ...problems.composite import CompositeProblem
from ...registry import register
from ...result import Status
from ...work import add_passes

RULES = {"cyclic": 0, "random": 1, "lipschitz": 2, "gs": 3, "gsl": 4, "gsd": 5, "gsq": 6}
UPDATES = {"lb": 0, "la": 1, "hb": 2, "newton": 3}
FIXED = ("order", "sort", "balanced", "avg", "hsort", "havg")
GRAPH = ("forest", "redblack", "comb")
PARTITIONS = FIXED + GRAPH + ("variable", "variable-forest")
ENGINES = ("auto", "working-set", "plain")


@dataclass
class BCDOptions(DriverOptions):
    maxiter: int = opt(1000, "Maximum number of steps (each step runs `batch` block iterations).", kind=int)
    rule: str = opt("cyclic", "Block selection: 'cyclic', 'random', 'lipschitz', 'gs', 'gsl', 'gsd', 'gsq'.",
                    kind=str)
    partition: object = opt("order", "'order', 'sort', 'balanced' (alias 'avg'), 'hsort', 'havg', 'variable', "
                            "'forest', 'redblack', 'comb' (lattices), 'variable-forest', or a list of index "
                            "arrays.", kind=(str, list, tuple))
    block_size: int = opt(1, "Block size tau for the fixed and variable partitions.", kind=int)
    update: str = opt("lb", "Block update: 'lb', 'la', 'hb', 'newton'.", kind=str)
    gtol: float = opt(1e-6, "Stop when ||x - prox(x - grad f)||_inf <= gtol min(1, max_i L_i) (scale-aware: "
                      "the coordinate Lipschitz constants L_i scale as the gradient does).", kind=(int, float))
    gap_tol: float | None = opt(None, "If set and a duality gap is available, stop when the relative gap "
                                "gap <= gap_tol |F| holds (instead of the gtol test). The working-set "
                                "engine always stops on the relative gap (default 1e-10).", kind=(int, float))
    batch: int | None = opt(None, "Block iterations per step (default: one epoch, i.e. "
                            "ceil(n / block_size) or the number of fixed blocks).", kind=int)
    newton_switch: int = opt(0, "With an L1 term and 'lb'/'la' updates: switch to 'newton' once the "
                             "support is unchanged for this many steps (0: never).", kind=int)
    rng: object = opt(None, "Seed or numpy Generator for the random rules.", kind=None)
    trace: bool = opt(False, "Record F(x) after every block iteration in res.trace.", kind=bool)
    working_set: int = opt(0, "With an L1 / non-negativity term, block_size 1 and a non-GSQ rule: before each "
                           "full epoch run this many epochs over the current support only (glmnet-style "
                           "active-set cycling; 0: off).", kind=int)
    gram: bool | None = opt(None, "Least squares: work on the Gram matrix X^T X / N, keeping the full "
                            "gradient in O(n) per coordinate (None: when n^2 <= nnz(X)).", kind=bool)
    engine: str = opt("auto", "'working-set' (Lasso / L1-logistic: gap safe screening, working sets, "
                      "Anderson and dual extrapolation), 'plain' (the rule/partition/update machinery) or "
                      "'auto' (working-set for those problems when rule, partition, update, block_size, "
                      "batch, gram, working_set, newton_switch and trace keep their defaults).", kind=str)
    screening: bool = opt(True, "Working-set engine: gap safe screening.", kind=bool)
    ws_p0: int = opt(10, "Working-set engine: smallest working set.", kind=int)
    ws_max_epochs: int = opt(10000, "Working-set engine: most coordinate epochs per inner solve.", kind=int)
    inner: str = opt("auto", "Working-set engine inner solver: 'cd' (coordinate descent with Anderson "
                     "acceleration), 'newton' (proximal Newton, CD on the model) or 'auto' (newton for the "
                     "logistic loss, cd for least squares).", kind=str)
    anderson: int = opt(5, "Working-set engine: Anderson / dual extrapolation depth K (0: off).", kind=int)

    def validate(self):
        if self.rule not in RULES:
            raise ValueError(f"option 'rule' must be one of {', '.join(RULES)}, got {self.rule!r}")
        if self.update not in UPDATES:
            raise ValueError(f"option 'update' must be one of {', '.join(UPDATES)}, got {self.update!r}")
        if isinstance(self.partition, str) and self.partition not in PARTITIONS:
            raise ValueError(f"option 'partition' must be one of {', '.join(PARTITIONS)} or a list of "
                             f"index arrays, got {self.partition!r}")
        if self.block_size < 1:
            raise ValueError(f"option 'block_size' must be >= 1, got {self.block_size}")
        if self.gtol <= 0:
            raise ValueError(f"option 'gtol' must be > 0, got {self.gtol}")
        if self.engine not in ENGINES:
            raise ValueError(f"option 'engine' must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        for name in ("ws_p0", "ws_max_epochs"):
            if getattr(self, name) < 1:
                raise ValueError(f"option {name!r} must be >= 1, got {getattr(self, name)}")
        if self.inner not in ("auto", "cd", "newton"):
            raise ValueError(f"option 'inner' must be 'auto', 'cd' or 'newton', got {self.inner!r}")
        if self.anderson < 0:
            raise ValueError(f"option 'anderson' must be >= 0, got {self.anderson}")
        if self.gap_tol is not None and self.gap_tol <= 0:
            raise ValueError(f"option 'gap_tol' must be > 0, got {self.gap_tol}")
        if self.batch is not None and self.batch < 1:
            raise ValueError(f"option 'batch' must be >= 1, got {self.batch}")
        if self.newton_switch < 0:
            raise ValueError(f"option 'newton_switch' must be >= 0, got {self.newton_switch}")
        if self.partition == "variable-forest" and self.rule not in ("random", "gs", "gsl"):
            raise ValueError("partition 'variable-forest' needs rule 'random', 'gs' or 'gsl', "
                             f"got {self.rule!r}")
        if self.working_set < 0:
            raise ValueError(f"option 'working_set' must be >= 0, got {self.working_set}")
        if self.working_set and (self.block_size != 1 or self.rule == "gsq" or not isinstance(self.partition, str)
                                 or self.partition not in FIXED):
            raise ValueError("option 'working_set' needs block_size=1, a fixed partition and a rule other "
                             "than 'gsq'")
        if self.partition in GRAPH + ("variable-forest",) and self.rule == "gsq":
            raise ValueError("rule 'gsq' is not available with forest partitions")


@dataclass
class BCDState(SolverState):
    aux: np.ndarray = None
    grad: np.ndarray = None
    cyc: int = 0
    Lhat: np.ndarray = None
    update: int = 0
    iters: int = 0
    support: np.ndarray = None
    stable: int = 0
    active_it: int = 0
    switch_it: int = -1
    traces: list = field(default_factory=list)
    stats: np.ndarray = None
    ws: object = None


class _Setup:
    """Everything fixed for a run: encoded problem, partition, block constants, sampling weights."""

    def __init__(self, enc, options, rng, problem=None):
        from .partition import as_blocks, comb_partition, fixed_partition, graph_partition
        self.enc, self.rng = enc, rng
        p, tau = enc.p, min(options.block_size, enc.p)
        part = options.partition
        self.Lc = enc.coordinate_lipschitz()
        self.variable = part in ("variable", "variable-forest")
        self.forest = part in GRAPH + ("variable-forest",)
        if self.forest and (enc.kind != 2 or enc.ls is not None):
            raise ValueError(f"option partition={part!r} needs a sparse quadratic (SparseQuadratic / "
                             "LabelPropagation) problem" + (" on a lattice graph" if part == "comb" else ""))
        if enc.kind == 3 and self.variable and options.rule == "gsq" and enc.reg == 0:
            raise ValueError("rule 'gsq' with variable blocks is not available for softmax regression")
        self.rule, self.tau = RULES[options.rule], tau
        if self.variable:
            self.ptr, self.idx = np.array([0, p], dtype=np.int64), np.arange(p, dtype=np.int64)
            self.nb = -(-p // tau)
        else:
            if isinstance(part, (list, tuple)):
                self.ptr, self.idx = as_blocks(part, p)
            elif part == "comb":
                smooth = problem.smooth if isinstance(problem, CompositeProblem) else problem
                self.ptr, self.idx = comb_partition(smooth)
            elif part in GRAPH:
                self.ptr, self.idx = graph_partition(part, enc.M, self.Lc)
            else:
                rank = enc.hessian_row_sums() if part in ("hsort", "havg") else self.Lc
                self.ptr, self.idx = fixed_partition(part, p, tau, rank)
            self.nb = self.ptr.size - 1
        sizes = np.diff(self.ptr)
        needs_Lb = not self.variable and (options.update == "lb" or options.rule in ("gsl", "lipschitz")
                                          or (options.rule == "gsq" and enc.reg != 0))
        self.Lb = np.zeros(max(self.nb, 1))
        self.Hinv = np.zeros((1, 1, 1))
        gsq_fixed = not self.variable and options.rule == "gsq" and enc.reg == 0
        if gsq_fixed:
            self.Hinv = np.zeros((self.nb, sizes.max(), sizes.max()))
        if needs_Lb or gsq_fixed:
            for b in range(self.nb):
                blk = self.idx[self.ptr[b]:self.ptr[b + 1]]
                if blk.size == 1 and not gsq_fixed:
                    self.Lb[b] = self.Lc[blk[0]]
                    continue
                H = enc.block_bound(blk)
                self.Lb[b] = _lambda_max(H)
                if gsq_fixed:
                    ridge = 1e-10 * max(np.trace(H) / blk.size, 1e-300)
                    self.Hinv[b, :blk.size, :blk.size] = np.linalg.pinv(H + ridge * np.eye(blk.size))
        self.dg = enc.gershgorin() if self.variable and options.rule == "gsl" else self.Lc
        self.Lglob = enc.global_lipschitz() if self.variable and options.rule == "gsq" and enc.reg == 0 else 1.0
        if self.variable:
            w = self.Lc if options.rule == "lipschitz" else np.ones(p)
        else:
            w = self.Lb if options.rule == "lipschitz" else np.ones(self.nb)
        self.cum = np.cumsum(np.maximum(w, 0.0) + (w.sum() == 0))
        self.epoch = self.nb
        self.nnz = max(int(enc.M.nnz), 1)
        if options.rule in ("gs", "gsl", "gsd", "gsq") and enc.kind in (0, 1):
            R = enc.M.tocsr()
            R.sort_indices()
            self.csr = (R.indptr.astype(np.int64), R.indices.astype(np.int64), R.data)
        else:
            self.csr = (np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))


def _lambda_max(H):
    if H.shape[0] <= 400:
        return float(np.linalg.eigvalsh(H)[-1])
    from scipy.sparse.linalg import eigsh
    return float(eigsh(H, k=1, which="LA", return_eigenvectors=False, tol=1e-8)[0])


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.default_rng(seed)
    raise TypeError(f"option 'rng' must be None, an int or a numpy Generator, got {type(seed).__name__}")


def certificates(enc, x, aux, F=None):
    """``(optimality, duality_gap or None, grad)`` at ``x``.

    The gap is the problem's own certificate (``Lasso.duality_gap``,
    ``LogisticRegression.duality_gap``; ``enc.gap_model``), never a second copy of it.
    """
    from . import _kernels as K
    indptr, indices, data = enc.arrays
    if enc.dense is not None:          # BLAS for dense designs
        if enc.kind == 0:
            rho = aux - enc.y
        else:
            from scipy.special import expit
            rho = -enc.y * expit(-enc.y * aux)
        g = enc.invN * (enc.dense.T @ rho) + enc.l2 * x
    else:
        g = np.empty(enc.p)
        K.full_grad(enc.kind, indptr, indices, data, enc.y, enc.invN, enc.l2, x, aux, np.empty(aux.size), g)
    v = x - g
    if enc.reg == 1:
        v = np.sign(v) * np.maximum(np.abs(v) - enc.alpha, 0.0)
    elif enc.reg == 2:
        v = np.maximum(v - enc.alpha, 0.0)
    opt_res = float(np.max(np.abs(x - v), initial=0.0))
    gap = None if enc.gap_model is None else float(enc.gap_model.duality_gap(x))
    return opt_res, gap, g


def _wants_ws(options) -> bool:
    """'auto' picks the working-set engine when no paper-specific option is set."""
    if options.engine != "auto":
        return options.engine == "working-set"
    return (options.rule == "cyclic" and options.partition == "order" and options.block_size == 1
            and options.update == "lb" and options.batch is None and options.gram is None
            and options.working_set == 0 and options.newton_switch == 0 and not options.trace)


@register("bcd", family="bcd", options=BCDOptions, aliases=("block-coordinate-descent", "greedy-bcd"),
          requires={"grad", "coordinate"}, supports={"nonsmooth"}, tol_options=("gtol", "gap_tol"),
          work_unit="passes")
class BCD(Solver):
    """Block coordinate descent with greedy (Gauss-Southwell-type) rules, forests and Newton updates.

    Stopping (:mod:`numopt.stopping`): the working-set engine and ``gap_tol`` use the
    relative duality gap ``small_gap(gap, F, tol)`` (reference ``|F(x)|``); the ``gtol`` test
    compares the prox-gradient residual with ``gtol min(1, max_i L_i)`` (reference: the
    largest coordinate Lipschitz constant, which scales as the gradient does).

    Work (:mod:`numopt.work`, ``work_unit="passes"``): ``npass`` counts every coordinate update
    by its column's share of the nonzeros, the incremental gradient refreshes of greedy rules
    by the rows they touch, and full gradients as one pass; ``nfev``/``njev`` count only full
    objective and gradient evaluations (one of each per certificate).
    """

    def init(self, problem, x0, options):
        from .problem_data import encode, l1_problem
        x = np.array(x0, dtype=float)
        l1 = l1_problem(problem)
        self._ws = None
        if _wants_ws(options):
            if l1 is None:
                if options.engine == "working-set":
                    raise ValueError("option engine='working-set' needs a Lasso or L1-logistic problem "
                                     f"(an unweighted L1 term with alpha > 0, no ridge), got {problem.name!r}")
            else:
                return self._ws_init(problem, x, options, *l1)
        enc = encode(problem, options.gram)
        rng = _rng(options.rng)
        self._setup = setup = _Setup(enc, options, rng, problem)
        if x.shape != (enc.p,):
            raise ValueError(f"x0 must have shape ({enc.p},), got {x.shape}")
        if enc.reg == 2:
            x = np.maximum(x, 0.0)
        aux = enc.initial_aux(x)
        F = self._objective(enc, x, aux)
        state = BCDState(x=x, fun=F, aux=aux, grad=np.zeros(enc.p), Lhat=np.ones(enc.p),
                         update=UPDATES[options.update], support=x != 0, stats=np.zeros(5, dtype=np.int64))
        self._gscale = min(1.0, float(np.max(setup.Lc, initial=0.0)))
        self._metrics(state, F)
        return state

    # ---------------------------------------------------------------- working-set engine
    def _ws_init(self, problem, x, options, smooth, loss, alpha, model):
        from .working_set import WSProblem, WSState, certify
        wp = self._ws = WSProblem(smooth, loss, alpha, model)
        if x.shape != (wp.p,):
            raise ValueError(f"x0 must have shape ({wp.p},), got {x.shape}")
        z = wp.matvec(x)
        st = WSState(wp.p, options.ws_p0)
        state = BCDState(x=x, fun=np.inf, aux=z, ws=st)
        if not certify(wp, st, x, z, problem, options.anderson):
            state.fun = float("nan")          # the driver refuses a non-finite start
            return state
        state.fun = st.P
        return self._ws_verdict(state, options)

    def _ws_verdict(self, state, options):
        from .working_set import GAP_TOL, converged
        st = state.ws
        state.metrics = {"gap": max(st.gap, 0.0), "n_active": int(np.count_nonzero(state.x)),
                         "ws_size": int(st.ws_size), "n_screened": int(st.screened.sum()),
                         "block_iterations": int(st.epochs)}
        tol = options.gap_tol if options.gap_tol is not None else GAP_TOL
        if converged(self._ws, st, state.x, tol):
            state.status = Status.CONVERGED
        return state

    def _ws_step(self, problem, state, options):
        from .working_set import certify, outer_step
        wp, st = self._ws, state.ws
        w, z = state.x.copy(), state.aux.copy()
        outer_step(wp, st, w, z, problem, options)
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(z))):
            return fail(state, Status.NUMERICAL_ERROR, "non-finite coefficients in the working-set solve")
        if not certify(wp, st, w, z, problem, options.anderson):
            return fail(state, Status.NUMERICAL_ERROR, "non-finite gradient or objective")
        new = BCDState(x=w, fun=st.P, aux=z, ws=st)
        return self._ws_verdict(new, options)

    # ---------------------------------------------------------------- plain engine
    @staticmethod
    def _objective(enc, x, aux):
        from . import _kernels as K
        return float(K.objective(enc.kind, enc.y, enc.invN, enc.l2, x, aux, enc.alpha, enc.reg)) + enc.const

    def _metrics(self, state, F):
        enc = self._setup.enc
        opt_res, gap, _ = certificates(enc, state.x, state.aux)
        state.metrics = {"optimality": opt_res, "block_iterations": state.iters}
        if gap is not None:
            state.metrics["gap"] = gap
        if enc.reg != 0:
            state.metrics["n_active"] = int(np.count_nonzero(state.x))
        return opt_res, gap

    def step(self, problem, state, options):
        if self._ws is not None:
            return self._ws_step(problem, state, options)
        from . import _kernels as K
        S = self._setup
        enc = S.enc
        n_iter = options.batch or S.epoch
        x, aux = state.x.copy(), state.aux.copy()
        indptr, indices, data = enc.arrays
        ws_iters = 0
        stats = state.stats.copy()
        entries0 = int(stats[4])
        prob = (enc.kind, indptr, indices, data, enc.y, enc.invN, enc.l2, enc.alpha, enc.reg, S.csr)
        it = (x, aux, state.Lhat, state.grad, stats)
        if options.working_set and enc.reg != 0:
            supp = np.flatnonzero(x)
            if supp.size:
                ws_iters = options.working_set * supp.size
                ptr = np.arange(supp.size + 1, dtype=np.int64)
                w = S.Lc[supp] if options.rule == "lipschitz" else np.ones(supp.size)
                blocks = (S.rule, state.update, False, 1, False, ptr, supp.astype(np.int64), S.Lc[supp], S.Lc,
                          S.dg, S.Hinv, S.Lglob, np.cumsum(w))
                K.run_batch(prob, blocks, it, ws_iters, 0, int(S.rng.integers(2 ** 31 - 1)), np.empty(0))
        trace = np.empty(n_iter if options.trace else 0)
        blocks = (S.rule, state.update, S.variable, S.tau, S.forest, S.ptr, S.idx, S.Lb, S.Lc, S.dg, S.Hinv,
                  S.Lglob, S.cum)
        cyc = K.run_batch(prob, blocks, it, n_iter, state.cyc, int(S.rng.integers(2 ** 31 - 1)), trace)
        add_passes(problem, (int(stats[4]) - entries0) / S.nnz)
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(aux))):
            return fail(state, Status.NUMERICAL_ERROR, f"non-finite iterate in block iterations "
                        f"{state.iters}..{state.iters + n_iter + ws_iters}")
        F = self._objective(enc, x, aux)
        counts = problem.counts
        counts["nfev"] = counts.get("nfev", 0) + 1      # F from the maintained aux
        counts["njev"] = counts.get("njev", 0) + 1      # the full gradient of the certificate
        add_passes(problem, 1.0)
        new = BCDState(x=x, fun=F, aux=aux, grad=state.grad, cyc=int(cyc), Lhat=state.Lhat, update=state.update,
                       iters=state.iters + n_iter + ws_iters, support=state.support, stable=state.stable,
                       active_it=state.active_it, switch_it=state.switch_it,
                       traces=state.traces + ([trace + enc.const] if options.trace else []), stats=stats)
        if enc.reg != 0:
            supp = x != 0
            if np.array_equal(supp, state.support):
                new.stable += 1
            else:
                new.support, new.stable, new.active_it = supp, 0, new.iters
            if (options.newton_switch and new.update in (0, 1) and new.stable >= options.newton_switch):
                new.update, new.switch_it = UPDATES["newton"], new.iters
        opt_res, gap = self._metrics(new, F)
        if options.gap_tol is not None and gap is not None:
            done = stopping.small_gap(gap, F, options.gap_tol)
        else:
            done = stopping.small_gradient(np.array([opt_res]), options.gtol, self._gscale)
        if done:
            new.status = Status.CONVERGED
        return new

    def finalize(self, problem, state, options):
        if self._ws is not None:
            from .working_set import model_gap
            st = state.ws
            return {"engine": "working-set", "n_blocks": None, "n_screened": int(st.screened.sum()),
                    "ws_size": int(st.ws_size), "epochs": int(st.epochs), "newton_iterations": int(st.newton),
                    "newton_fallbacks": int(st.fallbacks),
                    "duality_gap": model_gap(self._ws, st, state.x)}
        S = self._setup
        out = {"engine": "plain", "n_blocks": S.nb if not S.variable else None,
               "coordinate_updates": int(state.stats[3]), "linesearch_evaluations": int(state.stats[1])}
        if S.enc.reg != 0:
            out["active_set_iteration"] = state.active_it
            out["switch_iteration"] = state.switch_it if state.switch_it >= 0 else None
        if "gap" in state.metrics:
            out["duality_gap"] = state.metrics["gap"]
        if S.forest:
            out["forest_fallbacks"] = int(state.stats[2])
        if options.trace:
            out["trace"] = np.concatenate(state.traces) if state.traces else np.empty(0)
        return out
