"""ADMM family: ``admm`` (the shared engine), ``consensus-admm``, ``fed-admm``, ``relu-admm``."""
from .engine import ADMMOptions
from .solver import ADMM
from .consensus import ConsensusADMM, ConsensusOptions
from .federated import FedADMM, FedADMMOptions
from .relu import ReluADMM

__all__ = ["ADMM", "ADMMOptions", "ConsensusADMM", "ConsensusOptions", "FedADMM", "FedADMMOptions", "ReluADMM"]
