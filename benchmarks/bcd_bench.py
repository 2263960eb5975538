"""Time to a duality gap of 1e-6: numopt's ``bcd`` against scikit-learn, skglm and celer.

Lasso (``1/(2N)||Xw - y||^2 + alpha ||w||_1``) and L1-logistic regression
(``1/N sum log(1 + exp(-y x^T w)) + alpha ||w||_1``), no intercept, ``alpha = frac * alpha_max``,
on the LIBSVM sets of ``$NUMOPT_DATA/libsvm``, scikit-learn's breast-cancer data standardized,
and a correlated dense design (1000 x 2000, Toeplitz correlation 0.8, 100 active features).

Protocol (every tool the same way, in one process):

1. Tolerance search: each tool (numopt included) is fitted with the tolerances 1e-3, 1e-4, ...
   (loosest first; numopt's ``gap_tol``, the references' ``tol``), after one warm-up fit; the
   first tolerance whose solution has a duality gap ``<= 1e-6`` under **one common certificate**
   (the problem's own ``Lasso.duality_gap`` / ``LogisticRegression.duality_gap``, computed
   here from the returned coefficients) is kept, i.e. every tool is credited with the best
   tolerance in hindsight.
2. ``numopt default`` is ``numopt.minimize(problem, method="bcd")`` with no options at all
   (the working-set engine, relative gap 1e-10: it over-delivers; its gap is reported).
3. Timing: ``--repeat`` rounds, each round fits every tool once, in turn (interleaved, so
   machine-load drifts hit all tools alike); the median per tool is reported with the ratio
   to the fastest reference (scikit-learn, skglm, celer).

``--extended`` runs the issue's further rows instead: dense iid and Toeplitz (rho 0.6, 0.9)
1000 x 5000 designs, an rcv1-like sparse design (``--rcv1 rows,columns,density``), Lasso at
``alpha_max / 1000`` on the LIBSVM sets and a 20-alpha Lasso path with every tool's warm start.
``--gap`` changes the target gap (1e-8: the issue's second accuracy).

Set ``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1`` (the command in docs/benchmarks/bcd.md does).

Example::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMOPT_DATA=/work/shared/data \\
        python benchmarks/bcd_bench.py --repeat 5
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import scipy.sparse as sp

GAP = 1e-6
TOLS = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-12, 1e-14]
REFERENCES = ("sklearn", "sklearn-liblinear", "skglm", "celer")


def load(name):
    from sklearn.datasets import load_svmlight_file
    root = os.environ.get("NUMOPT_DATA")
    if not root:
        raise SystemExit("set NUMOPT_DATA (e.g. /work/shared/data)")
    X, y = load_svmlight_file(os.path.join(root, "libsvm", name))
    X = sp.csc_matrix(X)
    X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
    if set(np.unique(y)) == {2.0, 4.0}:
        y = np.where(y > 3, 1.0, -1.0)
    return X, y


def breast_cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler
    d = load_breast_cancer()
    return np.asfortranarray(StandardScaler().fit_transform(d.data)), 2.0 * d.target - 1.0


def correlated(n=1000, p=2000, rho=0.8, k=100, seed=0):
    """Toeplitz-correlated Gaussian design (corr(x_i, x_j) = rho^|i-j|), k active features."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho ** 2) * X[:, j]
    w = np.zeros(p)
    w[rng.choice(p, k, replace=False)] = rng.standard_normal(k)
    z = X @ w
    return np.asfortranarray(X), z + 0.5 * np.std(z) * rng.standard_normal(n)


def numopt_tools(problem, plain=True):
    import numopt

    def fit(opts):
        return lambda: numopt.minimize(problem, np.zeros(problem.n), method="bcd", options=opts).x
    tools = {
        "numopt default": (lambda tol: (lambda: numopt.minimize(problem, method="bcd").x), [None]),
        "numopt working-set (gap_tol)": (lambda tol: fit(dict(gap_tol=tol, maxiter=10000)), TOLS),
    }
    if plain:
        tools["numopt plain cyclic + working_set=10"] = (
            lambda tol: fit(dict(engine="plain", working_set=10, gap_tol=tol, maxiter=100000, maxtime=10.0)),
            [1e-8])
    return tools


