"""LipSDP-Neuron (2-norm): numopt's structured interior-point method vs cvxpy + SCS / Clarabel / CVXOPT.

Every route solves the same LMI (numopt.lipschitz.formulation) and every answer is certified the
same way (numopt.lipschitz.certify: exact Schur complement + Cholesky check), so the "certified"
column compares like with like; "claimed" is what the solver's own rho says. Context columns: the
naive product of spectral norms, an ECLipsE-Fast-style compositional bound (Xu & Sivaranjani,
NeurIPS 2024: sequential closed-form multipliers, our numpy transcription of the published
recursion) and a sampled lower bound max ||J(x)||.

Each cvxpy run is a subprocess with a timeout and an address-space limit; numopt runs before and
after the cvxpy solvers of each network (interleaved), after a warm-up. BLAS: one thread for numopt
(its option ``threads``); cvxpy's solvers run with the library defaults.

    python benchmarks/lipsdp_bench.py                      # all sizes
    python benchmarks/lipsdp_bench.py 10-32-32-1,deep8x16  # some
    LIPSDP_TIMEOUT=120 LIPSDP_SOLVERS=CVXOPT,SCS python benchmarks/lipsdp_bench.py

Writes docs/benchmarks/lipsdp_results.json and prints a markdown table.
"""
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {
    "10-32-32-1": [10, 32, 32, 1],
    "10-64-64-1": [10, 64, 64, 1],
    "20-64-64-10": [20, 64, 64, 10],
    "deep8x16": [10] + [16] * 8 + [1],
    "100-128-128-10": [100, 128, 128, 10],
    "784-100-100-10": [784, 100, 100, 10],
    # a deep MaxMin chain with the NSR constraints: a block-diagonal LMI (cvxpy gets one cone per layer)
    "maxmin-nsr-deep8x32": ([16] + [32] * 8 + [2], "maxmin", "nsr"),
}
#: Clarabel's dense NT scaling of the PSD cone costs O(n^6) per factorization (research note 2.5):
#: skipped above this LMI size (measured there: LMI 62 ~7-10 s, LMI 100 ~100 s, LMI 138 > 200 s)
CLARABEL_MAX_LMI = 100
TIMEOUT = int(os.environ.get("LIPSDP_TIMEOUT", "300"))
#: cvxpy routes; "+chordal": one PSD cone per clique of the chordal pattern (option chordal=True,
#: Chordal-LipSDP). CVXOPT is not run chordal: its dense KKT system with the clique-consensus
#: equalities did not finish a 10-16-16-16-16-1 network in 300 s (measured).
SOLVERS = os.environ.get("LIPSDP_SOLVERS", "CVXOPT,SCS,CLARABEL,SCS+chordal,CLARABEL+chordal").split(",")
SCS_OPTIONS = {"eps_abs": 1e-7, "eps_rel": 1e-7, "max_iters": 50000}


def network(name, seed=0):
    """The seeded network of ``name`` and the options that select its formulation."""
    from numopt.solvers.lipsdp.bench import random_network
    spec = SIZES[name]
    widths, act, enc = spec if isinstance(spec, tuple) else (spec, "relu", "auto")
    return random_network(widths, act, seed), {"encoding": enc}


def eclipse_fast(net):
    """Compositional bound for slope [0, 1]: X_0 = I, l_i = 1/(2 m^2 lmax(W X^-1 W^T)),
    X_i = l_i I - l_i^2 m^2 W X^-1 W^T (m = 1/2), L^2 = lmax(X_{l-1}^-1 W_l^T W_l)."""
    m = 0.5
    X = np.eye(net.n_inputs)
    for W in net.weights[:-1]:
        A = W @ np.linalg.solve(X, W.T)
        lam = 1.0 / (2 * m * m * np.linalg.eigvalsh(0.5 * (A + A.T))[-1])
        X = lam * np.eye(W.shape[0]) - lam * lam * m * m * A
    Wl = net.weights[-1]
    Lc = np.linalg.cholesky(X)
    B = np.linalg.solve(Lc, Wl.T)
    return float(np.sqrt(np.linalg.eigvalsh(B.T @ B)[-1] if B.shape[1] <= B.shape[0] else
                         np.linalg.eigvalsh(B @ B.T)[-1]))


def run_cvxpy(name, solver):
    import cvxpy  # noqa: F401  (imported before the clock starts: the time is cvxpy's compile + solve)

    import numopt.lipschitz as lip
    net, form_opts = network(name)
    label = solver
    solver, _, chordal = solver.partition("+")
    opts = {"cvxpy_solver": solver, "threads": 0, "chordal": chordal == "chordal", **form_opts}
    if solver == "SCS":
        opts["cvxpy_options"] = SCS_OPTIONS
    t0, c0 = time.perf_counter(), time.process_time()
    res = lip.lipsdp(net, solver="cvxpy", options=opts)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"size": name, "solver": f"cvxpy+{label}", "wall_s": wall, "cpu_s": cpu,
                      "cones": f"{res.n_cones} (max {res.max_cone})",
                      "status": res.status_name,
                      "solver_status": res.solver_status, "claimed": res.solver_value,
                      "certified": res.sdp_bound if res.certified else None, "bound": res.bound,
                      "lmi": res.lmi_size, "load": os.getloadavg()[0]}), flush=True)


def run_numopt(net, form_opts, tol=None):
    import numopt.lipschitz as lip
    t0, c0 = time.perf_counter(), time.process_time()
    res = lip.lipsdp(net, tol=tol, options=form_opts)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"wall_s": wall, "cpu_s": cpu, "status": res.status_name, "claimed": res.solver_value,
            "certified": res.sdp_bound if res.certified else None, "bound": res.bound, "nit": res.nit,
            "duality_gap_rel": res.duality_gap / res.rho, "lmi": res.lmi_size, "load": os.getloadavg()[0]}


