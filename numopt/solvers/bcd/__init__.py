"""Block coordinate descent family: ``bcd`` (greedy rules, forest blocks, Newton updates)."""
from .solver import BCD, BCDOptions

__all__ = ["BCD", "BCDOptions"]
