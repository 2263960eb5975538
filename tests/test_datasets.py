"""LIBSVM data: data home, reader, downloader (local HTTP server only) and problem builders."""
import bz2
import functools
import hashlib
import http.server
import os
import threading
import urllib.error
import warnings
from pathlib import Path

import numpy as np
import pytest

import numopt
from numopt.datasets import (LIBSVM_DATASETS, ChecksumError, alpha_max, data_home, download_libsvm,
                             libsvm_problem, load_libsvm)
from numopt.problems.constrained_logreg import ConstrainedLogisticRegression

SHARED = os.environ.get("NUMOPT_DATA")
needs_data = pytest.mark.skipif(not SHARED or not os.path.isdir(os.path.join(SHARED, "libsvm")),
                                reason="NUMOPT_DATA (with a libsvm/ folder) is not set")

# shapes and label counts from shared/data/libsvm/SOURCES.md
SHARED_FILES = {
    "heart_scale": ((270, 13), 150, 120),
    "german.numer": ((1000, 24), 700, 300),
    "breast-cancer_scale": ((683, 10), 444, 239),
    "w8a": ((49749, 300), 48270, 1479),
    "a9a.t": ((16281, 123), 12435, 3846),
}


# ------------------------------------------------------------------------------ data home
def test_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMOPT_DATA", str(tmp_path / "d"))
    assert data_home() == tmp_path / "d" / "libsvm"
    assert not data_home().exists()
    assert data_home(create=True).is_dir()
    monkeypatch.delenv("NUMOPT_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert data_home() == tmp_path / "cache" / "numopt" / "libsvm"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert data_home() == Path.home() / ".cache" / "numopt" / "libsvm"


# ------------------------------------------------------------------------------ reader
@needs_data
@pytest.mark.parametrize("name", list(SHARED_FILES))
def test_reads_the_shared_files(name):
    shape, n_neg, n_pos = SHARED_FILES[name]
    X, y = load_libsvm(name)
    assert X.shape == shape and X.format == "csr" and X.dtype == np.float64
    assert X.indices.dtype == np.int32 and X.indptr.dtype == np.int32   # what sklearn's solvers accept
    assert (np.sum(y == -1.0), np.sum(y == 1.0)) == (n_neg, n_pos)
    assert LIBSVM_DATASETS[name]["n_features"] == shape[1]


@needs_data
def test_a9a_test_split_needs_the_feature_count():
    from sklearn.datasets import load_svmlight_file
    path = Path(SHARED) / "libsvm" / "a9a.t"
    assert load_svmlight_file(str(path))[0].shape[1] == 122        # what a bare read gives
    assert load_libsvm(path)[0].shape[1] == 123                     # a path works too
    assert load_libsvm("a9a.t", n_features=130)[0].shape[1] == 130


def test_label_mapping_and_errors(tmp_path):
    f = tmp_path / "toy"
    f.write_text("2 1:0.5 3:1\n4 2:1\n2 1:-1\n")
    X, y = load_libsvm(f)
    assert X.shape == (3, 3)
    np.testing.assert_array_equal(y, [-1.0, 1.0, -1.0])
    np.testing.assert_array_equal(load_libsvm(f, binary=False)[1], [2.0, 4.0, 2.0])
    g = tmp_path / "multi"
    g.write_text("1 1:1\n2 1:2\n3 1:3\n")
    with pytest.raises(ValueError, match="3 distinct labels"):
        load_libsvm(g)
    with pytest.raises(ValueError, match="n_features must be a positive integer"):
        load_libsvm(f, n_features=0)


def test_missing_file_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMOPT_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="download_libsvm\\('nosuch'\\)"):
        load_libsvm("nosuch")


