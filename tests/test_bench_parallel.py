"""Parallel execution: a process pool, and a Dask cluster through the CLI's --scheduler."""
import pytest

from numopt.bench.records import read_records
from numopt.bench.runner import run_suite
from numopt.bench.suite import load_suite

SUITE = """
[suite]
name = "par"
repeats = 1
time_limit = 20

[[solvers]]
method = "slsqp"

[[solvers]]
method = "trust-constr"

[[problems]]
source = "models"
select = { names = ["least-squares", "logreg-l2", "qp-eq"] }
params = { n_features = 6 }
"""


def _suite(tmp_path):
    path = tmp_path / "par.toml"
    path.write_text(SUITE)
    return path


def test_process_pool_runs_every_task_once(tmp_path):
    suite = load_suite(str(_suite(tmp_path)))
    res = run_suite(suite, tmp_path / "out", jobs=2, executor="process", progress=False)
    keys = [r["key"] for r in read_records(tmp_path / "out" / "records.jsonl")]
    assert len(keys) == 6 == len(set(keys)) == res.ran
    assert all(r["status"] == "CONVERGED" for r in res.records)


def test_dask_scheduler_through_the_cli(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    from numopt.cli import main
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        rc = main(["bench", str(_suite(tmp_path)), "--out", str(tmp_path / "out"), "--scheduler",
                   cluster.scheduler_address, "--no-plots", "--quiet"])
    assert rc == 0
    recs = read_records(tmp_path / "out" / "records.jsonl")
    assert len(recs) == 6 and all(r["status"] == "CONVERGED" for r in recs)
    assert (tmp_path / "out" / "report.md").exists()
