r"""External solvers the benchmark runner compares against (not numopt methods).

A suite names one with ``method = "numopt.bench.baselines:IPOPT"``; it is a custom
:class:`numopt.driver.Solver` class, so ``numopt.minimize(problem, method=IPOPT)`` runs it on
any :class:`~numopt.problems.constrained.ConstrainedProblem` and the runner counts its
evaluations through the problem object like every other method.

* :class:`IPOPT` -- the interior-point code of Wächter & Biegler (Math. Program. 106, 2006)
  through ``cyipopt`` (the PyPI package ``cyipopt-wheels`` ships Ipopt and MUMPS in its
  manylinux wheel; plain ``cyipopt`` is an sdist that needs a system Ipopt). Exact
  Lagrangian Hessians for equality-constrained problems (the same oracle ``eal`` uses, so
  the comparison is like for like), limited-memory BFGS when there are inequalities (numopt's
  protocol has no Hessians of inequality constraints).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..driver import Solver
from ..options import DriverOptions, make_options, opt
from ..result import OptimizeResult, Status

__all__ = ["IPOPT", "IPOPTOptions"]

#: Ipopt's ApplicationReturnStatus -> numopt's status
_STATUS = {0: Status.CONVERGED, 1: Status.INACCURATE, 2: Status.INFEASIBLE, 3: Status.INACCURATE,
           4: Status.UNBOUNDED, 5: Status.CALLBACK_STOP, 6: Status.INACCURATE, -1: Status.MAXITER,
           -2: Status.NUMERICAL_ERROR, -3: Status.NUMERICAL_ERROR, -4: Status.MAXTIME, -5: Status.MAXTIME,
           -10: Status.SINGULAR, -11: Status.NUMERICAL_ERROR, -12: Status.NUMERICAL_ERROR,
           -13: Status.NUMERICAL_ERROR, -100: Status.NUMERICAL_ERROR, -101: Status.NUMERICAL_ERROR,
           -102: Status.NUMERICAL_ERROR, -199: Status.NUMERICAL_ERROR}


@dataclass
class IPOPTOptions(DriverOptions):
    maxiter: int = opt(3000, "Ipopt's max_iter.", kind=int)
    tol: float = opt(1e-8, "Ipopt's tol (scaled NLP error).", kind=(int, float))
    hessian: str = opt("auto", "'exact' (Lagrangian Hessian, equality constraints only), 'lbfgs', or "
                       "'auto' (exact when possible).", kind=str)
    print_level: int = opt(0, "Ipopt's print_level (0: silent).", kind=int)
    ipopt_options: dict = opt({}, "Further Ipopt options by name (e.g. {'mu_strategy': 'adaptive'}).",
                              kind=dict)

    def validate(self):
        if self.hessian not in ("auto", "exact", "lbfgs"):
            raise ValueError(f"option 'hessian' must be 'auto', 'exact' or 'lbfgs', got {self.hessian!r}")
        if not self.tol > 0:
            raise ValueError(f"option 'tol' must be > 0, got {self.tol!r}")


def _structure(M):
    """Row and column indices of the stored entries (dense: all)."""
    if sp.issparse(M):
        C = sp.coo_matrix(M)
        return C.row.astype(np.int64), C.col.astype(np.int64)
    r, c = np.indices(np.shape(M))
    return r.ravel(), c.ravel()


class _Callbacks:
    """The object cyipopt calls: numopt's counted oracles, constraints stacked ``[c_E; c_I]``."""

    def __init__(self, problem, x0, exact: bool):
        self.pb, self.exact = problem, exact
        self.m_eq, self.m_ineq = int(problem.m_eq), int(problem.m_ineq)
        self.nit = 0
        J = self._jac_matrix(x0)
        self.J_sparse = sp.issparse(J)
        self.jrow, self.jcol = _structure(J)
        if exact:
            H = self._hess(x0, np.ones(self.m_eq))
            self.H_sparse = sp.issparse(H)
            Hl = sp.tril(sp.coo_matrix(H) + sp.coo_matrix((np.ones(self.pb.n), (np.arange(self.pb.n),) * 2)))
            self.hrow, self.hcol = Hl.row.astype(np.int64), Hl.col.astype(np.int64)

    def _jac_matrix(self, x):
        blocks = []
        if self.m_eq:
            blocks.append(self.pb.jac_eq(x))
        if self.m_ineq:
            blocks.append(self.pb.jac_ineq(x))
        if not blocks:
            return np.zeros((0, self.pb.n))
        if any(sp.issparse(b) for b in blocks):
            return sp.vstack([sp.csr_matrix(b) for b in blocks], format="coo")
        return np.vstack([np.asarray(b, dtype=float) for b in blocks])

    def _hess(self, x, y):
        hl = getattr(self.pb, "hess_lag", None)
        if callable(hl):
            self.pb._count("nhev")           # one Hessian matrix, counted as one evaluation
            return hl(x, y)
        n = self.pb.n
        H = np.empty((n, n))
        e = np.zeros(n)
        for j in range(n):
            e[j] = 1.0
            H[:, j] = self.pb.hessp_lag(x, y, e)
            e[j] = 0.0
        return 0.5 * (H + H.T)

    # cyipopt's protocol
    def objective(self, x):
        return self.pb.fun(x)

    def gradient(self, x):
        return self.pb.grad(x)

    def constraints(self, x):
        parts = ([self.pb.cons_eq(x)] if self.m_eq else []) + ([self.pb.cons_ineq(x)] if self.m_ineq else [])
        return np.concatenate(parts) if parts else np.zeros(0)

    def jacobianstructure(self):
        return self.jrow, self.jcol

    def jacobian(self, x):
        J = self._jac_matrix(x)
        if self.J_sparse:
            # values on the fixed structure (entries absent now are zeros)
            J = sp.csr_matrix(J)
            return np.asarray(J[self.jrow, self.jcol]).ravel()
        return np.asarray(J, dtype=float)[self.jrow, self.jcol]

    def hessianstructure(self):
        return self.hrow, self.hcol

    def hessian(self, x, lagrange, obj_factor):
        # sigma H_f + sum_i lam_i H_ci  =  H_lag(x, lam) + (sigma - 1) H_f,  H_f = H_lag(x, 0)
        lam = np.asarray(lagrange[:self.m_eq], dtype=float)
        H = self._hess(x, lam)
        if obj_factor != 1.0:
            H = H + (obj_factor - 1.0) * self._hess(x, np.zeros(self.m_eq))
        if sp.issparse(H):
            H = sp.csr_matrix(H)
            return np.asarray(H[self.hrow, self.hcol]).ravel()
        return np.asarray(H, dtype=float)[self.hrow, self.hcol]

    def intermediate(self, alg_mod, iter_count, *args):
        self.nit = int(iter_count)
        return True


