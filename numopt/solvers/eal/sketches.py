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
* ``"block-gaussian"``: ``S`` an ``(n+m) x p`` Gaussian matrix.

The inner loops are the numba kernels of :mod:`numopt.solvers.eal._kernels`; they keep
the residual incrementally and this module re-synchronizes it with ``K z - b`` once per
batch, so rounding drift stays bounded. Random choices are drawn here from the caller's
``numpy.random.Generator``, in batches.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Sketch", "Kaczmarz", "GaussianSketch", "BlockKaczmarz", "BlockGaussian", "get_sketch",
           "SKETCHES"]

#: numbers drawn per batch (rows, or Gaussian entries)
_BATCH_ENTRIES = 1 << 16
#: Kaczmarz on K with dense rows switches to a precomputed dense K K up to this size
_GRAM_MAX_ROWS = 2000
_EMPTY2 = np.zeros((0, 0))


class Sketch:
    """Base class: ``solve(K, b, z, r, tol, max_steps, rng) -> (steps, converged)``.

    ``K`` is a symmetric ``scipy.sparse.csr_matrix`` with sorted indices; ``z`` and ``r``
    (``= K z - b``) are updated in place. Subclasses implement :meth:`_run`, which draws a
    batch of at most ``budget`` steps and runs them through a kernel.
    """

    name = "sketch"

    def solve(self, K, b, z, r, tol, max_steps, rng, floor=0.0, deadline=float("inf")):
        """Steps from ``(z, r)`` until ``||r|| <= max(tol, floor ||z||)``; ``floor`` guards
        against targets below the attainable accuracy (about ``eps ||K|| ||z||``).

        Returns ``(steps, converged)``. ``converged`` is false when ``max_steps`` were spent, or
        when ``deadline`` (a ``time.perf_counter()`` value) passed between two batches, or when
        the residual became non-finite.
        """
        from ...driver import past
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


SKETCHES = {
    "kaczmarz": lambda bs: Kaczmarz("uniform"),
    "rk": lambda bs: Kaczmarz("uniform"),
    "kaczmarz-rownorm": lambda bs: Kaczmarz("rownorm"),
    "gaussian": lambda bs: GaussianSketch(),
    "gv": lambda bs: GaussianSketch(),
    "block-kaczmarz": lambda bs: BlockKaczmarz(bs),
    "block-gaussian": lambda bs: BlockGaussian(bs),
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
