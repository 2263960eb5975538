"""LipSDP (method ``lipsdp``): certified Lipschitz bounds against independent references.

References: closed forms (spectral norms, orthogonal MaxMin networks), brute force over activation
patterns on tiny networks, sampled Jacobian norms (lower bounds), the product of norms (upper
bound), and cvxpy (CVXOPT when installed, else SCS) on the same LMI.
"""
import warnings

import numpy as np
import pytest

import numopt
from numopt import lipschitz as lip
from numopt.problems import Network
from numopt.result import Status
from numopt.solvers.lipsdp._bounds import exact_one_hidden_relu


def _ref_solver():
    import cvxpy as cp
    if "CVXOPT" in cp.installed_solvers():
        return {"cvxpy_solver": "CVXOPT"}
    return {"cvxpy_solver": "SCS", "cvxpy_options": {"eps": 1e-9, "max_iters": 200000}}


def _cvx(net, **kw):
    return lip.lipsdp(net, solver="cvxpy", options=_ref_solver(), **kw)


def _random(sizes, seed, act="relu"):
    rng = np.random.default_rng(seed)
    W = [rng.standard_normal((sizes[i + 1], sizes[i])) / np.sqrt(sizes[i]) for i in range(len(sizes) - 1)]
    return Network(W, act)


def _orth(rng, n):
    return np.linalg.qr(rng.standard_normal((n, n)))[0]


# -- the network description ----------------------------------------------------------------------
def test_shape_errors_name_the_layer_index():
    with pytest.raises(ValueError, match=r"weights\[1\].*layer 0 outputs 4"):
        Network([np.ones((4, 3)), np.ones((2, 5)), np.ones((1, 2))])
    with pytest.raises(ValueError, match=r"weights\[2\].*layer 1 outputs 2"):
        Network([np.ones((4, 3)), np.ones((2, 4)), np.ones((1, 3))])
    with pytest.raises(ValueError, match=r"U of residual block 0"):
        Network([(np.ones((4, 3)), np.ones((4, 4))), np.ones((1, 3))])
    with pytest.raises(ValueError, match=r"layer 0: maxmin acts on groups of 2"):
        Network([np.ones((3, 3)), np.ones((1, 3))], "maxmin")
    with pytest.raises(ValueError, match=r"one entry per hidden layer"):
        Network([np.ones((3, 3)), np.ones((1, 3))], ["relu", "tanh"])
    with pytest.raises(ValueError, match=r"activations\[0\]: unknown activation 'swish'"):
        Network([np.ones((3, 3)), np.ones((1, 3))], "swish")
    with pytest.raises(ValueError, match="finite"):
        Network([np.full((3, 3), np.nan), np.ones((1, 3))])


def test_forward_and_jacobian_agree_with_finite_differences():
    rng = np.random.default_rng(0)
    acts = ["tanh", ("groupsort", 3), ("householder", [1.0, 2.0, -1.0])]
    net = Network([rng.standard_normal((6, 4)), (rng.standard_normal((6, 6)), rng.standard_normal((6, 6))),
                   rng.standard_normal((6, 6)), rng.standard_normal((2, 6))], acts,
                  biases=[rng.standard_normal(6), None, rng.standard_normal(6), np.zeros(2)])
    x = rng.standard_normal(4)
    J = net.jacobian(x)
    h = 1e-6
    Jfd = np.column_stack([(net.forward(x + h * e) - net.forward(x - h * e)) / (2 * h) for e in np.eye(4)])
    np.testing.assert_allclose(J, Jfd, atol=1e-5)
    X = rng.standard_normal((3, 4))
    np.testing.assert_allclose(net.forward(X), np.stack([net.forward(r) for r in X]))


def test_maxmin_is_householder_with_the_default_theta():
    rng = np.random.default_rng(1)
    W = [rng.standard_normal((6, 3)), rng.standard_normal((2, 6))]
    a, b = Network(W, "maxmin"), Network(W, "householder")
    X = rng.standard_normal((5, 3))
    np.testing.assert_allclose(a.forward(X), b.forward(X), atol=1e-12)
    assert abs(lip.lipsdp(a).bound - lip.lipsdp(b).bound) <= 1e-6 * lip.lipsdp(a).bound


# -- closed forms ---------------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["numopt", "cvxpy"])
def test_one_layer_bound_is_the_spectral_norm(solver):
    W = np.random.default_rng(2).standard_normal((3, 7))
    res = lip.lipsdp(Network([W]), solver=solver, options=_ref_solver() if solver == "cvxpy" else None)
    assert res.certified
    assert abs(res.bound - np.linalg.norm(W, 2)) <= 1e-6 * np.linalg.norm(W, 2)
    r_inf = lip.lipsdp(Network([W[:1]]), norm=np.inf, solver=solver,
                       options=_ref_solver() if solver == "cvxpy" else None)
    assert abs(r_inf.bound - np.abs(W[0]).sum()) <= 1e-6 * np.abs(W[0]).sum()


