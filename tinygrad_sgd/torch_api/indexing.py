"""Checking an index key against a tensor's shape, in torch's terms, before anything is
touched: `t[key]` and `t[key] = value` turn the key into one the array module accepts.
"""
from __future__ import annotations

import operator
from typing import Any


def normalize_key(shape: tuple[int, ...], device: Any, key: Any) -> tuple[tuple, bool]:
    """Check `key` against `shape` and return (key for the array module, is_basic).

    Lists and Tensors become device arrays; bounds are checked with torch's messages; a
    basic key gets a trailing `...` so it names every axis (the array API asks for that).
    """
    if key.__class__ is slice and key.step is None and shape:  # x[i:j] (a batch): the
        return (slice(*key.indices(shape[0])), ...), True  # same key as the general path
    items = list(key) if isinstance(key, tuple) else [key]
    xp = device.xp
    out: list[Any] = []
    basic = True
    if sum(k is Ellipsis for k in items) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(_width(k) for k in items)
    if consumed > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} "
                         f"(got {consumed})")
    dim = 0  # the axis of `shape` that the next item indexes
    for position, k in enumerate(items):
        if k is Ellipsis:
            out.append(k)
            dim = len(shape) - sum(_width(j) for j in items[position + 1:])
            continue
        if k is None:
            out.append(None)
            continue
        if isinstance(k, slice):
            if k.step is not None and operator.index(k.step) <= 0:
                raise ValueError("step must be greater than zero")
            # clamp to the axis, as numpy and torch do (x[8:12] of 10 items is x[8:10]);
            # the array API leaves out-of-range bounds unspecified, so say them exactly
            out.append(slice(*k.indices(shape[dim])))
            dim += 1
            continue
        if isinstance(k, bool) or type(k).__name__ == "bool_":
            # a Python bool indexes like a 0-d mask: True adds an axis, False an empty one
            out.append(xp.asarray(bool(k)))
            basic = False
            continue
        if getattr(k, "ndim", None) == 0 and hasattr(k, "_data") and k.dtype.name != "bool":
            k = k.item()  # a 0-d integer tensor indexes like the int it holds, as in torch
        if isinstance(k, list) or hasattr(k, "_data") or type(k).__module__ == "numpy":
            arr = _index_array(k, device, xp)
            _check_array(arr, shape, dim, xp)
            out.append(arr)
            basic = False
            dim += arr.ndim if arr.dtype == xp.bool else 1
            continue
        try:
            i = operator.index(k)
        except TypeError:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or bool "
                f"tensors or lists are valid indices (got {type(k).__name__})") from None
        if not -shape[dim] <= i < shape[dim]:
            raise IndexError(f"index {i} is out of bounds for dimension {dim} with size "
                             f"{shape[dim]}")
        out.append(i)
        dim += 1
    if basic and Ellipsis not in out:
        out.append(Ellipsis)
    return tuple(out), basic


def split_ints(key: tuple) -> tuple[tuple | None, tuple]:
    """torch applies the plain ints of an advanced key first (each picks one entry of its
    axis, as in x[0]) and then the rest; numpy would treat them as advanced indices and
    place the result's axes differently. Returns (the basic key of the ints, the rest), or
    (None, key) when there are no ints."""
    if not any(type(k) is int for k in key):
        return None, key
    ints: list[Any] = []
    for k in key:
        if type(k) is int or k is Ellipsis:
            ints.append(k)
        elif k is not None:  # a slice or an array: leave its axes whole for now
            ints.extend([slice(None)] * (k.ndim if _is_mask(k) else 1))
    if Ellipsis not in ints:
        ints.append(Ellipsis)
    return tuple(ints), tuple(k for k in key if type(k) is not int)


def _width(k: Any) -> int:
    """How many axes of the indexed tensor an index item uses up."""
    if k is None or k is Ellipsis or isinstance(k, bool) or type(k).__name__ == "bool_":
        return 0
    if _is_mask(k):
        return k.ndim  # a mask covers as many axes as it has
    return 1


def _is_mask(k: Any) -> bool:
    """A boolean tensor or array (of any array module)."""
    return str(getattr(k, "dtype", "")).endswith("bool")


def _index_array(k: Any, device: Any, xp: Any) -> Any:
    """A Tensor, list or numpy array used as an index, as an int64 or bool array on
    `device` (index data the user wrote down, moved there explicitly)."""
    if isinstance(k, list):
        arr = xp.asarray(k) if k else xp.zeros((0,), dtype=xp.int64)
    elif not hasattr(k, "_data"):  # a numpy array
        if k.dtype.kind not in "biu":
            raise IndexError(f"arrays used as indices must be of integer or boolean type "
                             f"(got {k.dtype})")
        arr = device.from_numpy(k if k.dtype.kind == "b" else k.astype("int64"))
    else:
        if k.device is not device:
            raise RuntimeError(f"indices should be on the same device as the indexed tensor "
                               f"({device}), but got indices on {k.device}")
        arr = k._data
    if arr.dtype != xp.bool and arr.dtype not in (xp.int64, xp.int32):
        raise IndexError(f"tensors used as indices must be long, int or bool tensors "
                         f"(got {arr.dtype})")
    return arr


def _check_array(arr: Any, shape: tuple[int, ...], dim: int, xp: Any) -> None:
    """Bounds of an integer index, or the shape of a mask, against the indexed dims."""
    if arr.dtype == xp.bool:
        covered = shape[dim:dim + arr.ndim]
        for j, (m, n) in enumerate(zip(arr.shape, covered)):
            if m != n:
                raise IndexError(f"The shape of the mask {list(arr.shape)} at index {j} "
                                 f"does not match the shape of the indexed tensor "
                                 f"{list(shape)} at index {dim + j}")
        return
    if arr.size:
        low, high = int(xp.min(arr)), int(xp.max(arr))
        for i in (low, high):
            if not -shape[dim] <= i < shape[dim]:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with "
                                 f"size {shape[dim]}")
