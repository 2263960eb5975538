r"""Log-stabilized Sinkhorn for :class:`~numopt.problems.EntropicOT` (method ``sinkhorn``).

Each iteration is one Sinkhorn sweep (exact block maximization of the dual ``D(f, g)``, see
:mod:`numopt.solvers.ot._scaling`); it runs as matrix scaling on an absorbed kernel and falls
back to log-sum-exp updates where the kernel under- or overflows (``mode="auto"``). The run
stops when the marginal error ``||P1 - a||_1 + ||P^T 1 - b||_1 <= ctol``.

Result fields: ``x = concat(f, g)`` (dual potentials), ``fun = -D(f, g)`` (the problem minimizes
``-D``), ``dual_objective = D``, ``plan``, ``potentials = (f, g)``, ``cost`` (regularized primal
cost of the plan), ``transport_cost = <C, P>``, ``marginal_error``, ``nit_sinkhorn``,
``nit_newton`` (0 here), ``n_log_sweeps``, ``n_absorptions``.

References: R. Sinkhorn, Ann. Math. Statist. 35 (1964); M. Cuturi, NeurIPS 2013;
B. Schmitzer, SIAM J. Sci. Comput. 41 (2019) A1443-A1481.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...driver import Solver, SolverState
from ...options import DriverOptions, opt
from ...registry import register
from ...result import Status
from ...work import add_passes

__all__ = ["Sinkhorn", "SinkhornOptions", "OTState"]

_MODES = ("auto", "kernel", "log")


@dataclass
class SinkhornOptions(DriverOptions):
    maxiter: int = opt(10000, "Maximum number of Sinkhorn sweeps.", kind=int)
    ctol: float = opt(1e-9, "Stop when the marginal error ||P1 - a||_1 + ||P^T 1 - b||_1 <= ctol "
                      "(0: only at exact marginals, i.e. run to maxiter as POT's stopThr=0).", kind=(int, float))
    mode: str = opt("auto", "'auto' (absorption-stabilized scaling with log-domain fallback), "
                    "'kernel' (plain scaling, POT's sinkhorn; may overflow at small reg) or "
                    "'log' (log-sum-exp sweeps, POT's sinkhorn_log).", kind=str)
    absorb_threshold: float = opt(50.0, "With mode='auto': absorb the scalings into the kernel when "
                                  "max |log u|, |log v| exceeds this.", kind=(int, float))

    def validate(self):
        if self.mode not in _MODES:
            raise ValueError(f"option 'mode' must be one of {', '.join(map(repr, _MODES))}, got {self.mode!r}")
        if not self.ctol >= 0:
            raise ValueError(f"option 'ctol' must be >= 0, got {self.ctol!r}")
        if not 1.0 <= self.absorb_threshold <= 600.0:
            raise ValueError(f"option 'absorb_threshold' must be in [1, 600], got {self.absorb_threshold!r}")


@dataclass
class OTState(SolverState):
    sc: object = None
    nit_sinkhorn: int = 0
    nit_newton: int = 0


def _check_problem(problem):
    from ...problems.ot import EntropicOT
    if not isinstance(problem, EntropicOT):
        raise TypeError(f"OT methods need a numopt.problems.EntropicOT problem, got {type(problem).__name__}")


class _OTSolver(Solver):
    """Shared ``init``/``finalize`` of the OT methods (potentials, plan, certificates)."""

    def init(self, problem, x0, options):
        _check_problem(problem)
        from ._scaling import Scaling
        f, g = problem.split(np.asarray(x0, dtype=float))
        sc = Scaling(problem, f, g, mode=options.mode, absorb_threshold=options.absorb_threshold)
        return OTState(x=np.concatenate([sc.f, sc.g]), fun=-sc.dual(), sc=sc,
                       metrics={"marginal_error": sc.initial_error, "stage": 0})

    def _sinkhorn_step(self, problem, state, options) -> OTState:
        """One sweep (one pass over the kernel: ``K v`` and ``K^T u``, :mod:`numopt.work`)."""
        sc = state.sc
        err, updated = sc.sweep(options.ctol)
        add_passes(problem, 1.0)
        new = OTState(x=np.concatenate([sc.f, sc.g]) if updated else state.x, fun=-sc.dual(), sc=sc,
                      nit_sinkhorn=state.nit_sinkhorn + int(updated), nit_newton=state.nit_newton,
                      metrics={"marginal_error": err, "stage": 0})
        if not updated:
            new.status = Status.CONVERGED
        return new

    def finalize(self, problem, state, options):
        f, g = problem.split(state.x)
        P = problem.plan(state.x)
        sc = state.sc
        return {"plan": P, "potentials": (f.copy(), g.copy()), "dual_objective": -state.fun,
                # for P = P(f, g): <C,P> + reg sum P log P = f^T P1 + g^T P^T 1 (no logarithms needed)
                "cost": float(f @ P.sum(1) + g @ P.sum(0)),
                "transport_cost": problem.primal_cost(P, regularized=False),
                "nit_sinkhorn": state.nit_sinkhorn, "nit_newton": state.nit_newton,
                "n_log_sweeps": sc.n_log, "n_absorptions": sc.n_absorb}


@register("sinkhorn", family="ot", options=SinkhornOptions, aliases=("sinkhorn-stabilized",),
          requires={"entropic_ot"}, supports={"entropic_ot"}, tol_options=("ctol",), auto_rank=40,
          work_unit="passes")
class Sinkhorn(_OTSolver):
    """Sinkhorn matrix scaling, absorption-stabilized with a log-domain fallback."""

    def step(self, problem, state, options):
        return self._sinkhorn_step(problem, state, options)
