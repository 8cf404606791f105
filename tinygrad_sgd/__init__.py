"""tinygrad_sgd: a small autograd library that mirrors PyTorch's API, built to be read.

    import tinygrad_sgd as torch   # the lesson's notebook runs unchanged
"""
from . import autograd, cuda, dtypes, nn, viz
from . import optim, utils
from .backend import get_device as device
from .backend import manual_seed
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                       randn_like, randperm, tensor, zeros, zeros_like)
from .dtypes import bool_ as bool
from .dtypes import dtype, float32, float64, int32, int64
from .function import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .functions import (abs, add, allclose, argmax, argmin, cat, clamp, clip, clone, concat,
                        detach, div, eq, equal, exp, flatten, ge, gt, is_tensor, le, log,
                        log_softmax, lt, matmul, max, maximum, mean, min, minimum, mm, mul, ne,
                        neg, numel, permute, pow, relu, reshape, sigmoid, softmax, sqrt, square,
                        squeeze, stack, std, sub, sum, t, tanh, transpose, unsqueeze, var, where)
from .serialization import load, save
from .tensor import Tensor

float = float32
double = float64
long = int64
int = int32

__version__ = "0.1.0"
