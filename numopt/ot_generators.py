"""Entropic-OT instances for tests and the benchmark runner (plain functions returning
:class:`numopt.problems.EntropicOT`).

* :func:`random_assignment` -- costs uniform in [0, 1], uniform marginals (Tang et al. 2024, sec. 5);
* :func:`point_clouds` -- squared Euclidean costs between random points, scaled to max 1;
* :func:`grid_densities` -- two Gaussian-mixture densities on a regular grid of [0, 1]^2 with a
  floor, cost ``||x - y||_2^2`` (``p=2``, W2) or ``||x - y||_1`` (``p=1``, W1), as the paper's
  MNIST experiments but data-free.

The paper's regularization is ``eta = 1200``, i.e. ``reg = 1/1200`` for costs of scale 1.
"""
from __future__ import annotations

import numpy as np

from .problems.ot import EntropicOT

__all__ = ["random_assignment", "point_clouds", "grid_densities", "PAPER_REG", "OTSource"]

#: The paper's regularization (eta = 1200).
PAPER_REG = 1.0 / 1200.0


def _rng(seed):
    return np.random.default_rng(seed)


def random_assignment(n: int = 500, reg: float = PAPER_REG, seed=0) -> EntropicOT:
    """``C ~ U[0, 1]^{n x n}``, ``a = b = 1/n`` (the paper's random assignment problem)."""
    rng = _rng(seed)
    C = rng.random((n, n))
    u = np.full(n, 1.0 / n)
    return EntropicOT(u, u.copy(), C, reg, name=f"random-assignment-n{n}-s{seed}")


def point_clouds(n: int = 500, m: int | None = None, dim: int = 2, reg: float = 0.01, seed=0,
                 uniform: bool = True) -> EntropicOT:
    """Squared Euclidean cost between ``n`` and ``m`` points uniform in ``[0, 1]^dim``, scaled to max 1.

    With ``uniform=False`` the marginals are random (Dirichlet(1)-like, bounded away from 0).
    """
    m = n if m is None else m
    rng = _rng(seed)
    X, Y = rng.random((n, dim)), rng.random((m, dim))
    C = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    C /= C.max()
    if uniform:
        a, b = np.full(n, 1.0 / n), np.full(m, 1.0 / m)
    else:
        a, b = rng.random(n) + 0.1, rng.random(m) + 0.1
        a, b = a / a.sum(), b / b.sum()
    return EntropicOT(a, b, C, reg, name=f"point-clouds-{n}x{m}-d{dim}-s{seed}")


def _mixture(grid, rng, k=3, floor=1e-3):
    dens = np.zeros(grid.shape[0])
    for _ in range(k):
        mu = rng.uniform(0.2, 0.8, size=2)
        s = rng.uniform(0.05, 0.15)
        dens += rng.uniform(0.5, 1.0) * np.exp(-((grid - mu) ** 2).sum(1) / (2 * s * s))
    dens += floor * dens.max()
    return dens / dens.sum()


def grid_densities(side: int = 20, p: int = 2, reg: float = PAPER_REG, seed=0) -> EntropicOT:
    """Two 3-component Gaussian mixtures (plus a ``1e-3 * max`` floor) on a ``side x side`` grid.

    ``p=2``: cost ``||x - y||_2^2`` (W2); ``p=1``: cost ``||x - y||_1`` (W1). Grid points in
    ``[0, 1]^2``, so the cost scale is 2.
    """
    if p not in (1, 2):
        raise ValueError(f"p must be 1 or 2, got {p!r}")
    rng = _rng(seed)
    t = np.linspace(0.0, 1.0, side)
    grid = np.stack(np.meshgrid(t, t, indexing="ij"), -1).reshape(-1, 2)
    diff = np.abs(grid[:, None, :] - grid[None, :, :])
    C = (diff ** 2).sum(-1) if p == 2 else diff.sum(-1)
    a, b = _mixture(grid, rng), _mixture(grid, rng)
    return EntropicOT(a, b, C, reg, name=f"grid-W{p}-{side}x{side}-s{seed}")


_GENERATORS = {"random-assignment": random_assignment, "point-clouds": point_clouds,
               "grid-densities": grid_densities}


class OTSource:
    """The benchmark runner's ``ot`` source: the generators above by name.

    Selection: ``names`` (default all of ``random-assignment``, ``point-clouds``,
    ``grid-densities``); build parameters are the generator's keyword arguments
    (``n``, ``reg``, ``seed``, ``side``, ``p``, ...). No reference value is known, so the
    success criterion compares with the best dual objective any solver found.
    """

    description = "entropic OT: random assignment, point clouds, grid densities (W1/W2)"

    def available(self):
        return None

    def select(self, names=None) -> list[str]:
        names = list(_GENERATORS) if names is None else ([names] if isinstance(names, str) else list(names))
        unknown = sorted(set(names) - set(_GENERATORS))
        if unknown:
            raise ValueError(f"unknown ot problem(s) {unknown}; valid: {', '.join(_GENERATORS)}")
        return names

    def build(self, name: str, **params):
        from .bench.sources import BenchProblem, problem_id
        try:
            problem = _GENERATORS[self.select(name)[0]](**params)
        except TypeError as exc:
            raise ValueError(f"bad parameters {params} for ot problem {name!r}: {exc}") from None
        problem.name = problem_id("ot", name, params)
        return BenchProblem(problem)
