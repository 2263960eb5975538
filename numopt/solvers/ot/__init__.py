"""Entropic optimal transport: ``sinkhorn`` (log-stabilized) and ``sns`` (Sinkhorn-Newton-Sparse).

Both solve :class:`numopt.problems.EntropicOT`; the numba kernels (``_kernels``) load on first use.
"""
from .sinkhorn import Sinkhorn, SinkhornOptions
from .sns import SNS, SNSOptions

__all__ = ["Sinkhorn", "SinkhornOptions", "SNS", "SNSOptions"]
