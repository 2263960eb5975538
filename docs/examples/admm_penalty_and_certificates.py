"""
ADMM in three claims: penalty, certificates, acceleration
=========================================================

ADMM in three claims, each asserted.

1. The penalty rho matters by orders of magnitude for a fixed-rho ADMM; the OSQP-style
   adaptive rule removes most of that sensitivity (lasso on a LIBSVM data set).
2. The lasso solution matches scikit-learn's coordinate descent.
3. An infeasible QP is not "max iterations": ADMM's iterate differences converge to a
   certificate y with A'y = 0 and u'y+ + l'y- < 0 (Farkas), returned in the result.

Run: NUMOPT_DATA=<the data folder> PYTHONPATH=. python docs/examples/admm_penalty_and_certificates.py
"""
# %%
import os
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_svmlight_file
from sklearn.linear_model import Lasso as SkLasso

import numopt
from numopt.problems import QP, Lasso

root = os.environ.get("NUMOPT_DATA")
if not root:
    sys.exit("this example reads a LIBSVM data set: set NUMOPT_DATA to the data folder (see README)")
X, y = load_svmlight_file(os.path.join(root, "libsvm", "german.numer"))
X = X.toarray()
pb = Lasso(X, y, alpha=0.01)
opts = {"eps_abs": 1e-9, "eps_rel": 1e-9, "maxiter": 20000}

print("rho     fixed-rho iterations   adaptive iterations")
fixed, adaptive = {}, {}
for rho in (1e-3, 1e-1, 1e1, 1e3):
    fixed[rho] = numopt.minimize(pb, method="admm", options={**opts, "rho": rho, "adaptive_rho": "none"}).nit
    adaptive[rho] = numopt.minimize(pb, method="admm", options={**opts, "rho": rho}).nit
    print(f"{rho:7.0e} {fixed[rho]:>12d} {adaptive[rho]:>20d}")
assert max(fixed.values()) > 10 * min(fixed.values())          # claim 1: sensitivity ...
assert max(adaptive.values()) < max(fixed.values()) / 5        # ... mostly removed

res = numopt.minimize(pb, method="admm", options=opts)
sk = SkLasso(alpha=0.01, fit_intercept=False, tol=1e-12, max_iter=100000).fit(X, y)
gap = (res.fun - pb.fun(sk.coef_)) / pb.fun(sk.coef_)
print(f"lasso: relative objective difference to scikit-learn {gap:.1e}, duality gap {res.duality_gap:.1e}")
assert abs(gap) < 1e-8                                         # claim 2

A = np.array([[1.0, 1.0], [1.0, -1.0], [2.0, 0.0]])           # x1 + x2 = 1, x1 - x2 = 1 -> x1 = 1, but 2 x1 <= 1
qp = QP(np.eye(2), np.zeros(2), A, [1.0, 1.0, -np.inf], [1.0, 1.0, 1.0])
res = numopt.minimize(qp, np.zeros(2), method="admm")
cert = res.primal_infeasibility_certificate
print(f"QP: {res.status_name} after {res.nit} iterations, certificate y = {np.round(cert, 4)}")
assert res.status_name == "INFEASIBLE"
assert np.max(np.abs(A.T @ cert)) < 1e-4                       # claim 3: A'y = 0 ...
fu, fl = np.isfinite(qp.u), np.isfinite(qp.l)
assert qp.u[fu] @ np.maximum(cert[fu], 0) + qp.l[fl] @ np.minimum(cert[fl], 0) < 0   # ... and separates

# %%
# Iterations against the initial penalty
# --------------------------------------
fig, ax = plt.subplots(figsize=(6, 4))
rhos = sorted(fixed)
ax.loglog(rhos, [fixed[r] for r in rhos], "o-", label="fixed rho")
ax.loglog(rhos, [adaptive[r] for r in rhos], "s-", label="adaptive rho (OSQP rule)")
ax.set_xlabel("initial rho")
ax.set_ylabel("iterations to 1e-9")
ax.set_title("lasso on german.numer")
ax.legend()
fig.tight_layout()
out = Path(os.environ.get("NUMOPT_EXAMPLE_OUT", tempfile.gettempdir())) / "admm_penalty_and_certificates.png"
fig.savefig(out, dpi=100)
print("figure:", out)
