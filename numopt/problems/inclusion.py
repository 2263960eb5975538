r"""Monotone inclusions ``0 in F(u) + G(u)`` with a finite-sum operator ``F = (1/N) sum_i F_i``.

``F`` is single-valued and monotone, either *cocoercive*
(``||F(u) - F(v)||^2 <= L_c <F(u) - F(v), u - v>``) or only Lipschitz
(``||F(u) - F(v)|| <= L ||u - v||``); ``G`` is maximal monotone, given by its resolvent
``J_{tG} = prox_{tg}``, a prox object of :mod:`numopt.problems.prox` (``Box``, ``Simplex``,
``Product`` of simplices, ``Zero``, ...).

Builders, each with its own certificate:

* :class:`MatrixGame` -- ``min_{x in Delta_m} max_{y in Delta_n} x^T A y`` (duality gap);
  :func:`policeman_burglar` builds the paper's instance;
* :class:`BoxLeastSquares` -- ``F_i(u) = x_i (x_i^T u - y_i)`` over a box (the gradient of
  bounded least squares; cocoercive);
* :class:`BilinearGame` -- the unconstrained saddle problem ``min_x max_y x^T A y + b^T x - c^T y``;
* :class:`EqualityQP` -- ``min 1/2 x^T H x - h^T x`` s.t. ``A x = b`` through its KKT operator;
  :func:`hard_qp` builds the paper's instance;
* :class:`OperatorInclusion` -- user-supplied ``F`` (and resolvent).

The first three are *linear finite sums*: ``F_i(u) = p_i (q_i^T u) + c`` with sparse rows
``p_i, q_i`` (CSR matrices ``P``, ``Q`` of shape ``(N, dim)``) and ``F(u) = P^T Q u / N + c``.
That is the structure the variance-reduced kernels of ``vr-halpern`` sample from.

Work (:mod:`numopt.work`): a full ``F`` counts one ``njev`` and one pass; ``components(u, idx)``
counts ``len(idx) / N`` passes. Certificates are computed without counting.

Reference: X. Cai, A. Alacaoglu, J. Diakonikolas, "Variance reduced Halpern iteration for
finite-sum monotone inclusions", ICLR 2024.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import as_matrix, as_scalar, as_vector
from ..work import add_passes
from .base import Problem
from .prox import Box, Product, Prox, Simplex, Zero

__all__ = ["MonotoneInclusion", "LinearFiniteSumInclusion", "MatrixGame", "BoxLeastSquares",
           "BilinearGame", "EqualityQP", "OperatorInclusion", "policeman_burglar", "hard_qp"]


def safe_prox(prox, v, t):
    """``prox(v, t)``, or all-nan when ``v`` is not finite (some prox operators, e.g. the simplex
    projection, raise on nan input instead of propagating it)."""
    v = np.asarray(v, dtype=float)
    if not np.all(np.isfinite(v)):
        return np.full(v.shape, np.nan)
    return prox(v, t)


def _positive(value, name):
    if value is None:
        return None
    v = as_scalar(value, name)
    if not v > 0:
        raise ValueError(f"{name} must be > 0 (a constant of the operator), got {value!r}")
    return v


class MonotoneInclusion(Problem):
    r"""Find ``u`` with ``0 in F(u) + G(u)``.

    Subclasses implement ``_F(u)``; ``resolvent`` is a :class:`~numopt.problems.prox.Prox`
    whose ``__call__(v, t)`` is ``J_{tG}(v)``.

    Parameters
    ----------
    dim : int
        Dimension of ``u``.
    resolvent : Prox
        The resolvent of ``G`` (``Zero()`` for ``G = 0``).
    lipschitz : float
        ``L > 0`` with ``||F(u) - F(v)|| <= L ||u - v||``.
    cocoercivity : float, optional
        ``L_c > 0`` with ``||F(u) - F(v)||^2 <= L_c <F(u) - F(v), u - v>``; ``None`` when
        ``F`` is only monotone (then cocoercive-only methods refuse the problem).
    x0 : array_like, optional
        Default start (projected onto ``dom G`` by the solvers when ``G`` is an indicator).

    Attributes
    ----------
    structure = {"monotone_inclusion"}; only the ``monotone inclusions`` family accepts it.
    oracles : ``"operator"`` (``F``), ``"resolvent"``; linear finite sums add ``"linear_components"``,
        bilinear saddle problems ``"saddle"``.
    """

    structure = frozenset({"monotone_inclusion"})
    oracles = frozenset({"operator", "resolvent"})

    def __init__(self, dim: int, resolvent: Prox, *, lipschitz, cocoercivity=None, x0=None, name=None):
        if not isinstance(resolvent, Prox):
            raise TypeError(f"resolvent must be a numopt.problems.prox.Prox (Box, Simplex, Product, Zero, ...), "
                            f"got {type(resolvent).__name__}")
        super().__init__(dim, np.zeros(dim) if x0 is None else x0, name)
        self.resolvent = resolvent
        self.lipschitz = _positive(lipschitz, "lipschitz")
        if self.lipschitz is None:
            raise ValueError("lipschitz is required (a Lipschitz constant L > 0 of F)")
        self.cocoercivity = _positive(cocoercivity, "cocoercivity")

    @property
    def cocoercive(self) -> bool:
        """Whether ``F`` is declared cocoercive."""
        return self.cocoercivity is not None

    # -- counted oracles -----------------------------------------------------------------
    def F(self, u) -> np.ndarray:
        """The full operator (one ``njev``, one pass)."""
        self._count("njev")
        add_passes(self, 1.0)
        return self._F(np.asarray(u, dtype=float))

    def resolve(self, v, t: float) -> np.ndarray:
        """``J_{tG}(v)``; all-nan for a non-finite ``v`` (the driver then ends with NUMERICAL_ERROR)."""
        return safe_prox(self.resolvent, v, t)

    def _F(self, u):  # pragma: no cover - protocol
        raise NotImplementedError

    # -- certificates ----------------------------------------------------------------------
    def merit(self, u) -> float | None:
        """A problem-specific value reported as ``res.fun`` (``None``: use the residual)."""
        return None

    def certified(self, u, tol: float) -> bool:
        """The problem's own convergence certificate at ``u`` (default: nothing beyond the residual)."""
        return True

    def residual_at(self, u, pre, t: float) -> float:
        r"""``||F(u) + (pre - u)/t||`` where ``u = J_{tG}(pre)``: an element of ``(F + G)(u)``, uncounted."""
        return float(np.linalg.norm(self._F(u) + (pre - u) / t))

    def __repr__(self):
        kind = "cocoercive" if self.cocoercive else "monotone"
        return f"<{type(self).__name__} {self.name!r} dim={self.n} {kind}>"


