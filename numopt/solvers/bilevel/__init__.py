"""Bilevel optimization: the penalty method of Kwon, Kwon, Wright, Nowak (ICLR 2024) and the
AID / ITD baselines (``solver``), and the stochastic single-loop penalty variant (``stochastic``)."""
from . import solver, stochastic  # noqa: F401  (registers the methods)
