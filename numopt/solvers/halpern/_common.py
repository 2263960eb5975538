r"""What every method of the family shares: options, state, the certified residual, kernel inputs.

**Certified residual** (Cai, Alacaoglu, Diakonikolas 2024, sec. 2). For an iterate ``u`` and
``eta = 1 / L`` (``L`` the problem's Lipschitz constant, the same for every method, so residuals
compare across methods) let ``pre = u - eta F(u)`` and ``ubar = J_{eta G}(pre)``. Then
``(pre - ubar) / eta in G(ubar)``, so

.. math:: R = F(\bar u) + (\mathrm{pre} - \bar u)/\eta \in (F + G)(\bar u),

and ``||R||`` bounds ``dist(0, (F + G)(ubar))``. A method certifies every ``check_every`` passes
(two full evaluations of ``F``, counted) and at the end; the returned ``res.x`` is ``ubar`` and
``res.residual`` is ``||R||``. The stopping test is
``numopt.stopping.small_relative(||R||, ||R_0||, rtol)`` (reference: the certified residual at the
start) together with the problem's own certificate (``MatrixGame``: the duality gap relative to
``max |A_ij|``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...driver import SolverState
from ...options import DriverOptions, opt
from ...problems.prox import Box, Product, Simplex, Zero
from ...result import Status
from ...stopping import small_relative

_RNG_KINDS = (int, np.integer, np.random.Generator)


@dataclass
class InclusionOptions(DriverOptions):
    rtol: float = opt(1e-6, "Stop when the certified residual ||R|| <= rtol * ||R(x0)|| (and, for games, "
                      "the duality gap <= rtol * max|A_ij|).", kind=(int, float))
    check_every: float = opt(10.0, "Certify (two full operator evaluations, counted) every this many "
                             "passes; inf: only at the end.", kind=(int, float))
    max_passes: float = opt(1e4, "Stop (status MAXFEV) after this many data passes (epochs): the work "
                            "budget (the O(1/k) methods need ~1/rtol passes).", kind=(int, float))
    step: float | None = opt(None, "Step size eta (default: the method's safe value from the problem's "
                             "constants).", kind=(int, float))

    def validate(self):
        if not self.rtol > 0:
            raise ValueError(f"option 'rtol' must be > 0, got {self.rtol}")
        if not self.check_every > 0:
            raise ValueError(f"option 'check_every' must be > 0 (passes), got {self.check_every}")
        if not self.max_passes > 0:
            raise ValueError(f"option 'max_passes' must be > 0, got {self.max_passes}")
        if self.step is not None and not (np.isfinite(self.step) and self.step > 0):
            raise ValueError(f"option 'step' must be a finite number > 0, got {self.step}")


def check_rng(value, method: str):
    if value is None or isinstance(value, _RNG_KINDS) and not isinstance(value, bool):
        return np.random.default_rng(value)
    raise TypeError(f"option 'rng' of method {method!r} expects None, an int seed or a numpy Generator, "
                    f"got {type(value).__name__}")


@dataclass
class InclusionState(SolverState):
    u: np.ndarray = None          # the iterate (x is the last certified point)
    anchor: np.ndarray = None
    r0: float = 1.0               # certified residual at the start
    residual: float = np.inf      # certified residual at x
    certified_u: np.ndarray = None  # the iterate whose certificate x/residual hold
    passes0: float = 0.0
    next_check: float = 0.0
    k: int = 0                    # Halpern counter since the last (re)start


def passes(problem) -> float:
    return float(problem.counts.get("npass", 0.0))


def start_point(problem, x0):
    """``x0`` as a float copy, projected onto ``dom G`` when ``G`` is an indicator."""
    u = np.array(x0, dtype=float)
    if problem.resolvent.is_indicator and not np.isfinite(problem.resolvent.value(u)):
        u = problem.resolve(u, 1.0)
    return u


def certify(problem, u, Fu=None):
    """``(ubar, ||R||)`` at ``u`` (see the module docstring); ``Fu``, if given, is ``F(u)``."""
    eta = 1.0 / problem.lipschitz
    if Fu is None:
        Fu = problem.F(u)
    pre = u - eta * Fu
    ubar = problem.resolve(pre, eta)
    R = problem.F(ubar) + (pre - ubar) / eta
    return ubar, float(np.linalg.norm(R))


def value(problem, x, residual):
    m = problem.merit(x)
    return residual if m is None else m


def init_state(problem, x0, options, cls=InclusionState, **fields):
    """A state at the projected ``x0`` with its certificate (``r0``), and the pass counters."""
    p0 = passes(problem)
    u = start_point(problem, x0)
    ubar, r0 = certify(problem, u)
    st = cls(x=u.copy(), fun=value(problem, u, r0), u=u, anchor=u.copy(), r0=r0, residual=np.inf,
             passes0=p0, next_check=p0 + options.check_every,
             metrics={"residual": r0, "epochs": passes(problem) - p0}, **fields)
    return st


def maybe_certify(problem, state, options, Fu=None, force=False):
    """Certify ``state.u`` when a check is due (or ``force``); set ``status`` on convergence.

    Returns the state (modified in place): ``x``/``residual``/``fun`` of the new certificate,
    the ``CONVERGED`` status when the residual test and the problem's certificate hold, and the
    ``MAXFEV`` status when ``max_passes`` is used up.
    """
    now = passes(problem)
    if force or now >= state.next_check:
        ubar, r = certify(problem, state.u, Fu)
        if np.all(np.isfinite(ubar)) and np.isfinite(r):
            state.x, state.residual, state.certified_u = ubar, r, state.u
            state.fun = value(problem, ubar, r)
            if small_relative(r, state.r0, options.rtol) and problem.certified(ubar, options.rtol):
                state.status = Status.CONVERGED
        state.next_check = passes(problem) + options.check_every
    else:
        state.x = state.u          # between checks x follows the iterate (feasible)
    used = passes(problem) - state.passes0
    state.metrics = {"residual": state.residual, "epochs": used}
    if state.status is None and used >= options.max_passes:
        state.status, state.detail = Status.MAXFEV, f"max_passes = {options.max_passes:g} data passes used"
    return state


def finalize_state(problem, state):
    """Certify the last iterate if its certificate is missing; the result's extra fields."""
    if state.certified_u is not state.u and state.u is not None and np.all(np.isfinite(state.u)):
        ubar, r = certify(problem, state.u)
        if np.all(np.isfinite(ubar)) and np.isfinite(r):
            state.x, state.residual, state.certified_u = ubar, r, state.u
            state.fun = value(problem, ubar, r)
    used = passes(problem) - state.passes0
    return {"residual": state.residual, "epochs": used, "initial_residual": state.r0}


