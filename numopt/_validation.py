"""Checks at the public boundary. Each error names the argument, what was expected and what was given."""
from __future__ import annotations

import numbers
import warnings

import numpy as np

__all__ = ["as_x0", "as_vector", "as_matrix", "as_scalar", "check_positive", "check_tol"]


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def _real_dtype_or_raise(value, name: str, what: str = "an array of real numbers"):
    """Raise ``TypeError`` naming ``name`` unless ``value`` holds real numbers.

    numpy would silently drop an imaginary part (with only a ``ComplexWarning``), parse
    numeric strings (``"1.5"``) and turn booleans into 0/1; none of these is accepted.
    Returns the array numpy reads from ``value`` (not yet converted to float).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")            # ragged input: numpy's VisibleDeprecationWarning
            raw = np.asarray(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {what}, got {_describe(value)}") from None
    kind = raw.dtype.kind
    if kind == "O":
        flat = raw.ravel()
        ok = all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in flat)
        if not ok:
            bad = next(v for v in flat if not isinstance(v, numbers.Real) or isinstance(v, (bool, np.bool_)))
            raise TypeError(f"{name} must be {what}, got an entry of type {type(bad).__name__}: {bad!r}"[:300])
    elif kind == "c":
        raise TypeError(f"{name} must be {what}, got complex numbers (dtype {raw.dtype}); "
                        f"pass the real part explicitly if that is what you mean")
    elif kind not in "iuf":
        raise TypeError(f"{name} must be {what}, got {_describe(raw)}")
    return raw


def as_vector(value, name: str, *, size: int | None = None, finite: bool = True,
              allow_scalar: bool = False) -> np.ndarray:
    """Return ``value`` as a 1-D float64 array (a copy), or raise naming ``name``.

    Complex numbers, strings and booleans raise ``TypeError`` (numpy would accept them).
    """
    raw = _real_dtype_or_raise(value, name)
    try:
        arr = np.array(raw, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{name} must be an array of real numbers, got {_describe(value)}") from None
    if arr.ndim == 0 and allow_scalar:
        arr = arr.reshape(1) if size is None else np.full(size, float(arr))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if size is not None and arr.shape[0] != size:
        raise ValueError(f"{name} must have length {size}, got length {arr.shape[0]}")
    if finite and not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr))[:5].tolist()
        raise ValueError(f"{name} must be finite, got nan or inf at index {bad}")
    return arr


def as_x0(x0, *, size: int | None = None) -> np.ndarray:
    """``x0`` as scipy reads it: a scalar becomes shape (1,), ints become floats, 1-D only,
    at least one element unless the problem's ``size`` is 0."""
    arr = _real_dtype_or_raise(x0, "x0")
    if arr.ndim > 1:
        raise ValueError(f"x0 must be one-dimensional (scipy convention), got shape {arr.shape}")
    x = as_vector(x0, "x0", size=size, allow_scalar=True)
    if x.size == 0 and size != 0:      # a problem may declare n = 0 (e.g. a one-layer LipSDP)
        raise ValueError("x0 must have at least one element, got an empty array")
    return x


def as_matrix(X, name: str, *, rows: int | None = None, finite: bool = True):
    """A 2-D float64 ndarray or a CSR/CSC scipy.sparse matrix, validated."""
    import scipy.sparse as sp
    if sp.issparse(X):
        if X.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real matrix, got a sparse matrix of dtype {X.dtype}")
        X = X.tocsr() if X.format not in ("csr", "csc") else X
        if X.dtype != np.float64:
            X = X.astype(np.float64)
        data = X.data
    else:
        raw = _real_dtype_or_raise(X, name, "a 2-D array or sparse matrix of real numbers")
        try:
            X = np.asarray(raw, dtype=float)
        except (TypeError, ValueError, OverflowError):
            raise TypeError(f"{name} must be a 2-D array or sparse matrix, got {_describe(X)}") from None
        if X.ndim != 2:
            raise ValueError(f"{name} must be two-dimensional, got shape {X.shape}")
        data = X
    if rows is not None and X.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} rows, got shape {X.shape}")
    if finite and not np.all(np.isfinite(data)):
        raise ValueError(f"{name} must be finite, got nan or inf entries")
    return X


def as_scalar(value, name: str, *, low: float | None = None, strict: bool = False) -> float:
    """A finite real number, optionally ``>= low`` (``> low`` when ``strict``)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_describe(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value <= low if strict else value < low):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {low}, got {value}")
    return value


def check_positive(value, name: str) -> float:
    return as_scalar(value, name, low=0.0, strict=True)


def check_tol(tol) -> float | None:
    """``tol`` of :func:`numopt.minimize`: ``None`` or a finite real number ``> 0`` (not a bool)."""
    if tol is None:
        return None
    if isinstance(tol, (bool, np.bool_)) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol must be a positive real number or None, got {_describe(tol)}")
    tol = float(tol)
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number (finite, > 0), got {tol!r}")
    return tol
