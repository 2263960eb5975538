"""scipy's own methods, passed through so that ``from numopt import minimize`` is a drop-in.

Each is registered with what it handles; calling it goes to ``scipy.optimize.minimize``
with the user's arguments unchanged, and the result comes back with numopt's status
vocabulary (scipy's own code and message kept in ``method_status`` / ``method_message``).
``tol`` follows scipy's per-method rule (see ``docs/options.md``).
"""
from ...registry import SolverSpec, add_spec
from .bridge import ScipyMethod

#: name -> (supports, requires, auto_rank, summary). auto_rank reproduces scipy's default choice.
_METHODS = {
    "nelder-mead": ({"bounds"}, (), None, "Nelder-Mead simplex (derivative-free)"),
    "powell": ({"bounds"}, (), None, "Powell's conjugate directions (derivative-free)"),
    "cg": ((), (), None, "nonlinear conjugate gradient (Polak-Ribiere)"),
    "bfgs": ((), (), 10, "BFGS quasi-Newton"),
    "newton-cg": ((), ("grad",), None, "truncated Newton with CG"),
    "l-bfgs-b": ({"bounds"}, (), 20, "limited-memory BFGS with bounds"),
    "tnc": ({"bounds"}, (), None, "truncated Newton with bounds"),
    "cobyla": ({"bounds", "ineq_constraints", "eq_constraints"}, (), None, "COBYLA linear approximations (derivative-free)"),
    "cobyqa": ({"bounds", "ineq_constraints", "eq_constraints"}, (), None, "COBYQA quadratic models (derivative-free)"),
    "slsqp": ({"bounds", "ineq_constraints", "eq_constraints"}, (), 30, "sequential least squares QP"),
    "trust-constr": ({"bounds", "ineq_constraints", "eq_constraints"}, (), 40, "trust-region interior point / SQP"),
    "dogleg": ((), ("grad", "hess"), None, "dog-leg trust region"),
    "trust-ncg": ((), ("grad", "hessp"), None, "Newton-CG trust region"),
    "trust-krylov": ((), ("grad", "hessp"), None, "nearly exact trust region (Krylov)"),
    "trust-exact": ((), ("grad", "hess"), None, "nearly exact trust region"),
}

for _name, (_supports, _requires, _rank, _summary) in _METHODS.items():
    add_spec(SolverSpec(name=_name, family="scipy", solver=ScipyMethod(_name), options=None,
                        requires=frozenset(_requires), supports=frozenset(_supports),
                        auto_rank=_rank, summary=_summary))
