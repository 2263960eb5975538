"""The benchmark runner's ``lipschitz`` source: seeded random networks for ``lipsdp``.

Selection ``names``: ``"relu"``, ``"tanh"``, ``"maxmin"`` (activation of every hidden layer);
build parameters: ``widths`` (a string ``"10-32-32-1"`` or a list), ``seed``. Weights are
``N(0, 1/fan_in)``. No reference value is known; the success criterion compares with the smallest
certified bound any solver found (``res.fun`` is the certified bound: lower is better).
"""
from __future__ import annotations

import numpy as np

__all__ = ["LipschitzSource", "random_network"]

_ACTS = ("relu", "tanh", "maxmin")


def random_network(widths="10-32-32-1", activation="relu", seed=0):
    """A :class:`~numopt.problems.Network` with ``N(0, 1/fan_in)`` weights."""
    from ...problems.network import Network
    if isinstance(widths, str):
        widths = [int(w) for w in widths.split("-")]
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"widths must list at least two positive layer sizes, got {widths}")
    rng = np.random.default_rng(seed)
    W = [rng.standard_normal((widths[i + 1], widths[i])) / np.sqrt(widths[i]) for i in range(len(widths) - 1)]
    return Network(W, activation, name=f"{activation}-" + "-".join(map(str, widths)))


class LipschitzSource:
    """Random networks by activation name (see the module docstring)."""

    description = "random feed-forward networks (relu, tanh, maxmin) for Lipschitz bounds"

    def available(self):
        return None

    def select(self, names=None) -> list[str]:
        from ...bench.sources import select_names
        return select_names(names, _ACTS, "lipschitz")

    def build(self, name: str, **params):
        from ...bench.sources import BenchProblem, problem_id
        try:
            net = random_network(activation=self.select(name)[0], **params)
        except TypeError as exc:
            raise ValueError(f"bad parameters {params} for lipschitz problem {name!r}: {exc}") from None
        net.name = problem_id("lipschitz", name, params)
        return BenchProblem(net)
