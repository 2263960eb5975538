"""ADMM family: ``admm`` (the shared engine), ``consensus-admm``, ``fed-admm``, ``relu-admm``."""
from .solver import ADMM
from .engine import ADMMOptions

__all__ = ["ADMM", "ADMMOptions"]
