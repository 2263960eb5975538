r"""A barrier (path-following) method for LMIs with rank-one/rank-two data, numopt's own LipSDP solver.

Problem: ``min c^T y`` s.t. ``S(y) = C0 + sum_t coef_t y_{j(t)} sym(phi_p phi_q^T) > 0`` and
``lb < y < ub``. For a barrier parameter ``t`` the centring problem is

.. math::
    \min_y\ f_t(y) = t\, c^T y - \log\det S(y) - \sum_j \log(y_j - l_j) - \sum_j \log(u_j - y_j),

solved by damped Newton steps (the line search is :func:`numopt.linesearch.backtrack` on ``f_t``,
infinite outside the domain); then ``t <- mu t``. A centred point has duality gap at most
``nu / t`` (``nu`` = LMI size + number of finite bounds; Boyd & Vandenberghe, *Convex
Optimization*, 11.3 and 11.6).

What makes it fast is the data: with ``G = Phi S^{-1} Phi^T`` (one Cholesky factorization of
``S`` and one triangular solve with the ``p`` feature rows),

.. math::
    \partial_j \log\det S = \sum_{t: j(t)=j} c_t G_{p_t q_t}, \qquad
    \operatorname{tr}(S^{-1} F_j S^{-1} F_k) = \sum_{t, t'} c_t c_{t'}
    \tfrac12 (G_{p_t p_{t'}} G_{q_t q_{t'}} + G_{p_t q_{t'}} G_{q_t p_{t'}}),

so a Newton step costs ``O(n^2 p + p^2 n + T^2 + m^3)`` instead of the ``O(m n^3 + m^2 n^2)`` of a
generic SDP interior-point method that forms every ``S^{-1} F_j S^{-1}`` (the classical low-rank
trick of DSDP for max-cut-like SDPs; Benson, Ye & Zhang, SIAM J. Optim. 10, 2000).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from ._lmi import LMIData, cholesky

__all__ = ["LMIProgram", "barrier_value", "barrier_derivatives", "initial_t", "phase_one_program", "phase_one_start", "PDPoint",
           "pd_start", "pd_step"]


@dataclass
class LMIProgram(LMIData):
    """``min c^T y`` s.t. ``C0 + sum_t coef_t y[var_t] sym(Phi[P_t] Phi[Q_t]^T) > 0``, ``lb < y < ub``
    (:class:`._lmi.LMIData` plus the objective ``c``)."""

    c: np.ndarray

    def __post_init__(self):
        self.PhiT = self.Phi.T.toarray()
        self.has_lb = np.isfinite(self.lb)
        self.has_ub = np.isfinite(self.ub)
        self.nu = self.n + int(self.has_lb.sum() + self.has_ub.sum())

    @classmethod
    def of(cls, data: LMIData, c) -> "LMIProgram":
        """The program ``min c^T y`` over the LMI ``data`` (e.g. a :class:`._formulation.Formulation`)."""
        return cls(data.Phi, data.P, data.Q, data.coef, data.var, data.C0, data.lb, data.ub, np.asarray(c, float))


def barrier_value(prog: LMIProgram, y, t: float) -> float:
    """``f_t(y)`` (``inf`` outside the domain)."""
    if np.any(y[prog.has_lb] <= prog.lb[prog.has_lb]) or np.any(y[prog.has_ub] >= prog.ub[prog.has_ub]):
        return np.inf
    S = prog.matrix(y)
    if not np.all(np.isfinite(S)):
        return np.inf
    L = cholesky(S)
    if L is None:
        return np.inf
    val = t * float(prog.c @ y) - 2.0 * float(np.sum(np.log(np.diag(L))))
    val -= float(np.sum(np.log(y[prog.has_lb] - prog.lb[prog.has_lb])))
    val -= float(np.sum(np.log(prog.ub[prog.has_ub] - y[prog.has_ub])))
    return val


def barrier_derivatives(prog: LMIProgram, y):
    """Gradient and Hessian of the barrier ``-log det S(y) - sum log(bounds)`` (no objective), and the
    distances to the bounds; ``None`` when ``S(y)`` is not positive definite."""
    S = prog.matrix(y)
    L = cholesky(S)
    if L is None:
        return None
    Y = sla.solve_triangular(L, prog.PhiT, lower=True, check_finite=False)
    G = Y.T @ Y
    P, Q = prog.P, prog.Q
    tr = prog.agg.T @ G[P, Q]
    HT = 0.5 * (G[np.ix_(P, P)] * G[np.ix_(Q, Q)] + G[np.ix_(P, Q)] * G[np.ix_(Q, P)])
    Hm = np.asarray((prog.agg.T @ (prog.agg.T @ HT).T))
    Hm = 0.5 * (Hm + Hm.T)
    dl = np.where(prog.has_lb, y - np.where(prog.has_lb, prog.lb, 0.0), np.inf)
    du = np.where(prog.has_ub, np.where(prog.has_ub, prog.ub, 0.0) - y, np.inf)
    g = -tr - 1.0 / dl + 1.0 / du
    Hm[np.diag_indices_from(Hm)] += 1.0 / dl ** 2 + 1.0 / du ** 2
    return g, Hm, dl, du


def _solve_psd(Hm, g):
    try:
        cf = sla.cho_factor(Hm, lower=True, check_finite=False)
        return sla.cho_solve(cf, g, check_finite=False)
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(Hm)
        keep = w > w[-1] * 1e-14
        if not np.any(keep):
            return None
        return V[:, keep] @ ((V[:, keep].T @ g) / w[keep])


def initial_t(prog: LMIProgram, y, fallback: float) -> float:
    """Boyd & Vandenberghe's choice (11.3.1): the ``t`` making ``y`` most central,
    ``argmin_t ||t c + grad barrier||_{H^-1}``; ``fallback`` if that is not positive."""
    out = barrier_derivatives(prog, y)
    if out is None:
        return fallback
    g, Hm = out[0], out[1]
    a = _solve_psd(Hm, prog.c)
    if a is None:
        return fallback
    t = -float(a @ g) / float(a @ prog.c) if float(a @ prog.c) > 0 else -1.0
    return t if np.isfinite(t) and t > 0 else fallback


def phase_one_program(form_prog: LMIProgram, nrho: int, rho_var: int = 0) -> tuple[LMIProgram, np.ndarray]:
    r"""Feasibility of the hidden block: ``min s`` s.t. ``K_h(y) + s I > 0`` on the non-rho block,
    ``0 < y < 1`` (sign-constrained multipliers), ``-1 < y < 1`` (free ones).

    ``K_h`` is ``S_22`` without its constant part; a point with ``s < 0`` gives ``K_h(y) > |s| I``,
    and then ``gamma y`` makes ``S_22 = gamma K_h(y) + C0_22`` positive definite for
    ``gamma > lambda_max(-C0_22) / |s|``. Returns the program and the map ``old var -> new var``.
    """
    n = form_prog.n
    rest = np.arange(nrho, n)
    Phi = form_prog.Phi[:, nrho:]
    keep = form_prog.var != rho_var
    m = form_prog.lb.size
    newidx = np.full(m, -1)
    others = [j for j in range(m) if j != rho_var]
    newidx[others] = np.arange(1, len(others) + 1)
    lb = np.empty(len(others) + 1)
    ub = np.empty(len(others) + 1)
    lb[0], ub[0] = -np.inf, np.inf
    for k, j in enumerate(others, start=1):
        if np.isfinite(form_prog.lb[j]):
            lb[k], ub[k] = 0.0, 1.0
        else:
            lb[k], ub[k] = -1.0, 1.0
    nr = rest.size
    Phi1 = sp.vstack([Phi, sp.identity(nr, format="csr")]).tocsr()
    p0 = Phi.shape[0]
    P = np.concatenate([form_prog.P[keep], p0 + np.arange(nr)])
    Q = np.concatenate([form_prog.Q[keep], p0 + np.arange(nr)])
    coef = np.concatenate([form_prog.coef[keep], np.ones(nr)])
    var = np.concatenate([newidx[form_prog.var[keep]], np.zeros(nr, dtype=np.int64)])
    c = np.zeros(len(others) + 1)
    c[0] = 1.0
    prog = LMIProgram(Phi1, P, Q, coef, var, np.zeros((nr, nr)), lb, ub, c)
    return prog, newidx


def phase_one_start(form_prog: LMIProgram, nrho: int):
    """The phase-I program of :func:`phase_one_program` and its starting primal-dual point: sign-constrained
    multipliers at 1/2, free ones at 0, ``s`` just above ``-lambda_min(K_h)``. Returns ``(program, map, point)``."""
    p1, p1_map = phase_one_program(form_prog, nrho)
    y1 = np.where(np.isfinite(p1.lb) & (np.arange(p1.lb.size) > 0), 0.5, 0.0)
    K = p1.matrix(y1)
    lmin = float(np.linalg.eigvalsh(K)[0]) if K.size else 0.0
    y1[0] = max(-lmin, 0.0) + 0.1 * (abs(lmin) + 1e-3 * float(np.linalg.norm(K)) + 1e-12)
    return p1, p1_map, pd_start(p1, y1, initial_t(p1, y1, p1.nu / max(abs(y1[0]), 1e-12)))


# ------------------------------------------------------------------------------------------------
# primal-dual path following (HKM direction, Mehrotra's centring heuristic)
@dataclass
class PDPoint:
    """A primal-dual point: ``y`` (strictly feasible), ``X > 0`` (dual of the LMI), ``zl, zu > 0``;
    ``L`` caches the Cholesky factor of ``S(y)``."""

    y: np.ndarray
    X: np.ndarray
    zl: np.ndarray
    zu: np.ndarray
    L: np.ndarray | None = None


def pd_start(prog: LMIProgram, y, t: float) -> PDPoint:
    """The perfectly centred dual point for ``y``: ``X = S^{-1}/t``, ``z = 1/(t s)``."""
    L = cholesky(prog.matrix(y))
    X = _inv_fromcholesky(L) / t
    dl = np.where(prog.has_lb, y - np.where(prog.has_lb, prog.lb, 0.0), np.inf)
    du = np.where(prog.has_ub, np.where(prog.has_ub, prog.ub, 0.0) - y, np.inf)
    return PDPoint(y.copy(), X, 1.0 / (t * dl), 1.0 / (t * du), L)


def _inv_fromcholesky(L) -> np.ndarray:
    """``(L L^T)^{-1}`` by LAPACK's ``potri`` (symmetrised)."""
    if L.size == 0:
        return np.zeros((0, 0))
    inv, info = sla.lapack.dpotri(L, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"dpotri failed (info={info})")
    inv = np.tril(inv)
    return inv + np.tril(inv, -1).T


