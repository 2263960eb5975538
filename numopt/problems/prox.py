r"""Proximal operators as objects.

For a closed convex ``g`` and a step ``t > 0``,

.. math:: \operatorname{prox}_{t g}(v) = \arg\min_u \; g(u) + \tfrac{1}{2t}\|u - v\|^2 .

Each operator gives ``value(x)`` (``g(x)``, ``inf`` outside a constraint set),
``__call__(v, t)`` (the prox) and ``prox_conjugate(v, t)`` (the prox of the convex
conjugate ``g*``), written independently where a closed form exists, so that the
Moreau identity ``prox_{tg}(v) + t prox_{g*/t}(v/t) = v`` is a real test.
Reference: Parikh & Boyd, "Proximal Algorithms", Found. Trends Optim. 2014, sec. 6.
"""
from __future__ import annotations

import numpy as np

from .._validation import _real_dtype_or_raise, as_scalar, as_vector

__all__ = ["Prox", "Zero", "L1", "L2", "SquaredL2", "ElasticNet", "Box", "NonNegative",
           "Simplex", "GroupL1", "Product"]


class Prox:
    """Base class of proximal operators."""

    #: True when ``g`` is the indicator of a set (``value`` is 0 or inf).
    is_indicator = False

    def value(self, x) -> float:
        raise NotImplementedError

    def __call__(self, v, t: float = 1.0) -> np.ndarray:
        raise NotImplementedError

    def prox_conjugate(self, v, t: float = 1.0) -> np.ndarray:
        r"""``prox_{t g*}(v)``; default through Moreau: ``v - t prox_{g/t}(v/t)``."""
        v = np.asarray(v, dtype=float)
        return v - t * self(v / t, 1.0 / t)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"


class Zero(Prox):
    """``g = 0``; the prox is the identity."""

    def value(self, x):
        return 0.0

    def __call__(self, v, t=1.0):
        return np.array(v, dtype=float, copy=True)

    def prox_conjugate(self, v, t=1.0):
        return np.zeros_like(np.asarray(v, dtype=float))


class L1(Prox):
    r"""``g(x) = alpha * sum_i w_i |x_i|`` (soft thresholding); ``g*`` is the box ``|y_i| <= alpha w_i``."""

    def __init__(self, alpha: float = 1.0, weights=None):
        self.alpha = as_scalar(alpha, "alpha", low=0.0)
        self.weights = None if weights is None else as_vector(weights, "weights")
        if self.weights is not None and np.any(self.weights < 0):
            raise ValueError("weights must be non-negative")

    def _thr(self, t):
        return t * self.alpha * (1.0 if self.weights is None else self.weights)

    def value(self, x):
        a = np.abs(x)
        return self.alpha * float(np.sum(a if self.weights is None else self.weights * a))

    def __call__(self, v, t=1.0):
        v = np.asarray(v, dtype=float)
        return np.sign(v) * np.maximum(np.abs(v) - self._thr(t), 0.0)

    def prox_conjugate(self, v, t=1.0):
        r = self._thr(1.0)
        return np.clip(np.asarray(v, dtype=float), -r, r)


class L2(Prox):
    r"""``g(x) = alpha ||x||_2`` (block soft thresholding); ``g*`` is the ball ``||y|| <= alpha``."""

    def __init__(self, alpha: float = 1.0):
        self.alpha = as_scalar(alpha, "alpha", low=0.0)

    def value(self, x):
        return self.alpha * float(np.linalg.norm(x))

    def __call__(self, v, t=1.0):
        v = np.asarray(v, dtype=float)
        nv = np.linalg.norm(v)
        return np.zeros_like(v) if nv <= t * self.alpha else (1.0 - t * self.alpha / nv) * v

    def prox_conjugate(self, v, t=1.0):
        v = np.asarray(v, dtype=float)
        nv = np.linalg.norm(v)
        return v if nv <= self.alpha else v * (self.alpha / nv)


class SquaredL2(Prox):
    r"""``g(x) = alpha/2 ||x||^2``; ``g*(y) = ||y||^2 / (2 alpha)``."""

    def __init__(self, alpha: float = 1.0):
        self.alpha = as_scalar(alpha, "alpha", low=0.0, strict=True)

    def value(self, x):
        return 0.5 * self.alpha * float(np.dot(x, x))

    def __call__(self, v, t=1.0):
        return np.asarray(v, dtype=float) / (1.0 + t * self.alpha)

    def prox_conjugate(self, v, t=1.0):
        return np.asarray(v, dtype=float) / (1.0 + t / self.alpha)


