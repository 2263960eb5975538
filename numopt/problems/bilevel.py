r"""Bilevel programs ``min_x f(x, y*(x))`` with ``y*(x) in argmin_{y in Y} g(x, y)``.

The problem type :class:`Bilevel` holds the two levels as user callables, counted and
checked once, and the sets: a box on the upper variable ``x`` (``x_bounds``) and any
projection of :mod:`numopt.problems.prox` on the lower variable ``y`` (``y_set``: a
:class:`~numopt.problems.prox.Box`, :class:`~numopt.problems.prox.NonNegative`,
:class:`~numopt.problems.prox.Simplex`, ...). :class:`BilevelFiniteSum` adds minibatch
oracles for ``f = (1/N_f) sum_i f_i`` and ``g = (1/N_g) sum_j g_j`` (the finite-sum
protocol of :class:`numopt.problems.FiniteSum`: ``n_components``, batch gradients averaged
over an index array, ``ngrad_components`` and ``npass`` counters).

Oracle conventions (every pair is ``(d/dx, d/dy)``):

* ``f(x, y)``, ``g(x, y)`` -- floats;
* ``grad_f(x, y)``, ``grad_g(x, y)`` -- ``(array (dim_x,), array (dim_y,))``;
* ``hvp_g(x, y, v)`` -- the derivative of ``<grad_y g(x, y), v>``, i.e.
  ``(nabla^2_{xy} g v  (dim_x,), nabla^2_{yy} g v  (dim_y,))``; needed by the baselines
  ``bilevel-aid`` and ``bilevel-itd``, never by ``bilevel-penalty``.

Work counted in ``problem.counts``: ``nfev`` (values of ``f`` or ``g``), ``njev`` (gradient
pairs of ``f`` or ``g``), ``nhev`` (``hvp_g`` calls), per-level counters ``nfev_f``,
``nfev_g``, ``ngrad_f``, ``ngrad_g``, and ``npass`` (one per full gradient or HVP,
``len(idx)/N`` per batch gradient, :mod:`numopt.work`).

As a problem object, ``fun(x)`` is the reduced objective ``F(x) = f(x, y*(x))`` computed
with an accurate lower-level solve (scipy's L-BFGS-B for an unconstrained or box-constrained
lower level, numopt's ``prox-grad`` otherwise; a *local* solve from ``y0``: for a lower level
with several solutions it is one of them) and, when ``hvp_g`` is given and ``Y = R^m``,
``grad(x)`` is the implicit-function hypergradient
``grad_x f - nabla^2_{xy} g [nabla^2_{yy} g]^{-1} grad_y f`` (a dense solve). These are the
references the benchmark runner measures; the solvers never call them.

Builders (real data where the issue asks for it):
:func:`quadratic_bilevel` (strongly convex, closed form), :func:`double_well_bilevel`
(a lower level with two solutions, closed-form optimistic solution), :func:`box_bilevel`
(an active lower-level box), :func:`ridge_hyperparameter`, :func:`logreg_hyperparameter`
(per-feature ``exp(x_j)`` ridge weights, benchopt's ijcnn1 setup),
:func:`hyper_cleaning` with :func:`digits_hyper_cleaning` and :func:`libsvm_hyper_cleaning`.

Reference: J. Kwon, D. Kwon, S. Wright, R. Nowak, "On Penalty Methods for Nonconvex Bilevel
Optimization and First-Order Stochastic Approximation", ICLR 2024.
"""
from __future__ import annotations

import numpy as np

from .._validation import as_scalar, as_vector
from ..work import add_passes
from .base import Problem
from .prox import Box, Prox

__all__ = ["Bilevel", "BilevelFiniteSum", "NonFiniteOracle", "quadratic_bilevel", "double_well_bilevel",
           "box_bilevel", "ridge_hyperparameter", "logreg_hyperparameter", "hyper_cleaning",
           "digits_hyper_cleaning", "libsvm_hyper_cleaning", "corrupt_labels"]


class NonFiniteOracle(ValueError):
    """An oracle returned nan or inf; ``callable_name`` says which (solvers end the run with
    ``Status.NUMERICAL_ERROR``; at the starting point it is a ``ValueError`` for the user)."""

    def __init__(self, callable_name: str, message: str):
        super().__init__(message)
        self.callable_name = callable_name


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


