"""torch's shape functions: view, reshape, permute, expand, squeeze, cat, stack, ...
Argument checks here (in torch's words); the ops, most of them views, in ops/shape.py.
"""
from __future__ import annotations

import builtins
from typing import Any, Sequence

from ..dtypes import result_type
from ..ops.shape import Cat, Expand, Permute, Reshape, Stack, View
from ..tensor import Tensor
from .checks import dim_index, dim_tuple, infer_shape, shape_arg
from .math_ops import expect_tensor

__all__ = ["view", "reshape", "flatten", "permute", "transpose", "t", "squeeze", "unsqueeze",
           "expand", "cat", "concat", "stack"]
# these are Tensor methods too: t.view(2, 3) is view(t, 2, 3) (tensor.py attaches them)
METHODS = ("view", "reshape", "flatten", "permute", "transpose", "t", "squeeze", "unsqueeze",
           "expand")
OPERATORS: dict[str, str] = {}


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
    """input with dims start_dim..end_dim merged into one (a view where possible).

    >>> tg.zeros(2, 3, 4).flatten(1).shape
    (2, 12)
    """
    expect_tensor("flatten", input)
    if input.ndim == 0:
        return reshape(input, 1)
    s, e = dim_index(start_dim, input.ndim), dim_index(end_dim, input.ndim)
    return reshape(input, *input.shape[:s], -1, *input.shape[e + 1:]) if s <= e else input


def permute(input: Tensor, *dims: Any) -> Tensor:
    """A view with the dims reordered: out.shape[i] is input.shape[dims[i]]."""
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
    """A view with dims dim0 and dim1 swapped."""
    expect_tensor("transpose", input)
    order = list(range(input.ndim))
    d0, d1 = dim_index(dim0, input.ndim), dim_index(dim1, input.ndim)
    if order:  # a 0-d tensor accepts dims 0 and -1, with nothing to swap
        order[d0], order[d1] = order[d1], order[d0]
    return Permute.apply(input, dims=tuple(order))


def t(input: Tensor) -> Tensor:
    """The transpose of a matrix (<= 2 dims; a vector or 0-d tensor is returned as is)."""
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
    """A view with a new axis of size 1 inserted at dim.

    >>> tg.zeros(3).unsqueeze(0).shape
    (1, 3)
    """
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


