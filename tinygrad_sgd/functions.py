"""torch's functions: `tg.exp(t)`, `tg.matmul(a, b)`, `tg.cat([a, b])` ... Tensor methods call
these too (`t.exp()` is `exp(t)`).

Each one checks its arguments in the user's terms (shapes, dims, dtypes, devices), applies
torch's dtype rules, and hands raw work to one op of `ops/`, where the math lives.
"""
from __future__ import annotations

import builtins  # this module defines torch's sum, max, any ...: the builtins by full name
import operator
from typing import Any, NamedTuple, Sequence

from . import dtypes
from .backend import CPU, Device
from .checks import (broadcast_into, broadcast_shapes, dim_index, dim_tuple, infer_shape,
                     python_scalar, shape_arg)
from .dtypes import dtype as DType
from .dtypes import result_type
from .function import Function
from .ops.elementwise import (Abs, Add, Clamp, Div, Exp, Log, Maximum, Minimum, Mul, Pow,
                              Reciprocal, Relu, Sigmoid, Sqrt, Sub, Tanh, Where)
from .ops.matmul import Matmul
from .ops.reduce import LogSoftmax, Max, Mean, Min, Softmax, Std, Sum, TakeAlongDim, Var
from .ops.shape import Cat, Expand, Permute, Reshape, Stack, View
from .tensor import Tensor

__all__ = ["all", "any", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "clamp", "clip",
           "maximum", "minimum", "where", "softmax", "log_softmax", "sum", "mean", "var",
           "std", "max", "min", "argmax", "argmin", "matmul", "mm", "reshape", "flatten",
           "transpose", "permute", "squeeze", "unsqueeze", "cat", "concat", "stack", "add",
           "sub", "mul", "div", "pow", "neg", "numel", "is_tensor", "allclose", "equal",
           "clone", "t", "eq", "ne", "lt", "le", "gt", "ge", "square", "detach"]


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
        return x if x._dtype is dt else x.to(dt)
    return int(x) if isinstance(x, bool) and dt is not dtypes.bool_ else x


def binary(fn: type[Function], a: Any, b: Any) -> Tensor:
    """fn(a, b) for a two-input op, after torch's dtype promotion; a or b may be a number."""
    try:
        # the common cases, kept fast: float tensors of one dtype, or with a Python number
        # (whose type is exactly int or float, so not bool), which keeps the tensor's dtype
        if a.__class__ is Tensor:
            if b.__class__ is Tensor:
                if a._dtype is b._dtype and a._dtype.is_floating_point:
                    return fn.apply(a, b)
            elif (b.__class__ is float or b.__class__ is int) and a._dtype.is_floating_point:
                return fn.apply(a, b)
        elif (a.__class__ is float or a.__class__ is int) and b.__class__ is Tensor \
                and b._dtype.is_floating_point and fn is not Pow and fn is not Div:
            # (2 ** x and 2 / x take the longer way: see _promoted)
            return fn.apply(a, b)
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
    if fn is Pow and not isinstance(a, Tensor):  # 2 ** x: d/dx needs log(2) as an array
        a = Tensor._make(device.xp.asarray(a, dtype=device.xp_dtype(dt)), device)
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


def compare(op: Any, a: Tensor, b: Any, logical: bool = False) -> Any:
    """a == b, a < b, a & b ...: a tensor outside the graph (bool, or int for & | ^ of
    ints)."""
    try:
        b = operand(b, a._device)
    except TypeError:
        return NotImplemented
    if isinstance(b, Tensor) and b._device is not a._device:
        raise RuntimeError(f"expected all tensors to be on the same device, but found at "
                           f"least two devices, {a._device} and {b._device}")
    dt = result_type(a, b)
    if logical and dt.is_floating_point:
        raise TypeError("& | ^ need bool or integer tensors, got floating point")
    a, b = cast(a, dt), cast(b, dt)
    try:
        result = op(a._data, b._data if isinstance(b, Tensor) else b)
    except ValueError:
        broadcast_shapes(a.shape, getattr(b, "shape", ()))
        raise
    return Tensor._make(result, a._device)


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
# arithmetic and elementwise math
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
    return binary(Mul, _number_input("mul", input, other), other)


