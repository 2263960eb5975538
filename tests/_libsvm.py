"""Reading a LIBSVM file of the shared data folder in tests (skipped when it is not there)."""
import os

import pytest


def read_libsvm(name):
    """``(X, y)`` of ``$NUMOPT_DATA/libsvm/<name>`` as scikit-learn reads it (X sparse CSR);
    skips the test when ``NUMOPT_DATA`` is unset or the file is missing."""
    root = os.environ.get("NUMOPT_DATA")
    path = os.path.join(root or "", "libsvm", name)
    if not root or not os.path.exists(path):
        pytest.skip(f"NUMOPT_DATA/libsvm/{name} not available")
    from sklearn.datasets import load_svmlight_file
    return load_svmlight_file(path)
