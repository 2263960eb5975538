"""Child process of ``benchmarks/dag_bench.py``: run one external DAG learner on one dataset.

    python benchmarks/_dag_external.py dagma IN.npy OUT.npz

Reads ``X`` from ``IN.npy``, runs the method with its defaults (DAGMA: ``DagmaLinear(loss_type="l2")
.fit(X, lambda1=0.03, w_threshold=0.3)``) and writes ``W`` and this process's CPU and wall seconds
(the fit alone, imports excluded) to ``OUT.npz``. A separate process so that the parent can bound
it with a wall-clock timeout (DAGMA has no time limit option).
"""
import contextlib
import io
import os
import sys
import time

import numpy as np


def main(method, inp, out):
    X = np.load(inp)
    if method == "dagma":
        from dagma.linear import DagmaLinear
        c0, t0 = time.process_time(), time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            W = DagmaLinear(loss_type="l2").fit(X.copy(), lambda1=0.03, w_threshold=0.3)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    else:
        raise SystemExit(f"unknown method {method!r}")
    tmp = out + ".tmp.npz"
    np.savez(tmp, W=np.asarray(W, dtype=float), cpu_s=cpu, wall_s=wall, load=os.getloadavg()[0])
    os.replace(tmp, out)


if __name__ == "__main__":
    main(*sys.argv[1:4])
