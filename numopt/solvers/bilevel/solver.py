r"""Deterministic bilevel solvers: the penalty method and the AID / ITD baselines.

All three run the same outer loop on a *merit* ``Phi(x)`` with hypergradient ``d(x)``:
projected gradient ``x+ = Pi_X(x - d/L)`` with ``L`` from
:func:`numopt.linesearch.lipschitz_backtracking` on ``Phi`` (each trial point costs the
method's inner solves, warm-started; the accepted trial's inner solutions are kept), or a fixed
step (option ``step``). They differ in ``Phi`` and ``d``:

* ``bilevel-penalty`` (Kwon, Kwon, Wright, Nowak, ICLR 2024):
  ``Phi = psi_sigma(x) = f(x, y) + (g(x, y) - g(x, z)) / sigma`` with
  ``y = argmin_{Y} sigma f + g`` and ``z = argmin_{Y} g`` (two warm-started projected-gradient
  loops), and the first-order hypergradient
  ``d = grad_x f(x, y) + (grad_x g(x, y) - grad_x g(x, z)) / sigma`` (no Hessians);
  ``sigma`` decreases by ``sigma_decrease`` from ``sigma0`` to ``sigma_final`` each time the
  outer test holds (continuation), or is fixed by the option ``sigma``;
* ``bilevel-aid`` (implicit differentiation): ``Phi = f(x, y*(x))`` with an accurate
  lower-level solve, ``d = grad_x f - nabla^2_{xy} g v`` with ``nabla^2_{yy} g v = grad_y f``
  solved by CG (``cg_tol``, ``cg_maxiter``; iterations reported in ``res.cg_nit``);
* ``bilevel-itd`` (iterative differentiation): ``Phi = f(x, y_K(x))`` with
  ``y_{t+1} = y_t - beta grad_y g(x, y_t)`` from ``y_0`` (``unroll = K`` steps), ``d`` its exact
  gradient by a reverse pass through the stored trajectory (``K`` Hessian-vector products,
  memory ``O(K dim_y)``).

Stopping (scale-aware, :func:`numopt.stopping.small_relative`): the outer gradient mapping
``||G(x)|| = L ||x - Pi_X(x - d/L)||`` against its value at ``x0`` (``gtol``); inner loops
on their gradient mapping with the factor ``max(inner_gtol, inner_adaptive * G_k / G_0)``
times a reference: for AID the first non-zero mapping of the same loop; for the penalty
method ``sigma ||grad_y f(x0, y0)||``, the size of the residual that separates ``y_sigma``
from ``z`` (its hypergradient divides the inner errors by ``sigma``), floored at rounding
(``1e3 eps`` times the loop's first mapping). Outer steps use backtracking on the merit
except where the decrease the last accepted ``L`` promises, ``L/2 ||x+ - x||^2``, is below
the merit's rounding level (``100 eps (|f| + (|g(y)| + |g(z)|)/sigma)`` for the penalty
merit): there the step ``1/L`` is taken without a value test (counted in
``res.noise_steps``) and the gradient mapping alone decides. An inner loop that does not
converge, a CG failure or a non-finite oracle ends the run (``INNER_MAXITER`` /
``NUMERICAL_ERROR``) at the last good iterate, never with success.

AID and ITD refuse a constrained lower level (structure ``lower_constraints``): implicit
differentiation of ``argmin_{y in Y}`` does not apply there.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...driver import Solver, SolverState, fail, past
from ...linesearch import lipschitz_backtracking
from ...options import DriverOptions, opt
from ...problems.prox import Zero
from ...registry import register
from ...result import Status
from ...stopping import TINY, small_relative
from ._inner import InnerFailure, conjugate_gradient, guard, power_curvature, projected_gradient

_EPS = float(np.finfo(float).eps)

__all__ = ["BilevelOptions", "PenaltyOptions", "AIDOptions", "ITDOptions", "BilevelPenalty", "BilevelAID",
           "BilevelITD"]


def _positive(obj, *names):
    for nm in names:
        v = getattr(obj, nm)
        if v is not None and not (np.isfinite(float(v)) and v > 0):
            raise ValueError(f"option {nm!r} must be a finite number > 0, got {v!r}")


@dataclass
class BilevelOptions(DriverOptions):
    maxiter: int = opt(500, "Maximum number of outer iterations.", kind=int)
    gtol: float = opt(1e-6, "Stop when the outer gradient mapping's 2-norm is <= gtol times its value at x0.",
                      kind=(int, float))
    inner_gtol: float = opt(1e-9, "Inner loops stop when their gradient mapping is <= inner_gtol times a "
                            "reference: the first non-zero one of the same loop (bilevel-penalty: "
                            "sigma ||grad_y f(x0, y0)||).", kind=(int, float))
    inner_maxiter: int = opt(10000, "Iteration cap of each inner loop (reaching it ends the run: INNER_MAXITER).",
                             kind=int)
    inner_adaptive: float = opt(1e-3, "Inexact early inner solves: the inner tolerance factor is "
                                "max(inner_gtol, inner_adaptive * G_k / G_0) (0: always inner_gtol).",
                                kind=(int, float))
    step: float | None = opt(None, "Fixed outer step 1/L (None: backtracking on the merit).", kind=(int, float))
    y0: object = opt(None, "Starting lower variable (default: the problem's y0); must lie in Y.")

    def validate(self):
        _positive(self, "gtol", "inner_gtol", "step")
        if not (np.isfinite(self.inner_adaptive) and self.inner_adaptive >= 0):
            raise ValueError(f"option 'inner_adaptive' must be a finite number >= 0, got {self.inner_adaptive!r}")
        if self.inner_maxiter < 1:
            raise ValueError(f"option 'inner_maxiter' must be >= 1, got {self.inner_maxiter}")


@dataclass
class PenaltyOptions(BilevelOptions):
    sigma: float | None = opt(None, "Fixed penalty parameter sigma (disables the continuation).", kind=(int, float))
    sigma0: float = opt(1e-1, "First sigma of the continuation.", kind=(int, float))
    sigma_final: float = opt(1e-3, "Last sigma of the continuation (the run converges only there).",
                             kind=(int, float))
    sigma_decrease: float = opt(0.1, "Factor applied to sigma each time the outer test holds.", kind=(int, float))

    def validate(self):
        super().validate()
        _positive(self, "sigma", "sigma0", "sigma_final")
        if not 0 < self.sigma_decrease < 1:
            raise ValueError(f"option 'sigma_decrease' must be in (0, 1), got {self.sigma_decrease!r}")
        if self.sigma is None and self.sigma_final > self.sigma0:
            raise ValueError(f"option 'sigma_final' ({self.sigma_final}) must be <= 'sigma0' ({self.sigma0})")


@dataclass
class AIDOptions(BilevelOptions):
    cg_tol: float = opt(1e-10, "CG stops when ||H v - grad_y f|| <= cg_tol ||grad_y f||.", kind=(int, float))
    cg_maxiter: int = opt(1000, "CG iteration cap (reaching it ends the run: INNER_MAXITER).", kind=int)
    cg_warm_start: bool = opt(True, "Start CG from the previous outer iteration's solution.", kind=bool)

    def validate(self):
        super().validate()
        _positive(self, "cg_tol")
        if self.cg_maxiter < 1:
            raise ValueError(f"option 'cg_maxiter' must be >= 1, got {self.cg_maxiter}")


@dataclass
class ITDOptions(BilevelOptions):
    unroll: int = opt(100, "Number K of inner gradient steps differentiated through.", kind=int)
    inner_step: float | None = opt(None, "Inner step beta (None: 1/L_gy from the problem, else 1/(1.1 lambda_max) "
                                   "of the lower Hessian at (x0, y0) by power iteration).", kind=(int, float))

    def validate(self):
        super().validate()
        _positive(self, "inner_step")
        if self.unroll < 1:
            raise ValueError(f"option 'unroll' must be >= 1, got {self.unroll}")


@dataclass
class BilevelState(SolverState):
    y: np.ndarray = None
    z: np.ndarray = None
    d: np.ndarray = None
    L: float = 1.0
    sigma: float = 0.0
    G: float = np.inf
    G0: float = np.inf
    ev: dict = field(default_factory=dict)
    aux: dict = field(default_factory=dict)


class _Outer(Solver):
    """The shared outer loop; subclasses give ``evaluate`` (merit + inner solutions) and ``hypergrad``."""

    # -- strategy hooks ----------------------------------------------------------------------
    def evaluate(self, problem, x, state, options) -> dict:  # pragma: no cover - protocol
        raise NotImplementedError

    def hypergrad(self, problem, x, ev, state, options) -> np.ndarray:  # pragma: no cover - protocol
        raise NotImplementedError

    def prepare(self, problem, state, options) -> None:
        """Method-specific setup before the first evaluation."""

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _inner_tol(state, key, residual_at_start, options, signal=None):
        """Absolute tolerance of an inner loop: ``factor * reference``.

        ``factor = max(inner_gtol, inner_adaptive * min(G_k / G_0, 1))``. The reference is
        ``signal`` when the caller gives one (the penalty method: the size of the quantity the
        hypergradient is computed from), else the first non-zero residual of the same loop;
        never below rounding (``1e3 eps`` times that first residual).
        """
        ref = state.aux.setdefault("ref", {})
        if key not in ref and residual_at_start > 0 and np.isfinite(residual_at_start):
            ref[key] = residual_at_start
        factor = options.inner_gtol
        if options.inner_adaptive > 0:
            progress = state.G / state.G0 if np.isfinite(state.G0) and state.G0 > 0 else 1.0
            factor = max(factor, options.inner_adaptive * min(progress, 1.0))
        loop_ref = ref.get(key, TINY)
        if signal is None:
            return factor * loop_ref
        return max(factor * signal, 1e3 * _EPS * loop_ref)

    def solve_inner(self, problem, x, y0, state, options, key, h, what, signal=None, lipschitz=None):
        """Projected gradient on ``h(y, need_value) -> (value or None, grad)`` from ``y0``.

        ``lipschitz``: a known Lipschitz constant of ``grad h`` (fixed steps, no values);
        otherwise backtracking. ``signal``: the reference of the inner tolerance
        (:meth:`_inner_tol`). Returns the :class:`InnerResult` with ``value`` filled in.
        """
        proj = problem.y_set if problem.y_set is not None else Zero()
        fixed = lipschitz is not None
        L0 = lipschitz if fixed else state.aux.setdefault("L_inner", {}).get(key)
        hg = h(y0, False)[1]
        if L0 is None:
            L0 = _secant_curvature(lambda y: h(y, False)[1], y0, hg)
        zt = proj(y0 - hg / L0, 1.0 / L0)
        r0 = L0 * float(np.linalg.norm(y0 - zt))
        tol = self._inner_tol(state, key, r0, options, signal)
        res = projected_gradient(lambda y: h(y, not fixed), lambda y: h(y, True)[0], proj, y0,
                                 L=L0 if fixed else max(0.5 * L0, TINY), tol=tol,
                                 maxiter=options.inner_maxiter, fixed_step=fixed, what=what)
        if not fixed:
            state.aux["L_inner"][key] = res.L
        state.aux["inner_nit"] = state.aux.get("inner_nit", 0) + res.nit
        return res

    @staticmethod
    def _noise(ev, value):
        """Rounding level of the merit at an evaluation (``ev["noise"]`` when the method gives
        one, else ``100 eps |value|``)."""
        return max(float(ev.get("noise", 0.0)) if ev else 0.0, 1e2 * _EPS * abs(value))

    def _mapping(self, problem, x, d, L):
        xp = problem.project_x(x - d / L)
        return L * float(np.linalg.norm(x - xp))

    # -- driver protocol ---------------------------------------------------------------------
    def init(self, problem, x0, options):
        x = problem.project_x(np.array(x0, dtype=float))
        y0 = problem.y0.copy() if options.y0 is None else problem.check_y0(options.y0, "option 'y0'")
        state = BilevelState(x=x, fun=np.nan, y=y0.copy(), z=y0.copy(), aux={"y_start": y0.copy()})
        try:
            self.prepare(problem, state, options)
            ev = self.evaluate(problem, x, state, options)
            d = self.hypergrad(problem, x, ev, state, options)
        except InnerFailure as exc:
            # the run ends at x0 with the failure's status (never success); fun = f(x0, y0)
            try:
                state.fun = problem.f(x, state.y)
            except ValueError:
                raise ValueError(f"the bilevel oracles failed at the starting point: {exc.detail}") from None
            state.d = np.zeros_like(x)
            state.metrics = self._metrics(state)
            return fail(state, exc.status, f"at the starting point: {exc.detail}")
        state.fun, state.ev, state.d = ev["value"], ev, d
        self._adopt(state, ev)
        # initial curvature of the merit: secant along -d (prox-grad's local estimate)
        L = options.step and 1.0 / options.step
        if L is None:
            L = 1.0
            dn = float(np.linalg.norm(d))
            if dn > 0:
                h = 1e-4 * max(1.0, float(np.linalg.norm(x))) / dn
                x1 = problem.project_x(x - h * d)
                try:
                    d1 = self.hypergrad(problem, x1, self.evaluate(problem, x1, state, options), state, options)
                    est = float(np.linalg.norm(d1 - d) / max(np.linalg.norm(x1 - x), TINY))
                    L = est if np.isfinite(est) and est > 0 else 1.0
                except InnerFailure:
                    L = 1.0
        state.L = float(L)
        state.G = state.G0 = self._mapping(problem, x, d, state.L)
        state.metrics = self._metrics(state)
        if state.G0 == 0.0:
            state.status = self._at_tolerance(problem, state, options)
        return state

    def _adopt(self, state, ev):
        for k in ("y", "z"):
            if k in ev:
                setattr(state, k, ev[k])

    def _metrics(self, state):
        m = {"optimality": state.G, "step_size": 1.0 / state.L,
             "inner_nit": state.aux.get("inner_nit", 0)}
        if state.sigma:
            m["sigma"] = state.sigma
        return m

    def _at_tolerance(self, problem, state, options):
        """Called when the outer test holds; returns the status (None to continue)."""
        return Status.CONVERGED

    def step(self, problem, state, options):
        x, d = state.x, state.d
        proj = problem.x_proj if problem.x_proj is not None else Zero()
        cache = {}

        def merit(xt):
            ev = self.evaluate(problem, xt, state, options)
            cache[xt.tobytes()] = ev
            return ev["value"]

        try:
            if options.step is None:
                noise = self._noise(state.ev, state.fun)
                xf = proj(x - d / state.L, 1.0 / state.L)
                if 0.5 * state.L * float((xf - x) @ (xf - x)) <= noise:
                    # Below the merit's resolution: the decrease that the quadratic bound promises
                    # for the last accepted L, L/2 ||x+ - x||^2, is under the rounding level of the
                    # merit (for the penalty merit ~eps |g| / sigma), so a value test would accept
                    # or reject at random and drive L up until the steps vanish. Take the step
                    # with that L (fixed-step projected gradient with a verified L); the
                    # hypergradient is accurate (inner tolerances), the gradient mapping decides.
                    # If L was too small the mapping grows and the value test resumes.
                    state.aux["noise_steps"] = state.aux.get("noise_steps", 0) + 1
                    merit(xf)
                    xn, L = xf, state.L
                    state.aux["first_trial_ok"] = False
                else:
                    # try a longer step when the last search accepted its first trial (L may shrink)
                    L_try = 0.5 * state.L if state.aux.get("first_trial_ok") else state.L
                    xn, fn, L, nf, ok = lipschitz_backtracking(merit, proj, x, state.fun, d, L_try)
                    if ok and L < state.L and not state.fun - fn > noise:
                        # the longer step passed only within rounding (no decrease above it): keep the old L
                        xn, fn, L, nf, ok = lipschitz_backtracking(merit, proj, x, state.fun, d, state.L)
                    state.aux["first_trial_ok"] = ok and nf == 1
                    if not ok:
                        return fail(state, Status.LINE_SEARCH_FAILED,
                                    f"outer backtracking on the merit failed (L = {L:.3g})")
                ev = cache.get(xn.tobytes())
                if ev is None:                      # xn == x (zero step)
                    ev = state.ev
            else:
                L = 1.0 / options.step
                xn = proj(x - d / L, 1.0 / L)
                merit(xn)
                ev = cache[xn.tobytes()]
            dn = self.hypergrad(problem, xn, ev, state, options)
        except InnerFailure as exc:
            return fail(state, exc.status, exc.detail)
        new = BilevelState(x=xn, fun=ev["value"], y=state.y, z=state.z, d=dn, L=float(L), sigma=state.sigma,
                           G0=state.G0, ev=ev, aux=state.aux)
        self._adopt(new, ev)
        new.G = self._mapping(problem, xn, dn, new.L)
        if small_relative(new.G, new.G0, options.gtol):
            try:
                new.status = self._at_tolerance(problem, new, options)
            except InnerFailure as exc:
                new.metrics = self._metrics(new)
                return fail(new, exc.status, exc.detail)
        new.metrics = self._metrics(new)
        return new

    def finalize(self, problem, state, options):
        out = {"y": np.array(state.y, dtype=float), "hypergrad_norm": float(state.G),
               "inner_nit": int(state.aux.get("inner_nit", 0)),
               "noise_steps": int(state.aux.get("noise_steps", 0))}
        try:
            gy = guard(problem.grad_g, state.x, state.y)[1]
            proj = problem.y_set if problem.y_set is not None else Zero()
            out["lower_residual"] = float(np.linalg.norm(state.y - proj(state.y - gy, 1.0)))
            out["upper_objective"] = guard(problem.f, state.x, state.y)
        except InnerFailure:
            out["lower_residual"] = np.nan
            out["upper_objective"] = np.nan
        return out


def _secant_curvature(grad, y, gy):
    """``||grad(y + h u) - grad(y)|| / h`` along the gradient (a local curvature estimate)."""
    gn = float(np.linalg.norm(gy))
    if gn == 0.0:
        return 1.0
    h = 1e-4 * max(1.0, float(np.linalg.norm(y))) / gn
    est = float(np.linalg.norm(grad(y - h * gy) - gy) / (h * gn))
    return est if np.isfinite(est) and est > 0 else 1.0


# =========================================================================================
# bilevel-penalty
# =========================================================================================

@register("bilevel-penalty", family="bilevel", options=PenaltyOptions, aliases=("penalty-bilevel",),
          requires={"bilevel"}, supports={"bilevel", "lower_constraints"}, tol_options=("gtol",),
          work_unit="evaluations",
          summary="first-order penalty method for bilevel programs (Kwon et al. 2024), sigma continuation")
class BilevelPenalty(_Outer):
    r"""Penalty method for bilevel programs (double loop, first-order, projections at both levels).

    Minimizes ``psi_sigma(x) = min_{y in Y} f(x, y) + (g(x, y) - g*(x)) / sigma`` by projected
    gradient with the hypergradient
    ``grad_x f(x, y_sigma) + (grad_x g(x, y_sigma) - grad_x g(x, z*)) / sigma`` (Danskin), with
    ``y_sigma`` and ``z*`` from warm-started inner loops. ``|psi_sigma - psi| = O(sigma)``
    under the paper's proximal error bound. Result fields: ``x`` (upper variable), ``y``
    (the penalized lower solution ``y_sigma``), ``z`` (a lower-level solution), ``sigma`` (final
    penalty), ``hypergrad_norm`` (the outer gradient mapping), ``lower_gap`` (``g(x, y) - g*(x)``),
    ``lower_residual``, ``upper_objective`` (``f(x, y)``); ``fun`` is ``psi_sigma(x)``.
    Reference scales of the stopping tests: the module docstring.

    Reference: J. Kwon, D. Kwon, S. Wright, R. Nowak, ICLR 2024 (Algorithm, deterministic case).
    """

    def prepare(self, problem, state, options):
        state.sigma = float(options.sigma if options.sigma is not None else options.sigma0)
        state.aux["sigma0"] = state.sigma
        # the reference of the inner tolerances: ||grad_y f|| at the start (see evaluate)
        x, y = state.x, state.aux["y_start"]
        fy_ref = float(np.linalg.norm(guard(problem.grad_f, x, y)[1]))
        if not fy_ref > 0:
            fy_ref = float(np.linalg.norm(guard(problem.grad_g, x, y)[1]))
        state.aux["fy_ref"] = fy_ref if fy_ref > 0 else 1.0

    def evaluate(self, problem, x, state, options):
        sigma = state.sigma
        # The hypergradient is a difference quotient: (grad_x g(x, y) - grad_x g(x, z)) / sigma with
        # y - z = O(sigma ||grad_y f|| / mu). An inner error e in y or z becomes an error
        # ~ e / sigma in it, so both inner loops are solved relative to sigma ||grad_y f||
        # (the penalized loop's residual at z), not relative to their own first residuals:
        # the latter made the hypergradient inconsistent with the merit for small fixed sigma
        # (sigma = 1e-4 ended LINE_SEARCH_FAILED).
        signal = sigma * state.aux["fy_ref"]

        def h(y, need_value):
            gf, gg = guard(problem.grad_f, x, y)[1], guard(problem.grad_g, x, y)[1]
            v = sigma * guard(problem.f, x, y) + guard(problem.g, x, y) if need_value else None
            return v, sigma * gf + gg

        def gl(y, need_value):
            return (guard(problem.g, x, y) if need_value else None), guard(problem.grad_g, x, y)[1]

        Lf, Lg = problem.lipschitz_fy, problem.lipschitz_gy
        Lh = sigma * Lf + Lg if (Lf is not None and Lg is not None) else None
        ry = self.solve_inner(problem, x, state.y, state, options, "y", h, "penalized lower level (y)", signal, Lh)
        rz = self.solve_inner(problem, x, state.z, state, options, "z", gl, "lower level (z)", signal, Lg)
        fy, gy = guard(problem.f, x, ry.y), guard(problem.g, x, ry.y)
        gz = guard(problem.g, x, rz.y)
        if gy < gz - 1e-12 * max(abs(gz), 1.0):
            # z is in a worse basin than y (nonconvex lower level): restart it from y
            rz = self.solve_inner(problem, x, ry.y, state, options, "z", gl, "lower level (z)", signal, Lg)
            gz = guard(problem.g, x, rz.y)
        # rounding level of psi_sigma: the gap g(y) - g(z) cancels two values of size |g|
        noise = 1e2 * _EPS * (abs(fy) + (abs(gy) + abs(gz)) / sigma)
        return {"value": fy + (gy - gz) / sigma, "y": ry.y, "z": rz.y, "gap": gy - gz, "upper": fy,
                "noise": noise}

    def hypergrad(self, problem, x, ev, state, options):
        fx = guard(problem.grad_f, x, ev["y"])[0]
        gxy = guard(problem.grad_g, x, ev["y"])[0]
        gxz = guard(problem.grad_g, x, ev["z"])[0]
        return fx + (gxy - gxz) / state.sigma

    def _at_tolerance(self, problem, state, options):
        if options.sigma is not None or state.sigma <= options.sigma_final * (1 + 1e-12):
            return Status.CONVERGED
        state.sigma = max(state.sigma * options.sigma_decrease, options.sigma_final)
        ev = self.evaluate(problem, state.x, state, options)
        state.ev, state.fun = ev, ev["value"]
        self._adopt(state, ev)
        state.d = self.hypergrad(problem, state.x, ev, state, options)
        state.G = self._mapping(problem, state.x, state.d, state.L)
        return None

    def _metrics(self, state):
        m = super()._metrics(state)
        m["lower_gap"] = float(state.ev.get("gap", np.nan)) if state.ev else np.nan
        return m

    def finalize(self, problem, state, options):
        out = super().finalize(problem, state, options)
        out.update(z=np.array(state.z, dtype=float), sigma=float(state.sigma),
                   lower_gap=float(state.ev.get("gap", np.nan)), penalty_value=float(state.fun))
        return out


# =========================================================================================
# bilevel-aid
# =========================================================================================

@register("bilevel-aid", family="bilevel", options=AIDOptions, aliases=("aid", "implicit-differentiation"),
          requires={"bilevel", "hvp_g"}, supports={"bilevel"}, tol_options=("gtol",), work_unit="evaluations",
          summary="bilevel by approximate implicit differentiation (CG on the lower Hessian)")
class BilevelAID(_Outer):
    r"""Approximate implicit differentiation (AID) for bilevel programs with a strongly convex lower level.

    ``Phi(x) = f(x, y*(x))`` with ``y*`` from a warm-started accelerated gradient loop and
    ``grad Phi = grad_x f - nabla^2_{xy} g v``, ``nabla^2_{yy} g v = grad_y f`` solved by CG to
    ``cg_tol`` (relative residual) within ``cg_maxiter`` iterations; a CG failure (cap,
    non-positive curvature) ends the run. Result fields: ``y``, ``hypergrad_norm``, ``cg_nit``
    (last solve), ``cg_nit_total``, ``cg_residual`` (last relative residual), ``lower_residual``.
    Refuses a constrained lower level.

    References: Pedregosa, ICML 2016; Ghadimi & Wang 2018; Ji, Yang, Liang, ICML 2021.
    """

    def evaluate(self, problem, x, state, options):
        def gl(y, need_value):
            return (guard(problem.g, x, y) if need_value else None), guard(problem.grad_g, x, y)[1]
        r = self.solve_inner(problem, x, state.y, state, options, "y", gl, "lower level",
                             lipschitz=problem.lipschitz_gy)
        value = guard(problem.f, x, r.y)
        v = state.aux.get("v")
        if v is not None:
            # Lagrangian correction f - v^T grad_y g: F(x) to second order in the inner error
            # (f(x, y) alone is only first-order accurate, too noisy for the outer line search)
            value -= float(v @ guard(problem.grad_g, x, r.y)[1])
        return {"value": value, "y": r.y}

    def hypergrad(self, problem, x, ev, state, options):
        y = ev["y"]
        fx, fy = guard(problem.grad_f, x, y)
        v0 = state.aux.get("v") if options.cg_warm_start else None
        v, nit, res = conjugate_gradient(lambda p: guard(problem.hvp_g, x, y, p)[1], fy, v0,
                                         rtol=options.cg_tol, maxiter=options.cg_maxiter)
        state.aux.update(v=v, cg_nit=nit, cg_residual=res, cg_nit_total=state.aux.get("cg_nit_total", 0) + nit)
        hx = guard(problem.hvp_g, x, y, v)[0]
        return fx - hx

    def _metrics(self, state):
        m = super()._metrics(state)
        m["cg_nit"] = state.aux.get("cg_nit", 0)
        return m

    def finalize(self, problem, state, options):
        out = super().finalize(problem, state, options)
        out.update(cg_nit=int(state.aux.get("cg_nit", 0)), cg_nit_total=int(state.aux.get("cg_nit_total", 0)),
                   cg_residual=float(state.aux.get("cg_residual", np.nan)))
        return out


# =========================================================================================
# bilevel-itd
# =========================================================================================

@register("bilevel-itd", family="bilevel", options=ITDOptions, aliases=("itd", "unrolled-differentiation"),
          requires={"bilevel", "hvp_g"}, supports={"bilevel"}, tol_options=("gtol",), work_unit="evaluations",
          summary="bilevel by iterative differentiation through K inner gradient steps")
class BilevelITD(_Outer):
    r"""Iterative differentiation (ITD, reverse mode through ``K`` inner gradient steps).

    ``y_{t+1} = y_t - beta grad_y g(x, y_t)`` (``t < K``) from ``y_0``; ``Phi(x) = f(x, y_K(x))``
    and its exact gradient by the reverse recursion ``p_K = grad_y f(x, y_K)``,
    ``d = grad_x f(x, y_K) - beta sum_t nabla^2_{xy} g(x, y_t) p_{t+1}``,
    ``p_t = p_{t+1} - beta nabla^2_{yy} g(x, y_t) p_{t+1}``. The error of ``y_K`` (and so of
    the hypergradient) shrinks like ``(1 - beta mu)^K`` for a ``mu``-strongly convex lower level;
    ``beta`` is ``inner_step``, default ``1/L_gy`` (problem) or ``1/(1.1 lambda_max)`` at
    ``(x0, y0)``. Result fields: ``y`` (``y_K``), ``hypergrad_norm``, ``lower_residual``,
    ``inner_step``. Refuses a constrained lower level.

    References: Maclaurin, Duvenaud, Adams, ICML 2015; Franceschi et al., ICML 2017.
    """

    def prepare(self, problem, state, options):
        beta = options.inner_step
        if beta is None:
            if problem.lipschitz_gy is not None:
                beta = 1.0 / problem.lipschitz_gy
            else:
                x, y = state.x, state.aux["y_start"]
                lam = power_curvature(lambda v: guard(problem.hvp_g, x, y, v)[1], problem.dim_y)
                beta = 1.0 / (1.1 * lam) if lam > 0 else 1.0
        state.aux["beta"] = float(beta)

    def evaluate(self, problem, x, state, options):
        beta = state.aux["beta"]
        y = state.aux["y_start"].copy()          # every unroll starts at y0: Phi is one fixed function
        traj = [y]
        for k in range(options.unroll):
            if k % 64 == 63 and past(min(state.deadline, getattr(self, "deadline", state.deadline))):        # a huge unroll must not outlive maxtime
                raise InnerFailure(Status.MAXTIME, f"time limit reached inside the unrolled inner loop (step {k + 1})")
            y = y - beta * guard(problem.grad_g, x, y)[1]
            traj.append(y)
        state.aux["inner_nit"] = state.aux.get("inner_nit", 0) + options.unroll
        return {"value": guard(problem.f, x, y), "y": y, "traj": traj}

    def hypergrad(self, problem, x, ev, state, options):
        beta, traj = state.aux["beta"], ev["traj"]
        fx, p = guard(problem.grad_f, x, traj[-1])
        d = fx.copy()
        for t in range(len(traj) - 2, -1, -1):
            hx, hy = guard(problem.hvp_g, x, traj[t], p)
            d -= beta * hx
            p = p - beta * hy
        return d

    def _adopt(self, state, ev):
        state.y = ev["y"]

    def finalize(self, problem, state, options):
        out = super().finalize(problem, state, options)
        out["inner_step"] = float(state.aux.get("beta", np.nan))
        return out
