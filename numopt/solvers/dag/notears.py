r"""NOTEARS (method ``notears``): the augmented Lagrangian for ``min Q(W)  s.t.  h(W) = 0``.

With ``W = W+ - W-`` (``W+, W- >= 0``, zero diagonals) the l1 term is linear, and each
iteration ``k`` minimizes the smooth bound-constrained augmented Lagrangian

.. math::
    L_\rho(W_+, W_-) = \ell(W) + \tfrac{\lambda_2}{2}\|W\|_F^2 + \lambda_1 \mathbf 1^T (W_+ + W_-)
        + \tfrac{\rho}{2} h(W)^2 + \alpha h(W)

with scipy's L-BFGS-B (through :func:`numopt.minimize`), multiplying ``rho`` by 10 until
``h`` drops below ``h_decrease * h_{k-1}``, then sets ``alpha += rho h`` (Zheng et al. 2018,
Algorithm 1; ``h`` is the trace-exponential of ``W * W`` or the polynomial of Yu et al. 2019).
It stops (``CONVERGED``) when ``h(W) <= h_tol`` (absolute: ``h`` is dimensionless); reaching
``rho_max`` first is ``INACCURATE``. Every inner result is checked: an iteration cap is
``INNER_MAXITER``, a failed line search ``LINE_SEARCH_FAILED``, anything else that is not
convergence (or a non-finite value) ``NUMERICAL_ERROR``; the run then ends at the last
accepted iterate.

The result ``x`` is the *thresholded* matrix: entries with ``|W_ij| < w_threshold`` are zeroed
and, if the graph still has a cycle, the smallest entries are removed until it is a DAG
(:func:`~numopt.solvers.dag.graph.threshold_till_dag`), so ``res.W`` is always acyclic;
``fun`` is ``Q`` of that matrix. ``W_raw`` is the continuous solution and ``h`` its
acyclicity value; ``rho``, ``alpha`` the final penalty and multiplier.

Reference: X. Zheng, B. Aragam, P. Ravikumar, E. P. Xing, "DAGs with NO TEARS: continuous
optimization for structure learning", NeurIPS 2018.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...driver import Solver, SolverState, fail, replace
from ...options import DriverOptions, opt
from ...registry import register
from ...result import Status
from .graph import threshold_till_dag
from .topo import SmallBLAS

__all__ = ["Notears", "NotearsOptions"]

_KINDS = ("expm", "poly")


@dataclass
class NotearsOptions(DriverOptions):
    maxiter: int = opt(100, "Maximum number of dual (multiplier) updates.", kind=int)
    h_tol: float = opt(1e-8, "Stop when the acyclicity value h(W) <= h_tol.", kind=(int, float))
    rho_max: float = opt(1e16, "Largest penalty parameter.", kind=(int, float))
    h_decrease: float = opt(0.25, "Raise rho until h decreases below h_decrease * (previous h).",
                            kind=(int, float))
    h: str = opt("expm", "Acyclicity function: 'expm' (tr e^{W*W} - d) or 'poly' (tr (I + W*W/d)^d - d).",
                 kind=str)
    w_threshold: float = opt(0.3, "Zero the entries with |W_ij| < w_threshold in the result.", kind=(int, float))
    inner_maxiter: int = opt(15000, "Iteration cap of each L-BFGS-B solve.", kind=int)
    inner_options: dict = opt({}, "Further options of the inner L-BFGS-B (scipy's names).", kind=dict)

    def validate(self):
        if self.h not in _KINDS:
            raise ValueError(f"option 'h' must be one of {', '.join(map(repr, _KINDS))}, got {self.h!r}")
        for name in ("h_tol", "rho_max"):
            if not getattr(self, name) > 0:
                raise ValueError(f"option {name!r} must be > 0, got {getattr(self, name)!r}")
        if not 0 < self.h_decrease < 1:
            raise ValueError(f"option 'h_decrease' must be in (0, 1), got {self.h_decrease!r}")
        if not self.w_threshold >= 0:
            raise ValueError(f"option 'w_threshold' must be >= 0, got {self.w_threshold!r}")


@dataclass
class NotearsState(SolverState):
    w: np.ndarray = None          # concat(W+, W-) flattened
    rho: float = 1.0
    alpha: float = 0.0
    h: float = np.inf
    nit_inner: int = 0


def _split(w, d):
    return (w[:d * d] - w[d * d:]).reshape(d, d)


class _AugLag:
    """The augmented Lagrangian ``L_rho`` and its gradient in ``(W+, W-)`` (counted on the problem)."""

    def __init__(self, problem, kind, rho, alpha):
        self.p, self.kind, self.rho, self.alpha = problem, kind, rho, alpha

    def __call__(self, w):
        p, d = self.p, self.p.d
        W = _split(w, d)
        loss, G = p.loss(W)
        p._count("nfev")
        p._count("njev")
        h, Gh = p.acyclicity(W, self.kind)
        lam1, lam2 = p.lambda1, p.lambda2
        val = loss + 0.5 * lam2 * float(np.sum(W * W)) + lam1 * float(w.sum()) \
            + 0.5 * self.rho * h * h + self.alpha * h
        gW = G + lam2 * W + (self.rho * h + self.alpha) * Gh
        return val, np.concatenate([(gW + lam1).ravel(), (-gW + lam1).ravel()])


@register("notears", family="dag", options=NotearsOptions, requires={"dag"}, supports={"dag"},
          tol_options=("h_tol",),
          summary="NOTEARS: augmented Lagrangian with L-BFGS-B inner solves (Zheng et al. 2018)")
class Notears(SmallBLAS, Solver):
    """The NOTEARS augmented Lagrangian (see the module docstring)."""

    def init(self, problem, x0, options):
        from .topo import _check_problem
        _check_problem(problem)
        W0 = problem.as_matrix(x0).copy()
        np.fill_diagonal(W0, 0.0)
        w = np.concatenate([np.maximum(W0, 0).ravel(), np.maximum(-W0, 0).ravel()])
        h = problem.acyclicity(W0, options.h)[0]
        # h = inf: the first rho is accepted by any finite h (as in the reference algorithm)
        return NotearsState(x=W0.ravel(), fun=problem.fun(W0.ravel()), w=w, h=np.inf,
                            metrics={"h": h, "rho": 1.0})

    def step(self, problem, state, options):
        from ..._minimize import minimize
        d = problem.d
        off = np.ones((d, d), dtype=bool)
        np.fill_diagonal(off, False)
        bnds = [(0.0, None) if o else (0.0, 0.0) for o in np.concatenate([off.ravel(), off.ravel()])]
        rho, w_new, h_new, nit_inner = state.rho, state.w, state.h, state.nit_inner
        inner = {**options.inner_options, "maxiter": options.inner_maxiter}
        while rho < options.rho_max:
            res = minimize(_AugLag(problem, options.h, rho, state.alpha), state.w, jac=True,
                           method="l-bfgs-b", bounds=bnds, options=inner)
            nit_inner += int(res.nit)
            if not res.success:
                status = Status(res.numopt_status)
                code = {Status.MAXITER: Status.INNER_MAXITER, Status.MAXFEV: Status.INNER_MAXITER,
                        Status.LINE_SEARCH_FAILED: Status.LINE_SEARCH_FAILED}.get(status, Status.NUMERICAL_ERROR)
                return fail(state, code, f"inner L-BFGS-B at rho = {rho:.1e}: {res.message}")
            w_new = res.x
            h_new = problem.acyclicity(_split(w_new, d), options.h)[0]
            if not (np.all(np.isfinite(w_new)) and np.isfinite(h_new) and np.isfinite(res.fun)):
                return fail(state, Status.NUMERICAL_ERROR, f"non-finite inner solution at rho = {rho:.1e}")
            if h_new > options.h_decrease * state.h:
                rho *= 10.0
            else:
                break
        W = _split(w_new, d)
        fun_new = problem.fun(W.ravel())
        if not np.isfinite(fun_new):        # L-BFGS-B may stop "successfully" on a NaN objective
            return fail(state, Status.NUMERICAL_ERROR, f"the score is {fun_new} at the inner solution (rho = {rho:.1e})")
        new = replace(state, x=W.ravel().copy(), fun=fun_new, w=w_new, rho=rho,
                      alpha=state.alpha + rho * h_new, h=h_new, nit_inner=nit_inner,
                      metrics={"h": h_new, "rho": rho})
        if h_new <= options.h_tol:
            new.status = Status.CONVERGED
        elif rho >= options.rho_max:
            new.status, new.detail = Status.INACCURATE, f"rho reached rho_max with h = {h_new:.3e}"
        return new

    def finalize(self, problem, state, options):
        W_raw = problem.as_matrix(state.x).copy()
        W = np.where(np.abs(W_raw) >= options.w_threshold, W_raw, 0.0)
        W, thr = threshold_till_dag(W)
        state.x = W.ravel()
        state.fun = problem.fun(state.x)
        return {"W": W, "W_raw": W_raw, "h": state.h, "rho": state.rho, "alpha": state.alpha,
                "dag_threshold": max(thr, options.w_threshold), "nit_inner": state.nit_inner,
                "loss": problem.loss(W)[0]}
