"""The built-in Hock-Schittkowski collection: derivatives, optimal values, solvability."""
import warnings
import zlib

import numpy as np
import pytest

import numopt
from numopt.problems import ConstrainedProblem
from numopt.problems.hs import HS_PROBLEMS, GENHS28, hs_problem

NAMES = list(HS_PROBLEMS)

# Optimal values of benchmark-data.md (re-verified there with SLSQP and trust-constr),
# independent of the constants typed into hs.py.
NOTES_F_OPT = {
    "HS6": 0.0, "HS7": -1.7320508, "HS8": -1.0, "HS9": -0.5, "HS26": 0.0, "HS27": 0.04, "HS28": 0.0,
    "HS39": -1.0, "HS40": -0.25, "HS42": 13.8578644, "HS46": 0.0, "HS47": 0.0, "HS48": 0.0, "HS49": 0.0,
    "HS50": 0.0, "HS51": 0.0, "HS52": 5.32664756, "HS56": -3.456, "HS61": -143.6461422,
    "HS77": 0.24150513, "HS78": -2.91970041, "HS79": 0.0787768209, "GENHS28": 0.927173694,
}
SIZES = {"HS6": (2, 1), "HS7": (2, 1), "HS8": (2, 2), "HS9": (2, 1), "HS26": (3, 1), "HS27": (3, 1),
         "HS28": (3, 1), "HS39": (4, 2), "HS40": (4, 3), "HS42": (4, 2), "HS46": (5, 2), "HS47": (5, 3),
         "HS48": (5, 2), "HS49": (5, 2), "HS50": (5, 3), "HS51": (5, 3), "HS52": (5, 3), "HS56": (7, 4),
         "HS61": (3, 2), "HS77": (5, 2), "HS78": (5, 3), "HS79": (5, 3), "GENHS28": (10, 8)}