class LinearFiniteSumInclusion(MonotoneInclusion):
    r"""``F(u) = (1/N) sum_i [p_i (q_i^T u)] + c`` with ``P``, ``Q`` CSR of shape ``(N, dim)``.

    The component ``F_i(u) = p_i (q_i^T u) + c`` (the constant is shared). Subclasses may
    override ``_F`` with a faster formula and the sampling constants with tighter ones.
    """

    oracles = MonotoneInclusion.oracles | {"linear_components"}

    def __init__(self, P, Q, c, resolvent, *, lipschitz, cocoercivity=None, x0=None, name=None):
        P = sp.csr_matrix(P, dtype=float)
        Q = sp.csr_matrix(Q, dtype=float)
        if P.shape != Q.shape:
            raise ValueError(f"P and Q must have the same shape (N, dim), got {P.shape} and {Q.shape}")
        self.P, self.Q = P, Q
        self.n_components = P.shape[0]
        dim = P.shape[1]
        self.c = as_vector(c, "c", size=dim)
        super().__init__(dim, resolvent, lipschitz=lipschitz, cocoercivity=cocoercivity, x0=x0, name=name)

    def _F(self, u):
        return self.P.T @ (self.Q @ u) / self.n_components + self.c

    def components(self, u, idx) -> np.ndarray:
        """Mean of ``F_i(u)`` over the index array ``idx`` (counts ``len(idx)/N`` passes)."""
        idx = np.asarray(idx, dtype=np.intp)
        if idx.size == 0:
            raise ValueError("idx must not be empty")
        add_passes(self, idx.size / self.n_components)
        u = np.asarray(u, dtype=float)
        s = self.Q[idx] @ u
        return self.P[idx].T @ s / idx.size + self.c

    # -- sampling constants (uniform or importance sampling) ---------------------------------
    def _row_norms(self):
        pn = np.sqrt(np.asarray(self.P.multiply(self.P).sum(axis=1)).ravel())
        qn = np.sqrt(np.asarray(self.Q.multiply(self.Q).sum(axis=1)).ravel())
        return pn, qn

    def sampling_probabilities(self, importance: bool) -> np.ndarray:
        r"""Uniform, or proportional to ``||p_i|| ||q_i||`` (the component Lipschitz constants)."""
        N = self.n_components
        if not importance:
            return np.full(N, 1.0 / N)
        pn, qn = self._row_norms()
        w = pn * qn
        total = w.sum()
        if not total > 0:
            return np.full(N, 1.0 / N)
        w = np.maximum(w, 1e-12 * total / N)       # every component keeps a chance
        return w / w.sum()

    def mean_square_lipschitz(self, probs) -> float:
        r"""``L_Q`` with ``E ||G_i(u) - G_i(v)||^2 <= L_Q^2 ||u - v||^2`` for ``G_i = F_i / (N pi_i)``.

        Generic bound ``L_Q^2 = (1/N^2) sum_i ||p_i||^2 ||q_i||^2 / pi_i``.
        """
        pn, qn = self._row_norms()
        N = self.n_components
        return float(np.sqrt(np.sum(pn ** 2 * qn ** 2 / probs) / N ** 2))

    def expected_cocoercivity(self, probs) -> float | None:
        r"""``L`` with ``E ||G_i(u) - G_i(v)||^2 <= L <F(u) - F(v), u - v>`` (symmetric ``p_i = q_i``).

        ``max_i ||p_i||^2 / (N pi_i)``; ``None`` when ``F`` is not declared cocoercive.
        """
        if not self.cocoercive:
            return None
        pn, _ = self._row_norms()
        return float(np.max(pn ** 2 / (self.n_components * probs)))