class Bilevel(Problem):
    r"""``min_{x in X} f(x, y*(x))``, ``y*(x) in argmin_{y in Y} g(x, y)``.

    Parameters
    ----------
    f, g : callable
        ``f(x, y) -> float`` (upper level), ``g(x, y) -> float`` (lower level).
    dim_x, dim_y : int
        Sizes of the upper and lower variables.
    grad_f, grad_g : callable
        ``(x, y) -> (d/dx, d/dy)``, arrays of shapes ``(dim_x,)`` and ``(dim_y,)``.
    hvp_g : callable, optional
        ``(x, y, v) -> (nabla^2_{xy} g v, nabla^2_{yy} g v)`` (shapes ``(dim_x,)``, ``(dim_y,)``).
    x_bounds : optional
        Bounds on ``x``: ``(lb, ub)``, a sequence of ``(lo, hi)`` pairs, ``scipy.optimize.Bounds``
        or a :class:`~numopt.problems.prox.Box`.
    y_set : Prox, optional
        The lower-level set ``Y`` as an indicator prox (its ``__call__`` is the projection).
        ``None``: ``Y = R^dim_y``.
    x0, y0 : array_like, optional
        Default starting points (zeros). ``y0`` must lie in ``Y``.
    lipschitz_fy, lipschitz_gy : float, optional
        Lipschitz constants of ``grad_y f(x, .)`` and ``grad_y g(x, .)`` (uniform in ``x``)
        when known; solvers use them for fixed steps, else they estimate.
    name : str, optional

    Notes
    -----
    ``structure`` is ``{"bilevel"}``, plus ``"lower_constraints"`` when ``y_set`` is given (the
    implicit-differentiation baselines refuse that). ``oracles`` holds ``"bilevel"`` and
    ``"hvp_g"`` when ``hvp_g`` is given.
    """

    def __init__(self, f, g, *, dim_x, dim_y, grad_f, grad_g, hvp_g=None, x_bounds=None, y_set=None,
                 x0=None, y0=None, lipschitz_fy=None, lipschitz_gy=None, name=None):
        for nm, c in (("f", f), ("g", g), ("grad_f", grad_f), ("grad_g", grad_g)):
            if not callable(c):
                raise TypeError(f"{nm} must be callable, got {type(c).__name__}")
        if hvp_g is not None and not callable(hvp_g):
            raise TypeError(f"hvp_g must be callable or None, got {type(hvp_g).__name__}")
        for nm, d in (("dim_x", dim_x), ("dim_y", dim_y)):
            if not _is_int(d) or d < 1:
                raise ValueError(f"{nm} must be a positive integer, got {d!r}")
        dim_x, dim_y = int(dim_x), int(dim_y)
        super().__init__(dim_x, np.zeros(dim_x) if x0 is None else x0, name or "bilevel")
        self.dim_x, self.dim_y = dim_x, dim_y
        self._f, self._g, self._gf, self._gg, self._hg = f, g, grad_f, grad_g, hvp_g
        # -- sets ---------------------------------------------------------------------------
        if (isinstance(x_bounds, tuple) and len(x_bounds) == 2 and dim_x != 2
                and all(np.ndim(b) == 0 or np.size(b) == dim_x for b in x_bounds)):
            x_bounds = Box(x_bounds[0], x_bounds[1])              # (lb, ub), scalars or arrays
        if isinstance(x_bounds, Box):
            from scipy.optimize import Bounds
            x_bounds = Bounds(np.broadcast_to(x_bounds.lb, (dim_x,)), np.broadcast_to(x_bounds.ub, (dim_x,)))
        from .constrained import normalize_bounds
        self.bounds = normalize_bounds(x_bounds, dim_x)
        self.x_proj = None if self.bounds is None else Box(*self.bounds)
        if y_set is not None and not (isinstance(y_set, Prox) and y_set.is_indicator):
            raise TypeError("y_set must be a projection: an indicator Prox of numopt.problems.prox "
                            f"(Box, NonNegative, Simplex, ...) or None, got {y_set!r}")
        self.y_set = y_set
        self.x0 = self.project_x(self.x0) if self.x_proj is not None else self.x0
        self.y0 = self.check_y0(np.zeros(dim_y) if y0 is None and y_set is None else
                                (y_set(np.zeros(dim_y), 1.0) if y0 is None else y0))
        self.lipschitz_fy = None if lipschitz_fy is None else as_scalar(lipschitz_fy, "lipschitz_fy", low=0.0)
        self.lipschitz_gy = None if lipschitz_gy is None else as_scalar(lipschitz_gy, "lipschitz_gy", low=0.0,
                                                                        strict=True)
        self.structure = frozenset({"bilevel"} | ({"lower_constraints"} if y_set is not None else set()))
        self.oracles = frozenset({"bilevel"} | ({"hvp_g"} if hvp_g is not None else set()))

    # -- validation -------------------------------------------------------------------------
    def check_y0(self, y0, name: str = "y0") -> np.ndarray:
        """``y0`` as a float vector of length ``dim_y`` inside ``Y`` (else ``ValueError``)."""
        y0 = as_vector(y0, name, size=self.dim_y)
        if self.y_set is not None:
            p = self.y_set(y0, 1.0)
            dist = float(np.max(np.abs(p - y0), initial=0.0))
            if dist > 1e-10 * max(1.0, float(np.max(np.abs(y0), initial=0.0))):
                raise ValueError(f"{name} must lie in y_set {self.y_set!r}; its distance to the set is "
                                 f"{dist:.3g} (max norm). Project it first: y_set({name})")
        return y0

    def project_x(self, x) -> np.ndarray:
        return x if self.x_proj is None else self.x_proj(x)

    def project_y(self, y) -> np.ndarray:
        return y if self.y_set is None else self.y_set(y, 1.0)

    def _scalar(self, name, v):
        arr = np.asarray(v)
        if arr.size != 1 or not np.issubdtype(arr.dtype, np.number):
            raise ValueError(f"{name} must return a float, got {arr.dtype} of shape {arr.shape}")
        val = float(arr.reshape(()))
        if not np.isfinite(val):
            raise NonFiniteOracle(name, f"{name} returned {val}")
        return val

    def _pair(self, name, out, shapes=None):
        dx, dy = shapes or (self.dim_x, self.dim_y)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise ValueError(f"{name} must return a pair (d/dx of shape ({dx},), d/dy of shape ({dy},)), "
                             f"got {type(out).__name__}")
        a = np.asarray(out[0], dtype=float)
        b = np.asarray(out[1], dtype=float)
        if a.shape != (dx,) and a.size == dx:
            a = a.reshape(dx)
        if b.shape != (dy,) and b.size == dy:
            b = b.reshape(dy)
        if a.shape != (dx,) or b.shape != (dy,):
            raise ValueError(f"{name} must return a pair (d/dx of shape ({dx},), d/dy of shape ({dy},)), "
                             f"got shapes {a.shape} and {b.shape}")
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            raise NonFiniteOracle(name, f"{name} returned nan or inf")
        return a, b

    # -- counted oracles --------------------------------------------------------------------
    def f(self, x, y) -> float:
        self._count("nfev")
        self._count("nfev_f")
        return self._scalar("f", self._f(x, y))

    def g(self, x, y) -> float:
        self._count("nfev")
        self._count("nfev_g")
        return self._scalar("g", self._g(x, y))

    def grad_f(self, x, y):
        self._count("njev")
        self._count("ngrad_f")
        add_passes(self, 1.0)
        return self._pair("grad_f", self._gf(x, y))

    def grad_g(self, x, y):
        self._count("njev")
        self._count("ngrad_g")
        add_passes(self, 1.0)
        return self._pair("grad_g", self._gg(x, y))

    def hvp_g(self, x, y, v):
        if self._hg is None:
            raise TypeError(f"problem {self.name!r} has no hvp_g (the Hessian-vector products of g)")
        self._count("nhev")
        add_passes(self, 1.0)
        return self._pair("hvp_g", self._hg(x, y, v))

    # -- references for measurement (not used by the solvers) --------------------------------
    def solve_lower(self, x, y0=None, *, gtol: float = 1e-11, maxiter: int = 20000) -> np.ndarray:
        """An accurate local solution of ``min_{y in Y} g(x, y)`` from ``y0`` (default ``self.y0``)."""
        x = as_vector(x, "x", size=self.dim_x)
        y0 = self.y0 if y0 is None else self.check_y0(y0)
        fun = lambda y: (self.g(x, y), self.grad_g(x, y)[1])
        if self.y_set is None or type(self.y_set).__name__ in ("Box", "NonNegative"):
            from scipy.optimize import minimize as sp_minimize
            bounds = None
            if self.y_set is not None:
                lb = np.broadcast_to(self.y_set.lb, (self.dim_y,))
                ub = np.broadcast_to(self.y_set.ub, (self.dim_y,))
                bounds = list(zip(lb, ub))
            r = sp_minimize(fun, y0, jac=True, method="L-BFGS-B", bounds=bounds,
                            options={"maxiter": maxiter, "gtol": gtol, "ftol": 1e-15, "maxcor": 30})
            return np.asarray(r.x, dtype=float)
        from .._minimize import minimize
        from .base import Objective
        from .composite import CompositeProblem
        inner = CompositeProblem(Objective(lambda y: fun(y), y0, jac=True), self.y_set, x0=y0)
        return np.asarray(minimize(inner, y0, method="prox-grad",
                                   options={"gtol": gtol, "maxiter": maxiter}).x, dtype=float)

    def fun(self, x) -> float:
        """The reduced objective ``F(x) = f(x, y*(x))`` (accurate local lower-level solve)."""
        x = as_vector(x, "x", size=self.dim_x)
        return self.f(x, self.solve_lower(x))

    def grad(self, x) -> np.ndarray:
        """Implicit-function hypergradient at ``x`` (needs ``hvp_g`` and ``Y = R^m``; dense solve)."""
        if self._hg is None or self.y_set is not None:
            raise TypeError("Bilevel.grad needs hvp_g and an unconstrained lower level")
        x = as_vector(x, "x", size=self.dim_x)
        y = self.solve_lower(x)
        fx, fy = self.grad_f(x, y)
        I = np.eye(self.dim_y)
        cols = [self.hvp_g(x, y, I[:, j]) for j in range(self.dim_y)]
        Hyy = np.column_stack([c[1] for c in cols])
        Hxy = np.column_stack([c[0] for c in cols])            # (dim_x, dim_y)
        v = np.linalg.solve(0.5 * (Hyy + Hyy.T), fy)
        return fx - Hxy @ v

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} dim_x={self.dim_x} dim_y={self.dim_y}>"


