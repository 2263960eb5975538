r"""The success criterion and the aggregation of run records.

A run **solves** its problem when all of these hold (solvers' own flags are not trusted
alone):

1. the solver reported convergence (``status == "CONVERGED"``);
2. the objective, recomputed by the runner at the returned ``x``, is finite;
3. the constraint violation at ``x`` (max norm, recomputed) is ``<= ctol``;
4. the objective is close to a reference: ``f - f_ref <= ftol * max(1, |f_ref|)``, where
   ``f_ref`` is the problem's trusted optimal value when the source gives one (HS
   published values, closed forms), else the lowest objective of any *feasible* run
   (violation ``<= ctol``) of any solver on that problem in the same results. A run that
   ends at a worse local minimizer therefore does not count as solving the problem.

A (problem, solver) pair is solved when every repeat solves it; its costs are the
medians over repeats of the time (``cpu`` or ``wall``) and of the evaluations
``nfev + njev`` counted by the problem object. Evaluations are recorded only for methods
whose registry ``work_unit`` is ``"evaluations"`` (:mod:`numopt.work`); coordinate,
splitting and scaling methods (``"passes"``) record ``npass`` instead and are left out of the
evaluation profiles, whose axis would otherwise mix incomparable units.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

__all__ = ["solved", "best_values", "Pair", "aggregate", "cost_matrix"]


def best_values(records, ctol: float) -> dict:
    """Lowest objective of a feasible run, per problem (``None`` if there is none)."""
    best = {}
    for r in records:
        f, v = r.get("fun"), r.get("cviol")
        if f is None or v is None or v > ctol:
            continue
        p = r["problem"]
        best[p] = f if best.get(p) is None else min(best[p], f)
    return best


def solved(record, ctol: float, ftol: float, f_best: float | None = None) -> bool:
    """The success criterion (see the module docstring) for one record."""
    if not record.get("converged") or record.get("fun") is None:
        return False
    v = record.get("cviol")
    if v is None or v > ctol:
        return False
    ref = record.get("f_ref")
    ref = f_best if ref is None else ref
    if ref is None:
        return True
    return record["fun"] - ref <= ftol * max(1.0, abs(ref))


@dataclass
class Pair:
    """Aggregated repeats of one (problem, solver)."""

    problem: str
    solver: str
    runs: int
    n_solved: int
    status: str
    fun: float | None
    cviol: float | None
    kkt: float | None
    nit: float | None
    evals: float | None
    wall: float | None
    cpu: float | None
    n: int | None
    error: str = ""

    @property
    def solved(self) -> bool:
        return self.runs > 0 and self.n_solved == self.runs


def _median(values):
    vals = [v for v in values if v is not None]
    return float(np.median(vals)) if vals else None


def _worst(values):
    vals = [v for v in values if v is not None]
    return float(max(vals)) if vals else None


def aggregate(records, ctol: float, ftol: float) -> list[Pair]:
    """One :class:`Pair` per (problem, solver), in first-seen order."""
    best = best_values(records, ctol)
    groups = defaultdict(list)
    for r in records:
        groups[(r["problem"], r["solver"])].append(r)
    out = []
    for (p, s), rs in groups.items():
        ok = [solved(r, ctol, ftol, best.get(p)) for r in rs]
        status = Counter(r["status"] for r in rs).most_common(1)[0][0]
        out.append(Pair(problem=p, solver=s, runs=len(rs), n_solved=sum(ok), status=status,
                        fun=_median(r.get("fun") for r in rs), cviol=_worst(r.get("cviol") for r in rs),
                        kkt=_worst(r.get("kkt") for r in rs), nit=_median(r.get("nit") for r in rs),
                        evals=_median(r.get("evals") for r in rs), wall=_median(r.get("wall") for r in rs),
                        cpu=_median(r.get("cpu") for r in rs), n=rs[0].get("n"),
                        error=next((str(r["error"]).splitlines()[0] for r in rs if r.get("error")), "")))
    return out


def cost_matrix(pairs, metric: str):
    """``(problems, solvers, T, n)``: ``T[p, s]`` the cost ``metric`` of solved pairs, else inf.

    ``metric``: ``"cpu"``, ``"wall"`` or ``"evals"``. Tiny times are floored at 1 microsecond.
    For ``"evals"``, solvers that solved problems without counting evaluations (work unit
    ``"passes"``) are left out rather than shown as failing everywhere.
    """
    if metric == "evals":    # only methods whose work is counted in full evaluations
        counted = {p.solver for p in pairs if p.evals is not None}
        uncounted = {p.solver for p in pairs if p.runs and p.evals is None and p.solved}
        pairs = [p for p in pairs if p.solver in counted or p.solver not in uncounted]
    problems = list(dict.fromkeys(p.problem for p in pairs))
    solvers = list(dict.fromkeys(p.solver for p in pairs))
    T = np.full((len(problems), len(solvers)), np.inf)
    n = np.zeros(len(problems))
    pi = {p: i for i, p in enumerate(problems)}
    si = {s: j for j, s in enumerate(solvers)}
    for pr in pairs:
        if pr.n is not None:
            n[pi[pr.problem]] = pr.n
        cost = getattr(pr, metric)
        if pr.solved and cost is not None:
            T[pi[pr.problem], si[pr.solver]] = max(cost, 1e-6) if metric != "evals" else max(cost, 1.0)
    return problems, solvers, T, n
