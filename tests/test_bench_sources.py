"""Problem sources: the registry, the built-in models, and the adapters to hs/cutest/libsvm
(checked against stand-in modules with the agreed APIs, so they hold before those land)."""
import types

import numpy as np
import pytest

import numopt
from numopt.bench import sources
from numopt.bench.sources import get_source, problem_id, register_source
from numopt.bench.synthetic import ModelsSource


def test_models_source_builds_every_model_with_references():
    src = ModelsSource()
    names = src.select()
    assert names == ["least-squares", "lasso", "logreg-l2", "logreg-l1", "qp-eq", "rosenbrock"]
    for name in names:
        bp = src.build(name, **({"n": 4} if name == "rosenbrock" else {"n_features": 6, "seed": 2}))
        assert bp.problem.x0 is not None and np.isfinite(bp.problem.fun(bp.problem.x0))
        assert bp.problem.name.startswith(f"models:{name}")
    ls = src.build("least-squares", n_samples=30, n_features=5, seed=1)
    res = numopt.minimize(ls.problem, method="trust-constr", options={"gtol": 1e-12, "xtol": 1e-14})
    assert abs(res.fun - ls.f_ref) < 1e-10
    qp = src.build("qp-eq", n_features=6, m=2, seed=0)
    res = numopt.minimize(qp.problem, method="trust-constr", options={"gtol": 1e-12, "xtol": 1e-14})
    assert abs(res.fun - qp.f_ref) < 1e-7
    assert src.build("rosenbrock", n=3).f_ref == 0.0
    with pytest.raises(ValueError, match="bad parameters"):
        src.build("rosenbrock", seed=0)
    with pytest.raises(ValueError, match="unknown models problem"):
        src.select(names=["nope"])


def test_registry_accepts_objects_and_lazy_strings():
    class Tiny:
        def select(self, names=None):
            return ["a"]

        def build(self, name):
            return sources.BenchProblem(None)

    register_source("tiny-test", Tiny)
    try:
        assert get_source("tiny-test").select() == ["a"]
        assert "tiny-test" in sources.source_names()
    finally:
        sources._SOURCES.pop("tiny-test")
        sources._RESOLVED.pop("tiny-test", None)
    with pytest.raises(ValueError, match="unknown problem source 'nowhere'"):
        get_source("nowhere")
    assert problem_id("models", "lasso", {"seed": 1, "alpha": 0.1}) == "models:lasso[alpha=0.1,seed=1]"
    assert problem_id("hs", "HS6", {}) == "hs:HS6"


def test_hs_adapter(monkeypatch):
    class P:
        f_opt, citation = -1.5, "Hock & Schittkowski (1981)"
    fake = types.SimpleNamespace(HS_PROBLEMS={"HS26": P, "HS6": P, "HS7": P}, hs_problem=lambda name: P())
    monkeypatch.setitem(__import__("sys").modules, "numopt.problems.hs", fake)
    src = sources.HSSource()
    assert src.available() is None
    assert src.select() == ["HS6", "HS7", "HS26"]
    bp = src.build("HS7")
    assert bp.f_ref == -1.5 and "Hock" in bp.reference
    with pytest.raises(ValueError, match="unknown HS problem"):
        src.select(names=["HS1000"])


def test_cutest_and_libsvm_adapters(monkeypatch):
    calls = {}
    cutest = types.SimpleNamespace(
        CUTEST_EQ_PAPER=["BT1", "HS6"],
        select_cutest=lambda **kw: calls.setdefault("select", kw) and ["X"],
        load_cutest=lambda name, backend="s2mpj", **p: calls.setdefault("load", (name, backend, p)))
    data = types.SimpleNamespace(libsvm_problem=lambda name, model, **p: calls.setdefault("svm", (name, model, p)))
    monkeypatch.setitem(__import__("sys").modules, "numopt.bench.cutest", cutest)
    monkeypatch.setitem(__import__("sys").modules, "numopt.datasets", data)
    src = sources.CUTEstSource()
    assert src.select(names="eq-paper") == ["BT1", "HS6"]
    assert src.select(names=["BT3"]) == ["BT3"]
    src.select(eq_only=True, n=[1, 10])
    assert calls["select"] == {"eq_only": True, "n": (1, 10)}
    bp = src.build("DTOC1L", N=10)
    assert calls["load"] == ("DTOC1L", "s2mpj", {"N": 10}) and bp.f_ref is None   # SIF SOLTN not trusted
    lib = sources.LibsvmSource()
    assert lib.select(names="heart_scale") == ["heart_scale"]
    with pytest.raises(ValueError, match="needs select.names"):
        lib.select()
    lib.build("heart_scale", model="logreg-l1", alpha=0.01)
    assert calls["svm"] == ("heart_scale", "logreg-l1", {"alpha": 0.01})


def test_ot_source_builds_entropic_ot_problems():
    from numopt.bench.sources import get_source
    from numopt.problems import EntropicOT
    src = get_source("ot")
    assert src.select() == ["random-assignment", "point-clouds", "grid-densities"]
    bp = src.build("random-assignment", n=20, seed=1)
    assert isinstance(bp.problem, EntropicOT) and bp.problem.name.startswith("ot:random-assignment")
    import pytest
    with pytest.raises(ValueError, match="unknown ot problem"):
        src.select(["nope"])
