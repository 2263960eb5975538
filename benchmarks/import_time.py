"""Import cost of numopt against scipy.optimize, in fresh processes (median of repeats).

Usage: python benchmarks/import_time.py [--repeats 7]

Reports the wall time of ``python -c STATEMENT`` minus that of ``python -c pass`` and the
modules that must NOT be imported (numba, cvxpy, sklearn).
"""
import argparse
import statistics
import subprocess
import sys
import time

STATEMENTS = {
    "python -c pass": "pass",
    "import scipy.optimize": "import scipy.optimize",
    "import numopt": "import numopt",
    "from numopt import minimize": "from numopt import minimize",
    "numopt.methods() (loads all families)": "import numopt; numopt.methods()",
}


def _time(stmt: str, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", stmt], check=True)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    for stmt in STATEMENTS.values():      # warm the page cache
        subprocess.run([sys.executable, "-c", stmt], check=True)
    base = _time("pass", args.repeats)
    print("| statement | median wall s (minus interpreter start) |\n|---|---|")
    for label, stmt in STATEMENTS.items():
        t = _time(stmt, args.repeats)
        print(f"| `{label}` | {t - base if stmt != 'pass' else t:.3f} |")
    heavy = subprocess.run([sys.executable, "-c", "import numopt, sys; numopt.methods(); "
                            "print(sorted({m.split('.')[0] for m in sys.modules} & "
                            "{'numba', 'cvxpy', 'sklearn', 'matplotlib', 'dask'}))"],
                           capture_output=True, text=True, check=True).stdout.strip()
    print(f"\nheavy modules imported after numopt.methods(): {heavy}")


if __name__ == "__main__":
    main()
