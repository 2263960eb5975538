"""LipSDP against independent statements of the same SDPs.

tests/test_lipsdp.py checks the solvers against cvxpy on numopt's own LMI (``lip.formulation``);
here every reference LMI is written directly in cvxpy from the papers' matrices -- the full input
block (no SVD reduction), ``T = diag(lambda)`` -- so an error in ``_formulation.build`` (a sign, a
missing term, the reduction, the residual or l-inf bookkeeping) cannot cancel out:

* LipSDP-Neuron, Fazlyab et al. 2019, Theorem 2: ``[A; B]^T [[-2ab T, (a+b) T], [(a+b) T, -2T]] [A; B]
  + blkdiag(-rho I, 0, W_l^T W_l) <= 0``, ``L = sqrt(rho)``;
* the l-inf LMI of research note 2.2 (homogenised S-procedure), ``L = rho``;
* the LipSDP-NSR chain of ``ppauli/QCs_MaxMin:LipschitzEstimation.m``: ``rho I >= W0^T T1 W0``,
  ``T_k >= W_k^T T_{k+1} W_k``, ``T_l >= W_l^T W_l`` with ``T = blkdiag(lam_g I + mu_g 11^T)``;
* a residual ReLU block written as one S-procedure in ``(dx, dz)``.

CVXOPT solves these small SDPs to about 1e-8; the comparisons use 1e-5 relative.
"""
import numpy as np
import pytest

from numopt import lipschitz as lip
from numopt.problems import Network

cp = pytest.importorskip("cvxpy")
SOLVER = "CVXOPT" if "CVXOPT" in cp.installed_solvers() else "SCS"
KW = {} if SOLVER == "CVXOPT" else {"eps": 1e-9, "max_iters": 200000}


def _solve(prob):
    prob.solve(solver=SOLVER, **KW)
    assert prob.status == "optimal", prob.status
    return prob.value


def _random(sizes, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal((sizes[i + 1], sizes[i])) / np.sqrt(sizes[i]) for i in range(len(sizes) - 1)]


def _lipsdp_neuron_direct(W, alpha, beta, norm=2, c=None):
    """Theorem 2 (norm=2) or the l-inf LMI, with A = [blkdiag(W0..W_{l-1}), 0], B = [0, I]."""
    n = [w.shape[1] for w in W]                 # n0, n1, ..., nl
    n0, N = n[0], sum(n[1:])
    A = np.zeros((N, n0 + N))
    r = c0 = 0
    for k in range(len(W) - 1):
        A[r:r + W[k].shape[0], c0:c0 + W[k].shape[1]] = W[k]
        r += W[k].shape[0]
        c0 += W[k].shape[1]
    B = np.hstack([np.zeros((N, n0)), np.eye(N)])
    lam = cp.Variable(N, nonneg=True)
    rho = cp.Variable()
    AtLB = A.T @ cp.multiply(lam[:, None], B)
    Q = -2 * alpha * beta * (A.T @ cp.multiply(lam[:, None], A)) + (alpha + beta) * (AtLB + AtLB.T) \
        - 2 * (B.T @ cp.multiply(lam[:, None], B))
    Wl = W[-1]
    last = n[-1]
    if norm == 2:
        E0 = np.zeros((n0 + N, n0 + N))
        E0[:n0, :n0] = np.eye(n0)
        C = np.zeros((n0 + N, n0 + N))
        C[-last:, -last:] = Wl.T @ Wl
        M = Q - rho * E0 + C
        return np.sqrt(_solve(cp.Problem(cp.Minimize(rho), [0.5 * (M + M.T) << 0])))
    tau = cp.Variable(n0, nonneg=True)
    g = np.zeros(n0 + N)
    g[-last:] = Wl.T @ c
    D = cp.bmat([[cp.diag(tau), np.zeros((n0, N))], [np.zeros((N, n0)), np.zeros((N, N))]])
    big = cp.bmat([[cp.reshape(2 * rho - cp.sum(tau), (1, 1), order="F"), -g[None, :]], [-g[:, None], D - Q]])
    return _solve(cp.Problem(cp.Minimize(rho), [0.5 * (big + big.T) >> 0]))


@pytest.mark.parametrize("act,alpha,beta", [("relu", 0.0, 1.0), ("sigmoid", 0.0, 0.25),
                                            (("leaky_relu", 0.2), 0.2, 1.0)])
def test_lipsdp_neuron_matches_theorem_2_stated_directly(act, alpha, beta):
    W = _random((6, 7, 5, 3), 20)
    ref = _lipsdp_neuron_direct(W, alpha, beta)
    res = lip.lipsdp(Network(W, act))
    assert res.certified
    assert abs(res.sdp_bound - ref) <= 1e-5 * ref, (res.sdp_bound, ref)


def test_svd_reduction_is_exact_on_a_wide_input():
    W = _random((40, 6, 6, 1), 21)               # n0 = 40 > n1 = 6: the input block is reduced to 6
    ref = _lipsdp_neuron_direct(W, 0.0, 1.0)
    res = lip.lipsdp(Network(W, "relu"))
    assert res.lmi_size == 6 + 12
    assert abs(res.sdp_bound - ref) <= 1e-5 * ref


def test_linf_matches_the_homogenised_lmi_stated_directly():
    W = _random((4, 6, 5, 2), 22)
    c = np.array([1.0, -1.0])
    ref = _lipsdp_neuron_direct(W, 0.0, 1.0, norm=np.inf, c=c)
    res = lip.lipsdp(Network(W, "tanh"), norm=np.inf, c=c)
    assert res.certified
    assert abs(res.sdp_bound - ref) <= 1e-5 * ref, (res.sdp_bound, ref)


