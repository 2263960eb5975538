"""The cvxpy route for LipSDP (reference; cvxpy is imported here, on first use).

The LMI ``S(y) >= 0`` of a :class:`~._formulation.Formulation` is split into the connected
components of its sparsity pattern (for the NSR quadratic constraints of MaxMin/GroupSort the LMI
is block diagonal: a chain of layer-sized cones, as in ``ppauli/QCs_MaxMin:LipschitzEstimation.m``),
each stated as ``(E + E^T)/2 >> 0`` so cvxpy adds no symmetry equalities (cvxpy issue #877).

With ``chordal=True`` each component is decomposed further over the maximal cliques of a chordal
extension of its sparsity pattern (Agler, Helton, McCullough & Rodman 1988: a matrix with chordal
sparsity pattern ``E`` is PSD iff it is a sum ``sum_c E_c^T Z_c E_c`` of PSD matrices supported on
the cliques; exact, no relaxation). For LipSDP the pattern is block-tridiagonal over the layers,
the cliques are consecutive layer pairs (Chordal-LipSDP; Xue et al., CDC 2022), and one
``(sum n_k)``-sized cone becomes ``l`` cones of size ``n_k + n_{k+1}``.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = ["solve_cvxpy", "chordal_cliques", "STATUS"]

#: cvxpy's status -> (numopt status name, solver value trustworthy)
STATUS = {"optimal": ("CONVERGED", True), "optimal_inaccurate": ("INACCURATE", False),
          "infeasible": ("INFEASIBLE", False), "infeasible_inaccurate": ("INFEASIBLE", False),
          "unbounded": ("UNBOUNDED", False), "unbounded_inaccurate": ("UNBOUNDED", False)}


def chordal_cliques(pattern: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Maximal cliques of the chordal extension of a symmetric boolean ``pattern`` obtained by
    symbolic elimination in the natural order (the fill of a Cholesky factorization), and the
    extended pattern. The clique of vertex ``v`` is ``v`` plus its later neighbours after fill."""
    A = np.array(pattern, dtype=bool)
    A = A | A.T
    d = A.shape[0]
    cands = []
    for v in range(d):
        nb = np.flatnonzero(A[v, v + 1:]) + v + 1
        if nb.size:
            A[np.ix_(nb, nb)] = True
        cands.append(np.concatenate([[v], nb]))
    cands.sort(key=lambda c: -c.size)
    kept, sets = [], []
    for c in cands:
        sc = set(c.tolist())
        if not any(sc <= k for k in sets):
            kept.append(np.sort(c))
            sets.append(sc)
    np.fill_diagonal(A, True)
    return kept, A


def _chordal_constraints(cp, E, cliques, pattern):
    """``E == sum_c E_c^T Z_c E_c`` on the lower triangle of ``pattern``, ``Z_c >> 0``."""
    d = pattern.shape[0]
    rows, cols = np.nonzero(np.tril(pattern))
    pos = -np.ones((d, d), dtype=np.int64)
    pos[rows, cols] = np.arange(rows.size)
    total = 0
    for c in cliques:
        k = c.size
        Z = cp.Variable((k, k), PSD=True)
        a, b = np.nonzero(np.tril(np.ones((k, k), dtype=bool)))
        gi, gj = c[a], c[b]
        hi, lo = np.maximum(gi, gj), np.minimum(gi, gj)
        sel = sp.csr_matrix((np.ones(a.size), (pos[hi, lo], a + k * b)), shape=(rows.size, k * k))
        total = total + sel @ cp.vec(Z, order="F")
    return [total == E[rows + d * cols]]


def cone_structure(form, chordal: bool = False, F=None):
    """The PSD cones of the cvxpy statement: per connected component ``idx`` of the LMI's sparsity
    pattern, ``(idx, cliques, extended pattern)`` (``cliques`` local to ``idx``; ``None, None``
    without ``chordal``)."""
    n = form.n
    F = form.coefficient_matrices() if F is None else F
    nz = np.union1d(np.flatnonzero(F.getnnz(axis=1) > 0), np.flatnonzero(form.C0.reshape(-1, order="F")))
    rows, cols = nz % n, nz // n
    adj = sp.coo_matrix((np.ones(nz.size), (rows, cols)), shape=(n, n)) + sp.identity(n)
    ncomp, label = connected_components(adj, directed=False)
    out = []
    for k in range(ncomp):
        idx = np.flatnonzero(label == k)
        if not chordal or idx.size == 1:
            out.append((idx, None, None))
            continue
        pos = np.full(n, -1)
        pos[idx] = np.arange(idx.size)
        sel = pos[rows] >= 0
        loc = np.zeros((idx.size, idx.size), dtype=bool)
        loc[pos[rows[sel]], pos[cols[sel]]] = True
        cliques, ext = chordal_cliques(loc)
        out.append((idx, cliques, ext))
    return out


def solve_cvxpy(form, solver: str = "CLARABEL", solver_options: dict | None = None, chordal: bool = False) -> dict:
    """Solve ``min rho`` s.t. ``S(y) >= 0`` with cvxpy (one cone per connected component of the
    pattern, or one per clique with ``chordal``); returns ``y``, the status and timings."""
    import cvxpy as cp
    n, m = form.n, form.m
    F = form.coefficient_matrices()                       # n^2 x m, column-major vec
    c0 = form.C0.reshape(-1, order="F")
    y = cp.Variable(m)
    cons = []
    n_cones = max_cone = 0
    nn = np.flatnonzero(np.isfinite(form.lb[1:])) + 1
    if nn.size:
        cons.append(y[nn] >= form.lb[nn])
    for idx, cliques, ext in cone_structure(form, chordal, F):
        vec = (idx[:, None] + n * idx[None, :]).reshape(-1, order="F")
        Fk, ck = F[vec], c0[vec]
        if Fk.nnz == 0:
            if np.min(np.linalg.eigvalsh(form.C0[np.ix_(idx, idx)])) < 0:
                return {"y": None, "status": "infeasible", "time": 0.0, "value": np.nan, "n_cones": n_cones}
            continue
        d = idx.size
        if d == 1:
            cons.append(Fk @ y + ck >= 0)
            continue
        if cliques is not None:
            n_cones += len(cliques)
            max_cone = max(max_cone, max(c.size for c in cliques))
            cons += _chordal_constraints(cp, Fk @ y + ck, cliques, ext)
            continue
        n_cones += 1
        max_cone = max(max_cone, d)
        E = cp.reshape(Fk @ y + ck, (d, d), order="F")
        cons.append(0.5 * (E + E.T) >> 0)
    prob = cp.Problem(cp.Minimize(y[0]), cons)
    t0 = time.perf_counter()
    try:
        prob.solve(solver=solver, **(solver_options or {}))
    except cp.error.SolverError as exc:
        return {"y": None, "status": f"solver_error: {exc}"[:300], "time": time.perf_counter() - t0,
                "value": np.nan, "n_cones": n_cones}
    wall = time.perf_counter() - t0
    yv = None if y.value is None else np.asarray(y.value, dtype=float)
    return {"y": yv, "status": prob.status, "time": wall, "value": float(prob.value) if yv is not None else np.nan,
            "n_cones": n_cones, "max_cone": max_cone, "iters": getattr(prob.solver_stats, "num_iters", None)}