class BilevelFiniteSum(Bilevel):
    r"""A :class:`Bilevel` whose levels are finite sums ``f = (1/N_f) sum_i f_i``, ``g = (1/N_g) sum_j g_j``.

    Extra parameters: ``grad_f_batch(x, y, idx)`` and ``grad_g_batch(x, y, idx)`` return the
    pair ``(d/dx, d/dy)`` averaged over the components ``idx`` (an integer array), and
    ``n_components_f``, ``n_components_g`` are ``N_f`` and ``N_g``. A batch call counts
    ``len(idx)`` in ``ngrad_components`` (as :class:`numopt.problems.FiniteSum` does) and
    ``len(idx)/N`` data passes in ``npass``. Adds the ``"finite_sum"`` oracle.
    """

    def __init__(self, f, g, *, grad_f_batch, grad_g_batch, n_components_f, n_components_g, **kw):
        super().__init__(f, g, **kw)
        for nm, c in (("grad_f_batch", grad_f_batch), ("grad_g_batch", grad_g_batch)):
            if not callable(c):
                raise TypeError(f"{nm} must be callable, got {type(c).__name__}")
        for nm, n in (("n_components_f", n_components_f), ("n_components_g", n_components_g)):
            if not _is_int(n) or n < 1:
                raise ValueError(f"{nm} must be a positive integer, got {n!r}")
        self._gfb, self._ggb = grad_f_batch, grad_g_batch
        self.n_components_f, self.n_components_g = int(n_components_f), int(n_components_g)
        self.oracles = self.oracles | {"finite_sum"}

    def _batch(self, which, fn, x, y, idx, n):
        idx = np.asarray(idx, dtype=np.intp)
        if idx.ndim != 1 or idx.size == 0 or idx.min() < 0 or idx.max() >= n:
            raise ValueError(f"idx must be a non-empty 1-D array of indices in [0, {n}), got {idx!r}"[:200])
        self._count("ngrad_components", int(idx.size))
        add_passes(self, idx.size / n)
        return self._pair(which, fn(x, y, idx))

    def grad_f_batch(self, x, y, idx):
        return self._batch("grad_f_batch", self._gfb, x, y, idx, self.n_components_f)

    def grad_g_batch(self, x, y, idx):
        return self._batch("grad_g_batch", self._ggb, x, y, idx, self.n_components_g)


