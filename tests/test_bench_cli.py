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
