"""The cvxpy route for LipSDP (reference; cvxpy is imported here, on first use).

The LMI ``S(y) >= 0`` of a :class:`~._formulation.Formulation` is split into the connected
components of its sparsity pattern (for the NSR quadratic constraints of MaxMin/GroupSort the LMI
is block diagonal: a chain of layer-sized cones, as in ``ppauli/QCs_MaxMin:LipschitzEstimation.m``),
each stated as ``(E + E^T)/2 >> 0`` so cvxpy adds no symmetry equalities (cvxpy issue #877).
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = ["solve_cvxpy", "STATUS"]

#: cvxpy's status -> (numopt status name, solver value trustworthy)
STATUS = {"optimal": ("CONVERGED", True), "optimal_inaccurate": ("INACCURATE", False),
          "infeasible": ("INFEASIBLE", False), "infeasible_inaccurate": ("INFEASIBLE", False),
          "unbounded": ("UNBOUNDED", False), "unbounded_inaccurate": ("UNBOUNDED", False)}


def solve_cvxpy(form, solver: str = "CLARABEL", solver_options: dict | None = None) -> dict:
    """Solve ``min rho`` s.t. ``S(y) >= 0`` with cvxpy; returns ``y``, the status and timings."""
    import cvxpy as cp
    n, m = form.n, form.m
    F = form.coefficient_matrices()                       # n^2 x m, column-major vec
    c0 = form.C0.reshape(-1, order="F")
    nz = np.flatnonzero(F.getnnz(axis=1) > 0)
    nz = np.union1d(nz, np.flatnonzero(c0))
    rows, cols = nz % n, nz // n
    adj = sp.coo_matrix((np.ones(nz.size), (rows, cols)), shape=(n, n)) + sp.identity(n)
    ncomp, label = connected_components(adj, directed=False)
    y = cp.Variable(m)
    cons = []
    nn = np.flatnonzero(np.isfinite(form.lb[1:])) + 1
    if nn.size:
        cons.append(y[nn] >= form.lb[nn])
    for k in range(ncomp):
        idx = np.flatnonzero(label == k)
        vec = (idx[:, None] + n * idx[None, :]).reshape(-1, order="F")
        Fk, ck = F[vec], c0[vec]
        if Fk.nnz == 0:
            if np.min(np.linalg.eigvalsh(form.C0[np.ix_(idx, idx)])) < 0:
                return {"y": None, "status": "infeasible", "time": 0.0, "value": np.nan, "n_cones": ncomp}
            continue
        d = idx.size
        if d == 1:
            cons.append(Fk @ y + ck >= 0)
            continue
        E = cp.reshape(Fk @ y + ck, (d, d), order="F")
        cons.append(0.5 * (E + E.T) >> 0)
    prob = cp.Problem(cp.Minimize(y[0]), cons)
    t0 = time.perf_counter()
    try:
        prob.solve(solver=solver, **(solver_options or {}))
    except cp.error.SolverError as exc:
        return {"y": None, "status": f"solver_error: {exc}"[:300], "time": time.perf_counter() - t0,
                "value": np.nan, "n_cones": ncomp}
    wall = time.perf_counter() - t0
    yv = None if y.value is None else np.asarray(y.value, dtype=float)
    return {"y": yv, "status": prob.status, "time": wall, "value": float(prob.value) if yv is not None else np.nan,
            "n_cones": ncomp, "iters": getattr(prob.solver_stats, "num_iters", None)}