# =========================================================================================
# builders
# =========================================================================================

def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def quadratic_bilevel(dim_x: int = 5, dim_y: int = 10, *, mu: float = 0.5, seed=0, x_bounds=None,
                      n_samples: int | None = None, noise: float = 0.3, name=None) -> Bilevel:
    r"""A strongly convex quadratic bilevel program with a closed-form solution.

    .. math::
        g(x, y) = \tfrac12 y^T A y - y^T B x + a^T y, \qquad
        f(x, y) = \tfrac12 \|y - c\|^2 + \tfrac12 x^T D x + d^T x,

    ``A`` SPD with smallest eigenvalue ``>= mu``, ``D`` SPD. Then ``y*(x) = A^{-1}(Bx - a)``,
    ``F`` is a convex quadratic with Hessian ``J^T J + D`` (``J = A^{-1} B``) and its minimizer is
    stored in ``problem.x_star`` (``y_star``, ``F_star``) when ``x_bounds`` is ``None``.
    ``problem.hypergrad_exact(x)`` is the exact ``grad F``. (benchopt's quadratic benchmark
    is this family with sums over samples.) With ``n_samples = N`` it is a
    :class:`BilevelFiniteSum`: ``g = (1/N) sum_j g_j`` with ``(A_j, B_j, a_j)`` centred random
    perturbations (relative size ``noise``) of ``(A, B, a)`` and ``f = (1/N) sum_i f_i`` with
    ``c_i`` perturbations of ``c``; the means are exactly ``A, B, a, c``, so the solution is the
    same (``F`` differs by a constant, ``F_star`` accounts for it).
    """
    rng = _rng(seed)
    Q = np.linalg.qr(rng.standard_normal((dim_y, dim_y)))[0]
    A = Q @ np.diag(np.linspace(mu, 1.0 + mu * 4, dim_y)) @ Q.T
    A = 0.5 * (A + A.T)
    B = rng.standard_normal((dim_y, dim_x)) / np.sqrt(dim_x)
    a = rng.standard_normal(dim_y)
    c = rng.standard_normal(dim_y)
    M = rng.standard_normal((dim_x, dim_x)) / np.sqrt(dim_x)
    D = 0.1 * np.eye(dim_x) + 0.1 * M @ M.T
    d = rng.standard_normal(dim_x)
    J = np.linalg.solve(A, B)
    y_of = lambda x: np.linalg.solve(A, B @ x - a)
    csq = 0.0

    def f(x, y):
        return 0.5 * float((y - c) @ (y - c)) + csq + 0.5 * float(x @ D @ x) + float(d @ x)

    def g(x, y):
        return 0.5 * float(y @ A @ y) - float(y @ (B @ x)) + float(a @ y)

    kw = dict(dim_x=dim_x, dim_y=dim_y, grad_f=lambda x, y: (D @ x + d, y - c),
              grad_g=lambda x, y: (-B.T @ y, A @ y - B @ x + a),
              hvp_g=lambda x, y, v: (-B.T @ v, A @ v), x_bounds=x_bounds,
              lipschitz_fy=1.0, lipschitz_gy=float(np.linalg.eigvalsh(A)[-1]),
              name=name or f"quadratic-bilevel-{dim_x}x{dim_y}" + (f"-sum{n_samples}" if n_samples else ""))
    if n_samples is None:
        p = Bilevel(f, g, **kw)
    else:
        if not _is_int(n_samples) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        N = int(n_samples)

        def centred(shape, scale):
            E = rng.standard_normal((N, *shape)) * scale
            return E - E.mean(axis=0)
        EA = centred((dim_y, dim_y), noise / np.sqrt(dim_y))
        EA = 0.5 * (EA + EA.transpose(0, 2, 1))
        Aj, Bj = A + EA, B + centred((dim_y, dim_x), noise / np.sqrt(dim_x))
        aj, cj = a + centred((dim_y,), noise), c + centred((dim_y,), noise)
        csq = 0.5 * float(np.mean(np.sum((cj - c) ** 2, axis=1)))
        Lj = max(float(np.max(np.abs(np.linalg.eigvalsh(Aj)))), kw["lipschitz_gy"])

        def gfb(x, y, idx):
            return D @ x + d, y - cj[idx].mean(axis=0)

        def ggb(x, y, idx):
            Ab, Bb = Aj[idx].mean(axis=0), Bj[idx].mean(axis=0)
            return -Bb.T @ y, Ab @ y - Bb @ x + aj[idx].mean(axis=0)
        kw["lipschitz_gy"] = Lj
        p = BilevelFiniteSum(f, g, grad_f_batch=gfb, grad_g_batch=ggb, n_components_f=N, n_components_g=N, **kw)
    p.A, p.B, p.a, p.c, p.D, p.d = A, B, a, c, D, d
    p.y_of = y_of
    p.hypergrad_exact = lambda x: D @ x + d + J.T @ (y_of(x) - c)
    if p.bounds is None:
        # F(x) = 1/2 ||J x - A^{-1} a - c||^2 + 1/2 x^T D x + d^T x
        r0 = np.linalg.solve(A, a) + c
        p.x_star = np.linalg.solve(J.T @ J + D, J.T @ r0 - d)
        p.y_star = y_of(p.x_star)
        p.F_star = f(p.x_star, p.y_star)
    return p


