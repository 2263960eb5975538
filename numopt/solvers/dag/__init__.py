"""DAG structure learning: ``topo`` (topological swaps) and ``notears`` (augmented Lagrangian).

Both solve :class:`numopt.problems.DAGScore` and return an acyclic ``W``; the numba kernels
(``_kernels``) load on first use. The user-facing functions are in :mod:`numopt.dag`.
"""
from .notears import Notears, NotearsOptions
from .topo import Topo, TopoOptions

__all__ = ["Topo", "TopoOptions", "Notears", "NotearsOptions"]