def test_collection_is_complete():
    assert set(NAMES) == set(NOTES_F_OPT)
    assert len(NAMES) == 23


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    p = hs_problem(name)
    assert isinstance(p, ConstrainedProblem)
    assert (p.n, p.m_eq) == SIZES[name]
    assert p.m_ineq == 0 and p.bounds is None
    assert p.structure == frozenset({"eq_constraints"})
    assert {"fun", "grad", "hess", "hessp", "cons", "jac", "hessp_lag"} <= p.oracles
    assert p.x0.shape == (p.n,)
    assert "Hock" in p.citation and "1981" in p.citation
    assert p.f_opt == pytest.approx(NOTES_F_OPT[name], rel=1e-7, abs=1e-9)
    if p.x_opt is not None:        # the published minimizer is feasible and attains f_opt
        assert p.x_opt.shape == (p.n,)
        assert p.constr_violation(p.x_opt) < 1e-5
        assert p.fun(p.x_opt) == pytest.approx(p.f_opt, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives(name):
    p = hs_problem(name)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    points = [p.x0] + [p.x0 + rng.standard_normal(p.n) for _ in range(3)]
    for x in points:
        errs = numopt.check_problem(p, x, ndirections=3, rng=rng)
        assert set(errs) == {"grad", "hessp", "jac_eq", "hessp_lag"}
        assert max(errs.values()) < 1e-6, (name, errs)
        assert numopt.check_grad(p.fun, p.grad, x) < 1e-6
        # the dense Hessians agree with the Hessian-vector products and are symmetric
        d, y = rng.standard_normal(p.n), rng.standard_normal(p.m_eq)
        H, HL = p.hess(x), p.hess_lag(x, y)
        assert np.allclose(H, H.T) and np.allclose(HL, HL.T)
        np.testing.assert_allclose(H @ d, p.hessp(x, d), atol=1e-12)
        np.testing.assert_allclose(HL @ d, p.hessp_lag(x, y, d), atol=1e-12)
        assert p.jac_eq(x).shape == (p.m_eq, p.n)


def test_derivative_checker_catches_a_wrong_jacobian():
    """The checks above can fail: a sign error in one Jacobian entry is detected."""
    class Broken(HS_PROBLEMS["HS40"]):
        def _jac_eq(self, x):
            J = super()._jac_eq(x)
            J[1, 2] *= -1.0
            return J
    errs = numopt.check_problem(Broken(), ndirections=3, rng=0)
    assert errs["jac_eq"] > 1e-2


@pytest.mark.parametrize("name", NAMES)
def test_trust_constr_reaches_published_optimum(name):
    """scipy's trust-constr through numopt's pass-through, from the standard start.

    It reaches every published optimum, including HS61, where the Jacobian at the
    start has rank 1 (see ``test_hs61_licq_fails_at_start``): trust-constr's
    Byrd-Omojokun steps do not need LICQ at x0, SLSQP's do. HS9 has infinitely many
    minimizers, HS56 periodic angles: only f is compared there.
    """
    p = hs_problem(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # trust-constr's "delta_grad == 0" UserWarning
        res = numopt.minimize(p, method="trust-constr", options={"gtol": 1e-10, "xtol": 1e-12, "maxiter": 3000})
    assert res.success, res.message
    assert abs(res.fun - p.f_opt) <= 1e-6 * max(1.0, abs(p.f_opt)), (res.fun, p.f_opt)
    assert p.constr_violation(res.x) < 1e-8
    # x is compared where the minimizer is unique and well conditioned (HS26/46/47/49 have
    # flat quartic/sextic objectives near x*, so f ~ 1e-13 already at |x - x*| ~ 1e-3)
    if p.x_opt is not None and name not in ("HS56", "HS26", "HS46", "HS47", "HS49"):
        np.testing.assert_allclose(res.x, p.x_opt, atol=1e-5)


def test_hs61_licq_fails_at_start():
    """HS61's standard start: the constraint Jacobian has rank 1, and SLSQP stalls there."""
    p = hs_problem("HS61")
    J = p.jac_eq(p.x0)
    np.testing.assert_array_equal(J, [[3.0, 0.0, 0.0], [4.0, 0.0, 0.0]])
    assert np.linalg.matrix_rank(J) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # SLSQP ignores the Hessians the problem offers
        res = numopt.minimize(p, method="slsqp")
    assert p.constr_violation(res.x) > 1e-3          # SLSQP stays at the infeasible start


def test_genhs28_size_parameter_and_kkt_optimum():
    p = GENHS28(N=6)
    assert (p.n, p.m_eq, p.name) == (6, 4, "GENHS28-6")
    # x_opt satisfies the KKT conditions of the QP: grad f + A^T y = 0 for some y, A x = b
    g = p.grad(p.x_opt)
    A = p.jac_eq(p.x_opt)
    y = np.linalg.lstsq(A.T, -g, rcond=None)[0]
    assert np.linalg.norm(g + A.T @ y) < 1e-12
    assert p.constr_violation(p.x_opt) < 1e-13
    with pytest.raises(ValueError, match="N must be an integer >= 3"):
        GENHS28(N=2)


def test_hs_problem_lookup():
    assert type(hs_problem("hs40")).__name__ == "HS40"
    assert type(hs_problem(" GenHS28 ")).__name__ == "GENHS28"
    with pytest.raises(ValueError, match="unknown Hock-Schittkowski problem 'HS999'.*HS6, HS7"):
        hs_problem("HS999")
    with pytest.raises(TypeError):
        hs_problem(40)


def test_counters():
    p = hs_problem("HS7")
    p.fun(p.x0), p.grad(p.x0), p.cons_eq(p.x0), p.jac_eq(p.x0), p.hessp_lag(p.x0, [1.0], p.x0)
    assert p.counts == {"nfev": 1, "njev": 1, "constr_nfev": 1, "constr_njev": 1, "nhev": 1}
