r"""Composite objectives ``F(x) = f(x) + g(x)``: a smooth problem plus a proximal operator."""
from __future__ import annotations

import numpy as np

from .base import Problem, SmoothProblem
from .prox import Box, Prox, Zero

__all__ = ["CompositeProblem", "as_composite"]


class CompositeProblem(Problem):
    r"""``min_x f(x) + g(x)`` with ``f`` smooth (a :class:`SmoothProblem`) and ``g`` a :class:`Prox`.

    ``structure`` contains ``"nonsmooth"`` unless ``g`` is :class:`Zero`, so a smooth-only
    solver refuses a genuinely composite problem but accepts ``g = 0``.
    ``fun`` is the full objective ``F``; the smooth part's oracles are on ``smooth``.
    """

    def __init__(self, smooth: SmoothProblem, prox: Prox, x0=None, name: str | None = None):
        if not isinstance(smooth, SmoothProblem):
            raise TypeError(f"smooth must be a numopt SmoothProblem, got {type(smooth).__name__}")
        if not isinstance(prox, Prox):
            raise TypeError(f"prox must be a numopt Prox operator, got {type(prox).__name__}")
        super().__init__(smooth.n, smooth.x0 if x0 is None else x0, name or type(self).__name__)
        self.smooth, self.prox = smooth, prox
        self.counts = smooth.counts          # one set of counters for the whole problem
        self.structure = frozenset() if isinstance(prox, Zero) else frozenset({"nonsmooth"})
        self.oracles = smooth.oracles | {"prox", "splitting"}   # splitting: f(x) + g(z), x = z

    def fun(self, x) -> float:
        return self.smooth.fun(x) + self.prox.value(x)

    def grad(self, x):
        """Gradient of the smooth part ``f`` (``g`` has only a prox)."""
        return self.smooth.grad(x)

    def fun_and_grad(self, x):
        return self.smooth.fun_and_grad(x)

    def hessp(self, x, p):
        return self.smooth.hessp(x, p)

    def to_scipy(self) -> dict:
        if "nonsmooth" in self.structure:
            return super().to_scipy()
        return self.smooth.to_scipy()


def as_composite(problem: Problem) -> CompositeProblem:
    """View a smooth (possibly bound-constrained) problem as ``f + g`` for proximal methods.

    Bounds become the :class:`Box` indicator. Composite problems are returned as they are.
    """
    if isinstance(problem, CompositeProblem):
        return problem
    bounds = getattr(problem, "bounds", None)
    prox = Zero() if bounds is None else Box(bounds[0], bounds[1])
    smooth = getattr(problem, "objective", problem)
    if not isinstance(smooth, SmoothProblem):
        raise TypeError(f"{problem!r} has no smooth objective a proximal method can use")
    return CompositeProblem(smooth, prox, x0=problem.x0, name=problem.name)
