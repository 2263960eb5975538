"""Registry-driven conformance sweep: every method on every catalogue problem it can solve."""
import copy

import numpy as np
import pytest

import numopt
from numopt.registry import all_specs, check_capable
from numopt.result import MESSAGES, UNIFIED_FIELDS, Status

from catalogue import CATALOGUE, VERIFY_TOL

REQUIRED_FIELDS = {"x", "fun", "success", "status", "message", "nit", "nfev", "njev",
                   "nhev", "history"} | set(UNIFIED_FIELDS)


def _pairs(native: bool):
    out = []
    for spec in sorted(all_specs(), key=lambda s: s.name):
        if (spec.family == "scipy") == native:
            continue
        for name, make in CATALOGUE.items():
            problem, _ = make()
            if not check_capable(spec, problem):
                out.append(pytest.param(spec.name, name, id=f"{spec.name}-{name}"))
    return out


NATIVE = _pairs(native=True)
SCIPY = _pairs(native=False)


def _snapshot(problem):
    return {k: copy.deepcopy(v) for k, v in vars(problem).items() if isinstance(v, np.ndarray)}


def _check_unified(res, method):
    """numopt's own fields, on every result (native or scipy's)."""
    assert isinstance(res, numopt.OptimizeResult)
    assert set(UNIFIED_FIELDS) <= set(res), sorted(set(UNIFIED_FIELDS) - set(res))
    assert isinstance(res.numopt_status, Status)
    assert res.status_name == res.numopt_status.name
    assert res.numopt_message.startswith(MESSAGES[res.numopt_status])
    if method != "trust-constr":                # trust-constr keeps scipy's own `method` field
        assert res.method == method


def _check_well_formed(res, method):
    assert REQUIRED_FIELDS <= set(res), sorted(REQUIRED_FIELDS - set(res))
    _check_unified(res, method)
    status = Status(res.status)
    assert status == res.numopt_status and res.message == res.numopt_message
    assert res.success == (status == Status.CONVERGED)
    assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)
    for k in ("nit", "nfev", "njev", "nhev"):
        assert isinstance(res[k], (int, np.integer)) and res[k] >= 0


def test_the_sweep_covers_every_registered_method():
    covered = {p.values[0] for p in NATIVE + SCIPY}
    missing = {s.name for s in all_specs()} - covered
    assert not missing, f"add a catalogue problem (tests/catalogue.py) that these methods can solve: {missing}"


@pytest.mark.parametrize("method,pname", NATIVE)
def test_native_result_is_well_formed_and_inputs_untouched(method, pname):
    problem, info = CATALOGUE[pname]()
    x0 = problem.x0.copy()
    before = _snapshot(problem)
    res = numopt.minimize(problem, x0, method=method, options={"history": True})
    _check_well_formed(res, method)
    np.testing.assert_array_equal(x0, problem.x0)
    for k, v in before.items():
        np.testing.assert_array_equal(getattr(problem, k), v, err_msg=f"{pname}.{k} was mutated")
    assert set(res.history) >= {"nit", "fun", "time"}
    assert len(res.history["nit"]) == res.nit + 1
    if "f_opt" in info and res.success:
        assert res.fun <= info["f_opt"] + 1e-4 * max(1.0, abs(info["f_opt"]))
    if res.success:        # success must survive a certificate recomputed outside the solver
        err = info["verify"](problem, res)
        assert err <= info.get("verify_tol", VERIFY_TOL), f"{method} reports success on {pname} but the recomputed certificate is {err:.3g}"


def test_every_catalogue_entry_recomputes_a_certificate():
    missing = [name for name, make in CATALOGUE.items() if not callable(make()[1].get("verify"))]
    assert not missing, f"catalogue entries without an independent 'verify': {missing}"


@pytest.mark.parametrize("pname", ["lasso", "logistic-l1"])
def test_admm_bcd_and_prox_grad_agree_on_the_same_object(pname):
    problem, _ = CATALOGUE[pname]()
    runs = {m: numopt.minimize(problem, method=m, tol=1e-9, options={"maxiter": 100000})
            for m in ("prox-grad", "bcd", "admm")}
    for m, r in runs.items():
        assert r.success, f"{m}: {r.message}"
    ref = runs["prox-grad"]
    for m, r in runs.items():
        np.testing.assert_allclose(r.x, ref.x, atol=1e-5, err_msg=m)
        assert r.fun == pytest.approx(ref.fun, rel=1e-8, abs=1e-10), m


@pytest.mark.parametrize("method,pname", NATIVE)
def test_native_honours_maxiter_and_calls_callback_once_per_iteration(method, pname):
    problem, _ = CATALOGUE[pname]()
    calls = []
    res = numopt.minimize(problem, method=method, options={"maxiter": 3},
                          callback=lambda intermediate_result: calls.append(intermediate_result))
    assert res.nit <= 3
    assert len(calls) == res.nit
    if res.nit == 3 and not res.success:
        assert res.status == Status.MAXITER
    for k, info in enumerate(calls, start=1):
        assert info.nit == k and info.x.shape == problem.x0.shape and np.isfinite(info.fun)


@pytest.mark.parametrize("method,pname", NATIVE)
def test_native_stop_iteration_ends_the_run(method, pname):
    problem, _ = CATALOGUE[pname]()

    def stop(intermediate_result):
        raise StopIteration

    res = numopt.minimize(problem, method=method, callback=stop)
    assert res.nit == 1
    assert res.status in (Status.CALLBACK_STOP, Status.CONVERGED)
    assert res.success == (res.status == Status.CONVERGED)


def test_a_no_op_callback_does_not_change_the_trajectory():
    problem, _ = CATALOGUE["lasso"]()
    a = numopt.minimize(problem, method="prox-grad")
    b = numopt.minimize(problem, method="prox-grad", callback=lambda intermediate_result: None)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.nit == b.nit


@pytest.mark.parametrize("method,pname", SCIPY)
def test_scipy_methods_through_problems_are_well_formed(method, pname):
    problem, _ = CATALOGUE[pname]()
    opts = {"maxfun" if method == "tnc" else "maxiter": 200}
    res = numopt.minimize(problem, method=method, options=opts)
    _check_unified(res, method)
    ref = numopt.solvers.scipy_methods.bridge.scipy_minimize(
        x0=problem.x0, method=method, options=opts, **numopt.registry.get_spec(method).solver.from_problem(problem))
    # scipy's fields are scipy's, unchanged (same run: same status, message, success, counters)
    assert set(ref) <= set(res) and set(res) - set(ref) <= set(UNIFIED_FIELDS)
    for key in ("status", "message", "success", "nit", "nfev", "njev", "nhev"):
        if key in ref:
            assert res[key] == ref[key], key
    np.testing.assert_array_equal(res.x, ref.x)
    if res.numopt_status == Status.CONVERGED:
        assert np.all(np.isfinite(res.x)) and np.isfinite(res.fun)
