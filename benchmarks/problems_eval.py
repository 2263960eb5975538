"""Cost of one oracle call: built-in numpy HS problems vs their S2MPJ translations.

For each HS problem in both sources, times fun, grad, cons_eq, jac_eq and hessp_lag at two
alternating random points, so that S2MPJ's Hessian memo never hits (best of ``--repeat``
rounds of ``--number`` calls) and prints microseconds per
call and the S2MPJ / built-in ratio. Both sides are called through numopt's problem
protocol (the same counting wrappers), so the ratio is the cost of the source itself.

Usage: ``PYTHONPATH=. python benchmarks/problems_eval.py [--number 200] [--repeat 5] [--problems HS6,HS40]``
"""
import argparse
import statistics
import time

import numpy as np


def per_call(fn, points, number, repeat):
    """Microseconds per call, cycling through ``points`` so that no memo at the last point helps."""
    best = np.inf
    k = len(points)
    for _ in range(repeat):
        t = time.perf_counter()
        for i in range(number):
            fn(points[i % k])
        best = min(best, (time.perf_counter() - t) / number)
    return best * 1e6


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--number", type=int, default=200, help="calls per timing round (default 200)")
    ap.add_argument("--repeat", type=int, default=5, help="rounds; the best is kept (default 5)")
    ap.add_argument("--problems", default="", help="comma-separated subset (default: all 23)")
    args = ap.parse_args(argv)

    from numopt.bench.cutest import load_cutest
    from numopt.problems.hs import HS_PROBLEMS

    names = [s.strip().upper() for s in args.problems.split(",") if s.strip()] or list(HS_PROBLEMS)
    oracles = ("fun", "grad", "cons_eq", "jac_eq", "hessp_lag")
    ratios = {o: [] for o in oracles}
    print(f"{'problem':8s} " + " ".join(f"{o:>22s}" for o in oracles))
    print(f"{'':8s} " + " ".join(f"{'builtin/s2mpj us  x':>22s}" for _ in oracles))
    for name in names:
        ours, theirs = HS_PROBLEMS[name](), load_cutest(name)
        rng = np.random.default_rng(0)
        points = [ours.x0 + rng.standard_normal(ours.n) for _ in range(2)]
        y, d = rng.standard_normal(ours.m_eq), rng.standard_normal(ours.n)
        cells = []
        for o in oracles:
            calls = [(lambda x, p=p, o=o: getattr(p, o)(x, y, d) if o == "hessp_lag" else getattr(p, o)(x))
                     for p in (ours, theirs)]
            a, b = (per_call(c, points, args.number, args.repeat) for c in calls)
            ratios[o].append(b / a)
            cells.append(f"{a:7.1f} {b:8.1f} {b / a:5.0f}")
        print(f"{name:8s} " + " ".join(f"{c:>22s}" for c in cells))
    print("median S2MPJ/built-in ratio: " + ", ".join(f"{o} {statistics.median(r):.0f}x" for o, r in ratios.items()))


if __name__ == "__main__":
    main()
