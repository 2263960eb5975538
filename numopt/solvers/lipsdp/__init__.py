"""Certified Lipschitz bounds of neural networks: ``lipsdp`` (LipSDP and its ICLR-2024 extensions).

Solves :class:`numopt.problems.Network`; the user-facing function is :func:`numopt.lipschitz.lipsdp`.
cvxpy loads only for ``solver="cvxpy"``.
"""
from .solver import LipSDP, LipSDPOptions

__all__ = ["LipSDP", "LipSDPOptions"]
