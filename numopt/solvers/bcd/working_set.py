r"""The working-set engine of ``bcd`` for L1 problems: Lasso and L1-logistic regression.

One outer iteration (one driver step):

1. **Gap safe screening** (Ndiaye, Fercoq, Gramfort & Salmon, JMLR 2017): with the best dual
   point ``theta`` found so far and the duality gap ``G = P(w) - D(theta)``, the dual optimum lies
   in the ball of radius ``r = sqrt(2 G / (c N))`` around ``theta`` (``D`` is ``c N``-strongly
   concave, ``c`` from the datafit; ``G`` floored at ``1e3 eps |P|`` against rounding). Feature ``j`` with ``|X_j^T theta| + ||X_j|| r < alpha`` is
   zero at every solution and is removed for good.
2. **Working set** (celer, Massias et al. 2018; skglm, Bertrand et al. 2022): the current
   support plus the features closest to violating the dual constraint, ranked by
   ``d_j = (alpha - |X_j^T theta|) / ||X_j||`` at the current residual dual point
   (``np.argpartition``, no full sort); its size is
   ``max(p0, 2 |supp w|)`` and never shrinks.
3. **Inner solve** on the working set, until the working-set KKT violation is below ``0.3``
   times the outer one: for least squares cyclic proximal CD with Anderson acceleration of the
   primal iterates (:func:`._ws_kernels.solve_ws`, skglm's ``AndersonCD``); for the logistic
   loss proximal Newton (:func:`._ws_kernels.newton_ws`, celer-pn / skglm's ``ProxNewton``),
   whose CD on the fixed ``1/4`` curvature bound stalls on near-separable data (measured:
   33,000 epochs and 22 s for breast cancer at ``alpha_max / 1000``).
4. **Certificate** (one numba pass for ``rho``, ``P(w)`` and ``X^T rho``): the
   dual point ``theta = -s rho / N`` at the rescaled generalized residual ``rho = phi'(X w)``
   and, every iteration once ``K + 1`` residuals are stored, the **dual extrapolation**
   ``rho_acc = sum_k c_k rho_k`` (celer), whose ``X^T rho_acc = sum_k c_k X^T rho_k`` is
   combined from the stored gradients (``O(K p)``, no second pass; its rounding-error bound is
   added to the dual scaling and the screening test); the best dual value seen is kept, so the
   gap is monotone. Stop when ``small_gap(G, P, gap_tol)`` holds and the problem's own certificate
   (``Lasso.duality_gap``, ``LogisticRegression.duality_gap``) confirms it.

Work: ``njev`` counts the full gradients of step 4 and ``nfev`` the objective values; ``npass``
adds them to the inner epochs weighted by the working set's share of the nonzeros of ``X``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ... import stopping
from ...work import add_passes
from . import _datafit

#: Default relative duality-gap tolerance of the working-set engine.
GAP_TOL = 1e-10
#: Inner solves stop at this fraction of the outer KKT violation (celer, skglm: 0.3).
INNER_TOL = 0.3


class WSProblem:
    """The data of an L1 problem as the working-set kernels want it (built once per run)."""

    def __init__(self, smooth, loss: int, alpha: float, gap_model):
        self.loss, self.alpha, self.gap_model = loss, float(alpha), gap_model
        self.fit = _datafit.module(loss)
        X = smooth.X
        self.y = np.ascontiguousarray(smooth.y, dtype=float)
        self.N, self.p = X.shape
        self.invN = 1.0 / self.N
        if sp.issparse(X):
            M = sp.csc_matrix(X, dtype=float, copy=True)
            M.sum_duplicates()
            M.sort_indices()
            self.M = M
            self.X = (np.zeros((2, 2), order="F"), M.indptr.astype(np.int64), M.indices.astype(np.int64),
                      np.ascontiguousarray(M.data, dtype=float))
            self.colnnz = np.diff(M.indptr).astype(float)
        else:
            D = np.asfortranarray(X, dtype=float)
            self.M = D
            e = np.empty(0, dtype=np.int64)
            self.X = (D, e, e, np.empty(0))
            self.colnnz = np.full(self.p, float(self.N))
        from ._ws_kernels import col_sq_norms
        colsq = col_sq_norms(self.X)
        self.nnz = max(float(self.colnnz.sum()), 1.0)
        self.colnorm = np.sqrt(colsq)
        self.Lc = self.fit.CURVATURE * self.invN * colsq
        self._col_l1 = None

    def col_l1(self):
        """``||X_j||_1`` per column (computed on first use)."""
        if self._col_l1 is None:
            self._col_l1 = np.asarray(abs(self.M).sum(axis=0), dtype=float).ravel()
        return self._col_l1

    def matvec(self, w):
        if not np.any(w):
            return np.zeros(self.N)
        return np.asarray(self.M @ w, dtype=float).ravel()

    def rmatvec(self, v):
        return np.asarray(self.M.T @ v, dtype=float).ravel()


class WSState:
    """Mutable per-run state of the engine (kept in the solver state, never on the solver)."""

    def __init__(self, p, p0):
        self.screened = np.zeros(p, dtype=bool)
        self.ws_size = p0
        self.rhos = []
        self.D = -np.inf
        self.Xt = None          # X^T theta of the best dual point
        self.Xt_err = 0.0       # a bound of the rounding error of Xt (extrapolated dual points; per feature)
        self.gs = []            # X^T rho / N of the stored residuals (dual extrapolation)
        self.g = None
        self.gap = np.inf
        self.P = np.inf
        self.epochs = 0
        self.newton = 0
        self.fallbacks = 0
        self.model_gap = None   # (w, the problem's own gap at w), cached for the result


def _kkt(g, w, alpha):
    v = np.where(w > 0, np.abs(g + alpha), np.where(w < 0, np.abs(g - alpha), np.maximum(np.abs(g) - alpha, 0)))
    return v


def certify(wp: WSProblem, st: WSState, w, z, problem, K: int) -> bool:
    """Step 4: gradient, best dual point and gap at ``w``; False if something is not finite."""
    from . import _ws_kernels as WK
    rho = np.empty(wp.N)
    g = np.empty(wp.p)
    P = float(WK.certify_pass(wp.loss, wp.X, wp.y, wp.invN, wp.alpha, w, z, rho, g))
    problem.counts["nfev"] = problem.counts.get("nfev", 0) + 1
    problem.counts["njev"] = problem.counts.get("njev", 0) + 1
    add_passes(problem, 1.0)
    if not (np.all(np.isfinite(g)) and np.isfinite(P)):
        return False
    st.g, st.P = g, P
    candidates = [(rho, g, 0.0)]
    st.rhos.append(rho)
    st.gs.append(g)
    if len(st.rhos) > K + 1:
        st.rhos.pop(0)
        st.gs.pop(0)
    if K > 0 and len(st.rhos) == K + 1:
        R = np.asarray(st.rhos)
        U = np.diff(R, axis=0)
        C = U @ U.T
        tr = float(np.trace(C))
        if np.isfinite(tr) and tr > 0:
            try:
                c = np.linalg.solve(C + 1e-10 * tr / K * np.eye(K), np.ones(K))
            except np.linalg.LinAlgError:
                c = None
            if c is not None and np.isfinite(c.sum()) and c.sum() != 0:
                c = c / c.sum()
                r_acc = c @ R[1:]
                # X^T r_acc / N = sum_k c_k g_k by linearity: O(K p) instead of a pass over X. Its
                # rounding error is bounded by err (K + 1 products and sums per entry, with a wide
                # margin); the dual scaling and the screening test add it, so the extrapolated dual
                # point stays feasible and screening stays safe.
                G = np.asarray(st.gs[1:])
                g_acc = c @ G
                # the combination's rounding (of g_acc, and of r_acc seen through |X_j|^T / N)
                scale = 64.0 * np.finfo(float).eps * (K + 1) * float(np.abs(c).sum())
                err = scale * (float(np.max(np.abs(G), initial=0.0))
                               + float(np.max(np.abs(R), initial=0.0)) * wp.col_l1() * wp.invN)
                if np.all(np.isfinite(g_acc)) and np.all(np.isfinite(err)):
                    candidates.append((r_acc, g_acc, err))
    for r, gr, err in candidates:
        gmax = float(np.max(np.abs(gr) + err, initial=0.0))
        s = 1.0 if gmax <= wp.alpha else wp.alpha / gmax
        D = float(WK.dual_value(wp.loss, r, wp.y, wp.N, s))
        if D > st.D:
            st.D, st.Xt, st.Xt_err = D, -s * gr, s * err
    st.gap = P - st.D
    return True


def converged(wp: WSProblem, st: WSState, w, tol: float) -> bool:
    """``small_gap`` on the engine's gap, confirmed by the problem's own certificate."""
    if not stopping.small_gap(max(st.gap, 0.0), st.P, tol):
        return False
    gap = float(wp.gap_model.duality_gap(w))
    st.model_gap = (w.copy(), gap)
    return stopping.small_gap(gap, st.P, tol)


def model_gap(wp: WSProblem, st: WSState, w) -> float:
    """The problem's own duality gap at ``w`` (cached from the last verdict when possible)."""
    if st.model_gap is not None and np.array_equal(st.model_gap[0], w):
        return st.model_gap[1]
    return float(wp.gap_model.duality_gap(w))


