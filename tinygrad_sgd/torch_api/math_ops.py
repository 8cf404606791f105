"""torch's math functions, part one: operands and dtype promotion, arithmetic, matmul and
reductions. `x @ a` calls `matmul(x, a)` here, `t.mean()` calls `mean(t)`.

Each function checks its arguments in the user's terms (shapes, dims, dtypes, devices),
applies torch's dtype rules, and hands the array work to one op of `ops/`, where the math
and its derivative live. pointwise_ops.py and shape_ops.py hold the rest.
"""
from __future__ import annotations

import builtins  # this module defines torch's sum, max, any ...: the builtins by full name
import math
import warnings
from typing import Any, NamedTuple

from .. import dtypes
from ..autograd.engine import Function
from ..backend import CPU, Device
from ..dtypes import dtype as DType
from ..dtypes import result_type
from ..ops.arithmetic import Add, Div, Matmul, Mm, Mul, Mv, Pow, PowTensor, Reciprocal, Sub
from ..ops.elementwise import Maximum, Minimum
from ..ops.reduce import (LogSoftmax, Max, Mean, MeanDim, Min, Softmax, Std, Sum, SumDim,
                          TakeAlongDim, Var)
from ..tensor import Tensor
from .checks import broadcast_into, broadcast_shapes, dim_index, dim_tuple, python_scalar

__all__ = ["add", "sub", "mul", "div", "pow", "square", "neg", "matmul", "mm", "sum", "mean",
           "var", "std", "max", "min", "all", "any", "argmax", "argmin", "softmax",
           "log_softmax"]
# these are Tensor methods too: t.mean() is mean(t) (tensor.py attaches them)
METHODS = ("add", "sub", "mul", "div", "pow", "square", "matmul", "sum", "mean", "var", "std",
           "max", "min", "all", "any", "argmax", "argmin", "softmax", "log_softmax")
# and operators (tensor.py defines + - * / ** themselves): `x @ a` is matmul(x, a)
OPERATORS = {"__matmul__": "matmul"}


class MaxMin(NamedTuple):
    """What max(dim) and min(dim) return, as torch.return_types.max does."""
    values: Tensor
    indices: Tensor


def expect_tensor(name: str, x: Any, arg: str = "input", position: int = 1) -> None:
    """torch's TypeError for a non-Tensor argument, naming it: `tg.exp(1.0)` raises
    "exp(): argument 'input' (position 1) must be Tensor, not float"."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                        f"not {type(x).__name__}")


# ---------------------------------------------------------------------------------------
# operands: Tensors and Python numbers, promoted as torch promotes
# ---------------------------------------------------------------------------------------
def operand(x: Any, device: Device) -> Any:
    """Tensors and Python numbers pass; an array of the same device is wrapped; an array of
    another device is refused rather than copied behind the user's back."""
    if isinstance(x, Tensor) or x.__class__ in (int, float, bool):
        return x
    if isinstance(x, device.array_type):
        return Tensor._make(x, device)
    module = type(x).__module__.split(".")[0]
    if module in ("numpy", "cupy", "array_api_strict"):
        if module == "numpy" and getattr(x, "ndim", None) == 0:
            return python_scalar(x.item())
        raise RuntimeError(f"expected a tensor on {device}, got a {module} array: convert it "
                           f"with tinygrad_sgd.tensor(array, device='{device}') first")
    if hasattr(x, "is_integer") or hasattr(x, "__index__"):
        return python_scalar(x)
    raise TypeError(f"unsupported operand type: {type(x).__name__}")


def cast(x: Any, dt: DType) -> Any:
    """A Tensor converted to dt; a Python number stays a number (the array module then
    keeps the array's dtype, as torch does for a number)."""
    if isinstance(x, Tensor):
        if x._dtype is dt:
            return x
        converted = x.to(dt)
        # torch saves the operand itself for backward: an in-place change to the original
        # (an int tensor k after x * k) must fail the saved copy's version check too
        converted._version = x._version
        return converted
    return int(x) if isinstance(x, bool) and dt is not dtypes.bool_ else x


def binary(fn: type[Function], a: Any, b: Any) -> Tensor:
    """fn(a, b) for a two-input op, after torch's dtype promotion; a or b may be a number."""
    try:
        # the common case, kept fast: a float tensor with a Python number (exactly int or
        # float, so not bool), which keeps the tensor's dtype, or with a tensor of its dtype
        # (a tensor exponent, x ** t, is the op PowTensor)
        if a.__class__ is Tensor and a._dtype.is_floating_point:
            if b.__class__ in (int, float) or b.__class__ is Tensor and b._dtype is a._dtype:
                return (PowTensor if fn is Pow and b.__class__ is Tensor else fn).apply(a, b)
        return _promoted(fn, a, b)
    except ValueError:  # the array module could not broadcast: say so in torch's terms
        broadcast_shapes(getattr(a, "shape", ()), getattr(b, "shape", ()))
        raise


