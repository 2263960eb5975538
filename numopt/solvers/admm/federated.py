r"""``fed-admm``: federated ADMM for weighted least squares with random scheduling and noise.

Problem (:class:`numopt.problems.splitting.FederatedWLS`): ``K`` clients with local
quadratics ``f_k(w) = 1/2 w'A_k w - b_k'w``, ``A_k = 2 X_k' diag(lam_k) X_k``,
``b_k = 2 X_k' diag(lam_k) y_k``; solution ``w* = (sum A_k)^{-1} sum b_k``.

``variant="standard"`` — global-consensus ADMM as a federated protocol (Boyd et al. 2011,
sec. 7.1): a scheduled client receives ``z~`` (the global model plus downlink noise) and
uses it twice, in its dual and in its primal update,

.. math:: u_k \leftarrow u_k + w_k - \tilde z,\qquad w_k \leftarrow (A_k + \rho I)^{-1}(b_k + \rho(\tilde z - u_k)),

and uploads ``w_k + u_k`` (plus uplink noise); the server averages the latest uploads
(``z = mean_k (w_k + u_k)``, Boyd's z-update, exact also under partial participation).
Unscheduled clients idle.

``variant="dual-free"`` — the noise-robust form (reconstructed from the abstract of Lari
et al. 2024; not verified against the paper's text). Eliminating the dual through the
previous primal optimality condition ``rho u_k = b_k + rho z_prev - (A_k + rho I) w_k`` gives
the recursion ``w_k <- (A_k + rho I)^{-1}(A_k w_k + rho (2 z - z_prev))``, in which the
global model enters only through the extrapolation ``v = 2 z - z_prev``. The server forms
``v`` itself (noise-free at the server) and broadcasts that single model; a scheduled client
receives ``v~ = v + noise`` once and updates

.. math:: w_k \leftarrow (A_k + \rho I)^{-1}\big(A_k w_k + \rho \tilde v\big),\qquad
          \hat z_k \leftarrow \tfrac12(\tilde v + \hat z_k),

where ``z^_k`` is the client's running estimate of the global model (``2 z^_new - z^_old = v~``;
on first contact ``w_k = (A_k + rho I)^{-1}(b_k + rho v~)``, ``z^_k = v~``). The client stores
no dual; it uploads ``z^_k + (b_k - A_k w_k)/rho`` (``= w_k + u_k`` with the dual implied by its
last primal optimality condition) plus uplink noise, and the server averages the latest
uploads as in the standard variant. Without noise and with full participation this is
exactly standard ADMM (``z^_k = z``). With downlink noise (full participation) it is standard ADMM driven by
``z^_k = z + e_k``, ``e_k <- (n_k + e_k)/2``: the single received copy is low-pass filtered
(stationary variance ``sigma^2/3`` instead of ``sigma^2``) instead of being used twice, which
lowers the steady-state error (measured in ``docs/admm.md``). Note that averaging the raw
``w_k`` at the server instead (``sum_k u_k = 0`` only holds without noise) makes the error a
random walk: the sum of implied duals then integrates the downlink noise.
With ``continue_updates`` an unscheduled client keeps updating with its last estimate,
``w_k <- (A_k + rho I)^{-1}(A_k w_k + rho z^_k)`` (a local ADMM step with a stale model).

Local matrices ``A_k + rho I`` are Cholesky-factored once. Stopping: primal residual
``(sum_k |w_k - z|^2)^{1/2}`` and dual residual ``rho sqrt(K) |z - z_prev|`` against Boyd's
``eps_abs``/``eps_rel`` tolerances (never met under noise: the run then ends at ``maxiter``).
``res.history['msd']`` (with ``history=True``) is the normalized mean-square deviation
``|z - w*|^2 / |w*|^2``.

Reference: E. Lari, R. Arablouei, V. C. Gogineni, S. Werner, "Noise-robust and
resource-efficient ADMM-based federated learning", arXiv:2409.13451, 2024 (the problem
setting: WLS, random scheduling, additive link noise, dual elimination with a single noisy
global model per iteration, continued local updates). The updates above are reconstructed
from the abstract; not verified against the paper's text.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...driver import Solver, SolverState
from ...options import DriverOptions, opt
from ...problems.splitting import FederatedWLS
from ...registry import register
from ...result import Status
from ...stopping import small_residuals
from ._linalg import dense_spd_solver

__all__ = ["FedADMM", "FedADMMOptions"]


@dataclass
class FedADMMOptions(DriverOptions):
    maxiter: int = opt(1000, "Maximum number of communication rounds.", kind=int)
    rho: float = opt(1.0, "ADMM penalty.", kind=(int, float))
    variant: str = opt("dual-free", "'dual-free' (noise-robust: one extrapolated model per round) or 'standard'.", kind=str)
    schedule_prob: float = opt(1.0, "Probability that a client is scheduled in a round (independently).",
                               kind=(int, float))
    noise_std: float = opt(0.0, "Standard deviation of additive Gaussian noise on the downlink.", kind=(int, float))
    uplink_noise_std: float | None = opt(None, "Uplink noise standard deviation (default: noise_std).",
                                         kind=(int, float))
    continue_updates: bool = opt(True, "dual-free: unscheduled clients keep updating with their last model "
                                 "(fewer rounds without noise; a higher error under noise, see docs/admm.md).",
                                 kind=bool)
    eps_abs: float = opt(1e-10, "Absolute tolerance on the primal and dual residuals.", kind=(int, float))
    eps_rel: float = opt(1e-10, "Relative tolerance on the primal and dual residuals.", kind=(int, float))
    rng: object = opt(None, "Seed or numpy Generator for scheduling and noise.", kind=(int, np.random.Generator))

    def validate(self):
        if self.variant not in ("dual-free", "standard"):
            raise ValueError(f"option 'variant' must be 'dual-free' or 'standard', got {self.variant!r}")
        if not self.rho > 0:
            raise ValueError(f"option 'rho' must be > 0, got {self.rho}")
        if not 0 < self.schedule_prob <= 1:
            raise ValueError(f"option 'schedule_prob' must be in (0, 1], got {self.schedule_prob}")
        for name in ("noise_std", "uplink_noise_std", "eps_abs", "eps_rel"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise ValueError(f"option {name!r} must be >= 0, got {v}")


@dataclass
class FedState(SolverState):
    W: np.ndarray = None          # client models (K, d)
    U: np.ndarray = None          # client scaled duals (standard variant)
    Zrx: np.ndarray = None        # global model each client last used (dual-free: its estimate z^_k)
    started: np.ndarray = None    # client has received a model at least once
    up: np.ndarray = None         # last upload received by the server (K, d)
    has_up: np.ndarray = None
    z_prev: np.ndarray = None


@register("fed-admm", family="admm", options=FedADMMOptions, aliases=("federated-admm",),
          supports={"federated_wls"}, requires={"federated"}, tol_options=("eps_abs", "eps_rel"))
class FedADMM(Solver):
    """Federated ADMM for weighted least squares: scheduling, link noise, dual-free update."""

    def init(self, problem, x0, options):
        if not isinstance(problem, FederatedWLS):
            raise TypeError(f"fed-admm needs a numopt.problems.splitting.FederatedWLS, got {problem!r}")
        rho = float(options.rho)
        self._solve = [dense_spd_solver(Ak + rho * np.eye(problem.n)) for Ak in problem.Ak]
        self._gen = np.random.default_rng(options.rng)
        self._wstar = problem.solution()
        K, d = problem.K, problem.n
        z = np.array(x0, dtype=float)
        return FedState(x=z, fun=problem.fun(z), W=np.zeros((K, d)), U=np.zeros((K, d)),
                        Zrx=np.zeros((K, d)), started=np.zeros(K, bool), up=np.zeros((K, d)),
                        has_up=np.zeros(K, bool), z_prev=z.copy(),
                        metrics={"primal_residual": np.inf, "dual_residual": np.inf, "msd": self._msd(z)})

    def _msd(self, z):
        return float(np.sum((z - self._wstar) ** 2) / max(np.sum(self._wstar ** 2), 1e-300))

    def step(self, problem, state, options):
        gen, rho = self._gen, float(options.rho)
        K, d = problem.K, problem.n
        sd_down = options.noise_std
        sd_up = options.noise_std if options.uplink_noise_std is None else options.uplink_noise_std
        z = state.x
        sched = gen.random(K) < options.schedule_prob
        W, U, Zrx, started = state.W.copy(), state.U.copy(), state.Zrx.copy(), state.started.copy()
        v = 2.0 * z - state.z_prev     # dual-free: the server's extrapolated model, the one broadcast
        for k in range(K):
            Ak, bk, solve = problem.Ak[k], problem.bk[k], self._solve[k]
            if sched[k]:
                received = (z if options.variant == "standard" else v).copy()
                if sd_down > 0:
                    received += sd_down * gen.standard_normal(d)
                if options.variant == "standard":
                    if started[k]:
                        U[k] += W[k] - received
                    W[k] = solve(bk + rho * (received - U[k]))
                    Zrx[k] = received
                elif started[k]:
                    W[k] = solve(Ak @ W[k] + rho * received)
                    Zrx[k] = 0.5 * (received + Zrx[k])
                else:
                    W[k] = solve(bk + rho * received)
                    Zrx[k] = received
                started[k] = True
            elif options.variant == "dual-free" and options.continue_updates and started[k]:
                W[k] = solve(Ak @ W[k] + rho * Zrx[k])
        up, has_up = state.up.copy(), state.has_up.copy()
        noise = sd_up * gen.standard_normal((K, d)) if sd_up > 0 else 0.0
        if options.variant == "standard":
            upload = W + U
        else:   # w_k + u_k with the dual implied by the last primal optimality condition
            upload = Zrx + (np.array(problem.bk) - np.einsum("kij,kj->ki", np.array(problem.Ak), W)) / rho
        up[sched] = (upload + noise)[sched]
        has_up |= sched
        z_new = up[has_up].mean(axis=0) if has_up.any() else z.copy()
        # residuals (Boyd's global consensus, sec. 7.1) and tolerances
        r = float(np.sqrt(np.sum((W - z_new) ** 2)))
        s = rho * np.sqrt(K) * float(np.linalg.norm(z_new - z))
        grad_k = np.array([Ak @ w - bk for Ak, bk, w in zip(problem.Ak, problem.bk, W)])
        eps_abs = np.sqrt(K * d) * options.eps_abs
        r_scale = max(np.linalg.norm(W), np.sqrt(K) * np.linalg.norm(z_new))
        s_scale = float(np.linalg.norm(grad_k))
        new = FedState(x=z_new, fun=problem.fun(z_new), W=W, U=U, Zrx=Zrx, started=started, up=up,
                       has_up=has_up, z_prev=z,
                       metrics={"primal_residual": r, "dual_residual": s, "msd": self._msd(z_new),
                                "scheduled": int(sched.sum())})
        if started.all() and small_residuals(r, s, r_scale, s_scale, eps_abs, options.eps_rel):
            new.status = Status.CONVERGED
        return new

    def finalize(self, problem, state, options):
        return {"client_models": state.W, "wls_solution": self._wstar}
