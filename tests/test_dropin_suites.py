"""scipy's own ``minimize`` tests, run with numopt behind the import (docs/from-scipy.md).

The run happens in a child pytest process with the plugin :mod:`numopt.testing.swap`
(the swap must not leak into this session, where scipy is the reference). Every test of the
selected files that passes under scipy must pass with numopt: zero failures, zero errors.
"""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

#: scipy's installed test files that exercise ``minimize`` (test_trustregion_exact/_krylov test the
#: subproblem solvers only and never call ``minimize``; see docs/from-scipy.md).
SCIPY_FILES = ("test_optimize.py", "test_minimize_constrained.py", "test_slsqp.py", "test_cobyla.py",
               "test_cobyqa.py", "test_trustregion.py", "test_tnc.py", "test_lbfgsb_hessinv.py",
               "test_lbfgsb_setulb.py", "test_constraint_conversion.py")
#: tests of those files that pass under scipy 1.17.1 here (measured; the floor guards against a
#: run that silently collects nothing).
MIN_PASSED = 900
ROOT = Path(__file__).resolve().parents[1]


def scipy_suite_command(junit: Path, scipy_tests: Path) -> list[str]:
    """The child command (also in docs/from-scipy.md)."""
    # scipy's conftest (markers, fixtures) is found by rooting the run at the scipy package; naming it
    # with "-p scipy.conftest" registers it twice under pytest >= 9.1 ("Plugin already registered")
    scipy_root = scipy_tests.parents[1]
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "numopt.testing.swap",
            f"--rootdir={scipy_root}", f"--confcutdir={scipy_root}", f"--junitxml={junit}",
            *[str(scipy_tests / f) for f in SCIPY_FILES]]


def _counts(junit: Path) -> dict:
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    c = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    c["passed"] = c["tests"] - c["failures"] - c["errors"] - c["skipped"]
    c["failed_ids"] = [f"{tc.get('classname')}::{tc.get('name')}" for tc in suite.iter("testcase")
                       if tc.find("failure") is not None or tc.find("error") is not None]
    return c


@pytest.mark.slow
def test_scipys_minimize_suite_passes_with_numopt_behind_the_import(tmp_path):
    import scipy.optimize
    tests = Path(scipy.optimize.__file__).parent / "tests"
    if not all((tests / f).is_file() for f in SCIPY_FILES):
        pytest.skip("scipy's test files are not installed")
    junit = tmp_path / "scipy.xml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "MPLBACKEND": "Agg"}
    proc = subprocess.run(scipy_suite_command(junit, tests), cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=1200)
    assert junit.is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    c = _counts(junit)
    assert c["failures"] == 0 and c["errors"] == 0, (c["failed_ids"][:30], proc.stdout[-4000:])
    assert c["passed"] >= MIN_PASSED, (c, proc.stdout[-2000:])


def test_the_swap_plugin_replaces_minimize_in_a_child_process(tmp_path):
    """Fast check that the plugin swaps, and that scipy's methods still reach scipy."""
    (tmp_path / "test_child.py").write_text(
        "import numpy as np, scipy.optimize, numopt\n"
        "from scipy.optimize import minimize\n"
        "def test_swapped():\n"
        "    assert minimize is numopt.minimize and scipy.optimize.minimize is numopt.minimize\n"
        "    res = minimize(scipy.optimize.rosen, np.full(3, 1.2), method='BFGS')\n"
        "    assert res.success and res.status == 0 and res.status_name == 'CONVERGED'\n"
        "    assert res.method == 'bfgs' and 'numopt_status' in res\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                           "numopt.testing.swap", "-c", os.devnull, "--rootdir", str(tmp_path), "test_child.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    import scipy.optimize
    import numopt
    assert scipy.optimize.minimize is not numopt.minimize          # this session is untouched
