"""``import numopt`` stays cheap: no numba kernels, cvxpy or scikit-learn until a method needs them."""
import subprocess
import sys
import textwrap

HEAVY = ("numba", "cvxpy", "sklearn", "matplotlib", "dask", "ot")


def _modules_after(code: str) -> set:
    script = textwrap.dedent(code) + "\nimport sys\nprint(' '.join(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_numopt_loads_nothing_heavy():
    mods = _modules_after("import numopt")
    assert not [m for m in mods if m.split(".")[0] in HEAVY]
    assert not [m for m in mods if m.startswith("numopt.solvers.")]


def test_listing_methods_loads_no_kernels_or_cvxpy():
    mods = _modules_after("import numopt; numopt.methods(); numopt.show_options('prox-grad', disp=False)")
    assert not [m for m in mods if m.split(".")[0] in HEAVY]
    assert not [m for m in mods if m.endswith("._kernels")]


def test_jit_shim_can_be_disabled():
    script = ("import os; os.environ['NUMOPT_DISABLE_JIT'] = '1'\n"
              "from numopt._jit import njit, prange, JIT_ENABLED\n"
              "f = njit(lambda x: x + 1)\n"
              "assert not JIT_ENABLED and f(1) == 2 and prange is range\n"
              "import sys; assert 'numba' not in sys.modules\n")
    subprocess.run([sys.executable, "-c", script], check=True)
