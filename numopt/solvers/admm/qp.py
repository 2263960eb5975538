r"""The OSQP splitting of a convex QP ``min 1/2 x'Px + q'x  s.t.  l <= Ax <= u``.

Blocks (Stellato et al. 2020): ``X = (x~, z~)`` with ``A x~ = z~`` carries the quadratic
objective, ``Z = (x, z)`` with ``z in [l, u]``; constraint ``X - Z = 0`` with penalty
``diag(sigma I, R)``. The x-update solves the quasi-definite KKT system

.. math:: \begin{bmatrix} P + \sigma I & A^T \\ A & -R^{-1} \end{bmatrix}
          \begin{bmatrix} \tilde x \\ \nu \end{bmatrix} =
          \begin{bmatrix} \sigma x - q \\ z - R^{-1} y \end{bmatrix},\qquad
          \tilde z = z + R^{-1}(\nu - y).

Linear algebra (as OSQP's default back-end): the KKT matrix is factored by **QDLDL**
(``qdldl`` package: an LDL' factorization for quasi-definite matrices, with an AMD
fill-reducing ordering), once per penalty value; a penalty change (adopted by the engine
only when it moves by more than ``adaptive_rho_tolerance``) re-runs only the numeric
factorization on the same pattern (``qdldl.Solver.update``). A block of iterations between
two termination checks runs in one numba call on the factors (:mod:`._kernels`), so the
per-iteration cost is the triangular solves plus ``O(n + m)``.

``R`` is ``rho`` on inequality rows, ``1e3 rho`` on equality rows and ``1e-6`` on free rows
(OSQP's ``set_rho_vec``). The data are equilibrated as OSQP 1.x's ``scaling.c``: ``scaling``
Ruiz passes, each followed by the cost normalization. The penalty rule (the engine's ``"osqp"``
rule, every 50 iterations by default) reads the residuals and scales of the *scaled* problem
(``last_rho_terms``, as OSQP 1.x's ``compute_rho_estimate``), so the iterations are OSQP's.
Sparse inputs stay sparse throughout; dense inputs are converted to sparse once. The per-solve
path builds no ``scipy.sparse`` object besides the one KKT matrix handed to QDLDL: the
termination check, the objective, the infeasibility tests and the KKT assembly are numba kernels
on the raw CSC arrays (:mod:`._kernels`).

``linsys_solver="indirect"`` replaces the factorization by OSQP's indirect solver: the reduced
system ``(P + sigma I + A^T R A) x~ = sigma x - q + A^T (R z - y)``, ``z~ = A x~``, by
Jacobi-preconditioned CG warm-started at the previous ``x~`` (at most 20 CG steps per iteration,
to ``0.15`` times the smaller scaled residual of the last check).

Termination on OSQP's unscaled infinity-norm residuals ``|Ax - z|`` and ``|Px + q + A^T y|``
against ``eps_abs + eps_rel * max(|Ax|, |z|)`` and ``eps_abs + eps_rel * max(|Px|, |A^T y|,
|q|)``, and (as OSQP 1.x's ``check_dualgap``) the duality gap
``|x^T P x + q^T x + S(y)| <= eps_abs + eps_rel * max(|x^T P x|, |q^T x|, |S(y)|)`` with the
support function ``S(y) = u^T max(y, 0) + l^T min(y, 0)`` (without it, a point with a large
dual residual passes the relative test on badly scaled problems such as DUALC1) (the reference scales: the norms of the terms of each residual, so rescaling the
data by a constant changes neither the answer nor the verdict once ``eps_abs`` is scaled
with it -- OSQP's convention, kept so that equal tolerances mean equal accuracy).
Infeasibility from the iterate differences ``dy``, ``dx`` (primal infeasible:
``|A^T dy| <= eps |dy|`` and ``u^T max(dy, 0) + l^T min(dy, 0) < 0``; dual infeasible /
unbounded: ``q^T dx < 0``, ``|P dx| <= eps |dx|``, ``A dx`` in the recession cone of
``[l, u]``), returned normalized as ``primal_infeasibility_certificate`` /
``dual_infeasibility_certificate``.

Polishing (OSQP's ``polish.c``): guess the active set from the ADMM solution (lower-active
rows ``z_i - l_i < -y_i``, upper-active ``u_i - z_i < y_i``), solve the equality-constrained
QP on it with the regularized KKT matrix ``[[P + delta I, A_a^T], [A_a, -delta I]]`` and
iterative refinement on the unregularized one; the polished point is kept only if it
reduces the residuals (``res.polished``).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ...result import Status
from .engine import Splitting

__all__ = ["QPSplitting", "QP_DEFAULTS"]

_RHO_MIN, _EQ_SCALE = 1e-6, 1e3

#: Defaults of the QP-only options (``None`` in :class:`ADMMOptions` means "this default").
QP_DEFAULTS = {"scaling": 10, "sigma": 1e-6, "eps_prim_inf": 1e-5, "eps_dual_inf": 1e-5, "polish": False,
               "polish_refine_iter": 3, "delta": 1e-6, "linsys_solver": "direct"}

#: PCG (``linsys_solver='indirect'``): at most this many CG iterations per ADMM iteration, to a
#: tolerance of this fraction of the smaller scaled ADMM residual at the last check (OSQP's
#: ``cg_max_iter`` and ``cg_tol_fraction``)
_CG_MAX_ITER, _CG_TOL_FRACTION = 20, 0.15


def _inf(v) -> float:
    return float(np.abs(v).max()) if v.size else 0.0


def _csc(M):
    return M.tocsc() if sp.issparse(M) else sp.csc_matrix(np.asarray(M))


class _KKT:
    """QDLDL factorizations of ``[[P + sigma I, A^T], [A, -diag(1/R)]]``, one per penalty.

    The upper triangle is assembled once from the raw CSC arrays (:func:`._kernels.kkt_upper`)
    into one ``csc_matrix`` whose diagonal entries ``-1/R`` are overwritten in place for a new
    penalty (no scipy construction per factorization). The first factorization computes the
    AMD ordering and the symbolic factorization; a new penalty only refactors numerically
    (``update``). Factors are kept for the last ``maxsize`` penalties, as raw arrays for the
    numba kernels.
    """

    def __init__(self, n, m, Pp, Pi, Px, Ap, Ai, Ax, sigma, maxsize=3):
        from ._kernels import kkt_upper
        self.n, self.m = n, m
        Kp, Ki, Kx, self.rdiag = kkt_upper(n, m, Pp, Pi, Px, Ap, Ai, Ax, float(sigma))
        self.K = sp.csc_matrix((Kx, Ki, Kp), shape=(n + m, n + m))
        self.solver = None
        self.cache: dict = {}
        self.order: list = []
        self.maxsize = maxsize
        self.nfactor = 0

    def _matrix(self, R):
        """The upper triangle of the KKT matrix for the penalty ``R`` (a copy)."""
        K = self.K.copy()
        K.data[self.rdiag] = -1.0 / R
        return K

    def factors(self, key, R):
        """``(Lp, Li, Lx, Dinv, perm)`` for the penalty vector ``R`` (cached under ``key``)."""
        f = self.cache.get(key)
        if f is not None:
            return f
        import qdldl
        K = self.K
        K.data[self.rdiag] = -1.0 / R
        try:
            if self.solver is None:
                self.solver = qdldl.Solver(K, upper=True)
            else:
                self.solver.update(K, upper=True)
        except Exception as exc:       # qdldl raises on a zero pivot
            raise np.linalg.LinAlgError(f"LDL' factorization of the KKT matrix failed: {exc}") from exc
        L, D, p = self.solver.factors()
        self.nfactor += 1
        npos = int(np.sum(D > 0))
        if npos != self.n or not np.all(np.isfinite(D)):
            raise np.linalg.LinAlgError(
                f"the KKT matrix is not quasi-definite ({npos} positive pivots, expected {self.n}): "
                "P is not positive semidefinite")
        if L.format != "csc":
            L = L.tocsc()
        # unsigned indices: numba then skips the negative-index wraparound test on every
        # access, which halves the time of the triangular solves (0.73 -> 0.38 ms, nnz(L) = 31k)
        f = (L.indptr.astype(np.uint64), L.indices.astype(np.uint64), L.data.astype(np.float64),
             1.0 / D, np.asarray(p, dtype=np.uint64))
        self.cache[key] = f
        self.order.append(key)
        if len(self.order) > self.maxsize:
            self.cache.pop(self.order.pop(0), None)
        return f


def _canonical_csc(M):
    """``M`` as CSC with sorted, summed indices and float64 data (no copy when it already is)."""
    M = M.tocsc() if sp.issparse(M) else sp.csc_matrix(np.asarray(M, dtype=float))
    if not M.has_canonical_format:
        M = M.copy()
        M.sum_duplicates()
    return M


class QPSplitting(Splitting):
    norm = "inf"
    default_rho = 0.1
    default_check_every = 25
    #: OSQP 1.x's default rho-adaptation period (OSQP_ADAPTIVE_RHO_INTERVAL, iteration based)
    default_rho_interval = 50
    accepts_qp_options = True
    fused = True

    def __init__(self, qp, sigma=None, scaling=None, eps_prim_inf=None, eps_dual_inf=None, polish=None,
                 polish_refine_iter=None, delta=None, linsys_solver=None):
        from ._kernels import ruiz_equilibrate
        d = QP_DEFAULTS
        self.linsys = d["linsys_solver"] if linsys_solver is None else linsys_solver
        if self.linsys not in ("direct", "indirect"):
            raise ValueError(f"linsys_solver must be 'direct' or 'indirect', got {self.linsys!r}")
        self.sigma = float(d["sigma"] if sigma is None else sigma)
        scaling = int(d["scaling"] if scaling is None else scaling)
        self.eps_prim_inf = float(d["eps_prim_inf"] if eps_prim_inf is None else eps_prim_inf)
        self.eps_dual_inf = float(d["eps_dual_inf"] if eps_dual_inf is None else eps_dual_inf)
        self.polish_on = bool(d["polish"] if polish is None else polish)
        self.refine = int(d["polish_refine_iter"] if polish_refine_iter is None else polish_refine_iter)
        self.delta = float(d["delta"] if delta is None else delta)
        self.qp = qp
        self.P0, self.q0, self.A0, self.l0, self.u0 = qp.P, qp.q, qp.A, qp.l, qp.u
        n, m = qp.n, qp.A.shape[0]
        self.n, self.m = n, m
        self.eq = (self.u0 - self.l0) < 1e-4
        self.free = np.isinf(self.l0) & np.isinf(self.u0)
        # raw CSC arrays of the scaled data: the setup, the checks and the kernels never build a
        # scipy.sparse object (each costs 10-30 us of format checks); the scipy views
        # (``P``, ``Am``, ...) are built on first access only (polishing, the generic path)
        Pc, Ac = _canonical_csc(qp.P), _canonical_csc(qp.A)
        self.Pp, self.Pi = Pc.indptr, Pc.indices
        self.Ap, self.Ai = Ac.indptr, Ac.indices
        Px = np.array(Pc.data, dtype=np.float64)
        Ax = np.array(Ac.data, dtype=np.float64)
        D, E = np.ones(n), np.ones(m)
        qs = np.array(qp.q, dtype=np.float64)
        self.cost = 1.0
        if scaling > 0:
            self.cost = float(ruiz_equilibrate(scaling, self.Pp, self.Pi, Px, self.Ap, self.Ai, Ax, D, E, qs, True))
        self.D, self.E = D, E
        self.Px, self.Ax = Px, Ax
        self.q = self.cost * D * qp.q
        with np.errstate(invalid="ignore"):
            self.l, self.u = E * qp.l, E * qp.u
        self.kkt = _KKT(n, m, self.Pp, self.Pi, Px, self.Ap, self.Ai, Ax, self.sigma) if self.linsys == "direct" \
            else None
        self.cg_iterations = 0
        self._cg_tol = None
        self._cg = None            # (key of the penalty, Jacobi preconditioner)
        self._xt = np.zeros(n)     # PCG warm start: the last x~
        self._scratch = None
        self._wm, self._wn, self._wn2 = np.empty(m), np.empty(n), np.empty(n)
        self._views: dict = {}

    # -- scipy views of the scaled data (built on first use) -------------------------------------
    def _view(self, name):
        v = self._views.get(name)
        if v is None:
            if name == "P":
                v = sp.csc_matrix((self.Px, self.Pi, self.Pp), shape=(self.n, self.n))
            elif name == "Am":
                v = sp.csc_matrix((self.Ax, self.Ai, self.Ap), shape=(self.m, self.n))
            else:                                   # AmT: the CSR view of the CSC A, transposed
                v = self._view("Am").T
            self._views[name] = v
        return v

    P = property(lambda self: self._view("P"), doc="The scaled ``c D P D`` (CSC, both triangles).")
    Pr = property(lambda self: self._view("P").T, doc="``P^T = P`` (the CSR view).")
    Am = property(lambda self: self._view("Am"), doc="The scaled ``E A D`` (CSC).")
    Amr = property(lambda self: self._view("Am"))
    AmT = property(lambda self: self._view("AmT"))

    # -- penalty and factors ---------------------------------------------------------------
    def penalty(self, rho):
        R = np.where(self.eq, _EQ_SCALE * rho, rho)
        R[self.free] = _RHO_MIN
        return np.concatenate([np.full(self.n, self.sigma), R])

    def prepare(self, pen):
        if self.kkt is None:                   # indirect: no factorization (P's diagonal is checked by QP)
            self._precond(pen)
            return
        try:
            self._factors(pen)
        except np.linalg.LinAlgError as exc:
            raise ValueError(f"P must be positive semidefinite (admm): {exc}") from None

    def _factors(self, pen):
        R = pen[self.n:]
        return self.kkt.factors(R.tobytes(), R)

    def _precond(self, pen):
        """The Jacobi preconditioner of the reduced matrix for the penalty ``pen`` (cached)."""
        from ._kernels import jacobi_diagonal
        R = pen[self.n:]
        key = R.tobytes()
        if self._cg is None or self._cg[0] != key:
            Minv = np.empty(self.n)
            jacobi_diagonal(self.Pp, self.Pi, self.Px, self.Ap, self.Ai, self.Ax, R, self.sigma, Minv)
            if not np.all(np.isfinite(Minv) & (Minv > 0)):
                raise np.linalg.LinAlgError("the reduced KKT matrix has a non-positive diagonal")
            self._cg = (key, Minv)
        return self._cg[1]

    def _cg_tolerance(self):
        if self._cg_tol is None:               # before the first check (the engine checks after iteration 1):
            return 1e-10 * max(1.0, _inf(self.q))   # tight, so that a warm start at a solution stays there
        return self._cg_tol

    def _pcg_solve(self, b, R):
        """``(P + sigma I + A^T R A)^{-1} b`` by PCG from the last ``x~`` (the generic path)."""
        from ._kernels import pcg
        n = self.n
        x = self._xt.copy()
        it = pcg(self.Pp, self.Pi, self.Px, self.Ap, self.Ai, self.Ax, R, self.sigma,
                 self._precond(np.concatenate([np.zeros(n), R])), b, x, self._cg_tolerance(), _CG_MAX_ITER,
                 np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(self.m))
        self.cg_iterations += int(it)
        self._xt = x
        return x

    @property
    def nfactor(self) -> int:
        return 0 if self.kkt is None else self.kkt.nfactor

    def set_q(self, q):
        """Change the linear term (the factorization does not depend on it)."""
        self.q0 = np.asarray(q, dtype=float)
        self.q = self.cost * self.D * self.q0

    def _Ax(self, x):
        from ._kernels import csc_matvec
        out = np.empty(self.m)
        csc_matvec(self.Ap, self.Ai, self.Ax, x, out)
        return out

    # -- start and warm start ----------------------------------------------------------------
    def start(self, x0):
        x = np.array(x0, dtype=float) / self.D
        self._xt = x.copy()                    # PCG's first warm start (x~ = x at a fixed point)
        Ax = self._Ax(x)
        X = np.concatenate([x, Ax])
        Z = np.concatenate([x, np.clip(Ax, self.l, self.u)])
        return X, Z, np.zeros(self.n + self.m)

    def warm_dual(self, y, pen):
        y = np.asarray(y, dtype=float)
        if y.size == self.m:         # unscaled constraint multipliers
            return np.concatenate([np.zeros(self.n), self.cost * y / self.E / pen[self.n:]])
        return y / pen

    # -- the generic engine protocol (Anderson acceleration, consensus local solves) -----------
    def x_update(self, Z, U, pen, X_prev):
        from ._kernels import ldl_solve
        n = self.n
        R = pen[n:]
        if self.kkt is None:                   # reduced system: x~ then z~ = A x~
            b = self.sigma * (Z[:n] - U[:n]) - self.q + self.AmT @ (R * (Z[n:] - U[n:]))
            xt = self._pcg_solve(b, R)
            return np.concatenate([xt, self._Ax(xt)])
        rhs = np.concatenate([self.sigma * (Z[:n] - U[:n]) - self.q, Z[n:] - U[n:]])
        sol, work = np.empty_like(rhs), np.empty_like(rhs)
        Lp, Li, Lx, Dinv, perm = self._factors(pen)
        ldl_solve(Lp, Li, Lx, Dinv, perm, rhs, work, sol)
        R = pen[n:]
        return np.concatenate([sol[:n], rhs[n:] + sol[n:] / R])

    def z_update(self, v, pen, Z_prev):
        n = self.n
        return np.concatenate([v[:n], np.clip(v[n:], self.l, self.u)])

    # -- the fused path -------------------------------------------------------------------------
    def run(self, Z, U, pen, alpha, niter):
        """``niter`` iterations in one kernel call from ``(Z, U)`` (copies are returned).

        Returns ``(X, Z_new, U_new, Z_prev, U_prev)`` in the engine's layout, ``Z_prev`` /
        ``U_prev`` being the iterate before the last iteration.
        """
        from ._kernels import qp_iterations
        n, m = self.n, self.m
        R, x, z, y, xp, yp, rhs, sol, work = self._unpack(Z, U, pen)
        if self.kkt is None:
            from ._kernels import qp_iterations_pcg
            zt, cg_r, cg_z, cg_p, cg_k = np.empty(m), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
            self.cg_iterations += int(qp_iterations_pcg(
                int(niter), self.Pp, self.Pi, self.Px, self.Ap, self.Ai, self.Ax, self._precond(pen), self.q,
                self.l, self.u, R, self.sigma, float(alpha), self._cg_tolerance(), _CG_MAX_ITER, x, z, y, xp, yp,
                self._xt, zt, rhs[:n], cg_r, cg_z, cg_p, cg_k, work[:m]))
            X = np.concatenate([self._xt, z])
        else:
            Lp, Li, Lx, Dinv, perm = self._factors(pen)
            qp_iterations(int(niter), Lp, Li, Lx, Dinv, perm, self.q, self.l, self.u, R, self.sigma,
                          float(alpha), x, z, y, xp, yp, rhs, sol, work)
            X = np.concatenate([sol[:n], z])   # x-block iterate (only its x part is read back)
        return self._pack(X, x, z, y, xp, yp, R)

    def run_until(self, Z, U, pen, alpha, nblock, check_every, k0, opts):
        """As :meth:`run`, but the termination and infeasibility tests of the checks inside the
        block run in the kernel (:func:`._kernels.qp_run_until`), which returns at the first check
        that passes one of them. Returns :meth:`run`'s tuple and the number of iterations run.
        The indirect path runs up to the next check only (its CG tolerance is set at the checks)."""
        from ...stopping import TINY
        from ._kernels import qp_run_until
        if self.kkt is None:
            niter = min(int(nblock), int(check_every) - int(k0) % int(check_every))
            return self.run(Z, U, pen, alpha, niter), niter
        n, m = self.n, self.m
        R, x, z, y, xp, yp, rhs, sol, work = self._unpack(Z, U, pen)
        Lp, Li, Lx, Dinv, perm = self._factors(pen)
        done = int(qp_run_until(
            int(nblock), int(check_every), int(k0), Lp, Li, Lx, Dinv, perm, self.q, self.l, self.u, R, self.sigma,
            float(alpha), x, z, y, xp, yp, rhs, sol, work, self.Pp, self.Pi, self.Px, self.Ap, self.Ai, self.Ax,
            self.q0, self.l0, self.u0, self.D, self.E, self.cost, float(opts.eps_abs), float(opts.eps_rel),
            float(TINY), self.eps_prim_inf, self.eps_dual_inf, self._wm, self._wn, self._wn2, np.empty(n),
            np.empty(m), np.empty(m), np.empty(n)))
        return self._pack(np.concatenate([sol[:n], z]), x, z, y, xp, yp, R), done

    def _unpack(self, Z, U, pen):
        """The kernels' arrays from the engine's layout: ``R`` (row penalties), copies of the scaled
        ``x, z``, the unscaled dual ``y = R u``, the previous-iterate buffers and the scratch space."""
        n, m = self.n, self.m
        R = pen[n:]
        if self._scratch is None:
            self._scratch = (np.empty(n + m), np.empty(n + m), np.empty(n + m))
        return (R, Z[:n].copy(), Z[n:].copy(), U[n:] * R, np.empty(n), np.empty(m)) + self._scratch

    def _pack(self, X, x, z, y, xp, yp, R):
        """Back to the engine's layout: ``(X, Z_new, U_new, Z_prev, U_prev)``."""
        zero = np.zeros(self.n)
        return (X, np.concatenate([x, z]), np.concatenate([zero, y / R]), np.concatenate([xp, z]),
                np.concatenate([zero, yp / R]))

    # -- results ----------------------------------------------------------------------------------
    def objective(self, X, Z):
        from ._kernels import qp_objective
        return float(qp_objective(np.ascontiguousarray(Z[:self.n]), self.Pp, self.Pi, self.Px, self.q, self.cost,
                                  self._wn))

    def solution(self, X, Z):
        return self.D * Z[:self.n]

    def _residuals(self, x, z, y, opts):
        """OSQP's residuals of the unscaled problem from scaled ``(x, z, y)``, in one kernel call
        (:func:`._kernels.qp_check`); the duality gap test (OSQP 1.x's ``check_dualgap``) is left
        in ``self.last_gap = (gap, eps_gap)`` and the scaled residuals and scales that OSQP's
        penalty rule reads in ``self.last_rho_terms``."""
        from ._kernels import qp_check
        r, s, r_scale, s_scale, gap, gap_scale, rs, ss, rs_scale, ss_scale = qp_check(
            np.ascontiguousarray(x), np.ascontiguousarray(z), np.ascontiguousarray(y), self.Pp, self.Pi, self.Px,
            self.Ap, self.Ai, self.Ax, self.q, self.q0, self.l0, self.u0, self.D, self.E, self.cost,
            self._wm, self._wn, self._wn2)
        self.last_gap = (gap, opts.eps_abs + opts.eps_rel * gap_scale)
        self.last_rho_terms = (rs, ss, rs_scale, ss_scale)
        # PCG tolerance for the next block: a fraction of the smaller scaled residual (OSQP's rule)
        self._cg_tol = max(_CG_TOL_FRACTION * min(rs, ss), 1e-14 * max(1.0, _inf(self.q)))
        return (r, s, opts.eps_abs + opts.eps_rel * r_scale, opts.eps_abs + opts.eps_rel * s_scale,
                r_scale, s_scale)

    def residuals(self, X, Z, U, pen, AX, BZ, BZ_old, opts):
        n = self.n
        return self._residuals(Z[:n], Z[n:], pen[n:] * U[n:], opts)

    def passes(self, iterations: int, checks: int) -> float:
        """Work units (:mod:`numopt.work`): one solve with the factored KKT matrix per iteration
        (the data of ``P`` and ``A`` are read once through the factors), plus the products with
        ``P``, ``A``, ``A^T`` of each termination check (one and a half passes: one gradient
        ``Px + q`` and the two constraint products)."""
        return float(iterations) + 1.5 * float(checks)

    def detect(self, X, Z, U, dX, dZ, dY, pen, opts):
        from ._kernels import qp_detect
        n = self.n
        dy, wn = np.empty(self.m), np.empty(n)
        code = qp_detect(np.ascontiguousarray(dZ[:n]), np.ascontiguousarray(dY[n:]), self.Pp, self.Pi,
                         self.Px, self.Ap, self.Ai, self.Ax, self.q0, self.l0, self.u0, self.D, self.E,
                         self.cost, self.eps_prim_inf, self.eps_dual_inf, dy, self._wm, wn)
        if code == 1:
            return Status.INFEASIBLE, "primal infeasible", {"primal_infeasibility_certificate": dy / _inf(dy)}
        if code == 2:
            return Status.UNBOUNDED, "dual infeasible", {"dual_infeasibility_certificate": wn / _inf(wn)}
        return None

    def extra(self, X, Z, U, pen):
        n = self.n
        y = self.E * (pen[n:] * U[n:]) / self.cost
        Ax = self._Ax(np.ascontiguousarray(Z[:n])) / self.E
        out = {"y": y, "constr_violation": float(np.max(np.maximum(Ax - self.u0, self.l0 - Ax), initial=0.0))}
        if self.kkt is None:
            out["cg_iterations"] = self.cg_iterations
        return out

    # -- polishing ----------------------------------------------------------------------------------
    def polish(self, Z, U, pen, opts, r, s):
        """OSQP's solution polishing. Returns ``(Z, U, r, s)`` of the polished point, or
        ``None`` when polishing fails or does not reduce the residuals. The reduced KKT matrix
        is assembled from the raw arrays (:func:`._kernels.select_rows_csc`,
        :func:`._kernels.kkt_upper`) and factored by QDLDL; the refinement residuals are one
        kernel call each (:func:`._kernels.polish_kkt_residual`)."""
        import qdldl
        from ._kernels import kkt_upper, polish_kkt_residual, select_rows_csc
        n, m = self.n, self.m
        x, z, y = Z[:n], Z[n:], pen[n:] * U[n:]
        low = (z - self.l < -y)
        upp = (self.u - z < y) & ~low
        act = np.flatnonzero(low | upp)
        b = np.where(low, self.l, self.u)[act]
        k = act.size
        newrow = np.full(m, -1, dtype=np.int64)
        newrow[act] = np.arange(k)
        Bp, Bi, Bx = select_rows_csc(n, self.Ap, self.Ai, self.Ax, newrow, k)
        Kp, Ki, Kx, rdiag = kkt_upper(n, k, self.Pp, self.Pi, self.Px, Bp, Bi, Bx, self.delta)
        Kx[rdiag] = -self.delta
        rhs = np.concatenate([-self.q, b])
        res = np.empty(n + k)
        try:
            f = qdldl.Solver(sp.csc_matrix((Kx, Ki, Kp), shape=(n + k, n + k)), upper=True)
            sol = f.solve(rhs)
            for _ in range(self.refine):
                polish_kkt_residual(self.Pp, self.Pi, self.Px, Bp, Bi, Bx, rhs, sol, res)
                sol = sol + f.solve(res)
        except Exception:
            return None
        if not np.all(np.isfinite(sol)):
            return None
        xp = sol[:n]
        yp = np.zeros(m)
        yp[act] = sol[n:]
        zp = np.clip(self._Ax(xp), self.l, self.u)
        rp, sp_, *_ = self._residuals(xp, zp, yp, opts)
        ok = (rp < r and sp_ < s) or (rp < r and s < 1e-10) or (sp_ < s and r < 1e-10)
        if not ok:
            return None
        R = pen[n:]
        return (np.concatenate([xp, zp]), np.concatenate([np.zeros(n), yp / R]), rp, sp_)


