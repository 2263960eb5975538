r"""Deterministic Halpern (anchored) iteration with reflection and restarts: ``halpern``.

For a nonexpansive ``T`` with fixed points = solutions of ``0 in F(u) + G(u)``,

.. math::
    u_{k+1} = \lambda_k u_0 + (1 - \lambda_k)\,[(1 - \rho) u_k + \rho\, T(u_k)], \qquad
    \lambda_k = \tfrac{1}{k + 2},

where ``rho`` is the relaxation (``rho = 2``: the *reflected* operator ``2T - I``). Without
restarts ``u_k`` converges to the projection of the anchor ``u_0`` onto the solution set and
``||u_k - T u_k|| = O(1/k)`` (Lieder 2021). Two operators:

* ``"fb"`` (cocoercive ``F``, ``||F u - F v||^2 <= L_c <F u - F v, u - v>``): forward-backward
  ``T(u) = J_{eta G}(u - eta F(u))``, ``eta = 1 / L_c``; ``T`` is 2/3-averaged, so ``rho <= 1.5``.
* ``"pdhg"`` (bilinear saddle problems ``min_x max_y x^T A y + b^T x - c^T y + g_1(x) - g_2(y)``):
  the PDHG step ``x^+ = J_{tau G_1}(x - tau (A y + b))``, ``y^+ = J_{sigma G_2}(y + sigma (A^T (2x^+ - x) - c))``
  with ``tau = 0.99 / (omega L_A)``, ``sigma = 0.99 omega / L_A``: firmly nonexpansive in the PDHG
  metric ``M = [[I/tau, -A], [-A^T, I/sigma]]``, so the reflected iteration (``rho = 2``) is valid.
  This is the restarted reflected Halpern PDHG of HPR-LP / cuPDLPx (r2HPDHG). ``L_A`` is, by
  default (``pdhg_norm="restricted"``), the norm of ``A`` on the directions in which feasible points
  can move (``problem.restricted_lipschitz()``: for a ``MatrixGame`` the doubly centered matrix,
  because the differences of two strategies sum to zero); ``pdhg_norm="full"`` uses ``||A||_2``.
  On the policeman-burglar game (``n = 500``) the two are 4.50 and 492, and the restricted step
  turns 6420 epochs to ``tol = 1e-6`` into about 50. Each iteration costs one product with ``A``
  and one with ``A^T`` (one pass): ``A y`` and ``A^T x`` of the Halpern iterate are carried along by
  the same affine recursion as the iterate, so only ``A y^+`` and ``A^T x^+`` are computed.

Restarts set the anchor to the current point and the counter ``k`` to 0: ``"fixed"`` every
``restart_every`` iterations, ``"adaptive"`` on the fixed-point residual ``r_k = ||u_k - T u_k||``
(Euclidean for ``fb``, checked every 16 iterations; in the PDHG metric ``M`` for ``pdhg``, checked
every iteration at no extra cost), relative to ``r_s``, the residual at the restart point (the
criteria of cuPDLPx / r2HPDHG): sufficient decay ``r_k <= 0.2 r_s``, necessary decay
``r_k <= 0.8 r_s`` with ``r_k`` larger than at the previous check, or artificial: ``k >= 0.36``
times the iterations so far. ``pdhg`` restarts at the PDHG point ``T(u_k)``.
With restarts the limit is a solution, no longer the projection of the original anchor.
``primal_weight_update=True`` (``pdhg``) re-balances ``omega`` at each restart as PDLP does,
``log omega <- (log omega + log(||Delta y|| / ||Delta x||)) / 2`` from the moves since the last
restart; it halves the epochs on random Gaussian games and hurts games with a pure equilibrium,
so it is off by default.

Stopping and ``res.residual``: the certified residual of :mod:`._common` (reference scale: its
value at ``x0``), plus the duality gap for games. One ``T`` costs one evaluation of ``F``
(``njev``).

References: B. Halpern, Bull. AMS 73 (1967); F. Lieder, Optim. Lett. 15 (2021); H. Lu, J. Yang,
"Restarted Halpern PDHG for linear programming" (2024); K. Chen, D. Sun, Y. Yuan et al., HPR-LP (2024).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...driver import Solver, fail
from ...options import opt
from ...registry import register
from ...result import Status
from ...problems.inclusion import safe_prox
from ...work import add_passes
from ._common import InclusionOptions, InclusionState, finalize_state, init_state, maybe_certify, passes


@dataclass
class HalpernOptions(InclusionOptions):
    maxiter: int = opt(100000, "Maximum number of iterations.", kind=int)
    operator: str = opt("auto", "'fb' (cocoercive F), 'pdhg' (bilinear saddle problems) or 'auto' "
                        "(pdhg when the problem is a saddle problem, else fb).", kind=str)
    relaxation: float | None = opt(None, "rho in (0, 2]: T is replaced by (1 - rho) I + rho T. Default 2 "
                                   "(reflected) for pdhg, 1 for fb (at most 1.5 there).", kind=(int, float))
    restart: str = opt("adaptive", "'adaptive' (on the fixed-point residual), 'fixed' or 'none'.", kind=str)
    restart_every: int = opt(100, "Iterations between restarts with restart='fixed'.", kind=int)
    primal_weight: float = opt(1.0, "pdhg: omega, tau = 0.99 / (omega L_A), sigma = 0.99 omega / L_A.",
                               kind=(int, float))
    pdhg_norm: str = opt("restricted", "pdhg: L_A = the norm of A on the tangent spaces of the constraint "
                         "sets ('restricted', problem.restricted_lipschitz()) or ||A||_2 ('full').", kind=str)
    primal_weight_update: bool = opt(False, "pdhg: re-balance omega at each restart from the primal and dual "
                                     "moves (PDLP's smoothed rule).", kind=bool)
    block_passes: float = opt(10.0, "pdhg on a dense MatrixGame: iterations (passes) per compiled block, one "
                              "driver step; blocks also end at each certification. The callback and maxiter "
                              "see blocks; res.iterations counts iterations.", kind=(int, float))

    def validate(self):
        super().validate()
        if self.operator not in ("auto", "fb", "pdhg"):
            raise ValueError(f"option 'operator' must be 'auto', 'fb' or 'pdhg', got {self.operator!r}")
        if self.restart not in ("adaptive", "fixed", "none"):
            raise ValueError(f"option 'restart' must be 'adaptive', 'fixed' or 'none', got {self.restart!r}")
        if self.relaxation is not None and not 0 < self.relaxation <= 2:
            raise ValueError(f"option 'relaxation' must be in (0, 2], got {self.relaxation}")
        if self.restart_every < 1:
            raise ValueError(f"option 'restart_every' must be >= 1, got {self.restart_every}")
        if not self.block_passes >= 1:
            raise ValueError(f"option 'block_passes' must be >= 1, got {self.block_passes}")
        if self.pdhg_norm not in ("restricted", "full"):
            raise ValueError(f"option 'pdhg_norm' must be 'restricted' or 'full', got {self.pdhg_norm!r}")
        if not (np.isfinite(self.primal_weight) and self.primal_weight > 0):
            raise ValueError(f"option 'primal_weight' must be > 0, got {self.primal_weight}")


#: The adaptive restart test runs every this many iterations (as cuPDLP evaluates its criteria).
_RESTART_CHECK = 16


@dataclass
class HalpernState(InclusionState):
    kind: str = "fb"
    rho: float = 1.0
    eta: float = 1.0
    r_start: float = np.inf       # fixed-point residual at the last restart
    r_prev: float = np.inf
    restarts: int = 0
    nit: int = 0
    pd: tuple = ()                # pdhg: (tau, sigma, omega, L_A, Ay, ATx, Ay0, ATx0)
    dense_A: np.ndarray = None    # pdhg on a dense MatrixGame: A for the compiled blocks


def _operator(problem, options):
    kind = options.operator
    saddle = "saddle" in problem.oracles
    if kind == "auto":
        kind = "pdhg" if saddle else "fb"
    if kind == "pdhg" and not saddle:
        raise ValueError(f"operator='pdhg' needs a bilinear saddle problem (MatrixGame, BilinearGame); "
                         f"got {problem!r}")
    if kind == "fb" and not problem.cocoercive:
        raise ValueError(f"halpern with the forward-backward operator needs a cocoercive F, but {problem!r} "
                         "declares F only monotone and Lipschitz (no cocoercivity): the forward-backward "
                         "map is then not nonexpansive. Use operator='pdhg' for saddle problems, or "
                         "method 'eag', 'extragradient' or 'vr-halpern'.")
    rho = options.relaxation
    if rho is None:
        rho = 2.0 if kind == "pdhg" else 1.0
    if kind == "fb" and rho > 1.5:
        raise ValueError(f"option 'relaxation' must be <= 1.5 with the forward-backward operator "
                         f"(2/3-averaged), got {rho}")
    return kind, float(rho)


def _apply_fb(problem, state, u):
    """``T(u) = J_{eta G}(u - eta F(u))``."""
    return problem.resolve(u - state.eta * problem.F(u), state.eta)


def _pdhg_steps(options, L_A, omega):
    return 0.99 / (omega * L_A), 0.99 * omega / L_A


def _count_pass(problem):
    problem._count("njev")            # one product with A and one with A^T: one operator evaluation
    add_passes(problem, 1.0)


@register("halpern", family="monotone inclusions", options=HalpernOptions,
          requires={"operator", "resolvent"}, supports={"monotone_inclusion"}, tol_options=("rtol",),
          summary="Halpern (anchored) iteration on the forward-backward or PDHG operator, reflected, "
                  "with adaptive restarts; certified residual")
class Halpern(Solver):
    """Deterministic Halpern iteration (see the module docstring)."""

    def init(self, problem, x0, options):
        kind, rho = _operator(problem, options)
        eta = options.step if options.step is not None else (
            1.0 / problem.cocoercivity if kind == "fb" else 1.0)
        if kind == "fb" and eta * problem.cocoercivity > 2.0:
            raise ValueError(f"option 'step' must be <= 2 / L_c = {2.0 / problem.cocoercivity:.6g} for the "
                             f"forward-backward map to be nonexpansive, got {eta}")
        st = init_state(problem, x0, options, HalpernState, kind=kind, rho=rho, eta=eta)
        if kind == "pdhg":
            L_A = problem.restricted_lipschitz() if options.pdhg_norm == "restricted" else problem.lipschitz
            omega = float(options.primal_weight)
            tau, sigma = _pdhg_steps(options, L_A, omega)
            if not (np.isfinite(tau) and np.isfinite(sigma) and tau > 0 and sigma > 0):
                raise ValueError(f"option 'primal_weight' = {omega:g} gives PDHG steps tau = {tau:g}, "
                                 f"sigma = {sigma:g} (with L_A = {L_A:g}); both must be finite and > 0")
            x, y = problem.split(st.u)
            Ay, ATx = problem.A @ y, problem.A.T @ x
            _count_pass(problem)
            st.pd = (tau, sigma, omega, L_A, Ay, ATx, Ay, ATx)
            from ...problems.inclusion import MatrixGame
            if isinstance(problem, MatrixGame) and isinstance(problem.A, np.ndarray):
                st.dense_A = np.ascontiguousarray(problem.A, dtype=float)
            st.metrics["epochs"] = passes(problem) - st.passes0
        return st

    def step(self, problem, state, options):
        if state.kind == "pdhg":
            if state.dense_A is not None:
                return self._pdhg_block(problem, state, options)
            return self._pdhg_step(problem, state, options)
        u = state.u
        Tu = _apply_fb(problem, state, u)
        r = float(np.linalg.norm(u - Tu))
        restart, r_prev = False, state.r_prev
        if options.restart == "fixed":
            restart = state.k + 1 >= options.restart_every
        elif options.restart == "adaptive" and state.k > 0 and state.k % _RESTART_CHECK == 0:
            restart = (r <= 0.2 * state.r_start or (r <= 0.8 * state.r_start and r > state.r_prev)
                       or state.k >= 0.36 * state.nit)
            r_prev = r
        lam = 1.0 / (state.k + 2)
        u_new = lam * state.anchor + (1.0 - lam) * ((1.0 - state.rho) * u + state.rho * Tu)
        new = self._successor(state, u_new, r, r_prev)
        if restart:
            new.anchor, new.k, new.restarts, new.r_start = u_new.copy(), 0, state.restarts + 1, np.inf
        maybe_certify(problem, new, options)
        new.metrics.update({"fixed_point_residual": r, "restarts": new.restarts})
        return new

    @staticmethod
    def _successor(state, u_new, r, r_prev, **fields):
        return HalpernState(x=u_new, fun=state.fun, u=u_new, anchor=state.anchor, r0=state.r0,
                            residual=state.residual, certified_u=state.certified_u, passes0=state.passes0,
                            next_check=state.next_check, k=state.k + 1, kind=state.kind, rho=state.rho,
                            eta=state.eta, r_start=state.r_start if state.k > 0 else r, r_prev=r_prev,
                            restarts=state.restarts, nit=state.nit + 1, pd=fields.get("pd", state.pd),
                            dense_A=state.dense_A)

    def _pdhg_block(self, problem, state, options):
        """``_pdhg_step`` repeated up to the next certification (at most ``block_passes``) in one kernel."""
        from ._kernels import pdhg_block
        tau, sigma, omega, L_A, Ay, ATx, Ay0, ATx0 = state.pd
        now = passes(problem)
        room = min(options.block_passes, state.next_check - now, options.max_passes - (now - state.passes0))
        max_iters = max(1, int(math.ceil(room)))
        u, anchor = state.u.copy(), state.anchor.copy()
        Ay, ATx, Ay0, ATx0 = Ay.copy(), ATx.copy(), Ay0.copy(), ATx0.copy()
        steps = np.array([tau, sigma, omega, L_A, state.rho])
        counters = np.array([state.k, state.nit, state.r_start, state.r_prev, state.restarts, np.nan])
        mode = {"none": 0, "fixed": 1, "adaptive": 2}[options.restart]
        flags = np.array([mode, options.restart_every, int(options.primal_weight_update)], dtype=np.int64)
        it, ok = pdhg_block(state.dense_A, u, anchor, Ay, ATx, Ay0, ATx0, problem.m,
                            float(problem.prox_x.radius), float(problem.prox_y.radius), steps, counters, flags,
                            max_iters)
        problem._count("njev", int(it))
        add_passes(problem, float(it))
        if not ok:
            return fail(state, Status.NUMERICAL_ERROR, "a PDHG point is not finite")
        new = self._successor(state, u, 0.0, counters[3],
                              pd=(steps[0], steps[1], steps[2], L_A, Ay, ATx, Ay0, ATx0))
        new.anchor, new.k, new.nit = anchor, int(counters[0]), int(counters[1])
        new.r_start, new.restarts = float(counters[2]), int(counters[4])
        maybe_certify(problem, new, options)
        new.metrics.update({"fixed_point_residual": float(counters[5]), "restarts": new.restarts,
                            "primal_weight": float(steps[2])})
        return new

    def _pdhg_step(self, problem, state, options):
        """One reflected Halpern PDHG step; ``A y`` and ``A^T x`` follow the iterate's recursion."""
        tau, sigma, omega, L_A, Ay, ATx, Ay0, ATx0 = state.pd
        A, rho = problem.A, state.rho
        x, y = problem.split(state.u)
        x0, y0 = problem.split(state.anchor)
        xp = safe_prox(problem.prox_x, x - tau * (Ay + problem.b), tau)
        ATxp = A.T @ xp
        yp = safe_prox(problem.prox_y, y + sigma * (2.0 * ATxp - ATx - problem.cy), sigma)
        Ayp = A @ yp
        _count_pass(problem)
        dx, dy = x - xp, y - yp
        # ||u - T u||_M^2 = ||dx||^2 / tau + ||dy||^2 / sigma - 2 dx^T A dy (M is positive definite
        # on the feasible directions), without another product: A dy = A y - A y^+
        r = float(np.sqrt(max(dx @ dx / tau + dy @ dy / sigma - 2.0 * (dx @ (Ay - Ayp)), 0.0)))
        k = state.k
        restart = False
        if options.restart == "fixed":
            restart = k + 1 >= options.restart_every
        elif options.restart == "adaptive" and k > 0:
            restart = (r <= 0.2 * state.r_start or (r <= 0.8 * state.r_start and r > state.r_prev)
                       or k >= 0.36 * state.nit)
        lam = 1.0 / (k + 2)
        a, bb = (1.0 - lam) * (1.0 - rho), (1.0 - lam) * rho
        if restart:
            if options.primal_weight_update:
                mx, my = float(np.linalg.norm(xp - x0)), float(np.linalg.norm(yp - y0))
                if mx > 1e-10 and my > 1e-10 and np.isfinite(mx + my):
                    omega = float(np.exp(0.5 * np.log(my / mx) + 0.5 * np.log(omega)))
                    tau, sigma = _pdhg_steps(options, L_A, omega)
            u_new = np.concatenate([xp, yp])
            pd = (tau, sigma, omega, L_A, Ayp, ATxp, Ayp, ATxp)
        else:
            u_new = np.concatenate([lam * x0 + a * x + bb * xp, lam * y0 + a * y + bb * yp])
            pd = (tau, sigma, omega, L_A, lam * Ay0 + a * Ay + bb * Ayp, lam * ATx0 + a * ATx + bb * ATxp,
                  Ay0, ATx0)
        new = self._successor(state, u_new, r, r, pd=pd)
        if restart:
            new.anchor, new.k, new.restarts, new.r_start = u_new.copy(), 0, state.restarts + 1, np.inf
        maybe_certify(problem, new, options)
        new.metrics.update({"fixed_point_residual": r, "restarts": new.restarts, "primal_weight": omega})
        return new

    def finalize(self, problem, state, options):
        out = finalize_state(problem, state)
        out["restarts"] = getattr(state, "restarts", 0)
        out["iterations"] = getattr(state, "nit", 0)
        return out