class BoxLeastSquares(LinearFiniteSumInclusion):
    r"""Bounded least squares as an inclusion: ``F_i(u) = x_i (x_i^T u - y_i)``, ``G = N_{[lb, ub]}``.

    ``F(u) = X^T (X u - y) / n`` is the gradient of ``f(u) = ||X u - y||^2 / (2n)``, so it is
    cocoercive with ``L_c = L = ||X||_2^2 / n``; the inclusion's solutions are the minimizers
    of ``f`` over the box (``scipy.optimize.lsq_linear(X, y, (lb, ub))``). ``res.fun`` is ``f``.

    Parameters
    ----------
    X : array_like or sparse, shape (n, d)
    y : array_like, shape (n,)
    lb, ub : float or array_like, shape (d,)
        Bounds (``-inf``/``inf`` allowed), ``lb <= ub``.
    """

    def __init__(self, X, y, lb=-np.inf, ub=np.inf, *, x0=None, name=None):
        X = as_matrix(X, "X")
        n, d = X.shape
        if n == 0 or d == 0:
            raise ValueError(f"X must be non-empty, got shape {X.shape}")
        y = as_vector(y, "y", size=n)
        lb = np.broadcast_to(np.asarray(lb, dtype=float), (d,)).copy()
        ub = np.broadcast_to(np.asarray(ub, dtype=float), (d,)).copy()
        if np.any(np.isnan(lb)) or np.any(np.isnan(ub)) or np.any(lb > ub):
            raise ValueError("lb and ub must be bounds with lb <= ub (no nan)")
        from ..linalg import spectral_norm_sq
        L = spectral_norm_sq(X) / n
        if not L > 0:
            raise ValueError("X must not be all zero (F would be constant)")
        self.X, self.y, self.lb, self.ub = X, y, lb, ub
        Xs = sp.csr_matrix(X)
        x0 = np.clip(np.zeros(d), lb, ub) if x0 is None else x0
        super().__init__(Xs, Xs, -(X.T @ y) / n, Box(lb, ub), lipschitz=L, cocoercivity=L, x0=x0,
                         name=name or f"box-ls-{n}x{d}")

    def _F(self, u):
        return self.X.T @ (self.X @ u - self.y) / self.X.shape[0]

    def merit(self, u):
        r = self.X @ u - self.y
        return float(r @ r) / (2 * self.X.shape[0])


