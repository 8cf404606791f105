"""Data types, and torch's rules for the dtype of a result.

A dtype here is a small named object (`tinygrad_sgd.float32`); the backend maps it to the
array module's own dtype. Promotion follows torch, not numpy, because learners compare:

* categories rank bool < integer < floating; the result takes the highest category present;
* within that category, tensors with dimensions win over 0-d tensors, which win over
  Python scalars; among equals the wider dtype wins;
* a Python scalar alone in the highest category gives the default dtype (float -> float32,
  int -> int64), so `int_tensor * 2.5` is float32 and `float32_tensor * 2.5` stays float32.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np  # parsing Python data on the host

__all__ = ["dtype", "bool_", "int32", "int64", "float32", "float64", "promote_types"]

_BOOL, _INT, _FLOAT = 0, 1, 2  # categories, in promotion order


class dtype:
    """A tensor element type. Compare with `==`: `t.dtype == tinygrad_sgd.float32`."""

    __slots__ = ("name", "category", "itemsize", "_torch_name", "tensor_type",
                 "is_floating_point")

    def __init__(self, name: str, category: int, itemsize: int, torch_name: str, tensor_type: str):
        self.name, self.category, self.itemsize = name, category, itemsize
        self._torch_name, self.tensor_type = torch_name, tensor_type
        self.is_floating_point = category == _FLOAT  # a plain attribute: read on every op

    def __repr__(self) -> str:
        return f"tinygrad_sgd.{self.name}"

    def __reduce__(self) -> str:  # pickle dtypes as the module-level singletons they are
        return self.name if self.name != "bool" else "bool_"


bool_ = dtype("bool", _BOOL, 1, "Bool", "BoolTensor")
int32 = dtype("int32", _INT, 4, "Int", "IntTensor")
int64 = dtype("int64", _INT, 8, "Long", "LongTensor")
float32 = dtype("float32", _FLOAT, 4, "Float", "FloatTensor")
float64 = dtype("float64", _FLOAT, 8, "Double", "DoubleTensor")

ALL = (bool_, int32, int64, float32, float64)
BY_NAME = {d.name: d for d in ALL}
DEFAULT_FLOAT = float32
DEFAULT_INT = int64


def scalar_dtype(value: Any) -> dtype:
    """The dtype torch gives a Python scalar on its own: bool, int64 or float32."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return DEFAULT_INT
    if isinstance(value, float):
        return DEFAULT_FLOAT
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype that holds both: the higher category, then the wider type."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return a if a.itemsize >= b.itemsize else b


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """torch's rule for two priority tiers: the lower tier counts only if its category is
    higher (or the higher tier is bool or empty)."""
    if higher is None:
        return lower
    if lower is None or higher.category == _FLOAT:
        return higher
    if higher.category == _BOOL or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def result_type(*operands: Any) -> dtype:
    """torch.result_type for Tensors and Python scalars (see the module docstring)."""
    # Three priority tiers: tensors with dims, 0-d tensors, Python scalars.
    dims = zero = scalars = None
    for op in operands:
        if hasattr(op, "_data"):  # a Tensor; duck-typed so this module needs no tensor.py
            if op._data.ndim:
                dims = op.dtype if dims is None else promote_types(dims, op.dtype)
            else:
                zero = op.dtype if zero is None else promote_types(zero, op.dtype)
        else:
            dt = scalar_dtype(op)
            scalars = dt if scalars is None else promote_types(scalars, dt)
    result = _combine(dims, _combine(zero, scalars))
    if result is None:
        raise TypeError("result_type needs at least one operand")
    return result


def to_dtype(value: Any) -> dtype:
    """Accept a tinygrad_sgd dtype, its name ('float32'), a Python type or a numpy dtype."""
    if isinstance(value, dtype):
        return value
    if value is float:  # Python's float is a double, as torch reads it
        return float64
    if value is int:
        return int64
    if value is bool:
        return bool_
    name = getattr(value, "name", None) or str(value)
    name = name.replace("torch.", "").replace("tinygrad_sgd.", "")
    aliases = {"float": "float32", "double": "float64", "long": "int64", "int": "int32"}
    name = aliases.get(name, name)
    if name in BY_NAME:
        return BY_NAME[name]
    raise TypeError(f"unsupported dtype {value!r}; use one of "
                    f"{', '.join('tinygrad_sgd.' + d.name for d in ALL)}")


