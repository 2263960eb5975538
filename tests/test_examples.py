"""Teaching examples are scripts that assert their own claims; run each one."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "docs" / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_its_assertions_hold(script, tmp_path):
    if "NUMOPT_DATA" in script.read_text() and not os.environ.get("NUMOPT_DATA"):
        pytest.skip(f"{script.name} needs the real data sets (NUMOPT_DATA is not set)")
    env = {**os.environ, "MPLBACKEND": "Agg", "NUMOPT_EXAMPLE_OUT": str(tmp_path)}
    root = str(script.parents[2])
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    figures = sorted(tmp_path.glob("*.png"))
    assert figures, f"{script.name} wrote no figure into $NUMOPT_EXAMPLE_OUT"