class _Bilinear(LinearFiniteSumInclusion):
    r"""``L(x, y) = x^T A y + b^T x - c^T y``; ``u = (x, y)``, ``F(u) = (A y + b, -A^T x + c)``.

    Components (``N = m + n``): column ``j`` of ``A`` acting on ``y_j`` and row ``i`` acting on
    ``x_i``, each scaled by ``N`` so that their mean is ``F``.
    """

    oracles = LinearFiniteSumInclusion.oracles | {"saddle"}

    def __init__(self, A, b, c, resolvent, prox_x, prox_y, *, x0=None, name=None):
        A = as_matrix(A, "A")
        m, n = A.shape
        if m == 0 or n == 0:
            raise ValueError(f"A must be non-empty, got shape {A.shape}")
        N = m + n
        As = sp.csr_matrix(A)
        # P: rows 0..n-1 are N*[A[:, j]; 0], rows n..N-1 are -N*[0; A[i, :]]
        P = sp.vstack([sp.hstack([As.T.tocsr(), sp.csr_matrix((n, n))]),
                       sp.hstack([sp.csr_matrix((m, m)), -As])]).tocsr() * N
        Q = sp.vstack([sp.hstack([sp.csr_matrix((n, m)), sp.identity(n, format="csr")]),
                       sp.hstack([sp.identity(m, format="csr"), sp.csr_matrix((m, n))])]).tocsr()
        from ..linalg import spectral_norm_sq
        L = float(np.sqrt(spectral_norm_sq(A)))
        if not L > 0:
            raise ValueError("A must not be all zero")
        self.A, self.m, self.nn = A, m, n
        self.b, self.cy = b, c
        self.prox_x, self.prox_y = prox_x, prox_y
        super().__init__(P, Q, np.concatenate([b, c]), resolvent, lipschitz=L, x0=x0, name=name)

    def _F(self, u):
        x, y = u[:self.m], u[self.m:]
        return np.concatenate([self.A @ y + self.b, -(self.A.T @ x) + self.cy])

    def split(self, u):
        """``(x, y)`` views of ``u``."""
        return u[:self.m], u[self.m:]

    def restricted_lipschitz(self) -> float:
        r"""``||A||`` restricted to the directions in which ``x`` and ``y`` can move.

        The PDHG step of ``halpern`` (``tau sigma ||.||^2 < 1``) only needs the norm of ``A`` on
        the differences of feasible points, i.e. on the tangent spaces of the affine hulls of
        ``dom G_1`` and ``dom G_2``. Here (no constraints) that is ``||A||_2``.
        """
        return self.lipschitz

    def mean_square_lipschitz(self, probs):
        r"""Tight for coordinate-selecting ``q_i`` (each coordinate ``k(i)`` read by one component):

        ``E ||G_i(du)||^2 = (1/N^2) sum_i ||p_i||^2 du_{k(i)}^2 / pi_i <= max_i ||p_i||^2 / (N^2 pi_i) ||du||^2``.
        """
        pn, _ = self._row_norms()
        N = self.n_components
        return float(np.sqrt(np.max(pn ** 2 / (N ** 2 * probs))))

    def sampling_probabilities(self, importance):
        if not importance:
            return np.full(self.n_components, 1.0 / self.n_components)
        pn, _ = self._row_norms()       # pi_i ~ ||p_i||^2 minimizes the bound above
        w = np.maximum(pn ** 2, 1e-12 * pn.max() ** 2)
        return w / w.sum()


