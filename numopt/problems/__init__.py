"""Problem objects: the protocol, proximal operators and shared model templates.

See :mod:`numopt.problems.base` for the protocol (``structure`` and ``oracles``).
The Hock-Schittkowski collection is in :mod:`numopt.problems.hs`; the bilevel builders
(quadratic, double well, ridge/logistic hyperparameters, hyper-cleaning) in :mod:`numopt.problems.bilevel`.
"""
from .base import Objective, Problem, SmoothProblem
from .bilevel import Bilevel, BilevelFiniteSum
from .composite import CompositeProblem, as_composite
from .constrained import ConstrainedProblem, ScipyConstrainedProblem, normalize_bounds
from .constrained_logreg import ConstrainedLogisticRegression
from .convex_relu import ConvexReLU
from .finite_sum import FiniteSum
from .inclusion import (BilinearGame, BoxLeastSquares, EqualityQP, LinearFiniteSumInclusion, MatrixGame,
                        MonotoneInclusion, OperatorInclusion, hard_qp, policeman_burglar)
from .graph import LabelPropagation, SparseQuadratic, lattice_graph
from .network import Activation, Network
from .models import (QP, ElasticNet, Lasso, LeastSquares, LogisticLoss, LogisticRegression, SoftmaxLoss,
                     SoftmaxRegression, TotalVariation1D)
from .dag import DAGScore
from .ot import EntropicOT
from .pde import PoissonControl
from .splitting import ADMMProblem, ConsensusProblem, FederatedWLS, make_federated_wls, make_scenario_consensus
from . import bilevel, prox

__all__ = ["Problem", "SmoothProblem", "Objective", "CompositeProblem", "as_composite",
           "ConstrainedProblem", "ScipyConstrainedProblem", "normalize_bounds", "FiniteSum",
           "LeastSquares", "Lasso", "ElasticNet", "LogisticLoss", "LogisticRegression", "QP",
           "SoftmaxLoss", "SoftmaxRegression", "TotalVariation1D", "SparseQuadratic", "LabelPropagation",
           "lattice_graph", "ConstrainedLogisticRegression", "PoissonControl", "EntropicOT", "DAGScore",
           "ADMMProblem", "ConsensusProblem", "FederatedWLS", "make_federated_wls", "make_scenario_consensus", "ConvexReLU",
           "MonotoneInclusion", "LinearFiniteSumInclusion", "MatrixGame", "BoxLeastSquares", "BilinearGame",
           "OperatorInclusion", "policeman_burglar", "EqualityQP", "hard_qp",
           "Network", "Activation", "prox",
           "Bilevel", "BilevelFiniteSum", "bilevel"]
