r"""The one ADMM engine shared by ``admm``, ``consensus-admm`` and ``relu-admm``.

Problem form (Boyd et al. 2011): ``min f(x) + g(z)  s.t.  A x + B z = c``. A *splitting*
(:class:`Splitting`) supplies the two block updates and the linear maps; the engine owns
everything else. Scaled form with over-relaxation ``alpha`` (Boyd sec. 3.4.3):

.. math::
    x^{k+1} &= \arg\min_x f(x) + \tfrac{\rho}{2}\|Ax + Bz^k - c + u^k\|^2 \\
    \hat r^{k+1} &= \alpha A x^{k+1} - (1 - \alpha)(B z^k - c) \\
    z^{k+1} &= \arg\min_z g(z) + \tfrac{\rho}{2}\|\hat r^{k+1} + Bz - c + u^k\|^2 \\
    u^{k+1} &= u^k + \hat r^{k+1} + B z^{k+1} - c

The penalty may be a vector (one value per constraint row, ``Splitting.penalty``);
``u = y / rho`` elementwise. Residuals ``r = Ax + Bz - c`` and
``s = A^T diag(rho) B (z^{k+1} - z^k)``; the verdict is :func:`numopt.stopping.small_residuals`,
``r <= a_p eps_abs + eps_rel r_scale`` and ``s <= a_d eps_abs + eps_rel s_scale``, with the
splitting's reference scales: Boyd's (sec. 3.3.1) by default, ``r_scale = max(|Ax|, |Bz|, |c|)``,
``s_scale = |A^T y|``, ``a_p = sqrt(p)``, ``a_d = sqrt(n)`` in the 2-norm (times the splitting's
data unit ``abs_scale_primal`` / ``abs_scale_dual``); OSQP's for QPs (max norm, ``a = 1``,
the norms of the terms of each residual, see :mod:`.qp`). Penalty adaptation: residual
balancing (He, Yang & Wang 2000) or the OSQP
rule ``rho <- rho sqrt((r/r_scale)/(s/s_scale))``, checked every ``adaptive_rho_interval``
iterations and adopted only when it changes ``rho`` by more than
``adaptive_rho_tolerance`` (a change refactors the x-update matrix; factorizations are
cached per ``rho`` by the splitting). Optional safeguarded type-II Anderson acceleration
(Walker & Ni 2011; Zhang, O'Donoghue & Boyd 2020) on the fixed-point iterate ``(z, u)``:
an extrapolated point is kept only if its fixed-point residual does not grow.

References
----------
S. Boyd, N. Parikh, E. Chu, B. Peleato, J. Eckstein, "Distributed optimization and
statistical learning via the alternating direction method of multipliers", Found. Trends
Mach. Learn. 3(1), 2011. B. Stellato et al., "OSQP: an operator splitting solver for
quadratic programs", Math. Prog. Comp. 12, 2020.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...driver import Solver, SolverState, fail
from ...options import DriverOptions, opt
from ...result import Status
from ...stopping import residual_tolerances, small_relative, small_residuals
from ...work import add_passes

__all__ = ["Splitting", "ADMMOptions", "ADMMState", "ADMMEngine", "QP_ONLY_OPTIONS", "qp_options", "SplittingFailure"]

_ADAPT = ("osqp", "balance", "none")


def _norm2(v) -> float:
    # no BLAS: a threaded ddot is slow on a loaded machine and these vectors are short
    return float(np.sqrt(np.einsum("i,i->", v, v)))


def _norm_inf(v) -> float:
    return float(np.abs(v).max()) if v.size else 0.0


class SplittingFailure(Exception):
    """Raised by a splitting's block update when something it relied on failed (an inner
    solver, a non-finite oracle value); the engine ends the run with
    :func:`numopt.driver.fail` at the last good iterate."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


