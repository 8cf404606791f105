"""tinygrad_sgd: a small autograd library that mirrors PyTorch's API, built to be read.

    import tinygrad_sgd as torch   # the lesson's notebook runs unchanged
"""
import sys as _sys

# numpy before our own modules: imported from inside a submodule's import it takes 20-40 ms
# longer (CPython 3.11; measured with `python -c "import tinygrad_sgd"`, 112 ms -> 69 ms)
import numpy as _numpy  # noqa: F401

# autograd first: its functions build on Tensor, which builds on its engine
from . import autograd
from . import dtypes
from . import helptext as _helptext
from .autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import get_device as device
from .backend import manual_seed
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, ones, ones_like, rand, rand_like, randint, randint_like, randn,
                       randn_like, randperm, tensor, zeros, zeros_like)
from .dtypes import bool_ as bool
from .dtypes import dtype, float32, float64, int32, int64
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

__all__ = [
    # modules
    "autograd", "cuda", "nn", "optim", "utils", "viz",
    # the tensor, dtypes and devices
    "Tensor", "dtype", "bool", "float32", "float64", "int32", "int64", "float", "double",
    "long", "int", "device",
    # creation and random numbers
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange",
    "linspace", "eye", "rand", "randn", "randint", "randperm", "zeros_like", "ones_like",
    "empty_like", "full_like", "rand_like", "randn_like", "randint_like", "manual_seed",
    # math (tensor methods too)
    "add", "sub", "mul", "div", "neg", "pow", "square", "matmul", "mm", "sum", "mean", "var",
    "std", "max", "min", "argmax", "argmin", "softmax", "log_softmax", "exp", "log", "sqrt",
    "abs", "relu", "sigmoid", "tanh", "clamp", "clip", "maximum", "minimum", "where",
    "eq", "ne", "lt", "le", "gt", "ge", "equal", "allclose", "clone", "detach", "numel",
    "is_tensor",
    # shape
    "reshape", "flatten", "permute", "transpose", "t", "squeeze", "unsqueeze", "cat",
    "concat", "stack",
    # autograd, saving
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "save", "load",
    # compiling a step
    "compile",
]


# imported on first use, to keep `import tinygrad_sgd` quick: name -> (module, attribute)
_LAZY = {"nn": (".nn", None), "optim": (".optim", None), "utils": (".utils", None),
         "cuda": (".cuda", None), "viz": (".viz", None), "save": (".serialization", "save"),
         "load": (".serialization", "load"), "compile": (".compiler", "compile")}


def __getattr__(name: str) -> object:
    """nn, optim, utils, cuda, viz, save, load and compile are imported on first use; any
    other unknown name is an operation tinygrad_sgd does not have: say where the list is."""
    if name in _LAZY:
        import importlib
        module, attribute = _LAZY[name]
        value = importlib.import_module(module, __name__)
        value = value if attribute is None else getattr(value, attribute)
        globals()[name] = value
        return value
    if name.startswith("__"):  # a protocol probe (copy, pickle, IPython): no advice
        raise AttributeError(f"module 'tinygrad_sgd' has no attribute {name!r}")
    import difflib
    close = difflib.get_close_matches(name, __all__, n=1, cutoff=0.8)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    raise AttributeError(
        f"module 'tinygrad_sgd' has no attribute {name!r}. {hint}tinygrad_sgd implements "
        f"a subset of torch: the supported operations, with their torch names and "
        f"derivatives, are listed in docs/ops.md (and in help(tinygrad_sgd)).")


# help() shows annotations as the objects they name, not as quoted strings (helptext.py)
# (nn, optim, utils.data, cuda and serialization do the same for themselves when they load)
_helptext.resolve(Tensor, autograd, autograd.function, dtypes, _sys.modules[__name__])
