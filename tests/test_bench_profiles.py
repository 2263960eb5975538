"""Performance and data profiles against a hand-worked example."""
import numpy as np
import pytest

from numopt.bench.profiles import data_profile, performance_profile, performance_ratios

INF = np.inf
# 4 problems x 3 solvers; problem 2 is solved by nobody.
T = np.array([[1.0, 2.0, INF],
              [4.0, 2.0, 8.0],
              [INF, INF, np.nan],
              [3.0, 6.0, 3.0]])


def test_ratios_by_hand():
    r = performance_ratios(T)
    expected = np.array([[1, 2, INF], [2, 1, 4], [INF, INF, INF], [1, 2, 1]], dtype=float)
    np.testing.assert_array_equal(r, expected)


def test_performance_profile_by_hand():
    taus, rho = performance_profile(T)
    np.testing.assert_array_equal(taus, [1.0, 2.0, 4.0])
    # tau = 1: wins (ties count for both); tau = 2; tau = 4.  The unsolved problem counts against all.
    np.testing.assert_allclose(rho, [[0.50, 0.25, 0.25],
                                     [0.75, 0.75, 0.25],
                                     [0.75, 0.75, 0.50]])
    _, rho_big = performance_profile(T, taus=[1e9])
    np.testing.assert_allclose(rho_big, [[0.75, 0.75, 0.5]])     # robustness


def test_data_profile_by_hand():
    n = np.array([1, 3, 2, 2])                 # budget units n_p + 1 = 2, 4, 3, 3
    alphas, d = data_profile(T, n)
    np.testing.assert_array_equal(alphas, [0.5, 1.0, 2.0])
    np.testing.assert_allclose(d, [[0.25, 0.25, 0.00],
                                   [0.75, 0.50, 0.25],
                                   [0.75, 0.75, 0.50]])
    alphas, d = data_profile(T)                # raw costs (time)
    np.testing.assert_array_equal(alphas, [1, 2, 3, 4, 6, 8])
    np.testing.assert_allclose(d[alphas == 3][0], [0.5, 0.5, 0.25])


def test_profile_input_errors():
    with pytest.raises(ValueError, match="positive"):
        performance_profile([[0.0, 1.0]])
    with pytest.raises(ValueError, match="2-D"):
        performance_profile([1.0, 2.0])
    with pytest.raises(ValueError, match="one non-negative dimension per problem"):
        data_profile(T, n=[1, 2])


def test_evaluation_profiles_leave_out_methods_counted_in_passes():
    from numopt.bench.analysis import Pair, cost_matrix

    def pair(p, s, evals, time=1.0, solved=True):
        return Pair(problem=p, solver=s, runs=1, n_solved=int(solved), status="CONVERGED", fun=0.0, cviol=0.0,
                    kkt=0.0, nit=1, evals=evals, wall=time, cpu=time, n=2)
    pairs = [pair("a", "lbfgs", 10), pair("a", "bcd", None), pair("b", "lbfgs", 20), pair("b", "bcd", None)]
    problems, solvers, T, _ = cost_matrix(pairs, "evals")
    assert solvers == ["lbfgs"] and T.shape == (2, 1)
    _, solvers_t, T_t, _ = cost_matrix(pairs, "cpu")
    assert solvers_t == ["lbfgs", "bcd"] and np.all(np.isfinite(T_t))
