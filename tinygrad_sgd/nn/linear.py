"""Linear: y = x @ W.T + b, the layer every network in the lesson is built from."""
from __future__ import annotations

import math
from typing import Any

from .. import dtypes
from ..creation import empty
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter

__all__ = ["Linear"]


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features).

    Initialised as torch initialises it: weight and bias uniform in (-k, k) with
    k = 1/sqrt(in_features). (torch writes the weight's draw as kaiming_uniform_ with
    a=sqrt(5): gain sqrt(2/(1+a²)) = sqrt(1/3) times sqrt(3/in_features) is that same k.)
    The draw comes from tinygrad_sgd's generator, so `tg.manual_seed` repeats it.

    >>> layer = Linear(64, 10)
    >>> layer(tg.zeros(32, 64)).shape
    (32, 10)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        if self.in_features < 0 or self.out_features < 0:
            raise RuntimeError(f"Linear: in_features and out_features must be non-negative, "
                               f"got in_features={in_features}, out_features={out_features}")
        kw = {"device": device, "dtype": dtype or dtypes.float32}
        self.weight = Parameter(empty(self.out_features, self.in_features, **kw))
        if bias:
            self.bias = Parameter(empty(self.out_features, **kw))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights: U(-k, k), k = 1/sqrt(in_features) (0 when in_features = 0)."""
        k = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        with no_grad():  # an in-place change to a Parameter must not be recorded
            self.weight.uniform_(-k, k)
            if self.bias is not None:
                self.bias.uniform_(-k, k)

    def forward(self, x: Tensor) -> Tensor:
        """x @ weight.T + bias, for x of shape (..., in_features)."""
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        """What print(layer) shows inside Linear(...): the sizes, and whether it has a bias."""
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
