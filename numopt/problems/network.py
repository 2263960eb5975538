r"""Feed-forward and residual networks, described for Lipschitz bounds: ``Network(weights, activations)``.

A network with ``l`` hidden layers maps ``x^0 = x`` through

.. math::
    x^{k+1} = \phi_k(W^k x^k) \quad\text{(plain layer)}, \qquad
    x^{k+1} = x^k + U^k \phi_k(W^k x^k) \quad\text{(residual block)}, \qquad k = 0, \dots, l-1,

and outputs ``f(x) = W^l x^l``. Biases do not change a Lipschitz constant; they may be given
(``biases=``) for evaluation (:meth:`Network.forward`, :meth:`Network.jacobian`) and sampled lower
bounds only.

Activations (:class:`Activation`, or a name):

============================  =======================================  ==========================
name                          map                                      property used by LipSDP
============================  =======================================  ==========================
``"relu"``                    ``max(v, 0)``                            slope in [0, 1]
``"leaky_relu"`` / ``("leaky_relu", a)``  ``max(v, a v)`` (a = 0.01)  slope in [a, 1]
``"tanh"``                    ``tanh(v)``                              slope in [0, 1]
``"sigmoid"``                 ``1 / (1 + e^{-v})``                     slope in [0, 1/4]
``"elu"``                     ``v`` (v > 0), ``e^v - 1`` (v <= 0)      slope in [0, 1]
``"softplus"``                ``log(1 + e^v)``                         slope in [0, 1]
``"abs"``                     ``|v|``                                  slope in [-1, 1]
``"maxmin"``                  per pair ``(max(a, b), min(a, b))``      GroupSort with group 2
``("groupsort", g)``          sort each group of ``g`` in decreasing order  permutation, sum-preserving
``("householder", theta)``    per group: ``v`` if ``theta^T v > 0``    ``P v + theta |theta^T v|``,
                              else ``(I - 2 theta theta^T) v``         ``P = I - theta theta^T``
============================  =======================================  ==========================

MaxMin equals Householder with ``theta = (1, -1)/sqrt(2)``. Groups are consecutive entries of the
pre-activation; the width of the layer must be a multiple of the group size.

As a problem object, ``Network`` has ``structure = {"network"}`` (only the ``lipsdp`` method solves
it) and ``n`` = the number of hidden units; the variable ``x`` of the method is the vector of
per-unit (diagonal) multipliers of the quadratic constraints, and ``fun`` the certified bound.
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from .base import Problem

__all__ = ["Activation", "Network", "as_activation"]

#: slope bounds [alpha, beta] of the elementwise activations
_SLOPES = {"relu": (0.0, 1.0), "tanh": (0.0, 1.0), "sigmoid": (0.0, 0.25), "elu": (0.0, 1.0),
           "softplus": (0.0, 1.0), "abs": (-1.0, 1.0)}
_NAMES = tuple(_SLOPES) + ("leaky_relu", "maxmin", "groupsort", "householder")


@dataclass(frozen=True)
class Activation:
    """One activation with the property LipSDP uses.

    Attributes
    ----------
    name : the activation's name (see the module docstring).
    kind : ``"slope"`` (elementwise, slope-restricted on ``[alpha, beta]``), ``"groupsort"``
        (sort each group of ``group`` entries, decreasing) or ``"householder"``.
    alpha, beta : slope bounds (``kind == "slope"``).
    group : group size (1 for elementwise activations).
    theta : unit vector of length ``group`` (``kind == "householder"``).
    """

    name: str
    kind: str
    alpha: float = 0.0
    beta: float = 1.0
    group: int = 1
    theta: tuple | None = None

    # -- evaluation -------------------------------------------------------------------
    def __call__(self, v: np.ndarray) -> np.ndarray:
        return self.value_and_derivative(v)[0]

    def value_and_derivative(self, v: np.ndarray):
        """``(phi(v), D)``: ``D`` is a vector (elementwise) or a (d, d) block-diagonal matrix."""
        v = np.asarray(v, dtype=float)
        n = self.name
        if self.kind == "slope":
            if n == "relu":
                return np.maximum(v, 0.0), (v > 0).astype(float)
            if n == "leaky_relu":
                return np.where(v > 0, v, self.alpha * v), np.where(v > 0, 1.0, self.alpha)
            if n == "tanh":
                t = np.tanh(v)
                return t, 1.0 - t * t
            if n == "sigmoid":
                s = 0.5 * (1.0 + np.tanh(0.5 * v))
                return s, s * (1.0 - s)
            if n == "elu":
                e = np.expm1(np.minimum(v, 0.0))
                return np.where(v > 0, v, e), np.where(v > 0, 1.0, e + 1.0)
            if n == "softplus":
                return np.logaddexp(0.0, v), 0.5 * (1.0 + np.tanh(0.5 * v))
            if n == "abs":
                return np.abs(v), np.sign(v)
            raise AssertionError(n)  # pragma: no cover
        g = self.group
        V = v.reshape(-1, g)
        J = np.zeros((v.size, v.size))
        out = np.empty_like(V)
        if self.kind == "groupsort":
            order = np.argsort(-V, axis=1, kind="stable")
            out[:] = np.take_along_axis(V, order, axis=1)
            for i in range(V.shape[0]):
                J[i * g + np.arange(g), i * g + order[i]] = 1.0
            return out.reshape(-1), J
        th = np.asarray(self.theta)
        R = np.eye(g) - 2.0 * np.outer(th, th)
        for i in range(V.shape[0]):
            blk = slice(i * g, (i + 1) * g)
            if V[i] @ th > 0:
                out[i] = V[i]
                J[blk, blk] = np.eye(g)
            else:
                out[i] = R @ V[i]
                J[blk, blk] = R
        return out.reshape(-1), J

    @property
    def lipschitz(self) -> float:
        """Lipschitz constant of the map in the 2-norm."""
        if self.kind == "slope":
            return max(abs(self.alpha), abs(self.beta))
        return 1.0

    def lipschitz_inf(self) -> float:
        """Lipschitz constant of the map in the inf-norm (piecewise linear: max over pieces)."""
        if self.kind == "slope":
            return max(abs(self.alpha), abs(self.beta))
        if self.kind == "groupsort":
            return 1.0
        th = np.asarray(self.theta)
        R = np.eye(self.group) - 2.0 * np.outer(th, th)
        return max(1.0, float(np.abs(R).sum(axis=1).max()))


def as_activation(spec, where: str = "activation") -> Activation:
    """An :class:`Activation` from a name, a ``(name, parameter)`` pair or an ``Activation``."""
    if isinstance(spec, Activation):
        return spec
    param = None
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str):
        spec, param = spec
    if not isinstance(spec, str):
        raise TypeError(f"{where} must be an activation name, a (name, parameter) pair or an Activation, "
                        f"got {type(spec).__name__} {spec!r}")
    name = spec.lower().replace("-", "_")
    if name == "leakyrelu":
        name = "leaky_relu"
    if name not in _NAMES:
        raise ValueError(f"{where}: unknown activation {spec!r}; valid names are {', '.join(_NAMES)}")
    if name in _SLOPES:
        if param is not None:
            raise ValueError(f"{where}: activation {name!r} takes no parameter, got {param!r}")
        a, b = _SLOPES[name]
        return Activation(name, "slope", a, b)
    if name == "leaky_relu":
        a = 0.01 if param is None else param
        if isinstance(a, (bool, np.bool_)) or not isinstance(a, numbers.Real) or not 0.0 <= a < 1.0:
            raise ValueError(f"{where}: the leaky_relu slope must be a number in [0, 1), got {a!r}")
        return Activation(name, "slope", float(a), 1.0)
    if name in ("maxmin", "groupsort"):
        g = 2 if (name == "maxmin" or param is None) else param
        if name == "maxmin" and param is not None:
            raise ValueError(f"{where}: 'maxmin' takes no parameter (it is groupsort with group 2), got {param!r}")
        if isinstance(g, (bool, np.bool_)) or not isinstance(g, numbers.Integral) or g < 2:
            raise ValueError(f"{where}: the groupsort group size must be an integer >= 2, got {g!r}")
        return Activation(name, "groupsort", group=int(g))
    th = np.array([1.0, -1.0]) / np.sqrt(2.0) if param is None else param
    try:
        th = np.asarray(th, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: the householder parameter theta must be a vector, got {param!r}") from None
    nrm = float(np.linalg.norm(th)) if th.size else 0.0
    if th.size < 2 or not np.isfinite(nrm) or nrm == 0.0:
        raise ValueError(f"{where}: householder theta must be a finite non-zero vector of length >= 2, got {param!r}")
    th = th / nrm
    return Activation("householder", "householder", group=th.size, theta=tuple(float(t) for t in th))


def _matrix(value, where: str) -> np.ndarray:
    try:
        W = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{where} must be a 2-D array of real numbers, got {type(value).__name__}") from None
    if W.ndim != 2 or W.size == 0:
        raise ValueError(f"{where} must be a non-empty 2-D array, got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{where} must be finite, got nan or inf entries")
    return W


@dataclass(frozen=True)
class Layer:
    """One hidden layer: ``x -> phi(W x)`` or, with ``U``, ``x -> x + U phi(W x)``."""

    W: np.ndarray
    activation: Activation
    U: np.ndarray | None = None

    @property
    def residual(self) -> bool:
        return self.U is not None

    @property
    def width(self) -> int:
        """Number of hidden units (rows of ``W``)."""
        return self.W.shape[0]


class Network(Problem):
    r"""A network for Lipschitz bounds.

    Parameters
    ----------
    weights : sequence
        ``[W0, ..., Wl]``: ``Wl`` (a matrix) is the output layer; each earlier entry is a matrix
        ``W^k`` (plain layer ``x -> phi(W^k x)``) or a pair ``(W^k, U^k)`` (residual block
        ``x -> x + U^k phi(W^k x)``, ``U^k`` of shape ``(n_k, rows of W^k)``).
        A single matrix (one layer, no activation) is allowed: its constant is ``||W||``.
    activations : activation or sequence of activations, default ``"relu"``
        One per hidden layer (``len(weights) - 1``), or one for all. See the module docstring.
    biases : sequence of vectors, optional
        ``b^k`` added to ``W^k x^k`` (only for :meth:`forward`, :meth:`jacobian`).
    name : str, optional

    Raises
    ------
    ValueError
        A shape mismatch names the layer index, the expected and the given shape.
    """

    structure = frozenset({"network"})
    oracles = frozenset({"network", "fun"})

    def __init__(self, weights, activations="relu", *, biases=None, name: str | None = None):
        if isinstance(weights, np.ndarray) and weights.ndim == 2:
            weights = [weights]
        if not isinstance(weights, (list, tuple)) or len(weights) == 0:
            raise TypeError(f"weights must be a non-empty list of matrices (or (W, U) pairs), "
                            f"got {type(weights).__name__}")
        nh = len(weights) - 1
        if isinstance(activations, (list, tuple)) and not (
                len(activations) == 2 and isinstance(activations[0], str) and not isinstance(activations[1], str)):
            acts = list(activations)
            if len(acts) != nh:
                raise ValueError(f"activations must have one entry per hidden layer ({nh} = len(weights) - 1), "
                                 f"got {len(acts)}")
        else:
            acts = [activations] * nh
        layers = []
        dim = None
        for k in range(nh):
            entry = weights[k]
            if isinstance(entry, (tuple, list)) and len(entry) == 2 and np.ndim(entry[0]) == 2:
                W = _matrix(entry[0], f"weights[{k}][0] (W of residual block {k})")
                U = _matrix(entry[1], f"weights[{k}][1] (U of residual block {k})")
            else:
                W, U = _matrix(entry, f"weights[{k}]"), None
            if dim is not None and W.shape[1] != dim:
                raise ValueError(f"weights[{k}] has shape {W.shape} but layer {k - 1} outputs {dim} values: "
                                 f"expected shape ({W.shape[0]}, {dim})")
            dim_in = W.shape[1]
            if U is not None and U.shape != (dim_in, W.shape[0]):
                raise ValueError(f"weights[{k}][1] (U of residual block {k}) has shape {U.shape}: "
                                 f"expected ({dim_in}, {W.shape[0]}) to add U phi(W x) to the block input x")
            act = as_activation(acts[k], f"activations[{k}]")
            if W.shape[0] % act.group:
                raise ValueError(f"layer {k}: {act.name} acts on groups of {act.group} but weights[{k}] has "
                                 f"{W.shape[0]} rows (not a multiple of {act.group})")
            layers.append(Layer(W, act, U))
            dim = dim_in if U is not None else W.shape[0]
        Wout = _matrix(weights[-1], f"weights[{nh}]")
        if dim is not None and Wout.shape[1] != dim:
            raise ValueError(f"weights[{nh}] has shape {Wout.shape} but layer {nh - 1} outputs {dim} values: "
                             f"expected shape ({Wout.shape[0]}, {dim})")
        self.layers = tuple(layers)
        self.W_out = Wout
        self.n_inputs = layers[0].W.shape[1] if layers else Wout.shape[1]
        self.n_outputs = Wout.shape[0]
        self.hidden_sizes = tuple(L.width for L in layers)
        self.biases = self._check_biases(biases)
        N = int(sum(self.hidden_sizes))
        self._form = None
        super().__init__(N, np.ones(N), name or "network-" + "-".join(
            str(s) for s in (self.n_inputs, *self.hidden_sizes, self.n_outputs)))

    def _check_biases(self, biases):
        if biases is None:
            return None
        sizes = (*self.hidden_sizes, self.n_outputs)
        if not isinstance(biases, (list, tuple)) or len(biases) != len(sizes):
            raise ValueError(f"biases must be a list of {len(sizes)} vectors (one per weight matrix), "
                             f"got {type(biases).__name__} of length {len(biases) if hasattr(biases, '__len__') else '?'}")
        out = []
        for k, (b, s) in enumerate(zip(biases, sizes)):
            b = np.zeros(s) if b is None else np.asarray(b, dtype=float).reshape(-1)
            if b.shape != (s,):
                raise ValueError(f"biases[{k}] must have length {s} (rows of weights[{k}]), got shape {b.shape}")
            out.append(b)
        return tuple(out)

    def fun(self, x) -> float:
        """The 2-norm bound certified by per-unit multipliers ``x`` (LipSDP-Neuron, default encoding).

        ``rho`` is recomputed exactly from ``x`` (Schur complement and a Cholesky check of the LMI,
        :func:`numopt.lipschitz.certify`); ``inf`` when ``x`` certifies nothing. This is what a
        benchmark runner uses to re-check ``res.x`` of ``lipsdp`` independently of the solver.
        """
        from ..solvers.lipsdp._formulation import build, certify
        self._count("nfev")
        if getattr(self, "_form", None) is None:
            self._form = build(self)
        x = np.asarray(x, dtype=float).reshape(-1)
        if x.shape != (self.n,):
            raise ValueError(f"x must have one multiplier per hidden unit ({self.n}), got shape {x.shape}")
        out = certify(self._form, self._form.y_from_units(x), interior=self._form.y_from_units(x))
        return float(out["bound"])

    @property
    def weights(self) -> list:
        """The weight matrices ``W^0, ..., W^l`` (residual blocks: their inner ``W``)."""
        return [L.W for L in self.layers] + [self.W_out]

    @property
    def activations(self) -> tuple:
        return tuple(L.activation for L in self.layers)

    def forward(self, x) -> np.ndarray:
        """``f(x)`` for one input (1-D) or a batch (rows)."""
        return self._run(np.asarray(x, dtype=float), False)[0]

    def jacobian(self, x) -> np.ndarray:
        """The Jacobian ``df/dx`` at one input ``x`` (where the activations are differentiable)."""
        return self._run(np.asarray(x, dtype=float).reshape(-1), True)[1]

    def _run(self, x, jac: bool):
        if x.shape[-1] != self.n_inputs:
            raise ValueError(f"x must have {self.n_inputs} entries (inputs of weights[0]), got shape {x.shape}")
        bias = self.biases or [0.0] * (len(self.layers) + 1)
        J = np.eye(self.n_inputs) if jac else None
        h = x
        for k, L in enumerate(self.layers):
            v = h @ L.W.T + bias[k]
            if jac:
                z, D = L.activation.value_and_derivative(v)
                Jz = (D[:, None] * (L.W @ J)) if D.ndim == 1 else D @ (L.W @ J)
            else:
                z = L.activation(v) if (L.activation.kind == "slope" or v.ndim == 1) \
                    else np.stack([L.activation(row) for row in v])
            if L.residual:
                h = h + z @ L.U.T
                if jac:
                    J = J + L.U @ Jz
            else:
                h = z
                if jac:
                    J = Jz
        out = h @ self.W_out.T + bias[-1]
        return out, (self.W_out @ J if jac else None)

    def __repr__(self) -> str:
        acts = ",".join(a.name for a in self.activations)
        return f"<Network {self.name!r} activations=[{acts}] residual={[L.residual for L in self.layers]}>"
