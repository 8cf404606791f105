"""torch's math functions, part two: elementwise functions (exp, relu, clamp, where, ...),
comparisons, and small helpers. Argument checks and dtype rules here, the math in ops/.
"""
from __future__ import annotations

import operator
from typing import Any

from .. import dtypes
from ..dtypes import result_type
from ..ops.elementwise import (Abs, Clamp, Exp, Log, Maximum, Minimum, Relu, Sigmoid, Sqrt,
                               Tanh, Where)
from ..tensor import Tensor
from .checks import broadcast_shapes, python_scalar
from .math_ops import _floating, binary, cast, expect_tensor, operand

__all__ = ["exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "clamp", "clip", "maximum",
           "minimum", "where", "eq", "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or",
           "bitwise_xor", "clone", "detach", "numel", "is_tensor", "allclose", "equal"]
# these are Tensor methods too: t.exp() is exp(t) (tensor.py attaches them)
METHODS = ("exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "clamp", "clip", "maximum",
           "minimum", "eq", "ne", "lt", "le", "gt", "ge", "bitwise_and", "bitwise_or",
           "bitwise_xor")
OPERATORS = {"__abs__": "abs", "__eq__": "eq", "__ne__": "ne", "__lt__": "lt", "__le__": "le",
             "__gt__": "gt", "__ge__": "ge", "__and__": "bitwise_and", "__or__": "bitwise_or",
             "__xor__": "bitwise_xor", "__rand__": "bitwise_and", "__ror__": "bitwise_or",
             "__rxor__": "bitwise_xor"}


# ---------------------------------------------------------------------------------------
# elementwise functions
# ---------------------------------------------------------------------------------------
def exp(input: Tensor) -> Tensor:
    """e to the power of each element: out = e^input.

    >>> tg.exp(tg.tensor([0., 1.]))
    tensor([1.0000, 2.7183])
    """
    expect_tensor("exp", input)
    return Exp.apply(_floating(input))


def log(input: Tensor) -> Tensor:
    """The natural logarithm of each element (nan below 0, -inf at 0)."""
    expect_tensor("log", input)
    return Log.apply(_floating(input))


def sqrt(input: Tensor) -> Tensor:
    """The square root of each element (nan below 0)."""
    expect_tensor("sqrt", input)
    return Sqrt.apply(_floating(input))


def abs(input: Tensor) -> Tensor:
    """The absolute value of each element: |input| (also `abs(t)`)."""
    expect_tensor("abs", input)
    return Abs.apply(input)


def relu(input: Tensor) -> Tensor:
    """max(input, 0) elementwise: the rectified linear unit.

    >>> tg.relu(tg.tensor([-1., 2.]))
    tensor([0., 2.])
    """
    expect_tensor("relu", input)
    return Relu.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-input) elementwise: the logistic function, squashing into (0, 1)."""
    expect_tensor("sigmoid", input)
    return Sigmoid.apply(_floating(input))


def tanh(input: Tensor) -> Tensor:
    """The hyperbolic tangent of each element, in (-1, 1)."""
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
    """The elementwise maximum of input and other (broadcasting); a tie splits the
    gradient evenly.
    """
    expect_tensor("maximum", input)
    return binary(Maximum, input, operand(other, input._device))


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """The elementwise minimum of input and other (broadcasting); a tie splits the
    gradient evenly.
    """
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


# ---------------------------------------------------------------------------------------
# comparisons (bool tensors, outside the graph) and small helpers
# ---------------------------------------------------------------------------------------
def eq(input: Tensor, other: Any) -> Tensor:
    """input == other elementwise: a bool tensor, outside the graph."""
    expect_tensor("eq", input)
    return compare(operator.eq, input, other)


def ne(input: Tensor, other: Any) -> Tensor:
    """input != other elementwise: a bool tensor, outside the graph."""
    expect_tensor("ne", input)
    return compare(operator.ne, input, other)


def lt(input: Tensor, other: Any) -> Tensor:
    """input < other elementwise: a bool tensor, outside the graph."""
    expect_tensor("lt", input)
    return compare(operator.lt, input, other)


def le(input: Tensor, other: Any) -> Tensor:
    """input <= other elementwise: a bool tensor, outside the graph."""
    expect_tensor("le", input)
    return compare(operator.le, input, other)


def gt(input: Tensor, other: Any) -> Tensor:
    """input > other elementwise: a bool tensor, outside the graph."""
    expect_tensor("gt", input)
    return compare(operator.gt, input, other)


def ge(input: Tensor, other: Any) -> Tensor:
    """input >= other elementwise: a bool tensor, outside the graph."""
    expect_tensor("ge", input)
    return compare(operator.ge, input, other)


def bitwise_and(input: Tensor, other: Any) -> Tensor:
    """input & other: logical for bool tensors, bitwise for integers."""
    expect_tensor("bitwise_and", input)
    return compare(operator.and_, input, other, logical=True)


def bitwise_or(input: Tensor, other: Any) -> Tensor:
    """input | other: logical for bool tensors, bitwise for integers."""
    expect_tensor("bitwise_or", input)
    return compare(operator.or_, input, other, logical=True)


def bitwise_xor(input: Tensor, other: Any) -> Tensor:
    """input ^ other: logical for bool tensors, bitwise for integers."""
    expect_tensor("bitwise_xor", input)
    return compare(operator.xor, input, other, logical=True)


def clone(input: Tensor) -> Tensor:
    """A copy of input with its own storage; gradients flow back to input."""
    expect_tensor("clone", input)
    return input.clone()


def detach(input: Tensor) -> Tensor:
    """The same storage, cut out of the graph (see Tensor.detach)."""
    expect_tensor("detach", input)
    return input.detach()


def numel(input: Tensor) -> int:
    """The number of elements of input."""
    expect_tensor("numel", input)
    return input.numel()


def is_tensor(obj: Any) -> bool:
    """True if obj is a tinygrad_sgd Tensor."""
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
