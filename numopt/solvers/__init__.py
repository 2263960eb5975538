"""Solver families. Each sub-package registers its methods when imported; the registry
imports them all on first use (``numopt.registry``), never at ``import numopt``."""