def double_well_bilevel(*, x0: float = 2.0, y0: float = -1.0) -> Bilevel:
    r"""A lower level with two solutions and a closed-form optimistic solution.

    .. math::
        g(x, y) = \tfrac14 (y^2 - 1)^2, \qquad f(x, y) = \tfrac12 (x - 2)^2 + \tfrac12 (y - x)^2 .

    ``S(x) = {-1, +1}`` for every ``x``. The optimistic bilevel problem
    ``min_x min_{y in S(x)} f`` is solved by ``x = 1.5, y = 1`` (``f = 0.25``); the branch
    ``y = -1`` gives ``x = 0.5`` (``f = 2.25``), which is where implicit differentiation from
    ``y0 = -1`` converges. Since ``g* = 0``, the penalty problem is the smooth joint problem
    ``min_{x, y} f + g / sigma`` (``problem.penalty_solution(sigma)`` solves it with scipy).
    """
    def f(x, y):
        return 0.5 * (x[0] - 2.0) ** 2 + 0.5 * (y[0] - x[0]) ** 2

    def g(x, y):
        return 0.25 * (y[0] ** 2 - 1.0) ** 2

    p = Bilevel(f, g, dim_x=1, dim_y=1,
                grad_f=lambda x, y: (np.array([(x[0] - 2.0) - (y[0] - x[0])]), np.array([y[0] - x[0]])),
                grad_g=lambda x, y: (np.zeros(1), np.array([y[0] * (y[0] ** 2 - 1.0)])),
                hvp_g=lambda x, y, v: (np.zeros(1), np.array([(3.0 * y[0] ** 2 - 1.0) * v[0]])),
                x0=[x0], y0=[y0], name="double-well-bilevel")
    p.x_optimistic, p.y_optimistic = np.array([1.5]), np.array([1.0])
    p.x_pessimistic_branch = np.array([0.5])

    def penalty_solution(sigma):
        from scipy.optimize import minimize as sp_minimize
        fun = lambda w: (f(w[:1], w[1:]) + g(w[:1], w[1:]) / sigma)
        jac = lambda w: np.array([(w[0] - 2.0) - (w[1] - w[0]),
                                  (w[1] - w[0]) + w[1] * (w[1] ** 2 - 1.0) / sigma])
        r = sp_minimize(fun, np.array([1.5, 1.0]), jac=jac, method="BFGS", options={"gtol": 1e-13})
        return r.x[:1], r.x[1:]
    p.penalty_solution = penalty_solution
    return p


def box_bilevel() -> Bilevel:
    r"""A lower-level box constraint that is active at the solution (closed forms).

    ``Y = [0, 1]^2``, ``g(x, y) = 1/2 (y_1 - x)^2 + 1/2 (y_2 - x - 1)^2`` and
    ``f(x, y) = 1/2 (y_1 - 1)^2 + 1/2 (y_2 - 2)^2 + 1/2 x^2``. For ``x in [0, 1)``,
    ``y*(x) = (x, 1)`` (the bound ``y_2 <= 1`` is active), ``F(x) = 1/2 (x-1)^2 + 1/2 x^2 + 1/2``
    and ``x* = 1/2``. The penalty minimizer is ``x_sigma = 1/(2 + sigma)``, an ``O(sigma)`` error
    ``sigma / (2 (2 + sigma))`` (``problem.x_sigma(sigma)``).
    """
    def f(x, y):
        return 0.5 * (y[0] - 1.0) ** 2 + 0.5 * (y[1] - 2.0) ** 2 + 0.5 * x[0] ** 2

    def g(x, y):
        return 0.5 * (y[0] - x[0]) ** 2 + 0.5 * (y[1] - x[0] - 1.0) ** 2

    p = Bilevel(f, g, dim_x=1, dim_y=2,
                grad_f=lambda x, y: (np.array([x[0]]), np.array([y[0] - 1.0, y[1] - 2.0])),
                grad_g=lambda x, y: (np.array([-(y[0] - x[0]) - (y[1] - x[0] - 1.0)]),
                                     np.array([y[0] - x[0], y[1] - x[0] - 1.0])),
                hvp_g=lambda x, y, v: (np.array([-v[0] - v[1]]), np.array(v, dtype=float)),
                y_set=Box(0.0, 1.0), x0=[0.0], y0=[0.0, 0.0], lipschitz_fy=1.0, lipschitz_gy=1.0,
                name="box-bilevel")
    p.x_star, p.y_star = np.array([0.5]), np.array([0.5, 1.0])
    p.x_sigma = lambda sigma: np.array([1.0 / (2.0 + sigma)])
    return p


# -- learning problems ------------------------------------------------------------------------

def _dense(X, name):
    import scipy.sparse as sp
    if sp.issparse(X):
        return X.tocsr()
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} must be finite")
    return X


def _labels(y, n, name):
    y = as_vector(y, name, size=n)
    return y


