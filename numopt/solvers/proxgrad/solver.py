r"""Proximal gradient with FISTA acceleration, backtracking and adaptive restart.

For ``min F(x) = f(x) + g(x)`` with ``grad f`` Lipschitz, one iteration is

.. math::
    x_{k+1} = \operatorname{prox}_{g/L_k}\big(y_k - \nabla f(y_k)/L_k\big), \quad
    t_{k+1} = \tfrac{1 + \sqrt{1 + 4 t_k^2}}{2}, \quad
    y_{k+1} = x_{k+1} + \tfrac{t_k - 1}{t_{k+1}} (x_{k+1} - x_k),

with ``L_k`` increased by backtracking until the quadratic upper bound holds
(:func:`numopt.linesearch.lipschitz_backtracking`). Adaptive restart resets ``t = 1`` when
``F`` increases (``"function"``) or when the momentum opposes the gradient mapping
(``"gradient"``). Stops when the gradient mapping ``G_k = L_k (y_k - x_{k+1})`` is small
relative to the first one, ``||G_k||_inf <= gtol ||G_0||_inf`` (:func:`numopt.stopping.small_relative`):
rescaling the data leaves the verdict unchanged. A failed backtracking (no ``L`` gives a finite
value below the quadratic bound) ends with ``LINE_SEARCH_FAILED`` at the last accepted iterate.

References: Beck & Teboulle, SIAM J. Imaging Sci. 2 (2009) 183-202;
O'Donoghue & Candès, Found. Comput. Math. 15 (2015) 715-732.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...driver import Solver, SolverState, fail
from ...linesearch import lipschitz_backtracking
from ...options import DriverOptions, opt
from ...problems.composite import as_composite
from ...registry import register
from ...result import Status
from ...stopping import small_relative


@dataclass
class ProxGradOptions(DriverOptions):
    maxiter: int = opt(10000, "Maximum number of iterations.", kind=int)
    gtol: float = opt(1e-6, "Stop when the gradient mapping's max norm is <= gtol times its first value.",
                      kind=(int, float))
    accelerated: bool = opt(True, "FISTA momentum (False: plain ISTA).", kind=bool)
    restart: str = opt("function", "Adaptive restart: 'function', 'gradient' or 'none'.", kind=str)
    backtracking: bool = opt(True, "Increase L until the quadratic upper bound holds.", kind=bool)
    lipschitz: float | None = opt(None, "Initial Lipschitz estimate L (step 1/L). Default: the "
                                  "problem's own constant if it has one, else a local estimate.",
                                  kind=(int, float))

    def validate(self):
        if self.restart not in ("function", "gradient", "none"):
            raise ValueError(f"option 'restart' must be 'function', 'gradient' or 'none', got {self.restart!r}")
        if self.gtol <= 0:
            raise ValueError(f"option 'gtol' must be > 0, got {self.gtol}")
        if self.lipschitz is not None and not self.lipschitz > 0:
            raise ValueError(f"option 'lipschitz' must be > 0, got {self.lipschitz}")


@dataclass
class ProxGradState(SolverState):
    y: np.ndarray = None
    t: float = 1.0
    L: float = 1.0
    ref: float | None = None          # ||G_0||_inf, the reference of the stopping test


def _initial_lipschitz(f, x, g):
    """A local curvature estimate ``||g(x + d) - g(x)|| / ||d||`` along the gradient."""
    gn = np.linalg.norm(g)
    if gn == 0.0:
        return 1.0
    d = -1e-4 * max(1.0, np.linalg.norm(x)) * g / gn
    est = np.linalg.norm(f.grad(x + d) - g) / np.linalg.norm(d)
    return float(est) if np.isfinite(est) and est > 0 else 1.0


@register("prox-grad", family="proximal", options=ProxGradOptions, aliases=("fista", "proximal-gradient"),
          requires={"grad"}, supports={"nonsmooth", "bounds"}, tol_options=("gtol",), auto_rank=50,
          work_unit="evaluations")
class ProxGrad(Solver):
    """Proximal gradient / FISTA with backtracking and adaptive restart."""

    def init(self, problem, x0, options):
        cp = as_composite(problem)
        x = np.array(x0, dtype=float)
        if cp.prox.is_indicator and not np.isfinite(cp.prox.value(x)):
            x = cp.prox(x, 1.0)              # start feasible
        f, g = cp.smooth.fun_and_grad(x)
        L = options.lipschitz
        if L is None and hasattr(cp.smooth, "lipschitz"):
            L = cp.smooth.lipschitz()
        if L is None:
            if not options.backtracking:
                raise ValueError("prox-grad with backtracking=False needs the option 'lipschitz' "
                                 "(the problem has no Lipschitz constant)")
            L = _initial_lipschitz(cp.smooth, x, g)
        return ProxGradState(x=x, fun=f + cp.prox.value(x), y=x.copy(), t=1.0, L=float(L),
                             metrics={"optimality": np.inf, "step_size": 1.0 / L})

    def step(self, problem, state, options):
        cp = as_composite(problem)
        f, prox = cp.smooth, cp.prox
        y, L = state.y, state.L
        fy, gy = f.fun_and_grad(y)
        if not (np.isfinite(fy) and np.all(np.isfinite(gy))):
            return fail(state, Status.NUMERICAL_ERROR, "the smooth part or its gradient is not finite "
                        "at the extrapolated point")
        if options.backtracking:
            z, fz, L, _, ok = lipschitz_backtracking(f.fun, prox, y, fy, gy, L)
            if not ok:
                return fail(state, Status.LINE_SEARCH_FAILED, f"no Lipschitz estimate up to L = {L:.3g} "
                            "gave a finite value below the quadratic bound")
        else:
            z = prox(y - gy / L, 1.0 / L)
            fz = f.fun(z)
        Fz = fz + prox.value(z)
        optimality = L * float(np.max(np.abs(y - z), initial=0.0))
        t, y_new = 1.0, z
        if options.accelerated:
            restart = (options.restart == "function" and Fz > state.fun) or \
                      (options.restart == "gradient" and float((y - z) @ (z - state.x)) > 0.0)
            if not restart:
                t = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * state.t ** 2))
                y_new = z + ((state.t - 1.0) / t) * (z - state.x)
        ref = optimality if state.ref is None else state.ref
        new = ProxGradState(x=z, fun=Fz, y=y_new, t=t, L=L, ref=ref,
                            metrics={"optimality": optimality, "step_size": 1.0 / L})
        if small_relative(optimality, ref, options.gtol):
            new.status = Status.CONVERGED
        return new
