"""POT's own sinkhorn tests, run with numopt behind ``ot.sinkhorn`` & co. (docs/ot.md, "From POT").

POT's wheel ships no tests, so the test files come from POT's sdist for the *installed* version
(``NUMOPT_POT_TESTS=<dir>`` points at an unpacked ``test/`` folder instead; nothing is vendored):
the sdist is fetched through PyPI's simple index (the one pip reads), checked against the index's
sha256, and its test files are unpacked into a temporary folder (``pip download`` cannot fetch it: preparing the sdist's metadata needs Cython
and an isolated build of POT's build dependencies). Offline, the suite test skips with the reason.

The run happens in a child pytest process with the plugin :mod:`numopt.testing.swap_pot`: every
selected test must pass as it does under POT, except the explicit :data:`EXCLUDED` list.
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

ot = pytest.importorskip("ot")

ROOT = Path(__file__).resolve().parents[1]

#: POT's tests that call ``ot.sinkhorn``/``sinkhorn2``/``ot.bregman.sinkhorn*`` directly (all their
#: parametrizations): test_bregman's sinkhorn cases and the tests of other files that use
#: ``ot.sinkhorn`` as their reference. (Barycenters, empirical and convolutional sinkhorn call POT's
#: internal solvers, which the swap leaves alone.) Not selected: test_optim.py::test_gcg_no_reg, which
#: compares ``ot.optim.gcg`` (POT's internal sinkhorn) with ``ot.sinkhorn`` to atol=1e-12 on unseeded
#: random data: under POT both are the same code (bit-equal); numopt's plan, converged to stopThr=1e-9
#: by another criterion, differs from POT's by ~1e-12 and the test fails on some draws.
POT_TESTS = (
    "test_bregman.py::test_sinkhorn", "test_bregman.py::test_convergence_warning",
    "test_bregman.py::test_not_implemented_method", "test_bregman.py::test_nan_warning",
    "test_bregman.py::test_sinkhorn_stabilization", "test_bregman.py::test_sinkhorn_multi_b",
    "test_bregman.py::test_sinkhorn_backends", "test_bregman.py::test_sinkhorn2_backends",
    "test_bregman.py::test_sinkhorn2_gradients", "test_bregman.py::test_sinkhorn_empty",
    "test_bregman.py::test_sinkhorn_variants", "test_bregman.py::test_sinkhorn_variants_dtype_device",
    "test_bregman.py::test_sinkhorn2_variants_dtype_device", "test_bregman.py::test_sinkhorn2_variants_device_tf",
    "test_bregman.py::test_sinkhorn_variants_multi_b", "test_bregman.py::test_sinkhorn2_variants_multi_b",
    "test_bregman.py::test_sinkhorn_variants_log", "test_bregman.py::test_sinkhorn_variants_log_multib",
    "test_bregman.py::test_stabilized_vs_sinkhorn_multidim", "test_bregman.py::test_implemented_methods",
    "test_bregman.py::test_screenkhorn", "test_bregman.py::test_sinkhorn_warmstart",
    "test_smooth.py::test_smooth_ot_dual", "test_smooth.py::test_smooth_ot_semi_dual",
    "test_stochastic.py::test_sag_asgd_sinkhorn", "test_stochastic.py::test_dual_sgd_sinkhorn",
)
POT_FILES = sorted({t.split("::")[0] for t in POT_TESTS})
#: tests that pass under POT and deliberately fail under numopt, with the reason
EXCLUDED = {
    "test_bregman::test_nan_warning[sinkhorn]":
        "reg=0: POT warns 'numerical errors' and returns a NaN plan; numopt raises ValueError naming reg",
    "test_bregman::test_nan_warning[sinkhorn_stabilized]":
        "reg=0: POT warns and returns a NaN plan; numopt raises ValueError naming reg",
}
#: selected tests that pass under POT 0.9.7.post1 itself here (measured with --pot-reference, numpy
#: backend only; the 3 tf-only tests skip); test_pot_reference_run re-measures it
POT_PASSED = 53


def _pot_tests_dir(tmp_path_factory) -> Path:
    env = os.environ.get("NUMOPT_POT_TESTS")
    if env:
        if not all((Path(env) / f).is_file() for f in POT_FILES):
            pytest.fail(f"NUMOPT_POT_TESTS={env} lacks some of {POT_FILES}")
        out = tmp_path_factory.mktemp("pot_tests")
        for f in POT_FILES:
            (out / f).write_bytes((Path(env) / f).read_bytes())
        return out
    version = ot.__version__
    name = f"pot-{version}.tar.gz"
    try:   # PyPI's simple index (PEP 691 JSON), the index pip reads, and the file it lists
        req = urllib.request.Request("https://pypi.org/simple/pot/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            sdist = next(f for f in json.load(r)["files"] if f["filename"].lower() == name)
        with urllib.request.urlopen(sdist["url"], timeout=60) as r:
            data = r.read()
    except (OSError, StopIteration, ValueError, KeyError) as e:
        pytest.skip(f"POT {version}'s sdist {name} (its test files) cannot be fetched from PyPI "
                    f"({type(e).__name__}: {e}); set NUMOPT_POT_TESTS to an unpacked POT test/ folder of that version")
    if hashlib.sha256(data).hexdigest() != sdist["hashes"]["sha256"]:
        pytest.fail(f"POT {version} sdist: sha256 mismatch with PyPI's digest")
    out = tmp_path_factory.mktemp("pot_tests")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) == 3 and parts[1] == "test" and parts[2] in POT_FILES:
                (out / parts[2]).write_bytes(tar.extractfile(member).read())
    missing = [f for f in POT_FILES if not (out / f).is_file()]
    if missing:
        pytest.fail(f"POT {version} sdist has no {missing}")
    return out


@pytest.fixture(scope="module")
def pot_tests(tmp_path_factory):
    return _pot_tests_dir(tmp_path_factory)


def pot_suite_command(junit: Path, reference: bool = False, extra=()) -> list[str]:
    """The child command, run in the folder of POT's test files (also in docs/ot.md)."""
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "numopt.testing.swap_pot",
            *(["--pot-reference"] if reference else []), "-c", os.devnull, "--rootdir", ".",
            f"--junitxml={junit}", *POT_TESTS, *extra]


