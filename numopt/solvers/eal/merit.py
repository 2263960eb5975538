r"""The exact augmented Lagrangian merit function of Hong, Na, Mahoney & Kolar (2023).

For ``min f(x) s.t. c(x) = 0`` with Lagrangian ``L(x, lam) = f(x) + lam^T c(x)``,
Jacobian ``G = c'(x)`` and penalty parameters ``eta1, eta2 > 0``,

.. math::
    \mathcal L_\eta(x, \lambda) = \mathcal L + \frac{\eta_1}{2}\|c\|^2
        + \frac{\eta_2}{2}\|\nabla_x \mathcal L\|^2,

.. math::
    \nabla_x \mathcal L_\eta = \nabla_x\mathcal L + \eta_1 G^\top c
        + \eta_2 \nabla^2_{xx}\mathcal L\,\nabla_x\mathcal L, \qquad
    \nabla_\lambda \mathcal L_\eta = c + \eta_2 G \nabla_x\mathcal L .

The ``eta2`` term needs one Hessian-vector product ``H v`` with ``v = grad_x L``: the
exact gradient uses ``H = Hessian of the Lagrangian`` (``problem.hessp_lag``); the
reference code's variant (``merit_hessian="objective"``) uses the objective's Hessian
(``problem.hessp``), which is the same for linear constraints.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KKTPoint", "evaluate", "merit_value", "merit_gradient", "curvature_term"]


@dataclass
class KKTPoint:
    """Everything the method needs at one primal-dual point."""

    x: np.ndarray
    lam: np.ndarray
    f: float
    g: np.ndarray          # grad f
    c: np.ndarray          # constraint values
    G: object              # Jacobian (dense ndarray or scipy sparse), shape (m, n)
    gL: np.ndarray         # grad_x L = g + G^T lam

    @property
    def kkt(self) -> float:
        """``||(grad_x L, c)||_2``."""
        return float(np.sqrt(self.gL @ self.gL + self.c @ self.c))


def evaluate(problem, x, lam) -> KKTPoint:
    """Evaluate ``f, grad f, c, G`` at ``x`` (counted by the problem) and form ``grad_x L``."""
    f, g = problem.fun_and_grad(x)
    c = np.asarray(problem.cons_eq(x), dtype=float).reshape(-1)
    G = problem.jac_eq(x)
    if not hasattr(G, "tocsr"):
        G = np.asarray(G, dtype=float).reshape(c.size, x.size)
    gL = np.asarray(g, dtype=float) + G.T @ lam
    return KKTPoint(x=x, lam=lam, f=float(f), g=np.asarray(g, dtype=float), c=c, G=G, gL=gL)


def merit_value(p: KKTPoint, eta1: float, eta2: float) -> float:
    """``L + eta1/2 ||c||^2 + eta2/2 ||grad_x L||^2`` at ``p``."""
    return float(p.f + p.lam @ p.c + 0.5 * eta1 * (p.c @ p.c) + 0.5 * eta2 * (p.gL @ p.gL))


def curvature_term(problem, p: KKTPoint, which: str = "lagrangian") -> np.ndarray:
    """``H grad_x L`` with ``H`` the Lagrangian's (exact) or the objective's Hessian."""
    if which == "lagrangian":
        return np.asarray(problem.hessp_lag(p.x, p.lam, p.gL), dtype=float)
    return np.asarray(problem.hessp(p.x, p.gL), dtype=float)


def merit_gradient(p: KKTPoint, Hg: np.ndarray, eta1: float, eta2: float) -> np.ndarray:
    """Stacked ``(grad_x, grad_lam)`` of the merit, given ``Hg = H grad_x L``."""
    gx = p.gL + eta1 * (p.G.T @ p.c) + eta2 * Hg
    gl = p.c + eta2 * (p.G @ p.gL)
    return np.concatenate([gx, gl])
