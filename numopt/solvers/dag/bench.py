"""The benchmark runner's ``dag`` source: simulated linear SEMs for ``topo`` and ``notears``.

Importing this module registers the source (a suite lists it under ``[suite] imports``).

Selection ``names``: ``"ER2"``, ``"ER4"``, ``"SF4"`` (graph type and expected edges per node,
the paper's families). Parameters: ``d`` (nodes, default 10), ``n`` (samples, 1000), ``seed``,
``lambda1`` (l1 weight, default 0), ``standardize`` (default ``False``: raw data, where the
varsortability of simulated SEMs helps every method; see ``docs/dag.md``).

The runner recomputes the score ``Q(W)`` at the returned (thresholded, acyclic) ``W``; the
constraint violation is the acyclicity ``h(W)`` (log-det), 0 exactly for a DAG. No reference
optimum is known (NOTEARS objectives are nonconvex): the criterion compares with the best score
any solver found.
"""
from __future__ import annotations

import numpy as np

__all__ = ["DAGSource"]

_NAMES = {"ER2": ("ER", 2), "ER4": ("ER", 4), "SF4": ("SF", 4)}


def _measured(problem):
    """The problem with the runner's violation: the acyclicity of the returned matrix."""
    cls = type(problem)

    class _Bench(cls):
        def constr_violation(self, x):
            W = self.as_matrix(np.asarray(x, dtype=float))
            from ...dag import is_dag
            return 0.0 if is_dag(W) else float(max(self.acyclicity(W)[0], 1e-12))

    _Bench.__name__ = f"Bench{cls.__name__}"
    problem.__class__ = _Bench
    return problem


class DAGSource:
    """Simulated DAG-learning problems by graph family (see the module docstring)."""

    description = "linear Gaussian SEMs on ER2/ER4/SF4 graphs (NOTEARS score) for topo and notears"

    def available(self):
        return None

    def select(self, names=None) -> list[str]:
        from ...bench.sources import select_names
        return select_names(names, _NAMES, "dag")

    def build(self, name: str, **params):
        from ...bench.sources import BenchProblem
        from ...dag import simulate_dag, simulate_parameter, simulate_sem
        from ...problems import DAGScore
        name = self.select(name)[0]
        params = dict(params)
        d, n = int(params.pop("d", 10)), int(params.pop("n", 1000))
        seed, lambda1 = params.pop("seed", 0), float(params.pop("lambda1", 0.0))
        standardize = bool(params.pop("standardize", False))
        if params:
            raise TypeError(f"unexpected parameters {sorted(params)} for the dag source "
                            "(valid: d, n, seed, lambda1, standardize)")
        kind, k = _NAMES[name]
        B = simulate_dag(d, k * d, kind, seed=seed)
        X = simulate_sem(simulate_parameter(B, seed=seed), n, "gauss", seed=seed)
        if standardize:
            X = (X - X.mean(axis=0)) / X.std(axis=0)
        problem = _measured(DAGScore(X, lambda1=lambda1, name=f"{name}-d{d}"))
        return BenchProblem(problem, None, "no known optimum (nonconvex): best found", meta={"edges": int(B.sum())})


def _register():
    from ...bench.sources import register_source
    register_source("dag", DAGSource())


_register()
