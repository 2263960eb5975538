"""Comparators for LipSDP: the naive product bound and sampled lower bounds."""
from __future__ import annotations

import numpy as np

from ...linalg import spectral_norm_sq

__all__ = ["naive_bound", "sampled_lower_bound", "exact_one_hidden_relu"]


def _norm2(W) -> float:
    return float(np.sqrt(spectral_norm_sq(W)))


def _norm_inf(W) -> float:
    return float(np.abs(W).sum(axis=1).max()) if W.size else 0.0


def naive_bound(net, norm=2, c=None) -> float:
    r"""The product bound: ``prod_k L_k``.

    Plain layer: ``||W^k|| Lip(phi_k)``; residual block: ``1 + ||U^k|| Lip(phi_k) ||W^k||``; output
    layer ``||W^l||`` (2-norm; :func:`numopt.linalg.spectral_norm_sq`) or, for ``norm=inf`` and the
    scalar output ``c^T f``, ``||c^T W^l||_1`` with ``||W||_inf`` (max absolute row sum) inside.
    """
    if norm == 2:
        nrm, lip = _norm2, (lambda a: a.lipschitz)
        out = _norm2(net.W_out)
    elif norm == np.inf:
        nrm, lip = _norm_inf, (lambda a: a.lipschitz_inf())
        if c is None:
            if net.n_outputs != 1:
                raise ValueError(f"norm=inf needs the output functional c (length {net.n_outputs})")
            c = np.ones(1)
        out = float(np.abs(np.asarray(c, dtype=float) @ net.W_out).sum())
    else:
        raise ValueError(f"norm must be 2 or numpy.inf, got {norm!r}")
    total = out
    for L in net.layers:
        f = nrm(L.W) * lip(L.activation)
        total *= (1.0 + nrm(L.U) * f) if L.residual else f
    return float(total)


def sampled_lower_bound(net, n_samples: int = 1000, rng=None, norm=2, c=None, scale: float = 1.0) -> float:
    r"""``max_i ||J(x_i)||`` over ``n_samples`` Gaussian inputs ``x_i ~ N(0, scale^2 I)``: a lower bound.

    For ``norm=2`` the spectral norm of the Jacobian; for ``norm=inf`` and the scalar output
    ``c^T f``, ``||c^T J(x)||_1`` (the dual norm). Every value is attained by the network at a
    point where it is differentiable, so the maximum is a lower bound on the Lipschitz constant.
    """
    if not (isinstance(n_samples, (int, np.integer)) and n_samples >= 1):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
    rng = np.random.default_rng(rng)
    if norm == np.inf:
        if c is None:
            if net.n_outputs != 1:
                raise ValueError(f"norm=inf needs the output functional c (length {net.n_outputs})")
            c = np.ones(1)
        c = np.asarray(c, dtype=float)
    elif norm != 2:
        raise ValueError(f"norm must be 2 or numpy.inf, got {norm!r}")
    best = 0.0
    for _ in range(int(n_samples)):
        J = net.jacobian(scale * rng.standard_normal(net.n_inputs))
        val = float(np.linalg.norm(J, 2)) if norm == 2 else float(np.abs(c @ J).sum())
        best = max(best, val)
    return best


def exact_one_hidden_relu(W0, W1) -> float:
    r"""The exact 2-norm Lipschitz constant of ``x -> W1 relu(W0 x)`` (no bias), by brute force.

    The network is piecewise linear with Jacobians ``W1 D W0`` for the activation patterns ``D``
    realised by some ``x``; without bias a pattern ``D`` is realised iff the cone
    ``{x : (2D - I) W0 x > 0}`` is non-empty, checked by a linear program. ``O(2^{n_1})``: tiny
    networks only (``n_1 <= 12``).
    """
    from scipy.optimize import linprog
    W0, W1 = np.asarray(W0, float), np.asarray(W1, float)
    n1, n0 = W0.shape
    if n1 > 12:
        raise ValueError(f"exact_one_hidden_relu enumerates 2^n1 patterns; n1 = {n1} > 12")
    best = 0.0
    for mask in range(2 ** n1):
        d = np.array([(mask >> i) & 1 for i in range(n1)], dtype=float)
        sgn = 2 * d - 1
        # realisable iff exists x with sgn_i (W0 x)_i >= 1 (cone scaled)
        lp = linprog(np.zeros(n0), A_ub=-(sgn[:, None] * W0), b_ub=-np.ones(n1), bounds=[(None, None)] * n0,
                     method="highs")
        if lp.status != 0:
            continue
        best = max(best, float(np.linalg.norm(W1 @ (d[:, None] * W0), 2)))
    return best
