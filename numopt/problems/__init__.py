"""Problem objects: the protocol, proximal operators and shared model templates.

See :mod:`numopt.problems.base` for the protocol (``structure`` and ``oracles``).
"""
from .base import Objective, Problem, SmoothProblem
from .composite import CompositeProblem, as_composite
from .constrained import ConstrainedProblem, ScipyConstrainedProblem, normalize_bounds
from .finite_sum import FiniteSum
from .graph import LabelPropagation, SparseQuadratic, lattice_graph
from .models import (QP, ElasticNet, Lasso, LeastSquares, LogisticLoss, LogisticRegression, SoftmaxLoss,
                     SoftmaxRegression)
from . import prox

__all__ = ["Problem", "SmoothProblem", "Objective", "CompositeProblem", "as_composite",
           "ConstrainedProblem", "ScipyConstrainedProblem", "normalize_bounds", "FiniteSum",
           "LeastSquares", "Lasso", "ElasticNet", "LogisticLoss", "LogisticRegression", "QP", "prox",
           "SoftmaxLoss", "SoftmaxRegression",
           "SparseQuadratic", "LabelPropagation", "lattice_graph"]
