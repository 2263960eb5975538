"""EntropicOT: input validation, oracles against finite differences, generators, capability checks."""
import numpy as np
import pytest

import numopt
from numopt import ot_generators as gen
from numopt.problems import EntropicOT, LeastSquares


def _small(seed=0, n=5, m=4, reg=0.1):
    rng = np.random.default_rng(seed)
    a, b = rng.random(n) + 0.1, rng.random(m) + 0.1
    return EntropicOT(a / a.sum(), b / b.sum(), rng.random((n, m)), reg)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(a=[0.5, -0.1, 0.6]), ValueError, "a must be strictly positive"),
    (dict(a=[0.5, 0.0, 0.5]), ValueError, "a must be strictly positive"),
    (dict(b=[0.2, 0.2, 0.2]), ValueError, r"b must sum to 1.*0\.6"),
    (dict(a=[[0.5, 0.5]]), ValueError, "a must be a non-empty 1-D array"),
    (dict(C=np.ones((3, 2))), ValueError, r"C must have shape \(len\(a\), len\(b\)\) = \(3, 3\), got shape \(3, 2\)"),
    (dict(C=np.array([[0, 1, np.nan], [1, 0, 1], [1, 1, 0]])), ValueError, "C must be finite"),
    (dict(C=np.array([[0, 1, np.inf], [1, 0, 1], [1, 1, 0]])), ValueError, "C must be finite"),
    (dict(reg=0.0), ValueError, "reg must be a finite number > 0, got 0.0"),
    (dict(reg=-1.0), ValueError, "reg must be a finite number > 0"),
    (dict(reg=np.inf), ValueError, "reg must be a finite number > 0"),
    (dict(reg="0.1"), TypeError, "reg must be a positive real number"),
    (dict(a=[0.5, np.nan, 0.5]), ValueError, "a must be finite"),
])
def test_bad_input_raises_clear_errors(kwargs, exc, match):
    args = dict(a=np.full(3, 1 / 3), b=np.full(3, 1 / 3), C=np.ones((3, 3)), reg=0.1)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        EntropicOT(**args)


def test_bad_input_through_numopt_ot():
    with pytest.raises(ValueError, match="reg must be"):
        numopt.ot.sinkhorn(np.full(2, 0.5), np.full(2, 0.5), np.eye(2), 0)
    with pytest.raises(ValueError, match=r"b must have shape \(M.shape\[1\],\)"):   # POT's names (M, not C)
        numopt.ot.sinkhorn(np.full(2, 0.5), np.full(3, 1 / 3), np.eye(2), 0.1)


def test_oracles_match_finite_differences_and_duality():
    p = _small()
    rng = np.random.default_rng(1)
    x = 0.1 * rng.standard_normal(p.n)
    g = p.grad(x)
    h = 1e-6
    fd = np.array([(p.fun(x + h * e) - p.fun(x - h * e)) / (2 * h) for e in np.eye(p.n)])
    assert np.allclose(g, fd, atol=1e-8)
    v = rng.standard_normal(p.n)
    hv = p.hessp(x, v)
    fd_h = (p.grad(x + h * v) - p.grad(x - h * v)) / (2 * h)
    assert np.allclose(hv, fd_h, atol=1e-6)
    # the Hessian of -D is PSD with null vector (1, -1)
    null = np.concatenate([np.ones(p.n_rows), -np.ones(p.n_cols)])
    assert np.allclose(p.hessp(x, null), 0.0, atol=1e-12)
    assert v @ hv > 0
    # grad of -D is the marginal violation: its L1 norm is the certificate
    assert np.isclose(np.abs(g).sum(), p.marginal_error(x))


def test_weak_duality_dual_below_primal():
    p = _small(reg=0.2)
    res = numopt.minimize(p, method="sinkhorn", tol=1e-12)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.standard_normal(p.n) * 0.1
        assert p.dual(x) <= res.cost + 1e-12          # every dual value bounds the optimum from below
    assert np.isclose(res.dual_objective, res.cost, atol=1e-10)
    assert np.isclose(res.fun, -res.dual_objective)


def test_only_ot_methods_accept_entropic_ot():
    p = _small()
    with pytest.raises(ValueError, match="cannot solve"):
        numopt.minimize(p, method="l-bfgs-b")
    with pytest.raises(ValueError, match="cannot solve"):
        numopt.minimize(p, method="prox-grad")
    assert numopt.methods(problem=p) == ["sinkhorn", "sns"]
    ls = LeastSquares(np.eye(3), np.ones(3))
    with pytest.raises(ValueError, match="entropic_ot"):
        numopt.minimize(ls, np.zeros(3), method="sinkhorn")
    res = numopt.minimize(p)                              # method=None picks an OT method
    assert res.method in ("sinkhorn", "sns") and res.success


def test_generators_build_valid_problems():
    ra = gen.random_assignment(20, seed=3)
    assert ra.C.shape == (20, 20) and 0 <= ra.C.min() and ra.C.max() <= 1 and ra.reg == pytest.approx(1 / 1200)
    pc = gen.point_clouds(15, 12, dim=3, reg=0.05, seed=1, uniform=False)
    assert pc.C.shape == (15, 12) and pc.C.max() == pytest.approx(1.0) and np.isclose(pc.a.sum(), 1)
    for p_ in (1, 2):
        gd = gen.grid_densities(6, p=p_, seed=2)
        assert gd.C.shape == (36, 36) and gd.cost_scale == pytest.approx(2.0)
        assert np.all(gd.a > 0) and np.isclose(gd.b.sum(), 1)
    with pytest.raises(ValueError, match="p must be 1 or 2"):
        gen.grid_densities(4, p=3)
    assert not np.array_equal(gen.random_assignment(10, seed=0).C, gen.random_assignment(10, seed=1).C)
