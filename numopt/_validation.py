"""Checks at the public boundary. Each error names the argument, what was expected and what was given."""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_x0", "as_vector", "as_matrix", "as_scalar", "check_positive"]


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def as_vector(value, name: str, *, size: int | None = None, finite: bool = True,
              allow_scalar: bool = False) -> np.ndarray:
    """Return ``value`` as a 1-D float64 array (a copy), or raise naming ``name``."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
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
    """``x0`` as scipy reads it: a scalar becomes shape (1,), ints become floats, 1-D only."""
    arr = np.asarray(x0)
    if arr.ndim > 1:
        raise ValueError(f"x0 must be one-dimensional (scipy convention), got shape {arr.shape}")
    return as_vector(x0, "x0", size=size, allow_scalar=True)


def as_matrix(X, name: str, *, rows: int | None = None, finite: bool = True):
    """A 2-D float64 ndarray or a CSR/CSC scipy.sparse matrix, validated."""
    import scipy.sparse as sp
    if sp.issparse(X):
        X = X.tocsr() if X.format not in ("csr", "csc") else X
        if X.dtype != np.float64:
            X = X.astype(np.float64)
        data = X.data
    else:
        try:
            X = np.asarray(X, dtype=float)
        except (TypeError, ValueError):
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