@pytest.mark.parametrize("encoding", ["coupled", "nsr"])
def test_maxmin_with_orthogonal_weights_is_one_lipschitz(encoding):
    rng = np.random.default_rng(3)
    net = Network([_orth(rng, 8), _orth(rng, 8), _orth(rng, 8)], "maxmin")
    for solver in ("numopt", "cvxpy"):
        res = lip.lipsdp(net, encoding=encoding, solver=solver,
                         options=_ref_solver() if solver == "cvxpy" else None)
        assert res.certified and abs(res.sdp_bound - 1.0) <= 1e-6, (solver, res.sdp_bound)


def test_two_relu_encoding_reproduces_the_papers_baseline_of_rho_two():
    rng = np.random.default_rng(4)
    net = Network([_orth(rng, 8), _orth(rng, 8)], "maxmin")
    res = lip.lipsdp(net, encoding="two-relu")
    assert abs(res.rho - 2.0) <= 1e-6 and abs(res.sdp_bound - np.sqrt(2.0)) <= 1e-6
    assert res.bound == pytest.approx(1.0)  # the naive product (1) is smaller and is what is reported
    assert res.bound_source == "naive" and res.success


def test_linear_activation_free_network_and_tiny_exact_constants():
    rng = np.random.default_rng(5)
    for _ in range(3):
        W0, W1 = rng.standard_normal((3, 4)), rng.standard_normal((2, 3))
        exact = exact_one_hidden_relu(W0, W1)
        net = Network([W0, W1])
        res = lip.lipsdp(net)
        assert exact <= res.bound * (1 + 1e-9)
        assert lip.sampled_lower_bound(net, 300, rng=0) <= exact * (1 + 1e-12)
        assert res.bound <= np.linalg.norm(W0, 2) * np.linalg.norm(W1, 2) * (1 + 1e-9)


# -- orderings on random networks -----------------------------------------------------------------
@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid", ("leaky_relu", 0.1), "elu", "maxmin",
                                 ("groupsort", 4), ("householder", [0.6, 0.8])])
def test_sampled_lower_le_certified_le_naive(act):
    net = _random((5, 8, 8, 2), 6, act)
    res = lip.lipsdp(net)
    assert res.success and res.certified
    lower = lip.sampled_lower_bound(net, 300, rng=1)
    assert lower <= res.bound * (1 + 1e-9) <= res.naive_bound * (1 + 1e-9)
    assert res.naive_bound == pytest.approx(lip.naive_bound(net))


def test_residual_blocks_ordering_and_agreement_with_cvxpy():
    rng = np.random.default_rng(7)
    net = Network([(0.5 * rng.standard_normal((5, 4)), 0.5 * rng.standard_normal((4, 5))),
                   (0.5 * rng.standard_normal((6, 4)), 0.5 * rng.standard_normal((4, 6))),
                   rng.standard_normal((2, 4))], ["relu", "tanh"])
    res, ref = lip.lipsdp(net), _cvx(net)
    assert lip.sampled_lower_bound(net, 300, rng=2) <= res.bound <= res.naive_bound
    assert abs(res.bound - ref.bound) <= 1e-5 * ref.bound


def test_variants_are_ordered_network_le_neuron_le_layer():
    net = _random((4, 6, 6, 1), 8, "tanh")
    layer, neuron = lip.lipsdp(net, variant="layer"), lip.lipsdp(net, variant="neuron")
    with pytest.warns(RuntimeWarning, match="not valid"):
        network = lip.lipsdp(net, variant="network", unsafe_coupling=True)
    assert network.sdp_bound <= neuron.sdp_bound * (1 + 1e-6) <= layer.sdp_bound * (1 + 1e-6)
    assert neuron.sdp_bound < layer.sdp_bound  # strictly better here
    with pytest.raises(ValueError, match="unsafe_coupling=True"):
        lip.lipsdp(net, variant="network")


def test_coupled_maxmin_never_looser_than_nsr():
    net = _random((6, 8, 8, 2), 9, "maxmin")
    coupled, nsr = lip.lipsdp(net, encoding="coupled"), lip.lipsdp(net, encoding="nsr")
    lower = lip.sampled_lower_bound(net, 300, rng=3)
    assert lower <= coupled.sdp_bound <= nsr.sdp_bound * (1 + 1e-7) <= nsr.naive_bound * (1 + 1e-7)


# -- the solvers agree ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_numopt_agrees_with_cvxpy_on_10_32_32_1(seed):
    net = _random((10, 32, 32, 1), seed)
    res, ref = lip.lipsdp(net), _cvx(net)
    assert res.success and ref.success
    assert abs(res.bound - ref.bound) <= 1e-3 * ref.bound
    assert abs(res.bound - ref.bound) <= 1e-6 * ref.bound  # in fact much closer
    assert res.duality_gap <= 1e-6 * res.rho