# -- kernel inputs ----------------------------------------------------------------------------------
def kernel_operator(problem, probs):
    """The ``op`` tuple of :mod:`._kernels` for a linear finite sum with sampling probabilities."""
    P, Q = problem.P, problem.Q
    wscale = 1.0 / (problem.n_components * probs)
    return (P.indptr.astype(np.int64), P.indices.astype(np.int64), P.data, Q.indptr.astype(np.int64),
            Q.indices.astype(np.int64), Q.data, problem.c, wscale)


def kernel_resolvent(resolvent, dim: int, method: str):
    """The ``res`` tuple of :mod:`._kernels` for ``Zero``, ``Box``, ``Simplex`` or a ``Product`` of them."""
    blocks = resolvent.blocks if isinstance(resolvent, Product) else [resolvent]
    sizes = resolvent.sizes if isinstance(resolvent, Product) else [dim]
    kinds, radii = [], []
    lb, ub = np.full(dim, -np.inf), np.full(dim, np.inf)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    for b, (blk, s, e) in enumerate(zip(blocks, starts[:-1], starts[1:])):
        if isinstance(blk, Simplex):
            kinds.append(1)
            radii.append(blk.radius)
        elif isinstance(blk, (Box, Zero)):
            kinds.append(0)
            radii.append(0.0)
            if isinstance(blk, Box):
                lb[s:e] = np.broadcast_to(blk.lb, (e - s,))
                ub[s:e] = np.broadcast_to(blk.ub, (e - s,))
        else:
            raise ValueError(f"method {method!r} runs its inner loop in a compiled kernel that handles "
                             f"Zero, Box, Simplex and Product of them as the resolvent; got "
                             f"{type(blk).__name__}. Use 'halpern', 'eag' or 'extragradient' instead.")
    return (np.asarray(kinds, dtype=np.int64), starts, np.asarray(radii, dtype=float), lb, ub)
