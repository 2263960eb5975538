r"""Finite sums ``f(x) = (1/N) sum_i f_i(x)``."""
from __future__ import annotations

import numpy as np

from .base import SmoothProblem

__all__ = ["FiniteSum"]


class FiniteSum(SmoothProblem):
    r"""Protocol for ``f(x) = (1/N) sum_{i<N} f_i(x)``.

    Subclasses set ``n_components`` and implement ``_grad_batch(x, idx)``, the average
    of ``grad f_i(x)`` over the index array ``idx`` (``_fun`` and ``_grad`` as for any
    smooth problem). ``grad_batch`` counts ``len(idx) / N`` of a gradient in
    ``njev`` terms through the separate ``ngrad_components`` counter.
    """

    oracles = SmoothProblem.oracles | {"finite_sum"}
    n_components: int = 0

    def grad_batch(self, x, idx) -> np.ndarray:
        idx = np.asarray(idx, dtype=np.intp)
        self._count("ngrad_components", int(idx.size))
        return self._grad_batch(x, idx)

    def _grad_batch(self, x, idx):  # pragma: no cover - protocol
        raise NotImplementedError