class ElasticNet(Prox):
    r"""scikit-learn's elastic net: ``alpha (l1_ratio ||x||_1 + (1 - l1_ratio)/2 ||x||^2)``.

    With ``lam = alpha l1_ratio`` and ``mu = alpha (1 - l1_ratio)``,
    ``g*(y) = sum_i max(|y_i| - lam, 0)^2 / (2 mu)``.
    """

    def __init__(self, alpha: float = 1.0, l1_ratio: float = 0.5):
        self.alpha = as_scalar(alpha, "alpha", low=0.0)
        self.l1_ratio = as_scalar(l1_ratio, "l1_ratio", low=0.0)
        if self.l1_ratio > 1.0:
            raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio}")

    @property
    def _lam(self):
        return self.alpha * self.l1_ratio

    @property
    def _mu(self):
        return self.alpha * (1.0 - self.l1_ratio)

    def value(self, x):
        return self._lam * float(np.sum(np.abs(x))) + 0.5 * self._mu * float(np.dot(x, x))

    def __call__(self, v, t=1.0):
        v = np.asarray(v, dtype=float)
        return np.sign(v) * np.maximum(np.abs(v) - t * self._lam, 0.0) / (1.0 + t * self._mu)

    def prox_conjugate(self, v, t=1.0):
        v = np.asarray(v, dtype=float)
        lam, mu = self._lam, self._mu
        if mu == 0.0:
            return np.clip(v, -lam, lam)
        out = v.copy()
        big = np.abs(v) > lam
        out[big] = np.sign(v[big]) * (mu * np.abs(v[big]) + t * lam) / (mu + t)
        return out


class Box(Prox):
    r"""Indicator of ``lb <= x <= ub`` (projection); ``g*(y) = sum_i max(lb_i y_i, ub_i y_i)``."""

    is_indicator = True

    def __init__(self, lb=-np.inf, ub=np.inf):
        self.lb = np.array(_real_dtype_or_raise(lb, "lb", "real numbers (-inf for no bound)"), dtype=float)
        self.ub = np.array(_real_dtype_or_raise(ub, "ub", "real numbers (+inf for no bound)"), dtype=float)
        if np.any(np.isnan(self.lb)) or np.any(np.isnan(self.ub)):
            raise ValueError("Box bounds lb and ub must not be nan")
        try:
            bad = np.any(self.lb > self.ub)
        except ValueError:
            raise ValueError(f"Box bounds lb and ub must have broadcastable shapes, got {self.lb.shape} "
                             f"and {self.ub.shape}") from None
        if bad:
            raise ValueError("Box bounds are inconsistent: some lb > ub")

    def value(self, x):
        x = np.asarray(x)
        return 0.0 if np.all((x >= self.lb) & (x <= self.ub)) else np.inf

    def __call__(self, v, t=1.0):
        v = np.asarray(v, dtype=float)
        for name, bound in (("lb", self.lb), ("ub", self.ub)):
            if np.ndim(bound) and np.shape(bound) != v.shape:
                raise ValueError(f"Box {name} has shape {np.shape(bound)} but the point v has shape {v.shape}")
        return np.clip(v, self.lb, self.ub)

    def prox_conjugate(self, v, t=1.0):
        v = np.asarray(v, dtype=float)
        lb, ub = np.broadcast_to(self.lb, v.shape), np.broadcast_to(self.ub, v.shape)
        with np.errstate(invalid="ignore"):
            up = v - t * ub          # candidate with u > 0 (slope ub)
            lo = v - t * lb          # candidate with u < 0 (slope lb)
        return np.where(up > 0, up, np.where(lo < 0, lo, 0.0))


class NonNegative(Box):
    """Indicator of ``x >= 0``."""

    def __init__(self):
        super().__init__(0.0, np.inf)

    def __repr__(self):
        return "NonNegative()"


class Simplex(Prox):
    r"""Indicator of ``{x >= 0, sum(x) = radius}``; projection by sorting (Duchi et al., ICML 2008)."""

    is_indicator = True

    def __init__(self, radius: float = 1.0):
        self.radius = as_scalar(radius, "radius", low=0.0, strict=True)

    def value(self, x):
        x = np.asarray(x)
        ok = np.all(x >= -1e-12) and abs(np.sum(x) - self.radius) <= 1e-9 * max(1.0, self.radius)
        return 0.0 if ok else np.inf

    def __call__(self, v, t=1.0):
        v = np.asarray(v, dtype=float)
        if not np.all(np.isfinite(v)):          # NaN in, NaN out: the caller's finiteness check decides
            return np.full_like(v, np.nan)
        # the projection commutes with adding c 1 to v: shifting by max(v) keeps the radius
        # above the rounding of |v| and makes k = 1 always feasible (u_1 - css_1 = radius > 0)
        v = v - np.max(v)
        u = np.sort(v)[::-1]
        css = np.cumsum(u) - self.radius
        k = np.arange(1, v.size + 1)
        rho = np.nonzero(u - css / k > 0)[0][-1]
        theta = css[rho] / (rho + 1.0)
        return np.maximum(v - theta, 0.0)


