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
