"""The stopping tests: scale-aware, and never true for NaN."""
import numpy as np
import pytest

from numopt import stopping as st


NAN = float("nan")


def test_no_test_passes_on_nan():
    assert not st.small_gradient(np.array([NAN]), 1.0)
    assert not st.small_relative(NAN, 1.0, 1.0)
    assert not st.small_relative(0.0, NAN, 1.0)
    assert not st.small_gap(NAN, 1.0, 1.0)
    assert not st.small_residuals(NAN, 0.0, 1.0, 1.0, 1.0, 1.0)
    assert not st.small_step(np.array([NAN]), np.array([0.0]), 1.0)
    assert not st.small_decrease(NAN, 0.0, 1.0)


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
def test_relative_tests_are_invariant_under_rescaling(scale):
    # the same relative situation gives the same verdict at every scale
    assert st.small_relative(0.9e-6 * scale, 1.0 * scale, 1e-6)
    assert not st.small_relative(1.1e-6 * scale, 1.0 * scale, 1e-6)
    assert st.small_gap(0.9e-6 * scale, 1.0 * scale, 1e-6)
    assert not st.small_gap(1.1e-6 * scale, 1.0 * scale, 1e-6)
    assert st.small_gradient(np.array([0.9e-6 * scale]), 1e-6, scale=scale)
    assert not st.small_gradient(np.array([1.1e-6 * scale]), 1e-6, scale=scale)


def test_a_clearly_negative_gap_is_not_convergence():
    assert not st.small_gap(-1e-6, 1.0, 1e-3)       # a dual point that is not feasible
    assert st.small_gap(-1e-15, 1.0, 1e-3)          # rounding


def test_small_step_and_decrease():
    assert st.small_step(np.array([1.0 + 1e-9]), np.array([1.0]), 1e-8)
    assert not st.small_step(np.array([1.1]), np.array([1.0]), 1e-8)
    assert st.small_decrease(1.0, 1.0 - 1e-12, 1e-9)
    assert not st.small_decrease(1.0, 0.5, 1e-9)


def test_spectral_norm_estimator_is_an_upper_bound_or_exact():
    import scipy.sparse as sp
    from numopt.linalg import spectral_norm_sq
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 250))
    exact = np.linalg.norm(X, 2) ** 2
    assert spectral_norm_sq(X) == pytest.approx(exact, rel=1e-5) and spectral_norm_sq(X) >= exact * (1 - 1e-9)
    S = sp.random(400, 300, density=0.02, random_state=0, format="csr")
    exact_s = np.linalg.norm(S.toarray(), 2) ** 2
    assert spectral_norm_sq(S) == pytest.approx(exact_s, rel=1e-5)
    assert spectral_norm_sq(np.zeros((3, 2))) == 0.0
    assert spectral_norm_sq(sp.csr_matrix((5, 4))) == 0.0
    assert spectral_norm_sq(np.ones((4, 1))) == pytest.approx(4.0)


def test_work_units_are_declared_and_reported():
    import numopt
    from numopt.registry import all_specs
    from numopt.work import WORK_UNITS
    assert {s.work_unit for s in all_specs()} <= set(WORK_UNITS)
    res = numopt.minimize(numopt.problems.Lasso(np.eye(3), np.ones(3), 0.1), method="prox-grad")
    assert res.npass == res.njev > 0          # a full-gradient method: one pass per gradient


def test_residual_tests_share_one_formula():
    # small_residuals is r <= abs * eps_abs + eps_rel * scale, with the thresholds of residual_tolerances
    tp, td = st.residual_tolerances(2.0, 3.0, 1e-4, 1e-2, abs_primal=5.0, abs_dual=7.0)
    assert (tp, td) == (5e-4 + 2e-2, 7e-4 + 3e-2)
    assert st.small_residuals(tp, td, 2.0, 3.0, 1e-4, 1e-2, 5.0, 7.0)
    assert not st.small_residuals(tp * (1 + 1e-12), td, 2.0, 3.0, 1e-4, 1e-2, 5.0, 7.0)
    assert not st.small_residuals(tp, td * (1 + 1e-12), 2.0, 3.0, 1e-4, 1e-2, 5.0, 7.0)
    assert st.small_residual(tp, 2.0, 1e-4, 1e-2, 5.0) and not st.small_residual(1.01 * tp, 2.0, 1e-4, 1e-2, 5.0)
    assert not st.small_residual(NAN, 1.0, 1.0, 1.0) and not st.small_residual(0.0, np.inf, 1.0, 1.0)
    # the defaults (abs scales 1) are OSQP's form, unchanged for existing callers
    assert st.small_residuals(1.0, 1.0, 0.0, 0.0, 1.0, 0.5) and not st.small_residuals(1.0, 1.1, 0.0, 0.0, 1.0, 0.5)


@pytest.mark.kernels
def test_jitted_residual_tests_give_the_same_verdicts():
    from numopt import stopping_kernels as sk
    cases = [(0.5, 0.5, 1.0, 1.0, 0.1, 0.4, 1.0, 1.0), (0.51, 0.5, 1.0, 1.0, 0.1, 0.4, 1.0, 1.0),
             (NAN, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0), (0.0, 0.0, np.inf, 1.0, 1.0, 1.0, 1.0, 1.0),
             (3.0, 3.0, 0.0, 0.0, 1.0, 0.0, 3.0, 2.9)]
    for c in cases:
        assert sk.small_residuals(*c) == st.small_residuals(*c)
        assert sk.small_residual(c[0], c[2], c[4], c[5], c[6]) == st.small_residual(c[0], c[2], c[4], c[5], c[6])
        assert sk.small_relative(c[0], c[2], c[4]) == st.small_relative(c[0], c[2], c[4])
