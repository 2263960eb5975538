"""CSR products shared by the families' numba kernels (EAL sketches, SNS Newton systems).

Module-level jitted functions over the raw CSR arrays ``(indptr, indices, data)``, so kernels
of any family can call them without scipy objects.
"""
from __future__ import annotations

from ._jit import njit

__all__ = ["csr_matvec", "csr_rmatvec"]


@njit
def csr_matvec(indptr, indices, data, x, out):
    """``out = A @ x`` for CSR ``A``."""
    for i in range(indptr.size - 1):
        s = 0.0
        for p in range(indptr[i], indptr[i + 1]):
            s += data[p] * x[indices[p]]
        out[i] = s


@njit
def csr_rmatvec(indptr, indices, data, x, out):
    """``out = A.T @ x`` for CSR ``A`` (scatter; ``out`` is overwritten)."""
    out[:] = 0.0
    for i in range(indptr.size - 1):
        xi = x[i]
        for p in range(indptr[i], indptr[i + 1]):
            out[indices[p]] += data[p] * xi