def _run(pot_tests: Path, junit: Path, reference: bool, extra=()) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MPLBACKEND": "Agg"}
    proc = subprocess.run(pot_suite_command(junit, reference, extra), cwd=pot_tests, env=env, capture_output=True,
                          text=True, timeout=1200)
    assert junit.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    c = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    c["passed"] = c["tests"] - c["failures"] - c["errors"] - c["skipped"]
    c["failed_ids"] = sorted(f"{tc.get('classname')}::{tc.get('name')}" for tc in suite.iter("testcase")
                             if tc.find("failure") is not None or tc.find("error") is not None)
    c["tail"] = proc.stdout[-4000:]
    return c


#: run with POT's tests in the same child: proves the swap took (and that this session is untouched)
SWAP_CHECK = """import ot, ot.bregman, numopt.ot
def test_numopt_is_behind_the_import(nx):
    assert ot.sinkhorn is numopt.ot.sinkhorn and ot.sinkhorn2 is numopt.ot.sinkhorn2
    assert ot.bregman.sinkhorn is numopt.ot.sinkhorn and ot.bregman.greenkhorn is numopt.ot.greenkhorn
    assert ot.bregman.sinkhorn_epsilon_scaling is numopt.ot.sinkhorn_epsilon_scaling
"""


def test_pots_sinkhorn_tests_pass_with_numopt_behind_the_import(pot_tests, tmp_path):
    (pot_tests / "test_numopt_swap_check.py").write_text(SWAP_CHECK)
    c = _run(pot_tests, tmp_path / "numopt.xml", reference=False, extra=("test_numopt_swap_check.py",))
    assert c["failed_ids"] == sorted(EXCLUDED), (c["failed_ids"], c["tail"])
    assert c["passed"] == POT_PASSED - len(EXCLUDED) + 1, c        # + the swap check
    import numopt.ot
    assert ot.sinkhorn is not numopt.ot.sinkhorn                  # this session is untouched


@pytest.mark.slow
def test_pot_reference_run(pot_tests, tmp_path):
    """The same selection under POT itself: the baseline count (slow: POT's own sinkhorn_log is)."""
    c = _run(pot_tests, tmp_path / "pot.xml", reference=True)
    assert c["failures"] == c["errors"] == 0 and c["passed"] == POT_PASSED, c


