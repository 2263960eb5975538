r"""LipSDP: certified Lipschitz bounds of a :class:`~numopt.problems.Network` (method ``lipsdp``).

Solves ``min rho`` s.t. the LipSDP LMI (:mod:`._formulation`: Fazlyab et al. 2019 for
slope-restricted activations; LipSDP-NSR and the one-ReLU-per-pair rewrite for MaxMin/GroupSort,
Householder's constraints, ICLR 2024) and **certifies** the answer: whatever the solver returned,
the reported ``bound`` comes from :func:`._formulation.certify` (exact Schur complement of the
multipliers plus a Cholesky check of the whole LMI), never from the solver's objective value.

Solvers (option ``solver``):

* ``"numopt"`` (``"auto"``): a barrier method exploiting the rank-one/rank-two structure of the
  LMI data (:mod:`._ipm`), started by a phase I on the hidden block when the starting multipliers
  (``x0``, per unit) do not make it positive definite. Every iterate is strictly feasible, so
  ``fun`` (the bound at the current multipliers) is a valid bound throughout. Stopping test:
  :func:`numopt.stopping.small_relative` on the barrier's duality-gap bound ``nu / t`` relative to
  ``rho`` (the reference scale is the current ``rho``), at a centred point.
* ``"cvxpy"``: the same LMI through cvxpy (``cvxpy_solver``: ``"CLARABEL"``, ``"SCS"``,
  ``"CVXOPT"``, ...), one driver iteration; the reference in tests.

Result fields: ``x`` (per-unit multipliers), ``fun == bound`` (certified: ``min(sdp_bound,
naive_bound)``), ``sdp_bound`` (the bound certified from the multipliers; ``inf`` if certification
failed), ``solver_value`` (the bound the solver's own ``rho`` claims), ``rho``, ``multipliers``
(dict by kind), ``naive_bound``, ``certified``, ``bound_source`` (``"sdp"``, or ``"naive"`` when
the product is smaller or certification failed),
``min_eig`` (smallest eigenvalue of ``S`` at the certified point), ``duality_gap`` (``numopt``
solver: the bound ``nu / t`` on ``rho - rho*``), ``lmi_size``, ``solve_time``, ``solver``;
``cvxpy``: ``solver_status``, ``n_cones`` and ``max_cone`` (the PSD cones handed to the solver:
connected components, or cliques with ``chordal=True``).
A failed certification is never a success: the status is ``INACCURATE`` (or the solver's failure)
and ``bound`` falls back to the naive product, which is always valid.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ...driver import Solver, SolverState, fail
from ...options import DriverOptions, opt
from ...registry import register
from ...result import Status
from ...stopping import small_relative
from . import _formulation as fm
from ._bounds import naive_bound

__all__ = ["LipSDP", "LipSDPOptions"]

_SOLVERS = ("auto", "numopt", "cvxpy")


@dataclass
class LipSDPOptions(DriverOptions):
    maxiter: int = opt(500, "Maximum number of Newton steps (numopt) / solves (cvxpy: 1 is enough).", kind=int)
    norm: float = opt(2, "2 or numpy.inf (then for the scalar output c^T f).", kind=(int, float))
    variant: str = opt("neuron", "'neuron' (one multiplier per unit), 'layer' (one per layer) or 'network' "
                       "(pair couplings; needs unsafe_coupling=True).", kind=str)
    encoding: str = opt("auto", "MaxMin/GroupSort constraints: 'auto' (coupled for MaxMin, nsr for GroupSort), "
                        "'coupled' (one ReLU per pair), 'nsr' (LipSDP-NSR chain), 'two-relu' (the ICLR-2024 "
                        "paper's ReLU baseline).", kind=str)
    c: object = opt(None, "Output functional for norm=inf (length n_outputs; default 1 for one output).")
    solver: str = opt("auto", "'auto' or 'numopt' (structured barrier method), 'cvxpy'.", kind=str)
    cvxpy_solver: str = opt("CLARABEL", "cvxpy's solver name for solver='cvxpy'.", kind=str)
    cvxpy_options: dict = opt({}, "Keyword arguments for cvxpy's Problem.solve.", kind=dict)
    chordal: bool = opt(False, "solver='cvxpy': one PSD cone per maximal clique of a chordal extension of the LMI's "
                        "sparsity pattern (exact; Chordal-LipSDP: consecutive layer pairs).", kind=bool)
    unsafe_coupling: bool = opt(False, "Allow variant='network' (not valid for every network).", kind=bool)
    rtol: float = opt(1e-7, "Stop when the duality-gap bound nu/t <= rtol * rho (numopt solver).",
                      kind=(int, float))
    mu: float = opt(10.0, "Barrier parameter growth factor (numopt solver).", kind=(int, float))
    threads: int = opt(1, "BLAS threads during the run (0: leave the library default). Its "
                       "dense factorizations are small and latency-bound; on a loaded 2-core machine "
                       "multithreaded OpenBLAS was 3-50x slower at these sizes (measured).", kind=int)

    def validate(self):
        if self.norm not in (2, np.inf):
            raise ValueError(f"option 'norm' must be 2 or numpy.inf, got {self.norm!r}")
        if self.variant not in fm.VARIANTS:
            raise ValueError(f"option 'variant' must be one of {fm.VARIANTS}, got {self.variant!r}")
        if self.encoding not in fm.ENCODINGS:
            raise ValueError(f"option 'encoding' must be one of {fm.ENCODINGS}, got {self.encoding!r}")
        if self.solver not in _SOLVERS:
            raise ValueError(f"option 'solver' must be one of {_SOLVERS}, got {self.solver!r}")
        if not self.rtol > 0:
            raise ValueError(f"option 'rtol' must be > 0, got {self.rtol!r}")
        if self.threads < 0:
            raise ValueError(f"option 'threads' must be >= 0, got {self.threads!r}")
        if self.chordal and self.solver != "cvxpy":
            raise ValueError(f"option 'chordal' applies to solver='cvxpy' only, got solver={self.solver!r}")
        if not self.mu > 1:
            raise ValueError(f"option 'mu' must be > 1, got {self.mu!r}")


@dataclass
class LipSDPState(SolverState):
    form: object = None
    prog: object = None
    phase: str = "cvxpy"
    y: np.ndarray | None = None
    pd: object = None
    p1: object = None
    p1_map: np.ndarray | None = None
    pd1: object = None
    gap: float = np.nan
    naive: float = np.inf
    solver_value: float = np.nan
    solver_status: str = ""
    cones: tuple = (0, 0)
    t_start: float = 0.0


def _centred(dec2: float) -> bool:
    return dec2 <= 1e-3


@register("lipsdp", family="lipschitz", options=LipSDPOptions, requires={"network"}, supports={"network"},
          tol_options=("rtol",), auto_rank=90, work_unit="evaluations")
class LipSDP(Solver):
    """LipSDP: certified Lipschitz bounds of neural networks (Fazlyab et al. 2019; ICLR 2024 QCs)."""

    def init(self, problem, x0, options):
        from ...problems.network import Network
        if not isinstance(problem, Network):
            raise TypeError(f"lipsdp solves a numopt.problems.Network, got {type(problem).__name__}")
        t_start = time.perf_counter()
        form = fm.build(problem, norm=options.norm, variant=options.variant, encoding=options.encoding,
                        c=options.c, unsafe_coupling=options.unsafe_coupling)
        naive = naive_bound(problem, options.norm, options.c)
        st = LipSDPState(x=np.array(x0, dtype=float), fun=naive, form=form, naive=naive, t_start=t_start,
                         phase="cvxpy" if options.solver == "cvxpy" else "start")
        st.metrics = {"bound": naive, "phase": 0.0}
        if st.phase == "cvxpy":
            return st
        st.prog = fm.program(form)
        y = form.y_from_units(x0)
        nn = np.isfinite(form.lb) & (np.arange(form.m) > 0)
        y[nn] = np.maximum(y[nn], 1e-6 * max(1.0, float(np.max(np.abs(y[nn]), initial=1.0))))
        y = fm.rescale_groups(form, y)
        if self._enter_phase_two(st, y):
            return st
        from ._ipm import phase_one_start
        st.p1, st.p1_map, st.pd1 = phase_one_start(st.prog, form.nrho)
        st.phase = "one"
        return st

    def _enter_phase_two(self, st, y) -> bool:
        """Start the barrier method at ``y`` (rho chosen inside the domain); false if S_22(y) is not PD."""
        form = st.form
        rho, _ = fm.rho_certified(form, y)
        if not np.isfinite(rho):
            return False
        from ._ipm import barrier_value, initial_t, pd_start
        ref = float(np.linalg.norm(form.C0)) / form.rho_coef + 1e-12
        for extra in (0.1, 0.5, 2.0, 10.0, 100.0):
            y = y.copy()
            y[0] = rho * (1.0 + extra) + extra * 1e-3 * ref
            if np.isfinite(barrier_value(st.prog, y, 1.0)):
                st.y, st.phase = y, "two"
                st.pd = pd_start(st.prog, y, initial_t(st.prog, y, st.prog.nu / max(y[0] - rho, 1e-300)))
                st.fun = min(form.bound_of(y[0]), st.naive)
                st.x = form.units_from_y(y)
                return True
        return False

    def solve(self, problem, x0, options, callback=None, method: str = ""):
        if options.threads > 0:
            from threadpoolctl import threadpool_limits
            with threadpool_limits(limits=options.threads, user_api="blas"):
                return super().solve(problem, x0, options, callback, method)
        return super().solve(problem, x0, options, callback, method)

    def step(self, problem, st, options):
        if st.phase == "cvxpy":
            return self._step_cvxpy(st, options)
        return self._step_barrier(st, options)

    def _step_barrier(self, st, options):
        from . import _ipm
        pd_step = _ipm.pd_step
        if st.phase == "one":
            pd1, info, ok, detail = pd_step(st.p1, st.pd1)
            if not ok:
                return fail(st, Status.NUMERICAL_ERROR, f"phase I: {detail}")
            st.pd1 = pd1
            st.metrics = {"bound": st.fun, "phase": 1.0, "s": float(pd1.y[0])}
            if pd1.y[0] < 0:
                self._leave_phase_one(st)
            elif info["gap"] < 1e-9 * (abs(pd1.y[0]) + 1e-300) and \
                    info["dual_residual"] < 1e-9 * (1.0 + float(np.linalg.norm(st.p1.c))):
                return fail(st, Status.INFEASIBLE, "no multipliers make the hidden block positive definite "
                            "(the LMI is not strictly feasible)")
            return st
        pd, info, ok, detail = pd_step(st.prog, st.pd)
        if not ok:
            return fail(st, Status.NUMERICAL_ERROR, detail)
        st.pd, st.y = pd, pd.y
        st.x = st.form.units_from_y(pd.y)
        st.fun = min(st.form.bound_of(pd.y[0]), st.naive)
        st.gap = info["gap"]
        st.metrics = {"bound": st.fun, "phase": 2.0, "duality_gap": info["gap"],
                      "dual_residual": info["dual_residual"], "sigma": info["sigma"]}
        if small_relative(info["gap"], pd.y[0], options.rtol) and \
                small_relative(info["dual_residual"], 1.0, options.rtol):
            st.status = Status.CONVERGED
        return st

    def _leave_phase_one(self, st):
        y = fm.from_phase_one(st.form, st.pd1.y, st.p1_map)
        if y is None or not self._enter_phase_two(st, y):
            st.status, st.detail = Status.NUMERICAL_ERROR, "phase I point could not be scaled into the domain"

    def _step_cvxpy(self, st, options):
        from ._cvxpy import STATUS, solve_cvxpy
        out = solve_cvxpy(st.form, options.cvxpy_solver, options.cvxpy_options, chordal=options.chordal)
        st.solver_status = str(out["status"])
        st.cones = (out.get("n_cones", 0), out.get("max_cone", 0))
        if out["y"] is None:
            code = STATUS.get(st.solver_status, ("NUMERICAL_ERROR", False))[0]
            return fail(st, Status[code], f"cvxpy/{options.cvxpy_solver}: {st.solver_status}")
        st.y = out["y"]
        st.solver_value = st.form.bound_of(out["value"])
        st.x = st.form.units_from_y(st.y)
        st.metrics = {"bound": st.fun, "phase": 3.0}
        code, _ = STATUS.get(st.solver_status, ("NUMERICAL_ERROR", False))
        if code == "CONVERGED":
            st.status = Status.CONVERGED
        else:
            st.status, st.detail = Status[code], f"cvxpy/{options.cvxpy_solver} returned {st.solver_status}"
        return st

    def finalize(self, problem, st, options):
        form = st.form
        out = {"naive_bound": st.naive, "lmi_size": form.n, "solver": options.solver if options.solver != "auto"
               else "numopt", "encodings": list(form.info["encodings"]), "variant": form.info["variant"]}
        cert = None
        if st.y is not None and st.phase in ("two", "cvxpy"):
            cert = fm.certify(form, st.y)
        if cert is not None and cert["certified"]:
            bound = min(cert["bound"], st.naive)
            st.fun = bound
            st.x = form.units_from_y(cert["y"])
            out.update(bound=bound, sdp_bound=cert["bound"], certified=True,
                       bound_source="sdp" if cert["bound"] <= st.naive else "naive", rho=cert["rho"],
                       multipliers=form.named(cert["y"]), min_eig=cert["min_eig"], repair_scale=cert["scale"])
        else:
            st.fun = st.naive
            out.update(bound=st.naive, sdp_bound=np.inf, certified=False, bound_source="naive", rho=np.nan,
                       multipliers=None if st.y is None else form.named(st.y), min_eig=np.nan, repair_scale=np.nan)
            if st.status == Status.CONVERGED:
                why = cert["reason"] if cert is not None else "no multipliers"
                st.status, st.detail = Status.INACCURATE, f"certification failed ({why}); bound = naive product"
        if st.phase == "cvxpy":
            out["solver_value"] = st.solver_value
            out["solver_status"] = st.solver_status
            out["duality_gap"] = np.nan
            out["n_cones"], out["max_cone"] = st.cones
        else:
            out["solver_value"] = form.bound_of(st.y[0]) if st.y is not None else np.nan
            out["solver_status"] = st.phase
            out["duality_gap"] = st.gap
        out["solve_time"] = time.perf_counter() - st.t_start
        return out