class Splitting:
    """What a problem class gives the engine. Subclasses override the block updates.

    Attributes
    ----------
    norm : ``"l2"`` (Boyd's residuals) or ``"inf"``.
    default_rho : the penalty used when the option ``rho`` is not set.
    """

    norm = "l2"
    default_rho = 1.0
    #: termination-check period when the option ``check_every`` is not set
    default_check_every = 1
    #: penalty-adaptation period when the option ``adaptive_rho_interval`` is not set
    default_rho_interval = 25
    #: whether the QP-only options (:data:`QP_ONLY_OPTIONS`) apply
    accepts_qp_options = False
    #: ``True`` when the splitting runs blocks of iterations in one call (:meth:`run`)
    fused = False
    #: reference scales of the absolute tolerance: ``eps_abs`` is multiplied by them
    #: (``1``: absolute in the problem's units; data-derived for the model splittings)
    abs_scale_primal = 1.0
    abs_scale_dual = 1.0
    #: unit of the penalty: the default ``rho`` and the clipping range ``[1e-6, 1e6]`` of the
    #: adaptation are multiplied by it (the curvature of ``f`` for the model splittings)
    rho_scale = 1.0

    # -- linear maps (defaults: A = I, B = -I, c = 0) ------------------------------------
    def A(self, x):
        return x

    def AT(self, y):
        return y

    def B(self, z):
        return -z

    c = 0.0

    def penalty(self, rho):
        """Penalty per constraint row (scalar or vector) for the base value ``rho``."""
        return rho

    def prepare(self, pen):
        """Called once by the engine's ``init`` with the first penalty (factorizations that can
        reveal bad input, e.g. a non-convex QP, happen here and raise ``ValueError``)."""

    def start(self, x0):
        """Initial ``(x, z, u)`` from the user's ``x0``."""
        x = np.array(x0, dtype=float)
        return x, x.copy(), np.zeros_like(x)

    def x_update(self, z, u, pen, x_prev):  # pragma: no cover - protocol
        raise NotImplementedError

    def z_update(self, v, pen, z_prev):  # pragma: no cover - protocol
        """``argmin_z g(z) + 1/2 ||B z + v||^2_pen``."""
        raise NotImplementedError

    def objective(self, x, z) -> float:  # pragma: no cover - protocol
        raise NotImplementedError

    def solution(self, x, z):
        """The point reported as ``res.x``."""
        return x

    def residuals(self, x, z, u, pen, Ax, Bz, Bz_old, opts):
        r"""``(r, s, eps_pri, eps_dual, r_scale, s_scale)``: Boyd's rule (sec. 3.3.1).

        ``r = |Ax + Bz - c|``, ``s = |A^T diag(pen) B (z - z_old)|`` in the splitting's norm; the
        reference scales are ``r_scale = max(|Ax|, |Bz|, |c|)`` and ``s_scale = |A^T y|`` for
        the relative part and :meth:`abs_scales` for the absolute part; ``eps_pri``,
        ``eps_dual`` are :func:`numopt.stopping.residual_tolerances` of them (the engine's
        verdict is :func:`numopt.stopping.small_residuals` of the same numbers).
        """
        nrm = _norm_inf if self.norm == "inf" else _norm2
        c = self.c if np.ndim(self.c) else np.zeros(0)
        r = nrm(Ax + Bz - self.c)
        s = nrm(self.AT(pen * (Bz - Bz_old)))
        ATy = nrm(self.AT(pen * u))
        r_scale = max(nrm(Ax), nrm(Bz), nrm(c))
        eps_pri, eps_dual = residual_tolerances(r_scale, ATy, opts.eps_abs, opts.eps_rel,
                                                *self.abs_scales(x.size, Ax.size))
        return r, s, eps_pri, eps_dual, r_scale, ATy

    def abs_scales(self, n: int, p: int):
        """Reference scales ``(a_p, a_d)`` of ``eps_abs`` in the primal and dual tests:
        Boyd's ``sqrt(p)``, ``sqrt(n)`` (``p`` constraint rows, ``n`` variables) in the 2-norm,
        ``1`` in the max norm, times :attr:`abs_scale_primal`, :attr:`abs_scale_dual`."""
        if self.norm == "inf":
            return float(self.abs_scale_primal), float(self.abs_scale_dual)
        return float(np.sqrt(p)) * self.abs_scale_primal, float(np.sqrt(n)) * self.abs_scale_dual

    def passes(self, iterations: int, checks: int) -> float:
        """Data passes (:mod:`numopt.work`) of ``iterations`` iterations and ``checks``
        termination checks; default: one per x-update (a solve or prox of the smooth block)."""
        return float(iterations)

    def warm_dual(self, y, pen):
        """The scaled dual ``u`` from an unscaled warm-start dual ``y``."""
        return np.asarray(y, dtype=float) / pen

    def detect(self, x, z, u, dx, dz, dy, pen, opts):
        """Infeasibility detection hook: ``None`` or ``(Status, detail, extra fields)``."""
        return None

    def extra(self, x, z, u, pen) -> dict:
        """Extra result fields (multipliers, ...)."""
        return {}