def main(names):
    import numopt.lipschitz as lip
    from numopt.problems import Network
    lip.lipsdp(Network([np.eye(3), np.eye(3)]))  # warm-up (imports)
    out = []
    for name in names:
        net, form_opts = network(name)
        ctx = {"size": name, "naive": lip.naive_bound(net), "eclipse_fast": eclipse_fast(net) if net.layers[0].activation.kind == "slope" else float("nan"),
               "sampled_lower": lip.sampled_lower_bound(net, 1000 if net.n_inputs <= 100 else 300, rng=1)}
        print(json.dumps(ctx), flush=True)
        rows = []

        def add(rec):
            rows.append(rec)
            print(json.dumps(rec), flush=True)
        add(dict(size=name, solver="numopt", run=0, **run_numopt(net, form_opts)))
        add(dict(size=name, solver="numopt tol=1e-3", run=0, **run_numopt(net, form_opts, 1e-3)))
        for solver in SOLVERS:
            if solver.startswith("CLARABEL"):
                from numopt.solvers.lipsdp._cvxpy import cone_structure
                cones = cone_structure(lip.formulation(net, **form_opts), chordal=solver.endswith("chordal"))
                big = max(c.size for idx, cl, _ in cones for c in (cl if cl is not None else [idx]))
                if big > CLARABEL_MAX_LMI:
                    add({"size": name, "solver": f"cvxpy+{solver}",
                         "error": f"skipped: largest PSD cone {big} > {CLARABEL_MAX_LMI} (O(n^6) per iteration)"})
                    continue

            def limit():
                resource.setrlimit(resource.RLIMIT_AS, (8 * 2 ** 30, 8 * 2 ** 30))
            try:
                r = subprocess.run([sys.executable, __file__, "--cvxpy", name, solver], capture_output=True,
                                   text=True, timeout=TIMEOUT, preexec_fn=limit, cwd=str(ROOT))
                lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
                rec = json.loads(lines[-1]) if lines else {"size": name, "solver": f"cvxpy+{solver}",
                                                             "error": r.stderr[-300:]}
            except subprocess.TimeoutExpired:
                rec = {"size": name, "solver": f"cvxpy+{solver}", "error": f"timeout {TIMEOUT} s"}
            add(rec)
        add(dict(size=name, solver="numopt", run=1, **run_numopt(net, form_opts)))
        out.append({"context": ctx, "runs": rows})
        path = ROOT / "docs" / "benchmarks" / "lipsdp_results.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        if name in old:  # keep the earlier records of routes not run this time (marked "earlier run")
            done = {r["solver"] for r in rows}
            keep = [dict(r, earlier=True) for r in old[name]["runs"] if r["solver"] not in done]
            out[-1]["runs"] = rows[:-1] + keep + rows[-1:]
        old.update({name: out[-1]})
        path.write_text(json.dumps(old, indent=1))
    table(out)


def table(out):
    """Markdown: one row per run; ``x numopt`` = route CPU time / numopt's CPU time (the faster of its
    two runs at the default rtol), ``rel.`` = (certified - best certified) / best certified."""
    print("\n| network | LMI | route | status | CPU [s] | wall [s] | x numopt (CPU) | claimed bound | certified bound "
          "| rel. |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for blk in out:
        runs = blk["runs"]
        certs = [r["certified"] for r in runs if r.get("certified")]
        best = min(certs) if certs else np.nan
        t_ref = min(r["cpu_s"] for r in runs if r.get("solver") == "numopt" and "cpu_s" in r)
        for r in runs:
            if "error" in r:
                tag = " [earlier run]" if r.get("earlier") else ""
                print(f"| {blk['context']['size']} | | {r['solver']}{tag} | {r['error']} | | | | | | |")
                continue
            rel = (r["certified"] - best) / best if r.get("certified") else float("nan")
            claimed = r["claimed"] if r["claimed"] == r["claimed"] else float("nan")
            cert = f"{r['certified']:.8f}" if r.get("certified") else "not certified"
            name = r["solver"] + (f" (run {r['run'] + 1}, {r['nit']} it.)" if "nit" in r else "") + \
                (f", cones {r['cones']}" if "cones" in r else "") + (" [earlier run]" if r.get("earlier") else "")
            status = r["status"] + (f" / {r['solver_status']}" if r.get("solver_status") else "")
            print(f"| {r['size']} | {r['lmi']} | {name} | {status} | {r['cpu_s']:.2f} | {r['wall_s']:.2f} | "
                  f"{r['cpu_s'] / t_ref:.1f} | "
                  f"{claimed:.8f} | {cert} | {rel:.1e} |")
        c = blk["context"]
        print(f"| {c['size']} | | naive / ECLipsE-Fast / sampled lower | | | | | | {c['naive']:.4f} / "
              f"{c['eclipse_fast']:.4f} / {c['sampled_lower']:.4f} | |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--cvxpy":
        run_cvxpy(sys.argv[2], sys.argv[3])
        sys.stdout.flush()
        os._exit(0)  # the record is out; do not wait for the solvers' teardown (seen to hang under load)
    if len(sys.argv) > 1 and sys.argv[1] == "--table":  # the table of a finished run (results JSON)
        res = json.loads((ROOT / "docs" / "benchmarks" / "lipsdp_results.json").read_text())
        table([res[k] for k in (sys.argv[2].split(",") if len(sys.argv) > 2 else res)])
        sys.exit(0)
    names = sys.argv[1].split(",") if len(sys.argv) > 1 else list(SIZES)
    main(names)
