r"""Comparison methods on the same problem objects: ``extragradient`` and ``eag``.

* Extragradient (Korpelevich 1976), for monotone ``L``-Lipschitz ``F``:
  ``ubar = J_{eta G}(u - eta F(u))``, ``u^+ = J_{eta G}(u - eta F(ubar))``; default ``eta = 0.9 / L``
  (the theory needs ``eta < 1 / L``). Ergodic ``O(1/k)``, last iterate ``O(1/sqrt k)``.
* Extra-anchored gradient, EAG-C (Yoon & Ryu, ICML 2021), with projections:
  ``ubar = J(u + beta_k (u_0 - u) - eta F(u))``, ``u^+ = J(u + beta_k (u_0 - u) - eta F(ubar))``,
  ``beta_k = 1/(k + 2)``; default ``eta = 1 / (8 L)`` (their Theorem 1); last iterate ``O(1/k)``.

Both cost two evaluations of ``F`` per iteration (``njev``). Stopping and ``res.residual``: the
certified residual of :mod:`._common` (reference scale: its value at ``x0``), plus the duality
gap for games.

References: G. M. Korpelevich, Ekonomika i Mat. Metody 12 (1976); T. Yoon, E. K. Ryu,
"Accelerated algorithms for smooth convex-concave minimax problems with O(1/k^2) rate on
squared gradient norm", ICML 2021.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...driver import Solver
from ...options import opt
from ...registry import register
from ._common import InclusionOptions, InclusionState, finalize_state, init_state, maybe_certify


@dataclass
class ExtragradientOptions(InclusionOptions):
    maxiter: int = opt(100000, "Maximum number of iterations.", kind=int)


@dataclass
class EAGOptions(InclusionOptions):
    maxiter: int = opt(100000, "Maximum number of iterations.", kind=int)


@dataclass
class _StepState(InclusionState):
    eta: float = 1.0


class _TwoStep(Solver):
    default_factor = 1.0
    anchored = False

    def init(self, problem, x0, options):
        eta = options.step if options.step is not None else self.default_factor / problem.lipschitz
        return init_state(problem, x0, options, _StepState, eta=eta)

    def step(self, problem, state, options):
        u, eta = state.u, state.eta
        base = u
        if self.anchored:
            beta = 1.0 / (state.k + 2)
            base = u + beta * (state.anchor - u)
        ubar = problem.resolve(base - eta * problem.F(u), eta)
        u_new = problem.resolve(base - eta * problem.F(ubar), eta)
        new = _StepState(x=u_new, fun=state.fun, u=u_new, anchor=state.anchor, r0=state.r0,
                         residual=state.residual, certified_u=state.certified_u, passes0=state.passes0,
                         next_check=state.next_check, k=state.k + 1, eta=eta)
        return maybe_certify(problem, new, options)

    def finalize(self, problem, state, options):
        return finalize_state(problem, state)


@register("extragradient", family="monotone inclusions", options=ExtragradientOptions, aliases=("eg",),
          requires={"operator", "resolvent"}, supports={"monotone_inclusion"}, tol_options=("rtol",),
          summary="Korpelevich's extragradient method (projected); comparison method")
class Extragradient(_TwoStep):
    """Extragradient (see the module docstring)."""

    default_factor = 0.9


@register("eag", family="monotone inclusions", options=EAGOptions, aliases=("extra-anchored-gradient",),
          requires={"operator", "resolvent"}, supports={"monotone_inclusion"}, tol_options=("rtol",),
          summary="extra-anchored gradient (Yoon & Ryu 2021), projected; comparison method")
class EAG(_TwoStep):
    """Extra-anchored gradient, EAG-C (see the module docstring)."""

    default_factor = 0.125
    anchored = True