@pytest.mark.parametrize("group", [2, 4])
def test_nsr_matches_the_chain_of_lipschitzestimation_m(group):
    W = _random((6, 8, 8, 2), 23 + group)
    Ts = []
    cons = []
    for k in range(1, len(W)):
        n = W[k].shape[1]
        lam = cp.Variable(n // group, nonneg=True)
        mu = cp.Variable(n // group)
        E = np.kron(np.eye(n // group), np.ones((group, 1)))      # unit -> group
        ones = np.kron(np.eye(n // group), np.ones((group, group)))
        T = cp.diag(E @ lam) + cp.multiply(ones, E @ cp.diag(mu) @ E.T)
        Ts.append(T)
    rho = cp.Variable()
    chain = [rho * np.eye(W[0].shape[1]) - W[0].T @ Ts[0] @ W[0]]
    chain += [Ts[k - 1] - W[k].T @ Ts[k] @ W[k] for k in range(1, len(W) - 1)]
    chain += [Ts[-1] - W[-1].T @ W[-1]]
    cons = [0.5 * (X + X.T) >> 0 for X in chain]
    ref = np.sqrt(_solve(cp.Problem(cp.Minimize(rho), cons)))
    act = "maxmin" if group == 2 else ("groupsort", group)
    res = lip.lipsdp(Network(W, act), encoding="nsr")
    assert res.certified
    assert abs(res.sdp_bound - ref) <= 1e-5 * ref, (res.sdp_bound, ref)
    if group == 2:  # the coupled rewrite is never looser (research note 2.3)
        assert lip.lipsdp(Network(W, act), encoding="coupled").sdp_bound <= ref * (1 + 1e-6)


def test_residual_relu_block_matches_a_direct_s_procedure():
    rng = np.random.default_rng(24)
    n0, h, no = 4, 6, 2
    W, U, Wo = 0.6 * rng.standard_normal((h, n0)), 0.6 * rng.standard_normal((n0, h)), rng.standard_normal((no, n0))
    # xi = (dx, dz), dz = relu increments of W dx; output Wo (dx + U dz)
    lam = cp.Variable(h, nonneg=True)
    rho = cp.Variable()
    Ax = np.hstack([W, np.zeros((h, h))])         # pre-activation
    Bz = np.hstack([np.zeros((h, n0)), np.eye(h)])
    O = Wo @ np.hstack([np.eye(n0), U])
    AtLB = Ax.T @ cp.multiply(lam[:, None], Bz)
    Q = AtLB + AtLB.T - 2 * (Bz.T @ cp.multiply(lam[:, None], Bz))   # slope [0, 1]
    E0 = np.zeros((n0 + h, n0 + h))
    E0[:n0, :n0] = np.eye(n0)
    M = Q - rho * E0 + O.T @ O
    ref = np.sqrt(_solve(cp.Problem(cp.Minimize(rho), [0.5 * (M + M.T) << 0])))
    net = Network([(W, U), Wo], "relu")
    res = lip.lipsdp(net)
    assert res.certified
    assert abs(res.sdp_bound - ref) <= 1e-5 * ref, (res.sdp_bound, ref)
    assert lip.sampled_lower_bound(net, 500, rng=0) <= res.bound <= res.naive_bound


def test_chordal_cliques_of_a_four_cycle_and_of_a_deep_network():
    from numopt.solvers.lipsdp._cvxpy import chordal_cliques, cone_structure
    cyc = np.zeros((4, 4), dtype=bool)
    for i in range(4):
        cyc[i, (i + 1) % 4] = True
    cliques, ext = chordal_cliques(cyc)
    assert sorted(map(tuple, cliques)) == [(0, 1, 3), (1, 2, 3)]
    assert ext[1, 3] and not ext[0, 2]  # one fill edge, the triangulation of the cycle
    net = Network(_random((4, 6, 6, 6, 1), 25), "relu")
    (idx, cl, _), = cone_structure(lip.formulation(net), chordal=True)
    assert idx.size == 22 and max(c.size for c in cl) == 12  # layer pairs, not the whole LMI


def test_chordal_decomposition_gives_the_same_certified_bound():
    net = Network(_random((4, 6, 6, 6, 1), 25), "relu")
    ref = _lipsdp_neuron_direct(_random((4, 6, 6, 6, 1), 25), 0.0, 1.0)
    res = lip.lipsdp(net, solver="cvxpy", options={"cvxpy_solver": "CLARABEL", "chordal": True})
    assert res.certified and res.n_cones == 6 and res.max_cone == 12
    assert ref * (1 - 1e-7) <= res.sdp_bound <= ref * (1 + 1e-5), (res.sdp_bound, ref)


def test_a_cvxpy_solver_error_ends_in_a_failure_with_the_naive_bound(monkeypatch):
    def boom(self, *a, **k):
        raise cp.error.SolverError("Solver 'CVXOPT' failed")
    monkeypatch.setattr(cp.Problem, "solve", boom)
    net = Network(_random((4, 6, 1), 26), "relu")
    res = lip.lipsdp(net, solver="cvxpy", options={"cvxpy_solver": "CVXOPT"})
    assert not res.success and res.status_name == "NUMERICAL_ERROR" and "solver_error" in res.solver_status
    assert not res.certified and res.bound == res.naive_bound
