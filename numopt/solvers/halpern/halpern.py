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
  with ``tau = 0.99 / (omega L)``, ``sigma = 0.99 omega / L``: firmly nonexpansive in the PDHG
  metric, so the reflected iteration (``rho = 2``) is valid. This is the restarted reflected
  Halpern PDHG of HPR-LP / cuPDLPx.

Restarts set the anchor to the current point and the counter ``k`` to 0: ``"fixed"`` every
``restart_every`` iterations, ``"adaptive"`` on the fixed-point residual ``r_k = ||u_k - T u_k||``
(checked every 16 iterations, relative to ``r_s`` one iteration after the last restart:
sufficient decay ``r_k <= 0.2 r_s``, necessary decay ``r_k <= 0.8 r_s`` with ``r_k`` larger than at
the previous check, or ``k >= 0.36`` times the iterations so far).
With restarts the limit is a solution, no longer the projection of the original anchor.

Stopping and ``res.residual``: the certified residual of :mod:`._common` (reference scale: its
value at ``x0``), plus the duality gap for games. One ``T`` costs one evaluation of ``F``
(``njev``).

References: B. Halpern, Bull. AMS 73 (1967); F. Lieder, Optim. Lett. 15 (2021); H. Lu, J. Yang,
"Restarted Halpern PDHG for linear programming" (2024); K. Chen, D. Sun, Y. Yuan et al., HPR-LP (2024).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...driver import Solver
from ...options import opt
from ...registry import register
from ...problems.inclusion import safe_prox
from ...work import add_passes
from ._common import InclusionOptions, InclusionState, finalize_state, init_state, maybe_certify


@dataclass
class HalpernOptions(InclusionOptions):
    maxiter: int = opt(100000, "Maximum number of iterations.", kind=int)
    operator: str = opt("auto", "'fb' (cocoercive F), 'pdhg' (bilinear saddle problems) or 'auto' "
                        "(pdhg when the problem is a saddle problem, else fb).", kind=str)
    relaxation: float | None = opt(None, "rho in (0, 2]: T is replaced by (1 - rho) I + rho T. Default 2 "
                                   "(reflected) for pdhg, 1 for fb (at most 1.5 there).", kind=(int, float))
    restart: str = opt("adaptive", "'adaptive' (on the fixed-point residual), 'fixed' or 'none'.", kind=str)
    restart_every: int = opt(100, "Iterations between restarts with restart='fixed'.", kind=int)
    primal_weight: float = opt(1.0, "pdhg: omega, tau = 0.99 / (omega L), sigma = 0.99 omega / L.",
                               kind=(int, float))

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


def _apply(problem, state, options, u):
    """``T(u)`` and, for ``fb``, ``F(u)`` (reusable by the certificate)."""
    if state.kind == "fb":
        Fu = problem.F(u)
        return problem.resolve(u - state.eta * Fu, state.eta), Fu
    m, L, w = problem.m, problem.lipschitz, options.primal_weight
    tau, sigma = 0.99 / (w * L), 0.99 * w / L
    x, y = u[:m], u[m:]
    problem._count("njev")            # A y and A^T (2x+ - x): one operator evaluation
    add_passes(problem, 1.0)
    xp = safe_prox(problem.prox_x, x - tau * (problem.A @ y + problem.b), tau)
    yp = safe_prox(problem.prox_y, y + sigma * (problem.A.T @ (2.0 * xp - x) - problem.cy), sigma)
    return np.concatenate([xp, yp]), None


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
        return init_state(problem, x0, options, HalpernState, kind=kind, rho=rho, eta=eta)

    def step(self, problem, state, options):
        u = state.u
        Tu, Fu = _apply(problem, state, options, u)
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
        new = HalpernState(x=u_new, fun=state.fun, u=u_new, anchor=state.anchor, r0=state.r0,
                           residual=state.residual, certified_u=state.certified_u, passes0=state.passes0,
                           next_check=state.next_check, k=state.k + 1, kind=state.kind, rho=state.rho,
                           eta=state.eta, r_start=state.r_start if state.k > 0 else r, r_prev=r_prev,
                           restarts=state.restarts, nit=state.nit + 1)
        if restart:
            new.anchor, new.k, new.restarts, new.r_start = u_new.copy(), 0, state.restarts + 1, np.inf
        # for fb with the plain step, T(u) = ubar of the certificate at u; certify u_new fresh otherwise
        maybe_certify(problem, new, options)
        new.metrics.update({"fixed_point_residual": r, "restarts": new.restarts})
        return new

    def finalize(self, problem, state, options):
        out = finalize_state(problem, state)
        out["restarts"] = getattr(state, "restarts", 0)
        return out
