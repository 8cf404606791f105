"""Neural-network building blocks: Parameter, Module and the layers and losses built on it.

    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    loss = nn.CrossEntropyLoss()(model(x), y)
"""
from . import functional
from .linear import Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, ReLU, Sequential, Sigmoid, Tanh
from .parameter import Parameter

__all__ = ["Parameter", "Module", "Sequential", "Linear", "ReLU", "Sigmoid", "Tanh",
           "MSELoss", "NLLLoss", "CrossEntropyLoss", "functional"]


# help() shows annotations as the objects they name, not as quoted strings (helptext.py)
import sys as _sys  # noqa: E402
from .. import helptext as _helptext  # noqa: E402

_helptext.resolve(_sys.modules[__name__], functional)
