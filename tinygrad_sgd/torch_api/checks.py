"""Checking what users pass, with torch's exceptions and messages in the user's terms:
dims, shapes, broadcasting and Python numbers. Nothing here touches arrays."""
from __future__ import annotations

import math
import operator
from typing import Any, Sequence


def dim_index(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative axis, or torch's IndexError."""
    n = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1
    d = operator.index(dim)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}]"
                         f", but got {d})")
    return d % n if ndim else 0


def dim_tuple(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """A reduction's dim: None or () (every axis), an int, or a sequence of ints, as a
    sorted tuple of axes (None for every axis)."""
    if dim is None:
        return None
    dims = tuple(dim_index(d, ndim) for d in (dim if isinstance(dim, (tuple, list))
                                              else (dim,)))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if ndim and dims else None


def shape_arg(shape: Sequence[Any]) -> tuple[int, ...]:
    """Sizes given as separate ints, `view(2, 3)`, or as one sequence, `view((2, 3))`."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(operator.index(n) for n in shape)


def infer_shape(numel: int, shape: Sequence[Any]) -> tuple[int, ...]:
    """A new shape for `numel` elements, with at most one -1 worked out."""
    shape = shape_arg(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(n for n in shape if n != -1)
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if n == -1 else n for n in shape)
    if math.prod(shape) != numel or any(n < 0 for n in shape):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """numpy's and torch's broadcasting rule: align on the right; sizes must match or be 1."""
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out = []
    for i, sizes in enumerate(zip(*padded)):
        distinct = set(sizes) - {1}
        if len(distinct) > 1:
            raise RuntimeError(f"The size of tensor a ({padded[0][i]}) must match the size of "
                               f"tensor b ({padded[1][i]}) at non-singleton dimension {i}; "
                               f"shapes are {', '.join(str(list(s)) for s in shapes)}")
        out.append(distinct.pop() if distinct else 1)
    return tuple(out)


def broadcast_into(target: Sequence[int], shape: Sequence[int]) -> None:
    """An in-place result keeps the target's shape: `shape` must broadcast into it."""
    result = broadcast_shapes(target, shape)
    if result != tuple(target):
        raise RuntimeError(f"output with shape {list(target)} doesn't match the broadcast "
                           f"shape {list(result)}")


# what each dtype holds, for torch's check when a Python number is stored into a tensor
_RANGES = {"int32": (-2**31, 2**31 - 1), "int64": (-2**63, 2**63 - 1),
           "float32": (-3.4028234663852886e38, 3.4028234663852886e38)}


def check_fits(value: Any, dtype: Any) -> None:
    """torch's check when a Python number is stored into a tensor of `dtype` (full, fill_,
    t[i] = v): refused when the dtype can't hold it, never wrapped. (Arithmetic differs:
    a float32 tensor + 1e300 is inf, in torch too.)"""
    limits = _RANGES.get(dtype.name)
    if limits is None or (dtype.is_floating_point and not math.isfinite(value)):
        return
    if not limits[0] <= value <= limits[1]:  # (NaN for an integer dtype fails too)
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def python_scalar(x: Any) -> Any:
    """A number as a plain Python int/float/bool, so that a numpy scalar (np.float64(0.1))
    cannot upcast a float32 array the way a numpy value would. None passes through."""
    if x is None or type(x) in (int, float, bool):
        return x
    if type(x).__name__ == "bool_":
        return bool(x)
    if isinstance(x, float) or hasattr(x, "is_integer"):
        return float(x)
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}") \
            from None