class MatrixGame(_Bilinear):
    r"""The matrix game ``min_{x in Delta_m} max_{y in Delta_n} x^T A y``.

    ``F(x, y) = (A y, -A^T x)`` (monotone, ``L = ||A||_2``, not cocoercive), ``G`` the normal
    cone of ``Delta_m x Delta_n`` (resolvent ``Product([Simplex(), Simplex()], [m, n])``).
    Certificate: the duality gap ``max_j (A^T x)_j - min_i (A y)_i >= 0``, zero exactly at
    equilibria; ``res.fun`` and ``res.duality_gap`` report it, ``res.game_value`` is ``x^T A y``.
    The finite sum runs over the ``n`` columns and ``m`` rows of ``A`` (dense or sparse).

    Parameters
    ----------
    A : array_like or sparse, shape (m, n)
    x0 : array_like, shape (m + n,), optional
        Default: the uniform strategies.
    """

    def __init__(self, A, *, x0=None, name=None):
        A = as_matrix(A, "A")
        m, n = A.shape
        G = Product([Simplex(), Simplex()], [m, n])
        x0 = np.concatenate([np.full(m, 1.0 / m), np.full(n, 1.0 / n)]) if x0 is None else x0
        super().__init__(A, np.zeros(m), np.zeros(n), G, G.blocks[0], G.blocks[1], x0=x0,
                         name=name or f"matrix-game-{m}x{n}")
        self._restricted_L = None

    def restricted_lipschitz(self) -> float:
        r"""``||(I - 11^T/m) A (I - 11^T/n)||_2``: the norm of ``A`` between the tangent spaces of
        the simplices (differences of strategies sum to zero), computed once.

        Adding a constant to a column or row of ``A`` does not change the game's equilibria nor the
        PDHG iterates (a simplex projection is invariant to shifts along ``1``), so PDHG may step
        with this norm instead of ``||A||_2``. For the policeman-burglar game (``n = 500``) it is
        4.50 against ``||A||_2 = 492``: a 109x larger step. A sparse ``A`` with more than ``10^7``
        entries keeps ``||A||_2`` (a valid upper bound), since centering makes it dense.
        """
        if self._restricted_L is None:
            A = self.A
            m, n = A.shape
            if sp.issparse(A) and m * n > 10 ** 7:
                self._restricted_L = self.lipschitz
            else:
                Ad = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
                Ac = Ad - Ad.mean(axis=0, keepdims=True)
                Ac = Ac - Ac.mean(axis=1, keepdims=True)
                from ..linalg import spectral_norm_sq
                Lc = float(np.sqrt(spectral_norm_sq(Ac)))
                # a zero centered matrix (A = a 1^T + 1 b^T): any step is exact; keep a scale
                self._restricted_L = min(Lc, self.lipschitz) if Lc > 1e-12 * self.lipschitz else \
                    1e-12 * self.lipschitz
        return self._restricted_L

    def duality_gap(self, u) -> float:
        """``max_j (A^T x)_j - min_i (A y)_i`` (for ``x``, ``y`` in the simplices)."""
        x, y = self.split(np.asarray(u, dtype=float))
        return float(np.max(self.A.T @ x) - np.min(self.A @ y))

    def merit(self, u):
        return self.duality_gap(u)

    def certified(self, u, tol):
        from ..stopping import small_relative
        scale = float(abs(self.A).max())
        return small_relative(self.duality_gap(u), scale, tol)

    def certificates(self, x):
        x = np.asarray(x, dtype=float)
        xs, ys = self.split(x)
        return {"duality_gap": self.duality_gap(x), "game_value": float(xs @ (self.A @ ys))}


class BilinearGame(_Bilinear):
    r"""The unconstrained bilinear saddle problem ``min_x max_y x^T A y + b^T x - c^T y``.

    ``F(x, y) = (A y + b, -A^T x + c)``, ``G = 0``; solutions solve ``A y = -b``, ``A^T x = c``.
    A finite sum over the columns and rows of ``A``; ``res.fun`` is ``||F(u)||``.
    """

    def __init__(self, A, b=None, c=None, *, x0=None, name=None):
        A = as_matrix(A, "A")
        m, n = A.shape
        b = np.zeros(m) if b is None else as_vector(b, "b", size=m)
        c = np.zeros(n) if c is None else as_vector(c, "c", size=n)
        super().__init__(A, b, c, Zero(), Zero(), Zero(), x0=x0, name=name or f"bilinear-{m}x{n}")

    def merit(self, u):
        return float(np.linalg.norm(self._F(np.asarray(u, dtype=float))))


