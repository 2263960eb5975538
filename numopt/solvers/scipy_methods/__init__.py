"""scipy's own methods, passed through so that ``from numopt import minimize`` is a drop-in.

Each is registered with what it handles; calling it goes to ``scipy.optimize.minimize``
with the user's arguments unchanged, and the result comes back with scipy's own ``status``,
``message`` and ``success`` untouched, plus numopt's vocabulary in ``numopt_status``,
``status_name`` and ``numopt_message``.
``tol`` follows scipy's per-method rule (see ``docs/options.md``).
"""
from ...registry import SolverSpec, add_spec
from .bridge import ScipyMethod

_CONS = {"bounds", "ineq_constraints", "eq_constraints"}
_G, _GH, _GHP, _ALL = ("jac",), ("jac", "hess"), ("jac", "hessp"), ("jac", "hess", "hessp")

#: name -> (supports, requires, derivatives it uses, auto_rank, summary).
#: auto_rank reproduces scipy's default choice (BFGS, then L-BFGS-B with bounds, SLSQP with constraints).
_METHODS = {
    "nelder-mead": ({"bounds"}, (), (), None, "Nelder-Mead simplex (derivative-free)"),
    "powell": ({"bounds"}, (), (), None, "Powell's conjugate directions (derivative-free)"),
    "cg": ((), (), _G, None, "nonlinear conjugate gradient (Polak-Ribiere)"),
    "bfgs": ((), (), _G, 10, "BFGS quasi-Newton"),
    "newton-cg": ((), ("grad",), _ALL, None, "truncated Newton with CG"),
    "l-bfgs-b": ({"bounds"}, (), _G, 20, "limited-memory BFGS with bounds"),
    "tnc": ({"bounds"}, (), _G, None, "truncated Newton with bounds"),
    "cobyla": (_CONS, (), (), None, "COBYLA linear approximations (derivative-free)"),
    "cobyqa": (_CONS, (), (), None, "COBYQA quadratic models (derivative-free)"),
    "slsqp": (_CONS, (), _G, 30, "sequential least squares QP"),
    "trust-constr": (_CONS, (), _ALL, 40, "trust-region interior point / SQP"),
    "dogleg": ((), ("grad", "hess"), _GH, None, "dog-leg trust region"),
    "trust-ncg": ((), ("grad", "hessp"), _ALL, None, "Newton-CG trust region"),
    "trust-krylov": ((), ("grad", "hessp"), _ALL, None, "nearly exact trust region (Krylov)"),
    "trust-exact": ((), ("grad", "hess"), _GH, None, "nearly exact trust region"),
}

for _name, (_supports, _requires, _uses, _rank, _summary) in _METHODS.items():
    add_spec(SolverSpec(name=_name, family="scipy", solver=ScipyMethod(_name, _uses), options=None,
                        requires=frozenset(_requires), supports=frozenset(_supports),
                        auto_rank=_rank, summary=_summary))
