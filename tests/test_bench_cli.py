"""``numopt bench`` on the command line: help and the suite list."""
import pytest

from numopt.cli import main


def test_bench_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--list", "--out", "--resume", "--jobs", "--scheduler", "--time-limit", "--repeats",
                 "--no-plots", "SUITE", "performance", "ctol"):
        assert flag in out


def test_bench_list(capsys):
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    assert {"quick", "hs-eq", "cutest-eq", "libsvm-logreg", "models"} <= set(rows)
    assert rows["models"][1] == "12" and rows["models"][2] == "96"


def test_bench_unknown_suite_is_a_clean_error(capsys):
    assert main(["bench", "no-such-suite"]) == 2
    assert "unknown suite 'no-such-suite'" in capsys.readouterr().err


def test_bench_subset_and_report_only(tmp_path, capsys):
    suite = tmp_path / "s.toml"
    suite.write_text("""
[suite]
repeats = 1
[[solvers]]
method = "bfgs"
[[solvers]]
method = "prox-grad"
[[problems]]
source = "models"
select = { names = ["least-squares", "lasso"] }
params = { n_features = 5, n_samples = 20 }
[[problems]]
source = "models"
select = { names = ["rosenbrock"] }
params = { n = 2 }
solvers = ["prox-grad"]
""")
    out = tmp_path / "out"
    assert main(["bench", str(suite), "--out", str(out), "--solvers", "bfgs", "--problems", "least|rosen",
                 "--no-plots"]) == 0
    table = capsys.readouterr().out
    assert "models:least-squares" in table and "ok" in table and "rosenbrock" not in table
    assert "prox-grad" not in table and not (out / "perf_time.png").exists()
    assert main(["bench", str(suite), "--out", str(out), "--report-only", "--quiet"]) == 0
    assert (out / "perf_time.png").exists() and "least-squares" in (out / "report.md").read_text()