class EqualityQP(LinearFiniteSumInclusion):
    r"""``min_x 1/2 x^T H x - h^T x`` s.t. ``A x = b`` as the monotone inclusion of its KKT operator.

    The Lagrangian ``1/2 x^T H x - h^T x - y^T (A x - b)`` gives ``u = (x, y)``,

    .. math:: F(x, y) = (H x - h - A^\top y,\; A x - b) = K u + c, \qquad
              K = \begin{pmatrix} H & -A^\top \\ A & 0 \end{pmatrix},

    monotone (``H`` positive semidefinite; the symmetric part of ``K`` is ``diag(H, 0)``, so ``F`` is
    not cocoercive), ``L = ||K||_2``, ``G = 0``: the solutions are the KKT points. The finite sum
    runs over the ``2 d`` columns of ``K`` (component ``j`` reads ``u_j``), as the reference code
    of Cai et al. samples columns (it samples the pair ``(x_j, y_j)`` together). ``res.fun`` is
    ``||F(u)||``, the reference's "operator norm".

    Parameters
    ----------
    H : array_like, shape (d, d), symmetric positive semidefinite
    h : array_like, shape (d,)
    A : array_like, shape (p, d)
    b : array_like, shape (p,)
    x0 : array_like, shape (d + p,), optional
    """

    def __init__(self, H, h, A, b, *, x0=None, name=None):
        H = np.asarray(as_matrix(H, "H").toarray() if sp.issparse(H) else as_matrix(H, "H"), dtype=float)
        A = np.asarray(as_matrix(A, "A").toarray() if sp.issparse(A) else as_matrix(A, "A"), dtype=float)
        d = H.shape[0]
        if H.shape != (d, d) or not np.allclose(H, H.T, atol=1e-12 * max(1.0, np.abs(H).max())):
            raise ValueError(f"H must be a symmetric square matrix, got shape {H.shape}")
        if np.linalg.eigvalsh(H).min() < -1e-10 * max(1.0, np.abs(H).max()):
            raise ValueError("H must be positive semidefinite (F would not be monotone)")
        if A.ndim != 2 or A.shape[1] != d or A.shape[0] == 0:
            raise ValueError(f"A must have shape (p, {d}) with p >= 1, got {A.shape}")
        p = A.shape[0]
        h = as_vector(h, "h", size=d)
        b = as_vector(b, "b", size=p)
        K = np.block([[H, -A.T], [A, np.zeros((p, p))]])
        from ..linalg import spectral_norm_sq
        L = float(np.sqrt(spectral_norm_sq(K)))
        if not L > 0:
            raise ValueError("H and A must not both be zero")
        N = d + p
        self.H, self.h, self.A, self.b, self.K, self.d = H, h, A, b, K, d
        super().__init__(sp.csr_matrix(K.T * N), sp.identity(N, format="csr"), np.concatenate([-h, -b]),
                         Zero(), lipschitz=L, x0=x0, name=name or f"eq-qp-{d}x{p}")

    # coordinate-selecting components: the tight constants of the bilinear games apply
    mean_square_lipschitz = _Bilinear.mean_square_lipschitz
    sampling_probabilities = _Bilinear.sampling_probabilities

    def _F(self, u):
        return self.K @ u + self.c

    def split(self, u):
        """``(x, y)`` views of ``u``."""
        return u[:self.d], u[self.d:]

    def merit(self, u):
        return float(np.linalg.norm(self._F(np.asarray(u, dtype=float))))

    def certificates(self, x):
        xs, ys = self.split(np.asarray(x, dtype=float))
        return {"primal_infeasibility": float(np.linalg.norm(self.A @ xs - self.b)),
                "stationarity": float(np.linalg.norm(self.H @ xs - self.h - self.A.T @ ys)),
                "objective": float(0.5 * xs @ (self.H @ xs) - self.h @ xs)}