_DENSE_EIG = 250


def _lambda_min(matvec, n: int) -> float:
    """Smallest eigenvalue of a symmetric operator by Lanczos (ARPACK, ``tol=1e-6``), with a dense
    fallback. A slight overestimate is harmless: every step is verified by a Cholesky factorization."""
    from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh
    op = LinearOperator((n, n), matvec=matvec, dtype=float)
    try:
        return float(eigsh(op, k=1, which="SA", tol=1e-6, v0=np.ones(n), maxiter=20 * n,
                           return_eigenvectors=False)[0])
    except (ArpackError, ArpackNoConvergence):
        A = np.column_stack([matvec(e) for e in np.eye(n)])
        return float(np.linalg.eigvalsh(0.5 * (A + A.T))[0])


def _max_step_psd(L, dense, dmatvec) -> float:
    """Largest ``a <= 1`` with ``L L^T + a D > 0``: ``dense()`` gives ``D`` (LAPACK eigenvalues of
    ``L^{-1} D L^{-T}`` for ``n <= 250``), ``dmatvec(v) = D v`` (Lanczos on the operator, larger ``n``)."""
    n = L.shape[0]
    if n == 0:
        return 1.0
    if n <= _DENSE_EIG:
        Z = sla.solve_triangular(L, sla.solve_triangular(L, dense(), lower=True, check_finite=False).T,
                                 lower=True, check_finite=False)
        lmin = float(np.linalg.eigvalsh(0.5 * (Z + Z.T))[0])
    else:
        def mv(v):
            w = sla.solve_triangular(L, v, lower=True, trans="T", check_finite=False)
            return sla.solve_triangular(L, dmatvec(w), lower=True, check_finite=False)
        lmin = _lambda_min(mv, n)
    return 1.0 if lmin >= -1.0 else -1.0 / lmin


