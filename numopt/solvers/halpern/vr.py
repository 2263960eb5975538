r"""Variance-reduced Halpern iteration for finite sums ``F = (1/N) sum_i F_i``: ``vr-halpern``.

Cai, Alacaoglu, Diakonikolas, "Variance reduced Halpern iteration for finite-sum monotone
inclusions", ICLR 2024. Components are sampled uniformly or, with ``importance=True``, with
probability ``pi_i`` proportional to their Lipschitz constants; ``G_i = F_i / (N pi_i)`` is then
an unbiased estimate of ``F``.

**Algorithm 1** (``variant="cocoercive"``; ``F`` cocoercive in expectation,
``E ||G_i(u) - G_i(v)||^2 <= L <F(u) - F(v), u - v>``): a PAGE-type recursive estimator inside a
one-step Halpern iteration,

.. math::
    \tilde F_k = \begin{cases} F(u_k) & \text{with probability } p_k \\
      \tilde F_{k-1} + \frac1b \sum_{i \in S_k} (G_i(u_k) - G_i(u_{k-1})) & \text{otherwise}\end{cases},
    \qquad u_{k+1} = J_{\eta G}\big(\lambda_k u_0 + (1 - \lambda_k) u_k - \eta \tilde F_k\big),

``lambda_k = 2/(k+4)``, ``b = floor(sqrt N)``, ``p_k = 1`` (``k <= 1``), ``4/(k+4)``
(``k <= sqrt N + 1``), ``4/(sqrt N + 5)`` after; ``eta = 1/L`` by default (the paper's theory).
Uniform samples are drawn without replacement (as the reference), importance samples with.

**Algorithm 2** (``variant="monotone"``; ``F`` monotone and mean-square Lipschitz with ``L_Q``):
inexact Halpern on the resolvent,
``u_{k+1} = lambda_k u_0 + (1 - lambda_k) J~_k``, ``lambda_k = 1/(k+2)``, where ``J~_k`` approximates
``J_{eta(F+G)}(u_k)`` by ``M_k = ceil(inner_factor N ln(k+2))`` steps of the loopless
variance-reduced forward-reflected-backward method (Alacaoglu & Malitsky 2022) on the
1-strongly monotone ``0 in eta F(v) + v - u_k + eta G(v)``, with refresh probability
``p = 1/N``, ``alpha = 1 - p``, the paper's resolvent step ``eta = sqrt(N) / L_Q`` and the safe
inner step ``gamma = sqrt(p(1-p)) / (eta L_Q + 1)``
(the reference's factor 5 diverges on unconstrained bilinear games). The inner loop is one
compiled kernel per outer iteration (resolvents: ``Zero``, ``Box``, ``Simplex`` and products).

Work: one component ``F_i`` costs ``1/N`` pass, a difference ``G_i(u) - G_i(v)`` two (the
paper's count), a full ``F`` one; ``res.npass`` and ``res.epochs`` report them. Stopping and
``res.residual``: the certified residual of :mod:`._common` (reference scale: its value at
``x0``) every ``check_every`` passes, plus the duality gap for games.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...driver import Solver, fail
from ...options import opt
from ...registry import register
from ...result import Status
from ...work import add_passes
from ._common import (InclusionOptions, InclusionState, check_rng, finalize_state, init_state,
                      kernel_operator, kernel_resolvent, maybe_certify, passes)


@dataclass
class VRHalpernOptions(InclusionOptions):
    maxiter: int = opt(1000000, "Maximum number of (outer) iterations.", kind=int)
    variant: str = opt("auto", "'cocoercive' (Algorithm 1), 'monotone' (Algorithm 2) or 'auto' "
                       "(Algorithm 1 when the problem declares F cocoercive).", kind=str)
    importance: bool = opt(False, "Sample components with probability proportional to their Lipschitz "
                           "constants (False: uniformly, as the reference code).", kind=bool)
    rng: object = opt(None, "Seed or numpy Generator of the sampling.", kind=None)
    batch_size: int | None = opt(None, "Algorithm 1: minibatch b (default floor(sqrt N)).", kind=int)
    refresh_prob: float | None = opt(None, "Algorithm 2: probability p of a full refresh in the inner "
                                     "loop (default 1/N).", kind=(int, float))
    inner_step: float | None = opt(None, "Algorithm 2: inner step gamma (default sqrt(p(1-p)) / (eta L_Q + 1)).",
                                   kind=(int, float))
    inner_factor: float = opt(1.0, "Algorithm 2: M_k = ceil(inner_factor * N * ln(k + 2)) inner steps.",
                              kind=(int, float))
    restart: str = opt("none", "'adaptive': restart the anchor (u_0 <- u_k, k <- 0) at a certification whose "
                       "residual is <= restart_factor times the one at the last restart; 'none': the paper's "
                       "plain iteration.", kind=str)
    restart_factor: float = opt(0.5, "restart='adaptive': the residual decay that triggers a restart.",
                                kind=(int, float))
    block_passes: float = opt(2.0, "Algorithm 1: data passes per compiled block of iterations (one driver "
                              "step; blocks also end at each certification). The callback and maxiter see "
                              "blocks.", kind=(int, float))

    def validate(self):
        super().validate()
        if self.variant not in ("auto", "cocoercive", "monotone"):
            raise ValueError(f"option 'variant' must be 'auto', 'cocoercive' or 'monotone', got {self.variant!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"option 'batch_size' must be >= 1, got {self.batch_size}")
        if self.refresh_prob is not None and not 0 < self.refresh_prob <= 1:
            raise ValueError(f"option 'refresh_prob' must be in (0, 1], got {self.refresh_prob}")
        if self.inner_step is not None and not (np.isfinite(self.inner_step) and self.inner_step > 0):
            raise ValueError(f"option 'inner_step' must be > 0, got {self.inner_step}")
        if not (np.isfinite(self.inner_factor) and self.inner_factor > 0):
            raise ValueError(f"option 'inner_factor' must be > 0, got {self.inner_factor}")
        if self.restart not in ("none", "adaptive"):
            raise ValueError(f"option 'restart' must be 'none' or 'adaptive', got {self.restart!r}")
        if not 0 < self.restart_factor < 1:
            raise ValueError(f"option 'restart_factor' must be in (0, 1), got {self.restart_factor}")
        if not (self.block_passes > 0):
            raise ValueError(f"option 'block_passes' must be > 0, got {self.block_passes}")
        check_rng(self.rng, "vr-halpern")


@dataclass
class VRState(InclusionState):
    variant: str = "cocoercive"
    eta: float = 1.0
    Ft: np.ndarray = None         # Algorithm 1: the recursive estimator
    u_prev: np.ndarray = None
    inner: tuple = ()             # constants (rng, probs, op, ...)
    r_anchor: float = np.inf      # certified residual at the last (re)start
    restarts: int = 0
    iterations: int = 0           # Algorithm 1: Halpern iterations (several per driver step)


@register("vr-halpern", family="monotone inclusions", options=VRHalpernOptions,
          requires={"operator", "resolvent", "linear_components"}, supports={"monotone_inclusion"},
          tol_options=("rtol",), work_unit="passes",
          summary="variance-reduced Halpern for finite sums (Cai, Alacaoglu, Diakonikolas, ICLR 2024): "
                  "Alg. 1 (cocoercive, PAGE) and Alg. 2 (monotone, VR-FoRB inner solver)")
class VRHalpern(Solver):
    """Variance-reduced Halpern iteration (see the module docstring)."""

    def init(self, problem, x0, options):
        variant = options.variant
        if variant == "auto":
            variant = "cocoercive" if problem.cocoercive else "monotone"
        if variant == "cocoercive" and not problem.cocoercive:
            raise ValueError(f"vr-halpern variant='cocoercive' (Algorithm 1) needs a cocoercive F, but "
                             f"{problem!r} declares F only monotone and Lipschitz (e.g. a bilinear game, whose "
                             "operator is skew): Algorithm 1 has no guarantee there and can stall. Use "
                             "variant='monotone' (Algorithm 2) or 'auto'.")
        rng = check_rng(options.rng, "vr-halpern")
        N = problem.n_components
        probs = problem.sampling_probabilities(options.importance)
        op = kernel_operator(problem, probs)
        if variant == "cocoercive":
            L = problem.expected_cocoercivity(probs)
            eta = options.step if options.step is not None else 1.0 / L
            b = options.batch_size or max(1, int(math.isqrt(N)))
            b = min(b, N)
            try:        # the compiled block needs a box / simplex resolvent; else one Python step per iteration
                res = kernel_resolvent(problem.resolvent, problem.n, "vr-halpern")
            except ValueError:
                res = None
            perm = np.arange(N, dtype=np.int64)          # the Fisher-Yates permutation, kept across blocks
            # a dense BoxLeastSquares: full passes by BLAS (the CSR loop is ~5x slower at N = 1e4, d = 20)
            from ...problems.inclusion import BoxLeastSquares
            Xd = (np.ascontiguousarray(problem.X, dtype=float)
                  if isinstance(problem, BoxLeastSquares) and isinstance(problem.X, np.ndarray) else np.empty((0, 0)))
            inner = (rng, probs, op, b, L, res, perm, np.cumsum(probs), Xd)
        else:
            res = kernel_resolvent(problem.resolvent, problem.n, "vr-halpern")
            LQ = problem.mean_square_lipschitz(probs)
            # the paper's resolvent step eta = sqrt(N) / L_Q (the reference's c = sqrt(n) / ||A||_F):
            # it balances the outer Halpern rate O(1/(eta k)) against the inner cost ~ N + sqrt(N) eta L_Q
            eta = options.step if options.step is not None else math.sqrt(N) / LQ
            p = options.refresh_prob if options.refresh_prob is not None else 1.0 / N
            gamma = options.inner_step if options.inner_step is not None else \
                math.sqrt(p * (1.0 - p)) / (eta * LQ + 1.0) if p < 1 else 1.0 / (eta * LQ + 1.0)
            inner = (rng, probs, op, res, p, gamma, LQ)
        st = init_state(problem, x0, options, VRState, variant=variant, eta=eta, inner=inner)
        st.u_prev = st.u.copy()
        st.r_anchor = st.r0
        return st

    def step(self, problem, state, options):
        new = VRState(x=state.x, fun=state.fun, u=None, anchor=state.anchor, r0=state.r0,
                      residual=state.residual, certified_u=state.certified_u, passes0=state.passes0,
                      next_check=state.next_check, k=state.k + 1, variant=state.variant, eta=state.eta,
                      inner=state.inner, r_anchor=state.r_anchor, restarts=state.restarts,
                      iterations=state.iterations + 1)
        if state.variant == "cocoercive":
            if state.inner[5] is not None:
                if not self._page_block(problem, state, new, options):
                    return fail(state, Status.NUMERICAL_ERROR, "the PAGE iteration produced a non-finite point")
            else:
                self._page_step(problem, state, new)
            maybe_certify(problem, new, options)
        else:
            v = self._forb_step(problem, state, new, options.inner_factor)
            maybe_certify(problem, new, options)
            # ||u_k - J~_k|| / eta estimates the Yosida residual (a computable inner-accuracy check)
            new.metrics["yosida_residual"] = float(np.linalg.norm(state.u - v) / state.eta)
        if (options.restart == "adaptive" and new.status is None and new.certified_u is new.u
                and new.residual <= options.restart_factor * state.r_anchor):
            # restart at the certified point: a new anchor, the counter and the estimator start over
            new.anchor, new.u, new.k, new.Ft = new.x.copy(), new.x.copy(), 0, None
            new.u_prev, new.certified_u = new.u.copy(), new.u
            new.r_anchor, new.restarts = new.residual, state.restarts + 1
        new.metrics["restarts"] = new.restarts
        return new

    @staticmethod
    def _page_block(problem, state, new, options):
        """Algorithm 1 up to the next certification (at most ``block_passes``) in one compiled kernel.

        The random numbers of the block are drawn here from the run's Generator (a fixed number per
        block, so a seed fixes the run); the kernel returns the work, counted exactly."""
        from ._kernels import page_block
        rng, probs, op, b, _, res, perm, cdf, Xd = state.inner
        N = problem.n_components
        now = passes(problem)
        budget = min(options.block_passes, state.next_check - now, options.max_passes - (now - state.passes0))
        budget = max(budget, 1e-12)                   # at least one iteration
        part = 2.0 * b / N
        max_iters = int(math.ceil(budget / min(1.0, part))) + 1
        coins = rng.random(max_iters)
        samples = rng.random(max_iters * b)
        u, u_prev = state.u.copy(), state.u_prev.copy()
        Ft = np.zeros_like(u) if state.Ft is None else state.Ft.copy()
        it, k, nfull, npart, ok = page_block(op, res, u, u_prev, Ft, state.anchor, float(state.eta), int(state.k),
                                             int(b), float(budget), int(max_iters), coins, samples, perm, cdf,
                                             bool(options_importance(state)), Xd)
        problem._count("njev", int(nfull))
        add_passes(problem, nfull + npart * part)
        new.u, new.u_prev, new.Ft, new.k = u, u_prev, Ft, int(k)
        new.iterations = state.iterations + int(it)
        new.metrics["block_iterations"] = int(it)
        return bool(ok)

    @staticmethod
    def _page_step(problem, state, new):
        from ._kernels import add_component_diffs
        rng, probs, op, b = state.inner[:4]
        k, N, u = state.k, problem.n_components, state.u
        lam = 2.0 / (k + 4)
        sq = math.sqrt(N)
        pk = 1.0 if k <= 1 else (4.0 / (k + 4) if k <= sq + 1 else 4.0 / (sq + 5))
        if state.Ft is None or rng.random() < pk:
            Ft = problem.F(u)
        else:
            if options_importance(state):
                idx = rng.choice(N, size=b, replace=True, p=probs)
            else:
                idx = rng.choice(N, size=b, replace=False)
            Ft = state.Ft.copy()
            add_component_diffs(op, idx.astype(np.int64), 1.0 / b, u - state.u_prev, Ft)
            add_passes(problem, 2.0 * b / N)
        u_new = problem.resolve(lam * state.anchor + (1.0 - lam) * u - state.eta * Ft, state.eta)
        new.u, new.u_prev, new.Ft = u_new, u, Ft

    @staticmethod
    def _forb_step(problem, state, new, inner_factor):
        from ._kernels import forb_inner
        rng, probs, op, res, p, gamma, _ = state.inner
        k, N, u = state.k, problem.n_components, state.u
        M = max(1, math.ceil(inner_factor * N * math.log(k + 2)))
        if options_importance(state):
            idx = rng.choice(N, size=M, replace=True, p=probs)
        else:
            idx = rng.integers(0, N, size=M)
        coins = rng.random(M) < p
        v = np.empty_like(u)
        ncomp, nfull = forb_inner(op, res, u, state.eta, gamma, 1.0 - p, idx.astype(np.int64), coins, v)
        problem._count("njev", int(nfull))
        add_passes(problem, ncomp / N + nfull)
        lam = 1.0 / (k + 2)
        new.u = lam * state.anchor + (1.0 - lam) * v
        return v

    def finalize(self, problem, state, options):
        return {**finalize_state(problem, state), "variant": state.variant, "restarts": state.restarts,
                "iterations": state.iterations}


def options_importance(state) -> bool:
    """Whether the sampling is non-uniform (importance sampling)."""
    probs = state.inner[1]
    return bool(probs.max() > probs.min())