def div(input: Tensor, other: Any) -> Tensor:
    return binary(Div, _number_input("div", input, other), other)


def pow(input: Any, exponent: Any) -> Tensor:
    if not isinstance(exponent, Tensor):  # pow(2, x) takes a number base, pow(2, 3) doesn't
        expect_tensor("pow", input)
    return binary(Pow, input, exponent)


def square(input: Tensor) -> Tensor:
    expect_tensor("square", input)
    return binary(Pow, input, 2)


def neg(input: Tensor) -> Tensor:
    expect_tensor("neg", input)
    return -input


def exp(input: Tensor) -> Tensor:
    expect_tensor("exp", input)
    return Exp.apply(_floating(input))


def log(input: Tensor) -> Tensor:
    expect_tensor("log", input)
    return Log.apply(_floating(input))


def sqrt(input: Tensor) -> Tensor:
    expect_tensor("sqrt", input)
    return Sqrt.apply(_floating(input))


def abs(input: Tensor) -> Tensor:
    expect_tensor("abs", input)
    return Abs.apply(input)


def relu(input: Tensor) -> Tensor:
    expect_tensor("relu", input)
    return Relu.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    expect_tensor("sigmoid", input)
    return Sigmoid.apply(_floating(input))


def tanh(input: Tensor) -> Tensor:
    expect_tensor("tanh", input)
    return Tanh.apply(_floating(input))


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Values below min become min, above max become max (bounds: numbers or tensors)."""
    expect_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        # tensor bounds, elementwise: a bound's gradient is where it won, as in torch
        out = input if min is None else where(input < min, min, input)
        return out if max is None else where(out > max, max, out)
    dt = result_type(input, *(b for b in (min, max) if b is not None))
    return Clamp.apply(input.to(dt), low=python_scalar(min), high=python_scalar(max))


clip = clamp


def maximum(input: Tensor, other: Tensor) -> Tensor:
    expect_tensor("maximum", input)
    return binary(Maximum, input, operand(other, input._device))


def minimum(input: Tensor, other: Tensor) -> Tensor:
    expect_tensor("minimum", input)
    return binary(Minimum, input, operand(other, input._device))


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    """input where condition is True, else other (either may be a Python number)."""
    expect_tensor("where", condition, "condition")
    if condition._dtype is not dtypes.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got "
                           f"{condition._dtype}")
    device = condition._device
    a, b = operand(input, device), operand(other, device)
    broadcast_shapes(*(getattr(x, "shape", ()) for x in (condition, a, b)))
    dt = result_type(a, b)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        # two Python numbers: the array module would pick float64 for where(c, 1., 0); torch
        # gives its default dtype, so hand it one number as an array of that dtype
        a = Tensor._make(device.xp.asarray(a, dtype=device.xp_dtype(dt)), device)
    return Where.apply(condition, cast(a, dt), cast(b, dt))


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """input @ other with torch.matmul's rules for 1-D, 2-D and batched operands."""
    expect_tensor("matmul", input)
    a, b = input, operand(other, input._device)
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
    if len(sa) > 2 or len(sb) > 2:
        broadcast_shapes(sa[:-2], sb[:-2])  # batch dims must broadcast
    return Matmul.apply(a, b)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    expect_tensor("mm", input)
    expect_tensor("mm", mat2, "mat2", 2)
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm(): both arguments must be 2-D, got {input.ndim}-D and "
                           f"{mat2.ndim}-D")
    return matmul(input, mat2)


