"""Monotone inclusions ``0 in F(u) + G(u)``: ``halpern``, ``vr-halpern``, ``extragradient``, ``eag``.

Cai, Alacaoglu, Diakonikolas, "Variance reduced Halpern iteration for finite-sum monotone
inclusions", ICLR 2024. See ``docs/halpern.md``.
"""
from .baselines import EAG, EAGOptions, Extragradient, ExtragradientOptions
from .halpern import Halpern, HalpernOptions
from .vr import VRHalpern, VRHalpernOptions

__all__ = ["Halpern", "HalpernOptions", "VRHalpern", "VRHalpernOptions", "Extragradient",
           "ExtragradientOptions", "EAG", "EAGOptions"]
