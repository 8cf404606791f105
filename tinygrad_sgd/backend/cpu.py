"""The 'cpu' device: numpy, with faster spellings of the few functions the ops call most.

numpy 2 carries the array API standard's names in its main namespace, so the ops' `xp` on
the CPU is numpy itself, except for the entries `fast_numpy` replaces.
"""
from __future__ import annotations

import types
from typing import Any, Callable

import numpy as np

from ..dtypes import dtype

# torch returns inf and nan quietly; numpy would print a RuntimeWarning for each op.
np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")


def numpy_random(dev: Any, kind: str, shape: tuple[int, ...], d: dtype, *args: Any) -> Any:
    """Draw on the host with numpy's Generator; devices without their own RNG copy over."""
    rng, np_dtype = dev._rng, np.dtype(d.name)
    if kind == "uniform":
        low, high = args
        out = rng.random(shape, dtype=np_dtype if d.is_floating_point else np.float64)
        return (out * (high - low) + low).astype(np_dtype, copy=False)
    if kind == "normal":
        mean, std = args
        out = rng.standard_normal(shape, dtype=np_dtype)
        return (out * std + mean).astype(np_dtype, copy=False)
    if kind == "integers":
        low, high = args
        return rng.integers(low, high, size=shape, dtype=np_dtype)
    if kind == "permutation":
        return rng.permutation(args[0]).astype(np_dtype)
    raise ValueError(f"unknown random kind {kind!r}")


def getitem(a: Any, key: Any) -> Any:
    return a[key]


def setitem(a: Any, key: Any, value: Any) -> None:
    a[key] = value


def _fast_numpy() -> Any:
    """numpy's namespace, with faster spellings of a few functions the ops call often.

    numpy's module-level functions such as np.sum, np.reshape or np.broadcast_to go through
    Python-level wrappers that cost 1-4 µs a call, more than the arithmetic on the small
    arrays of the lesson. Each replacement below computes exactly what the standard
    function does, through the array method or the ufunc underneath (tests check that).
    """
    fast = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("_")})

    def reduction(ufunc: Any) -> Callable:
        def reduce(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
            return ufunc.reduce(x, axis=axis, keepdims=keepdims)
        return reduce

    def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
        x = np.asarray(x)
        shape = tuple(shape)
        if x.shape == shape:
            return x
        if x.ndim == 0:  # the gradient of a full sum or mean, the most common case
            view = np.ndarray(shape, x.dtype, buffer=x, strides=(0,) * len(shape))
            view.flags.writeable = False
            return view
        lead = len(shape) - x.ndim
        if lead < 0 or not x.flags.c_contiguous or any(
                n not in (1, m) for n, m in zip(x.shape, shape[lead:])):
            return np.broadcast_to(x, shape)  # the general case, with numpy's own checks
        strides = (0,) * lead + tuple(0 if n == 1 and m != 1 else st
                                      for n, m, st in zip(x.shape, shape[lead:], x.strides))
        view = np.ndarray(shape, x.dtype, buffer=x, strides=strides)
        view.flags.writeable = False  # read-only, as np.broadcast_to's views are
        return view

    def clip(x: Any, min: Any = None, max: Any = None) -> Any:
        out = x if min is None else np.maximum(x, min)
        out = out if max is None else np.minimum(out, max)
        return np.array(out, copy=True) if out is x else out

    fast.sum = reduction(np.add)
    fast.max = reduction(np.maximum)
    fast.min = reduction(np.minimum)
    fast.broadcast_to = broadcast_to
    fast.clip = clip
    fast.reshape = lambda x, shape, copy=None: x.reshape(shape, copy=copy)
    fast.permute_dims = lambda x, axes: x.transpose(axes)
    fast.astype = lambda x, dtype, copy=True: x.astype(dtype, copy=copy)
    fast.squeeze = lambda x, axis: x.squeeze(axis)
    return fast


def make_cpu(device_class: Any) -> Any:
    return device_class("cpu", _fast_numpy(), np.ndarray, "CPU (numpy)",
                  to_numpy=lambda a: a, from_numpy=lambda a: a,
                  gather=getitem, index_put=setitem,
                  scatter_add=lambda target, key, values: np.add.at(target, key, values),
                  random=numpy_random, is_contiguous=lambda a: a.flags.c_contiguous,
                  contiguous_copy=lambda a: np.array(a, order="C", copy=True))