def hard_qp(n: int = 200) -> EqualityQP:
    r"""The paper's "hard" linearly constrained QP (Cai, Alacaoglu, Diakonikolas 2024, sec. 5; after
    Ouyang & Xu's lower-bound instance): ``A`` with ``A_{i, n-1-i} = 1/4``, ``A_{i, n-2-i} = -1/4``,
    ``H = 2 A^T A``, ``b = 1/4``, ``h = e_n / 4``, start ``x = y = 1/n``. ``A`` is invertible, so the
    solution is unique (``x = A^{-1} b``), but ``K`` is ill conditioned (``cond ~ n^2``)."""
    if isinstance(n, (bool, np.bool_)) or int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    n = int(n)
    A = np.zeros((n, n))
    i = np.arange(n)
    A[i, n - 1 - i] = 1.0
    A[i[:-1], n - 2 - i[:-1]] = -1.0
    A /= 4.0
    h = np.zeros(n)
    h[-1] = 0.25
    return EqualityQP(2.0 * A.T @ A, h, A, np.full(n, 0.25), x0=np.full(2 * n, 1.0 / n), name=f"hard-qp-{n}")


class OperatorInclusion(MonotoneInclusion):
    r"""A user-supplied operator: ``0 in F(u) + G(u)``.

    Parameters
    ----------
    F : callable
        ``F(u) -> array of shape (dim,)``, monotone.
    x0 : array_like, shape (dim,)
    resolvent : Prox, optional
        ``J_{tG}`` (default ``Zero()``: ``G = 0``).
    lipschitz : float
        A Lipschitz constant of ``F``.
    cocoercivity : float, optional
        Declare ``F`` cocoercive with this constant.

    Deterministic methods (``halpern``, ``extragradient``, ``eag``) solve it; ``vr-halpern``
    needs the linear finite-sum structure (:class:`LinearFiniteSumInclusion`).
    """

    def __init__(self, F, x0, *, resolvent=None, lipschitz, cocoercivity=None, name=None):
        if not callable(F):
            raise TypeError(f"F must be callable, got {type(F).__name__}")
        x0 = as_vector(x0, "x0")
        self._user_F = F
        super().__init__(x0.size, Zero() if resolvent is None else resolvent, lipschitz=lipschitz,
                         cocoercivity=cocoercivity, x0=x0, name=name or getattr(F, "__name__", "operator"))

    def _F(self, u):
        out = np.asarray(self._user_F(np.array(u, dtype=float)), dtype=float)
        if out.shape != (self.n,):
            raise ValueError(f"F must return an array of shape ({self.n},), got shape {out.shape}")
        return out


def policeman_burglar(n: int = 500, theta: float = 0.8, seed=1, variant: str = "nemirovski") -> MatrixGame:
    r"""The policeman-burglar game (Juditsky & Nemirovski) as ``min_x max_y x^T A y``, ``x`` on the rows.

    ``C_ij = 1 - exp(-theta |i - j|)`` and ``w = |randn(n)|`` from ``numpy.random.RandomState(seed)``
    (the reference code's generator).

    * ``variant="nemirovski"``: ``A_ij = w_j C_ij``, the weights on the *maximizer's* strategies
      (the Julia code of Alacaoglu & Malitsky scales the rows of a matrix whose columns the
      minimizer picks); a mixed equilibrium (value 1.70141 for ``n = 100``, seed 1).
    * ``variant="reference"``: ``A_ij = w_i C_ij``, what the Python reference of Cai et al.
      computes (numpy broadcasts ``w`` over the minimizer's strategies): the minimizer has a pure
      equilibrium, the row of the smallest weight (value 0.01266 for ``n = 100``, seed 1).
    """
    if isinstance(n, (bool, np.bool_)) or int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = int(n)
    theta = as_scalar(theta, "theta", low=0.0, strict=True)
    if variant not in ("nemirovski", "reference"):
        raise ValueError(f"variant must be 'nemirovski' or 'reference', got {variant!r}")
    w = np.abs(np.random.RandomState(seed).randn(n))
    idx = np.arange(n)
    C = 1.0 - np.exp(-theta * np.abs(idx[:, None] - idx[None, :]))
    A = C * w[None, :] if variant == "nemirovski" else w[:, None] * C
    return MatrixGame(A, name=f"policeman-burglar-{n}-{variant}")
