"""Shared fixtures: the data folder and small reference problems."""
import os
from pathlib import Path

import numpy as np
import pytest


def data_dir() -> Path | None:
    """``$NUMOPT_DATA`` if set and present (CI sets it to ../shared/data); no other guess."""
    d = os.environ.get("NUMOPT_DATA")
    if d and Path(d).is_dir():
        return Path(d)
    return None


@pytest.fixture(scope="session")
def numopt_data() -> Path:
    d = data_dir()
    if d is None:
        pytest.skip("NUMOPT_DATA is not set (real data sets not available)")
    return d


@pytest.fixture(scope="session")
def diabetes():
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
    return X, y


@pytest.fixture
def rng():
    return np.random.default_rng(0)
