"""
Exact augmented Lagrangian with randomized Kaczmarz on HS7
==========================================================

Exact augmented Lagrangian + randomized Kaczmarz on HS7, through scipy-style arguments::

    min  log(1 + x1^2) - x2   s.t.  (1 + x1^2)^2 + x2^2 = 4,   x0 = (2, 2);   f* = -sqrt(3)

Claims checked here: with ``fidelity="reference"`` (the paper's inner test) the method converges
in the reference code's 10 outer iterations; the default adaptive test converges too, with fewer
sketch steps. Both reach
the optimum and the same multiplier as scipy's trust-constr, and its merit-function invariants
(descent inequality, Armijo, monotone penalties) hold at every iteration.
"""
# %%
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import NonlinearConstraint, minimize as sp_minimize

import numopt

f = lambda x: np.log(1 + x[0] ** 2) - x[1]
g = lambda x: np.array([2 * x[0] / (1 + x[0] ** 2), -1.0])
c = lambda x: np.array([(1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4])
J = lambda x: np.array([[4 * x[0] * (1 + x[0] ** 2), 2 * x[1]]])

res = numopt.minimize(f, [2.0, 2.0], method="eal", jac=g, constraints=[{"type": "eq", "fun": c, "jac": J}],
                      options={"rng": 2023, "history": True, "fidelity": "reference"})
print(f"{res.message}  nit={res.nit}  f={res.fun:.8f}  lambda={res.multipliers}  "
      f"KKT={res.kkt_residual:.1e}  sketch steps={res.inner_iterations}")
assert res.success and res.nit == 10
assert abs(res.fun + np.sqrt(3.0)) < 1e-4
ada = numopt.minimize(f, [2.0, 2.0], method="eal", jac=g, constraints=[{"type": "eq", "fun": c, "jac": J}],
                      options={"rng": 2023})
print(f"adaptive: nit={ada.nit}  sketch steps={ada.inner_iterations}")
assert ada.success and abs(ada.fun + np.sqrt(3.0)) < 1e-4 and ada.inner_iterations < res.inner_iterations

ref = sp_minimize(f, [2.0, 2.0], method="trust-constr", jac=g, constraints=[NonlinearConstraint(c, 0, 0, jac=J)])
assert np.allclose(res.multipliers, ref.v[0], atol=1e-4)

h = res.history
k = slice(1, None)
assert np.all(h["slope"][k] <= h["descent_bound"][k])                                   # descent test
assert np.all(h["merit_new"][k] <= h["merit"][k] + 0.1 * h["alpha"][k] * h["slope"][k])   # Armijo
assert np.all(np.diff(h["eta1"]) >= 0) and np.all(np.diff(h["eta2"]) <= 0)               # monotone penalties
print("KKT residual per iteration:", np.array2string(h["kkt_residual"], precision=1))

# %%
# The KKT residual per outer iteration
# ------------------------------------
# Local superlinear convergence of the Newton steps shows as the bend of the curve at the end.
fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogy(h["nit"], h["kkt_residual"], "o-", label="KKT residual")
ax.semilogy(h["nit"], np.maximum(h["constr_violation"], 1e-17), "s--", label="constraint violation")
ax.set_xlabel("outer iteration")
ax.set_title("eal on HS7")
ax.legend()
fig.tight_layout()
out = Path(os.environ.get("NUMOPT_EXAMPLE_OUT", tempfile.gettempdir())) / "eal_hs7.png"
fig.savefig(out, dpi=100)
print("figure:", out)