class GroupL1(Prox):
    r"""``g(x) = alpha sum_g w_g ||x_g||_2`` over disjoint groups; ``g*`` is the product of balls.

    ``groups`` is a list of index arrays (disjoint); weights default to ``sqrt(|g|)``.
    """

    def __init__(self, alpha: float, groups, weights=None):
        self.alpha = as_scalar(alpha, "alpha", low=0.0)
        if isinstance(groups, (str, bytes)) or not hasattr(groups, "__iter__"):
            raise TypeError(f"groups must be a list of index arrays, got {type(groups).__name__}")
        self.groups = []
        for k, g in enumerate(groups):
            raw = _real_dtype_or_raise(g, f"groups[{k}]", "an array of integer indices")
            if raw.dtype.kind not in "iu" and raw.size:
                raise TypeError(f"groups[{k}] must hold integer indices, got dtype {raw.dtype}")
            if raw.ndim > 1:
                raise ValueError(f"groups[{k}] must be one-dimensional, got shape {raw.shape}")
            idx = raw.astype(np.intp).reshape(-1)
            if idx.size and idx.min() < 0:
                raise ValueError(f"groups[{k}] must hold indices >= 0, got {int(idx.min())}")
            self.groups.append(idx)
        seen = np.concatenate(self.groups) if self.groups else np.array([], dtype=np.intp)
        if np.unique(seen).size != seen.size:
            raise ValueError("groups must be disjoint")
        self.weights = (np.sqrt([g.size for g in self.groups]) if weights is None
                        else as_vector(weights, "weights", size=len(self.groups)))

    def _fits(self, x):
        top = max((int(g.max()) for g in self.groups if g.size), default=-1)
        if top >= np.shape(x)[-1] if np.ndim(x) else top >= 1:
            raise ValueError(f"groups index {top} is out of range for a vector of length {np.size(x)}")
        return x

    def value(self, x):
        x = self._fits(np.asarray(x))
        return self.alpha * float(sum(w * np.linalg.norm(x[g]) for g, w in zip(self.groups, self.weights)))

    def __call__(self, v, t=1.0):
        out = self._fits(np.array(v, dtype=float, copy=True))
        for g, w in zip(self.groups, self.weights):
            nv = np.linalg.norm(out[g])
            thr = t * self.alpha * w
            out[g] = 0.0 if nv <= thr else (1.0 - thr / nv) * out[g]
        return out

    def prox_conjugate(self, v, t=1.0):
        out = self._fits(np.array(v, dtype=float, copy=True))
        for g, w in zip(self.groups, self.weights):
            nv = np.linalg.norm(out[g])
            r = self.alpha * w
            if nv > r:
                out[g] *= r / nv
        # coordinates in no group: g is 0 there, so g* is the indicator of {0}
        free = np.ones(out.size, dtype=bool)
        for g in self.groups:
            free[g] = False
        out[free] = 0.0
        return out


class Product(Prox):
    r"""Separable sum over consecutive blocks: ``g(x) = sum_b g_b(x_b)``, e.g. a product of simplices.

    ``prox_{tg}`` and ``prox_{tg*}`` act block by block (``g* = sum_b g_b*``), each with the
    block's own operator, so the Moreau identity holds blockwise.

    Parameters
    ----------
    blocks : sequence of Prox
        One operator per block.
    sizes : sequence of int
        The length of each block (positive); the blocks are consecutive and cover ``x``.

    Examples
    --------
    The feasible set of a matrix game, ``Delta_m x Delta_n``:

    >>> from numopt.problems.prox import Product, Simplex
    >>> G = Product([Simplex(), Simplex()], [2, 3])
    >>> G(np.array([1.0, 1.0, 0.0, 0.0, 3.0])).round(3).tolist()
    [0.5, 0.5, 0.0, 0.0, 1.0]
    """

    def __init__(self, blocks, sizes):
        blocks, sizes = list(blocks), list(sizes)
        if not blocks or len(blocks) != len(sizes):
            raise ValueError(f"blocks and sizes must be non-empty and of the same length, "
                             f"got {len(blocks)} blocks and {len(sizes)} sizes")
        for k, b in enumerate(blocks):
            if not isinstance(b, Prox):
                raise TypeError(f"blocks[{k}] must be a numopt.problems.prox.Prox, got {type(b).__name__}")
        for k, m in enumerate(sizes):
            if isinstance(m, (bool, np.bool_)) or int(m) != m or m <= 0:
                raise ValueError(f"sizes[{k}] must be a positive integer, got {m!r}")
        self.blocks = blocks
        self.sizes = [int(m) for m in sizes]
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.intp)
        self.is_indicator = all(b.is_indicator for b in blocks)

    @property
    def size(self) -> int:
        """Total length of ``x``."""
        return int(self.offsets[-1])

    def _split(self, v, name="v"):
        v = np.asarray(v, dtype=float)
        if v.shape != (self.size,):
            raise ValueError(f"{name} must have shape ({self.size},) (the sum of the block sizes), got {v.shape}")
        return [v[self.offsets[k]:self.offsets[k + 1]] for k in range(len(self.blocks))]

    def value(self, x):
        return float(sum(b.value(xb) for b, xb in zip(self.blocks, self._split(x, "x"))))

    def __call__(self, v, t=1.0):
        return np.concatenate([b(vb, t) for b, vb in zip(self.blocks, self._split(v))])

    def prox_conjugate(self, v, t=1.0):
        return np.concatenate([b.prox_conjugate(vb, t) for b, vb in zip(self.blocks, self._split(v))])