def lasso_tools(X, y, alpha):
    from sklearn.linear_model import Lasso as SkLasso
    import celer
    import skglm
    return {
        "sklearn": (lambda tol: (lambda: SkLasso(alpha=alpha, fit_intercept=False, tol=tol, max_iter=100000)
                                 .fit(X, y).coef_.copy()), TOLS),
        "skglm": (lambda tol: (lambda: skglm.Lasso(alpha=alpha, fit_intercept=False, tol=tol)
                               .fit(X, y).coef_.copy()), TOLS),
        "celer": (lambda tol: (lambda: celer.Lasso(alpha=alpha, fit_intercept=False, tol=tol)
                               .fit(X, y).coef_.copy()), TOLS),
    }


def logistic_tools(X, y, alpha):
    from sklearn.linear_model import LogisticRegression as SkLR
    import celer
    import skglm
    C = 1.0 / (alpha * X.shape[0])
    Xr = sp.csr_matrix(X) if sp.issparse(X) else X        # liblinear's native layout
    return {
        "sklearn-liblinear": (lambda tol: (lambda: SkLR(penalty="l1", C=C, solver="liblinear", fit_intercept=False,
                                                        tol=tol, max_iter=100000).fit(Xr, y).coef_.ravel().copy()),
                              TOLS),
        "skglm": (lambda tol: (lambda: skglm.SparseLogisticRegression(alpha=alpha, fit_intercept=False, tol=tol,
                                                                      max_iter=100).fit(X, y).coef_.ravel().copy()),
                  TOLS),
        "celer": (lambda tol: (lambda: celer.LogisticRegression(C=C, tol=tol, fit_intercept=False)
                               .fit(X, y).coef_.ravel().copy()), TOLS),
    }


def iid(n=1000, p=5000, k=50, seed=0):
    """iid Gaussian design, k active features, noise at half the signal's std."""
    rng = np.random.default_rng(seed)
    X = np.asfortranarray(rng.standard_normal((n, p)))
    w = np.zeros(p)
    w[rng.choice(p, k, replace=False)] = rng.standard_normal(k)
    z = X @ w
    return X, z + 0.5 * np.std(z) * rng.standard_normal(n)


