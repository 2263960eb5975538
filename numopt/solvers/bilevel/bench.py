"""The benchmark runner's ``bilevel`` source: closed-form and real-data bilevel programs.

Selection ``names``:

* ``"quadratic"`` -- :func:`~numopt.problems.bilevel.quadratic_bilevel` (benchopt's quadratic toy,
  full batch), ``f_ref`` its closed-form optimal value; parameters ``dim_x``, ``dim_y``, ``mu``, ``seed``;
* ``"box"`` -- :func:`~numopt.problems.bilevel.box_bilevel` (an active lower-level box; only
  ``bilevel-penalty`` applies), ``f_ref = 3/4``;
* ``"ridge-diabetes"`` -- :func:`~numopt.problems.bilevel.ridge_hyperparameter` on scikit-learn's
  diabetes data (first ``n_train`` samples train, next ``n_val`` validate), log-weights in
  ``[log 1e-2, log 1e2]``, from ``x0 = log(0.1)``; no ``f_ref`` (the best value found is the reference).

The runner re-evaluates every answer with ``problem.fun(x)``: the reduced objective
``f(x, y*(x))`` from an accurate lower-level solve (scipy's L-BFGS-B), independent of the method's ``y``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["BilevelSource"]

_NAMES = ("quadratic", "box", "ridge-diabetes")


class BilevelSource:
    """Bilevel programs by name (see the module docstring)."""

    description = "bilevel programs: quadratic toy (closed form), active lower box, per-feature ridge on diabetes"

    def available(self):
        return None

    def select(self, names=None) -> list[str]:
        from ...bench.sources import select_names
        return select_names(names, _NAMES, "bilevel")

    def build(self, name: str, **params):
        from ...bench.sources import BenchProblem, problem_id
        from ...problems import bilevel as B
        name = self.select(name)[0]
        try:
            if name == "quadratic":
                p = B.quadratic_bilevel(**params)
                bp = BenchProblem(p, f_ref=float(p.F_star), reference="closed form (quadratic_bilevel.F_star)")
            elif name == "box":
                if params:
                    raise TypeError(f"box takes no parameters, got {sorted(params)}")
                bp = BenchProblem(B.box_bilevel(), f_ref=0.75, reference="closed form: F(1/2) = 3/4")
            else:
                from sklearn.datasets import load_diabetes
                n_train, n_val = int(params.pop("n_train", 200)), int(params.pop("n_val", 150))
                if params:
                    raise TypeError(f"unexpected parameters {sorted(params)}")
                X, y = load_diabetes(return_X_y=True)
                X = (X - X.mean(0)) / X.std(0)
                y = (y - y.mean()) / y.std()
                d = X.shape[1]
                p = B.ridge_hyperparameter(X[:n_train], y[:n_train], X[n_train:n_train + n_val],
                                           y[n_train:n_train + n_val], x0=np.full(d, np.log(0.1)),
                                           x_bounds=(np.log(1e-2), np.log(1e2)))
                bp = BenchProblem(p)
        except TypeError as exc:
            raise ValueError(f"bad parameters {params} for bilevel problem {name!r}: {exc}") from None
        bp.problem.name = problem_id("bilevel", name, params)
        return bp
