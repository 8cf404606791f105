"""tinygrad_sgd: a small autograd library that mirrors PyTorch's API, built to be read.

    import tinygrad_sgd as torch   # the lesson's notebook runs unchanged
"""
# autograd first: its functions build on Tensor, which builds on its engine
from . import autograd
from . import cuda, dtypes, nn, optim, utils
from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import get_device as device
from .backend import manual_seed
from .compile import compile
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                       randn_like, randperm, tensor, zeros, zeros_like)
from .dtypes import bool_ as bool
from .dtypes import dtype, float32, float64, int32, int64
from .serialization import load, save
from .tensor import Tensor
from .torch_api.math_ops import (add, argmax, argmin, div, matmul, max, mean, min, mm, mul, neg,
                                 pow, square, std, sub, sum, var, log_softmax, softmax)
from .torch_api.pointwise_ops import (abs, allclose, clamp, clip, clone, detach, eq, equal, exp,
                                      ge, gt, is_tensor, le, log, lt, maximum, minimum, ne,
                                      numel, relu, sigmoid, sqrt, tanh, where)
from .torch_api.shape_ops import (cat, concat, flatten, permute, reshape, squeeze, stack, t,
                                  transpose, unsqueeze)

float = float32
double = float64
long = int64
int = int32

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """tg.viz is imported on first use (it brings subprocess and pathlib along)."""
    if name == "viz":
        import importlib
        return importlib.import_module(".viz", __name__)
    raise AttributeError(f"module 'tinygrad_sgd' has no attribute {name!r}")
