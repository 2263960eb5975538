r"""Stochastic single-loop penalty method with momentum for finite-sum bilevel programs.

For ``f = (1/N_f) sum_i f_i`` and ``g = (1/N_g) sum_j g_j`` (:class:`numopt.problems.BilevelFiniteSum`)
and a fixed penalty ``sigma``, one iteration draws minibatches ``B_f``, ``B_g`` (without
replacement, size ``batch_size``), forms the three stochastic directions at ``w_k = (x_k, y_k, z_k)``

.. math::
    u_y = \sigma \nabla_y f_{B_f} + \nabla_y g_{B_g}(x, y), \quad
    u_z = \nabla_y g_{B_g}(x, z), \quad
    u_x = \nabla_x f_{B_f}(x, y) + \tfrac1\sigma\big(\nabla_x g_{B_g}(x, y) - \nabla_x g_{B_g}(x, z)\big),

corrects them with STORM-type momentum ``d_k = u(w_k) + (1 - a)(d_{k-1} - u(w_{k-1}))`` (the
same batch at both points) and takes one projected step of each variable:
``y <- Pi_Y(y - beta d_y)``, ``z <- Pi_Y(z - beta d_z)``, ``x <- Pi_X(x - alpha d_x)``.
This is the "fully single-loop" scheme of Kwon, Kwon, Wright, Nowak (ICLR 2024) with constant
steps (the paper's decaying schedules ``c/(k + k0)^{1/3}`` are not implemented).

Every ``check_every`` iterations (default: one epoch of the lower sum) the full-batch
certificates are computed: the penalty hypergradient's gradient mapping at ``(x, y, z)`` and
the inner gradient mappings of ``y`` and ``z``; the run converges when all three are
``<= gtol`` times their values at the start (:func:`numopt.stopping.small_relative`).
``fun`` is ``psi_sigma``'s estimate ``f(x, y) + (g(x, y) - g(x, z))/sigma`` at the last check
(it is not recomputed between checks). Work is in data passes (``npass``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...driver import Solver, SolverState, fail
from ...options import DriverOptions, opt
from ...problems.prox import Zero
from ...registry import register
from ...result import Status
from ...stopping import small_relative
from ._inner import InnerFailure, guard


@dataclass
class SingleLoopOptions(DriverOptions):
    maxiter: int = opt(20000, "Maximum number of (stochastic) iterations.", kind=int)
    gtol: float = opt(1e-3, "Converged when the full-batch outer and inner gradient mappings are <= gtol "
                      "times their values at the start.", kind=(int, float))
    sigma: float = opt(1e-2, "Penalty parameter sigma (fixed).", kind=(int, float))
    batch_size: int = opt(32, "Minibatch size for f and for g (capped at the number of components).", kind=int)
    momentum: float = opt(0.1, "a in d_k = u_k + (1 - a)(d_{k-1} - u_{k-1}); 1 = plain SGD.", kind=(int, float))
    step_y: float | None = opt(None, "Lower step beta (None: 1/(sigma L_fy + L_gy) from the problem's "
                               "constants, else a full-batch secant estimate at the start).", kind=(int, float))
    step_x: float | None = opt(None, "Upper step alpha (None: sigma * step_y, a conservative two-timescale "
                               "choice: the x-direction divides lower errors by sigma).", kind=(int, float))
    check_every: int | None = opt(None, "Iterations between full-batch checks (None: one epoch of g).", kind=int)
    seed: int = opt(0, "Seed of the minibatch sampler.", kind=int)
    y0: object = opt(None, "Starting lower variable (default: the problem's y0); must lie in Y.")

    def validate(self):
        for nm in ("gtol", "sigma", "step_y", "step_x"):
            v = getattr(self, nm)
            if v is not None and not (np.isfinite(v) and v > 0):
                raise ValueError(f"option {nm!r} must be a finite number > 0, got {v!r}")
        if not 0 < self.momentum <= 1:
            raise ValueError(f"option 'momentum' must be in (0, 1], got {self.momentum!r}")
        if self.batch_size < 1:
            raise ValueError(f"option 'batch_size' must be >= 1, got {self.batch_size}")
        if self.check_every is not None and self.check_every < 1:
            raise ValueError(f"option 'check_every' must be >= 1, got {self.check_every}")


@dataclass
class SingleLoopState(SolverState):
    y: np.ndarray = None
    z: np.ndarray = None
    d: tuple = None
    prev: tuple = None
    k: int = 0
    refs: tuple = None
    cert: tuple = None
    aux: dict = None


@register("bilevel-penalty-sl", family="bilevel", options=SingleLoopOptions, aliases=("penalty-single-loop",),
          requires={"bilevel", "finite_sum"}, supports={"bilevel", "lower_constraints"}, tol_options=("gtol",),
          work_unit="passes",
          summary="stochastic single-loop penalty method with momentum for finite-sum bilevel programs")
class BilevelPenaltySingleLoop(Solver):
    """Stochastic single-loop penalty method with STORM momentum (module docstring)."""

    def _directions(self, problem, x, y, z, bf, bg, sigma):
        fx, fy = guard(problem.grad_f_batch, x, y, bf)
        gxy, gyy = guard(problem.grad_g_batch, x, y, bg)
        gxz, gyz = guard(problem.grad_g_batch, x, z, bg)
        return fx + (gxy - gxz) / sigma, sigma * fy + gyy, gyz

    def _certificates(self, problem, x, y, z, options, beta, alpha):
        s = options.sigma
        fx, fy = guard(problem.grad_f, x, y)
        gxy, gyy = guard(problem.grad_g, x, y)
        gxz, gyz = guard(problem.grad_g, x, z)
        projy = problem.y_set if problem.y_set is not None else Zero()
        dx = fx + (gxy - gxz) / s
        Gx = float(np.linalg.norm(x - problem.project_x(x - alpha * dx))) / alpha
        Gy = float(np.linalg.norm(y - projy(y - beta * (s * fy + gyy), 1.0))) / beta
        Gz = float(np.linalg.norm(z - projy(z - beta * gyz, 1.0))) / beta
        fv = guard(problem.f, x, y) + (guard(problem.g, x, y) - guard(problem.g, x, z)) / s
        return (Gx, Gy, Gz), fv

    def _batches(self, problem, options, rng):
        bf = rng.choice(problem.n_components_f, min(options.batch_size, problem.n_components_f), replace=False)
        bg = rng.choice(problem.n_components_g, min(options.batch_size, problem.n_components_g), replace=False)
        return bf, bg

    def init(self, problem, x0, options):
        x = problem.project_x(np.array(x0, dtype=float))
        y = problem.y0.copy() if options.y0 is None else problem.check_y0(options.y0, "option 'y0'")
        rng = np.random.default_rng(options.seed)
        beta = options.step_y
        try:
            if beta is None:
                Lf, Lg = problem.lipschitz_fy, problem.lipschitz_gy
                if Lf is not None and Lg is not None:
                    beta = 1.0 / (options.sigma * Lf + Lg)
                else:
                    from .solver import _secant_curvature
                    hg = lambda w: options.sigma * guard(problem.grad_f, x, w)[1] + guard(problem.grad_g, x, w)[1]
                    beta = 1.0 / (1.5 * _secant_curvature(hg, y, hg(y)))
            alpha = options.step_x if options.step_x is not None else options.sigma * beta
            cert, fv = self._certificates(problem, x, y, y.copy(), options, beta, alpha)
            bf, bg = self._batches(problem, options, rng)
            d = self._directions(problem, x, y, y.copy(), bf, bg, options.sigma)
        except InnerFailure as exc:
            raise ValueError(f"the bilevel oracles failed at the starting point: {exc.detail}") from None
        n_check = options.check_every or max(1, int(np.ceil(problem.n_components_g / options.batch_size)))
        state = SingleLoopState(x=x, fun=fv, y=y, z=y.copy(), d=d, k=0, refs=cert, cert=cert,
                                metrics={"optimality": cert[0], "lower_residual": cert[1]})
        state.aux = {"rng": rng, "beta": float(beta), "alpha": float(alpha), "n_check": n_check}
        if cert[0] == 0.0 and cert[1] == 0.0 and cert[2] == 0.0:
            state.status = Status.CONVERGED
        return state

    def step(self, problem, state, options):
        aux = state.aux
        alpha, beta, a, s = aux["alpha"], aux["beta"], options.momentum, options.sigma
        projy = problem.y_set if problem.y_set is not None else Zero()
        dx, dy, dz = state.d
        x = problem.project_x(state.x - alpha * dx)
        y = projy(state.y - beta * dy, 1.0)
        z = projy(state.z - beta * dz, 1.0)
        if not (np.all(np.isfinite(y)) and np.all(np.isfinite(z))):
            return fail(state, Status.NUMERICAL_ERROR, "non-finite lower iterate (steps too large?)")
        try:
            bf, bg = self._batches(problem, options, aux["rng"])
            new_u = self._directions(problem, x, y, z, bf, bg, s)
            if a < 1:
                old_u = self._directions(problem, state.x, state.y, state.z, bf, bg, s)
                d = tuple(nu + (1.0 - a) * (dp - ou) for nu, dp, ou in zip(new_u, state.d, old_u))
            else:
                d = new_u
            k = state.k + 1
            new = SingleLoopState(x=x, fun=state.fun, y=y, z=z, d=d, k=k, refs=state.refs, cert=state.cert,
                                  metrics=dict(state.metrics))
            new.aux = aux
            if k % aux["n_check"] == 0:
                cert, fv = self._certificates(problem, x, y, z, options, beta, alpha)
                new.cert, new.fun = cert, fv
                new.metrics = {"optimality": cert[0], "lower_residual": cert[1]}
                if all(small_relative(c, r, options.gtol) for c, r in zip(cert, state.refs)):
                    new.status = Status.CONVERGED
        except InnerFailure as exc:
            return fail(state, exc.status, exc.detail)
        return new

    def finalize(self, problem, state, options):
        try:
            cert, fv = self._certificates(problem, state.x, state.y, state.z, options,
                                          state.aux["beta"], state.aux["alpha"])
            gap = guard(problem.g, state.x, state.y) - guard(problem.g, state.x, state.z)
            upper = guard(problem.f, state.x, state.y)
        except InnerFailure:
            cert, gap, upper = (np.nan,) * 3, np.nan, np.nan
        return {"y": np.array(state.y), "z": np.array(state.z), "sigma": float(options.sigma),
                "hypergrad_norm": float(cert[0]), "lower_residual": float(cert[1]), "lower_gap": float(gap),
                "upper_objective": float(upper), "step_x": state.aux["alpha"], "step_y": state.aux["beta"]}
