r"""Exact augmented Lagrangian with randomized iterative sketching (``method="eal"``).

Solves ``min f(x) s.t. c(x) = 0`` by the adaptive inexact Newton method of Hong, Na,
Mahoney & Kolar (2023). At ``(x_k, lam_k)``, with ``G = c'(x_k)`` and ``H`` the Hessian of
the Lagrangian ``L = f + lam^T c``:

1. **LICQ check**: ``xi_G = lambda_min(G G^T)``; below ``licq_tol`` (``1e-2``, the reference's)
   the run stops with ``Status.SINGULAR`` (``licq="stop"``, the reference) or, with
   ``licq="regularize"`` (the default of the adaptive fidelity), the KKT matrix below gets the
   block ``-rho I`` (``rho = licq_reg``) in place of ``0`` -- the dual regularization of SQP and
   interior-point codes (IPOPT's ``delta_c``) -- and the constants use ``xi_G = licq_tol``. This is
   an extension outside the paper's analysis (which assumes LICQ); a run that converges still
   ends only on the KKT test below, so the status stays a certificate. ``xi_G`` is exact
   (``eigvalsh``) for ``m <= 200``; beyond, a factorization of ``G G^T`` and Lanczos, or -- with
   ``preconditioner="schur"`` and a sparse ``G`` -- LOBPCG preconditioned by the Schur factor that
   MINRES uses (:func:`~numopt.solvers.eal.kkt.licq_eigmin_precond`); cached while ``G`` is
   unchanged.
2. **Hessian modification**: ``B = H + (xi_B + ||H||) I`` if the reduced Hessian
   ``Z^T H Z`` has an eigenvalue below ``reduced_hess_tol``, else ``B = H``.
3. **Constants** (reference code): ``Psi = 20 max(||B||^2, 1) / (min(xi_G, 1) min(xi_B, 1))``,
   ``Upsilon = max(||G||, ||H||, 1)``,
   ``delta_trial(eta) = (1/2 - beta) eta2 / ((1 + eta1 + eta2) Upsilon^2 Psi^2)`` and
   ``delta <- max(min(delta, delta_trial), delta_min)``. Norms are Frobenius norms on the
   matrix path (as the reference's Julia ``norm``) and Lanczos estimates of ``||.||_2`` on the
   matrix-free path.
4. **Inexact Newton step**: the KKT system ``K z = -grad L`` with
   ``K = [[B, G^T], [G, 0]]`` is solved by a randomized sketch or a Krylov method
   (:mod:`~numopt.solvers.eal.sketches`) from ``z = 0`` until the inner test holds or
   ``max_inner`` steps are spent. ``theta_k = 1`` (``mode="linear"``, the reference) or
   ``theta_k = min(1, ||grad L_k||)`` (``mode="superlinear"``, the paper's sharpened test).
   The Krylov solvers take an SPD block-diagonal preconditioner (``preconditioner="schur"``:
   ``diag(|B_ii|)`` and the factorized ``G diag(|B_ii|)^{-1} G^T + rho I``; ``"jacobi"``; see
   :mod:`~numopt.solvers.eal.precond`), refreshed only when ``B``'s diagonal, ``G`` or ``rho``
   change; the inner test stays on the unpreconditioned residual ``||K z + grad L||_2``.

   * ``fidelity="reference"``: the paper's adaptive accuracy condition exactly as the reference
     code evaluates it, ``||K|| Psi ||K z + grad L|| <= theta_k delta ||grad L||``. With the
     theoretical ``Psi`` (``1e2``-``1e6``) and ``delta`` at its floor ``1e-6`` this asks for a
     relative residual of about ``1e-9``-``1e-12``.
   * ``fidelity="adaptive"`` (default): ``||K z + grad L|| <= max(kappa theta_k ||grad L||,
     tol_ref)``, ``tol_ref`` the reference's right-hand side above, ``kappa_0 = inner_rtol = 0.1``
     (the inner tolerance ``kappa ||b||``, ``kappa = 0.1``, of the reference code's adaptive
     GMRES-l1-SQP baseline). Whenever the descent test of step 5 fails, ``kappa <- kappa / nu^4``
     (the factor by which the reference shrinks ``delta`` at a penalty update) and the inner
     solve continues; ``kappa`` never grows. The analysis uses the accuracy condition only to
     guarantee the descent inequality of step 5 -- which is tested explicitly -- and ``theta_k``
     for the rate, so each failure moves the test toward the reference one, which it reaches
     after finitely many failures (from then on the iteration is the reference's). This is an
     Eisenstat-Walker-type forcing term ``kappa theta_k`` (inexact Newton), not the paper's
     constant; it is what makes early iterations cheap.
5. **Descent test** on the merit :mod:`~numopt.solvers.eal.merit`: if
   ``grad L_eta^T z > -eta2/2 ||grad L||^2`` then ``eta1 <- nu^2 eta1``,
   ``eta2 <- eta2/nu``, ``delta <- max(min(delta/nu^4, delta_trial), delta_min)`` and the
   *same* inner solve continues from its current ``z`` (steps 4-5 repeat). Penalty updates
   stop once ``eta1 > eta1_max`` or ``eta2 < eta2_min`` (the reference's safeguard).
6. **Armijo** backtracking (halving) on the merit from ``alpha = 1`` with constant
   ``beta`` (:class:`numopt.linesearch.Armijo`), then ``(x, lam) += alpha z``. In the adaptive
   fidelity only, when the predicted decrease ``-beta grad L_eta^T z`` is below the rounding level
   ``10 eps max(1, |L_eta|)`` of the merit, the unit step is taken if it reduces the KKT residual
   (metric ``rounding_step``); Armijo cannot resolve such decreases.

Data paths (``kkt`` option): ``"matrix"`` builds ``K`` as a sparse CSR matrix (``H`` from the
problem's ``hess_lag`` when it has one, which may be sparse, else from ``n`` Hessian-vector
products); ``"operator"`` never forms ``K`` (a ``LinearOperator`` from ``hessp_lag`` and the
-- dense or sparse -- Jacobian; Krylov solvers only, as a sketch needs the rows of ``K``).

It stops when ``||grad L(x, lam)||_2 = ||(grad_x L, c)||_2 <= gtol`` (absolute, as the
reference and its published iteration counts; ``gtol`` is in the units of ``grad L``).
Non-finite objective, gradient, constraints, Jacobian or Hessian end the run with
``NUMERICAL_ERROR`` at the last finite point; an exhausted inner solve with no descent ends
with ``INNER_MAXITER``, a failed backtracking with ``LINE_SEARCH_FAILED``; ``maxtime`` is
checked between the sketch batches of the inner solve (overshoot: one batch, at most
65,536 row steps, plus one line search).

References
----------
S. C. Eisenstat, H. F. Walker. "Choosing the forcing terms in an inexact Newton method."
SIAM J. Sci. Comput. 17 (1996) 16-32.
C. C. Paige, M. A. Saunders. "Solution of sparse indefinite systems of linear equations."
SIAM J. Numer. Anal. 12 (1975) 617-629 (MINRES).
I. Hong, S. Na, M. W. Mahoney, M. Kolar. "Constrained Optimization via Exact Augmented
Lagrangian and Randomized Iterative Sketching." ICML 2023 (PMLR 202, 13174-13198).
Reference code: github.com/IlgeeHong/AdaSketch-Newton (defaults reproduced here).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...driver import Solver, SolverState, fail, past
from ...linesearch import Armijo
from ...options import DriverOptions, opt
from ...registry import register
from ...result import Status
from ...stopping import small_relative
from .kkt import (fro_norm, hessian_operator, kkt_matrix, kkt_operator, lagrangian_hessian, licq_eigmin,
                  licq_eigmin_precond, reduced_hessian_min, sym_norm_estimate)
from .merit import KKTPoint, curvature_term, evaluate, merit_gradient, merit_value
from .precond import PRECONDITIONERS, block_diagonal, matrix_signature, same_matrix
from .sketches import Krylov, Sketch, get_sketch

__all__ = ["EAL", "EALOptions", "EALState"]

_EPS = np.finfo(float).eps


@dataclass
class EALOptions(DriverOptions):
    """Options of ``method="eal"`` (defaults: the reference code's ``Param.jl``)."""

    maxiter: int = opt(10000, "Maximum number of outer (Newton) iterations.", kind=int)
    gtol: float = opt(1e-4, "Stop when the KKT residual ||(grad_x L, c)||_2 <= gtol.", kind=(int, float))
    eta1: float = opt(1.0, "Initial penalty on ||c||^2 (non-decreasing).", kind=(int, float))
    eta2: float = opt(0.1, "Initial weight of ||grad_x L||^2 (non-increasing).", kind=(int, float))
    delta: float = opt(0.1, "Initial accuracy parameter of the inner solve (non-increasing).", kind=(int, float))
    xi_B: float = opt(0.1, "Hessian-modification shift constant xi_B.", kind=(int, float))
    beta: float = opt(0.1, "Armijo constant, in (0, 1/2).", kind=(int, float))
    nu: float = opt(1.5, "Penalty update factor (> 1).", kind=(int, float))
    fidelity: str = opt("adaptive", "'adaptive': the inner solve stops at ||K z + grad L|| <= kappa theta_k "
                         "||grad L|| (kappa = inner_rtol, tightened with every penalty update, never "
                         "below the reference test); 'reference': the paper's theoretical test "
                         "||K|| Psi ||K z + grad L|| <= theta_k delta ||grad L|| (the reference code), with "
                         "LICQ failures stopping SINGULAR.", kind=str)
    inner_rtol: float = opt(0.1, "Initial kappa of the adaptive inner test (fidelity='adaptive').",
                            kind=(int, float))
    sketch: object = opt("kaczmarz", "Inner solver: 'kaczmarz' ('rk', uniform rows, the reference), "
                         "'kaczmarz-rownorm', 'gaussian' ('gv'), 'block-kaczmarz', 'block-gaussian', "
                         "the Krylov baselines 'minres' and 'gmres', "
                         "or a numopt.solvers.eal.sketches.Sketch instance.")
    kkt: str = opt("auto", "KKT data path: 'matrix' (sparse CSR K; H from hess_lag, else from n "
                   "Hessian-vector products), 'operator' (matrix-free K from hessp_lag and the "
                   "Jacobian; Krylov solvers only), 'auto' (operator when the solver is Krylov, "
                   "the problem has no hess_lag and n > 500; else matrix).", kind=str)
    preconditioner: str = opt("none", "SPD block-diagonal preconditioner of the Krylov inner solvers "
                              "(numopt.solvers.eal.precond): 'none', 'jacobi' (diag(|B_ii|) and the "
                              "diagonal of G D^-1 G^T + rho I) or 'schur' (diag(|B_ii|) and G D^-1 G^T + "
                              "rho I factorized, refreshed only when D, G or rho change).", kind=str)
    block_size: int = opt(4, "Rows per block for the block sketches.", kind=int)
    max_inner: int = opt(100000, "Cap on sketch steps per inner solve (restarted after a penalty update).",
                         kind=int)
    mode: str = opt("linear", "'linear' (theta_k = 1, the reference) or 'superlinear' "
                    "(theta_k = min(1, ||grad L_k||)).", kind=str)
    merit_hessian: str = opt("lagrangian", "Hessian in the merit gradient's eta2 term: 'lagrangian' "
                             "(exact) or 'objective' (the reference code's variant).", kind=str)
    lam0: object = opt(None, "Initial multipliers (default: the problem's ``y0`` attribute if it has "
                       "one, else zeros).")
    licq_tol: float = opt(1e-2, "LICQ threshold on lambda_min(G G^T) (the reference's).", kind=(int, float))
    licq: str = opt("auto", "When lambda_min(G G^T) < licq_tol: 'stop' (Status.SINGULAR, the reference), "
                    "'regularize' (solve [[B, G^T], [G, -rho I]] with rho = licq_reg), 'auto' "
                    "(regularize in fidelity='adaptive', stop in 'reference').", kind=str)
    licq_reg: float = opt(1e-2, "rho of the regularized KKT system (licq='regularize').", kind=(int, float))
    reduced_hess_tol: float = opt(1e-6, "Modify the Hessian when lambda_min(Z^T H Z) < this.",
                                  kind=(int, float))
    delta_min: float = opt(1e-6, "Floor on delta (the reference's numerical safeguard).", kind=(int, float))
    eta1_max: float = opt(1e8, "No penalty update once eta1 exceeds this.", kind=(int, float))
    eta2_min: float = opt(1e-8, "No penalty update once eta2 falls below this.", kind=(int, float))
    max_backtrack: int = opt(60, "Maximum Armijo halvings.", kind=int)
    rng: object = opt(None, "Seed or numpy.random.Generator for the sketches.")

    def validate(self):
        for name in ("gtol", "eta1", "eta2", "delta", "xi_B", "delta_min", "licq_tol", "inner_rtol", "licq_reg"):
            if not getattr(self, name) > 0:
                raise ValueError(f"option {name!r} of method 'eal' must be > 0, got {getattr(self, name)!r}")
        if not 0 < self.beta < 0.5:
            raise ValueError(f"option 'beta' of method 'eal' must be in (0, 0.5), got {self.beta!r}")
        if not self.nu > 1:
            raise ValueError(f"option 'nu' of method 'eal' must be > 1, got {self.nu!r}")
        if self.mode not in ("linear", "superlinear"):
            raise ValueError(f"option 'mode' of method 'eal' must be 'linear' or 'superlinear', got {self.mode!r}")
        for name, valid in (("fidelity", ("adaptive", "reference")), ("kkt", ("auto", "matrix", "operator")),
                            ("licq", ("auto", "stop", "regularize")), ("preconditioner", PRECONDITIONERS)):
            if getattr(self, name) not in valid:
                raise ValueError(f"option {name!r} of method 'eal' must be one of {', '.join(map(repr, valid))}, "
                                 f"got {getattr(self, name)!r}")
        if self.merit_hessian not in ("lagrangian", "objective"):
            raise ValueError("option 'merit_hessian' of method 'eal' must be 'lagrangian' or 'objective', "
                             f"got {self.merit_hessian!r}")
        for name in ("max_inner", "block_size", "max_backtrack"):
            if getattr(self, name) < 1:
                raise ValueError(f"option {name!r} of method 'eal' must be >= 1, got {getattr(self, name)!r}")
        self.sketch = get_sketch(self.sketch, self.block_size)
        if self.preconditioner != "none" and not isinstance(self.sketch, Krylov):
            raise ValueError(f"option preconditioner={self.preconditioner!r} of method 'eal' needs a Krylov inner "
                             f"solver (sketch='minres' or 'gmres'), got sketch={self.sketch.name!r}")
        if self.rng is not None and not isinstance(self.rng, (int, np.integer, np.random.Generator)):
            raise TypeError(f"option 'rng' of method 'eal' expects an int, a numpy Generator or None, "
                            f"got {type(self.rng).__name__}")


@dataclass
class EALState(SolverState):
    point: KKTPoint = None
    eta1: float = 1.0
    eta2: float = 0.1
    delta: float = 0.1
    xi_G: float = np.inf
    kappa: float = 0.1
    rng: np.random.Generator = None
    inner_total: int = 0
    precond_cache: dict = None
    licq_cache: tuple = None


def _nonfinite(p: KKTPoint) -> str:
    """Name of the first non-finite quantity at ``p`` ('' when all are finite)."""
    G = p.G.data if sp.issparse(p.G) else p.G
    for name, v in (("objective", p.f), ("gradient of the Lagrangian", p.gL), ("constraints", p.c),
                    ("constraint Jacobian", G)):
        if not np.all(np.isfinite(v)):
            return name
    return ""


def _licq_policy(options) -> str:
    if options.licq != "auto":
        return options.licq
    return "regularize" if options.fidelity == "adaptive" else "stop"


def _use_operator(problem, n, sketch, options) -> bool:
    if options.kkt != "auto":
        return options.kkt == "operator"
    return isinstance(sketch, Krylov) and not callable(getattr(problem, "hess_lag", None)) and n > 500


def _licq_shares_schur(G, options) -> bool:
    """Whether the LICQ check is done in step() through the Schur preconditioner's factorization."""
    return options.preconditioner == "schur" and sp.issparse(G) and G.shape[0] > 200


def _b_diag(H, shift):
    """The diagonal of ``B = H + shift I`` (dense or sparse ``H``)."""
    return (H.diagonal() if sp.issparse(H) else np.diag(H)) + shift


def _metrics(p: KKTPoint, **more) -> dict:
    cv = float(np.max(np.abs(p.c), initial=0.0))
    return {"kkt_residual": p.kkt, "constr_violation": cv, **more}


@register("eal", family="eal", options=EALOptions, aliases=("adasketch", "adasketch-newton"),
          requires={"grad", "cons", "jac", "hessp_lag"}, supports={"eq_constraints"},
          tol_options=("gtol",), auto_rank=None)
class EAL(Solver):
    """Exact augmented Lagrangian Newton method with randomized iterative sketching (Hong et al. 2023)."""

    def init(self, problem, x0, options):
        x = np.array(x0, dtype=float)
        m = int(problem.m_eq)
        lam0 = options.lam0
        for attr in ("y0", "lam0"):         # the problem's own starting multipliers (CUTEst: y0)
            if lam0 is None:
                lam0 = getattr(problem, attr, None)
        if lam0 is None:
            lam = np.zeros(m)
        else:
            lam = np.array(lam0, dtype=float).reshape(-1)
            if lam.shape != (m,) or not np.all(np.isfinite(lam)):
                raise ValueError(f"option 'lam0' of method 'eal' must be a finite vector of length {m} "
                                 f"(one per equality constraint), got shape {lam.shape}")
        p = evaluate(problem, x, lam)
        if options.kkt == "operator" and not isinstance(options.sketch, Krylov):
            raise ValueError("option kkt='operator' of method 'eal' needs a Krylov inner solver "
                             f"(sketch='minres' or 'gmres'), got sketch={options.sketch.name!r}")
        state = EALState(x=x, fun=p.f, point=p, eta1=float(options.eta1), eta2=float(options.eta2),
                         delta=float(options.delta), kappa=float(options.inner_rtol),
                         rng=np.random.default_rng(options.rng), precond_cache={},
                         metrics=_metrics(p, eta1=float(options.eta1), eta2=float(options.eta2),
                                          delta=float(options.delta), alpha=np.nan, slope=np.nan,
                                          descent_bound=np.nan, merit=np.nan, merit_new=np.nan,
                                          inner_steps=0, penalty_updates=0, theta=np.nan, modified=0,
                                          kappa=float(options.inner_rtol), inner_tol=np.nan, regularized=0,
                                          rounding_step=0, precond_refresh=0))
        self._check_point(state, options)
        return state

    def _check_point(self, state, options):
        """Finiteness, then convergence (as the reference), then LICQ at the current point."""
        p = state.point
        bad = _nonfinite(p)
        if bad:
            fail(state, Status.NUMERICAL_ERROR, f"non-finite {bad} at the current point")
            return
        if small_relative(p.kkt, 1.0, options.gtol):    # absolute (reference scale 1), as the reference
            state.status = Status.CONVERGED
            return
        if state.licq_cache is not None and same_matrix(state.licq_cache[0], p.G):
            state.xi_G = state.licq_cache[1]          # linear constraints: G, hence xi_G, unchanged
        elif _licq_shares_schur(p.G, options):
            state.xi_G = np.nan                       # computed in step() through the Schur factorization
        else:
            state.xi_G = licq_eigmin(p.G)
            state.licq_cache = (matrix_signature(p.G), state.xi_G)
        if state.xi_G < options.licq_tol and _licq_policy(options) == "stop":
            state.status = Status.SINGULAR
            state.detail = f"lambda_min(G G^T) = {state.xi_G:.3g} < licq_tol = {options.licq_tol:g}"

    def step(self, problem, state, options):
        p = state.point
        n, m = p.x.size, p.c.size
        eta1, eta2, delta, kappa = state.eta1, state.eta2, state.delta, state.kappa
        xi_G, xi_B, beta, nu = state.xi_G, options.xi_B, options.beta, options.nu
        adaptive = options.fidelity == "adaptive"
        sketch: Sketch = options.sketch
        operator = _use_operator(problem, n, sketch, options)
        if operator:
            H = hessian_operator(problem, p.x, p.lam)
            Hn = sym_norm_estimate(H)
            if not np.isfinite(Hn):
                return fail(state, Status.NUMERICAL_ERROR, "non-finite Hessian-vector products of the Lagrangian")
        else:
            H = lagrangian_hessian(problem, p.x, p.lam)
            if not np.all(np.isfinite(H.data if sp.issparse(H) else H)):
                return fail(state, Status.NUMERICAL_ERROR, "non-finite Hessian of the Lagrangian")
            Hn = fro_norm(H)
        modified = reduced_hessian_min(H, p.G, options.reduced_hess_tol) < options.reduced_hess_tol
        shift = xi_B + Hn if modified else 0.0
        Gn = fro_norm(p.G)
        d, fresh0 = None, False
        if options.preconditioner != "none":
            d = (np.full(n, Hn + shift) if operator else _b_diag(H, shift))
        if np.isnan(xi_G):
            # large sparse G with preconditioner='schur': lambda_min(G G^T) by LOBPCG preconditioned with
            # the Schur factorization G D^-1 G^T that MINRES uses (built here with rho = 0), instead of a
            # second factorization of G G^T; a LOBPCG failure falls back to licq_eigmin
            P0, fresh0 = block_diagonal("schur", d, p.G, 0.0, state.precond_cache)
            xi_G = licq_eigmin_precond(p.G, P0.solve_schur, scale=options.licq_tol)
            if xi_G is None:
                xi_G = licq_eigmin(p.G)
            state.xi_G = xi_G
            state.licq_cache = (matrix_signature(p.G), xi_G)
            if xi_G < options.licq_tol and _licq_policy(options) == "stop":
                return fail(state, Status.SINGULAR, f"lambda_min(G G^T) = {xi_G:.3g} < licq_tol = "
                            f"{options.licq_tol:g}")
        # LICQ failure under licq='regularize': K's (2,2) block becomes -rho I and the constants use
        # xi_G = licq_tol (the threshold the regularized system is treated as meeting)
        rho = float(options.licq_reg) if xi_G < options.licq_tol else 0.0
        xi_eff = max(xi_G, options.licq_tol) if rho > 0 else xi_G
        if operator:
            K = kkt_operator(H, shift, p.G, rho)
            Bn = Hn + shift
            Kn = Bn + Gn + rho                      # >= ||K||_2
        else:
            B = H + shift * (sp.identity(n, format="csr") if sp.issparse(H) else np.eye(n))
            K = kkt_matrix(B, p.G, rho)
            Bn = fro_norm(B)
            Kn = float(np.sqrt(Bn ** 2 + 2.0 * Gn ** 2 + m * rho ** 2))
        precond, refreshed = None, False
        if options.preconditioner != "none":
            precond, refreshed = block_diagonal(options.preconditioner, d, p.G, rho, state.precond_cache)
        psi = 20.0 * max(Bn ** 2, 1.0) / (min(xi_eff, 1.0) * min(xi_B, 1.0))
        ups2 = max(Gn, Hn, 1.0) ** 2

        def delta_trial(e1, e2):
            return (0.5 - beta) * e2 / ((1.0 + e1 + e2) * ups2 * psi ** 2)

        delta = max(min(delta, delta_trial(eta1, eta2)), options.delta_min)
        b = -np.concatenate([p.gL, p.c])
        bn = float(np.linalg.norm(b))
        theta = 1.0 if options.mode == "linear" else min(1.0, bn)
        z = np.zeros(n + m)
        r = -b.copy()
        Hg = curvature_term(problem, p, options.merit_hessian)
        if not np.all(np.isfinite(Hg)):
            return fail(state, Status.NUMERICAL_ERROR, "non-finite Hessian-vector product in the merit gradient")
        inner, updates, cap_hit = 0, 0, False
        while True:
            tol_ref = theta * delta * bn / (Kn * psi)           # the paper's test
            tol_in = max(kappa * theta * bn, tol_ref) if adaptive else tol_ref
            steps, ok = sketch.solve(K, b, z, r, tol_in, options.max_inner, state.rng,
                                     floor=16.0 * _EPS * Kn, deadline=state.deadline, precond=precond)
            inner += steps
            if past(state.deadline):
                return fail(state, Status.MAXTIME, "time limit reached inside the inner sketch solve")
            if not np.all(np.isfinite(z)):
                return fail(state, Status.NUMERICAL_ERROR, "the inner sketch solve diverged")
            cap_hit = cap_hit or not ok
            gM = merit_gradient(p, Hg, eta1, eta2)
            slope = float(gM @ z)
            if slope <= -0.5 * eta2 * bn ** 2:
                break
            can_penalize = eta1 <= options.eta1_max and eta2 >= options.eta2_min
            can_tighten = adaptive and kappa * theta * bn > tol_ref and ok
            if not (can_penalize or can_tighten):
                break
            if can_penalize:
                eta1 *= nu ** 2
                eta2 /= nu
                delta = max(min(delta / nu ** 4, delta_trial(eta1, eta2)), options.delta_min)
                updates += 1
            if adaptive:
                kappa /= nu ** 4                 # the adaptive test tightens with the reference's delta
            continue

        merit0 = merit_value(p, eta1, eta2)
        metrics = dict(eta1=eta1, eta2=eta2, delta=delta, slope=slope, descent_bound=-0.5 * eta2 * bn ** 2,
                       merit=merit0, inner_steps=inner, penalty_updates=updates, theta=theta,
                       modified=int(modified), kappa=kappa, inner_tol=tol_in, regularized=int(rho > 0),
                       precond_refresh=int(refreshed) + int(fresh0))
        why = Status.INNER_MAXITER if cap_hit else Status.LINE_SEARCH_FAILED
        new = EALState(x=p.x, fun=p.f, point=p, eta1=eta1, eta2=eta2, delta=delta, xi_G=xi_G, kappa=kappa,
                       rng=state.rng, inner_total=state.inner_total + inner, precond_cache=state.precond_cache,
                       licq_cache=state.licq_cache)
        if not slope < 0:
            new.metrics = _metrics(p, alpha=0.0, merit_new=merit0, rounding_step=0, **metrics)
            return fail(new, why, f"no descent direction for the merit (slope {slope:.3g})")

        trial = {}

        def phi(v):
            pt = evaluate(problem, v[:n].copy(), v[n:].copy())
            trial["point"] = pt
            return merit_value(pt, eta1, eta2)

        v0 = np.concatenate([p.x, p.lam])
        if adaptive and -beta * slope <= 10.0 * _EPS * max(1.0, abs(merit0)):
            # the predicted decrease is below the rounding level of the merit: Armijo cannot resolve
            # it (HS100LNP at gtol 1e-8, |f| = 680). Take the unit step if it reduces the KKT residual.
            m1 = phi(v0 + z)
            q = trial["point"]
            if np.isfinite(m1) and not _nonfinite(q) and q.kkt < p.kkt:
                new.point, new.x, new.fun = q, q.x, q.f
                new.metrics = _metrics(q, alpha=1.0, merit_new=float(m1), rounding_step=1, **metrics)
                self._check_point(new, options)
                return new
        ls = Armijo(c1=beta, shrink=0.5, maxiter=options.max_backtrack)
        res = ls(phi, v0, z, merit0, gM)
        if not res.success:
            new.metrics = _metrics(p, alpha=0.0, merit_new=merit0, rounding_step=0, **metrics)
            if res.nonfinite == res.nfev:
                return fail(new, Status.NUMERICAL_ERROR, "every trial point of the line search gave a "
                            "non-finite merit (objective, constraints or their derivatives)")
            return fail(new, why, "Armijo backtracking on the merit failed")
        q = trial["point"]
        new.point, new.x, new.fun = q, q.x, q.f
        new.metrics = _metrics(q, alpha=float(res.alpha), merit_new=float(res.fun), rounding_step=0, **metrics)
        self._check_point(new, options)
        return new

    def finalize(self, problem, state, options):
        return {"multipliers": state.point.lam.copy(), "inner_iterations": int(state.inner_total)}
