r"""DAG structure learning from data, on numopt's ``topo`` and ``notears`` methods.

>>> import numpy as np, numopt.dag as nd
>>> B = nd.simulate_dag(6, 6, "ER", seed=0)
>>> W_true = nd.simulate_parameter(B, seed=0)
>>> X = nd.simulate_sem(W_true, 1000, "gauss", seed=0)
>>> W = nd.topo(X)                         # weighted adjacency matrix, always a DAG
>>> nd.is_dag(W), nd.count_accuracy(B, W != 0)["shd"] <= 2
(True, True)

* :func:`topo` and :func:`notears` return a weighted adjacency matrix ``W`` (``W[i, j]``: the
  edge ``i -> j``) that is guaranteed acyclic, thresholded at ``w_threshold``; :func:`solve`
  returns the full :class:`~numopt.OptimizeResult` (``res.W``, ``res.order``, ``res.fun``, ...)
  of ``numopt.minimize(DAGScore(...), method=...)``.
* The least-squares score is centered first (no intercepts in the regressions); it is **not
  scale-invariant**: ``standardize=True`` rescales every variable to unit variance.
  Simulated equal-variance SEMs are *varsortable* (Reisach, Seiler, Weichwald, NeurIPS 2021):
  sorting the marginal variances (:func:`sortnregress`) already recovers much of the graph.
  :func:`varsortability` measures it, and :func:`topo` / :func:`notears` warn
  (:class:`VarsortabilityWarning`) when the learned graph on raw data orders the variables by
  increasing variance almost everywhere.
* Simulation (:func:`simulate_dag`, :func:`simulate_parameter`, :func:`simulate_sem`) and
  metrics (:func:`count_accuracy`: SHD, TPR, FDR, FPR, number of edges) follow the NOTEARS
  conventions (Zheng et al. 2018), re-derived here.

References: C. Deng, K. Bello, B. Aragam, P. Ravikumar, ICML 2023 (TOPO); X. Zheng, B. Aragam,
P. Ravikumar, E. Xing, NeurIPS 2018 (NOTEARS); A. Reisach, C. Seiler, S. Weichwald, NeurIPS 2021.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from .solvers.dag.graph import check_square, is_dag, small_blas, threshold_till_dag, topological_order

__all__ = ["solve", "topo", "notears", "sortnregress", "simulate_dag", "simulate_parameter", "simulate_sem",
           "count_accuracy", "varsortability", "is_dag", "topological_order", "threshold_till_dag",
           "VarsortabilityWarning", "ConvergenceWarning"]

_SEMS = ("gauss", "exp", "gumbel", "uniform", "logistic")


class VarsortabilityWarning(UserWarning):
    """The learned graph follows the marginal variances of unstandardized data (see the module docstring)."""


class ConvergenceWarning(RuntimeWarning):
    """The DAG solver did not end with ``CONVERGED`` (its last acyclic iterate is returned)."""


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _int(value, name, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


# ---------------------------------------------------------------------------------------
# simulation
# ---------------------------------------------------------------------------------------
def simulate_dag(d: int, s0: int, graph_type: str = "ER", seed=None) -> np.ndarray:
    """A random DAG as a 0/1 matrix ``B`` (``B[i, j] = 1``: edge ``i -> j``).

    ``"ER"``: ``s0`` edges (exactly, capped at ``d(d-1)/2``) drawn uniformly among the pairs,
    oriented along a random order. ``"SF"``: Barabasi-Albert preferential attachment with
    ``m = round(s0 / d)`` edges per new node, directed from the new node to the older ones,
    then randomly relabelled (NOTEARS' convention).
    """
    d = _int(d, "d", 2)
    s0 = _int(s0, "s0", 0)
    rng = _rng(seed)
    B = np.zeros((d, d))
    if graph_type == "ER":
        pairs = np.array(np.triu_indices(d, 1)).T
        pick = rng.choice(len(pairs), size=min(s0, len(pairs)), replace=False)
        B[pairs[pick, 0], pairs[pick, 1]] = 1.0
    elif graph_type == "SF":
        m = max(1, int(round(s0 / d)))
        degree = np.zeros(d)
        for k in range(1, d):
            weights = degree[:k] + 1.0
            targets = rng.choice(k, size=min(m, k), replace=False, p=weights / weights.sum())
            B[k, targets] = 1.0                    # new -> old
            degree[targets] += 1
            degree[k] += len(targets)
    else:
        raise ValueError(f"graph_type must be 'ER' or 'SF', got {graph_type!r}")
    perm = rng.permutation(d)
    return B[np.ix_(perm, perm)]


def simulate_parameter(B, w_ranges=((-2.0, -0.5), (0.5, 2.0)), seed=None) -> np.ndarray:
    """Edge weights for the DAG ``B``: uniform in one of ``w_ranges`` (chosen uniformly)."""
    B = check_square(B, "B")
    rng = _rng(seed)
    W = np.zeros_like(B)
    which = rng.integers(len(w_ranges), size=B.shape)
    for k, (lo, hi) in enumerate(w_ranges):
        W += (B != 0) * (which == k) * rng.uniform(lo, hi, size=B.shape)
    return W


def simulate_sem(W, n: int, sem_type: str = "gauss", noise_scale=1.0, seed=None) -> np.ndarray:
    r"""``n`` samples of the linear SEM ``x_j = X[:, pa(j)] W[pa(j), j] + z_j`` on the DAG ``W``.

    ``sem_type``: ``"gauss"``, ``"exp"``, ``"gumbel"``, ``"uniform"`` (additive noise with scale
    ``noise_scale``, a scalar or one per node) or ``"logistic"`` (binary
    ``x_j ~ Bernoulli(sigmoid(X[:, pa(j)] W[pa(j), j]))``).
    """
    W = check_square(W, "W")
    n = _int(n, "n", 1)
    if sem_type not in _SEMS:
        raise ValueError(f"sem_type must be one of {', '.join(map(repr, _SEMS))}, got {sem_type!r}")
    order = topological_order(W)
    if order is None:
        raise ValueError("W must be acyclic (a DAG) to simulate a SEM")
    d = W.shape[0]
    scale = np.broadcast_to(np.asarray(noise_scale, dtype=float), (d,))
    rng = _rng(seed)
    X = np.zeros((n, d))
    for j in order:
        eta = X @ W[:, j]
        if sem_type == "gauss":
            X[:, j] = eta + scale[j] * rng.standard_normal(n)
        elif sem_type == "exp":
            X[:, j] = eta + rng.exponential(scale[j], n)
        elif sem_type == "gumbel":
            X[:, j] = eta + rng.gumbel(0.0, scale[j], n)
        elif sem_type == "uniform":
            X[:, j] = eta + rng.uniform(-scale[j], scale[j], n)
        else:
            X[:, j] = (rng.random(n) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    return X


# ---------------------------------------------------------------------------------------
# metrics and diagnostics
# ---------------------------------------------------------------------------------------
def count_accuracy(B_true, B_est) -> dict:
    """Structural accuracy of ``B_est`` against ``B_true`` (both read as ``!= 0``), NOTEARS' way.

    Returns ``fdr`` ((reversed + false) / predicted), ``tpr`` (true / true edges), ``fpr``
    ((reversed + false) / non-edges of the true skeleton), ``shd`` (extra + missing skeleton
    edges + reversed edges: a reversed edge counts once) and ``nnz`` (predicted edges).
    ``B_est`` must be a DAG.
    """
    Bt = check_square(B_true, "B_true") != 0
    Be = check_square(B_est, "B_est") != 0
    if Bt.shape != Be.shape:
        raise ValueError(f"B_true and B_est must have the same shape, got {Bt.shape} and {Be.shape}")
    if not is_dag(Be):
        raise ValueError("B_est must be a DAG (use threshold_till_dag first)")
    d = Bt.shape[0]
    true_pos = Be & Bt
    reverse = Be & ~Bt & Bt.T
    false_pos = Be & ~Bt & ~Bt.T
    pred = int(Be.sum())
    cond = int(Bt.sum())
    skel_t, skel_e = np.triu(Bt | Bt.T, 1), np.triu(Be | Be.T, 1)
    shd = int((skel_e & ~skel_t).sum() + (skel_t & ~skel_e).sum() + reverse.sum())
    cond_neg = 0.5 * d * (d - 1) - cond
    return {"fdr": float((reverse.sum() + false_pos.sum()) / max(pred, 1)),
            "tpr": float(true_pos.sum() / max(cond, 1)),
            "fpr": float((reverse.sum() + false_pos.sum()) / max(cond_neg, 1)),
            "shd": shd, "nnz": pred}


def varsortability(X, W, tol: float = 1e-9) -> float:
    """Fraction of directed paths of ``W`` (counted with multiplicity, all lengths) along which
    the marginal variance of ``X`` increases (ties count 1/2); Reisach et al. 2021.

    1 means sorting by variance recovers the order exactly; about 0.5 is uninformative.
    ``nan`` for a graph without edges.
    """
    X = np.asarray(X, dtype=float)
    E = (check_square(W, "W") != 0).astype(float)
    if X.ndim != 2 or X.shape[1] != E.shape[0]:
        raise ValueError(f"X must have {E.shape[0]} columns (one per node of W), got shape {X.shape}")
    var = X.var(axis=0)
    ratio = var[None, :] / np.maximum(var[:, None], np.finfo(float).tiny)    # child / parent
    up = (ratio > 1 + tol) + 0.5 * ((ratio <= 1 + tol) & (ratio > 1 - tol))
    Ek = E.copy()
    paths = score = 0.0
    with small_blas(E.shape[0]):
        for _ in range(E.shape[0] - 1):
            paths += Ek.sum()
            score += (Ek * up).sum()
            Ek = Ek @ E
            if not Ek.any():
                break
    return float(score / paths) if paths > 0 else float("nan")


# ---------------------------------------------------------------------------------------
# learning
# ---------------------------------------------------------------------------------------
def _prepare(X, score, standardize):
    from .problems.dag import _as_data
    X = _as_data(X)
    if score == "l2":
        X = X - X.mean(axis=0)
        if standardize:
            sd = X.std(axis=0)
            if np.any(sd == 0):
                raise ValueError(f"X has constant columns {np.flatnonzero(sd == 0).tolist()}: "
                                 "they cannot be standardized")
            X = X / sd
    elif standardize:
        raise ValueError("standardize=True applies to score='l2' only (logistic data are binary)")
    return X


def _init_x0(init, d):
    if init is None:
        return None, None
    arr = np.asarray(init)
    if arr.ndim == 1:
        return None, arr                       # an order (validated by the solver)
    W0 = check_square(init, "init")
    if W0.shape != (d, d):
        raise ValueError(f"init must be an order of length {d} or a ({d}, {d}) matrix, got shape {W0.shape}")
    return W0.ravel(), None


def solve(X, method: str = "topo", *, score: str = "l2", lambda1: float = 0.0, lambda2: float = 0.0,
          init=None, standardize: bool = False, maxiter: int | None = None, callback=None,
          options: dict | None = None):
    """Learn a DAG and return the :class:`~numopt.OptimizeResult` of ``method``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Data (centered here for ``score="l2"``).
    method : {"topo", "notears"}
    score, lambda1, lambda2
        As in :class:`numopt.problems.DAGScore`.
    init : array_like, optional
        Warm start: a topological order (length ``d``, ``topo`` only) or a ``(d, d)`` weighted
        adjacency matrix (e.g. a NOTEARS or DAGMA result; cyclic matrices are accepted).
    standardize : bool
        Rescale each variable to unit variance first (``score="l2"``).
    maxiter, callback, options
        As in :func:`numopt.minimize` (``numopt.show_options("topo")``).
    """
    from ._minimize import minimize
    from .problems.dag import DAGScore
    if method not in ("topo", "notears"):
        raise ValueError(f"method must be 'topo' or 'notears', got {method!r}")
    X = _prepare(X, score, standardize)
    problem = DAGScore(X, score=score, lambda1=lambda1, lambda2=lambda2)
    x0, order = _init_x0(init, problem.d)
    opts = dict(options or {})
    if order is not None:
        if method != "topo":
            raise ValueError("init as an order is for method='topo'; give notears a (d, d) matrix")
        opts["order"] = order
    if maxiter is not None:
        opts["maxiter"] = maxiter
    res = minimize(problem, x0, method=method, callback=callback, options=opts)
    res["problem"] = problem
    return res


def _finish(res, X, w_threshold, standardize, warn, refit=False):
    if not (isinstance(w_threshold, numbers.Real) and w_threshold >= 0):
        raise ValueError(f"w_threshold must be a number >= 0, got {w_threshold!r}")
    if not isinstance(refit, (bool, np.bool_)):
        raise TypeError(f"refit must be True or False, got {type(refit).__name__} {refit!r}")
    W = np.where(np.abs(res.W) >= w_threshold, res.W, 0.0)
    assert is_dag(W)
    if refit:
        W = res.problem.refit(W)
    if warn and not res.success:
        warnings.warn(f"numopt.dag.{res.method}: {res.message}", ConvergenceWarning, stacklevel=3)
    if warn and not standardize and res.problem.score == "l2" and np.count_nonzero(W) > 0:
        v = varsortability(res.problem.X, W)
        if v >= 0.9:
            warnings.warn(f"the learned graph orders the variables by increasing marginal variance on "
                          f"{100 * v:.0f}% of its paths (varsortability {v:.2f}): on unstandardized data "
                          "the result may reflect the scales of the variables rather than the causal order "
                          "(Reisach et al. 2021); compare standardize=True and sortnregress(X)",
                          VarsortabilityWarning, stacklevel=3)
    return W


def topo(X, *, score: str = "l2", lambda1: float = 0.0, lambda2: float = 0.0, init=None,
         standardize: bool = False, w_threshold: float = 0.3, refit: bool = False, size_small: int | None = None,
         size_large: int | None = None, n_large: int = 1, starts: str = "var,greedy", restarts: int | None = None,
         seed: int | None = 0, maxiter: int | None = None, options: dict | None = None,
         warn: bool = True) -> np.ndarray:
    """The TOPO estimate: a weighted adjacency matrix (a DAG) thresholded at ``w_threshold``.

    ``size_small``/``size_large``/``n_large``: the candidate-set sizes and the number of larger
    searches (defaults ``min(3d, d(d-1)/2)``, ``min(12d, d(d-1)/2)``, 1). The search descends
    from the first order (``init``, else a random order drawn with ``seed``), then from the
    extra ``starts`` (``"var"``: increasing variance, ``"greedy"``: top-down least residual
    variance) and from ``restarts`` perturbations of the best order so far (default 10 for
    least squares without l1, else 2), and keeps the best; ``starts="", restarts=0`` is the
    single-descent reference algorithm. A warm start from another method's output
    (``init=W``) makes ``topo`` a post-processor that never increases that matrix's refitted
    score. ``refit=True`` refits the weights on the support left after thresholding
    (:meth:`numopt.problems.DAGScore.refit`: least squares on the parents, or logistic).
    See :func:`solve` for the other arguments and the full result.
    """
    opts = {"size_small": size_small, "size_large": size_large, "n_large": n_large, "seed": seed,
            "starts": starts, "restarts": restarts, **(options or {})}
    opts = {k: v for k, v in opts.items() if v is not None or k == "seed"}
    res = solve(X, "topo", score=score, lambda1=lambda1, lambda2=lambda2, init=init,
                standardize=standardize, maxiter=maxiter, options=opts)
    return _finish(res, X, w_threshold, standardize, warn, refit)


def notears(X, *, score: str = "l2", lambda1: float = 0.1, lambda2: float = 0.0, init=None,
            standardize: bool = False, w_threshold: float = 0.3, refit: bool = False, h: str = "expm",
            maxiter: int | None = None, options: dict | None = None, warn: bool = True) -> np.ndarray:
    """The NOTEARS estimate (augmented Lagrangian, Zheng et al. 2018), thresholded at
    ``w_threshold`` and cut to a DAG if a cycle survives the threshold. ``lambda1 = 0.1`` is
    the reference code's default. ``refit=True`` refits the weights on the support left after
    thresholding, without the penalty (:meth:`numopt.problems.DAGScore.refit`), which removes
    the l1 shrinkage. See :func:`solve` for the other arguments."""
    opts = {"w_threshold": w_threshold, "h": h, **(options or {})}
    res = solve(X, "notears", score=score, lambda1=lambda1, lambda2=lambda2, init=init,
                standardize=standardize, maxiter=maxiter, options=opts)
    return _finish(res, X, w_threshold, standardize, warn, refit)


def sortnregress(X, *, lambda1: float = 0.0, w_threshold: float = 0.3) -> np.ndarray:
    """The sort-and-regress baseline (Reisach et al. 2021): order the variables by increasing
    marginal variance, regress each on its predecessors (least squares, l1 weight ``lambda1``),
    threshold at ``w_threshold``. Good scores from it mean the data are varsortable."""
    from .problems.dag import DAGScore
    from .solvers.dag.topo import fit_order
    X = _prepare(X, "l2", False)
    order = np.argsort(X.var(axis=0), kind="stable")
    W, _ = fit_order(DAGScore(X, lambda1=lambda1), order)
    return np.where(np.abs(W) >= w_threshold, W, 0.0)