def ridge_hyperparameter(X, y, X_val, y_val, *, x0=None, x_bounds=None, name=None) -> Bilevel:
    r"""Per-feature ridge weights chosen on a validation set (closed-form lower level).

    .. math::
        g(x, w) = \tfrac1{2n}\|X w - y\|^2 + \tfrac12 \sum_j e^{x_j} w_j^2, \qquad
        f(x, w) = \tfrac1{2m}\|X_{val} w - y_{val}\|^2 ,

    so ``w*(x) = (X^T X / n + diag(e^x))^{-1} X^T y / n`` and the hypergradient is
    ``grad F(x)_j = -e^{x_j} w*_j [H^{-1} grad_w f]_j`` (``problem.hypergrad_exact``).
    ``x_bounds`` (optional) bounds the log-weights: without it a weight whose feature does not
    help the validation loss drifts to ``+inf`` and the outer problem has no minimizer.
    """
    X, Xv = _dense(X, "X"), _dense(X_val, "X_val")
    n, d = X.shape
    if Xv.shape[1] != d:
        raise ValueError(f"X_val must have {d} columns like X, got shape {Xv.shape}")
    y, yv = _labels(y, n, "y"), _labels(y_val, Xv.shape[0], "y_val")
    m = Xv.shape[0]
    G = np.asarray((X.T @ X) / n)
    G = np.asarray(G.todense()) if hasattr(G, "todense") else G
    c = np.asarray(X.T @ y).ravel() / n

    def f(x, w):
        r = Xv @ w - yv
        return 0.5 * float(r @ r) / m

    def g(x, w):
        r = X @ w - y
        return 0.5 * float(r @ r) / n + 0.5 * float(np.exp(x) @ (w * w))

    def grad_f(x, w):
        return np.zeros(d), np.asarray(Xv.T @ (Xv @ w - yv)).ravel() / m

    def grad_g(x, w):
        return 0.5 * np.exp(x) * w * w, np.asarray(X.T @ (X @ w - y)).ravel() / n + np.exp(x) * w

    def hvp_g(x, w, v):
        return np.exp(x) * w * v, np.asarray(X.T @ (X @ v)).ravel() / n + np.exp(x) * v

    from ..linalg import spectral_norm_sq
    L = spectral_norm_sq(X) / n
    p = Bilevel(f, g, dim_x=d, dim_y=d, grad_f=grad_f, grad_g=grad_g, hvp_g=hvp_g, x0=x0, x_bounds=x_bounds,
                lipschitz_fy=spectral_norm_sq(Xv) / m, lipschitz_gy=None, name=name or f"ridge-hyper-{n}x{d}")
    p._L_data = L

    def w_of(x):
        return np.linalg.solve(G + np.diag(np.exp(x)), c)

    def hypergrad_exact(x):
        w = w_of(x)
        v = np.linalg.solve(G + np.diag(np.exp(x)), grad_f(x, w)[1])
        return -np.exp(x) * w * v
    p.w_of, p.hypergrad_exact = w_of, hypergrad_exact
    return p


def _log1pexp(t):
    return np.logaddexp(0.0, t)


def _sigmoid(t):
    from scipy.special import expit
    return expit(t)


def logreg_hyperparameter(X, y, X_val, y_val, *, x0=None, x_bounds=None, name=None) -> BilevelFiniteSum:
    r"""Per-feature ``exp(x_j)`` ridge weights of a binary logistic regression (benchopt's ijcnn1 setup).

    .. math::
        g(x, w) = \tfrac1n \sum_i \log(1 + e^{-y_i a_i^T w}) + \tfrac12 \sum_j e^{x_j} w_j^2, \qquad
        f(x, w) = \tfrac1m \sum_i \log(1 + e^{-y^{val}_i (a^{val}_i)^T w}),

    labels ``+-1``. A finite sum at both levels (components: samples; the ridge term is part of
    every lower component). ``x_bounds`` as in :func:`ridge_hyperparameter`.
    """
    X, Xv = _dense(X, "X"), _dense(X_val, "X_val")
    n, d = X.shape
    m = Xv.shape[0]
    y, yv = _labels(y, n, "y"), _labels(y_val, m, "y_val")
    for nm, lab in (("y", y), ("y_val", yv)):
        if not np.all(np.isin(lab, (-1.0, 1.0))):
            raise ValueError(f"{nm} must hold labels -1/+1")

    def loss(A, b, w):
        return float(np.mean(_log1pexp(-b * (A @ w))))

    def loss_grad(A, b, w):
        s = -b * _sigmoid(-b * (A @ w))
        return np.asarray(A.T @ s).ravel() / A.shape[0]

    def f(x, w):
        return loss(Xv, yv, w)

    def g(x, w):
        return loss(X, y, w) + 0.5 * float(np.exp(x) @ (w * w))

    def hvp_g(x, w, v):
        s = _sigmoid(y * (X @ w))
        D = s * (1.0 - s)
        return np.exp(x) * w * v, np.asarray(X.T @ (D * (X @ v))).ravel() / n + np.exp(x) * v

    from ..linalg import spectral_norm_sq
    p = BilevelFiniteSum(
        f, g, dim_x=d, dim_y=d,
        grad_f=lambda x, w: (np.zeros(d), loss_grad(Xv, yv, w)),
        grad_g=lambda x, w: (0.5 * np.exp(x) * w * w, loss_grad(X, y, w) + np.exp(x) * w),
        hvp_g=hvp_g,
        grad_f_batch=lambda x, w, idx: (np.zeros(d), loss_grad(Xv[idx], yv[idx], w)),
        grad_g_batch=lambda x, w, idx: (0.5 * np.exp(x) * w * w, loss_grad(X[idx], y[idx], w) + np.exp(x) * w),
        n_components_f=m, n_components_g=n, x0=x0, x_bounds=x_bounds,
        lipschitz_fy=0.25 * spectral_norm_sq(Xv) / m, name=name or f"logreg-hyper-{n}x{d}")
    p._L_data = 0.25 * spectral_norm_sq(X) / n
    return p


