"""The benchmark runner's ``inclusion`` source: monotone inclusions for the Halpern family.

Importing this module registers the source (a suite lists it under ``[suite] imports``).

Selection ``names``:

* ``"policeman-burglar"``: :func:`~numopt.problems.policeman_burglar` (params ``n``, ``theta``,
  ``seed``, ``variant``); ``fun`` is the duality gap, ``f_ref = 0``;
* ``"diagonal-game"``: ``MatrixGame(diag(d))``, ``d ~ U[0.5, 2]`` (params ``n``, ``seed``); gap, ``f_ref = 0``;
* ``"box-ls"``: :class:`~numopt.problems.BoxLeastSquares` with unit-norm Gaussian rows and a
  ``[-0.1, 0.1]`` box (params ``n``, ``d``, ``seed``); ``fun`` is the least-squares objective,
  ``f_ref`` from ``scipy.optimize.lsq_linear`` (BVLS).

The runner recomputes ``fun`` at the returned ``x`` (uncounted), the constraint violation
(distance to the simplices / the box) and, as its "KKT" column, the natural residual
``max |x - J(x - F(x)/L)| * L`` of the inclusion.
"""
from __future__ import annotations

import numpy as np

__all__ = ["InclusionSource"]

_NAMES = ("policeman-burglar", "diagonal-game", "box-ls")


class _Measured:
    """Runner measurements for an inclusion: ``fun`` (the certificate), violation, residual."""

    def fun(self, x):
        x = np.asarray(x, dtype=float)
        m = self.merit(x)
        return float(np.linalg.norm(self._F(x))) if m is None else float(m)

    def grad(self, x):
        x = np.asarray(x, dtype=float)
        L = self.lipschitz
        return (x - self.resolve(x - self._F(x) / L, 1.0 / L)) * L

    def constr_violation(self, x):
        x = np.asarray(x, dtype=float)
        return float(np.max(np.abs(x - self.resolve(x, 1.0)), initial=0.0))


def _measured(problem):
    cls = type(problem)
    problem.__class__ = type(f"Bench{cls.__name__}", (_Measured, cls), {})
    return problem


class InclusionSource:
    """Monotone inclusions by name (see the module docstring)."""

    description = "matrix games (policeman-burglar, diagonal) and box least squares for the Halpern family"

    def available(self):
        return None

    def select(self, names=None) -> list[str]:
        from ...bench.sources import select_names
        return select_names(names, _NAMES, "inclusion")

    def build(self, name: str, **params):
        from ...bench.sources import BenchProblem, problem_id
        from ...problems.inclusion import BoxLeastSquares, MatrixGame, policeman_burglar
        name = self.select(name)[0]
        given, params = dict(params), dict(params)
        try:
            if name == "policeman-burglar":
                p, ref, why = policeman_burglar(**params), 0.0, "duality gap (0 at an equilibrium)"
            elif name == "diagonal-game":
                n, seed = int(params.pop("n", 100)), params.pop("seed", 0)
                if params:
                    raise TypeError(f"unexpected parameters {sorted(params)}")
                d = np.random.default_rng(seed).uniform(0.5, 2.0, n)
                p, ref, why = MatrixGame(np.diag(d)), 0.0, "duality gap (0 at an equilibrium)"
            else:
                from scipy.optimize import lsq_linear
                n, d, seed = int(params.pop("n", 10000)), int(params.pop("d", 20)), params.pop("seed", 0)
                if params:
                    raise TypeError(f"unexpected parameters {sorted(params)}")
                rng = np.random.default_rng(seed)
                X = rng.standard_normal((n, d))
                X /= np.linalg.norm(X, axis=1, keepdims=True)
                y = X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n)
                p = BoxLeastSquares(X, y, -0.1, 0.1)
                ref = p.merit(lsq_linear(X, y, (-0.1, 0.1), method="bvls", tol=1e-14).x)
                why = "scipy.optimize.lsq_linear (BVLS)"
        except TypeError as exc:
            raise ValueError(f"bad parameters for inclusion problem {name!r}: {exc}") from None
        p = _measured(p)
        p.name = problem_id("inclusion", name, given)
        return BenchProblem(p, f_ref=float(ref), reference=why)


def _register():
    from ...bench.sources import register_source, source_names
    if "inclusion" not in source_names():
        register_source("inclusion", InclusionSource())


_register()