# --- the contract case by case, against POT in this process (small problems) ----------------
@pytest.fixture(scope="module")
def cloud():
    rng = np.random.RandomState(0)
    x = rng.randn(30, 2)
    b = rng.rand(30, 3)
    return ot.unif(30), ot.dist(x, x), b / b.sum(0)


def _quiet(fn, *args, **kwargs):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.parametrize("method", ["sinkhorn", "sinkhorn_log", "greenkhorn", "sinkhorn_stabilized",
                                    "sinkhorn_epsilon_scaling"])
def test_every_pot_method_gives_pots_plan(cloud, method):
    import numopt.ot
    u, M, _ = cloud
    cap = {"greenkhorn": 100000}.get(method, 1000)              # greenkhorn's numItermax counts single updates
    G = numopt.ot.sinkhorn(u, u, M, 1.0, method=method, stopThr=1e-10, numItermax=cap)
    ref = _quiet(ot.sinkhorn, u, u, M, 1.0, method="sinkhorn_log", stopThr=1e-13, numItermax=5000)
    tol = 1e-9 if method == "greenkhorn" else 1e-11             # greenkhorn stops on the max violation
    assert np.abs(G - ref).max() <= tol and np.abs(G.sum(1) - u).sum() <= 1e-8


def test_sinkhorn2_is_the_linear_cost_and_log_has_pots_keys(cloud):
    import numopt.ot
    u, M, _ = cloud
    G = ot.sinkhorn(u, u, M, 0.5, stopThr=1e-12)
    loss, log = numopt.ot.sinkhorn2(u, u, M, 0.5, stopThr=1e-12, log=True)
    assert np.isclose(loss, float(np.sum(M * G)), rtol=1e-9) and np.isclose(loss, ot.sinkhorn2(u, u, M, 0.5))
    res = numopt.ot.solve(u, u, M, 0.5, tol=1e-12)
    assert np.isclose(res.cost, loss + 0.5 * float(np.sum(G * np.log(G))), rtol=1e-9)   # regularized: solve()
    P = log["u"][:, None] * np.exp(-M / 0.5) * log["v"][None, :]           # POT's scalings: P = diag(u) K diag(v)
    assert {"err", "niter", "u", "v"} <= set(log) and np.abs(P - G).max() <= 1e-10
    _, lg = numopt.ot.sinkhorn(u, u, M, 0.5, method="sinkhorn_log", log=True)
    assert {"err", "niter", "log_u", "log_v", "u", "v"} <= set(lg)
    _, ls = numopt.ot.sinkhorn(u, u, M, 0.5, method="sinkhorn_stabilized", log=True)
    assert {"err", "n_iter", "logu", "logv", "alpha", "beta", "warmstart"} <= set(ls)
    _, lgk = _quiet(numopt.ot.sinkhorn, u, u, M, 0.5, method="greenkhorn", log=True)
    assert {"u", "v", "n_iter"} <= set(lgk)


def test_positional_order_warn_verbose_and_stopthr_zero(cloud):
    import numopt.ot
    u, M, _ = cloud
    G = numopt.ot.sinkhorn(u, u, M, 1.0, "sinkhorn", 1000, 1e-9, False, True)   # 9th positional: log
    assert isinstance(G, tuple) and set(G[1]) >= {"err", "u", "v"}
    with pytest.warns(UserWarning, match="did not converge"):
        numopt.ot.sinkhorn(u, u, M, 1.0, stopThr=0, numItermax=1)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        numopt.ot.sinkhorn2(u, u, M, 1.0, stopThr=0, numItermax=1)          # sinkhorn2: warn=False default
        numopt.ot.sinkhorn(u, u, M, 1.0, stopThr=0, numItermax=1, warn=False)
    assert issubclass(numopt.ot.ConvergenceWarning, UserWarning)


