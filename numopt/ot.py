"""Entropic optimal transport as a drop-in for POT's ``ot.sinkhorn`` family, on numopt's solvers.

>>> import numpy as np, numopt.ot
>>> a = b = np.full(3, 1 / 3)
>>> M = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0], [2.0, 1.0, 0.0]])
>>> P = numopt.ot.sinkhorn(a, b, M, 0.05, method="sns")
>>> bool(np.allclose(P.sum(1), a, atol=1e-9) and P[0, 0] > 0.3)
True

POT's contract (``ot.sinkhorn``, ``ot.sinkhorn2`` and ``ot.bregman``'s ``sinkhorn_knopp``,
``sinkhorn_log``, ``greenkhorn``, ``sinkhorn_stabilized``, ``sinkhorn_epsilon_scaling``): the same
positional order and keywords, the same return values (the plan; ``<M, P>`` for
:func:`sinkhorn2`; ``(result, log)`` with POT's log keys when ``log=True``; one value per column
for a batched ``b`` of shape ``(n, k)``), ``a=[]``/``b=[]`` for uniform weights, the dtype of
``M`` kept (float32 in, float32 out; numopt computes in float64), equal but non-unit masses,
``stopThr=0``, and :class:`ConvergenceWarning` (a ``UserWarning``, POT's class) when a run ends
before ``stopThr``. The deliberate differences are listed in docs/ot.md ("From POT"); the main
ones: ``stopThr`` bounds numopt's L1 marginal error ``||P1 - a||_1 + ||P^T 1 - b||_1`` (POT: the
L2 error of one marginal, a weaker test) except for ``greenkhorn`` (max violation, as POT);
``reg <= 0``, unequal masses and keywords no POT solver knows raise instead of returning a
meaningless plan.

numopt's extras: ``method="sns"`` (Sinkhorn-Newton-Sparse), the keywords ``callback`` and
``options`` (passed to :func:`numopt.minimize`), and :func:`solve`, which returns the full
:class:`~numopt.OptimizeResult` (plan, potentials, dual objective, marginal error, iteration counts).
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

__all__ = ["solve", "sinkhorn", "sinkhorn2", "sinkhorn_knopp", "sinkhorn_log", "greenkhorn",
           "sinkhorn_stabilized", "sinkhorn_epsilon_scaling", "ConvergenceWarning"]

#: POT's method name -> (numopt method, its options); "sns" is numopt's extra.
_POT_NAMES = {"sinkhorn": ("sinkhorn", {}), "sinkhorn_knopp": ("sinkhorn", {}),
              "sinkhorn_log": ("sinkhorn", {"mode": "log"}), "sinkhorn_stabilized": ("sinkhorn", {}),
              "sns": ("sns", {})}
#: methods of ``sinkhorn`` (POT's five plus numopt's "sns") and of ``sinkhorn2`` (POT's three plus "sns")
_SINKHORN_METHODS = ("sinkhorn", "sinkhorn_log", "greenkhorn", "sinkhorn_stabilized", "sinkhorn_epsilon_scaling",
                     "sns")
_SINKHORN2_METHODS = ("sinkhorn", "sinkhorn_log", "sinkhorn_stabilized", "sns")
_BATCHED_METHODS = ("sinkhorn", "sinkhorn_knopp", "sinkhorn_log", "sinkhorn_stabilized", "sns")
#: keywords of POT's sinkhorn solvers that only some methods use (the others ignore them, as POT)
_POT_KWARGS = {"tau", "print_period", "epsilon0", "numInnerItermax"}
#: the log keys POT returns per method (numopt adds 'marginal_error', 'status', 'message')
_LOG_KEYS = {
    "sinkhorn": ("err", "niter", "u", "v"),
    "sinkhorn_log": ("err", "niter", "log_u", "log_v", "u", "v"),
    "greenkhorn": ("u", "v", "n_iter"),
    "sinkhorn_stabilized": ("err", "n_iter", "logu", "logv", "alpha", "beta", "warmstart"),
    "sinkhorn_epsilon_scaling": ("err", "alpha", "beta", "warmstart", "niter"),
    "sns": ("err", "niter", "u", "v", "log_u", "log_v"),
}


class ConvergenceWarning(UserWarning):
    """The OT solver stopped before ``stopThr`` (a ``UserWarning``, the class POT uses)."""


def solve(a, b, M, reg, method: str = "sinkhorn", *, x0=None, tol: float | None = 1e-9, maxiter: int | None = None,
          callback=None, options: dict | None = None):
    """Solve the entropic OT problem and return the :class:`~numopt.OptimizeResult`.

    Parameters
    ----------
    a, b : array_like
        Positive marginals summing to 1.
    M : array_like, shape (len(a), len(b))
        Cost matrix.
    reg : float
        Entropic regularization (POT's ``reg``).
    method : str
        ``"sinkhorn"``, ``"sns"``, ``"sinkhorn_log"`` or ``"sinkhorn_stabilized"``.
    x0 : array_like, optional
        Starting dual potentials ``concat(f, g)`` in cost units (e.g. ``res.x`` of an earlier run).
    tol : float or None
        Marginal error ``||P1 - a||_1 + ||P^T 1 - b||_1`` at which to stop (the option ``ctol``;
        None: the method's default or ``options["ctol"]``, which may be 0).
    maxiter : int, optional
        Iteration cap (Sinkhorn sweeps plus Newton steps); default: the method's.
    callback, options
        As in :func:`numopt.minimize`.
    """
    from ._minimize import minimize
    from .problems.ot import EntropicOT
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    name, extra = _POT_NAMES.get(method.lower(), (method, {}))
    opts = {**extra, **(options or {})}
    if maxiter is not None:
        opts["maxiter"] = maxiter
    problem = EntropicOT(a, b, M, reg)
    return minimize(problem, x0, method=name, tol=tol, callback=callback, options=opts)


# --- input handling ------------------------------------------------------------------------
def _as_float_array(x, name):
    try:
        arr = np.asarray(x)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool or arr.size == 0):
            raise TypeError
        return arr
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of real numbers, got {type(x).__name__}") from None


def _inputs(a, b, M, batched_ok: bool):
    """``(a, b, M, dtype)``: float64 copies, ``[]`` -> uniform, shapes and masses checked with POT's names."""
    M = _as_float_array(M, "M")
    if M.ndim != 2 or M.size == 0:
        raise ValueError(f"M must be a non-empty 2-D cost matrix, got shape {M.shape}")
    dtype = M.dtype if M.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    M64 = np.ascontiguousarray(M, dtype=float)
    if not np.all(np.isfinite(M64)):
        raise ValueError("M must be finite, got nan or inf entries")
    n, m = M64.shape
    a_in = a = _as_float_array(a, "a")
    b_in = b = _as_float_array(b, "b")
    a = np.full(n, 1.0 / n) if a.size == 0 else np.asarray(a, dtype=float)
    b = np.full(m, 1.0 / m) if b.size == 0 else np.asarray(b, dtype=float)
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"a must have shape (M.shape[0],) = ({n},), got shape {a.shape}")
    if b.ndim == 2 and not batched_ok:
        raise ValueError(f"b of shape (dim_b, n_hists) needs one of the methods {', '.join(_BATCHED_METHODS)}; "
                         f"got shape {b.shape}")
    if b.ndim not in (1, 2) or b.shape[0] != m:
        raise ValueError(f"b must have shape (M.shape[1],) = ({m},) or ({m}, n_hists), got shape {b.shape}")
    # the least precise of the inputs' float dtypes sets how equal the masses must be
    eps = max(float(np.finfo(x.dtype).eps) if x.dtype in (np.float16, np.float32) else 0.0 for x in (a_in, b_in, M))
    mass_tol = max(1e-9, 100 * eps)
    cols = b.reshape(m, -1)
    for name, w in [("a", a)] + [("b" if cols.shape[1] == 1 else f"b[:, {k}]", cols[:, k])
                                 for k in range(cols.shape[1])]:
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            bad = np.flatnonzero(~(np.isfinite(w) & (w > 0)))[:5].tolist()
            raise ValueError(f"{name} must be finite and strictly positive (drop zero-mass points first), "
                             f"got {w[bad[0]]!r} at index {bad}")
        if abs(w.sum() - a.sum()) > mass_tol * a.sum():
            raise ValueError(f"a and {name} must have the same total mass (balanced OT; for unbalanced OT use "
                             f"ot.unbalanced), got sums {a.sum()!r} and {w.sum()!r}")
    b = b * (a.sum() / b.sum(0))          # equal masses to rounding (they differ within mass_tol at most)
    return a, b, M64, dtype


def _check_reg(reg):
    if isinstance(reg, (bool, np.bool_)) or not isinstance(reg, numbers.Real):
        raise TypeError(f"reg must be a positive real number, got {type(reg).__name__} {reg!r}")
    if not (np.isfinite(reg) and reg > 0):
        raise ValueError(f"reg must be a finite number > 0 (entropic OT; for reg = 0 use ot.emd), got {reg!r}")
    return float(reg)


def _check_common(numItermax, stopThr, kwargs):
    if isinstance(numItermax, (bool, np.bool_)) or not isinstance(numItermax, numbers.Integral) or numItermax < 0:
        raise ValueError(f"numItermax must be a non-negative integer, got {numItermax!r}")
    if isinstance(stopThr, (bool, np.bool_)) or not isinstance(stopThr, numbers.Real) or not stopThr >= 0:
        raise ValueError(f"stopThr must be a real number >= 0, got {stopThr!r}")
    unknown = set(kwargs) - _POT_KWARGS - {"callback", "options"}
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {', '.join(sorted(unknown))} (POT's sinkhorn solvers "
                        f"know {', '.join(sorted(_POT_KWARGS))}; numopt adds callback, options)")


def _warmstart_potentials(warmstart, reg, n, m, log_scalings: bool):
    """POT's warmstart as numopt potentials ``concat(f, g)`` in cost units (None: cold start)."""
    if warmstart is None:
        return None
    if not (isinstance(warmstart, (tuple, list)) and len(warmstart) == 2):
        raise TypeError("warmstart must be a pair of arrays (dual potentials), got "
                        f"{type(warmstart).__name__}")
    f, g = (np.asarray(w, dtype=float).reshape(-1) for w in warmstart)
    if f.shape != (n,) or g.shape != (m,):
        raise ValueError(f"warmstart must be arrays of shapes ({n},) and ({m},), got {f.shape} and {g.shape}")
    x0 = np.concatenate([f, g])
    if not np.all(np.isfinite(x0)):
        raise ValueError("warmstart must be finite")
    return x0 * reg if log_scalings else x0


# --- one histogram -------------------------------------------------------------------------
class _Run:
    """What one solve produced, in the caller's mass and dtype conventions."""

    def __init__(self, P, f, g, errs, niter, success, status, message, marginal_error):
        self.P, self.f, self.g, self.errs, self.niter = P, f, g, errs, niter
        self.success, self.status, self.message, self.marginal_error = success, status, message, marginal_error


def _numopt_run(a, b, M, reg, method, numItermax, stopThr, x0, verbose, kwargs):
    """One histogram through :func:`numopt.minimize` (``a``, ``b`` of equal mass ``mu``)."""
    name, extra = _POT_NAMES[method]
    opts = {**extra, "history": True, **(kwargs.get("options") or {}), "ctol": stopThr / float(a.sum())}
    if method == "sinkhorn_stabilized" and "tau" in kwargs:
        # POT's tau bounds |u|, |v|; numopt's absorb_threshold bounds |log u|, |log v|
        opts.setdefault("absorb_threshold", float(np.clip(np.log(max(float(kwargs["tau"]), 1.0)), 1.0, 600.0)))
    if verbose:
        opts["disp"] = True
    mu = float(a.sum())
    if x0 is not None:
        x0 = x0.copy()
        x0[:a.size] -= reg * np.log(mu)        # P = mu Q, Q the plan of the unit-mass problem
    res = solve(a / mu, b / b.sum(), M, reg, name, x0=x0, tol=None, maxiter=numItermax,
                callback=kwargs.get("callback"), options=opts)
    f, g = res.potentials
    f = f + reg * np.log(mu)
    errs = [mu * e for e in res.history.get("marginal_error", [])] if res.get("history") else []
    return _Run(mu * res.plan, f, g, errs, int(res.nit), bool(res.success), res.status_name, res.message,
                mu * float(res.marginal_error))


def _greenkhorn_run(a, b, M, reg, numItermax, stopThr, x0):
    from .solvers.ot import _kernels as kern
    n, m = M.shape
    f0, g0 = (np.zeros(n), np.zeros(m)) if x0 is None else (x0[:n], x0[n:])
    K = np.empty_like(M)
    kern.exp_kernel(M, np.ascontiguousarray(f0), np.ascontiguousarray(g0), reg, K)
    u, v = np.ones(n), np.ones(m)
    updates, viol, ok = kern.greenkhorn(K, a, b, u, v, int(numItermax), float(stopThr))
    with np.errstate(divide="ignore"):
        f, g = f0 + reg * np.log(u), g0 + reg * np.log(v)
    P = u[:, None] * K * v[None, :]
    err = float(np.abs(P.sum(1) - a).sum() + np.abs(P.sum(0) - b).sum())
    success = bool(ok and viol <= stopThr)
    status = "CONVERGED" if success else ("NUMERICAL_ERROR" if not ok else "MAXITER")
    message = ("max marginal violation <= stopThr" if success else
               "a row or column of the kernel exp(-M/reg) underflowed (use sinkhorn_log or a larger reg)"
               if not ok else f"{updates} greedy updates without reaching stopThr")
    return _Run(P, f, g, [float(viol)], int(updates), success, status, message, err)


def _epsilon_scaling_run(a, b, M, reg, numItermax, stopThr, x0, verbose, kwargs):
    """numopt's epsilon scaling: stabilized Sinkhorn at ``reg_k = max(reg, epsilon0 e^-k)``, warm-started.

    The intermediate stages run at most ``numInnerItermax`` sweeps each (to a loose 1e-3 marginal
    error); the last stage (``reg``) gets the remaining budget ``numInnerItermax * (numItermax - k)``
    and ``stopThr``.
    """
    epsilon0 = float(kwargs.get("epsilon0", 1e4))
    inner = int(kwargs.get("numInnerItermax", 100))
    inner_kwargs = {k: v for k, v in kwargs.items() if k in ("tau", "options")}
    mu = float(a.sum())
    k, total, errs = 0, 0, []
    while True:
        reg_k = max(reg, epsilon0 * np.exp(-k))
        final = reg_k <= reg * (1 + 1e-12) or k >= max(numItermax, 1) - 1
        reg_k = reg if final else reg_k
        budget = inner * max(1, numItermax - k) if final else inner
        run = _numopt_run(a, b, M, reg_k, "sinkhorn_stabilized", budget, stopThr if final else max(stopThr, 1e-3 * mu),
                          x0, verbose, inner_kwargs)
        x0 = np.concatenate([run.f, run.g])
        total += run.niter
        errs += run.errs
        k += 1
        if final:
            run.niter, run.errs = total, errs
            return run


def _one(a, b, M, reg, method, numItermax, stopThr, verbose, warn, warmstart, kwargs):
    n, m = M.shape
    x0 = _warmstart_potentials(warmstart, reg, n, m,
                               log_scalings=method not in ("sinkhorn_stabilized", "sinkhorn_epsilon_scaling"))
    if method == "greenkhorn":
        run = _greenkhorn_run(a, b, M, reg, numItermax, stopThr, x0)
    elif method == "sinkhorn_epsilon_scaling":
        run = _epsilon_scaling_run(a, b, M, reg, numItermax, stopThr, x0, verbose, kwargs)
    else:
        run = _numopt_run(a, b, M, reg, method, numItermax, stopThr, x0, verbose, kwargs)
    if not run.success and (warn or run.status in ("NUMERICAL_ERROR", "NAN_ENCOUNTERED")):
        warnings.warn(f"Sinkhorn did not converge ({method}: marginal error {run.marginal_error:.3e}, stopThr "
                      f"{stopThr:g}, {run.message}). You might want to increase the number of iterations "
                      "`numItermax` or the regularization parameter `reg`.", ConvergenceWarning, stacklevel=4)
    return run


def _log(method, run, reg, dtype):
    """POT's log dict for ``method`` (values in ``dtype``) plus numopt's certificate."""
    with np.errstate(over="ignore"):
        vals = {"err": [dtype.type(e) for e in run.errs], "niter": run.niter, "n_iter": run.niter,
                "log_u": (run.f / reg).astype(dtype), "log_v": (run.g / reg).astype(dtype),
                "u": np.exp(run.f / reg).astype(dtype), "v": np.exp(run.g / reg).astype(dtype),
                "alpha": run.f.astype(dtype), "beta": run.g.astype(dtype)}
    vals["logu"], vals["logv"] = vals["log_u"], vals["log_v"]
    vals["warmstart"] = (vals["alpha"], vals["beta"])
    out = {k: vals[k] for k in _LOG_KEYS[method]}
    out.update(marginal_error=run.marginal_error, status=run.status, message=run.message)
    return out


def _batched_log(method, logs):
    """One log for the columns of a batched ``b``: arrays stacked as columns, scalars in lists."""
    out = {}
    for key in logs[0]:
        vals = [lg[key] for lg in logs]
        if isinstance(vals[0], np.ndarray):
            out[key] = np.stack(vals, 1)
        elif key == "warmstart":
            out[key] = tuple(np.stack([v[i] for v in vals], 1) for i in range(2))
        else:
            out[key] = vals
    return out


def _method_name(method, allowed):
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    name = method.lower()
    name = "sinkhorn" if name == "sinkhorn_knopp" else name
    if name not in allowed:
        raise ValueError(f"Unknown method '{method}' (numopt.ot: one of {', '.join(allowed)})")
    return name


def _solve_pot(a, b, M, reg, method, numItermax, stopThr, verbose, log, warn, warmstart, kwargs, plan: bool):
    _check_common(numItermax, stopThr, kwargs)
    reg = _check_reg(reg)
    a, b, M, dtype = _inputs(a, b, M, batched_ok=method in _BATCHED_METHODS)
    if b.ndim == 2:
        starts = [None] * b.shape[1] if warmstart is None else list(zip(*[np.asarray(w).reshape(-1, b.shape[1]).T
                                                                           for w in warmstart]))
        runs = [_one(a, b[:, k], M, reg, method, numItermax, stopThr, verbose, warn, starts[k], kwargs)
                for k in range(b.shape[1])]
        losses = np.array([float(np.sum(M * r.P)) for r in runs], dtype=dtype)
        return (losses, _batched_log(method, [_log(method, r, reg, dtype) for r in runs])) if log else losses
    run = _one(a, b, M, reg, method, numItermax, stopThr, verbose, warn, warmstart, kwargs)
    value = run.P.astype(dtype) if plan else dtype.type(np.sum(M * run.P))
    return (value, _log(method, run, reg, dtype)) if log else value


# --- POT's functions -------------------------------------------------------------------------
def sinkhorn(a, b, M, reg, method="sinkhorn", numItermax=1000, stopThr=1e-9, verbose=False, log=False, warn=True,
             warmstart=None, **kwargs):
    r"""The entropic OT plan, as POT's ``ot.sinkhorn`` (same arguments, same returns).

    Solves :math:`\min_{P 1 = a, P^T 1 = b, P \ge 0} \langle M, P\rangle + \mathrm{reg}\sum_{ij} P_{ij}\log P_{ij}`.

    Parameters
    ----------
    a : array_like, shape (dim_a,)
        Source weights (``[]``: uniform).
    b : array_like, shape (dim_b,) or (dim_b, n_hists)
        Target weights (``[]``: uniform); a matrix solves one problem per column and returns the
        ``n_hists`` costs ``<M, P_k>`` (as POT).
    M : array_like, shape (dim_a, dim_b)
        Cost matrix; its dtype (float32 or float64) is the dtype of the result.
    reg : float
        Regularization ``> 0``.
    method : str
        ``'sinkhorn'`` (numopt's absorption-stabilized scaling), ``'sinkhorn_log'`` (log-domain
        sweeps), ``'greenkhorn'``, ``'sinkhorn_stabilized'``, ``'sinkhorn_epsilon_scaling'`` or
        numopt's ``'sns'`` (Sinkhorn-Newton-Sparse).
    numItermax : int
        Sweep cap (greenkhorn: single-coordinate updates; epsilon scaling: stages).
    stopThr : float
        Stop when the L1 marginal error ``||P1 - a||_1 + ||P^T 1 - b||_1 <= stopThr`` (greenkhorn:
        the largest violation, as POT); ``0`` runs ``numItermax`` iterations.
    verbose : bool
        Log an iteration table (logger ``numopt``).
    log : bool
        Also return POT's log dict (keys per method, plus ``marginal_error``, ``status``, ``message``).
    warn : bool
        Issue a :class:`ConvergenceWarning` (a ``UserWarning``) when ``stopThr`` is not reached.
    warmstart : tuple of arrays, optional
        POT's dual start: ``(log u, log v)`` for ``sinkhorn``, ``sinkhorn_log``, ``greenkhorn``,
        ``sns``; ``(alpha, beta)`` (cost units) for ``sinkhorn_stabilized`` and ``sinkhorn_epsilon_scaling``.
    **kwargs
        POT's ``tau``, ``print_period``, ``epsilon0``, ``numInnerItermax``; numopt's ``callback``, ``options``.
    """
    name = _method_name(method, _SINKHORN_METHODS)
    return _solve_pot(a, b, M, reg, name, numItermax, stopThr, verbose, log, warn, warmstart, kwargs, plan=True)


def sinkhorn2(a, b, M, reg, method="sinkhorn", numItermax=1000, stopThr=1e-9, verbose=False, log=False, warn=False,
              warmstart=None, **kwargs):
    r"""The linear cost ``<M, P>`` of the entropic plan, as POT's ``ot.sinkhorn2`` (``warn=False`` by default).

    Same arguments as :func:`sinkhorn`; ``method`` is one of ``'sinkhorn'``, ``'sinkhorn_log'``,
    ``'sinkhorn_stabilized'`` (POT's) or ``'sns'``. A batched ``b`` returns one cost per column.
    The regularized cost ``<M, P> + reg sum P log P`` is ``solve(...).cost``.
    """
    name = _method_name(method, _SINKHORN2_METHODS)
    return _solve_pot(a, b, M, reg, name, numItermax, stopThr, verbose, log, warn, warmstart, kwargs, plan=False)


def sinkhorn_knopp(a, b, M, reg, numItermax=1000, stopThr=1e-9, verbose=False, log=False, warn=True,
                   warmstart=None, **kwargs):
    """POT's ``ot.bregman.sinkhorn_knopp``: :func:`sinkhorn` with ``method='sinkhorn'``."""
    return _solve_pot(a, b, M, reg, "sinkhorn", numItermax, stopThr, verbose, log, warn, warmstart, kwargs, True)


def sinkhorn_log(a, b, M, reg, numItermax=1000, stopThr=1e-9, verbose=False, log=False, warn=True,
                 warmstart=None, **kwargs):
    """POT's ``ot.bregman.sinkhorn_log``: :func:`sinkhorn` with ``method='sinkhorn_log'``."""
    return _solve_pot(a, b, M, reg, "sinkhorn_log", numItermax, stopThr, verbose, log, warn, warmstart, kwargs, True)


def greenkhorn(a, b, M, reg, numItermax=10000, stopThr=1e-9, verbose=False, log=False, warn=True, warmstart=None):
    """POT's ``ot.bregman.greenkhorn``: greedy one-row-or-column updates (numba kernel); ``numItermax``
    counts single updates and ``stopThr`` bounds the largest marginal violation (as POT)."""
    return _solve_pot(a, b, M, reg, "greenkhorn", numItermax, stopThr, verbose, log, warn, warmstart, {}, True)


def sinkhorn_stabilized(a, b, M, reg, numItermax=1000, tau=1e3, stopThr=1e-9, warmstart=None, verbose=False,
                        print_period=20, log=False, warn=True, **kwargs):
    """POT's ``ot.bregman.sinkhorn_stabilized`` (POT's positional order, with ``tau`` fourth):
    numopt's absorption-stabilized Sinkhorn, absorbing when ``|log u|`` or ``|log v|`` exceeds
    ``log(tau)``; ``warmstart = (alpha, beta)`` in cost units."""
    kwargs = {**kwargs, "tau": tau}
    return _solve_pot(a, b, M, reg, "sinkhorn_stabilized", numItermax, stopThr, verbose, log, warn, warmstart,
                      kwargs, True)


def sinkhorn_epsilon_scaling(a, b, M, reg, numItermax=100, epsilon0=1e4, numInnerItermax=100, tau=1e3, stopThr=1e-9,
                             warmstart=None, verbose=False, print_period=10, log=False, warn=True, **kwargs):
    """POT's ``ot.bregman.sinkhorn_epsilon_scaling`` (POT's positional order): stabilized Sinkhorn
    at ``max(reg, epsilon0 e^-k)``, ``k = 0, 1, ...``, each stage warm-started from the last."""
    kwargs = {**kwargs, "tau": tau, "epsilon0": epsilon0, "numInnerItermax": numInnerItermax}
    return _solve_pot(a, b, M, reg, "sinkhorn_epsilon_scaling", numItermax, stopThr, verbose, log, warn, warmstart,
                      kwargs, True)
