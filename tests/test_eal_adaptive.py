"""method="eal" at scale: the adaptive inner test, the Krylov inner solvers (MINRES, GMRES), the
matrix-free KKT operator, and the regularized KKT system when LICQ fails."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import numopt
from numopt.problems.pde import PoissonControl
from numopt.result import Status
from numopt.solvers.eal.kkt import hessian_operator, kkt_matrix, kkt_operator, reduced_hessian_min
from numopt.solvers.eal.sketches import Krylov, get_sketch, minres

from _eal_hs import local_hs

hs = pytest.importorskip("numopt.problems.hs")


def _kkt(seed=0, n=30, m=12, shift=0.05):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    B = 0.5 * (M + M.T) + shift * np.eye(n)          # symmetric indefinite Hessian block
    G = rng.standard_normal((m, n))
    return kkt_matrix(B, G), rng.standard_normal(n + m)


# -- MINRES / GMRES --------------------------------------------------------------------------------
def test_minres_matches_direct_solve_and_stops_on_the_true_residual():
    K, b = _kkt()
    xs = np.linalg.solve(K.toarray(), b)
    for tol in (1e-2, 1e-6, 1e-10):
        x, steps, eta = minres(lambda v: K @ v, b, tol * np.linalg.norm(b), 10 * b.size)
        res = np.linalg.norm(K @ x - b)
        assert eta <= tol * np.linalg.norm(b)
        assert res <= 10 * tol * np.linalg.norm(b) + 1e-12      # recurrence vs true residual
    assert np.allclose(x, xs, rtol=1e-6, atol=1e-8)
    # the residual norms are monotone in the number of steps (MINRES minimizes it on the Krylov space)
    norms = [np.linalg.norm(K @ minres(lambda v: K @ v, b, 0.0, k)[0] - b) for k in range(1, 25)]
    assert np.all(np.diff(norms) <= 1e-12 * norms[0])


@pytest.mark.parametrize("method", ["minres", "gmres"])
def test_krylov_solve_continues_from_z_and_reports_the_cap(method):
    K, b = _kkt(seed=1)
    sk = get_sketch(method)
    assert isinstance(sk, Krylov) and sk.name == method
    z, r = np.zeros(b.size), -b.copy()
    steps, ok = sk.solve(K, b, z, r, 1e-2 * np.linalg.norm(b), 10000, None)
    assert ok and np.linalg.norm(K @ z - b) <= 1e-2 * np.linalg.norm(b) and np.allclose(r, K @ z - b)
    more, ok = sk.solve(K, b, z, r, 1e-9 * np.linalg.norm(b), 10000, None)    # warm continuation
    assert ok and np.linalg.norm(K @ z - b) <= 1e-9 * np.linalg.norm(b)
    z, r = np.zeros(b.size), -b.copy()
    steps, ok = sk.solve(K, b, z, r, 1e-12, 3, None)
    assert not ok and steps <= 3 + 50
    with pytest.raises(ValueError, match="Krylov"):
        Krylov("cg")


def test_kkt_operator_equals_the_matrix():
    P = PoissonControl(4)
    x, lam = P.x0 + 0.1, np.ones(P.m_eq)
    H = hessian_operator(P, x, lam)
    G = P.jac_eq(x)
    for rho in (0.0, 0.3):
        Kop = kkt_operator(H, 0.7, G, rho)
        Km = kkt_matrix(P.hess_lag(x, lam) + 0.7 * sp.identity(P.n), G, rho)
        v = np.random.default_rng(0).standard_normal(P.n + P.m_eq)
        assert np.allclose(Kop @ v, Km @ v)
    # the matrix-free reduced-Hessian check agrees with the sparse one
    assert (reduced_hessian_min(H, G, 1e-6) < 1e-6) == (reduced_hessian_min(P.hess_lag(x, lam), G, 1e-6) < 1e-6)


# -- the adaptive test ------------------------------------------------------------------------------
def test_adaptive_test_is_active_on_poisson_control():
    """Inner work follows the KKT residual: cheap early iterations, tolerance = kappa ||grad L||."""
    P = PoissonControl(4)
    ref = numopt.minimize(P, method="eal", options={"rng": 0, "fidelity": "reference", "history": True,
                                                    "max_inner": 1000000})
    ada = numopt.minimize(P, method="eal", options={"rng": 0, "history": True, "max_inner": 1000000})
    assert ref.success and ada.success and ada.kkt_residual <= 1e-4
    h = ada.history
    kkt, inner, tol, kappa = h["kkt_residual"], h["inner_steps"], h["inner_tol"], h["kappa"]
    # linear mode: the inner target of iteration k is kappa_k ||grad L(x_{k-1})|| (theta = 1)
    assert np.allclose(tol[1:], kappa[1:] * kkt[:-1], rtol=1e-12)
    assert np.all(np.diff(kappa) <= 0)
    # the first iteration (largest residual) is the cheapest, and far below the reference's
    assert inner[1] < 0.6 * np.min(inner[2:])
    assert inner[1] < 0.2 * ref.history["inner_steps"][1]
    assert ada.inner_iterations < 0.7 * ref.inner_iterations
    xs, _ = P.solution()
    assert np.linalg.norm(ada.x - xs) <= 1e-3


def test_adaptive_minres_operator_path_equals_matrix_path():
    P = PoissonControl(8)
    xs, _ = P.solution()
    out = {}
    for kkt in ("matrix", "operator"):
        out[kkt] = numopt.minimize(P, method="eal", tol=1e-8, options={"sketch": "minres", "kkt": kkt})
        assert out[kkt].success and out[kkt].kkt_residual <= 1e-8
        assert np.linalg.norm(out[kkt].x - xs) <= 1e-6
    # same method; MINRES's stopping step differs by rounding between the two mat-vecs
    assert abs(out["matrix"].nit - out["operator"].nit) <= 2
    assert out["operator"].inner_iterations <= 1.6 * out["matrix"].inner_iterations
    with pytest.raises(ValueError, match="Krylov"):
        numopt.minimize(P, method="eal", options={"kkt": "operator"})


ADAPTIVE_SLOW_RK = {"HS46", "HS49"}     # degenerate minima: near-singular K, Kaczmarz needs ~1e7 steps


@pytest.mark.parametrize("name", list(hs.HS_PROBLEMS))
def test_adaptive_reaches_tolerance_on_every_hs_problem(name):
    p = hs.hs_problem(name)
    res = numopt.minimize(p, method="eal", tol=1e-8, options={"sketch": "minres", "mode": "superlinear",
                                                              "maxiter": 500})
    assert res.status == Status.CONVERGED, res.message
    assert res.kkt_residual <= 1e-8 and res.constr_violation <= 1e-8
    assert abs(res.fun - p.f_opt) <= 1e-6 * max(1.0, abs(p.f_opt))
    if name not in ADAPTIVE_SLOW_RK:
        rk = numopt.minimize(p, method="eal", options={"rng": 0, "mode": "superlinear"})
        assert rk.status == Status.CONVERGED and rk.kkt_residual <= 1e-4, rk.message
        assert abs(rk.fun - p.f_opt) <= 1e-4 * max(1.0, abs(p.f_opt))


def test_adaptive_rk_on_a_degenerate_minimum():
    p = local_hs("HS47")
    res = numopt.minimize(p, method="eal", options={"rng": 0})
    assert res.success and abs(res.fun - p.f_opt) <= 1e-4


# -- LICQ failure: the regularized system ------------------------------------------------------------
def test_licq_regularization_solves_hs61_and_is_reported():
    p = hs.hs_problem("HS61")
    res = numopt.minimize(p, method="eal", tol=1e-8, options={"sketch": "minres", "history": True})
    assert res.status == Status.CONVERGED
    assert abs(res.fun - p.f_opt) <= 1e-6 * abs(p.f_opt) and res.kkt_residual <= 1e-8
    assert res.history["regularized"][1] == 1                   # lambda_min(G G^T) = 0 at x0
    stop = numopt.minimize(p, method="eal", options={"licq": "stop"})
    assert stop.status == Status.SINGULAR
    with pytest.raises(ValueError, match="licq"):
        numopt.minimize(p, method="eal", options={"licq": "maybe"})
    with pytest.raises(ValueError, match="fidelity"):
        numopt.minimize(p, method="eal", options={"fidelity": "exact"})


def test_rounding_level_unit_step_on_hs100lnp():
    """At gtol 1e-8 with |f| = 680 the merit's Armijo decrease (~1e-18) is below its rounding level
    (~1e-13): the adaptive fidelity takes the unit step when it reduces the KKT residual."""
    p = local_hs("HS100LNP")
    res = numopt.minimize(p, method="eal", tol=1e-8, options={"sketch": "minres", "mode": "superlinear",
                                                              "history": True, "maxiter": 100})
    assert res.status == Status.CONVERGED and res.kkt_residual <= 1e-8
    assert abs(res.fun - 680.6300573) <= 1e-6
    assert res.history["rounding_step"].sum() >= 1
