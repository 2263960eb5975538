r"""LIBSVM/svmlight data: a data home, a reader and a checksummed downloader.

* :func:`data_home` -- where the files live: ``$NUMOPT_DATA/libsvm`` when ``NUMOPT_DATA``
  is set, else ``$XDG_CACHE_HOME/numopt/libsvm`` (``~/.cache/numopt/libsvm``).
* :func:`load_libsvm` -- scikit-learn's ``load_svmlight_file`` with the right
  ``n_features`` for known files (a test split may miss the last feature index: a9a.t's
  largest index is 122 of 123) and binary labels mapped to -1/+1.
* :func:`download_libsvm` -- fetch a file from the LIBSVM data page, verify its SHA-256,
  and move it into place atomically; on a mismatch nothing is cached.

References
----------
C.-C. Chang and C.-J. Lin, "LIBSVM: a library for support vector machines", ACM TIST 2(3),
2011; data page https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/ (cite the original
source of each data set as that page asks).
"""
from __future__ import annotations

import bz2
import hashlib
import logging
import os
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

__all__ = ["data_home", "load_libsvm", "download_libsvm", "LIBSVM_DATASETS", "LIBSVM_BASE_URL", "ChecksumError"]

logger = logging.getLogger(__name__)

LIBSVM_BASE_URL = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/binary/"

#: Known binary data sets: shape and, where recorded, the SHA-256 of the (uncompressed)
#: file. The checksums are those of the copies in the project's shared data folder
#: (``shared/data/libsvm/SOURCES.md``), which are verbatim copies of the LIBSVM page's
#: files; breast-cancer_scale has none because that copy's labels were remapped (the
#: page's file uses 2/4), so its download needs ``sha256=`` or ``verify=False``.
LIBSVM_DATASETS: dict[str, dict] = {
    "heart_scale": {"n_samples": 270, "n_features": 13,
                    "sha256": "5defa0a4c4c5bdaf3f55ae3828310252e8565c13ee37ce279e0b86d82e7f4ce9"},
    "german.numer": {"n_samples": 1000, "n_features": 24,
                     "sha256": "69ffe0c4ba0bd91f936986d7c070dfca7e22064bbd5ab8e1fb925d6c86024ec8"},
    "breast-cancer_scale": {"n_samples": 683, "n_features": 10, "sha256": None},
    "w8a": {"n_samples": 49749, "n_features": 300,
            "sha256": "b464b4f6ce6a5d9e181ffc793e19a04751036273722312398ef7673705014902"},
    "a9a.t": {"n_samples": 16281, "n_features": 123,
              "sha256": "1f448a153f0320399a7e40836eb207655b0bde0f21fc941cc472193daa9f5de9"},
    "a9a": {"n_samples": 32561, "n_features": 123, "sha256": None},
    "w8a.t": {"n_samples": 14951, "n_features": 300, "sha256": None},
    "ionosphere_scale": {"n_samples": 351, "n_features": 34, "sha256": None},
    "sonar_scale": {"n_samples": 208, "n_features": 60, "sha256": None},
    "splice_scale": {"n_samples": 1000, "n_features": 60, "sha256": None},
    "mushrooms": {"n_samples": 8124, "n_features": 112, "sha256": None},
    "phishing": {"n_samples": 11055, "n_features": 68, "sha256": None},
    "australian_scale": {"n_samples": 690, "n_features": 14, "sha256": None},
    "diabetes_scale": {"n_samples": 768, "n_features": 8, "sha256": None},
}


class ChecksumError(ValueError):
    """A downloaded file does not have the expected SHA-256 (nothing was cached)."""


def data_home(create: bool = False) -> Path:
    """The folder of LIBSVM files: ``$NUMOPT_DATA/libsvm`` or ``~/.cache/numopt/libsvm``.

    ``XDG_CACHE_HOME`` replaces ``~/.cache`` when set. ``create=True`` makes the folder.
    """
    root = os.environ.get("NUMOPT_DATA")
    if root:
        home = Path(root).expanduser() / "libsvm"
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        home = Path(cache) / "numopt" / "libsvm"
    if create:
        home.mkdir(parents=True, exist_ok=True)
    return home


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _resolve(name) -> Path:
    path = Path(os.fspath(name)).expanduser()
    if path.is_file():
        return path
    if not isinstance(name, str) or os.sep in name:
        raise FileNotFoundError(f"no LIBSVM file at {str(path)!r}")
    candidate = data_home() / name
    if candidate.is_file():
        return candidate
    raise FileNotFoundError(f"LIBSVM data set {name!r} not found in {str(data_home())!r}; set NUMOPT_DATA to a "
                            f"folder holding libsvm/{name}, or call numopt.datasets.download_libsvm({name!r})")