# ------------------------------------------------------------------------------ downloader
class _Handler(http.server.SimpleHTTPRequestHandler):
    hits = []

    def log_message(self, *args):    # keep the test output clean
        pass

    def do_GET(self):
        _Handler.hits.append(self.path)
        super().do_GET()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A static file server on 127.0.0.1 (never the internet)."""
    root = tmp_path_factory.mktemp("www")
    good = b"+1 1:0.5 2:1\n-1 1:-0.5\n+1 2:2\n"
    (root / "toy").write_bytes(good)
    (root / "corrupt").write_bytes(good[:-2] + b"3\n")          # one byte changed
    (root / "toy.bz2").write_bytes(bz2.compress(good))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_address[1]}/", "sha": hashlib.sha256(good).hexdigest(),
           "content": good}
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def home(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMOPT_DATA", str(tmp_path))
    return tmp_path / "libsvm"


def test_download_verified_and_cached(server, home):
    _Handler.hits.clear()
    path = download_libsvm("toy", sha256=server["sha"], base_url=server["url"])
    assert path == home / "toy" and path.read_bytes() == server["content"]
    assert os.listdir(home) == ["toy"]                       # no temporary file left behind
    X, y = load_libsvm("toy")
    assert X.shape == (3, 2) and list(y) == [1.0, -1.0, 1.0]
    # cached with the right checksum: no second request
    assert download_libsvm("toy", sha256=server["sha"], base_url=server["url"]) == path
    assert _Handler.hits == ["/toy"]


def test_download_corrupted_file_is_rejected_and_not_cached(server, home):
    with pytest.raises(ChecksumError, match=f"checksum mismatch for 'corrupt'.*expected sha256 {server['sha']}.*"
                                            "not cached"):
        download_libsvm("corrupt", sha256=server["sha"], base_url=server["url"])
    assert not (home / "corrupt").exists()
    assert os.listdir(home) == []                            # nor a partial file


def test_download_replaces_a_corrupted_cached_file(server, home):
    home.mkdir(parents=True)
    (home / "toy").write_bytes(b"garbage")
    path = download_libsvm("toy", url=server["url"] + "toy", sha256=server["sha"])
    assert path.read_bytes() == server["content"]


def test_download_bz2_and_unverified(server, home):
    path = download_libsvm("toy", url=server["url"] + "toy.bz2", sha256=server["sha"])
    assert path.read_bytes() == server["content"]           # checksum of the decompressed file
    with pytest.raises(ValueError, match="no known SHA-256 for 'corrupt'"):
        download_libsvm("corrupt", base_url=server["url"])
    assert download_libsvm("corrupt", base_url=server["url"], verify=False).is_file()


def test_download_errors_leave_nothing(server, home):
    with pytest.raises(urllib.error.HTTPError):
        download_libsvm("absent", sha256=server["sha"], base_url=server["url"])
    assert os.listdir(home) == []
    with pytest.raises(ValueError, match="plain file name"):
        download_libsvm("../x", sha256=server["sha"], base_url=server["url"])


# ------------------------------------------------------------------------------ builders
@pytest.fixture(scope="module")
def heart():
    if not SHARED or not os.path.isdir(os.path.join(SHARED, "libsvm")):
        pytest.skip("NUMOPT_DATA (with a libsvm/ folder) is not set")
    return load_libsvm("heart_scale")


def _synthetic(n=120, d=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.where(X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    return X, y


def test_constrained_logreg_derivatives_and_structure():
    X, y = _synthetic()
    p = ConstrainedLogisticRegression(X, y)
    assert (p.n, p.m_eq, p.m_ineq) == (30, 11, 0)
    np.testing.assert_array_equal(p.x0, np.ones(30))
    np.testing.assert_array_equal(p.y0, np.ones(11))
    # fixed seed: the same A, b every time; another seed, other ones
    np.testing.assert_array_equal(p.A, ConstrainedLogisticRegression(X, y).A)
    assert not np.allclose(p.A, ConstrainedLogisticRegression(X, y, seed=1).A)
    rng = np.random.default_rng(5)
    for x in [p.x0, rng.standard_normal(30), rng.standard_normal(30) * 3]:
        errs = numopt.check_problem(p, x, ndirections=3, rng=rng)
        assert set(errs) == {"grad", "hessp", "jac_eq", "hessp_lag"}
        assert max(errs.values()) < 1e-6, errs
        assert numopt.check_grad(p.fun, p.grad, x) < 1e-6
        yy, d = rng.standard_normal(11), rng.standard_normal(30)
        np.testing.assert_allclose(p.hess_lag(x, yy) @ d, p.hessp_lag(x, yy, d), atol=1e-12)
        np.testing.assert_allclose(p.hess(x) @ d, p.hessp(x, d), atol=1e-12)
    c = p.cons_eq(p.x0)
    np.testing.assert_allclose(c[:10], p.A @ p.x0 - p.b)
    assert c[10] == pytest.approx(29.0)


def test_constrained_logreg_solved_with_kkt_certificate():
    X, y = _synthetic()
    p = ConstrainedLogisticRegression(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = numopt.minimize(p, method="trust-constr", options={"gtol": 1e-10, "xtol": 1e-12, "maxiter": 2000})
    x = res.x
    assert p.constr_violation(x) < 1e-8
    assert np.linalg.norm(x) == pytest.approx(1.0, abs=1e-8)
    J = p.jac_eq(x)
    lam = np.linalg.lstsq(J.T, -p.grad(x), rcond=None)[0]
    assert np.linalg.norm(p.grad(x) + J.T @ lam) < 1e-7       # stationarity of f + lam^T c


def test_constrained_logreg_infeasible_instance_is_refused():
    X, y = _synthetic(d=10)          # 10 random equalities in 10 unknowns: a single point
    with pytest.raises(ValueError, match="infeasible instance"):
        ConstrainedLogisticRegression(X, y)


@needs_data
def test_builders_on_heart_scale(heart):
    X, y = heart
    N = X.shape[0]
    from sklearn.linear_model import Lasso as SkLasso, LogisticRegression as SkLogReg
    # logreg-l2 with alpha = 1/N is scikit-learn's C = 1
    p = libsvm_problem("heart_scale", "logreg-l2")
    assert p.name == "heart_scale:logreg-l2" and p.alpha == pytest.approx(1.0 / N)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # L-BFGS-B ignores the Hessian the problem offers
        res = numopt.minimize(p, method="l-bfgs-b", options={"gtol": 1e-10, "ftol": 1e-15})
    Xd = X.toarray()
    sk = SkLogReg(C=1.0, fit_intercept=False, tol=1e-12, max_iter=10000).fit(Xd, y)
    np.testing.assert_allclose(res.x, sk.coef_.ravel(), atol=1e-5)
    # lasso: scikit-learn's solution has a tiny duality gap in our scaling
    q = libsvm_problem("heart_scale", "lasso")
    a = 0.1 * alpha_max(X, y, "lasso")
    assert q.alpha == pytest.approx(a)
    w = SkLasso(alpha=a, fit_intercept=False, tol=1e-12, max_iter=100000).fit(X, y).coef_   # sparse X
    assert q.duality_gap(w) < 1e-9 < q.duality_gap(np.zeros(X.shape[1]))
    # logreg-l1: alpha_max is where w = 0 stops being optimal (|grad f(0)|_inf = alpha_max)
    r = libsvm_problem("heart_scale", "logreg-l1", alpha=1.0)
    assert np.max(np.abs(r.smooth.grad(np.zeros(13)))) == pytest.approx(alpha_max(X, y, "logreg-l1"))
    assert "nonsmooth" in r.structure
    # least squares: zero gradient at the least-squares solution
    s = libsvm_problem("heart_scale", "least-squares")
    assert np.linalg.norm(s.grad(s.solution())) < 1e-10
    # constrained logistic regression (13 features: feasible with seed 2023)
    c = libsvm_problem("heart_scale", "constrained-logreg")
    assert (c.n, c.m_eq) == (13, 11) and c.min_norm < 1.0
    assert max(numopt.check_problem(c, rng=0).values()) < 1e-6


@needs_data
def test_builder_errors():
    with pytest.raises(ValueError, match="model must be one of"):
        libsvm_problem("heart_scale", "svm")
    with pytest.raises(ValueError, match="takes no alpha"):
        libsvm_problem("heart_scale", "least-squares", alpha=1.0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        libsvm_problem("heart_scale", "lasso", seed=3)
    with pytest.raises(ValueError, match="infeasible instance"):
        libsvm_problem("german.numer", "constrained-logreg")     # 24 features, seed 2023