def rcv1_like(n=20000, p=50000, density=0.002, k=200, seed=0):
    """Sparse design of rcv1's shape (nonnegative tf-idf-like entries, rows normalized), k active."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=density, format="csr", random_state=rng,
                  data_rvs=lambda m: rng.exponential(1.0, m))
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    X = sp.csc_matrix(sp.diags(1.0 / norms) @ X)
    X.indices, X.indptr = X.indices.astype(np.int32), X.indptr.astype(np.int32)
    w = np.zeros(p)
    w[rng.choice(p, k, replace=False)] = rng.standard_normal(k)
    z = X @ w
    return X, z + 0.5 * np.std(z) * rng.standard_normal(n)


class PathProblem:
    """A regularization path as one 'problem': its gap is the largest gap along the path."""

    def __init__(self, problems):
        self.problems = problems

    def duality_gap(self, W):
        return max(float(P.duality_gap(w)) for P, w in zip(self.problems, W))


def path_tools(X, y, alphas, problems):
    """Lasso along ``alphas`` (decreasing) with warm starts, every tool through its own warm-start API."""
    import numopt
    from sklearn.linear_model import Lasso as SkLasso
    import celer
    import skglm

    def numopt_path(opts):
        def run():
            w, out = np.zeros(X.shape[1]), []
            for P in problems:
                w = numopt.minimize(P, w, method="bcd", options=opts).x
                out.append(w)
            return out
        return run

    def ref_path(make):
        def run():
            est, out = make(), []
            for a in alphas:
                est.set_params(alpha=a)
                out.append(est.fit(X, y).coef_.ravel().copy())
            return out
        return run
    return {
        "numopt default": (lambda tol: numopt_path({}), [None]),
        "numopt working-set (gap_tol)": (lambda tol: numopt_path(dict(gap_tol=tol, maxiter=10000)), TOLS),
        "sklearn": (lambda tol: ref_path(lambda: SkLasso(alpha=alphas[0], fit_intercept=False, tol=tol,
                                                         max_iter=100000, warm_start=True)), TOLS),
        "skglm": (lambda tol: ref_path(lambda: skglm.Lasso(alpha=alphas[0], fit_intercept=False, tol=tol,
                                                           warm_start=True)), TOLS),
        "celer": (lambda tol: ref_path(lambda: celer.Lasso(alpha=alphas[0], fit_intercept=False, tol=tol,
                                                           warm_start=True)), TOLS),
    }


def search(problem, make, tols):
    """First tolerance (loosest first) whose fit reaches the gap: (fit, gap, tol), or (None, gap, None)."""
    gap = np.nan
    for k, tol in enumerate(tols):
        fit = make(tol)
        if k == 0:
            fit()                                   # warm-up (compilation, caches)
        w = fit()
        gap = float(problem.duality_gap(w))
        if gap <= GAP:
            return fit, gap, tol
    return None, gap, None


def run_case(label, problem, tools, repeat, rows):
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (make, tols) in tools.items():
            found[name] = search(problem, make, tols)
        times = {name: [] for name in tools}
        for _ in range(repeat):                     # interleaved rounds
            for name, (fit, gap, tol) in found.items():
                if fit is None:
                    continue
                t = time.perf_counter()
                w = fit()
                times[name].append(time.perf_counter() - t)
                found[name] = (fit, float(problem.duality_gap(w)), tol)
    med = {k: float(np.median(v)) if v else np.nan for k, v in times.items()}
    refs = [med[k] for k in tools if k in REFERENCES and np.isfinite(med[k])]
    best = min(refs) if refs else np.nan
    for name in tools:
        _, gap, tol = found[name]
        rows.append((label, name, med[name], gap, tol, med[name] / best))
        print(f"{label:44s} {name:38s} {med[name]:9.4f}s gap={gap:.1e} tol={tol!s:8s} "
              f"ratio={rows[-1][-1]:.2f}", flush=True)


def design_cases(label, X, y, fracs, logistic=True):
    """Lasso at ``frac * alpha_max`` and L1-logistic (labels ``sign(y - median y)``) on one design."""
    from numopt.problems import Lasso, LogisticRegression
    out = []
    N = X.shape[0]
    amax = np.max(np.abs(X.T @ y)) / N
    for frac in fracs:
        out.append((f"lasso {label} {frac}amax", lambda a=frac * amax: (Lasso(X, y, a), "lasso", X, y, a)))
    if logistic:
        yl = np.where(y > np.median(y), 1.0, -1.0)
        amaxl = np.max(np.abs(X.T @ yl)) / (2 * N)
        for frac in fracs:
            out.append((f"l1-logistic {label} {frac}amax",
                        lambda a=frac * amaxl: (LogisticRegression(X, yl, "l1", a), "log", X, yl, a)))
    return out


def extended_cases():
    """The issue's further rows: dense iid and Toeplitz-correlated 1000 x 5000, an rcv1-like sparse design,
    alpha_max / 1000 on the LIBSVM sets, and a 20-alpha Lasso path with warm starts."""
    from numopt.problems import Lasso
    out = []
    X, y = iid()
    out += design_cases("iid 1000x5000", X, y, (0.1, 0.01))
    for rho in (0.6, 0.9):
        X, y = correlated(1000, 5000, rho=rho)
        out += design_cases(f"toeplitz 1000x5000 rho={rho}", X, y, (0.1, 0.01))
    X, y = rcv1_like(*RCV1)
    out += design_cases(f"rcv1-like {X.shape[0]}x{X.shape[1]} d=0.2%", X, y, (0.1, 0.01))
    for name in ["heart_scale", "breast-cancer_scale", "german.numer", "a9a.t", "w8a"]:
        X, y = load(name)
        amax = np.max(np.abs(X.T @ y)) / X.shape[0]
        out.append((f"lasso {name} 0.001amax", lambda X=X, y=y, a=1e-3 * amax: (Lasso(X, y, a), "lasso", X, y, a)))
    for name, (X, y) in (("a9a.t", load("a9a.t")), ("iid 1000x5000", iid())):
        amax = np.max(np.abs(X.T @ y)) / X.shape[0]
        alphas = amax * np.geomspace(1.0, 0.01, 21)[1:]
        out.append((f"lasso path {name} 20 alphas to 0.01amax",
                    lambda X=X, y=y, al=alphas: (PathProblem([Lasso(X, y, a) for a in al]), "path", X, y, al)))
    return out


#: the rcv1-like design's (rows, columns, density); --rcv1 changes it
RCV1 = (20000, 50000, 0.002)


def cases(quick):
    from numopt.problems import Lasso, LogisticRegression
    out = []
    sets = ["heart_scale", "breast-cancer_scale"] if quick else \
        ["heart_scale", "breast-cancer_scale", "german.numer", "a9a.t", "w8a"]
    for name in sets:
        X, y = load(name)
        N = X.shape[0]
        amax = np.max(np.abs(X.T @ y)) / N
        for frac in (0.1, 0.01):
            out.append((f"lasso {name} {frac}amax", lambda X=X, y=y, a=frac * amax: (Lasso(X, y, a), "lasso", X, y, a)))
        for frac in (0.1, 0.01):
            out.append((f"l1-logistic {name} {frac}amax",
                        lambda X=X, y=y, a=frac * amax / 2: (LogisticRegression(X, y, "l1", a), "log", X, y, a)))
    X, y = breast_cancer()
    amax = np.max(np.abs(X.T @ y)) / (2 * X.shape[0])
    for frac in (0.1, 0.01):
        out.append((f"l1-logistic breast cancer std {frac}amax",
                    lambda X=X, y=y, a=frac * amax: (LogisticRegression(X, y, "l1", a), "log", X, y, a)))
    X, y = correlated(500, 1000) if quick else correlated()
    amax = np.max(np.abs(X.T @ y)) / X.shape[0]
    for frac in (0.1, 0.01):
        out.append((f"lasso correlated {X.shape[0]}x{X.shape[1]} rho=0.8 {frac}amax",
                    lambda X=X, y=y, a=frac * amax: (Lasso(X, y, a), "lasso", X, y, a)))
    return out


def main(argv=None):
    global GAP, RCV1
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="interleaved rounds (median)")
    ap.add_argument("--quick", action="store_true", help="small cases only")
    ap.add_argument("--only", default="", help="run the cases whose label contains this string")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain-engine column (slow)")
    ap.add_argument("--extended", action="store_true",
                    help="the further rows (dense iid / Toeplitz 1000x5000, rcv1-like, 0.001 alpha_max, paths)")
    ap.add_argument("--gap", type=float, default=GAP, help="target duality gap (default 1e-6)")
    ap.add_argument("--rcv1", default="20000,50000,0.002", help="rcv1-like design: rows,columns,density")
    args = ap.parse_args(argv)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    GAP = args.gap
    n, p, d = args.rcv1.split(",")
    RCV1 = (int(n), int(p), float(d))
    print(f"target gap {GAP:g}", flush=True)
    rows = []
    for label, build in (extended_cases() if args.extended else cases(args.quick)):
        if args.only and not any(o in label for o in args.only.split("|")):
            continue
        problem, kind, X, y, alpha = build()
        if kind == "path":
            tools = path_tools(X, y, alpha, problem.problems)
        else:
            tools = numopt_tools(problem, plain=not args.no_plain)
            tools.update((lasso_tools if kind == "lasso" else logistic_tools)(X, y, alpha))
        run_case(label, problem, tools, args.repeat, rows)
    print(f"load average at end: {os.getloadavg()}")
    print(f"\n| problem | solver | time to gap {GAP:g} (s) | gap reached | tol used | time / best reference |")
    print("|---|---|---|---|---|---|")
    for label, name, t, gap, tol, ratio in rows:
        ts = f"{t:.4f}" if np.isfinite(t) else f"not reached (gap {gap:.1e})"
        print(f"| {label} | {name} | {ts} | {gap:.1e} | {tol} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
