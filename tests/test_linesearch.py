"""Line searches on functions with known minimizers, and their conditions."""
import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der

from numopt.linesearch import Armijo, StrongWolfe, get_line_search, lipschitz_backtracking
from numopt.problems.prox import L1


def _quadratic(a=3.0):
    return (lambda x: 0.5 * a * float(x @ x)), (lambda x: a * x)


@pytest.mark.parametrize("ls", [Armijo(), StrongWolfe()])
def test_conditions_hold_on_rosenbrock(ls):
    x = np.array([-1.2, 1.0])
    f0, g0 = rosen(x), rosen_der(x)
    d = -g0
    r = ls(rosen, x, d, f0, g0, alpha0=1.0, grad=rosen_der)
    assert r.success and r.alpha > 0
    assert r.fun <= f0 + 1e-4 * r.alpha * g0 @ d                      # Armijo
    if isinstance(ls, StrongWolfe):
        assert abs(rosen_der(r.x) @ d) <= 0.9 * abs(g0 @ d)          # strong curvature


def test_strong_wolfe_finds_the_exact_step_on_a_quadratic_with_tight_c2():
    f, g = _quadratic(3.0)
    x = np.array([1.0, -2.0])
    r = StrongWolfe(c1=1e-8, c2=1e-6)(f, x, -g(x), f(x), g(x), alpha0=1.0, grad=g)
    assert r.success
    np.testing.assert_allclose(r.alpha, 1.0 / 3.0, rtol=1e-5)          # exact minimizer along d


def test_armijo_backtracks_to_the_first_acceptable_power():
    f, g = _quadratic(3.0)
    x = np.array([1.0])
    r = Armijo(c1=0.5, shrink=0.5)(f, x, -g(x), f(x), g(x), alpha0=1.0)
    # f(x - a g) <= f(x) - 0.5 a g^2  <=>  a <= 1/3: first power of 1/2 is 1/4
    assert r.success and r.alpha == 0.25 and r.nfev == 3


def test_ascent_direction_fails_cleanly():
    f, g = _quadratic()
    x = np.ones(2)
    for ls in (Armijo(), StrongWolfe()):
        r = ls(f, x, g(x), f(x), g(x), grad=g)
        assert not r.success and r.alpha == 0.0


def test_lipschitz_backtracking_reaches_the_upper_bound():
    f, g = _quadratic(10.0)
    y = np.array([1.0, -1.0])
    z, fz, L, nfev, ok = lipschitz_backtracking(f, L1(0.1), y, f(y), g(y), L=1.0)
    assert ok and 10.0 <= L <= 20.0 and fz <= f(y)


def test_get_line_search():
    assert isinstance(get_line_search("Armijo"), Armijo)
    with pytest.raises(ValueError, match="unknown line search 'exact'"):
        get_line_search("exact")
    with pytest.raises(ValueError, match="c1 < c2"):
        StrongWolfe(c1=0.5, c2=0.1)


def test_backtrack_on_a_merit_returns_the_payload_of_the_accepted_step():
    calls = []

    def phi(alpha):
        calls.append(alpha)
        return (alpha - 0.3) ** 2, f"point at {alpha}"

    from numopt.linesearch import backtrack
    r = backtrack(phi, 0.09, -0.6, c1=0.5, shrink=0.5)
    # phi(a) <= 0.09 - 0.3 a  <=>  a <= 0.3: first power of 1/2 is 1/4
    assert r.success and r.alpha == 0.25 and r.payload == "point at 0.25" and r.nfev == 3
    assert calls == [1.0, 0.5, 0.25]


@pytest.mark.parametrize("slope", [0.0, 1.0, float("nan")])
def test_backtrack_refuses_a_non_descent_direction_without_evaluating(slope):
    from numopt.linesearch import backtrack
    r = backtrack(lambda a: pytest.fail("phi must not be called"), 1.0, slope)
    assert not r.success and r.alpha == 0.0 and r.value == 1.0 and r.nfev == 0


def test_backtrack_never_accepts_nan_and_reports_failure():
    from numopt.linesearch import backtrack
    r = backtrack(lambda a: float("nan"), 1.0, -1.0, maxiter=5)
    assert not r.success and r.alpha == 0.0 and r.value == 1.0 and r.nfev == 5


def test_armijo_on_nan_everywhere_keeps_the_point():
    x = np.array([1.0, 2.0])
    r = Armijo(maxiter=4)(lambda z: float("nan"), x, -x, 5.0, x)
    assert not r.success and r.alpha == 0.0 and r.fun == 5.0 and r.x is x


@pytest.mark.kernels
def test_jitted_armijo_test_is_the_python_test():
    from numopt.linesearch import armijo_accepts as py
    from numopt.linesearch_kernels import armijo_accepts as nb
    cases = [(0.5, 1.0, 1.0, -1.0, 0.1), (0.95, 1.0, 1.0, -1.0, 0.1), (float("nan"), 1.0, 1.0, -1.0, 0.1),
             (float("inf"), 1.0, 1.0, -1.0, 0.1), (0.9, 1.0, 1.0, -1.0, 0.1)]
    for case in cases:
        assert nb(*case) == py(*case)
    assert [py(*c) for c in cases] == [True, False, False, False, True]


def test_lipschitz_backtracking_failure_keeps_the_point():
    f = lambda z: float("nan") if np.any(z != 1.0) else 0.0   # noqa: E731
    y = np.array([1.0])
    z, fz, L, nfev, ok = lipschitz_backtracking(f, L1(0.0), y, 0.0, np.array([1.0]), 1.0, maxiter=3)
    assert not ok and z is y and fz == 0.0 and nfev == 3