def _max_step_lp(s, ds) -> float:
    sel = np.isfinite(s) & (ds < 0)
    return 1.0 if not np.any(sel) else min(1.0, float(np.min(-s[sel] / ds[sel])))


def pd_step(prog: LMIProgram, pt: PDPoint, frac: float = 0.95):
    """One predictor-corrector-centred HKM step. Returns ``(point, info, ok, detail)``.

    With ``M_jk = tr(F_j X F_k S^{-1})`` (the low-rank formula of the module docstring with
    ``G_X = Phi X Phi^T`` and ``G_Z = Phi S^{-1} Phi^T``) and ``D = diag(z/s)``,
    ``dy = -(M + D)^{-1} (c + sigma mu grad barrier)``, ``dX = sigma mu S^{-1} - X - sym(X dS S^{-1})``;
    ``sigma = (mu_aff / mu)^3`` from the affine-scaling step and the second-order correction
    ``sym(dX_aff dS_aff S^{-1})`` in the corrector (Mehrotra 1992; Todd, Toh & Tutuncu 1998). Step lengths come
    from the smallest eigenvalues of ``L^{-1} dS L^{-T}`` (LAPACK up to ``n = 250``, Lanczos on the
    operator beyond); the primal step is then verified by a Cholesky factorization and the dual one
    as well, so the
    primal point stays strictly feasible and every ``y`` is a valid certificate.
    Cost per step: about ``3.5 n^3`` (Cholesky of ``S`` and ``X``, ``S^{-1}``, ``X dS S^{-1}``) plus
    sparse products with the ``p`` feature rows and the ``T x T`` term matrix.
    """
    y, X, zl, zu = pt.y, pt.X, pt.zl, pt.zu
    S = prog.matrix(y)
    L = pt.L if pt.L is not None else cholesky(S)
    if L is None:
        return pt, {}, False, "S(y) lost positive definiteness"
    Sinv = _inv_fromcholesky(L)
    Phi = prog.Phi
    GZ = np.asarray(Phi @ (Phi @ Sinv).T)
    GX = np.asarray(Phi @ (Phi @ X).T)
    P, Q = prog.P, prog.Q
    # tr(sym(pq) X sym(p'q') Z) = 1/4 [GX[q,p']GZ[q',p] + GX[q,q']GZ[p',p] + GX[p,p']GZ[q',q] + GX[p,q']GZ[p',q]]
    MT = 0.25 * (GX[np.ix_(Q, P)] * GZ[np.ix_(P, Q)] + GX[np.ix_(Q, Q)] * GZ[np.ix_(P, P)]
                 + GX[np.ix_(P, P)] * GZ[np.ix_(Q, Q)] + GX[np.ix_(P, Q)] * GZ[np.ix_(Q, P)])
    M = np.asarray(prog.agg.T @ (prog.agg.T @ MT.T).T)
    M = 0.5 * (M + M.T)
    hl, hu = prog.has_lb, prog.has_ub
    sl = np.where(hl, y - np.where(hl, prog.lb, 0.0), np.inf)
    su = np.where(hu, np.where(hu, prog.ub, 0.0) - y, np.inf)
    Dg = np.where(hl, zl / sl, 0.0) + np.where(hu, zu / su, 0.0)
    M[np.diag_indices_from(M)] += Dg
    nu = prog.nu
    XS = float(np.sum(X * S))
    mu = (XS + float(zl[hl] @ sl[hl]) + float(zu[hu] @ su[hu])) / nu
    trFS = prog.agg.T @ GZ[P, Q]
    FX = prog.agg.T @ GX[P, Q]
    inv_sl = np.where(hl, 1.0 / sl, 0.0)
    inv_su = np.where(hu, 1.0 / su, 0.0)
    gb = -trFS - inv_sl + inv_su
    try:
        cf = sla.cho_factor(M, lower=True, check_finite=False)
        solve = lambda r: sla.cho_solve(cf, r, check_finite=False)  # noqa: E731
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(M)
        keep = w > max(w[-1], 0.0) * 1e-14
        if not np.any(keep):
            return pt, {}, False, "singular Schur-complement matrix"
        solve = lambda r: V[:, keep] @ ((V[:, keep].T @ r) / w[keep])  # noqa: E731
    LX = cholesky(X)
    if LX is None:
        return pt, {}, False, "the dual matrix X lost positive definiteness"

    def direction(smu, corr=None):
        rhs = prog.c + smu * gb
        if corr is not None:
            rhs = rhs + corr[0]
        dy = -solve(rhs)
        dS = prog.matrix(dy, constant=False)
        dzl = np.where(hl, smu * inv_sl - zl - zl * inv_sl * dy, 0.0)
        dzu = np.where(hu, smu * inv_su - zu + zu * inv_su * dy, 0.0)
        if corr is not None:
            dzl, dzu = dzl - corr[1] * inv_sl, dzu - corr[2] * inv_su
        return dy, dS, dzl, dzu

    def dX_matvec(smu, dS):
        def mv(v):
            a = Sinv @ v
            return smu * a - X @ v - 0.5 * (X @ (dS @ a) + Sinv @ (dS @ (X @ v)))
        return mv

    def dX_dense(smu, dS):
        XdSZ = X @ dS @ Sinv
        return smu * Sinv - X - 0.5 * (XdSZ + XdSZ.T)

    def steps(dy, dS, dzl, dzu, smu, dXf=None):
        ap = min(_max_step_psd(L, lambda: dS, lambda v: dS @ v), _max_step_lp(sl, dy), _max_step_lp(su, -dy))
        dense = (lambda: dX_dense(smu, dS)) if dXf is None else (lambda: dXf)
        mv = dX_matvec(smu, dS) if dXf is None else (lambda v: dXf @ v)
        ad = min(_max_step_psd(LX, dense, mv),
                 _max_step_lp(np.where(hl, zl, np.inf), dzl),
                 _max_step_lp(np.where(hu, zu, np.inf), dzu))
        return ap, ad

    dy, dS, dzl, dzu = direction(0.0)
    ap, ad = steps(dy, dS, dzl, dzu, 0.0)
    # <X + ad dX, S + ap dS> with dX = -X - sym(X dS S^-1):  <dX, S> = -XS - tr(X dS), <X, dS> = tr(X dS),
    # <dX, dS> = -tr(X dS) - tr(X dS S^-1 dS)
    XdS = float(np.sum(X * dS))
    XdSZdS = float(np.sum((X @ dS) * (Sinv @ dS).T))
    lin = XS + ap * XdS + ad * (-XS - XdS) + ad * ap * (-XdS - XdSZdS)
    mu_aff = (lin + float((zl + ad * dzl)[hl] @ (sl + ap * dy)[hl])
              + float((zu + ad * dzu)[hu] @ (su - ap * dy)[hu])) / nu
    sigma = float(np.clip((max(mu_aff, 0.0) / mu) ** 3, 1e-4, 0.9)) if mu > 0 else 0.1
    smu = sigma * mu
    # Mehrotra's second-order correction: the product of the affine directions, dX_a dS_a S^-1
    Kc = dX_dense(0.0, dS) @ dS @ Sinv
    Kc = 0.5 * (Kc + Kc.T)
    GK = np.asarray(Phi @ (Phi @ Kc).T)
    corr_l = np.where(hl, dy * dzl, 0.0)
    corr_u = np.where(hu, -dy * dzu, 0.0)
    corr = (prog.agg.T @ GK[P, Q] + corr_l * inv_sl - corr_u * inv_su, corr_l, corr_u)
    dy, dS, dzl, dzu = direction(smu, corr)
    dXc = dX_dense(smu, dS) - Kc
    ap, ad = steps(dy, dS, dzl, dzu, smu, dXc)
    ap, ad = frac * ap, frac * ad
    if not (np.isfinite(ap) and np.isfinite(ad)) or ap <= 0:
        return pt, {}, False, "no primal step possible"
    for _ in range(30):  # the primal step must keep S(y) > 0 in floating point
        yn = y + ap * dy
        Ln = cholesky(S + ap * dS)
        if Ln is not None and np.all(np.isfinite(Ln)):
            Ln2 = cholesky(prog.matrix(yn))  # the matrix the next step and the certificate use
            if Ln2 is not None:
                Ln = Ln2
                break
        ap *= 0.5
    else:
        return pt, {}, False, "the primal step could not keep S(y) positive definite"
    dX = dXc
    for _ in range(30):
        Xn = X + ad * dX
        if cholesky(Xn) is not None:
            break
        ad *= 0.5
    else:
        return pt, {}, False, "the dual step could not keep X positive definite"
    new = PDPoint(yn, 0.5 * (Xn + Xn.T), np.where(hl, zl + ad * dzl, 0.0), np.where(hu, zu + ad * dzu, 0.0), Ln)
    res = prog.c - FX - np.where(hl, zl, 0.0) + np.where(hu, zu, 0.0)
    info = {"mu": mu, "gap": mu * nu, "sigma": sigma, "step_primal": ap, "step_dual": ad,
            "dual_residual": float(np.linalg.norm(res)), "dual_objective": -float(np.sum(X * prog.C0))}
    return new, info, True, ""
