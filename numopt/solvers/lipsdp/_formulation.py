r"""The LipSDP linear matrix inequality of a :class:`~numopt.problems.Network`, in one representation.

Every variant is written as one LMI in the stacked increments ``xi = (x, z)`` of the input and of
the *hidden variables* ``z`` (the outputs of the nonlinearities after the rewrites below):

.. math::
    S(y) = C_0 + \sum_t c_t\, y_{j(t)}\, \mathrm{sym}(\varphi_{p(t)} \varphi_{q(t)}^T) \succeq 0,
    \qquad \min\ y_0 = \rho,

with ``varphi_p`` the rows of a sparse *feature* matrix ``Phi`` (pre-activations, hidden variables,
group sums), ``sym(a b^T) = (a b^T + b a^T)/2`` and ``y = (rho, multipliers)``. ``S = -M`` in the
notation of Fazlyab et al. (2019), so every term is rank one or two: the structure the
interior-point method (:mod:`._ipm`) and the certification (:func:`certify`) use.

Quadratic constraints (increments; ``u`` pre-activation, ``r`` output of a scalar nonlinearity):

* slope-restricted on ``[a, b]`` (Fazlyab et al. 2019, Lemma 1): ``-2 (r - a u)(r - b u) >= 0``,
  one multiplier per unit (``variant="neuron"``), per layer (``"layer"``) or per unit plus one per
  pair of units with the same slope bounds (``"network"``, repeated nonlinearity; not valid in
  general, Pauli et al. 2022, hence ``unsafe_coupling=True``);
* GroupSort / MaxMin, ``encoding="nsr"`` (ICLR 2024, LipSDP-NSR): per group ``g`` of pre-activation
  ``u_g`` and output ``z_g``: ``lam_g (|u_g|^2 - |z_g|^2) + mu_g ((1^T u_g)^2 - (1^T z_g)^2) >= 0``
  with ``lam_g >= 0`` and ``mu_g`` free. No cross terms: the LMI is block diagonal (a chain of
  layer-sized LMIs, split into independent cones by the cvxpy route);
* MaxMin, ``encoding="coupled"`` (default): ``max(a, b) = b + relu(a - b)``,
  ``min(a, b) = a - relu(a - b)`` -- one ReLU per pair, the output a linear function of
  ``(u, r)``; never looser than NSR for the 2-norm (research note 2.3);
* MaxMin, ``encoding="two-relu"``: the ICLR-2024 paper's ReLU baseline
  (``LipschitzEstimation_ResReLU.m``): ``max = b + relu(a - b)``, ``min = b - relu(b - a)``, two
  independent ReLUs per pair; gives ``rho = 2`` on one orthogonal MaxMin layer;
* Householder ``sigma(v) = P v + theta |theta^T v|`` (``P = I - theta theta^T``): the linear part
  passes through exactly and ``|.|`` is slope-restricted on ``[-1, 1]`` -- this uses both properties
  of the paper (the orthogonal component is preserved, ``theta^T sigma(v) = |theta^T v|``).

Norms. ``norm=2``: ``S = rho I_x - O^T O - sum(QC terms)``, ``L_2 = sqrt(rho*)``; the input block is
reduced exactly by the SVD of the first weight matrix (research note 2.5). ``norm=inf`` for a
scalar output ``g = c^T f`` (Wang et al. 2024; ``ppauli/QCs_MaxMin``): with a homogenising
coordinate ``e`` first, ``S = [[2 rho - 1^T tau, -g^T], [-g, diag(tau) (+) 0 - QC]]``,
``|c^T (f(x) - f(y))| <= rho* ||x - y||_inf``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from ._lmi import LMIData, cholesky

__all__ = ["Formulation", "build", "certify", "ENCODINGS", "VARIANTS"]

VARIANTS = ("neuron", "layer", "network")
ENCODINGS = ("auto", "coupled", "nsr", "two-relu")
_EPS = np.finfo(float).eps


@dataclass
class Formulation(LMIData):
    """The LipSDP LMI ``S(y) >= 0`` of a network (:class:`._lmi.LMIData`); see the module docstring.

    ``y[0] = rho`` enters the first ``nrho`` diagonal entries with coefficient ``rho_coef``.
    """

    nrho: int
    rho_coef: float
    kinds: list
    unit_var: np.ndarray
    norm: float
    group: np.ndarray
    info: dict = field(default_factory=dict)

    def bound_of(self, rho: float) -> float:
        """The Lipschitz bound certified by ``rho``: ``sqrt(rho)`` (2-norm) or ``rho`` (inf-norm)."""
        rho = max(float(rho), 0.0)
        return float(np.sqrt(rho)) if self.norm == 2 else rho

    def coefficient_matrices(self) -> sp.csr_matrix:
        """``vec(F_j)`` as columns (``n^2 x m``, column-major vec); ``vec(S) = vec(C0) + F y``."""
        cols = []
        for j in range(self.m):
            sel = self.var == j
            if not np.any(sel):
                cols.append(sp.csr_matrix((self.n * self.n, 1)))
                continue
            mid = sp.coo_matrix((0.5 * self.coef[sel], (self.P[sel], self.Q[sel])),
                                shape=(self.Phi.shape[0],) * 2).tocsr()
            F = self.Phi.T @ ((mid + mid.T) @ self.Phi)
            F = sp.csr_matrix(0.5 * (F + F.T))
            cols.append(sp.csr_matrix(F.T.reshape((self.n * self.n, 1))))
        return sp.hstack(cols).tocsr()

    def y_from_units(self, x) -> np.ndarray:
        """Multipliers from per-unit values ``x`` (mean over the units sharing a multiplier); rho = 0."""
        y = np.zeros(self.m)
        cnt = np.zeros(self.m)
        ok = self.unit_var >= 0
        np.add.at(y, self.unit_var[ok], np.asarray(x, dtype=float)[ok])
        np.add.at(cnt, self.unit_var[ok], 1.0)
        y = np.where(cnt > 0, y / np.maximum(cnt, 1.0), 0.0)
        nn = np.isfinite(self.lb) & (np.arange(self.m) > 0)
        y[nn & (cnt == 0)] = 1.0
        return y

    def units_from_y(self, y) -> np.ndarray:
        y = np.asarray(y)
        return np.where(self.unit_var >= 0, y[np.maximum(self.unit_var, 0)], 0.0)

    def named(self, y) -> dict:
        """The multipliers grouped by kind (``rho``, ``lambda``, ``mu``, ``tau``, ``lambda_pair``)."""
        out = {}
        kinds = np.array(self.kinds)
        for k in dict.fromkeys(self.kinds):
            vals = np.asarray(y)[kinds == k]
            out[k] = float(vals[0]) if k == "rho" else vals.copy()
        return out


class _Builder:
    def __init__(self, n):
        self.n = n
        self.rows, self.cols, self.vals = [], [], []
        self.p = 0
        self.P, self.Q, self.coef, self.var = [], [], [], []
        self.lb, self.ub, self.kinds = [], [], []
        self.group, self.current_group = [], -1

    def feature(self, row) -> int:
        """Add a dense row (length n) or a unit vector (an int) as a feature; return its index."""
        if isinstance(row, (int, np.integer)):
            idx, val = np.array([int(row)]), np.array([1.0])
        else:
            idx = np.flatnonzero(row)
            val = row[idx]
        self.rows.append(np.full(idx.size, self.p))
        self.cols.append(idx)
        self.vals.append(val)
        self.p += 1
        return self.p - 1

    def variable(self, kind, lb=0.0, ub=np.inf) -> int:
        self.group.append(self.current_group)
        self.lb.append(lb)
        self.ub.append(ub)
        self.kinds.append(kind)
        return len(self.lb) - 1

    def term(self, p, q, c, j):
        self.P.append(p)
        self.Q.append(q)
        self.coef.append(c)
        self.var.append(j)

    def slope_qc(self, fu, fr, a, b, j):
        """S-side terms of lam * (-2 (r - a u)(r - b u)) >= 0: +2ab u^2 - 2(a+b) u r + 2 r^2."""
        if a * b != 0.0:
            self.term(fu, fu, 2.0 * a * b, j)
        if a + b != 0.0:
            self.term(fu, fr, -2.0 * (a + b), j)
        self.term(fr, fr, 2.0, j)

    def phi(self):
        if self.p == 0:
            return sp.csr_matrix((0, self.n))
        return sp.csr_matrix((np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                             shape=(self.p, self.n))


def _n_hidden(act, encoding, width):
    if act.kind == "slope":
        return width
    if act.kind == "householder":
        return width // act.group
    if encoding == "nsr":
        return width
    return width // 2 if encoding == "coupled" else width


def _layer_encoding(act, encoding, k):
    if act.kind == "slope":
        return "slope"
    if act.kind == "householder":
        if encoding not in ("auto", "coupled"):
            raise ValueError(f"encoding {encoding!r} is not available for the householder activation of layer {k} "
                             "(only 'coupled': linear part plus |theta^T v|)")
        return "coupled"
    if act.group > 2:
        if encoding not in ("auto", "nsr"):
            raise ValueError(f"encoding {encoding!r} needs MaxMin (group 2); layer {k} is groupsort with group "
                             f"{act.group}: use encoding='nsr'")
        return "nsr"
    return "coupled" if encoding == "auto" else encoding


def build(net, norm=2, variant="neuron", encoding="auto", c=None, unsafe_coupling=False) -> Formulation:
    """The :class:`Formulation` of LipSDP for ``net`` (see the module docstring)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(map(repr, VARIANTS))}, got {variant!r}")
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(map(repr, ENCODINGS))}, got {encoding!r}")
    if norm not in (2, np.inf):
        raise ValueError(f"norm must be 2 or numpy.inf, got {norm!r}")
    if variant == "network":
        if not unsafe_coupling:
            raise ValueError("variant='network' (LipSDP-Network's pair couplings) is not valid in general "
                             "(Pauli et al. 2022 give a counterexample); pass unsafe_coupling=True to use it anyway")
        warnings.warn("LipSDP-Network couplings are not valid for every network: the bound may not be an upper "
                      "bound (Pauli et al., IEEE L-CSS 2022)", RuntimeWarning, stacklevel=3)
    layers = list(net.layers)
    encs = [_layer_encoding(L.activation, encoding, k) for k, L in enumerate(layers)]
    Wout = net.W_out
    if norm == np.inf:
        if c is None:
            if net.n_outputs != 1:
                raise ValueError(f"norm=inf bounds a scalar output c^T f(x): give c (length {net.n_outputs}) "
                                 f"for a network with {net.n_outputs} outputs")
            c = np.ones(1)
        c = np.asarray(c, dtype=float).reshape(-1)
        if c.shape != (net.n_outputs,) or not np.all(np.isfinite(c)):
            raise ValueError(f"c must be a finite vector of length {net.n_outputs} (outputs), got shape {c.shape}")
    elif c is not None:
        raise ValueError("c (an output functional) is only used with norm=inf")

    # exact SVD reduction of the input block (2-norm, first layer not residual)
    first = layers[0].W if layers else Wout
    reduce = norm == 2 and (not layers or not layers[0].residual)
    if reduce:
        U_, s_, _ = np.linalg.svd(first, full_matrices=False)
        keep = s_ > s_[0] * 1e-15 if s_.size and s_[0] > 0 else np.zeros(s_.size, bool)
        first = U_[:, keep] * s_[keep]
    nx = first.shape[1]
    off = 1 if norm == np.inf else 0
    nz = sum(_n_hidden(L.activation, e, L.width) for L, e in zip(layers, encs))
    n = off + nx + nz
    B = _Builder(n)
    B.variable("rho", -np.inf, np.inf)
    if norm == 2:
        for i in range(nx):
            f = B.feature(i)
            B.term(f, f, 1.0, 0)
        nrho, rho_coef = nx, 1.0
    else:
        e0 = B.feature(0)
        B.term(e0, e0, 2.0, 0)
        B.current_group = 0
        for i in range(nx):
            f = B.feature(off + i)
            t = B.variable("tau")
            B.term(f, f, 1.0, t)
            B.term(e0, e0, -1.0, t)
        nrho, rho_coef = 1, 2.0
    H = np.zeros((nx, n))
    H[:, off:off + nx] = np.eye(nx)
    col = off + nx
    unit_var = []
    layer_vars = []
    pair_pool = []  # (u feature, r feature, a, b) for the network variant
    for k, (L, enc) in enumerate(zip(layers, encs)):
        W = first if k == 0 else L.W
        B.current_group = k + 1
        V = W @ H  # pre-activation functionals
        act = L.activation
        lay = B.variable("lambda") if variant == "layer" else None
        layer_vars.append(lay)
        new = lambda: B.variable("lambda") if lay is None else lay  # noqa: E731
        if enc == "slope":
            out = np.zeros((L.width, n))
            for i in range(L.width):
                fu, fr = B.feature(V[i]), B.feature(col + i)
                j = new()
                B.slope_qc(fu, fr, act.alpha, act.beta, j)
                unit_var.append(j)
                out[i, col + i] = 1.0
                if variant == "network":
                    pair_pool.append((V[i], col + i, act.alpha, act.beta))
            col += L.width
        elif enc == "nsr":
            g = act.group
            out = np.zeros((L.width, n))
            out[:, col:col + L.width] = np.eye(L.width)
            for gi in range(L.width // g):
                idx = np.arange(gi * g, (gi + 1) * g)
                j = new()
                mu = B.variable("mu", -np.inf, np.inf)
                for i in idx:
                    fu, fz = B.feature(V[i]), B.feature(col + i)
                    B.term(fu, fu, -1.0, j)
                    B.term(fz, fz, 1.0, j)
                    unit_var.append(j)
                su = B.feature(V[idx].sum(axis=0))
                zrow = np.zeros(n)
                zrow[col + idx] = 1.0
                sz = B.feature(zrow)
                B.term(su, su, -1.0, mu)
                B.term(sz, sz, 1.0, mu)
            col += L.width
        elif enc == "coupled" and act.kind == "householder":
            g = act.group
            th = np.asarray(act.theta)
            Pm = np.eye(g) - np.outer(th, th)
            out = np.zeros((L.width, n))
            for gi in range(L.width // g):
                blk = slice(gi * g, (gi + 1) * g)
                fu, fr = B.feature(th @ V[blk]), B.feature(col)
                j = new()
                B.slope_qc(fu, fr, -1.0, 1.0, j)
                unit_var.extend([j] * g)
                out[blk] = Pm @ V[blk]
                out[blk, col] += th
                col += 1
        elif enc == "coupled":  # maxmin: max = b + r, min = a - r, r = relu(a - b)
            out = np.zeros((L.width, n))
            for gi in range(L.width // 2):
                a, b = V[2 * gi], V[2 * gi + 1]
                fu, fr = B.feature(a - b), B.feature(col)
                j = new()
                B.slope_qc(fu, fr, 0.0, 1.0, j)
                unit_var.extend([j, j])
                out[2 * gi] = b
                out[2 * gi, col] += 1.0
                out[2 * gi + 1] = a
                out[2 * gi + 1, col] -= 1.0
                col += 1
        else:  # two-relu: max = b + relu(a - b), min = b - relu(b - a)
            out = np.zeros((L.width, n))
            for gi in range(L.width // 2):
                a, b = V[2 * gi], V[2 * gi + 1]
                j1, j2 = new(), new()
                B.slope_qc(B.feature(a - b), B.feature(col), 0.0, 1.0, j1)
                B.slope_qc(B.feature(b - a), B.feature(col + 1), 0.0, 1.0, j2)
                unit_var.extend([j1, j2])
                out[2 * gi] = b
                out[2 * gi, col] += 1.0
                out[2 * gi + 1] = b
                out[2 * gi + 1, col + 1] -= 1.0
                col += 2
        H = H + L.U @ out if L.residual else out
    assert col == n
    B.current_group = len(layers) + 1
    if variant == "network":
        if len(pair_pool) > 80:
            raise ValueError(f"variant='network' has O(N^2) multipliers; it is limited to 80 slope-restricted "
                             f"units, the network has {len(pair_pool)}")
        for i in range(len(pair_pool)):
            for k2 in range(i + 1, len(pair_pool)):
                ui, ri, ai, bi = pair_pool[i]
                uj, rj, aj, bj = pair_pool[k2]
                if (ai, bi) != (aj, bj):
                    continue
                dr = np.zeros(n)
                dr[ri], dr[rj] = 1.0, -1.0
                j = B.variable("lambda_pair")
                B.slope_qc(B.feature(ui - uj), B.feature(dr), ai, bi, j)
    O = (Wout if layers else first) @ H
    if norm == 2:
        C0 = -(O.T @ O)
    else:
        g = c @ O
        C0 = np.zeros((n, n))
        C0[0, :] -= g
        C0[:, 0] -= g
    form = Formulation(nrho=nrho, rho_coef=rho_coef, Phi=B.phi(), P=np.array(B.P, dtype=np.int64),
                       Q=np.array(B.Q, dtype=np.int64), coef=np.array(B.coef, dtype=float),
                       var=np.array(B.var, dtype=np.int64), C0=0.5 * (C0 + C0.T), lb=np.array(B.lb, dtype=float),
                       ub=np.array(B.ub, dtype=float), kinds=B.kinds, unit_var=np.array(unit_var, dtype=np.int64),
                       norm=norm, group=np.array(B.group, dtype=np.int64), info={"encodings": encs, "variant": variant, "svd_reduced": reduce,
                                        "lmi_size": n, "n_multipliers": len(B.lb) - 1})
    return form


# ----------------------------------------------------------------------------------------------
# certification
def _chol(A, shift=0.0):
    """Cholesky factor of ``A - shift I`` or ``None`` when it is not positive definite (or not finite)."""
    return cholesky(A, shift, check_finite=True)


def _safety(A) -> float:
    """A shift covering Cholesky's backward error: ``4 n eps ||A||_F``."""
    return 4.0 * max(A.shape[0], 1) * _EPS * float(np.linalg.norm(A)) if A.size else 0.0


def rho_certified(form: Formulation, y) -> tuple[float, str]:
    r"""The smallest ``rho`` with ``S(rho, y) >= 0`` for the other multipliers of ``y`` fixed.

    Split ``S = [[rho c I + S_11, S_12], [S_21, S_22]]`` (``S_22`` does not depend on ``rho``).
    If ``S_22 - delta I`` has a Cholesky factor (``delta`` covers its backward error), the Schur
    complement gives ``rho_cert = lambda_max(S_12 (S_22 - delta I)^{-1} S_21 - S_11) / c``, which is
    >= the exact value (the shift only enlarges the complement). Returns ``(inf, reason)`` otherwise.
    """
    y = np.array(y, dtype=float)
    y[0] = 0.0
    S = form.matrix(y)
    k = form.nrho
    S11, S12, S22 = S[:k, :k], S[:k, k:], S[k:, k:]
    Lc = _chol(S22, _safety(S22))
    if Lc is None:
        return np.inf, "the multipliers do not make the hidden block S_22 positive definite"
    Z = sla.solve_triangular(Lc, S12.T, lower=True) if S22.size else np.zeros((0, k))
    Schur = Z.T @ Z - S11
    lam = float(np.linalg.eigvalsh(0.5 * (Schur + Schur.T))[-1]) if k else 0.0
    lam += 8.0 * max(k, 1) * _EPS * float(np.linalg.norm(Schur))  # eigenvalue error of eigvalsh
    return max(lam, 0.0) / form.rho_coef, ""


def rescale_groups(form: Formulation, y, factors=(1 / 16, 1 / 4, 1 / 2, 2.0, 4.0, 16.0), sweeps: int = 3):
    """Scale the multipliers of each layer (and the input multipliers ``tau``) to lower ``rho_cert``.

    A cheap start for the barrier method (one Schur complement per trial): LipSDP's multipliers of
    deep networks differ by orders of magnitude from layer to layer, which a barrier method started
    at ``y = 1`` needs many damped steps to discover. Returns the best ``y`` found (``y`` itself if
    no trial is certified).
    """
    y = np.array(y, dtype=float)
    best, _ = rho_certified(form, y)
    groups = [g for g in np.unique(form.group) if g >= 0]
    if not np.isfinite(best):  # first find any certified uniform scale
        for f in 4.0 ** np.arange(-6, 7):
            ys = y.copy()
            ys[1:] *= f
            r, _ = rho_certified(form, ys)
            if r < best:
                best, yb = r, ys
        if not np.isfinite(best):
            return y
        y = yb
    for _ in range(sweeps):
        improved = False
        for g in groups:
            sel = form.group == g
            for f in factors:
                ys = y.copy()
                ys[sel] *= f
                r, _ = rho_certified(form, ys)
                if r < best * (1 - 1e-3):
                    best, y, improved = r, ys, True
        if not improved:
            break
    return y


def program(form: Formulation):
    """The :class:`._ipm.LMIProgram` ``min rho`` s.t. ``S(y) > 0`` of ``form``."""
    from ._ipm import LMIProgram
    c = np.zeros(form.m)
    c[0] = 1.0
    return LMIProgram.of(form, c)


def from_phase_one(form: Formulation, y1, p1_map):
    """Multipliers with ``S_22 > 0`` from a phase-I point with ``s = y1[0] < 0`` (``None`` if scaling fails)."""
    y = np.zeros(form.m)
    others = np.flatnonzero(p1_map >= 0)
    y[others] = y1[p1_map[others]]
    s = -float(y1[0])
    k = form.nrho
    C22 = form.C0[k:, k:]
    lmax = float(np.linalg.eigvalsh(-C22)[-1]) if C22.size else 0.0
    gamma = max(2.0 * lmax / s, 1.0) if lmax > 0 else 1.0
    for _ in range(40):
        if np.isfinite(rho_certified(form, gamma * y)[0]):
            return gamma * y
        gamma *= 2.0
    return None


def interior_point(form: Formulation, maxiter: int = 200):
    """Multipliers making ``S_22`` positive definite: :func:`rescale_groups` of unit multipliers, else
    a phase I (``min s`` s.t. ``K_h(y) + s I > 0``, primal-dual steps of :mod:`._ipm`). ``None`` if
    none is found (the LMI is not strictly feasible)."""
    from ._ipm import pd_step, phase_one_start
    y = rescale_groups(form, form.y_from_units(np.ones(form.unit_var.size)))
    if np.isfinite(rho_certified(form, y)[0]):
        return y
    p1, p1_map, pt = phase_one_start(program(form), form.nrho)
    for _ in range(maxiter):
        pt, info, ok, _ = pd_step(p1, pt)
        if not ok:
            return None
        if pt.y[0] < 0:
            return from_phase_one(form, pt.y, p1_map)
        if info["gap"] < 1e-10 * (abs(pt.y[0]) + 1e-300):
            return None
    return None


def _project(form, y):
    """Clip the multipliers to their bounds (a solver's ``y`` may violate ``y >= 0`` slightly)."""
    y = np.array(y, dtype=float)
    y[1:] = np.clip(y[1:], form.lb[1:], form.ub[1:])
    return y


def _verify(form: Formulation, rho: float, ys):
    """Step 3 of :func:`certify`: the smallest ``rho_cert (1 + m) + m'`` (``m`` from ``1e-12`` to
    ``1e-2``) at which ``S - delta I`` has a Cholesky factor; ``None`` if there is none."""
    ref = float(np.linalg.norm(form.C0)) / form.rho_coef + np.finfo(float).tiny
    ys = ys.copy()
    for m in (1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2):
        r = rho * (1.0 + m) + m * ref
        ys[0] = r
        S = form.matrix(ys)
        if _chol(S, _safety(S)) is not None:
            return r, ys, S
    return None


def certify(form: Formulation, y, interior=None) -> dict:
    """A bound valid regardless of how ``y`` was computed.

    1. clip the multipliers to their sign constraints;
    2. ``rho_cert`` by the Schur complement (:func:`rho_certified`);
    3. verify the whole LMI at ``rho = rho_cert (1 + m) + m'`` by a Cholesky factorization of
       ``S - delta I`` (``delta = 4 n eps ||S||_F``), increasing the margin ``m`` from ``1e-12`` until
       it holds; report the smallest eigenvalue where ``n <= 2000``.

    If step 2 or 3 fails (an exact optimum often makes ``S_22`` singular or nearly so: tight layers
    of an orthogonal network, l-inf formulations, deep NSR chains -- then ``S_22`` passes its own
    Cholesky test but not with the larger shift ``delta`` of the whole matrix), repair and retry:
    scale the multipliers by ``1 + s`` (``s = 1e-8 .. 1e-4``; enough when the constant block is
    negative definite), then move towards a point ``interior`` with ``S_22 > 0`` (default:
    :func:`interior_point`), ``y + theta (interior - y)`` with ``theta = 1e-9 .. 1``; by convexity
    ``rho_cert`` grows by at most ``theta (rho_cert(interior) - rho_cert(y))``.

    Returns a dict: ``certified`` (bool), ``rho``, ``bound``, ``y`` (the certified multipliers),
    ``scale`` (the repair: ``1 + s`` or ``-theta``), ``min_eig``, ``reason``.
    """
    y0 = _project(form, y)
    reason = "the multipliers do not make the hidden block S_22 positive definite"

    def candidates():
        for s in (0.0, 1e-8, 1e-6, 1e-4):
            ys = y0.copy()
            ys[1:] *= 1.0 + s
            yield ys, 1.0 + s
        yi = interior_point(form) if interior is None else _project(form, interior)
        if yi is not None and np.isfinite(rho_certified(form, yi)[0]):
            for theta in (1e-9, 1e-7, 1e-5, 1e-3, 1e-2, 0.1, 0.5, 1.0):
                yield (1.0 - theta) * y0 + theta * yi, -theta

    ys = y0
    for ys, scale in candidates():
        rho, _ = rho_certified(form, ys)
        if not np.isfinite(rho):
            continue
        out = _verify(form, rho, ys)
        if out is None:
            reason = "the full LMI could not be verified by Cholesky near rho_cert"
            continue
        r, ys, S = out
        min_eig = float(np.linalg.eigvalsh(S)[0]) if form.n <= 2000 else np.nan
        return {"certified": True, "rho": r, "bound": form.bound_of(r), "y": ys, "scale": scale,
                "min_eig": min_eig, "reason": ""}
    return {"certified": False, "rho": np.inf, "bound": np.inf, "y": ys, "scale": np.nan, "min_eig": np.nan,
            "reason": reason}
