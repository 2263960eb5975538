r"""Randomized iterative sketching solvers for the KKT system, as strategy objects.

A sketch solves the (symmetric, indefinite) Newton-KKT system ``K z = b`` by
sketch-and-project steps (Gower & Richtárik, SIAM J. Matrix Anal. Appl. 36 (2015) 1660-1690)

.. math:: z_{t+1} = z_t - K^\top S_t (S_t^\top K K^\top S_t)^\dagger S_t^\top (K z_t - b),

continuing from a given ``(z, r = K z - b)`` until ``||r|| <= tol`` or a step budget is
spent. Available sketches (names for the ``sketch`` option of ``method="eal"``):

* ``"kaczmarz"`` (alias ``"rk"``): ``S = e_i``, ``i`` uniform -- the reference code;
* ``"kaczmarz-rownorm"``: ``i`` drawn with probability ``||K_i||^2 / ||K||_F^2``
  (Strohmer & Vershynin 2009);
* ``"gaussian"`` (alias ``"gv"``): ``S = s ~ N(0, I)``;
* ``"block-kaczmarz"``: ``S = I_{:, B}`` for blocks ``B`` of a fresh random permutation;
* ``"block-gaussian"``: ``S`` an ``(n+m) x p`` Gaussian matrix;
* ``"minres"``: not a sketch but the practical Krylov baseline, MINRES (Paige & Saunders,
  SIAM J. Numer. Anal. 12 (1975) 617-629) on the symmetric indefinite ``K``, one mat-vec per
  step, optionally with a symmetric positive definite preconditioner
  (:mod:`~numopt.solvers.eal.precond`); ``K`` may be a ``scipy.sparse.linalg.LinearOperator``
  (matrix-free: Hessian-vector products and a sparse Jacobian);
* ``"gmres"``: restarted GMRES(50) through :func:`scipy.sparse.linalg.gmres`.

The inner loops are the numba kernels of :mod:`numopt.solvers.eal._kernels`; they keep
the residual incrementally and this module re-synchronizes it with ``K z - b`` once per
batch, so rounding drift stays bounded. Random choices are drawn here from the caller's
``numpy.random.Generator``, in batches.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Sketch", "Kaczmarz", "GaussianSketch", "BlockKaczmarz", "BlockGaussian", "Krylov", "minres",
           "get_sketch", "SKETCHES"]

#: numbers drawn per batch (rows, or Gaussian entries)
_BATCH_ENTRIES = 1 << 16
#: Kaczmarz on K with dense rows switches to a precomputed dense K K up to this size
_GRAM_MAX_ROWS = 2000
_EMPTY2 = np.zeros((0, 0))
_EPS = np.finfo(float).eps


class Sketch:
    """Base class: ``solve(K, b, z, r, tol, max_steps, rng) -> (steps, converged)``.

    ``K`` is a symmetric ``scipy.sparse.csr_matrix`` with sorted indices; ``z`` and ``r``
    (``= K z - b``) are updated in place. Subclasses implement :meth:`_run`, which draws a
    batch of at most ``budget`` steps and runs them through a kernel.
    """

    name = "sketch"

    def solve(self, K, b, z, r, tol, max_steps, rng, floor=0.0, deadline=float("inf"), precond=None):
        """Steps from ``(z, r)`` until ``||r|| <= max(tol, floor ||z||)``; ``floor`` guards
        against targets below the attainable accuracy (about ``eps ||K|| ||z||``).

        Returns ``(steps, converged)``. ``converged`` is false when ``max_steps`` were spent, or
        when ``deadline`` (a ``time.perf_counter()`` value) passed between two batches, or when
        the residual became non-finite. ``precond`` (``v -> M^{-1} v``) is for the Krylov
        solvers; a sketch refuses one.
        """
        from ...driver import past
        if precond is not None:
            raise ValueError(f"the {self.name!r} sketch takes no preconditioner (Krylov solvers only)")
        steps = 0
        self._prepare(K)
        while True:
            rr = float(r @ r)
            if not np.isfinite(rr):
                return steps, False
            rr_tol = max(float(tol), float(floor) * float(np.linalg.norm(z))) ** 2
            if rr <= rr_tol:
                return steps, True
            if steps >= max_steps or past(deadline):
                return steps, False
            done, _ = self._run(K, z, r, rr_tol, int(max_steps - steps), rng)
            steps += done
            r[:] = K @ z - b          # re-synchronize the incremental residual
            if done == 0:             # the kernel judged r converged (rounding at the boundary)
                return steps, True

    def _prepare(self, K):
        pass

    def _run(self, K, z, r, rr_tol, budget, rng):  # pragma: no cover - protocol
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


def _dense_gram(K):
    """``(K, K K)`` as dense arrays when ``K``'s rows are dense enough for a row step through the
    Gram matrix (``~2N`` flops) to beat one through CSR (``~(nnz/N)^2``); else ``None``."""
    N = K.shape[0]
    if N <= _GRAM_MAX_ROWS and (K.nnz / N) ** 2 > 2 * N:
        Kd = K.toarray()
        return Kd, Kd @ Kd
    return None


class Kaczmarz(Sketch):
    """Randomized Kaczmarz (row sketch ``S = e_i``).

    Parameters
    ----------
    sampling : {"uniform", "rownorm"}
        ``"uniform"`` (the reference code) or proportional to the squared row norms.
    """

    def __init__(self, sampling: str = "uniform"):
        if sampling not in ("uniform", "rownorm"):
            raise ValueError(f"Kaczmarz sampling must be 'uniform' or 'rownorm', got {sampling!r}")
        self.sampling = sampling
        self.name = "kaczmarz" if sampling == "uniform" else "kaczmarz-rownorm"

    def _prepare(self, K):
        self._rn2 = np.asarray(K.multiply(K).sum(axis=1)).ravel()
        self._p = self._rn2 / self._rn2.sum() if self.sampling == "rownorm" else None
        self._gram = _dense_gram(K)

    def _run(self, K, z, r, rr_tol, budget, rng):
        from ._kernels import kaczmarz_steps
        size = min(budget, _BATCH_ENTRIES)
        N = r.size
        rows = rng.integers(0, N, size=size) if self._p is None else rng.choice(N, size=size, p=self._p)
        Kd, KK = self._gram if self._gram is not None else (_EMPTY2, _EMPTY2)
        done = kaczmarz_steps(K.indptr, K.indices, K.data, Kd, KK, self._rn2, rows.astype(np.int64), z, r, rr_tol)
        return done, size

    def __repr__(self):
        return f"Kaczmarz(sampling={self.sampling!r})"


class GaussianSketch(Sketch):
    """Gaussian vector sketch ``S = s``, ``s ~ N(0, I)`` (one projection per step)."""

    name = "gaussian"

    def _run(self, K, z, r, rr_tol, budget, rng):
        from ._kernels import gaussian_steps
        N = r.size
        size = max(1, min(budget, _BATCH_ENTRIES // N))
        S = rng.standard_normal((size, N))
        done = gaussian_steps(K.indptr, K.indices, K.data, S, z, r, rr_tol, np.empty(N), np.empty(N))
        return done, size


class _BlockSketch(Sketch):
    """A sketch projecting onto ``block_size`` directions per step."""

    def __init__(self, block_size: int = 4):
        if int(block_size) != block_size or block_size < 1:
            raise ValueError(f"block_size must be a positive integer, got {block_size!r}")
        self.block_size = int(block_size)

    def __repr__(self):
        return f"{type(self).__name__}(block_size={self.block_size})"


class BlockKaczmarz(_BlockSketch):
    """Block Kaczmarz: ``S = I_{:, B}`` with blocks ``B`` of ``block_size`` rows taken
    consecutively from fresh random permutations (Needell & Tropp 2014)."""

    name = "block-kaczmarz"

    def _prepare(self, K):
        self._gram = _dense_gram(K)

    def _run(self, K, z, r, rr_tol, budget, rng):
        from ._kernels import block_kaczmarz_steps, block_kaczmarz_steps_gram
        N = r.size
        p = min(self.block_size, N)
        nb = N // p
        size = max(1, min(budget, _BATCH_ENTRIES // p))
        reps = -(-size // nb)
        perms = np.concatenate([rng.permutation(N)[:nb * p] for _ in range(reps)])
        blocks = perms.reshape(-1, p)[:size].astype(np.int64)
        if self._gram is not None:
            return block_kaczmarz_steps_gram(self._gram[0], self._gram[1], blocks, z, r, rr_tol), size
        done = block_kaczmarz_steps(K.indptr, K.indices, K.data, blocks, z, r, rr_tol, np.zeros(N),
                                    np.zeros(N), np.zeros(N, dtype=np.int64), np.zeros(N, dtype=np.int64))
        return done, size


class BlockGaussian(_BlockSketch):
    """Block Gaussian sketch: ``S`` an ``(n+m) x block_size`` standard Gaussian matrix."""

    name = "block-gaussian"

    def _run(self, K, z, r, rr_tol, budget, rng):
        from ._kernels import block_gaussian_steps
        N = r.size
        p = min(self.block_size, N)
        size = max(1, min(budget, _BATCH_ENTRIES // (N * p)))
        S = rng.standard_normal((size, p, N))
        done = block_gaussian_steps(K.indptr, K.indices, K.data, S, z, r, rr_tol, np.empty((p, N)),
                                    np.empty(N))
        return done, size


def minres(matvec, b, tol, maxiter, psolve=None):
    r"""MINRES (Paige & Saunders 1975) for a symmetric ``K``: ``x`` with ``||K x - b||_2 <= tol``.

    Lanczos tridiagonalization with Givens rotations, in the recurrences of Paige & Saunders
    with a preconditioner (those of scipy's ``minres``): with ``psolve`` (``v -> M^{-1} v``,
    ``M`` symmetric **positive definite**) the Lanczos process runs in the ``M^{-1}`` inner
    product and the iterate minimizes ``||K x - b||_{M^{-1}}`` on the preconditioned Krylov
    space, ``x_k in span{M^{-1} b, (M^{-1} K) M^{-1} b, ...}``. The recurrence's residual
    ``|phibar|`` is then the ``M^{-1}``-norm, so the 2-norm residual that the stopping test needs
    is carried alongside: ``r_k = r_{k-1} - phi_k K w_k`` with ``K w_k`` from the same three-term
    recurrence as ``w_k`` (the mat-vec ``K v_k`` is already computed), ``O(N)`` extra work and no
    extra mat-vec. Without ``psolve`` (``M = I``) ``|phibar| = ||r_k||_2``, exact in exact
    arithmetic. Each step costs one ``matvec``, one ``psolve`` and ``O(N)`` vector work; scipy's
    ``minres`` stops on ``||r|| / (||K|| ||x||)`` instead, this one on the residual itself.

    Returns ``(x, steps, rnorm)``; ``steps < maxiter`` with ``rnorm > tol`` means a breakdown: a
    Lanczos breakdown (``K`` singular on the Krylov space), ``r^T M^{-1} r <= 0`` (the
    preconditioner is not positive definite) or, preconditioned, stagnation: ``|phibar| <= eps
    sqrt(b^T M^{-1} b)``, the ``M^{-1}``-norm residual at rounding level, where the carried 2-norm
    residual stops decreasing (a target below the attainable accuracy).
    """
    N = b.size
    x = np.zeros(N)
    bn = float(np.linalg.norm(b))
    if bn <= tol or maxiter <= 0:
        return x, 0, bn
    prec = psolve is not None
    r1 = b.copy()
    y = np.asarray(psolve(r1), dtype=float).reshape(N) if prec else r1
    beta1 = float(r1 @ y)
    if not (np.isfinite(beta1) and beta1 > 0.0):
        return x, 0, bn                                # M^{-1} not positive definite on b
    beta = np.sqrt(beta1)
    oldb, dbar, epsln, phibar, cs, sn = 0.0, 0.0, 0.0, beta, -1.0, 0.0
    w, w2 = np.zeros(N), np.zeros(N)
    r2 = r1
    if prec:
        res, Kw, Kw2 = b.copy(), np.zeros(N), np.zeros(N)
    rn = bn
    steps = 0
    while steps < maxiter:
        steps += 1
        v = y / beta
        Av = np.asarray(matvec(v), dtype=float).reshape(N)
        y = Av - (beta / oldb) * r1 if steps >= 2 else Av.copy()
        alfa = float(v @ y)
        y -= (alfa / beta) * r2
        r1, r2 = r2, y
        y = np.asarray(psolve(r2), dtype=float).reshape(N) if prec else r2
        oldb = beta
        b2 = float(r2 @ y)
        if not (np.isfinite(b2) and b2 >= 0.0):
            break                                      # the preconditioner is not positive definite
        beta = np.sqrt(b2)
        oldeps = epsln
        delta = cs * dbar + sn * alfa
        gbar = sn * dbar - cs * alfa
        epsln = sn * beta
        dbar = -cs * beta
        gamma = float(np.hypot(gbar, beta))
        if not np.isfinite(gamma) or gamma == 0.0:
            break                                      # breakdown: singular on the Krylov space
        cs, sn = gbar / gamma, beta / gamma
        phi = cs * phibar
        phibar = sn * phibar
        w1, w2 = w2, w
        w = (v - oldeps * w1 - delta * w2) / gamma
        x += phi * w
        if prec:
            Kw1, Kw2 = Kw2, Kw
            Kw = (Av - oldeps * Kw1 - delta * Kw2) / gamma
            res -= phi * Kw
            rn = float(np.linalg.norm(res))
            if abs(phibar) <= _EPS * beta1:
                break                                  # M^{-1}-norm residual at rounding level: stagnated
        else:
            rn = abs(phibar)
        if rn <= tol or beta == 0.0:
            break
    return x, steps, rn


class Krylov(Sketch):
    """Krylov inner solver (``"minres"`` or ``"gmres"``), the deterministic practical baseline.

    ``solve`` continues from ``(z, r)`` by solving the correction system ``K d = -r`` to the
    requested residual, then re-synchronizes ``r = K z - b``; a step is one mat-vec. ``K`` is a
    sparse matrix or a ``LinearOperator``; ``precond`` (``v -> M^{-1} v``, ``M`` symmetric
    positive definite, e.g. :class:`~numopt.solvers.eal.precond.BlockDiagonal`) preconditions
    MINRES (in the ``M^{-1}`` inner product) and GMRES (scipy's ``M``; its own test is then on the
    preconditioned residual, and the true residual is re-checked here). MINRES restarts (at most a few times) only when
    rounding leaves the true residual above the target; a restart that does not reduce the
    residual by half ends the solve as not converged.
    """

    def __init__(self, method: str = "minres", restart: int = 50):
        if method not in ("minres", "gmres"):
            raise ValueError(f"Krylov method must be 'minres' or 'gmres', got {method!r}")
        self.method, self.restart, self.name = method, int(restart), method

    def solve(self, K, b, z, r, tol, max_steps, rng, floor=0.0, deadline=float("inf"), precond=None):
        from ...driver import past
        steps = 0
        last = np.inf
        while True:
            rn = float(np.linalg.norm(r))
            if not np.isfinite(rn):
                return steps, False
            target = max(float(tol), float(floor) * float(np.linalg.norm(z)))
            if rn <= target:
                return steps, True
            if steps >= max_steps or past(deadline) or not rn < 0.5 * last:
                return steps, False
            last = rn
            budget = int(max_steps - steps)
            if self.method == "minres":
                d, done, _ = minres(lambda v: K @ v, -r, 0.5 * target, budget, precond)
            else:
                from scipy.sparse.linalg import LinearOperator, gmres
                count = [0]

                def cb(_):
                    count[0] += 1
                rs = max(1, min(self.restart, r.size, budget))
                M = None if precond is None else LinearOperator(K.shape, matvec=precond, dtype=float)
                d, _ = gmres(K, -r, rtol=0.0, atol=0.5 * target, restart=rs, maxiter=-(-budget // rs),
                             callback=cb, callback_type="pr_norm", M=M)
                done = max(count[0], 1)
            steps += done
            z += d
            r[:] = K @ z - b

    def __repr__(self):
        return f"Krylov(method={self.method!r})"


SKETCHES = {
    "kaczmarz": lambda bs: Kaczmarz("uniform"),
    "rk": lambda bs: Kaczmarz("uniform"),
    "kaczmarz-rownorm": lambda bs: Kaczmarz("rownorm"),
    "gaussian": lambda bs: GaussianSketch(),
    "gv": lambda bs: GaussianSketch(),
    "block-kaczmarz": lambda bs: BlockKaczmarz(bs),
    "block-gaussian": lambda bs: BlockGaussian(bs),
    "minres": lambda bs: Krylov("minres"),
    "gmres": lambda bs: Krylov("gmres"),
}


def get_sketch(spec, block_size: int = 4) -> Sketch:
    """A sketch from a name (see the module docstring) or a :class:`Sketch` instance."""
    if isinstance(spec, Sketch):
        return spec
    if isinstance(spec, str):
        try:
            return SKETCHES[spec.lower()](block_size)
        except KeyError:
            raise ValueError(f"unknown sketch {spec!r}; valid: {', '.join(SKETCHES)}") from None
    raise TypeError(f"sketch must be a name or a Sketch instance, got {type(spec).__name__}")