def _ruiz(P, A, iters):
    r"""Modified Ruiz equilibration of the KKT matrix ``[[P, A^T], [A, 0]]`` (OSQP's
    ``scaling.c``) on sparse ``P`` and ``A``: ``iters`` passes of
    ``D <- D / sqrt(col-inf-norm)``, norms below 1e-4 or above 1e4 clipped (zero norms -> 1).
    Scales the stored entries in place on copies (``O(nnz)`` per pass, one numba call:
    :func:`._kernels.ruiz_equilibrate`).
    Returns ``D, E, D P D, E A D`` (CSC)."""
    from ._kernels import ruiz_equilibrate
    n, m = A.shape[1], A.shape[0]
    D, E = np.ones(n), np.ones(m)
    Ps = P.tocsc().copy()
    As = A.tocsc().copy()
    Ps.sum_duplicates()
    As.sum_duplicates()
    Ps.data = Ps.data.astype(np.float64, copy=False)
    As.data = As.data.astype(np.float64, copy=False)
    if iters > 0:
        u = lambda a: a.astype(np.uint64)          # unsigned: no wraparound tests in the kernel
        ruiz_equilibrate(int(iters), u(Ps.indptr), u(Ps.indices), Ps.data, u(As.indptr), u(As.indices), As.data,
                         D, E, np.zeros(n), False)
    return D, E, Ps, As
