"""The BCD paper's rule comparisons (suboptimality against iterations), as plots under docs/.

Problem classes of Nutini, Laradji & Schmidt (JMLR 2022), from their recipes (scaled down
where noted):

* A  least squares: A = (randn + 1) diag(10 randn), entries kept w.p. 10 log(m)/m; b = A w + noise;
* B  binary logistic on the same A, labels sign(A w) with 10% flipped;
* A-L1  L1-regularised least squares (Lasso) on A: proximal-gradient vs exact block QP updates;
* D  label propagation on a 50 x 50 lattice (weights 1e5, 100 labelled nodes);
* C  softmax regression (scaled down: 300 x 300 features from the A recipe, 10 classes);
* E  label propagation on two moons (2000 points, symmetrised 5-NN graph, 100 labelled).

Each curve is F(x_k) - F* after every block iteration (``trace=True``); F* from a sparse
direct solve (D, E), F* = 0 (A, consistent) or the best of a long run (B, C, A-L1).

Example::

    PYTHONPATH=. python benchmarks/bcd_rules.py --out docs/benchmarks
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import scipy.sparse as sp

import numopt
from numopt.problems import (Lasso, LabelPropagation, LeastSquares, LogisticRegression, SoftmaxRegression,
                             lattice_graph)


def dataset_a(m, p, seed=0):
    rng = np.random.default_rng(seed)
    A = (rng.standard_normal((m, p)) + 1.0) * (10.0 * rng.standard_normal(p))
    A *= rng.random((m, p)) < 10.0 * np.log(m) / m
    w = rng.standard_normal(p) * (rng.random(p) < 0.1)
    return sp.csc_matrix(A), w, rng


def run(problem, iters, **opts):
    r = numopt.minimize(problem, np.zeros(problem.n), method="bcd",
                        options=dict(**opts, batch=iters, maxiter=1, gtol=1e-300, trace=True))
    f0 = problem.fun(np.zeros(problem.n))
    return np.concatenate([[f0], r.trace])


FB = {f"FB-{r}": dict(partition="sort", rule=r) for r in ("random", "cyclic", "lipschitz", "gs", "gsl", "gsd", "gsq")}
VB = {f"VB-{r}": dict(partition="variable", rule=r) for r in ("gs", "gsl", "gsd")}
VBH = {f"VB-Hb-{r}": dict(partition="variable", rule=r, update="hb") for r in ("gs", "gsl", "gsd", "gsq")}


def curves_smooth(problem, iters, tau=5, fstar=None, skip=()):
    out = {}
    for name, o in {**FB, **VB, **VBH}.items():
        if name in skip:
            continue
        out[name] = run(problem, iters, block_size=tau, rng=0, **o)
    if fstar is None:
        long = numopt.minimize(problem, np.zeros(problem.n), method="bcd",
                               options=dict(partition="variable", rule="gsd", update="hb", block_size=50,
                                            gtol=1e-12, maxiter=200))
        fstar = min(long.fun, min(c.min() for c in out.values()))
    return out, fstar


def plot(curves, fstar, title, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colours = plt.cm.tab20(np.linspace(0, 1, 20))
    for i, (name, c) in enumerate(curves.items()):
        ax.semilogy(np.maximum(c - fstar, 1e-16 * max(1.0, abs(fstar))), label=name, color=colours[i % 20],
                    ls="--" if name.startswith("FB") else "-")
    ax.set_xlabel("iteration (block updates)")
    ax.set_ylabel("F(x) - F*")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def table(curves, fstar, label):
    print(f"\n{label}: F(x_k) - F* at the last iteration (F* = {fstar:.6g})")
    for name, c in sorted(curves.items(), key=lambda kv: kv[1][-1]):
        print(f"  {name:24s} {c[-1] - fstar:.3e}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="docs/benchmarks", help="directory for the PNG files")
    ap.add_argument("--m", type=int, default=500)
    ap.add_argument("--p", type=int, default=2000)
    ap.add_argument("--iters", type=int, default=500)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    A, w, rng = dataset_a(args.m, args.p)
    P = LeastSquares(A, A @ w + rng.standard_normal(args.m))
    c, fs = curves_smooth(P, args.iters, fstar=0.0)       # p > m: consistent, F* = 0
    table(c, fs, "A least squares")
    plot(c, fs, f"A: least squares ({args.m}x{args.p}), tau=5", os.path.join(args.out, "bcd_rules_A_ls.png"))

    yl = np.sign(A @ w)
    yl[yl == 0] = 1.0
    flip = rng.random(args.m) < 0.1
    yl[flip] *= -1
    B = LogisticRegression(A, yl, penalty="none")
    c, fs = curves_smooth(B, args.iters)
    table(c, fs, "B logistic")
    plot(c, fs, f"B: logistic ({args.m}x{args.p}), tau=5", os.path.join(args.out, "bcd_rules_B_logistic.png"))

    # C: softmax regression, A-recipe features, labels argmax(A W + noise) (scaled down: 300 x 300, 10 classes)
    Ac, _, rngc = dataset_a(300, 300, seed=1)
    Wc = rngc.standard_normal((300, 10))
    labels = np.argmax(Ac @ Wc + rngc.standard_normal((300, 10)), axis=1)
    Cp = SoftmaxRegression(Ac, labels, penalty="none")
    c, fs = curves_smooth(Cp, args.iters, skip=("VB-Hb-gsq",))
    table(c, fs, "C softmax")
    plot(c, fs, "C: softmax (300x300, 10 classes), tau=5", os.path.join(args.out, "bcd_rules_C_softmax.png"))

    L = Lasso(A, A @ w + rng.standard_normal(args.m), 0.0)
    amax = np.max(np.abs(A.T @ L.y)) / args.m
    L = Lasso(A, L.y, 0.1 * amax)
    c = {}
    for tau in (5, 50):
        for upd, lab in (("lb", "PG"), ("hb", "PN (exact block QP)")):
            c[f"GS-q tau={tau} {lab}"] = run(L, 200, partition="variable", rule="gsq", update=upd, block_size=tau)
    ref = numopt.minimize(L, np.zeros(L.n), method="bcd", options=dict(partition="variable", rule="gsq",
                                                                       update="hb", block_size=50, gtol=1e-12,
                                                                       maxiter=2000))
    fs = min(ref.fun, min(v.min() for v in c.values()))
    table(c, fs, "A-L1 lasso")
    plot(c, fs, "A-L1: Lasso, GS-q variable blocks", os.path.join(args.out, "bcd_rules_A_l1.png"))

    rngd = np.random.default_rng(0)
    W = lattice_graph(50, 50, 1e5)
    lab = rngd.choice(2500, 100, replace=False)
    D = LabelPropagation(W, lab, 10.0 * rngd.standard_normal(100))
    graph_curves(D, "D: lattice 50x50 label propagation", os.path.join(args.out, "bcd_rules_D_lattice.png"),
                 lattice=True)

    from sklearn.datasets import make_moons
    from sklearn.neighbors import kneighbors_graph
    Z, lbl = make_moons(2000, noise=0.1, random_state=0)
    G = kneighbors_graph(Z, 5, include_self=False)
    G = ((G + G.T) > 0).astype(float)
    lab = rngd.choice(2000, 100, replace=False)
    E = LabelPropagation(G, lab, 2.0 * lbl[lab] - 1.0)
    graph_curves(E, "E: two-moons 5-NN label propagation", os.path.join(args.out, "bcd_rules_E_moons.png"))


def graph_curves(P, title, path, iters=100, lattice=False):
    fs = P.fun(P.solution())
    c = {
        **({"lattice combs (2 trees), exact": run(P, iters, partition="comb", update="hb")} if lattice else {}),
        "tree partition (forests), exact": run(P, iters, partition="forest", update="hb"),
        "greedy GSL forest, exact": run(P, iters, partition="variable-forest", rule="gsl", update="hb"),
        "red-black, exact": run(P, iters, partition="redblack", update="hb"),
        f"GS tau={round(P.n ** (1 / 3))}, exact": run(P, iters, partition="variable", rule="gs", update="hb",
                                                      block_size=round(P.n ** (1 / 3))),
        f"GSL tau={round(P.n ** (1 / 3))}, Lb": run(P, iters, partition="variable", rule="gsl",
                                                    block_size=round(P.n ** (1 / 3))),
    }
    table(c, fs, title)
    plot(c, fs, title, path)


if __name__ == "__main__":
    main()
