"""Proximal gradient family: ``prox-grad`` (ISTA / FISTA with backtracking and restart)."""
from .solver import ProxGrad, ProxGradOptions

__all__ = ["ProxGrad", "ProxGradOptions"]
