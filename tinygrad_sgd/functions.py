"""torch's top-level functions: `tg.exp(t)` is `t.exp()`, `tg.cat([a, b])` joins tensors.

The math lives in ops/; these only check arguments and dispatch.
"""
from __future__ import annotations

from typing import Any, Sequence

from . import dtypes
from .dtypes import result_type
from .ops.shape import Cat, Stack
from .tensor import Tensor, _dim, _infer_shape, matmul, where  # noqa: F401  (re-exported)

__all__ = ["exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh", "clamp", "clip",
           "maximum", "minimum", "where", "softmax", "log_softmax", "sum", "mean", "var",
           "std", "max", "min", "argmax", "argmin", "matmul", "mm", "reshape", "flatten",
           "transpose", "permute", "squeeze", "unsqueeze", "cat", "concat", "stack", "add",
           "sub", "mul", "div", "pow", "neg", "numel", "is_tensor", "allclose", "equal",
           "clone", "t", "eq", "ne", "lt", "le", "gt", "ge", "square", "detach"]


def exp(input: Tensor) -> Tensor:
    return input.exp()


def log(input: Tensor) -> Tensor:
    return input.log()


def sqrt(input: Tensor) -> Tensor:
    return input.sqrt()


def abs(input: Tensor) -> Tensor:
    return input.abs()


def relu(input: Tensor) -> Tensor:
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return input.clamp(min, max)


clip = clamp


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return input.maximum(other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return input.minimum(other)


def softmax(input: Tensor, dim: int) -> Tensor:
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return input.log_softmax(dim)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    return input.sum(dim, keepdim, dtype=dtype)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    return input.mean(dim, keepdim, dtype=dtype)


def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    return input.std(dim, unbiased, keepdim, correction=correction)


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    return input.max(dim, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    return input.min(dim, keepdim)


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return input.argmax(dim, keepdim)


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return input.argmin(dim, keepdim)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm(): both arguments must be 2-D, got {input.ndim}-D and "
                           f"{mat2.ndim}-D")
    return matmul(input, mat2)


def reshape(input: Tensor, shape: Sequence[int]) -> Tensor:
    return input.reshape(shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    return input.transpose(dim0, dim1)


def t(input: Tensor) -> Tensor:
    return input.t()


def permute(input: Tensor, dims: Sequence[int]) -> Tensor:
    return input.permute(dims)


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    return input.unsqueeze(dim)


def _same_device_and_dtype(name: str, tensors: Sequence[Tensor]) -> list[Tensor]:
    tensors = list(tensors)
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
    tensors = _same_device_and_dtype("cat", tensors)
    first = tensors[0]
    d = _dim(dim, first.ndim)
    for i, x in enumerate(tensors):
        if x.ndim != first.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got "
                               f"{first.ndim} and {x.ndim}")
        for axis, (m, n) in enumerate(zip(first.shape, x.shape)):
            if axis != d and m != n:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {m} but got size {n} for tensor number "
                                   f"{i} in the list.")
    if first.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    return Cat.apply(*tensors, dim=d)


concat = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Stack equal-shaped tensors along a new dim."""
    tensors = _same_device_and_dtype("stack", tensors)
    for i, x in enumerate(tensors):
        if x.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(x.shape)} at "
                               f"entry {i}")
    return Stack.apply(*tensors, dim=_dim(dim, tensors[0].ndim + 1))


def add(input: Tensor, other: Any) -> Tensor:
    return input + other


def sub(input: Tensor, other: Any) -> Tensor:
    return input - other


def mul(input: Tensor, other: Any) -> Tensor:
    return input * other


def div(input: Tensor, other: Any) -> Tensor:
    return input / other


def pow(input: Any, exponent: Any) -> Tensor:
    return input ** exponent


def square(input: Tensor) -> Tensor:
    return input ** 2


def neg(input: Tensor) -> Tensor:
    return -input


def eq(input: Tensor, other: Any) -> Tensor:
    return input == other


def ne(input: Tensor, other: Any) -> Tensor:
    return input != other


def lt(input: Tensor, other: Any) -> Tensor:
    return input < other


def le(input: Tensor, other: Any) -> Tensor:
    return input <= other


def gt(input: Tensor, other: Any) -> Tensor:
    return input > other


def ge(input: Tensor, other: Any) -> Tensor:
    return input >= other


def clone(input: Tensor) -> Tensor:
    return input.clone()


def detach(input: Tensor) -> Tensor:
    return input.detach()


def numel(input: Tensor) -> int:
    return input.numel()


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    """True when |input - other| <= atol + rtol·|other| everywhere (values only)."""
    a, b = input.detach(), other.detach()
    dt = result_type(a, b)
    if not dt.is_floating_point:
        dt = dtypes.float64
    a, b = a.to(dt), b.to(dt)
    close = (a - b).abs() <= atol + rtol * b.abs()
    if equal_nan:
        close = close | ((a != a) & (b != b))
    return bool(close.all())


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both have the same shape and the same values."""
    return input.shape == other.shape and bool((input == other).all())