def outer_step(wp: WSProblem, st: WSState, w, z, problem, options):
    """Steps 1-3 in place on ``w`` and ``z``; returns the working set."""
    from . import _ws_kernels as WK
    alpha = wp.alpha
    if options.screening and st.Xt is not None and np.isfinite(st.gap):
        # the gap is floored at rounding level (1e3 eps |P|): at a zero computed gap the features of
        # the support sit on the dual boundary |X_j^T theta| = alpha, and rounding alone must not
        # push them inside it
        G = max(st.gap, 1e3 * np.finfo(float).eps * abs(st.P))
        radius = np.sqrt(2.0 * G / (wp.fit.STRONG_CONCAVITY * wp.N))
        new = ~st.screened & (np.abs(st.Xt) + st.Xt_err + wp.colnorm * radius < alpha)
        drop = np.flatnonzero(new & (w != 0))
        if drop.size:          # a nonzero coefficient of a screened feature: zero it (exactly safe)
            z -= wp.matvec(np.where(np.isin(np.arange(wp.p), drop), w, 0.0))
            w[drop] = 0.0
        st.screened |= new
    viol = _kkt(st.g, w, alpha)
    viol[st.screened] = 0.0
    kkt = float(viol.max(initial=0.0))
    # priorities from the current residual dual point (the best one may be stale for w)
    gmax = float(np.max(np.abs(st.g), initial=0.0))
    s = 1.0 if gmax <= alpha else alpha / gmax
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (alpha - s * np.abs(st.g)) / wp.colnorm
    score[wp.colnorm == 0] = np.inf
    score[st.screened] = np.inf
    score[w != 0] = -np.inf
    n_avail = int(np.count_nonzero(np.isfinite(score) | (w != 0)))
    st.ws_size = min(max(st.ws_size, options.ws_p0, 2 * int(np.count_nonzero(w))), max(n_avail, 1))
    if n_avail == 0:
        return np.empty(0, dtype=np.int64), 0
    k = min(st.ws_size, n_avail)
    ws = np.argpartition(score, k - 1)[:k] if k < score.size else np.arange(score.size)
    ws = np.sort(ws[np.isfinite(score[ws]) | (w[ws] != 0)]).astype(np.int64)
    tol = INNER_TOL * kkt
    share = float(wp.colnnz[ws].sum()) / wp.nnz
    inner = options.inner if options.inner != "auto" else ("newton" if wp.loss == 1 else "cd")
    epochs = 0
    if inner == "newton":
        its, passes, viol, ok = WK.newton_ws(wp.loss, wp.X, wp.y, wp.invN, alpha, w, z, ws, tol,
                                             min(options.ws_max_epochs, 100), 20)
        st.newton += its
        add_passes(problem, passes * share)
        epochs = passes
        if ok:
            st.epochs += epochs
            return ws, epochs
        st.fallbacks += 1           # no sufficient decrease: monotone CD takes over for this round
    ep, extra, _ = WK.solve_ws(wp.loss, wp.X, wp.y, wp.invN, alpha, w, z, ws, wp.Lc, tol,
                               options.ws_max_epochs, options.anderson, 10)
    epochs += ep
    st.epochs += epochs
    add_passes(problem, (ep + extra) * share)
    return ws, epochs
