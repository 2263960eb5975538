"""Exact augmented Lagrangian family: ``eal`` (Hong, Na, Mahoney, Kolar; ICML 2023)."""
from .solver import EAL, EALOptions

__all__ = ["EAL", "EALOptions"]
