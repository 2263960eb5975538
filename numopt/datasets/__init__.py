"""Data sets and problem builders on them (LIBSVM)."""
from .builders import MODELS, alpha_max, libsvm_problem
from .libsvm import LIBSVM_BASE_URL, LIBSVM_DATASETS, ChecksumError, data_home, download_libsvm, load_libsvm

__all__ = ["data_home", "load_libsvm", "download_libsvm", "libsvm_problem", "LIBSVM_DATASETS", "LIBSVM_BASE_URL",
           "ChecksumError", "MODELS", "alpha_max"]