def corrupt_labels(labels, fraction: float, n_classes: int, seed=0):
    """Replace a ``fraction`` of integer labels by a different class drawn uniformly.

    Returns ``(noisy, corrupted_mask)``. ``n_classes = 2`` with labels ``+-1`` flips signs.
    """
    rng = _rng(seed)
    labels = np.asarray(labels)
    fraction = as_scalar(fraction, "fraction", low=0.0)
    if fraction > 1:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    n = labels.size
    mask = np.zeros(n, dtype=bool)
    mask[rng.choice(n, size=int(round(fraction * n)), replace=False)] = True
    noisy = labels.copy()
    if n_classes == 2 and set(np.unique(labels)) <= {-1.0, 1.0}:
        noisy[mask] = -noisy[mask]
    else:
        shift = rng.integers(1, n_classes, size=int(mask.sum()))
        noisy[mask] = (labels[mask] + shift) % n_classes
    return noisy, mask


def hyper_cleaning(X, labels, X_val, labels_val, *, n_classes: int, reg: float = 1e-3, name=None,
                   X_test=None, labels_test=None) -> BilevelFiniteSum:
    r"""Data hyper-cleaning: per-sample weights ``sigmoid(x_i)`` on a training set with noisy labels.

    .. math::
        g(x, W) = \tfrac1n \sum_i s(x_i)\, \ell(W; a_i, c_i) + \tfrac{\mathrm{reg}}2 \|W\|_F^2, \qquad
        f(x, W) = \tfrac1m \sum_i \ell(W; a^{val}_i, c^{val}_i),

    with ``s`` the logistic sigmoid and ``ell`` the multinomial logistic loss of a linear model
    ``W`` (``(d + 1) x K``, the last row an intercept; ``y = W.ravel()``). Integer labels
    ``0..K-1``. Strongly convex lower level (``reg > 0``), so every method applies. The upper
    variable has one entry per training sample (Franceschi et al. 2017; benchopt's
    ``datacleaning`` setup, which uses MNIST; here any data). ``problem.accuracy(W, X, labels)``
    and, when a test set is given, ``problem.test_accuracy(W)``; ``problem.fit(weights)`` is the
    lower-level solve for given per-sample weights (all ones: plain training).
    """
    X, Xv = _dense(X, "X"), _dense(X_val, "X_val")
    import scipy.sparse as sp
    if sp.issparse(X):
        X = X.toarray()
    if sp.issparse(Xv):
        Xv = Xv.toarray()
    n, d = X.shape
    m = Xv.shape[0]
    if not _is_int(n_classes) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    K = int(n_classes)
    reg = as_scalar(reg, "reg", low=0.0, strict=True)
    c = np.asarray(labels).astype(int)
    cv = np.asarray(labels_val).astype(int)
    for nm, lab, size in (("labels", c, n), ("labels_val", cv, m)):
        if lab.shape != (size,) or lab.min() < 0 or lab.max() >= K:
            raise ValueError(f"{nm} must be {size} integers in [0, {K}), got shape {lab.shape}")
    A = np.hstack([X, np.ones((n, 1))])
    Av = np.hstack([Xv, np.ones((m, 1))])
    Yt, Yv = np.eye(K)[c], np.eye(K)[cv]
    dy = (d + 1) * K

    def logits(M, y):
        return M @ y.reshape(d + 1, K)

    def per_sample(M, Y1, y):
        Z = logits(M, y)
        lse = np.logaddexp.reduce(Z, axis=1)
        return lse - np.sum(Z * Y1, axis=1), Z, lse

    def grad_W(M, Y1, y, w):
        """sum_i w_i grad ell_i (a (d+1) K vector)."""
        _, Z, lse = per_sample(M, Y1, y)
        P = np.exp(Z - lse[:, None])
        return (M.T @ (w[:, None] * (P - Y1))).ravel()

    def f(x, y):
        return float(np.mean(per_sample(Av, Yv, y)[0]))

    def g(x, y):
        return float(_sigmoid(x) @ per_sample(A, Yt, y)[0]) / n + 0.5 * reg * float(y @ y)

    def grad_f(x, y):
        return np.zeros(n), grad_W(Av, Yv, y, np.full(m, 1.0 / m))

    def grad_g(x, y):
        s = _sigmoid(x)
        li, Z, lse = per_sample(A, Yt, y)
        P = np.exp(Z - lse[:, None])
        return s * (1.0 - s) * li / n, (A.T @ ((s / n)[:, None] * (P - Yt))).ravel() + reg * y

    def hvp_g(x, y, v):
        s = _sigmoid(x)
        Z = logits(A, y)
        P = np.exp(Z - np.logaddexp.reduce(Z, axis=1)[:, None])
        V = A @ v.reshape(d + 1, K)                        # directional change of the logits
        # d/dx_i <grad_y g, v> = s_i (1 - s_i) / n * <grad ell_i, v>
        gv = np.sum((P - Yt) * V, axis=1)
        hx = s * (1.0 - s) * gv / n
        # Hessian of the softmax loss: diag(p) - p p^T per sample
        HV = P * V - P * np.sum(P * V, axis=1, keepdims=True)
        hy = (A.T @ ((s / n)[:, None] * HV)).ravel() + reg * v
        return hx, hy

    def grad_f_batch(x, y, idx):
        return np.zeros(n), grad_W(Av[idx], Yv[idx], y, np.full(idx.size, 1.0 / idx.size))

    def grad_g_batch(x, y, idx):
        s = _sigmoid(x[idx])
        li = per_sample(A[idx], Yt[idx], y)[0]
        gx = np.zeros(n)
        gx[idx] = s * (1.0 - s) * li / idx.size         # unbiased: E[gx] = grad_x g
        return gx, grad_W(A[idx], Yt[idx], y, s / idx.size) + reg * y

    from ..linalg import spectral_norm_sq
    p = BilevelFiniteSum(f, g, dim_x=n, dim_y=dy, grad_f=grad_f, grad_g=grad_g, hvp_g=hvp_g,
                         grad_f_batch=grad_f_batch, grad_g_batch=grad_g_batch,
                         n_components_f=m, n_components_g=n,
                         lipschitz_fy=0.5 * spectral_norm_sq(Av) / m,
                         lipschitz_gy=0.5 * spectral_norm_sq(A) / n + reg,
                         name=name or f"hyper-cleaning-{n}x{d}x{K}")
    p.n_classes, p.reg, p.n_features = K, reg, d

    def predict(y, Xq):
        Xq = np.asarray(Xq.toarray() if sp.issparse(Xq) else Xq, dtype=float)
        return np.argmax(np.hstack([Xq, np.ones((Xq.shape[0], 1))]) @ y.reshape(d + 1, K), axis=1)

    def accuracy(y, Xq, lab):
        return float(np.mean(predict(y, Xq) == np.asarray(lab).astype(int)))

    def fit(weights=None, y0=None, gtol=1e-10):
        """The lower-level solution for fixed per-sample weights (``None``: all ones)."""
        w = np.ones(n) if weights is None else as_vector(weights, "weights", size=n)
        from scipy.optimize import minimize as sp_minimize
        fun = lambda y: (float(w @ per_sample(A, Yt, y)[0]) / n + 0.5 * reg * float(y @ y),
                         grad_W(A, Yt, y, w / n) + reg * y)
        r = sp_minimize(fun, np.zeros(dy) if y0 is None else y0, jac=True, method="L-BFGS-B",
                        options={"maxiter": 5000, "gtol": gtol, "ftol": 1e-14})
        return r.x
    p.predict, p.accuracy, p.fit = predict, accuracy, fit
    if X_test is not None:
        p.X_test, p.labels_test = X_test, np.asarray(labels_test).astype(int)
        p.test_accuracy = lambda y: accuracy(y, p.X_test, p.labels_test)
    return p


