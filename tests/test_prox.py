"""Proximal operators: Moreau identity, optimality of the prox, and closed forms."""
import numpy as np
import pytest

from numopt.problems import prox as P

OPERATORS = {
    "zero": P.Zero(),
    "l1": P.L1(0.7),
    "l1-weighted": P.L1(0.5, weights=np.linspace(0.0, 2.0, 6)),
    "l2": P.L2(0.9),
    "squared-l2": P.SquaredL2(1.3),
    "elastic-net": P.ElasticNet(0.8, 0.3),
    "elastic-net-pure-l1": P.ElasticNet(0.8, 1.0),
    "box": P.Box(-0.5 * np.ones(6), np.array([0.2, 1.0, np.inf, 0.0, 3.0, 0.5])),
    "nonnegative": P.NonNegative(),
    "simplex": P.Simplex(2.0),
    "group-l1": P.GroupL1(0.6, [[0, 1, 2], [3, 4]]),
    "product-box-l1": P.Product([P.Box(-0.5, np.array([0.2, 1.0, np.inf])), P.L1(0.3)], [3, 3]),
    "product-simplices": P.Product([P.Simplex(1.0), P.Simplex(2.0)], [2, 4]),
}
INDEPENDENT_CONJUGATE = [k for k, op in OPERATORS.items()
                         if type(op).prox_conjugate is not P.Prox.prox_conjugate]


@pytest.mark.parametrize("name", INDEPENDENT_CONJUGATE)
@pytest.mark.parametrize("t", [0.3, 1.0, 4.0])
def test_moreau_identity(name, t):
    op, rng = OPERATORS[name], np.random.default_rng(1)
    for _ in range(5):
        v = 2.0 * rng.standard_normal(6)
        # prox_{t g}(v) + t prox_{g*/t}(v/t) = v
        np.testing.assert_allclose(op(v, t) + t * op.prox_conjugate(v / t, 1.0 / t), v, atol=1e-12)


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_prox_is_the_minimizer(name):
    """p = prox_{tg}(v) iff g(u) >= g(p) + (v - p)/t . (u - p) for all u (convex g)."""
    op, rng, t = OPERATORS[name], np.random.default_rng(2), 0.7
    for _ in range(5):
        v = 2.0 * rng.standard_normal(6)
        p = op(v, t)
        assert np.isfinite(op.value(p))
        for _ in range(50):
            u = p + rng.standard_normal(6) * rng.choice([1e-3, 0.1, 1.0])
            if op.is_indicator:
                u = op(u, 1.0)          # test points inside the set
            lhs = op.value(u)
            assert lhs >= op.value(p) + (v - p) @ (u - p) / t - 1e-9


def test_closed_forms():
    v = np.array([-2.0, -0.1, 0.0, 0.3, 1.5])
    np.testing.assert_allclose(P.L1(0.5)(v, 2.0), [-1.0, 0.0, 0.0, 0.0, 0.5])
    np.testing.assert_allclose(P.SquaredL2(1.0)(v, 1.0), v / 2.0)
    np.testing.assert_allclose(P.Simplex(1.0)(np.array([0.5, 0.5, 0.5])), [1 / 3] * 3)
    np.testing.assert_allclose(P.L2(1.0)(np.array([3.0, 4.0])), [2.4, 3.2])
    assert P.Box(0, 1).value(np.array([0.5, 2.0])) == np.inf


def test_bad_parameters():
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        P.L1(-1.0)
    with pytest.raises(ValueError, match="l1_ratio must be in"):
        P.ElasticNet(1.0, 1.5)
    with pytest.raises(ValueError, match="inconsistent"):
        P.Box(1.0, 0.0)
    with pytest.raises(ValueError, match="disjoint"):
        P.GroupL1(1.0, [[0, 1], [1, 2]])
    with pytest.raises(TypeError, match="alpha must be a real number"):
        P.L1("big")


def test_product_acts_blockwise():
    G = P.Product([P.Simplex(1.0), P.Box(0.0, 1.0)], [3, 2])
    v = np.array([0.5, 0.5, 0.5, 2.0, -1.0])
    np.testing.assert_allclose(G(v), [1 / 3, 1 / 3, 1 / 3, 1.0, 0.0])
    assert G.is_indicator and G.value(G(v)) == 0.0 and G.value(v) == np.inf
    with pytest.raises(ValueError, match=r"v must have shape \(5,\)"):
        G(np.zeros(4))
    with pytest.raises(ValueError, match="sizes"):
        P.Product([P.Zero()], [0])
    with pytest.raises(TypeError, match=r"blocks\[0\]"):
        P.Product([np.eye(2)], [2])
