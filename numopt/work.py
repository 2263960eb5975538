"""Work units: what numopt counts, so that counts compare across families.

Every result carries

* ``nfev``, ``njev``, ``nhev`` -- full evaluations of the objective, of its gradient (or of the
  operator ``F`` of an inclusion) and of its Hessian or a Hessian-vector product, as in scipy.
  A fused ``fun_and_grad`` counts one of each. Integers.
* ``npass`` -- full *data passes*: the work of one pass over the problem's data, in units of
  one full gradient (or operator) evaluation. A full ``grad`` or ``F`` costs 1; one component
  ``F_i`` of a finite sum of ``n`` costs ``1/n``; one coordinate or block step costs its share of
  the data (``nnz(X[:, j]) / nnz(X)``, or ``1/d`` when dense); one Sinkhorn sweep costs 1 (one
  product with the kernel and one with its transpose); one ADMM/QP iteration costs 1 per
  product with the constraint or design matrix divided by the two products of a gradient.
  A float.

A solver adds to ``npass`` with :func:`add_passes` (the problem's counts); the driver reports
the difference over the run. Each registry spec declares ``work_unit``:

* ``"evaluations"`` -- ``nfev``/``njev`` are exact full evaluations (gradient methods, scipy's);
* ``"passes"`` -- the method's work is honestly described only by ``npass`` (coordinate,
  stochastic, splitting and scaling methods).

Benchmark evaluation profiles (``numopt.bench``) put methods on one axis only when they share a
unit: evaluations for the first group, passes for any method that reports ``npass``.
"""
from __future__ import annotations

__all__ = ["WORK_UNITS", "add_passes", "passes_of"]

#: The allowed values of a spec's ``work_unit``.
WORK_UNITS = ("evaluations", "passes")


def add_passes(problem, passes: float) -> None:
    """Add ``passes`` full data passes to ``problem.counts['npass']``."""
    problem.counts["npass"] = problem.counts.get("npass", 0.0) + float(passes)


def passes_of(counts: dict) -> float:
    """Data passes in a counts dict: ``npass`` if the solver counted it, else ``njev``.

    A solver that never calls :func:`add_passes` works through full gradients only, so each
    gradient evaluation is one pass.
    """
    if "npass" in counts:
        return float(counts["npass"])
    return float(counts.get("njev", 0))
