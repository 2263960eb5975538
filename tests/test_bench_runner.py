"""The benchmark runner end to end: a tiny suite, isolation of bad solvers, kill-and-resume."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from numopt.bench.analysis import aggregate
from numopt.bench.records import RecordStore, read_records
from numopt.bench.report import write_reports
from numopt.bench.runner import run_suite
from numopt.bench.suite import load_suite

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

TINY = """
[suite]
name = "tiny"
repeats = 2
time_limit = 20

[[solvers]]
label = "BFGS"
method = "bfgs"

[[solvers]]
label = "prox-grad"
method = "prox-grad"
options = { gtol = 1e-9 }

[[problems]]
source = "models"
select = { names = ["least-squares", "lasso"] }
params = { n_samples = 40, n_features = 8 }
"""


def _suite(tmp_path, text, name="suite.toml"):
    path = tmp_path / name
    path.write_text(text)
    return load_suite(str(path))


def test_tiny_suite_end_to_end(tmp_path):
    suite = _suite(tmp_path, TINY)
    out = tmp_path / "out"
    res = run_suite(suite, out, jobs=2, progress=False)
    recs = read_records(out / "records.jsonl")
    assert res.ran == len(recs) == 2 * 2 * 2
    assert len({r["key"] for r in recs}) == 8
    by = {(r["name"], r["solver"]): r for r in recs}
    ls = by[("least-squares", "BFGS")]
    assert ls["status"] == "CONVERGED" and abs(ls["fun"] - ls["f_ref"]) < 1e-8
    assert ls["nfev"] > 0 and ls["njev"] > 0 and ls["evals"] == ls["nfev"] + ls["njev"]
    assert ls["wall"] > 0 and ls["cpu"] > 0 and ls["kkt"] < 1e-4 and ls["cviol"] == 0.0
    assert by[("lasso", "BFGS")]["status"] == "UNSUPPORTED"        # BFGS cannot handle the L1 term
    lasso = by[("lasso", "prox-grad")]
    assert lasso["status"] == "CONVERGED" and lasso["certificates"]["duality_gap"] < 1e-6
    pairs = {(p.problem.split(":")[1].split("[")[0], p.solver): p for p in aggregate(recs, 1e-6, 1e-6)}
    assert pairs[("least-squares", "BFGS")].solved and not pairs[("lasso", "BFGS")].solved
    files = write_reports(recs, out, suite=suite, command="numopt bench suite.toml")
    png = out / "perf_time.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (out / "data_evals.svg").exists()
    report = (out / "report.md").read_text()
    assert "suite `tiny`" in report and "UNSUPPORTED" in report and "perf_time.png" in report
    assert len((out / "records.csv").read_text().strip().splitlines()) == 9
    assert all(f.exists() for f in files)
    # a second run without --resume refuses to mix results; with resume nothing is re-run
    with pytest.raises(ValueError, match="--resume"):
        run_suite(suite, out, progress=False)
    again = run_suite(suite, out, resume=True, progress=False)
    assert again.ran == 0 and again.skipped == 8 and len(read_records(out / "records.jsonl")) == 8


ISOLATION = """
[suite]
name = "isolation"
repeats = 1
time_limit = 1.5
warmup = false

[criterion]
ctol = 1e-6
ftol = 1e-6

[[solvers]]
label = "raises"
method = "bench_plugins:raising_method"
[[solvers]]
label = "hangs"
method = "bench_plugins:hanging_method"
[[solvers]]
label = "crashes"
method = "bench_plugins:crashing_method"
[[solvers]]
label = "nan"
method = "bench_plugins:nan_method"
[[solvers]]
label = "lies"
method = "bench_plugins:lying_method"
[[solvers]]
label = "BFGS"
method = "bfgs"

[[problems]]
source = "models"
select = { names = ["least-squares"] }
params = { n_samples = 30, n_features = 5 }

[[problems]]
source = "models"
select = { names = ["rosenbrock"] }
params = { seed = 1 }          # rosenbrock takes no seed: building fails
solvers = ["BFGS"]
"""


def test_failures_are_isolated_and_recorded(tmp_path):
    suite = _suite(tmp_path, ISOLATION)
    t0 = time.perf_counter()
    res = run_suite(suite, tmp_path / "out", progress=False)
    elapsed = time.perf_counter() - t0
    by = {(r["name"], r["solver"]): r for r in res.records}
    assert len(res.records) == 7
    raised = by[("least-squares", "raises")]
    assert raised["status"] == "ERROR" and "boom from a test solver" in raised["error"]
    assert by[("least-squares", "hangs")]["status"] == "TIMEOUT"
    crashed = by[("least-squares", "crashes")]
    assert crashed["status"] == "CRASH" and "exit code 7" in crashed["error"]
    assert by[("least-squares", "nan")]["status"] == "NUMERICAL_ERROR"
    assert by[("least-squares", "nan")]["fun"] is None
    assert by[("rosenbrock", "BFGS")]["status"] == "ERROR" and "bad parameters" in by[("rosenbrock", "BFGS")]["error"]
    # the suite went on after the hang and the crash
    assert by[("least-squares", "BFGS")]["status"] == "CONVERGED"
    # the liar claims convergence at x0: the runner's criterion rejects it
    pairs = {p.solver: p for p in aggregate(res.records, 1e-6, 1e-6) if "least-squares" in p.problem}
    assert pairs["lies"].status == "CONVERGED" and not pairs["lies"].solved
    assert pairs["BFGS"].solved and not any(pairs[s].solved for s in ("raises", "hangs", "crashes", "nan"))
    assert elapsed < 30


RESUME = """
[suite]
name = "resume"
repeats = 2
time_limit = 20
warmup = false

