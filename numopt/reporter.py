"""The iteration reporter: a compact table through ``logging`` (logger ``numopt.<method>``).

With ``disp=True`` the table goes to standard output (a handler is attached for the run
unless the user has put a handler on the ``numopt`` logger); otherwise rows are logged at DEBUG level, so users can route
them with the ``logging`` module. Library code never calls ``print``.
"""
from __future__ import annotations

import logging
import math
import sys

__all__ = ["IterationReporter", "get_logger"]


def get_logger(method: str) -> logging.Logger:
    return logging.getLogger(f"numopt.{method}")


def _fmt(v) -> str:
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return f"{v:>11d}"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return f"{str(v):>11s}"
    return f"{v:>11.4e}" if math.isfinite(v) else f"{str(v):>11s}"


class IterationReporter:
    """Writes a header and one row per iteration (every ``every``-th, and the last)."""

    def __init__(self, method: str, disp: bool = False, every: int = 1):
        self.log = get_logger(method)
        self.level = logging.INFO if disp else logging.DEBUG
        self.every = max(1, int(every))
        self.columns = None
        self._handler = None
        if disp and not (self.log.handlers or logging.getLogger("numopt").handlers):
            # the user has not routed numopt's logs: print the table on stdout for this run
            self._handler = logging.StreamHandler(sys.stdout)
            self._handler.setFormatter(logging.Formatter("%(message)s"))
            self.log.addHandler(self._handler)
            self._old = (self.log.level, self.log.propagate)
            self.log.setLevel(logging.INFO)
            self.log.propagate = False
        self.active = self.log.isEnabledFor(self.level)

    def row(self, nit: int, values: dict, force: bool = False) -> None:
        if not self.active or (nit % self.every and not force):
            return
        if self.columns is None:
            self.columns = list(values)
            self.log.log(self.level, " ".join(f"{c:>11s}" for c in self.columns))
        self.log.log(self.level, " ".join(_fmt(values.get(c, "")) for c in self.columns))

    def close(self, message: str) -> None:
        if self.active:
            self.log.log(self.level, message)
        if self._handler is not None:
            self.log.removeHandler(self._handler)
            self.log.setLevel(self._old[0])
            self.log.propagate = self._old[1]
