r"""Sinkhorn-Newton-Sparse (method ``sns``; Tang, Shavlovsky, Rahmanian, Tardini, Thekumparampil,
Xiao, Ying, "Accelerating Sinkhorn algorithm with sparse Newton iterations", ICLR 2024).

Stage 1 runs stabilized Sinkhorn sweeps (at least ``warmup``, then until the marginal error is
below ``switch_tol`` or ``warmup_max`` sweeps); when Sinkhorn's observed linear rate says it
will reach ``ctol`` within ``min_predicted_sweeps`` more sweeps (large ``reg``), it just finishes. Stage 2 maximizes the concave dual

.. math::
    D(f, g) = a^T f + b^T g - \mathrm{reg} \textstyle\sum_{ij} P_{ij}(f, g) + \mathrm{reg},
    \qquad P_{ij} = e^{(f_i + g_j - C_{ij})/\mathrm{reg}},

by Newton steps with a sparsified Hessian: with ``r = P1``, ``c = P^T 1`` and ``P~`` the ``k``
largest entries of ``P`` (``k = ceil(density n m)``), the direction solves

.. math::
    \begin{pmatrix} \mathrm{diag}(r) & \tilde P \\ \tilde P^T & \mathrm{diag}(c) \end{pmatrix}
    \begin{pmatrix} \Delta f \\ \Delta g \end{pmatrix} = \mathrm{reg}
    \begin{pmatrix} a - r \\ b - c \end{pmatrix}, \qquad \Delta g_m = 0,

eliminating ``Delta f`` (Schur complement ``diag(c) - P~^T diag(r)^{-1} P~``, solved by
Jacobi-preconditioned CG). The step length comes from an Armijo backtracking search on ``D``
whose acceptance test allows the rounding noise of ``D`` (``8 eps`` times the magnitude of its
terms), so it keeps making progress down to machine precision. ``density`` doubles (up to
``max_density``) when a full step reduces the marginal error by less than 4x. A step that
leaves the finite range is rejected; when no step length ``>= 1e-10`` is accepted, a Sinkhorn
sweep is taken instead, so the dual never decreases and the plan is never NaN.

Per Newton iteration: O(nm) exponentials (the plan), three streaming passes for the top-k
selection (key histogram, count, fill), one pass per line-search trial, and O(nnz) per CG
iteration. Memory: the dense plan buffer (shared with the Sinkhorn kernel) plus O(nnz).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...options import opt
from ...registry import register
from ...result import Status
from ...work import add_passes
from .sinkhorn import OTState, SinkhornOptions, _OTSolver

__all__ = ["SNS", "SNSOptions"]

_EPS = np.finfo(float).eps


@dataclass
class SNSOptions(SinkhornOptions):
    maxiter: int = opt(2000, "Maximum total number of iterations (Sinkhorn sweeps + Newton steps).", kind=int)
    warmup: int = opt(20, "Minimum number of Sinkhorn sweeps before Newton (the paper's N1).", kind=int)
    warmup_max: int = opt(2000, "Maximum number of Sinkhorn sweeps before Newton.", kind=int)
    switch_tol: float = opt(0.1, "Switch to Newton once the marginal error is <= switch_tol (after "
                            "'warmup' sweeps).", kind=(int, float))
    min_predicted_sweeps: int = opt(100, "Stay with Sinkhorn while its observed linear rate (over the last 10 "
                                    "sweeps) predicts at most this many further sweeps to reach ctol (a Newton "
                                    "step costs several sweeps); 0: always switch.", kind=int)
    density: float | None = opt(None, "Initial fraction of plan entries kept in the sparsified Hessian "
                                "(None: 2 / max(n, m), the paper's lambda = 2/n).", kind=(int, float))
    max_density: float = opt(1.0, "Upper bound of the adaptive density.", kind=(int, float))
    adapt_density: bool = opt(True, "Double the density when a full Newton step reduces the marginal "
                              "error by less than 4x.", kind=bool)
    cg_rtol: float = opt(1e-11, "Smallest relative CG residual on the Schur complement (CG stops at "
                         "max(cg_rtol, min(0.1, marginal error))).",
                         kind=(int, float))
    cg_maxiter: int = opt(1000, "Maximum CG iterations per Newton step.", kind=int)
    armijo: float = opt(1e-4, "Sufficient-increase constant of the line search.", kind=(int, float))

    def validate(self):
        super().validate()
        for name in ("warmup", "warmup_max", "cg_maxiter"):
            if getattr(self, name) < 0 or (name == "cg_maxiter" and self.cg_maxiter < 1):
                raise ValueError(f"option {name!r} must be >= {1 if name == 'cg_maxiter' else 0}, "
                                 f"got {getattr(self, name)!r}")
        if self.warmup_max < self.warmup:
            raise ValueError(f"option 'warmup_max' must be >= warmup = {self.warmup}, got {self.warmup_max}")
        if self.density is not None and not 0 < self.density <= 1:
            raise ValueError(f"option 'density' must be in (0, 1], got {self.density!r}")
        if not 0 < self.max_density <= 1:
            raise ValueError(f"option 'max_density' must be in (0, 1], got {self.max_density!r}")
        if not 0 < self.armijo < 0.5:
            raise ValueError(f"option 'armijo' must be in (0, 0.5), got {self.armijo!r}")
        if not self.cg_rtol > 0:
            raise ValueError(f"option 'cg_rtol' must be > 0, got {self.cg_rtol!r}")
        if self.mode == "log":
            raise ValueError("option 'mode' must be 'auto' or 'kernel' for sns (the Newton stage keeps "
                             "a dense plan buffer anyway), got 'log'")


@dataclass
class SNSState(OTState):
    stage: str = "sinkhorn"
    density: float = 0.0
    prev_err: float = np.inf
    prev_alpha: float = 0.0
    cg_iters: int = 0
    nnz: int = 0
    errs: tuple = ()


def _sinkhorn_finishes_soon(errs, options) -> bool:
    """Whether the linear rate of the last 10 sweeps reaches ``ctol`` within ``min_predicted_sweeps``."""
    if (options.min_predicted_sweeps <= 0 or not options.ctol > 0 or len(errs) < 11
            or not (0 < errs[-1] < errs[0] < np.inf)):
        return False
    rate = np.log(errs[-1] / errs[0]) / (len(errs) - 1)          # log of the per-sweep factor (< 0)
    return np.log(options.ctol / errs[-1]) / rate <= options.min_predicted_sweeps


def _metrics(err, stage, density, step=np.nan, cg_iters=0, nnz=0):
    """Per-iteration metrics (the same keys every iteration, so ``history`` stays aligned)."""
    return {"marginal_error": err, "stage": stage, "density": density, "step_size": step,
            "cg_iters": cg_iters, "nnz": nnz}


def sparsify(P, k: int):
    """CSR arrays ``(indptr, indices, data)`` of (about) the ``k`` largest entries of ``P``.

    The threshold is found from a histogram of monotone bit keys (1/16-octave buckets), so the
    result keeps every entry above the bucket of the k-th largest one; if that bucket would
    more than quadruple ``k`` it is left out.
    """
    from . import _kernels as kern
    n, m = P.shape
    nchunks = 4
    hist = np.zeros((nchunks, kern.NKEYS), dtype=np.int64)
    kern.key_histogram(P, nchunks, hist)
    cum = np.cumsum(hist.sum(0)[::-1])            # cum[t] = count of keys >= NKEYS - 1 - t
    t = int(np.searchsorted(cum, k))
    t = min(t, cum.size - 1)
    if t > 0 and cum[t] > 4 * k:
        t -= 1
    key = kern.NKEYS - 1 - t
    counts = np.empty(n, dtype=np.int64)
    kern.count_above(P, key, counts)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    indices = np.empty(nnz, dtype=np.int64)
    data = np.empty(nnz)
    kern.fill_csr(P, key, indptr, indices, data)
    return indptr, indices, data


@register("sns", family="ot", options=SNSOptions, aliases=("sinkhorn-newton-sparse",),
          requires={"entropic_ot"}, supports={"entropic_ot"}, tol_options=("ctol",), auto_rank=41,
          work_unit="passes")
class SNS(_OTSolver):
    """Sinkhorn-Newton-Sparse: Sinkhorn warm-up, then sparsified Newton on the dual (Tang et al. 2024)."""

    def init(self, problem, x0, options):
        s = super().init(problem, x0, options)
        n, m = problem.C.shape
        density = options.density if options.density is not None else min(1.0, 2.0 / max(n, m))
        return SNSState(x=s.x, fun=s.fun, sc=s.sc, metrics=_metrics(s.metrics["marginal_error"], 0, density),
                        density=density)

    def step(self, problem, state, options):
        if state.stage == "sinkhorn":
            new = self._sinkhorn_step(problem, state, options)
            err = new.metrics["marginal_error"]
            stage = "sinkhorn"
            errs = (state.errs + (err,))[-11:]
            if new.status is None and new.nit_sinkhorn >= options.warmup and (
                    (err <= options.switch_tol and not _sinkhorn_finishes_soon(errs, options))
                    or new.nit_sinkhorn >= options.warmup_max):
                stage = "newton"
            return SNSState(x=new.x, fun=new.fun, status=new.status, sc=new.sc, nit_sinkhorn=new.nit_sinkhorn,
                            nit_newton=0, stage=stage, density=state.density, errs=errs,
                            metrics=_metrics(err, 0, state.density))
        return self._newton_step(problem, state, options)

    def _newton_step(self, problem, state, options):
        from . import _kernels as kern
        sc = state.sc
        a, b, reg, C = problem.a, problem.b, problem.reg, problem.C
        n, m = C.shape
        f, g = sc.f, sc.g
        # the plan at (f, g) becomes the kernel: K = P, u = v = 1
        sc.absorb()
        P = sc.K
        r, c = np.empty(n), np.empty(m)
        kern.matvec(P, np.ones(m), r)
        kern.rmatvec(P, np.ones(n), c)
        add_passes(problem, 1.0)
        gf, gg = a - r, b - c
        err = float(np.abs(gf).sum() + np.abs(gg).sum())
        mass = float(r.sum())
        D = float(a @ f + b @ g - reg * mass + reg)
        density = state.density
        if options.adapt_density and state.prev_alpha == 1.0 and err > 0.25 * state.prev_err:
            density = min(options.max_density, 2.0 * density)
        base = dict(sc=sc, nit_sinkhorn=state.nit_sinkhorn, stage="newton", prev_err=err)
        if err <= options.ctol:
            return SNSState(x=state.x, fun=-D, status=Status.CONVERGED, nit_newton=state.nit_newton,
                            density=density, prev_alpha=state.prev_alpha, **base,
                            metrics=_metrics(err, 1, density))
        # sparsified Hessian and the Newton direction (Schur complement on g, gauge g_m fixed)
        k = max(1, math.ceil(density * n * m))
        indptr, indices, data = sparsify(P, k)
        add_passes(problem, 1.0)
        dr, dc = np.maximum(r, 1e-300), np.maximum(c, 1e-300)
        tmp = np.empty(m)
        kern.csr_rmatvec(indptr, indices, data, reg * gf / dr, tmp)
        rhs = reg * gg - tmp
        dg = np.empty(m)
        # inexact Newton: a relative CG residual proportional to the marginal error keeps the
        # local convergence superlinear while early, far-from-optimal steps stay cheap
        rtol = max(options.cg_rtol, min(0.1, err))
        cg_it, _ = kern.schur_pcg(indptr, indices, data, dr, dc, rhs, dg, rtol, options.cg_maxiter)
        add_passes(problem, (cg_it + 2) * data.size / (n * m))
        pdg = np.empty(n)
        kern.csr_matvec(indptr, indices, data, dg, pdg)
        df = (reg * gf - pdg) / dr
        slope = float(gf @ df + gg @ dg)
        alpha, D_new, u, v = self._line_search(problem, sc, f, g, df, dg, D, mass, slope, options)
        metrics = _metrics(err, 1, density, alpha, cg_it, int(data.size))
        if alpha == 0.0:
            # no acceptable Newton step: one Sinkhorn sweep (monotone in D) from the fresh kernel
            err2, updated = sc.sweep(options.ctol)
            add_passes(problem, 1.0)
            new = SNSState(x=np.concatenate([sc.f, sc.g]) if updated else state.x, fun=-sc.dual(),
                           status=None if updated else Status.CONVERGED, nit_newton=state.nit_newton + 1,
                           density=min(options.max_density, 2.0 * density) if options.adapt_density else density,
                           prev_alpha=0.0, **base, metrics=metrics)
            return new
        sc.f = f + alpha * df
        sc.g = g + alpha * dg
        sc.u, sc.v = u, v                    # consistent with K = P at the old (fa, ga) = (f, g)
        sc.col_err = np.inf                  # the next sweep (if any) must re-measure columns
        sc.total_mass = (D_new - a @ sc.f - b @ sc.g - reg) / -reg
        return SNSState(x=np.concatenate([sc.f, sc.g]), fun=-D_new, nit_newton=state.nit_newton + 1,
                        density=density, prev_alpha=alpha, cg_iters=cg_it, nnz=int(data.size),
                        **base, metrics=metrics)

    @staticmethod
    def _line_search(problem, sc, f, g, df, dg, D, mass, slope, options):
        """Armijo backtracking (:func:`numopt.linesearch.backtrack`) on ``-D`` along ``(df, dg)`` from
        ``(f, g)``, halving from 1 down to ``alpha >= 1e-10``; ``K`` is the plan at ``(f, g)``.

        Returns ``(alpha, D(new), u, v)`` with ``u = e^{alpha df / reg}``, ``v = e^{alpha dg / reg}``;
        ``alpha = 0`` when no step is accepted. Each trial is one pass over the kernel.
        """
        from ...linesearch import backtrack
        from . import _kernels as kern
        a, b, reg, C = problem.a, problem.b, problem.reg, problem.C
        n, m = C.shape
        noise = 8 * _EPS * (abs(a @ f) + abs(b @ g) + reg * mass + reg)
        kv = np.empty(n)
        span_f = max(float(df.max()), -float(df.min())) / reg
        span_g = max(float(dg.max()), -float(dg.min())) / reg

        def minus_dual(alpha):
            add_passes(problem, 1.0)
            ef, eg = alpha * df / reg, alpha * dg / reg
            # entries of K flushed to 0 had exponent < FLUSH; while the step moves exponents by at
            # most -FLUSH - 100 they stay below e^-100 and the stored kernel is exact enough
            if alpha * (span_f + span_g) <= -kern.FLUSH - 100.0:
                u, v = np.exp(ef), np.exp(eg)
                kern.matvec(sc.K, v, kv)
                new_mass = float(u @ kv)
            else:
                # large trial step: the stored kernel may have underflowed where the trial plan
                # is not small, so evaluate the mass exactly in the log domain; rebase later
                with np.errstate(over="ignore"):
                    new_mass = float(kern.exp_sum(C, f + alpha * df, g + alpha * dg, reg))
                u, v = None, None
            D_new = float(a @ (f + alpha * df) + b @ (g + alpha * dg) - reg * new_mass + reg)
            return -D_new, (u, v, ef, eg)

        # halving from 1 while alpha >= 1e-10: 34 trials
        r = backtrack(minus_dual, -D, -slope, c1=options.armijo, shrink=0.5, maxiter=34, slack=noise)
        if not r.success:
            return 0.0, D, None, None
        u, v, ef, eg = r.payload
        if u is None:
            u, v = np.exp(np.clip(ef, -700, 700)), np.exp(np.clip(eg, -700, 700))
        return r.alpha, -r.value, u, v