[[solvers]]
label = "slow"
method = "bench_plugins:slow_method"

[[problems]]
source = "models"
select = { names = ["least-squares"] }
params = [{ seed = 0, n_features = 4 }, { seed = 1, n_features = 4 }, { seed = 2, n_features = 4 },
          { seed = 3, n_features = 4 }, { seed = 4, n_features = 4 }, { seed = 5, n_features = 4 },
          { seed = 6, n_features = 4 }, { seed = 7, n_features = 4 }, { seed = 8, n_features = 4 },
          { seed = 9, n_features = 4 }]
"""


def _cli(args, env):
    return subprocess.Popen([sys.executable, "-m", "numopt", "bench", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT))


def test_resume_after_kill(tmp_path):
    suite_file = tmp_path / "resume.toml"
    suite_file.write_text(RESUME)
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(TESTS)]), MPLBACKEND="Agg")
    records = out / "records.jsonl"
    proc = _cli([str(suite_file), "--out", str(out), "--no-plots"], env)
    deadline = time.time() + 60
    while time.time() < deadline:
        if records.exists() and len(records.read_text().splitlines()) >= 5:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    before = records.read_text().splitlines(keepends=True)
    before = [line for line in before if line.endswith("\n")]
    assert 5 <= len(before) < 20, "the kill must happen mid-suite"
    done = subprocess.run([sys.executable, "-m", "numopt", "bench", str(suite_file), "--out", str(out),
                           "--resume", "--no-plots", "--quiet"], env=env, capture_output=True, text=True,
                          cwd=str(ROOT), timeout=120)
    assert done.returncode == 0, done.stderr
    after = records.read_text().splitlines(keepends=True)
    assert after[:len(before)] == before                       # nothing lost
    keys = [json.loads(line)["key"] for line in after]
    assert len(keys) == 20 and len(set(keys)) == 20            # nothing duplicated, all done
    assert all(json.loads(line)["status"] == "CONVERGED" for line in after)


def test_torn_last_line_is_cut_on_resume(tmp_path):
    path = tmp_path / "records.jsonl"
    good = json.dumps({"key": "a|s|0", "status": "CONVERGED"}) + "\n"
    path.write_text(good + '{"key": "b|s|0", "sta')
    with RecordStore(path, resume=True) as store:
        assert store.keys == {"a|s|0"}
        assert store.append({"key": "b|s|0", "status": "ERROR"})
        assert not store.append({"key": "a|s|0", "status": "ERROR"})
        with pytest.raises(ValueError, match="another numopt bench"):
            RecordStore(path, resume=True)
    lines = path.read_text().splitlines()
    assert lines[0] == good.strip() and json.loads(lines[1])["key"] == "b|s|0" and len(lines) == 2
    with RecordStore(path, overwrite=True) as store:
        assert store.keys == set()
    assert path.read_text() == ""


def test_suite_validation_names_the_problem(tmp_path):
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['repeat'\]"):
        _suite(tmp_path, TINY.replace("repeats = 2", "repeat = 2"))
    with pytest.raises(ValueError, match="unknown method 'no-such-method'"):
        _suite(tmp_path, TINY.replace('method = "bfgs"', 'method = "no-such-method"'))
    with pytest.raises(ValueError, match="unknown option.*'gtl' for method 'prox-grad'"):
        _suite(tmp_path, TINY.replace("gtol = 1e-9", "gtl = 1e-9"))
    with pytest.raises(ValueError, match="unknown option.*'bogus' for method 'bfgs'"):
        _suite(tmp_path, TINY.replace('method = "bfgs"', 'method = "bfgs"\noptions = { bogus = 1 }'))
    with pytest.raises(ValueError, match=r"solvers \['nope'\] are not defined"):
        _suite(tmp_path, TINY + 'solvers = ["nope"]\n')
    with pytest.raises(ValueError, match="unknown source 'nowhere'"):
        _suite(tmp_path, TINY.replace('source = "models"', 'source = "nowhere"'))
    with pytest.raises(ValueError, match="repeats must be an integer >= 1"):
        _suite(tmp_path, TINY.replace("repeats = 2", "repeats = 0"))
    with pytest.raises(ValueError, match="unknown suite 'no-such-suite'"):
        load_suite("no-such-suite")


def test_builtin_suites_load_and_quick_is_small():
    from numopt.bench.suite import builtin_suites
    names = set(builtin_suites())
    assert {"quick", "hs-eq", "cutest-eq", "libsvm-logreg", "models"} <= names
    for name in names:
        suite = load_suite(name)
        assert suite.solvers and suite.problems
    quick = load_suite("quick")
    assert {g.source for g in quick.problems} == {"hs", "models"}
    assert quick.time_limit <= 60


def test_progress_bar_on_a_terminal_and_lines_otherwise():
    import io
    from numopt.bench.runner import Progress

    class TTY(io.StringIO):
        def isatty(self):
            return True
    rec = {"problem": "models:lasso", "solver": "prox-grad", "repeat": 0, "status": "CONVERGED"}
    tty = TTY()
    bar = Progress(4, done=2, stream=tty)
    bar.update(rec)
    bar.update(rec)
    text = tty.getvalue()
    assert text.count("\r") == 2 and "4/4" in text and "#" * 30 in text and text.endswith("\n")
    plain = io.StringIO()
    Progress(2, stream=plain).update(rec)
    assert plain.getvalue() == "[1/2] models:lasso x prox-grad #0: CONVERGED\n"