def test_batched_b_empty_weights_equal_mass_and_float32(cloud):
    import numopt.ot
    u, M, b = cloud
    losses, log = numopt.ot.sinkhorn(u, b, M, 1.0, stopThr=1e-12, log=True)
    assert losses.shape == (3,) and log["u"].shape == (30, 3)
    assert np.allclose(losses, ot.sinkhorn(u, b, M, 1.0, stopThr=1e-12), rtol=1e-9)
    assert np.allclose(numopt.ot.sinkhorn2(u, b, M, 1.0), [ot.sinkhorn2(u, b[:, k], M, 1.0) for k in range(3)])
    assert np.abs(numopt.ot.sinkhorn([], [], M, 1.0) - numopt.ot.sinkhorn(u, u, M, 1.0)).max() == 0
    G2 = numopt.ot.sinkhorn(2 * u, 2 * u, M, 1.0, stopThr=1e-12)               # mass 2, as POT
    assert np.abs(G2 - ot.sinkhorn(2 * u, 2 * u, M, 1.0, stopThr=1e-12)).max() <= 1e-10
    G32 = numopt.ot.sinkhorn(u.astype(np.float32), u.astype(np.float32), M.astype(np.float32), 1.0)
    loss32 = numopt.ot.sinkhorn2(u.astype(np.float32), u.astype(np.float32), M.astype(np.float32), 1.0)
    assert G32.dtype == np.float32 and loss32.dtype == np.float32
    assert np.abs(G32 - ot.sinkhorn(u, u, M, 1.0)).max() <= 1e-7


def test_warmstart_follows_pot_per_method(cloud):
    import numopt.ot
    u, M, _ = cloud
    G = ot.sinkhorn(u, u, M, 0.5, stopThr=1e-12)
    _, log = ot.sinkhorn(u, u, M, 0.5, stopThr=1e-3, log=True)
    warm = (np.log(log["u"]), np.log(log["v"]))
    _, lw = numopt.ot.sinkhorn(u, u, M, 0.5, stopThr=1e-12, warmstart=warm, log=True)
    _, lc = numopt.ot.sinkhorn(u, u, M, 0.5, stopThr=1e-12, log=True)
    assert lw["niter"] < lc["niter"]
    Gs, ls = numopt.ot.sinkhorn(u, u, M, 0.5, method="sinkhorn_stabilized", stopThr=1e-12, log=True)
    again, la = numopt.ot.sinkhorn(u, u, M, 0.5, method="sinkhorn_stabilized", stopThr=1e-12, log=True,
                                   warmstart=ls["warmstart"])              # (alpha, beta) in cost units
    assert la["n_iter"] <= 1 and np.abs(again - G).max() <= 1e-10


def test_errors_use_pots_names(cloud):
    import numopt.ot
    u, M, b = cloud
    with pytest.raises(ValueError, match="Unknown method 'foo'"):
        numopt.ot.sinkhorn(u, u, M, 1.0, method="foo")
    with pytest.raises(ValueError, match="Unknown method 'greenkhorn'"):
        numopt.ot.sinkhorn2(u, u, M, 1.0, method="greenkhorn")               # as POT's sinkhorn2
    with pytest.raises(ValueError, match=r"b must have shape \(M.shape\[1\],\)"):
        numopt.ot.sinkhorn(u, u, M[:, :5], 1.0)
    with pytest.raises(ValueError, match=r"a must have shape"):
        numopt.ot.sinkhorn(u[:5], u, M, 1.0)
    with pytest.raises(ValueError, match="same total mass"):
        numopt.ot.sinkhorn(u, 2 * u, M, 1.0)
    with pytest.raises(ValueError, match="reg must be"):
        numopt.ot.sinkhorn(u, u, M, 0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        numopt.ot.sinkhorn(u, u, M, 1.0, numItermx=10)
    with pytest.raises(ValueError, match="n_hists"):
        numopt.ot.sinkhorn(u, b, M, 1.0, method="greenkhorn")


@pytest.mark.kernels
def test_greenkhorn_kernel_matches_pots_greenkhorn():
    from numopt.solvers.ot import _kernels as kern
    rng = np.random.RandomState(3)
    M = rng.rand(5, 4)
    a, b = np.full(5, 0.2), np.full(4, 0.25)
    K = np.exp(-M / 0.5)
    u, v = np.ones(5), np.ones(4)
    updates, viol, ok = kern.greenkhorn(K, a, b, u, v, 5000, 1e-12)
    P = u[:, None] * K * v[None, :]
    assert ok and viol <= 1e-12 and updates < 5000
    assert np.abs(P - ot.sinkhorn(a, b, M, 0.5, method="sinkhorn_log", stopThr=1e-14)).max() <= 1e-11
    K0 = K.copy()
    K0[2] = 0.0                                                   # an underflowed row: reported, not NaN
    u, v = np.ones(5), np.ones(4)
    assert kern.greenkhorn(K0, a, b, u, v, 100, 1e-12)[2] is False and np.all(np.isfinite(u))