# ---------------------------------------------------------------------------------------
# reductions
# ---------------------------------------------------------------------------------------
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    expect_tensor("sum", input)
    x = input.to(dtype) if dtype is not None else input
    if not x._dtype.is_floating_point and x._dtype is not dtypes.int64:
        x = x.to(dtypes.int64)  # torch sums bool and int32 into int64
    return Sum.apply(x, dim=dim_tuple(dim, input.ndim), keepdim=keepdim)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    expect_tensor("mean", input)
    x = input.to(dtype) if dtype is not None else input
    if not x._dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {x._dtype._torch_name}")
    return Mean.apply(x, dim=dim_tuple(dim, input.ndim), keepdim=keepdim)


def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Variance, with Bessel's correction (divide by N - 1) unless correction=0."""
    expect_tensor("var", input)
    return _moment(Var, input, dim, unbiased, keepdim, correction)


def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    expect_tensor("std", input)
    return _moment(Std, input, dim, unbiased, keepdim, correction)


def _moment(fn: type[Function], t: Tensor, dim: Any, unbiased: Any, keepdim: bool,
            correction: Any) -> Tensor:
    if isinstance(dim, bool):  # var(True): the old positional `unbiased`
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if not t._dtype.is_floating_point:
        raise RuntimeError(f"{fn.__name__.lower()}(): input dtype should be floating point, "
                           f"got {t._dtype._torch_name}")
    return fn.apply(t, dim=dim_tuple(dim, t.ndim), correction=correction, keepdim=keepdim)


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The largest element, or (values, indices) along `dim`; max(a, b) is maximum(a, b)."""
    expect_tensor("max", input)
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    return _extreme(input, Max, "argmax", dim, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    expect_tensor("min", input)
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    return _extreme(input, Min, "argmin", dim, keepdim)


def _extreme(t: Tensor, full: type[Function], arg: str, dim: Any, keepdim: bool) -> Any:
    """max/min of everything (a tie shares the gradient), or (values, indices) along dim
    (the gradient goes to the index returned)."""
    if t.numel() == 0:
        raise RuntimeError(f"{full.__name__.lower()}(): Expected reduction dim to be "
                           "specified for input.numel() == 0. Specify the reduction dim "
                           "with the 'dim' argument.")
    if dim is None:
        return full.apply(t)
    d = dim_index(dim, t.ndim)
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


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The index of the largest element (of the flattened tensor when dim is None)."""
    expect_tensor("argmax", input)
    return _arg_reduce(input, "argmax", dim, keepdim)


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    expect_tensor("argmin", input)
    return _arg_reduce(input, "argmin", dim, keepdim)


def _arg_reduce(t: Tensor, name: str, dim: Any, keepdim: bool) -> Tensor:
    xp = t._device.xp
    data = t._data if t._dtype is not dtypes.bool_ else xp.astype(t._data, xp.int64)
    if dim is None:
        out = getattr(xp, name)(xp.reshape(data, (-1,)))
        return Tensor._make(xp.asarray(out), t._device).reshape(
            (1,) * t.ndim if keepdim else ())
    d = dim_index(dim, t.ndim)
    out = getattr(xp, name)(data, axis=d, keepdims=keepdim) if t.ndim else xp.asarray(0)
    return Tensor._make(xp.asarray(out, dtype=xp.int64), t._device)


def softmax(input: Tensor, dim: int) -> Tensor:
    expect_tensor("softmax", input)
    return Softmax.apply(_floating(input), dim=dim_index(dim, input.ndim))


def log_softmax(input: Tensor, dim: int) -> Tensor:
    expect_tensor("log_softmax", input)
    return LogSoftmax.apply(_floating(input), dim=dim_index(dim, input.ndim))


# ---------------------------------------------------------------------------------------
# shape
# ---------------------------------------------------------------------------------------
# How a reshape with copy=False says "no view can do this": numpy raises ValueError;
# array-api-strict and array-api-compat's cupy set .shape on a view and get AttributeError.
_CANNOT_VIEW = (ValueError, AttributeError)