def test_linf_ordering_and_agreement_with_cvxpy():
    net = _random((4, 6, 6, 1), 10, "relu")
    res, ref = lip.lipsdp(net, norm=np.inf), _cvx(net, norm=np.inf)
    lower = lip.sampled_lower_bound(net, 300, rng=4, norm=np.inf)
    assert lower <= res.bound <= res.naive_bound == pytest.approx(lip.naive_bound(net, np.inf))
    assert abs(res.bound - ref.bound) <= 1e-5 * ref.bound
    c = np.array([1.0, -1.0])
    net2 = _random((4, 6, 2), 11, "tanh")
    r2 = lip.lipsdp(net2, norm=np.inf, c=c)
    assert lip.sampled_lower_bound(net2, 300, rng=5, norm=np.inf, c=c) <= r2.bound <= r2.naive_bound
    with pytest.raises(ValueError, match="give c"):
        lip.lipsdp(net2, norm=np.inf)


# -- certification ---------------------------------------------------------------------------------
def test_perturbed_multipliers_still_certify_a_valid_bound():
    net = _random((5, 8, 8, 1), 12)
    ref = _cvx(net)
    form = lip.formulation(net)
    y = np.concatenate([[ref.rho], ref.multipliers["lambda"]])
    rng = np.random.default_rng(0)
    for scale in (1e-3, 1e-1, 0.5):
        yp = y * np.exp(scale * rng.standard_normal(y.size))
        out = lip.certify(form, yp)
        if out["certified"]:
            assert out["bound"] >= ref.bound * (1 - 1e-7)
            assert out["min_eig"] >= -1e-9 * np.abs(form.matrix(out["y"])).max()
    bad = y.copy()
    bad[1:] = 1e-9  # multipliers that make the hidden block indefinite
    out = lip.certify(form, bad, interior=bad)  # no interior point to repair towards
    assert not out["certified"] and out["bound"] == np.inf
    out = lip.certify(form, bad)  # repaired towards an interior point: valid, but loose
    assert out["certified"] and out["scale"] < 0 and out["bound"] >= ref.bound * (1 - 1e-7)


def test_an_inaccurate_first_order_answer_is_never_reported_as_a_bound():
    net = _random((6, 16, 16, 1), 13)
    exact = lip.lipsdp(net).sdp_bound
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = lip.lipsdp(net, solver="cvxpy", options={"cvxpy_solver": "SCS",
                                                       "cvxpy_options": {"max_iters": 30, "eps": 1e-2}})
    assert res.bound >= exact * (1 - 1e-7)  # whatever SCS claimed (res.solver_value)
    if not res.certified:
        assert res.status != Status.CONVERGED and res.bound == res.naive_bound


def test_maxiter_ends_with_a_valid_but_looser_bound():
    net = _random((5, 8, 8, 1), 14)
    best = lip.lipsdp(net).sdp_bound
    for k in (0, 2, 5):
        res = numopt.minimize(net, method="lipsdp", options={"maxiter": k})
        assert res.status == Status.MAXITER and not res.success
        assert best * (1 - 1e-9) <= res.bound <= res.naive_bound


def test_warm_start_and_facade():
    net = _random((5, 8, 8, 1), 15)
    res = numopt.minimize(net, method="lipsdp")
    again = lip.lipsdp(net, x0=res.x)
    assert again.bound == pytest.approx(res.bound, rel=1e-6)
    assert res.method == "lipsdp" and res.x.shape == (net.n,)
    with pytest.raises(ValueError, match="unknown option"):
        numopt.minimize(net, method="lipsdp", options={"rho": 1})
    with pytest.raises(ValueError, match="option 'norm'"):
        lip.lipsdp(net, norm=1)
    with pytest.raises(ValueError, match="option 'chordal' applies to solver='cvxpy'"):
        lip.lipsdp(net, options={"chordal": True})
    with pytest.raises(ValueError, match="cannot solve"):
        numopt.minimize(numopt.problems.Lasso(np.eye(2), np.ones(2), 0.1), method="lipsdp")


def test_network_fun_recertifies_the_multipliers_and_the_bench_source_builds():
    from numopt.bench.sources import get_source
    bp = get_source("lipschitz").build("relu", widths="5-8-8-1", seed=0)
    net = bp.problem
    res = numopt.minimize(net, method="lipsdp")
    assert net.fun(res.x) == pytest.approx(res.bound, rel=1e-8)
    assert net.fun(np.zeros(net.n)) == np.inf  # zero multipliers certify nothing
    with pytest.raises(ValueError, match="unknown lipschitz problem"):
        get_source("lipschitz").select(["swish"])


def test_deep_nsr_chain_is_certified_when_s22_is_nearly_singular_at_the_optimum():
    # at the optimum of a deep NSR chain S_22 passes its own Cholesky test but not the whole LMI's
    # (larger) shift; certification must repair (towards an interior point) instead of giving up
    from numopt.solvers.lipsdp.bench import random_network
    net = random_network([16] + [32] * 8 + [2], "maxmin", 0)  # the benchmark's deep chain (LMI 272)
    res = lip.lipsdp(net, encoding="nsr")
    assert res.success and res.certified and res.bound_source == "sdp"
    assert abs(res.sdp_bound - res.solver_value) <= 1e-5 * res.solver_value
    assert res.min_eig >= -1e-9 * abs(res.rho)