def load_libsvm(name, n_features: int | None = None, *, binary: bool = True):
    """Read a LIBSVM/svmlight file: ``(X, y)`` with ``X`` CSR float64 (int32 indices), ``y`` float64.

    Parameters
    ----------
    name : str or path
        A file name in :func:`data_home` (``"heart_scale"``, ``"a9a.t"``, ...) or a path.
    n_features : int, optional
        Number of columns; defaults to the known value for the names of
        :data:`LIBSVM_DATASETS` (always pass it for test splits).
    binary : bool
        Map the two labels to -1 (the smaller) and +1 (the larger), e.g. 2/4 or 0/1;
        ``ValueError`` if there are more than two. ``False`` returns the labels as read.

    Examples
    --------
    >>> X, y = load_libsvm("a9a.t")                                  # doctest: +SKIP
    >>> X.shape, sorted(set(y))                                      # doctest: +SKIP
    ((16281, 123), [-1.0, 1.0])
    """
    path = _resolve(name)
    if n_features is None:
        n_features = LIBSVM_DATASETS.get(path.name, {}).get("n_features")
    elif isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) or n_features < 1:
        raise ValueError(f"n_features must be a positive integer, got {n_features!r}")
    from sklearn.datasets import load_svmlight_file
    X, y = load_svmlight_file(str(path), n_features=n_features, dtype=np.float64)
    y = np.asarray(y, dtype=float)
    if binary:
        labels = np.unique(y)
        if labels.size > 2:
            raise ValueError(f"{path.name} has {labels.size} distinct labels ({labels[:5].tolist()}...); "
                             f"pass binary=False for multiclass or regression data")
        if labels.size == 2:
            y = np.where(y == labels[1], 1.0, -1.0)
        elif labels.size == 1:
            y = np.ones_like(y) if labels[0] > 0 else -np.ones_like(y)
    X = X.tocsr()
    if X.nnz < np.iinfo(np.int32).max and X.shape[1] < np.iinfo(np.int32).max:
        # scikit-learn's reader returns int64 indices, which its own sparse solvers
        # (Lasso, ElasticNet, ...) refuse; int32 is what scipy and scikit-learn expect
        X.indices = X.indices.astype(np.int32)
        X.indptr = X.indptr.astype(np.int32)
    return X, y


def download_libsvm(name: str, url: str | None = None, sha256: str | None = None, *,
                    base_url: str = LIBSVM_BASE_URL, verify: bool = True, timeout: float = 60.0) -> Path:
    """Download a LIBSVM data file into :func:`data_home`, verified and written atomically.

    Parameters
    ----------
    name : str
        File name on the data page (``"a9a"``, ``"w8a.t"``, ...); the file is stored
        under this name. A ``.bz2`` URL is decompressed; the checksum is that of the
        decompressed file.
    url : str, optional
        Full URL; default ``base_url + name``.
    sha256 : str, optional
        Expected hex digest; default from :data:`LIBSVM_DATASETS`.
    verify : bool
        ``False`` skips the checksum (only when none is known; not recommended).
    timeout : float
        Seconds for the network connection.

    Returns
    -------
    Path
        The cached file. An existing file with the right checksum is not downloaded again.

    Raises
    ------
    ChecksumError
        The download does not have the expected SHA-256. Nothing is written.
    ValueError
        No checksum is known and none was given (with ``verify=True``).
    """
    if not isinstance(name, str) or not name or "/" in name or os.sep in name or name.startswith("."):
        raise ValueError(f"name must be a plain file name such as 'a9a', got {name!r}")
    expected = sha256 if sha256 is not None else LIBSVM_DATASETS.get(name, {}).get("sha256")
    if verify and not expected:
        raise ValueError(f"no known SHA-256 for {name!r}; pass sha256='<hex digest>' (or verify=False "
                         f"to accept the file unchecked)")
    expected = expected.lower() if expected else None
    url = url or base_url.rstrip("/") + "/" + name
    home = data_home(create=True)
    target = home / name
    if target.is_file() and (not verify or _sha256(target) == expected):
        return target
    fd, tmp = tempfile.mkstemp(dir=home, prefix=f".{name}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        decomp = bz2.BZ2Decompressor() if url.endswith(".bz2") else None
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            for chunk in iter(lambda: resp.read(1 << 20), b""):
                data = decomp.decompress(chunk) if decomp is not None else chunk
                digest.update(data)
                out.write(data)
        got = digest.hexdigest()
        if verify and got != expected:
            raise ChecksumError(f"checksum mismatch for {name!r} from {url}: expected sha256 {expected}, got {got}; "
                                f"the file was not cached")
        os.replace(tmp, target)
        logger.info("downloaded %s to %s (sha256 %s)", url, target, got)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target