class IPOPT(Solver):
    """Ipopt (interior point, Wächter & Biegler 2006) through cyipopt, as a benchmark baseline."""

    Options = IPOPTOptions
    supports = ("eq_constraints", "ineq_constraints", "bounds")
    requires = ("grad", "cons", "jac")

    def solve(self, problem, x0, options, callback=None, method: str = "ipopt") -> OptimizeResult:
        try:
            import cyipopt
        except ImportError as exc:  # pragma: no cover - the bench extra installs it
            raise ImportError("the IPOPT baseline needs cyipopt: pip install 'numopt[bench]' "
                              "(package cyipopt-wheels)") from exc
        if isinstance(options, dict):
            options = make_options(IPOPTOptions, options, method="ipopt")
        import time
        x0 = np.asarray(x0, dtype=float)
        m_eq, m_ineq = int(getattr(problem, "m_eq", 0)), int(getattr(problem, "m_ineq", 0))
        exact = options.hessian == "exact" or (options.hessian == "auto" and m_ineq == 0)
        if exact and m_ineq:
            raise ValueError("option hessian='exact' of the IPOPT baseline needs a problem without "
                             "inequality constraints (numopt provides no Hessians of c_I)")
        counts0 = dict(problem.counts)
        cb = _Callbacks(problem, x0, exact)
        n = problem.n
        bounds = getattr(problem, "bounds", None)
        lb, ub = (np.full(n, -np.inf), np.full(n, np.inf)) if bounds is None else \
            (np.asarray(bounds[0], dtype=float), np.asarray(bounds[1], dtype=float))
        cl = np.concatenate([np.zeros(m_eq), np.zeros(m_ineq)])
        cu = np.concatenate([np.zeros(m_eq), np.full(m_ineq, np.inf)])
        nlp = cyipopt.Problem(n=n, m=m_eq + m_ineq, problem_obj=cb, lb=np.nan_to_num(lb, neginf=-1e20),
                              ub=np.nan_to_num(ub, posinf=1e20), cl=cl, cu=np.nan_to_num(cu, posinf=1e20))
        nlp.add_option("max_iter", int(options.maxiter))
        nlp.add_option("tol", float(options.tol))
        nlp.add_option("print_level", int(options.print_level))
        nlp.add_option("sb", "yes")
        if np.isfinite(options.maxtime):
            nlp.add_option("max_wall_time", float(options.maxtime))
        if not exact:
            nlp.add_option("hessian_approximation", "limited-memory")
        for k, v in options.ipopt_options.items():
            nlp.add_option(str(k), v)
        t0 = time.perf_counter()
        x, info = nlp.solve(x0)
        status = _STATUS.get(int(info["status"]), Status.NUMERICAL_ERROR)
        x = np.asarray(x, dtype=float)
        if not np.all(np.isfinite(x)):
            x, status = x0, Status.NUMERICAL_ERROR
        used = {k: problem.counts.get(k, 0) - counts0.get(k, 0) for k in set(problem.counts) | {"nfev", "njev"}}
        res = OptimizeResult.build(x=x, fun=float(problem._fun(x)), status=status, method=method,
                                   nit=cb.nit, detail=str(info.get("status_msg", b""), "utf-8", "replace")
                                   if isinstance(info.get("status_msg"), bytes) else str(info.get("status_msg")),
                                   multipliers=np.asarray(info["mult_g"], dtype=float), **used,
                                   **problem.certificates(x))
        res["ipopt_status"] = int(info["status"])
        res["execution_time"] = time.perf_counter() - t0
        return res
