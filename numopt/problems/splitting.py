r"""Problems in split form for ADMM-type methods.

* :class:`ADMMProblem` — ``min f(x) + g(z)  s.t.  A x + B z = c`` with ``f, g`` proximal
  operators (:mod:`numopt.problems.prox`).
* :class:`ConsensusProblem` — ``min sum_i f_i(x_i)  s.t.  E_i x_i = z_{G_i}``: global
  consensus (every local problem holds all global coordinates) or general-form consensus
  (local problem ``i`` shares only the coordinates ``G_i``), local ``f_i`` convex QPs.
* :class:`FederatedWLS` — weighted least squares split over clients,
  ``min_w sum_k (y_k - X_k w)^T diag(lam_k) (y_k - X_k w)``.

Reference: Boyd et al., Found. Trends Mach. Learn. 3(1), 2011, ch. 3 and 7.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import as_matrix, as_vector
from .base import Problem
from .models import QP
from .prox import Prox

__all__ = ["ADMMProblem", "ConsensusProblem", "FederatedWLS", "make_federated_wls", "make_scenario_consensus"]


class ADMMProblem(Problem):
    r"""``min_{x,z} f(x) + g(z) subject to A x + B z = c``.

    Parameters
    ----------
    f, g : Prox
        Closed convex functions given by their proximal operators.
    A : (p, n) array or sparse matrix, optional
        Default: the identity (then the x-update is an exact prox of ``f``; otherwise a
        linearized step, Parikh & Boyd 2014 sec. 4.4.2).
    B : (p, m) array or sparse matrix, optional
        Default: minus the identity (then the z-update is an exact prox of ``g``).
    c : (p,) array, optional
        Default zeros.
    n : int, optional
        Size of ``x`` when ``A`` is not given (required then, unless ``B`` or ``c`` fixes it).
    """

    structure = frozenset({"nonsmooth"})
    oracles = frozenset({"prox", "admm", "splitting"})

    def __init__(self, f: Prox, g: Prox, A=None, B=None, c=None, n: int | None = None, x0=None, name=None):
        for nm, op in (("f", f), ("g", g)):
            if not isinstance(op, Prox):
                raise TypeError(f"{nm} must be a numopt Prox operator, got {type(op).__name__}")
        self.f, self.g = f, g
        self.A = None if A is None else as_matrix(A, "A")
        self.B = None if B is None else as_matrix(B, "B")
        p = None
        for M in (self.A, self.B):
            if M is not None:
                if p is not None and M.shape[0] != p:
                    raise ValueError(f"A and B must have the same number of rows, got {self.A.shape} and {self.B.shape}")
                p = M.shape[0]
        if c is not None:
            c = as_vector(c, "c", size=p)
            p = c.size
        if p is None:
            if n is None:
                raise ValueError("n (the size of x) is required when A, B and c are all omitted")
            p = int(n)
        self.p = p
        self.c = np.zeros(p) if c is None else c
        nx = p if self.A is None else self.A.shape[1]
        if n is not None and int(n) != nx:
            raise ValueError(f"n must equal the number of columns of A ({nx}), got {n}")
        self.m = p if self.B is None else self.B.shape[1]
        super().__init__(nx, np.zeros(nx) if x0 is None else x0, name or "ADMMProblem")

    def objective(self, x, z) -> float:
        """``f(x) + g(z)``."""
        return float(self.f.value(x)) + float(self.g.value(z))

    def fun(self, x) -> float:
        """``f(x) + g(x)`` — defined only for the consensus form ``x - z = 0``."""
        if self.A is not None or self.B is not None or np.any(self.c != 0):
            raise TypeError("ADMMProblem.fun(x) is defined only for x - z = 0; use objective(x, z)")
        self._count("nfev")
        return self.objective(x, x)


class ConsensusProblem(Problem):
    r"""``min sum_i 1/2 x_i^T P_i x_i + q_i^T x_i subject to l_i <= A_i x_i <= u_i,  (x_i)_{S_i} = z_{G_i}``.

    Parameters
    ----------
    local : list of QP
        The local problems (``numopt.problems.QP``), of any sizes.
    shared : list of int arrays, optional
        ``shared[i]`` = indices ``S_i`` of the local variables of problem ``i`` that are
        coupled (default: all of them: global consensus, all local sizes equal).
    global_index : list of int arrays, optional
        ``global_index[i]`` = global coordinates ``G_i`` those variables equal (same length
        as ``shared[i]``; default ``arange(len(shared[i]))``, i.e. every problem shares the
        same leading block — the "common first segment" of scenario planning).
    weights : array, optional
        Positive weights ``w_i`` of the consensus penalty (e.g. scenario probabilities);
        ``z`` is then the weighted average. Default ones.

    ``x`` of this problem is the global variable ``z``.
    """

    structure = frozenset({"consensus"})
    oracles = frozenset({"consensus"})

    def __init__(self, local, shared=None, global_index=None, weights=None, name=None):
        local = list(local)
        if not local or not all(isinstance(q, QP) for q in local):
            raise TypeError("local must be a non-empty list of numopt.problems.QP objects, got "
                            f"{[type(q).__name__ for q in local][:5]}")
        N = len(local)
        if shared is None:
            sizes = {q.n for q in local}
            if len(sizes) != 1:
                raise ValueError(f"global consensus needs local problems of one size, got sizes {sorted(sizes)}; "
                                 "pass shared= for general-form consensus")
            shared = [np.arange(local[0].n)] * N
        shared = [np.asarray(s, dtype=np.intp) for s in shared]
        if len(shared) != N:
            raise ValueError(f"shared must have one index array per local problem ({N}), got {len(shared)}")
        if global_index is None:
            global_index = [np.arange(s.size) for s in shared]
        global_index = [np.asarray(g, dtype=np.intp) for g in global_index]
        if len(global_index) != N:
            raise ValueError(f"global_index must have {N} index arrays, got {len(global_index)}")
        for i, (q, s, g) in enumerate(zip(local, shared, global_index)):
            if s.size != g.size:
                raise ValueError(f"shared[{i}] and global_index[{i}] must have the same length, "
                                 f"got {s.size} and {g.size}")
            if s.size and (s.min() < 0 or s.max() >= q.n):
                raise ValueError(f"shared[{i}] must index the {q.n} local variables of problem {i}")
            if np.unique(g).size != g.size or (g.size and g.min() < 0):
                raise ValueError(f"global_index[{i}] must hold distinct non-negative indices")
        nz = int(max((g.max() + 1 for g in global_index if g.size), default=0))
        self.weights = np.ones(N) if weights is None else as_vector(weights, "weights", size=N)
        if np.any(self.weights <= 0):
            raise ValueError("weights must be positive")
        count = np.zeros(nz)
        for g, w in zip(global_index, self.weights):
            count[g] += w
        if np.any(count == 0):
            raise ValueError(f"global coordinates {np.flatnonzero(count == 0)[:5].tolist()} are shared by "
                             "no local problem")
        self.local, self.shared, self.global_index, self.N = local, shared, global_index, N
        super().__init__(nz, np.zeros(nz), name or f"Consensus-{N}")

    def objective(self, xs) -> float:
        """``sum_i f_i(x_i)`` at local solutions ``xs``."""
        return float(sum(q._fun(x) for q, x in zip(self.local, xs)))


class FederatedWLS(Problem):
    r"""Weighted least squares over ``K`` clients: ``sum_k (y_k - X_k w)^T diag(lam_k) (y_k - X_k w)``.

    Parameters
    ----------
    X : list of (m_k, d) arrays
    y : list of (m_k,) arrays
    weights : list of (m_k,) positive arrays, optional (default ones)
    """

    structure = frozenset({"federated_wls"})
    oracles = frozenset({"fun", "federated"})

    def __init__(self, X, y, weights=None, name=None):
        X, y = list(X), list(y)
        if not X or len(X) != len(y):
            raise ValueError(f"X and y must be non-empty lists of equal length, got {len(X)} and {len(y)}")
        self.X = [np.asarray(as_matrix(Xk, f"X[{k}]").toarray() if sp.issparse(Xk) else as_matrix(Xk, f"X[{k}]"))
                  for k, Xk in enumerate(X)]
        d = self.X[0].shape[1]
        if any(Xk.shape[1] != d for Xk in self.X):
            raise ValueError(f"every X[k] must have {d} columns, got {[Xk.shape[1] for Xk in self.X]}")
        self.y = [as_vector(yk, f"y[{k}]", size=Xk.shape[0]) for k, (Xk, yk) in enumerate(zip(self.X, y))]
        if weights is None:
            self.lam = [np.ones(Xk.shape[0]) for Xk in self.X]
        else:
            self.lam = [as_vector(w, f"weights[{k}]", size=Xk.shape[0]) for k, (Xk, w) in enumerate(zip(self.X, weights))]
            if any(np.any(w <= 0) for w in self.lam):
                raise ValueError("weights must be positive")
        self.K = len(self.X)
        # local quadratic data: f_k(w) = 1/2 w^T A_k w - b_k^T w + const, A_k = 2 X^T L X
        self.Ak = [2.0 * Xk.T @ (Xk * lk[:, None]) for Xk, lk in zip(self.X, self.lam)]
        self.bk = [2.0 * Xk.T @ (lk * yk) for Xk, yk, lk in zip(self.X, self.y, self.lam)]
        super().__init__(d, np.zeros(d), name or f"FederatedWLS-{self.K}")

    def fun(self, w) -> float:
        self._count("nfev")
        return float(sum(lk @ (yk - Xk @ w) ** 2 for Xk, yk, lk in zip(self.X, self.y, self.lam)))

    def solution(self) -> np.ndarray:
        """The closed-form WLS solution ``(sum_k A_k)^{-1} sum_k b_k``; when ``sum_k A_k`` is
        singular (fewer informative rows than features) the minimizers form an affine set and
        this is its minimum-norm point (``lstsq``)."""
        A, b = sum(self.Ak), sum(self.bk)
        try:
            w = np.linalg.solve(A, b)
            if np.all(np.isfinite(w)) and np.linalg.cond(A) < 1e12:
                return w
        except np.linalg.LinAlgError:
            pass
        return np.linalg.lstsq(A, b, rcond=None)[0]


def make_federated_wls(n_clients: int = 10, n: int = 5, m: int = 20, noise: float = 0.1,
                       rng=None) -> FederatedWLS:
    """A random federated WLS problem (a test and benchmark generator): ``n_clients`` clients
    with ``m`` Gaussian rows each, ``y_k = X_k w_true + noise``, weights uniform in [0.5, 2]."""
    gen = np.random.default_rng(rng)
    X = [gen.standard_normal((m, n)) for _ in range(int(n_clients))]
    w_true = gen.standard_normal(n)
    y = [Xk @ w_true + noise * gen.standard_normal(m) for Xk in X]
    lam = [gen.uniform(0.5, 2.0, m) for _ in range(int(n_clients))]
    return FederatedWLS(X, y, lam)


def make_scenario_consensus(n_scenarios: int = 5, n: int = 40, m: int = 30, n_shared: int = 8,
                            rng=None) -> ConsensusProblem:
    r"""A random scenario-consensus problem (a test and benchmark generator).

    ``n_scenarios`` strongly convex QPs ``1/2 x'P_s x + q_s'x``, ``l_s <= A_s x <= u_s``
    (feasible by construction, two-sided inequalities), all sharing their first
    ``n_shared`` variables — the "common first segment" of scenario planning.
    """
    gen = np.random.default_rng(rng)
    local = []
    for _ in range(int(n_scenarios)):
        M = gen.standard_normal((n, n))
        P = M @ M.T / n + 0.1 * np.eye(n)
        A = gen.standard_normal((m, n))
        xf = gen.standard_normal(n)
        Axf = A @ xf
        local.append(QP(P, gen.standard_normal(n), A, Axf - gen.uniform(0.1, 1.0, m), Axf + gen.uniform(0.1, 1.0, m)))
    return ConsensusProblem(local, shared=[np.arange(n_shared)] * int(n_scenarios))