def _promoted(fn: type[Function], a: Any, b: Any) -> Tensor:
    device = a._device if isinstance(a, Tensor) else b._device
    a, b = operand(a, device), operand(b, device)
    dt = _op_dtype(fn, a, b)
    if fn is Sub:
        _refuse_bool_subtraction(a, b)
    if fn is Div and not isinstance(a, Tensor) and dt.is_floating_point:
        # number / x, as torch computes it: x's reciprocal (saved for backward) times it
        return binary(Mul, Reciprocal.apply(cast(b, dt)), a)
    if fn is Pow and not dt.is_floating_point and isinstance(b, int) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if not isinstance(a, Tensor):  # a number first (1 - x, 2 ** x): a constant tensor, as
        # torch wraps it (an op's first input is a tensor; 2 ** x needs log(2) as an array)
        a = Tensor._make(device.xp.asarray(a, dtype=device.xp_dtype(dt)), device)
    if fn is Pow and isinstance(b, Tensor):  # a tensor exponent
        fn = PowTensor
    return fn.apply(cast(a, dt), cast(b, dt))


def _refuse_bool_subtraction(a: Any, b: Any) -> None:
    """torch refuses `-` with a bool operand: a bool tensor or a Python bool."""
    bools = [x.__class__ is bool or (isinstance(x, Tensor) and x._dtype is dtypes.bool_)
             for x in (a, b)]
    if builtins.all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if builtins.any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")


def _op_dtype(fn: type[Function], a: Any, b: Any) -> DType:
    """The dtype fn(a, b) computes in: torch's result type, except that true division of
    integers gives floats."""
    dt = result_type(a, b)
    return dtypes.float32 if fn is Div and not dt.is_floating_point else dt


def inplace_operand(target: Tensor, fn: type[Function], other: Any) -> Any:
    """`other` for target += other (or -=, *=, /=): the result keeps the target's dtype and
    shape, so check that it fits in them, as torch does, before anything changes."""
    if (other.__class__ is Tensor and other._dtype is target._dtype
            and target._dtype.is_floating_point  # (int /= int must be refused below)
            and other._device is target._device and other.shape == target.shape):
        return other  # the SGD step, p -= lr * p.grad: nothing to convert or check
    other = operand(other, target._device)
    if isinstance(other, Tensor) and other._device is not target._device:
        raise RuntimeError(f"expected all tensors to be on the same device, but found at "
                           f"least two devices, {target._device} and {other._device}")
    if fn is Sub:
        _refuse_bool_subtraction(target, other)
    dt = _op_dtype(fn, target, other)
    if dt.category > target._dtype.category:
        raise RuntimeError(f"result type {dt._torch_name} can't be cast to the desired "
                           f"output type {target._dtype._torch_name}")
    if isinstance(other, Tensor):
        broadcast_into(target.shape, other.shape)
    return cast(other, target._dtype)


def _floating(t: Tensor) -> Tensor:
    """exp, log, ... of an integer tensor compute in the default float dtype (as torch)."""
    return t if t._dtype.is_floating_point else t.to(dtypes.float32)


# ---------------------------------------------------------------------------------------
# arithmetic and matrix products
# ---------------------------------------------------------------------------------------
def _number_input(name: str, input: Any, other: Any) -> Any:
    """add, sub, mul and div take a Python number on either side, as torch does; with no
    Tensor on either side, input becomes a 0-d tensor (torch.add(1, 2) is tensor(3))."""
    if isinstance(input, Tensor) or isinstance(other, Tensor):
        return input
    if input.__class__ not in (int, float, bool):
        expect_tensor(name, input)
    return Tensor._make(CPU.xp.asarray(input, dtype=CPU.xp_dtype(dtypes.scalar_dtype(input))),
                        CPU)