def view(input: Tensor, *shape: Any) -> Tensor:
    """The same storage seen with a new shape; refused when no view can express it."""
    new_shape = infer_shape(input.numel(), shape)
    try:
        return View.apply(input, shape=new_shape)
    except _CANNOT_VIEW:  # the array module would have to copy
        raise RuntimeError(f"view size {list(new_shape)} is not compatible with input "
                           f"tensor's size {list(input.shape)} and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use "
                           ".reshape(...) instead.") from None


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """A view when the storage allows it, else a copy (torch's rule)."""
    expect_tensor("reshape", input)
    new_shape = infer_shape(input.numel(), shape)
    try:
        return View.apply(input, shape=new_shape)
    except _CANNOT_VIEW:
        return Reshape.apply(input, shape=new_shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    expect_tensor("flatten", input)
    if input.ndim == 0:
        return reshape(input, 1)
    s, e = dim_index(start_dim, input.ndim), dim_index(end_dim, input.ndim)
    return reshape(input, *input.shape[:s], -1, *input.shape[e + 1:]) if s <= e else input


def permute(input: Tensor, *dims: Any) -> Tensor:
    expect_tensor("permute", input)
    if not dims:
        raise TypeError('permute() missing 1 required positional arguments: "dims"')
    dims = shape_arg(dims)
    order = tuple(dim_index(d, input.ndim) for d in dims)
    if len(order) != input.ndim:
        raise RuntimeError(f"permute(): number of dims don't match in permute: the tensor has "
                           f"{input.ndim} dimensions, the ordering {list(dims)} has "
                           f"{len(dims)}")
    if sorted(order) != list(range(input.ndim)):
        raise RuntimeError(f"permute(): duplicate dims are not allowed (got {list(dims)})")
    return Permute.apply(input, dims=order)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    expect_tensor("transpose", input)
    order = list(range(input.ndim))
    d0, d1 = dim_index(dim0, input.ndim), dim_index(dim1, input.ndim)
    if order:  # a 0-d tensor accepts dims 0 and -1, with nothing to swap
        order[d0], order[d1] = order[d1], order[d0]
    return Permute.apply(input, dims=tuple(order))


def t(input: Tensor) -> Tensor:
    expect_tensor("t", input)
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    """Drop axes of size 1 (all of them, or those of `dim` that have size 1)."""
    expect_tensor("squeeze", input)
    dims = range(input.ndim) if dim is None else dim_tuple(dim, input.ndim) or ()
    return view(input, tuple(n for i, n in enumerate(input.shape)
                             if not (i in dims and n == 1)))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    expect_tensor("unsqueeze", input)
    d = dim_index(dim, input.ndim + 1)
    return view(input, input.shape[:d] + (1,) + input.shape[d:])


def expand(input: Tensor, *shape: Any) -> Tensor:
    """A broadcast view: size-1 axes stretched to `shape` without copying (-1 keeps one)."""
    if not shape:
        raise TypeError('expand() missing 1 required positional arguments: "size"')
    shape = shape_arg(shape)
    lead = len(shape) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({input.ndim})")
    target = tuple(input.shape[i - lead] if n == -1 and i >= lead else n
                   for i, n in enumerate(shape))
    for i, n in enumerate(input.shape):
        if n != 1 and n != target[lead + i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[lead + i]}) must "
                               f"match the existing size ({n}) at non-singleton dimension "
                               f"{lead + i}.  Target sizes: {list(shape)}.  Tensor sizes: "
                               f"{list(input.shape)}")
    for i, n in enumerate(target):
        if n < 0:  # -1 keeps an existing size; a new dim has none to keep
            where = "a leading, non-existing dimension" if i < lead else "dimension"
            raise RuntimeError(f"The expanded size of the tensor ({n}) isn't allowed in "
                               f"{where} {i}.  Target sizes: {list(shape)}.  Tensor sizes: "
                               f"{list(input.shape)}")
    return Expand.apply(input, shape=target)


