r"""Certified Lipschitz bounds of neural networks (LipSDP and its ICLR-2024 extensions).

>>> import numpy as np, numopt.lipschitz as lip
>>> from numopt.problems import Network
>>> rng = np.random.default_rng(0)
>>> net = Network([rng.standard_normal((8, 4)), rng.standard_normal((1, 8))], "relu")
>>> res = lip.lipsdp(net)
>>> bool(lip.sampled_lower_bound(net, 200, rng=0) <= res.bound <= res.naive_bound)
True

* :func:`lipsdp` -- the certified bound (``res.bound``) with the solver's own claim
  (``res.solver_value``), the multipliers, the naive product bound and the solve time; through
  :func:`numopt.minimize` with ``method="lipsdp"`` on a :class:`numopt.problems.Network`.
* :func:`naive_bound` -- the product of the layers' norms.
* :func:`sampled_lower_bound` -- ``max ||J(x)||`` over random inputs (a lower bound).
* :func:`certify` -- the bound certified by *any* multipliers (e.g. from another tool), by the
  exact Schur complement and a Cholesky check of the whole LMI.

See ``docs/lipsdp.md`` for the formulations (LipSDP-Neuron/Layer/Network, NSR, the coupled
one-ReLU-per-pair rewrite of MaxMin, the paper's two-ReLU baseline, Householder, l-inf) and the
solvers (numopt's structured interior-point method, cvxpy).
"""
from __future__ import annotations

import numpy as np

__all__ = ["lipsdp", "naive_bound", "sampled_lower_bound", "certify", "formulation"]


def _network(network, activations="relu"):
    from .problems.network import Network
    if isinstance(network, Network):
        return network
    return Network(network, activations)


def lipsdp(network, norm=2, variant: str = "neuron", solver: str = "auto", *, encoding: str = "auto", c=None,
           x0=None, tol: float | None = None, unsafe_coupling: bool = False, callback=None,
           options: dict | None = None):
    r"""A certified upper bound on the Lipschitz constant of ``network``.

    Parameters
    ----------
    network : Network or list of weight matrices
        A :class:`numopt.problems.Network`; a list of matrices means ReLU hidden layers.
    norm : 2 or numpy.inf
        ``||f(x) - f(y)||_2 <= L ||x - y||_2``; or, for ``numpy.inf``,
        ``|c^T (f(x) - f(y))| <= L ||x - y||_inf``.
    variant : {"neuron", "layer", "network"}
        Multipliers per unit, per layer, or per unit and pair (needs ``unsafe_coupling=True``).
    solver : {"auto", "numopt", "cvxpy"}
        numopt's structured primal-dual interior-point method, or cvxpy (``options={"cvxpy_solver":
        "SCS"}`` etc.). Either way the bound is certified afterwards.
    encoding : {"auto", "coupled", "nsr", "two-relu"}
        Quadratic constraints for MaxMin/GroupSort layers (see :mod:`numopt.solvers.lipsdp._formulation`).
    c : array_like, optional
        Output functional for ``norm=inf`` (default ``[1]`` for a scalar output).
    x0 : array_like, optional
        Starting per-unit multipliers (e.g. ``res.x`` of an earlier checkpoint).
    tol : float, optional
        Relative duality-gap target (option ``rtol``).
    options : dict, optional
        Further options of the ``lipsdp`` method (``numopt.show_options("lipsdp")``).

    Returns
    -------
    OptimizeResult
        ``bound`` (certified), ``sdp_bound``, ``solver_value``, ``multipliers``, ``naive_bound``,
        ``certified``, ``solve_time``, ``status`` ... (see :mod:`numopt.solvers.lipsdp.solver`).
    """
    from ._minimize import minimize
    net = _network(network)
    opts = {"norm": norm, "variant": variant, "solver": solver, "encoding": encoding, "c": c,
            "unsafe_coupling": unsafe_coupling, **(options or {})}
    return minimize(net, x0, method="lipsdp", tol=tol, callback=callback, options=opts)


def naive_bound(network, norm=2, c=None) -> float:
    """The product of the layers' norms (:func:`numopt.solvers.lipsdp._bounds.naive_bound`)."""
    from .solvers.lipsdp._bounds import naive_bound as nb
    return nb(_network(network), norm, c)


def sampled_lower_bound(network, n_samples: int = 1000, rng=None, *, norm=2, c=None, scale: float = 1.0) -> float:
    """``max ||J(x_i)||`` over Gaussian inputs: a lower bound on the Lipschitz constant."""
    from .solvers.lipsdp._bounds import sampled_lower_bound as sl
    return sl(_network(network), n_samples, rng, norm=norm, c=c, scale=scale)


def formulation(network, norm=2, variant: str = "neuron", encoding: str = "auto", c=None,
                unsafe_coupling: bool = False):
    """The LipSDP LMI of ``network`` (:class:`numopt.solvers.lipsdp._formulation.Formulation`)."""
    from .solvers.lipsdp._formulation import build
    return build(_network(network), norm, variant, encoding, c, unsafe_coupling)


def certify(network_or_formulation, multipliers, interior=None, **kw) -> dict:
    """The bound certified by ``multipliers`` (the vector ``y = (rho, ...)`` of :func:`formulation`).

    Returns a dict with ``certified``, ``bound``, ``rho``, ``min_eig``, ``y`` (see
    :func:`numopt.solvers.lipsdp._formulation.certify`). ``rho`` in ``y`` is ignored: it is
    recomputed exactly from the other multipliers. ``interior``: multipliers with a positive
    definite hidden block to repair towards (default: found by a phase I).
    """
    from .solvers.lipsdp._formulation import Formulation, certify as cert
    form = network_or_formulation if isinstance(network_or_formulation, Formulation) \
        else formulation(network_or_formulation, **kw)
    y = np.asarray(multipliers, dtype=float).reshape(-1)
    if y.shape != (form.m,):
        raise ValueError(f"multipliers must have length {form.m} (rho and the multipliers of the formulation), "
                         f"got shape {y.shape}")
    return cert(form, y, interior=interior)
