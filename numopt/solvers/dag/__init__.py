"""DAG structure learning: ``topo`` (topological swaps) and ``notears`` (augmented Lagrangian).

Both solve :class:`numopt.problems.DAGScore` and return an acyclic ``W``; the numba kernels
(``_kernels``) load on first use. Both solves run with one BLAS thread for ``d <= 256``
(:func:`~numopt.solvers.dag.graph.small_blas`, the family's only thread pin). The user-facing
functions are in :mod:`numopt.dag`; the user page is ``docs/dag.md``.
"""
from .notears import Notears, NotearsOptions
from .topo import Topo, TopoOptions

__all__ = ["Topo", "TopoOptions", "Notears", "NotearsOptions"]