def add(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """input + alpha·other."""
    input = _number_input("add", input, other)
    return binary(Add, input, other if alpha == 1 else other * alpha)


def sub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """input - alpha·other."""
    input = _number_input("sub", input, other)
    return binary(Sub, input, other if alpha == 1 else other * alpha)


def mul(input: Tensor, other: Any) -> Tensor:
    """input · other, elementwise (broadcasting)."""
    return binary(Mul, _number_input("mul", input, other), other)


def div(input: Tensor, other: Any) -> Tensor:
    """input / other, elementwise; integers divide into floats."""
    return binary(Div, _number_input("div", input, other), other)


def pow(input: Any, exponent: Any) -> Tensor:
    """input ** exponent, elementwise; either may be a number."""
    if not isinstance(exponent, Tensor):  # pow(2, x) takes a number base, pow(2, 3) doesn't
        expect_tensor("pow", input)
    return binary(Pow, input, exponent)


def square(input: Tensor) -> Tensor:
    """input ** 2."""
    expect_tensor("square", input)
    return binary(Pow, input, 2)


def neg(input: Tensor) -> Tensor:
    """-input."""
    expect_tensor("neg", input)
    return -input


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """input @ other with torch.matmul's rules for 1-D, 2-D and batched operands."""
    expect_tensor("matmul", input)
    if not isinstance(other, Tensor) or input._dtype is not other._dtype:
        other = _matmul_operand(input, other)  # an array of input's device is wrapped
    try:
        if input._data.ndim == 2 and other._data.ndim <= 2:  # torch's mv and mm
            return (Mv if other._data.ndim == 1 else Mm).apply(input, other)
        return Matmul.apply(input, other)
    except ValueError:  # the array module refused the shapes: say why in torch's words
        _refuse_matmul(input, other)
        raise


def _matmul_operand(a: Tensor, b: Any) -> Tensor:
    """`other` of matmul when it is not a tensor of input's dtype: an array of the device
    becomes a tensor; anything else is refused with torch's error."""
    b = operand(b, a._device)
    _refuse_matmul(a, b)
    return b


def _refuse_matmul(a: Tensor, b: Any) -> None:
    """torch's error for operands matmul cannot multiply (returns when it finds none)."""
    if not isinstance(b, Tensor):
        raise TypeError(f"matmul(): argument 'other' must be Tensor, not {type(b).__name__}")
    sa, sb = a._data.shape, b._data.shape
    if not sa or not sb:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{len(sa)}D and {len(sb)}D")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a._dtype._torch_name.lower()} != {b._dtype._torch_name.lower()}")
    if sa[-1] != (sb[0] if len(sb) == 1 else sb[-2]):
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({'x'.join(map(str, sa))} and {'x'.join(map(str, sb))})")
    broadcast_shapes(sa[:-2], sb[:-2])  # batch dims must broadcast


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices (2-D only; matmul handles the rest)."""
    expect_tensor("mm", input)
    expect_tensor("mm", mat2, "mat2", 2)
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm(): both arguments must be 2-D, got {input.ndim}-D and "
                           f"{mat2.ndim}-D")
    return matmul(input, mat2)


# ---------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
        axis: Any = None) -> Tensor:
    """The sum of the elements (along `dim`, or `axis` as numpy names it)."""
    expect_tensor("sum", input)
    dim = dim if axis is None else axis
    x = input.to(dtype) if dtype is not None else input
    if not x._dtype.is_floating_point and x._dtype is not dtypes.int64:
        x = x.to(dtypes.int64)  # torch sums bool and int32 into int64
    if dim is None and not keepdim:  # every element: torch's SumBackward0
        return Sum.apply(x)
    return SumDim.apply(x, dim=dim_tuple(dim, input.ndim), keepdim=keepdim)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
         axis: Any = None) -> Tensor:
    """The mean of the elements (along `dim`): the lesson's mse is ((y_hat - y) ** 2).mean()."""
    expect_tensor("mean", input)
    # (converted to dtype first; an integer tensor is refused)
    x = input if dtype is None and input._dtype.is_floating_point else _mean_input(input, dtype)
    if dim is None and axis is None and not keepdim:  # the mean of every element
        return Mean.apply(x)
    return MeanDim.apply(x, dim=dim_tuple(dim if axis is None else axis, x.ndim), keepdim=keepdim)


def _mean_input(input: Tensor, dtype: Any) -> Tensor:
    x = input.to(dtype) if dtype is not None else input
    if not x._dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {x._dtype._torch_name}")
    return x


def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None, axis: Any = None) -> Tensor:
    """Variance, with Bessel's correction (divide by N - 1) unless correction=0."""
    expect_tensor("var", input)
    return _moment(Var, input, dim if axis is None else axis, unbiased, keepdim, correction)


def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None, axis: Any = None) -> Tensor:
    """Standard deviation, the square root of var() (Bessel's correction by default)."""
    expect_tensor("std", input)
    return _moment(Std, input, dim if axis is None else axis, unbiased, keepdim, correction)