def _tensor_list(name: str, tensors: Sequence[Tensor]) -> list[Tensor]:
    """cat's and stack's tensors as a list; a Tensor is refused, as in torch (iterating it
    would quietly give its rows)."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not Tensor")
    return list(tensors)


def _same_device_and_dtype(name: str, tensors: Sequence[Tensor]) -> list[Tensor]:
    tensors = _tensor_list(name, tensors)
    if not tensors:
        raise ValueError(f"{name}(): expected a non-empty list of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}(): expected a sequence of Tensors, but element {i} is "
                            f"{type(x).__name__}")
        if x.device is not tensors[0].device:
            raise RuntimeError(f"{name}(): expected all tensors to be on the same device, but "
                               f"found {tensors[0].device} and {x.device}")
    dt = result_type(*tensors)
    return [x if x.dtype is dt else x.to(dt) for x in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; the other sizes must match."""
    tensors = _tensor_list("cat", tensors)
    if builtins.any(isinstance(x, Tensor) and x.ndim > 1 for x in tensors):
        # torch's legacy rule: an empty 1-D tensor (res = tensor([]) before a loop of
        # res = cat([res, rows])) is skipped
        tensors = [x for x in tensors if not (isinstance(x, Tensor) and x.shape == (0,))]
    tensors = _same_device_and_dtype("cat", tensors)
    first = tensors[0]
    if first.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = dim_index(dim, first.ndim)
    for i, x in enumerate(tensors):
        if x.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got "
                               f"{first.ndim} and {x.ndim}")
        for axis, (m, n) in enumerate(zip(first.shape, x.shape)):
            if axis != d and m != n:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {m} but got size {n} for tensor number "
                                   f"{i} in the list.")
    return Cat.apply(*tensors, dim=d)


concat = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Stack equal-shaped tensors along a new dim."""
    tensors = _tensor_list("stack", tensors)
    if not tensors:  # torch: RuntimeError here, ValueError for cat
        raise RuntimeError("stack expects a non-empty TensorList")
    tensors = _same_device_and_dtype("stack", tensors)
    for i, x in enumerate(tensors):
        if x.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(x.shape)} at "
                               f"entry {i}")
    return Stack.apply(*tensors, dim=dim_index(dim, tensors[0].ndim + 1))


# ---------------------------------------------------------------------------------------
# comparisons and small helpers
# ---------------------------------------------------------------------------------------
def eq(input: Tensor, other: Any) -> Tensor:
    expect_tensor("eq", input)
    return compare(operator.eq, input, other)


def ne(input: Tensor, other: Any) -> Tensor:
    expect_tensor("ne", input)
    return compare(operator.ne, input, other)


def lt(input: Tensor, other: Any) -> Tensor:
    expect_tensor("lt", input)
    return compare(operator.lt, input, other)


def le(input: Tensor, other: Any) -> Tensor:
    expect_tensor("le", input)
    return compare(operator.le, input, other)


def gt(input: Tensor, other: Any) -> Tensor:
    expect_tensor("gt", input)
    return compare(operator.gt, input, other)


def ge(input: Tensor, other: Any) -> Tensor:
    expect_tensor("ge", input)
    return compare(operator.ge, input, other)


def clone(input: Tensor) -> Tensor:
    expect_tensor("clone", input)
    return input.clone()


def detach(input: Tensor) -> Tensor:
    expect_tensor("detach", input)
    return input.detach()


def numel(input: Tensor) -> int:
    expect_tensor("numel", input)
    return input.numel()


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    """True when |input - other| <= atol + rtol·|other| everywhere (values only)."""
    expect_tensor("allclose", input)
    expect_tensor("allclose", other, "other", 2)
    a, b = input.detach(), other.detach()
    dt = result_type(a, b)
    a, b = a.to(dt if dt.is_floating_point else dtypes.float64), b.to(
        dt if dt.is_floating_point else dtypes.float64)
    close = (a - b).abs() <= atol + rtol * b.abs()
    if equal_nan:
        close = close | ((a != a) & (b != b))
    return bool(close.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and the same values."""
    expect_tensor("equal", input)
    expect_tensor("equal", other, "other", 2)
    return input.shape == other.shape and bool((input == other).all())
