r"""The ``admm`` method: the shared engine on the splitting of the given problem.

Supported problems: :class:`~numopt.problems.QP` (OSQP splitting, infeasibility and
unboundedness certificates), :class:`~numopt.problems.Lasso`,
:class:`~numopt.problems.ElasticNet`, :class:`~numopt.problems.LogisticRegression` and any
composite smooth + prox problem, :class:`~numopt.problems.TotalVariation1D` and the generic
two-block :class:`~numopt.problems.splitting.ADMMProblem`. See :mod:`.engine` for the
iteration, stopping rule and penalty adaptation.
"""
from __future__ import annotations

from ...registry import register
from .engine import ADMMEngine, ADMMOptions
from .splittings import make_splitting

__all__ = ["ADMM"]


@register("admm", family="admm", options=ADMMOptions, aliases=("osqp-admm",), requires={"splitting"},
          supports={"nonsmooth", "bounds", "eq_constraints", "ineq_constraints"},
          tol_options=("eps_abs", "eps_rel"), work_unit="passes")
class ADMM(ADMMEngine):
    """ADMM (scaled, over-relaxed, adaptive rho, Anderson) for QPs, lasso, TV and f(x)+g(z)."""

    def make_splitting(self, problem, options):
        return make_splitting(problem, options)
