"""
The lasso by proximal gradient, with and without acceleration
=============================================================

The lasso ``min_w 1/(2N) ||X w - y||^2 + alpha ||w||_1`` is smooth plus an L1 term whose
prox is soft thresholding. ISTA takes gradient steps on the smooth part and soft-thresholds;
FISTA adds Nesterov momentum, and adaptive restart removes its oscillations. This script
solves the diabetes lasso three ways, checks the answer against scikit-learn, and asserts
the ordering of iteration counts that the theory predicts (O(1/k) vs O(1/k^2) vs restart).

Run: python docs/examples/proxgrad_lasso.py
"""
# %%
# Three variants of the same method
# ---------------------------------
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso as SkLasso

import numopt
from numopt.problems import Lasso

X, y = load_diabetes(return_X_y=True)
problem = Lasso(X, y, alpha=0.05)

runs = {
    "ISTA": {"accelerated": False},
    "FISTA": {"restart": "none"},
    "FISTA + restart": {"restart": "function"},
}
results = {}
for label, opts in runs.items():
    res = numopt.minimize(problem, method="prox-grad", tol=1e-8,
                          options={**opts, "maxiter": 200000, "history": True})
    results[label] = res
    print(f"{label:<16} iterations {res.nit:>7d}   objective {res.fun:.10f}   gap {res.duality_gap:.2e}")

# %%
# The same answer as scikit-learn, in the predicted order of iteration counts
# ----------------------------------------------------------------------------
ref = SkLasso(alpha=0.05, fit_intercept=False, tol=1e-14, max_iter=100000).fit(X, y).coef_
for res in results.values():
    assert res.success
    assert abs(res.fun - problem.fun(ref)) <= 1e-8 * problem.fun(ref)
    assert set(np.flatnonzero(res.x)) == set(np.flatnonzero(ref))
assert results["FISTA + restart"].nit < results["FISTA"].nit < results["ISTA"].nit
print("support:", np.flatnonzero(ref).tolist(), "- same as scikit-learn's Lasso")

# %%
# Convergence curves: suboptimality ``f(x_k) - f*`` per iteration
# ----------------------------------------------------------------
# ISTA's ``O(1/k)`` and FISTA's ``O(1/k^2)`` are visible as slopes; FISTA's ripples are the
# momentum overshooting, which the function-value restart removes.
f_star = min(problem.fun(ref), *(r.fun for r in results.values()))
fig, ax = plt.subplots(figsize=(6, 4))
for label, res in results.items():
    f = np.asarray(res.history["fun"]) - f_star
    ax.loglog(np.arange(1, len(f) + 1), np.maximum(f, 1e-16), label=f"{label} ({res.nit} it.)")
ax.set_xlabel("iteration")
ax.set_ylabel("f(x_k) - f*")
ax.set_title("Lasso on diabetes (alpha = 0.05)")
ax.legend()
fig.tight_layout()
out = Path(os.environ.get("NUMOPT_EXAMPLE_OUT", tempfile.gettempdir())) / "proxgrad_lasso.png"
fig.savefig(out, dpi=100)
print("figure:", out)