def digits_hyper_cleaning(*, n_train: int = 500, n_val: int = 300, noise: float = 0.4, reg: float = 1e-3,
                          seed=0) -> BilevelFiniteSum:
    """:func:`hyper_cleaning` on scikit-learn's bundled digits (8x8 images, 10 classes).

    Features scaled to ``[0, 1]``; a random split into ``n_train`` (``noise`` of their labels
    replaced by another class, uniformly), ``n_val`` clean validation samples and the rest as
    a clean test set (``problem.test_accuracy``). ``problem.corrupted`` is the mask of noisy
    training samples.
    """
    from sklearn.datasets import load_digits
    X, lab = load_digits(return_X_y=True)
    X = X / 16.0
    rng = _rng(seed)
    perm = rng.permutation(X.shape[0])
    if n_train + n_val >= X.shape[0]:
        raise ValueError(f"n_train + n_val must be < {X.shape[0]} (digits has {X.shape[0]} samples)")
    tr, va, te = perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
    noisy, mask = corrupt_labels(lab[tr], noise, 10, seed=rng)
    p = hyper_cleaning(X[tr], noisy, X[va], lab[va], n_classes=10, reg=reg, X_test=X[te], labels_test=lab[te],
                       name=f"digits-cleaning-{n_train}-noise{noise:g}")
    p.corrupted = mask
    return p


def libsvm_hyper_cleaning(name: str = "german.numer", *, n_train: int = 400, n_val: int = 200,
                          noise: float = 0.4, reg: float = 1e-3, seed=0) -> BilevelFiniteSum:
    """:func:`hyper_cleaning` on a binary LIBSVM data set (from ``$NUMOPT_DATA/libsvm``).

    Labels ``+-1`` become classes 0/1, features are scaled to unit max-abs per column on the
    training split, the remaining samples are the test set.
    """
    from ..datasets import load_libsvm
    X, y = load_libsvm(name)
    X = np.asarray(X.toarray(), dtype=float)
    rng = _rng(seed)
    perm = rng.permutation(X.shape[0])
    if n_train + n_val >= X.shape[0]:
        raise ValueError(f"n_train + n_val must be < {X.shape[0]} ({name} has {X.shape[0]} samples)")
    tr, va, te = perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]
    scale = np.max(np.abs(X[tr]), axis=0)
    scale[scale == 0] = 1.0
    X = X / scale
    lab = (y > 0).astype(int)
    noisy, mask = corrupt_labels(lab[tr], noise, 2, seed=rng)
    p = hyper_cleaning(X[tr], noisy, X[va], lab[va], n_classes=2, reg=reg, X_test=X[te], labels_test=lab[te],
                       name=f"{name}-cleaning-{n_train}-noise{noise:g}")
    p.corrupted = mask
    return p
