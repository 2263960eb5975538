"""Options: one dataclass per method, validated at the boundary.

Every native method's options class derives from :class:`DriverOptions`, which holds
what the shared driver owns (``maxiter``, ``maxtime``, ``disp``, ``history``). Fields
are declared with :func:`opt`, which records the documentation that
:func:`numopt.show_options` prints. Naming follows scipy: ``gtol`` (stationarity),
``ctol`` (feasibility), ``xtol`` (step), ``ftol`` (relative decrease), ``eps_abs`` /
``eps_rel`` for splitting residuals.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = ["opt", "DriverOptions", "make_options", "describe_options"]


def opt(default: Any, doc: str, *, kind: type | tuple | None = None) -> Any:
    """A documented options field. ``kind`` (a type or tuple of types) is checked."""
    if isinstance(default, (list, dict, set)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"doc": doc, "kind": kind})
    return field(default=default, metadata={"doc": doc, "kind": kind})


@dataclass
class DriverOptions:
    """Options every native method accepts (owned by the shared driver)."""

    maxiter: int = opt(1000, "Maximum number of iterations.", kind=int)
    maxtime: float = opt(float("inf"), "Wall-clock limit in seconds.", kind=(int, float))
    disp: bool = opt(False, "Print an iteration table (through logging, logger 'numopt').", kind=bool)
    history: bool = opt(False, "Record per-iteration values in ``res.history``.", kind=bool)
    log_every: int = opt(1, "With ``disp``: print every k-th iteration.", kind=int)


#: magnitude at which an int-only option is clamped (see :func:`_check_kind`)
INT_CAP = 2 ** 62


def _check_kind(name: str, value: Any, f: dataclasses.Field, method: str) -> Any:
    kind = f.metadata.get("kind")
    if kind is None or value is None and f.default is None:
        return value
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds or int in kinds:
        import numbers
        import numpy as np
        if isinstance(value, (bool, np.bool_)) and bool not in kinds:
            raise TypeError(f"option {name!r} of method {method!r} expects a number, got {value!r}")
        if int in kinds and float not in kinds and isinstance(value, numbers.Integral):
            # beyond 2**62 an int option is no limit at all: clamp it, so that numba kernels
            # (int64) and C-sized Python arguments (itertools, range lengths) accept it
            return max(-INT_CAP, min(int(value), INT_CAP))
        if float in kinds and isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            # a float-only option given as an int, or any int too large for exact float/int64
            # arithmetic, becomes a float (numpy cannot test a Python int beyond int64 for finiteness)
            if isinstance(value, numbers.Integral) and (int not in kinds or abs(int(value)) > 2 ** 53):
                try:
                    return float(value)
                except OverflowError:
                    raise ValueError(f"option {name!r} of method {method!r} is too large: {value!r}") from None
            return value
    if bool in kinds:
        import numpy as np
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
    if isinstance(value, kinds):
        return value
    expected = " or ".join(k.__name__ for k in kinds)
    raise TypeError(f"option {name!r} of method {method!r} expects {expected}, got {type(value).__name__} {value!r}")


def make_options(cls: type, options: dict | None, *, method: str, tol: float | None = None,
                 tol_options: tuple[str, ...] = ()) -> Any:
    """Build the options dataclass ``cls`` from a user dict.

    Unknown names raise a ``ValueError`` listing the valid ones. ``tol`` sets every
    option named in ``tol_options`` unless the user set it explicitly.
    """
    options = dict(options or {})
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(map(repr, unknown))} for method {method!r}; "
            f"valid options are: {', '.join(sorted(fields))}")
    from ._validation import check_tol
    tol = check_tol(tol)
    if tol is not None:
        for name in tol_options:
            options.setdefault(name, float(tol))
    for name, value in options.items():
        options[name] = _check_kind(name, value, fields[name], method)
    obj = cls(**options)
    if hasattr(obj, "maxiter") and obj.maxiter < 0:
        raise ValueError(f"option 'maxiter' must be >= 0, got {obj.maxiter}")
    validate = getattr(obj, "validate", None)
    if validate is not None:
        validate()
    return obj


def describe_options(cls: type, tol_options: tuple[str, ...] = ()) -> str:
    """Text table of the fields of an options dataclass (used by ``show_options``)."""
    lines = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        tag = "  [set by tol]" if f.name in tol_options else ""
        lines.append(f"{f.name} = {default!r}{tag}")
        doc = f.metadata.get("doc", "")
        if doc:
            lines.append(f"    {doc}")
    return "\n".join(lines)
