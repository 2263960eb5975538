"""
How Lipschitz is a small trained network? Product bound, LipSDP, sampled lower bound
====================================================================================

The claims, each asserted below:

1. For any network, ``sampled lower bound <= true constant <= LipSDP <= product of ||W_k||_2``.
   The sampled bound is attained (a Jacobian norm the network really has); LipSDP and the product
   are certificates.
2. On a trained ReLU network LipSDP-Neuron is much tighter than the product of spectral norms
   (here more than 1.5x), and one multiplier per layer (LipSDP-Layer) lies in between.
3. LipSDP's bound is a *certified* number: numopt recomputes it from the multipliers by an exact
   Schur complement and a Cholesky factorization, so the same value comes out whether the LMI was
   solved by numopt's interior-point method or by cvxpy + CVXOPT, and perturbed multipliers still
   give a valid (larger) bound.

Run: PYTHONPATH=. MPLBACKEND=Agg python docs/examples/lipsdp_bounds.py  (about 10 s)
"""
# %% A small ReLU network 2-16-16-1, trained by full-batch Adam to fit a smooth function
import os
import tempfile
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import numopt.lipschitz as lip  # noqa: E402
from numopt.problems import Network  # noqa: E402

t_start = time.perf_counter()
rng = np.random.default_rng(0)
X = rng.uniform(-2, 2, size=(400, 2))
y = np.sin(1.5 * X[:, 0]) * np.cos(X[:, 1])              # target with Lipschitz constant ~ 1.5
sizes = [2, 16, 16, 1]
W = [rng.standard_normal((sizes[i + 1], sizes[i])) * np.sqrt(2 / sizes[i]) for i in range(3)]
b = [np.zeros(sizes[i + 1]) for i in range(3)]


def forward(W, b, X):
    acts = [X]
    for k in range(2):
        acts.append(np.maximum(acts[-1] @ W[k].T + b[k], 0.0))
    return acts, acts[-1] @ W[2].T + b[2]


params = W + b
m = [np.zeros_like(p) for p in params]
v = [np.zeros_like(p) for p in params]
for it in range(1, 1501):                                  # Adam on the mean squared error
    acts, out = forward(W, b, X)
    delta = 2 * (out[:, 0] - y)[:, None] / len(y)
    gW, gb = [None] * 3, [None] * 3
    for k in (2, 1, 0):
        gW[k], gb[k] = delta.T @ acts[k], delta.sum(axis=0)
        if k:
            delta = (delta @ W[k]) * (acts[k] > 0)
    for i, g in enumerate(gW + gb):
        m[i] = 0.9 * m[i] + 0.1 * g
        v[i] = 0.999 * v[i] + 0.001 * g * g
        params[i] -= 0.01 * (m[i] / (1 - 0.9 ** it)) / (np.sqrt(v[i] / (1 - 0.999 ** it)) + 1e-8)
mse = float(np.mean((forward(W, b, X)[1][:, 0] - y) ** 2))
print(f"training MSE {mse:.4f} (variance of the target {np.var(y):.4f})")
assert mse < 0.1 * np.var(y)                               # the network did learn the function

net = Network(W, "relu", biases=b)                          # biases do not change the bound
np.testing.assert_allclose(net.forward(X[:5])[:, 0], forward(W, b, X[:5])[1][:, 0])

# %% Three numbers: the product of norms, LipSDP (neuron and layer multipliers), a sampled lower bound
naive = lip.naive_bound(net)
res = lip.lipsdp(net)                                       # LipSDP-Neuron, numopt's own solver
layer = lip.lipsdp(net, variant="layer")
lower = lip.sampled_lower_bound(net, 4000, rng=1, scale=1.5)
print(f"naive product   {naive:8.4f}")
print(f"LipSDP-Layer    {layer.bound:8.4f}")
print(f"LipSDP-Neuron   {res.bound:8.4f}   (solver's claim {res.solver_value:.8f}, certified {res.certified}, "
      f"{res.nit} iterations, {res.solve_time:.2f} s)")
print(f"sampled lower   {lower:8.4f}   (max ||J(x)||_2 over 4000 inputs)")
assert res.success and res.certified and res.bound_source == "sdp"
assert lower <= res.bound <= layer.bound * (1 + 1e-9) <= naive * (1 + 1e-9)     # claim 1 (and the variants)
assert naive / res.bound > 1.5                                                  # claim 2

# the bound holds for actual pairs of points, not only for Jacobians
P, Q = rng.uniform(-3, 3, (20000, 2)), rng.uniform(-3, 3, (20000, 2))
ratios = np.abs(net.forward(P) - net.forward(Q))[:, 0] / np.linalg.norm(P - Q, axis=1)
print(f"max |f(x) - f(y)| / ||x - y|| over 20000 random pairs: {ratios.max():.4f}")
assert ratios.max() <= res.bound

# %% The certified value does not depend on who solved the SDP (cvxpy + CVXOPT on the same LMI)
ref = lip.lipsdp(net, solver="cvxpy", options={"cvxpy_solver": "CVXOPT"})
print(f"cvxpy+CVXOPT: claimed {ref.solver_value:.8f}, certified {ref.bound:.8f}")
assert abs(ref.bound - res.bound) <= 1e-6 * res.bound                           # claim 3
form = lip.formulation(net)
y_opt = np.concatenate([[res.rho], res.multipliers["lambda"]])
perturbed = lip.certify(form, y_opt * np.exp(0.2 * rng.standard_normal(y_opt.size)))
print(f"multipliers perturbed by 20 %: certified bound {perturbed['bound']:.4f} (still >= {res.bound:.4f})")
assert perturbed["certified"] and perturbed["bound"] >= res.bound * (1 - 1e-9)

# %% A plot: the sampled lower bound creeps up with the number of samples but stays below LipSDP
norms = np.array([np.linalg.norm(net.jacobian(x), 2) for x in 1.5 * np.random.default_rng(1).standard_normal((4000, 2))])
running = np.maximum.accumulate(norms)
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogx(np.arange(1, norms.size + 1), running, label="sampled lower bound (running max of ||J(x)||)")
for val, lab, st in ((res.bound, "LipSDP-Neuron (certified)", "-"), (layer.bound, "LipSDP-Layer", "--"),
                     (naive, "product of ||W_k||", ":")):
    ax.axhline(val, color="k", linestyle=st, label=f"{lab}: {val:.3f}")
ax.set_xlabel("number of sampled inputs")
ax.set_ylabel("Lipschitz bound (2-norm)")
ax.legend(fontsize=7, loc="lower right")
fig.tight_layout()
path = os.path.join(os.environ.get("NUMOPT_EXAMPLE_OUT", tempfile.gettempdir()), "lipsdp_bounds.png")
fig.savefig(path, dpi=100)
print(f"plot: {path}")
assert running[-1] == lower and np.all(running <= res.bound)

elapsed = time.perf_counter() - t_start
print(f"total {elapsed:.1f} s")
