"""
Exact augmented Lagrangian on a constrained logistic regression from real data
==============================================================================

Logistic regression on the LIBSVM ``heart_scale`` data (270 patients, 13 features) with
constraints that make the problem a genuine nonlinear program: ten random linear equalities
``A x = b`` and the sphere ``||x||^2 = 1`` (the experiment of Hong, Na, Mahoney and Kolar,
ICML 2023). The feasible set is a curved manifold, so neither a projected method nor an
unconstrained solver applies.

``eal`` takes Newton steps on the exact augmented Lagrangian, solving each Newton (KKT) system
by randomized Kaczmarz sketches instead of a factorization, and globalizes by a line search on
the augmented Lagrangian merit. This example compares it with scipy's ``trust-constr`` (the
obvious alternative a scipy user would pick): both must reach the same objective and
multipliers, ``eal``'s final KKT residual must be small, and the plot shows the KKT residual
and the constraint violation per outer iteration.
"""
# %%
# The problem
# -----------
import os
import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_svmlight_file

import numopt
from numopt.problems import ConstrainedLogisticRegression

root = os.environ.get("NUMOPT_DATA")
if not root:
    sys.exit("this example reads a LIBSVM data set: set NUMOPT_DATA to the data folder (see README)")
X, y = load_svmlight_file(os.path.join(root, "libsvm", "heart_scale"))
problem = ConstrainedLogisticRegression(X.toarray(), y, n_linear=10, seed=2023)
print(f"{problem.n} variables, {problem.m_eq} equality constraints, "
      f"min-norm point of A x = b has norm {problem.min_norm:.3f} (< 1: feasible)")

# %%
# eal against trust-constr
# ------------------------
res = numopt.minimize(problem, method="eal", tol=1e-8, options={"rng": 0, "history": True, "maxiter": 200})
with warnings.catch_warnings():
    warnings.simplefilter("ignore")               # scipy's note about quasi-Newton Hessians
    ref = numopt.minimize(ConstrainedLogisticRegression(X.toarray(), y, n_linear=10, seed=2023),
                          method="trust-constr", options={"gtol": 1e-10, "xtol": 1e-12, "maxiter": 5000})
print(f"eal:          {res.status_name} in {res.nit} iterations, f = {res.fun:.10f}, "
      f"KKT residual {res.kkt_residual:.1e}, violation {problem.constr_violation(res.x):.1e}")
print(f"trust-constr: {ref.status_name} ({ref.message[:40]}...), f = {ref.fun:.10f}, "
      f"violation {problem.constr_violation(ref.x):.1e}")
assert res.success and res.kkt_residual < 1e-6
assert problem.constr_violation(res.x) < 1e-8
assert abs(res.fun - ref.fun) <= 1e-6 * max(1.0, abs(ref.fun))
assert np.allclose(res.x, ref.x, atol=1e-4)

# %%
# KKT residual and constraint violation per outer iteration
# ---------------------------------------------------------
h = res.history
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogy(h["nit"], h["kkt_residual"], "o-", ms=3, label="KKT residual")
ax.semilogy(h["nit"], np.maximum(h["constr_violation"], 1e-17), "s--", ms=3, label="constraint violation")
ax.set_xlabel("outer iteration")
ax.set_title("eal on constrained logistic regression (heart_scale)")
ax.legend()
fig.tight_layout()
out = Path(os.environ.get("NUMOPT_EXAMPLE_OUT", tempfile.gettempdir())) / "eal_constrained_logistic.png"
fig.savefig(out, dpi=100)
print("figure:", out)