@dataclass
class ADMMOptions(DriverOptions):
    maxiter: int = opt(10000, "Maximum number of ADMM iterations.", kind=int)
    eps_abs: float = opt(1e-6, "Absolute tolerance on the primal and dual residuals.", kind=(int, float))
    eps_rel: float = opt(1e-6, "Relative tolerance on the primal and dual residuals.", kind=(int, float))
    rho: float | None = opt(None, "Initial penalty (default: the problem's, 1 or OSQP's 0.1 for QPs).",
                            kind=(int, float))
    alpha: float = opt(1.6, "Over-relaxation parameter in (0, 2) (1: plain ADMM).", kind=(int, float))
    adaptive_rho: str = opt("osqp", "Penalty adaptation: 'osqp' (ratio rule), 'balance' (residual "
                            "balancing, mu=10, tau=2) or 'none'.", kind=str)
    adaptive_rho_interval: int | None = opt(None, "Iterations between penalty updates (default: 50 for QPs, "
                                            "OSQP 1.x's fixed interval; 25 otherwise).", kind=int)
    adaptive_rho_tolerance: float = opt(5.0, "Adopt a new penalty only if it differs by more than this "
                                        "factor (each adoption refactors).", kind=(int, float))
    adaptive_rho_max: int = opt(50, "Maximum number of penalty changes (then rho stays fixed, which "
                                "keeps ADMM's convergence guarantee).", kind=int)
    anderson: int = opt(0, "Anderson acceleration memory (0: off).", kind=int)
    anderson_reg: float = opt(1e-10, "Tikhonov regularization of the Anderson least squares.",
                              kind=(int, float))
    check_every: int | None = opt(None, "Check termination and infeasibility every k iterations (and at "
                                  "iteration 1, which ends a warm start at the solution at once); "
                                  "default: 25 for QPs (as OSQP; the iterations in between run "
                                  "in one compiled call), 1 otherwise and 1 with history=True or a "
                                  "callback (one history row and one call per iteration; an explicit "
                                  "value > 1 reports only the checked iterations).", kind=int)
    scaling: int | None = opt(None, "QP only: passes of Ruiz equilibration of the KKT matrix (0: off; "
                              "default 10).", kind=int)
    sigma: float | None = opt(None, "QP only: regularization of the x-block (OSQP's sigma, default 1e-6).",
                              kind=(int, float))
    eps_prim_inf: float | None = opt(None, "QP only: tolerance of the primal infeasibility certificate "
                                     "(default 1e-5).", kind=(int, float))
    eps_dual_inf: float | None = opt(None, "QP only: tolerance of the dual infeasibility certificate "
                                     "(default 1e-5).", kind=(int, float))
    polish: bool | None = opt(None, "QP only: polish the solution on the guessed active set (OSQP's "
                              "polishing; default off); ``res.polished`` says whether it was kept.",
                              kind=bool)
    polish_refine_iter: int | None = opt(None, "QP only: iterative refinement steps of polishing "
                                         "(default 3).", kind=int)
    linsys_solver: str | None = opt(None, "QP only: 'direct' (QDLDL LDL' of the KKT matrix, default) or "
                                    "'indirect' (Jacobi-preconditioned CG on the reduced system "
                                    "P + sigma I + A^T R A, warm-started; no factorization, for "
                                    "very large problems, as OSQP's indirect solver).", kind=str)
    warm_start: dict | None = opt(None, "Warm start: a dict (e.g. a previous result) with any of "
                                  "'x', 'z', 'y' (unscaled dual) and 'rho'. For QPs 'x' and 'y' "
                                  "(constraint multipliers) are read in the problem's units, so the "
                                  "result of a related QP (other q, l, u, even P, A) is a valid start.",
                                  kind=dict)

    def validate(self):
        for name in ("eps_abs", "eps_rel"):
            if getattr(self, name) < 0:
                raise ValueError(f"option {name!r} must be >= 0, got {getattr(self, name)}")
        if self.eps_abs == 0 and self.eps_rel == 0:
            raise ValueError("options 'eps_abs' and 'eps_rel' must not both be 0")
        if self.rho is not None and not self.rho > 0:
            raise ValueError(f"option 'rho' must be > 0, got {self.rho}")
        if not 0.0 < self.alpha < 2.0:
            raise ValueError(f"option 'alpha' must be in (0, 2), got {self.alpha}")
        if self.adaptive_rho not in _ADAPT:
            raise ValueError(f"option 'adaptive_rho' must be one of {_ADAPT}, got {self.adaptive_rho!r}")
        for name in ("adaptive_rho_interval", "check_every"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"option {name!r} must be >= 1, got {getattr(self, name)}")
        if self.adaptive_rho_tolerance < 1:
            raise ValueError(f"option 'adaptive_rho_tolerance' must be >= 1, got {self.adaptive_rho_tolerance}")
        if self.anderson < 0:
            raise ValueError(f"option 'anderson' must be >= 0, got {self.anderson}")
        for name in ("sigma", "eps_prim_inf", "eps_dual_inf"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise ValueError(f"option {name!r} must be > 0, got {v}")
        if self.linsys_solver not in (None, "direct", "indirect"):
            raise ValueError(f"option 'linsys_solver' must be 'direct' or 'indirect', got {self.linsys_solver!r}")
        for name in ("scaling", "polish_refine_iter"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise ValueError(f"option {name!r} must be >= 0, got {v}")


#: Options that only the QP splitting reads; any other splitting refuses them by name.
QP_ONLY_OPTIONS = ("scaling", "sigma", "eps_prim_inf", "eps_dual_inf", "polish", "polish_refine_iter",
                   "linsys_solver")


def qp_options(options) -> dict:
    """The QP-only options as keyword arguments of :class:`~.qp.QPSplitting`."""
    return {name: getattr(options, name) for name in QP_ONLY_OPTIONS}


@dataclass
class ADMMState(SolverState):
    z: np.ndarray = None
    u: np.ndarray = None
    xk: np.ndarray = None           # the x-block iterate (res.x may be a view of it or of z)
    rho: float = 1.0
    k: int = 0
    rho_updates: int = 0
    extra: dict = field(default_factory=dict)
    aa: object = None


class _Anderson:
    """Type-II Anderson acceleration with a residual safeguard on ``w = (z, u)``."""

    def __init__(self, memory: int, reg: float):
        self.m, self.reg = memory, reg
        self.reset()

    def reset(self):
        self.W, self.F = [], []          # past points and their residuals g - w
        self.last_res = np.inf
        self.pending = None              # the plain ADMM step to fall back to

    def propose(self, w, g):
        """Given ``g = T(w)``, the next point (extrapolated or ``g``)."""
        f = g - w
        fn = float(np.linalg.norm(f))
        if self.pending is not None and fn > self.last_res:
            fallback = self.pending       # safeguard: reject the extrapolated point
            self.reset()
            return fallback, False
        self.last_res = fn
        self.W.append(g.copy())
        self.F.append(f)
        if len(self.F) > self.m + 1:
            self.W.pop(0)
            self.F.pop(0)
        if len(self.F) < 2:
            self.pending = None
            return g, True
        dF = np.diff(np.array(self.F), axis=0).T
        dG = np.diff(np.array(self.W), axis=0).T
        M = dF.T @ dF
        M += self.reg * (np.trace(M) + 1e-300) * np.eye(M.shape[0])
        try:
            gamma = np.linalg.solve(M, dF.T @ f)
        except np.linalg.LinAlgError:
            self.reset()
            return g, True
        w_new = g - dG @ gamma
        if not np.all(np.isfinite(w_new)) or np.linalg.norm(gamma) > 1e10:
            self.reset()
            return g, True
        self.pending = g
        return w_new, True


class ADMMEngine(Solver):
    """Shared ADMM driver-compatible solver; subclasses provide ``make_splitting``.

    One driver step is one ADMM iteration, or -- for a fused splitting (QPs) without
    Anderson acceleration -- the block of iterations up to the next termination check,
    run in one compiled call; ``res.nit`` is the number of ADMM iterations either way, and
    the history, the log and the callback see the (fresh) values of the checked iterations.
    """

    def make_splitting(self, problem, options) -> Splitting:  # pragma: no cover - protocol
        raise NotImplementedError

    def solve(self, problem, x0, options, callback=None, method: str = ""):
        self._per_iteration = callback is not None     # callbacks, like the history, see every iteration
        res = super().solve(problem, x0, options, callback=callback, method=method)
        if "iterations" in res:
            res["nit"] = int(res.pop("iterations"))
            if res.get("history") is not None and "iterations" in res["history"]:
                res["history"]["nit"] = res["history"].pop("iterations")
        return res

    def init(self, problem, x0, options):
        sp_ = self.make_splitting(problem, options)
        if not sp_.accepts_qp_options:
            for name in QP_ONLY_OPTIONS:
                if getattr(options, name, None) is not None:
                    raise ValueError(f"option {name!r} applies to QPs only (numopt.problems.QP with method "
                                     f"'admm'); it has no meaning for {type(problem).__name__}")
        self._sp = sp_
        # a history asks for one row per iteration (the driver's contract): then the default
        # period is 1; an explicit check_every > 1 keeps blocks and records the checked iterations
        per_iteration = options.history or getattr(self, "_per_iteration", False)
        default_every = 1 if per_iteration else sp_.default_check_every
        self._check_every = int(options.check_every or default_every)
        # without a history or a callback, a splitting that can test termination inside its
        # compiled block (QPs, direct solver) runs up to the next penalty update per step
        self._until = None if per_iteration else getattr(sp_, "run_until", None)
        x, z, u = sp_.start(x0)
        rho = float(options.rho if options.rho is not None else sp_.default_rho * sp_.rho_scale)
        self._rho_scale = float(sp_.rho_scale)
        ws = options.warm_start
        if ws:
            rho = float(ws.get("rho", rho))
            qp_like = sp_.accepts_qp_options and ws.get("x") is not None
            if qp_like:                   # QPs: problem-unit x and y (OSQP's warm_start(x, y))
                x, z, u = sp_.start(ws["x"])
            elif ws.get("xk") is not None:
                x = np.array(ws["xk"], dtype=float)
            elif ws.get("x") is not None:
                x, z, u = sp_.start(ws["x"])
            if ws.get("z") is not None and not qp_like:
                z = np.array(ws["z"], dtype=float)
            if ws.get("y") is not None:
                u = sp_.warm_dual(ws["y"], sp_.penalty(rho))
        pen = sp_.penalty(rho)
        sp_.prepare(pen)
        state = ADMMState(x=sp_.solution(x, z), fun=sp_.objective(x, z), z=z, u=u, xk=x, rho=rho,
                          metrics={"primal_residual": np.inf, "dual_residual": np.inf, "rho": rho,
                                   "iterations": 0})
        state.aa = _Anderson(options.anderson, options.anderson_reg) if options.anderson > 0 else None
        state.extra = {"pen": pen}
        return state

    # one application of the ADMM map T(z, u)
    def _map(self, sp_, z, u, pen, x_prev, alpha):
        Bz = sp_.B(z)
        x = sp_.x_update(z, u, pen, x_prev)
        Ax = sp_.A(x)
        rhat = alpha * Ax - (1.0 - alpha) * (Bz - sp_.c)
        v = rhat - sp_.c + u
        z_new = sp_.z_update(v, pen, z)
        Bz_new = sp_.B(z_new)
        u_new = u + rhat + Bz_new - sp_.c
        return x, Ax, Bz, z_new, Bz_new, u_new

    def _is_check(self, k, options) -> bool:
        return k % self._check_every == 0 or k == 1 or k >= options.maxiter

    def step(self, problem, state, options):
        sp_ = self._sp
        pen = state.extra["pen"]
        z, u = state.z, state.u
        if sp_.fused and state.aa is None:
            k0, ce = state.k, self._check_every
            nblock = 1 if k0 == 0 else ce - (k0 % ce)
            nblock = max(1, min(nblock, options.maxiter - k0))
            try:
                if self._until is not None and k0 > 0:
                    # up to the next check at a penalty-update point (at most 40 checks per call,
                    # so that maxtime is looked at between steps)
                    interval = options.adaptive_rho_interval or sp_.default_rho_interval
                    period = ce * interval // np.gcd(ce, interval)
                    end = min((k0 // period + 1) * period, k0 + 40 * ce - (k0 % ce), options.maxiter)
                    (x, z_new, u_new, z, u), nblock = self._until(z, u, pen, options.alpha, end - k0, ce, k0,
                                                                  options)
                    inner = (k0 + nblock - 1) // ce - k0 // ce       # the checks run inside the call
                    if problem is not None and inner > 0:
                        add_passes(problem, sp_.passes(0, inner))
                else:
                    x, z_new, u_new, z, u = sp_.run(z, u, pen, options.alpha, nblock)
            except np.linalg.LinAlgError as exc:     # a refactorization after a penalty change
                return fail(state, Status.SINGULAR, str(exc))
            x_prev = None
            Ax = Bz = Bz_new = None
            k = k0 + nblock
        else:
            x_prev = state.xk
            try:
                x, Ax, Bz, z_new, Bz_new, u_new = self._map(sp_, z, u, pen, state.xk, options.alpha)
            except SplittingFailure as exc:
                return fail(state, exc.status, exc.detail)
            k = state.k + 1
            nblock = 1
        nz = z.size
        if state.aa is not None:
            w = np.concatenate([z, u])
            w_next, accepted = state.aa.propose(w, np.concatenate([z_new, u_new]))
            if not accepted:      # safeguard fired: restart from the plain step's point
                z, u = w_next[:nz], w_next[nz:]
                try:
                    x, Ax, Bz, z_new, Bz_new, u_new = self._map(sp_, z, u, pen, x, options.alpha)
                except SplittingFailure as exc:
                    return fail(state, exc.status, exc.detail)
                w_next = np.concatenate([z_new, u_new])
                state.aa.reset()
            zn, un = w_next[:nz], w_next[nz:]
        else:
            zn, un = z_new, u_new
        new = ADMMState(x=sp_.solution(x, z_new), fun=state.fun, z=zn, u=un, xk=x, rho=state.rho, k=k,
                        rho_updates=state.rho_updates, extra=state.extra, aa=state.aa,
                        metrics=dict(state.metrics))
        new.metrics["iterations"] = k
        check = self._is_check(k, options)
        if problem is not None:
            add_passes(problem, sp_.passes(nblock, int(check)))
        if not check:
            return new
        new.fun = sp_.objective(x, z_new)
        r, s, _, _, r_scale, s_scale = sp_.residuals(x, z_new, u_new, pen, Ax, Bz_new, Bz, options)
        abs_p, abs_d = sp_.abs_scales(x.size, 0 if Ax is None else Ax.size)
        eps_pri, eps_dual = residual_tolerances(r_scale, s_scale, options.eps_abs, options.eps_rel, abs_p, abs_d)
        new.metrics.update(primal_residual=r, dual_residual=s, eps_pri=eps_pri, eps_dual=eps_dual,
                           rho=state.rho)
        converged = small_residuals(r, s, r_scale, s_scale, options.eps_abs, options.eps_rel, abs_p, abs_d)
        gap = getattr(sp_, "last_gap", None)
        if gap is not None:
            new.metrics["duality_gap"] = gap[0]
            converged = converged and small_relative(gap[0], gap[1], 1.0)
        if converged:
            new.status = Status.CONVERGED
            return new
        dx = None if x_prev is None else x - x_prev
        found = sp_.detect(x, z_new, u_new, dx, z_new - z, (u_new - u) * pen, pen, options)
        if found is not None:
            new.status, new.detail, fields = found
            new.extra = {**state.extra, "certificate": fields}
            return new
        if k >= options.maxiter:
            new.status = Status.MAXITER
            return new
        interval = options.adaptive_rho_interval or sp_.default_rho_interval
        due = (k // interval) > ((k - nblock) // interval) if nblock > 1 else k % interval == 0
        if options.adaptive_rho != "none" and due and state.rho_updates < options.adaptive_rho_max:
            # a splitting may give the residuals and scales its penalty rule reads (OSQP: those
            # of the scaled problem, ``QPSplitting.last_rho_terms``)
            rr, ss_, rrs, sss = getattr(sp_, "last_rho_terms", None) or (r, s, r_scale, s_scale)
            rho_new = self._new_rho(state.rho, rr, ss_, rrs, sss, eps_pri, eps_dual, options,
                                    self._rho_scale)
            if rho_new is not None:
                pen_new = sp_.penalty(rho_new)
                new.u = new.u * (pen / pen_new)
                new.rho, new.rho_updates = rho_new, state.rho_updates + 1
                new.extra = {**state.extra, "pen": pen_new}
                new.metrics["rho"] = rho_new
                if new.aa is not None:
                    new.aa.reset()
        return new

    @staticmethod
    def _new_rho(rho, r, s, r_scale, s_scale, eps_pri, eps_dual, options, unit=1.0):
        if options.adaptive_rho == "balance":
            mu, tau = 10.0, 2.0
            if r > mu * s:
                return rho * tau
            if s > mu * r:
                return rho / tau
            return None
        rel_r = r / (r_scale + 1e-30)
        rel_s = s / (s_scale + 1e-30)
        if rel_r == 0 or rel_s == 0:
            return None
        rho_new = float(np.clip(rho * np.sqrt(rel_r / rel_s), 1e-6 * unit, 1e6 * unit))
        tol = options.adaptive_rho_tolerance
        if rho_new > tol * rho or rho_new < rho / tol:
            return rho_new
        return None

    def finalize(self, problem, state, options):
        sp_ = self._sp
        pen = state.extra["pen"]
        polished = False
        if getattr(sp_, "polish_on", False) and state.status == Status.CONVERGED:
            out = sp_.polish(state.z, state.u, pen, options, state.metrics["primal_residual"],
                             state.metrics["dual_residual"])
            if out is not None:
                state.z, state.u, r, s = out
                state.x = sp_.solution(state.xk, state.z)
                state.fun = sp_.objective(state.xk, state.z)
                state.metrics.update(primal_residual=r, dual_residual=s)
                polished = True
            if problem is not None:
                add_passes(problem, 2.0)
        y = state.u * pen
        state.metrics["rho"] = state.rho     # residuals and rho reach the result through metrics
        out = {"z": state.z, "y": y, "xk": state.xk, "rho_updates": state.rho_updates}
        if getattr(sp_, "accepts_qp_options", False):
            out["polished"] = polished
            out["nfactor"] = sp_.nfactor
        out.update(sp_.extra(state.xk, state.z, state.u, pen))
        cert = state.extra.get("certificate")
        if cert:
            out.update(cert)
        return out