# ---------------------------------------------------------------------------------------
# Python data on the host, with torch's dtype inference
# ---------------------------------------------------------------------------------------
def host_array(data: Any, dt: dtype | None = None) -> np.ndarray:
    """Python data or a numpy array as a numpy array of a supported dtype, with torch's
    inference: Python floats -> float32, ints -> int64, bools -> bool. Python numbers are
    read straight into `dt` when it is given (see _python_numbers)."""
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        arr = np.array(data, copy=True)  # numpy input keeps its dtype, as in torch
    else:
        if hasattr(data, "_data"):  # a Tensor
            return data.device.to_numpy(data._data).copy()
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(f"could not make a tensor of this data (ragged nested lists?): "
                             f"{e}") from None
        except TypeError as e:
            raise RuntimeError(f"could not make a tensor of a {type(data).__name__}: {e}. "
                               "Arrays of another device must be moved explicitly") from None
        arr = _python_numbers(data, arr, dt)
    if arr.dtype.kind == "f" and arr.dtype.itemsize < 4:
        arr = arr.astype(np.float32)
    if arr.dtype.kind == "u" or (arr.dtype.kind == "i" and arr.dtype.itemsize < 4):
        arr = arr.astype(np.int64)
    if arr.dtype.name not in BY_NAME:
        raise TypeError(f"can't convert data of dtype {arr.dtype} to a tensor; supported: "
                        f"{', '.join(BY_NAME)}")
    return arr


def _python_numbers(data: Any, arr: np.ndarray, dt: dtype | None) -> np.ndarray:
    """Python numbers (`arr` is numpy's reading of `data`) in the dtype torch gives them: `dt`,
    or torch's inference (floats -> float32, ints -> int64, bools -> bool). Each number is
    converted once, straight into that dtype, as torch converts it: 0.1 stays 0.1 in float64
    (never float32 on the way), 2**62 + 1 keeps its digits in int64, and a number that an
    integer dtype can't hold is refused with torch's error, never wrapped."""
    kind = arr.dtype.kind
    if kind == "O" or (kind == "f" and not np.all(np.abs(arr) < 2.0 ** 63)):
        # numpy's fallbacks for ints beyond int64: objects, or floats for [2**63, 1]
        values = arr if kind == "O" else np.array(data, dtype=object)
        if all(isinstance(v, (int, float, np.number, np.bool_)) for v in values.flat):
            kind = "f" if any(isinstance(v, (float, np.floating)) for v in values.flat) else "i"
        elif kind == "O":
            return arr  # not numbers: _host refuses the object dtype
    if dt is None:
        if kind == "f":
            dt = float64 if _holds_float64(data) else float32
        elif kind == "b":
            dt = bool_
        else:
            dt = int32 if arr.dtype == np.int32 else int64
    if dt.is_floating_point or dt is bool_:
        return arr.astype(dt.name)  # Python floats are doubles: numpy read them exactly
    if arr.dtype.kind == "u":  # ints above int64's range (or numpy unsigned scalars)
        if arr.size and arr.max() > np.iinfo(np.int64).max:
            raise ValueError("Overflow when unpacking long long")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind != "i":
        # ints among floats went through float64; below 2**53 that was exact
        exact = arr.dtype.kind == "f" and np.all(np.abs(arr) < 2.0 ** 53)
        arr = arr.astype(np.int64) if exact else _exact_ints(np.array(data, dtype=object), dt)
    limits = np.iinfo(dt.name)
    if arr.size and (arr.min() < limits.min or arr.max() > limits.max):
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    return arr.astype(dt.name)


def _exact_ints(values: np.ndarray, dt: dtype) -> np.ndarray:
    """Numbers (an object array) as int64, one by one as torch reads them for an integer
    dtype: ints exactly (ValueError beyond int64), floats truncated toward zero
    (RuntimeError when not finite or out of range)."""
    out = np.empty(values.shape, dtype=np.int64)
    for i, v in enumerate(values.flat):
        if isinstance(v, (float, np.floating)):
            if not (math.isfinite(v) and -2.0 ** 63 <= v < 2.0 ** 63):
                raise RuntimeError(f"value cannot be converted to type {dt.name} without "
                                   "overflow")
            v = int(v)
        elif not -2 ** 63 <= v < 2 ** 63:
            raise ValueError("Overflow when unpacking long long")
        out.flat[i] = v
    return out


def _holds_float64(data: Any) -> bool:
    """Whether nested lists hold float64 values that came typed (numpy float64 scalars or
    arrays, float64 tensors), which torch keeps float64, unlike plain Python floats."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, (np.ndarray, np.floating)) and item.dtype == np.float64:
            return True
        elif hasattr(item, "_data") and item.dtype is float64:
            return True
    return False