def _moment(fn: type[Function], t: Tensor, dim: Any, unbiased: Any, keepdim: bool,
            correction: Any) -> Tensor:
    if isinstance(dim, bool):  # var(True): the old positional `unbiased`
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if not t._dtype.is_floating_point:
        raise RuntimeError(f"{fn.__name__.lower()}(): input dtype should be floating point, "
                           f"got {t._dtype._torch_name}")
    dims = dim_tuple(dim, t.ndim)
    n = t.numel() if dims is None else math.prod(t.shape[d] for d in dims)
    if n - correction <= 0:  # the value is inf or nan: torch warns
        warnings.warn(f"{fn.__name__.lower()}(): degrees of freedom is <= 0. Correction "
                      "should be strictly less than the reduction factor (input numel "
                      "divided by output numel).", UserWarning, stacklevel=3)
    return fn.apply(t, dim=dims, correction=correction, keepdim=keepdim)


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
    """The largest element, or (values, indices) along `dim`; max(a, b) is maximum(a, b)."""
    expect_tensor("max", input)
    if isinstance(dim, Tensor):
        return binary(Maximum, input, dim)
    return _extreme(input, Max, "argmax", dim if axis is None else axis, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
    """The smallest element, or (values, indices) along `dim`; min(a, b) is minimum(a, b)."""
    expect_tensor("min", input)
    if isinstance(dim, Tensor):
        return binary(Minimum, input, dim)
    return _extreme(input, Min, "argmin", dim if axis is None else axis, keepdim)


def _extreme(t: Tensor, full: type[Function], arg: str, dim: Any, keepdim: bool) -> Any:
    """max/min of everything (a tie shares the gradient), or (values, indices) along dim
    (the gradient goes to the index returned)."""
    if t.numel() == 0 and dim is None:
        raise RuntimeError(f"{full.__name__.lower()}(): Expected reduction dim to be "
                           "specified for input.numel() == 0. Specify the reduction dim "
                           "with the 'dim' argument.")
    if dim is None:
        return full.apply(t)
    d = dim_index(dim, t.ndim)
    _check_nonempty_dim(t, full.__name__.lower(), d)
    if t.ndim == 0:
        return MaxMin(t.clone(), Tensor._make(t._device.xp.zeros((), dtype=t._device.xp.int64),
                                              t._device))
    index = _arg_reduce(t, arg, d, keepdim=True)
    values = TakeAlongDim.apply(t, index, dim=d, keepdim=keepdim)
    return MaxMin(values, index if keepdim else index.squeeze(d))


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where every element (along dim) is nonzero; outside the graph."""
    expect_tensor("all", input)
    return _logical_reduce(input, "all", dim, keepdim)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where some element (along dim) is nonzero; outside the graph."""
    expect_tensor("any", input)
    return _logical_reduce(input, "any", dim, keepdim)


def _logical_reduce(t: Tensor, name: str, dim: Any, keepdim: bool) -> Tensor:
    xp = t._device.xp
    data = t._data if t._dtype is dtypes.bool_ else t._data != 0
    out = getattr(xp, name)(data, axis=dim_tuple(dim, t.ndim), keepdims=keepdim)
    return Tensor._make(xp.asarray(out), t._device)


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False, *,
           axis: Any = None) -> Tensor:
    """The index of the largest element (of the flattened tensor when dim is None)."""
    expect_tensor("argmax", input)
    return _arg_reduce(input, "argmax", dim if axis is None else axis, keepdim)


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False, *,
           axis: Any = None) -> Tensor:
    """The index of the smallest element (of the flattened tensor when dim is None)."""
    expect_tensor("argmin", input)
    return _arg_reduce(input, "argmin", dim if axis is None else axis, keepdim)


def _check_nonempty_dim(t: Tensor, name: str, d: int) -> None:
    """An empty slice has no largest element: torch's IndexError (other dims may be
    empty: max(dim=1) of a (0, 3) tensor is empty)."""
    if t.ndim and t.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _arg_reduce(t: Tensor, name: str, dim: Any, keepdim: bool) -> Tensor:
    xp = t._device.xp
    data = t._data if t._dtype is not dtypes.bool_ else xp.astype(t._data, xp.int64)
    if dim is None and t.numel() == 0:
        raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                         "input.numel() == 0.")
    if dim is None:
        out = getattr(xp, name)(xp.reshape(data, (-1,)))
        return Tensor._make(xp.asarray(out), t._device).reshape(
            (1,) * t.ndim if keepdim else ())
    d = dim_index(dim, t.ndim)
    _check_nonempty_dim(t, name, d)
    out = getattr(xp, name)(data, axis=d, keepdims=keepdim) if t.ndim else xp.asarray(0)
    return Tensor._make(xp.asarray(out, dtype=xp.int64), t._device)


def softmax(input: Tensor, dim: int) -> Tensor:
    """e^x / Σ e^x along dim: each slice becomes probabilities."""
    expect_tensor("softmax", input)
    return Softmax.apply(_floating(input), dim=dim_index(dim, input.ndim))


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """log(softmax(x)) along dim, computed without overflow."""
    expect_tensor("log_softmax", input)
    return LogSoftmax.apply(_floating(input), dim=dim_index(dim, input.ndim))


