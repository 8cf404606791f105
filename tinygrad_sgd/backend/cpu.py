"""The 'cpu' device: numpy, with faster spellings of the few functions the ops call most.

numpy 2 carries the array API standard's names in its main namespace, so the ops' `xp` on
the CPU is numpy itself, except for the entries `fast_numpy` replaces.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..dtypes import dtype

# torch returns inf and nan quietly; numpy would print a RuntimeWarning for each op.
np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")


def numpy_random(dev: Any, kind: str, shape: tuple[int, ...], d: dtype, *args: Any) -> Any:
    """Draw on the host with numpy's Generator; devices without their own RNG copy over."""
    rng, np_dtype = dev.generator(), np.dtype(d.name)
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


class FastNumpy:
    """numpy's namespace, with faster spellings of a few functions the ops call often.

    numpy's module-level functions such as np.sum, np.reshape or np.permute_dims go through
    Python-level wrappers that cost 1-2 µs a call, more than the arithmetic on the small
    arrays of the lesson. Each replacement below computes exactly what the standard
    function does, through the ufunc or the array method underneath
    (tests/test_backend.py checks that); every other name is numpy's own.
    """

    # the reductions, as the ufunc's own reduce (called with axis= and keepdims=)
    sum = staticmethod(functools.partial(np.add.reduce, axis=None))
    max = staticmethod(functools.partial(np.maximum.reduce, axis=None))
    min = staticmethod(functools.partial(np.minimum.reduce, axis=None))

    @staticmethod
    def reshape(x: Any, shape: Any, copy: Any = None) -> Any:
        return x.reshape(shape, copy=copy)

    @staticmethod
    def permute_dims(x: Any, axes: Any) -> Any:
        return x.transpose(axes)

    @staticmethod
    def astype(x: Any, dtype: Any, copy: bool = True) -> Any:
        return x.astype(dtype, copy=copy)

    @staticmethod
    def squeeze(x: Any, axis: Any) -> Any:
        return x.squeeze(axis)

    @staticmethod
    def clip(x: Any, min: Any = None, max: Any = None) -> Any:
        out = x if min is None else np.maximum(x, min)
        out = out if max is None else np.minimum(out, max)
        return np.array(out, copy=True) if out is x else out

    def __getattr__(self, name: str) -> Any:
        value = getattr(np, name)  # the rest of numpy, looked up once per name
        setattr(self, name, value)
        return value


def make_cpu(device_class: Any) -> Any:
    return device_class("cpu", FastNumpy(), np.ndarray, "CPU (numpy)",
                  to_numpy=lambda a: a, from_numpy=lambda a: a,
                  gather=getitem, index_put=setitem,
                  scatter_add=lambda target, key, values: np.add.at(target, key, values),
                  random=numpy_random, is_contiguous=lambda a: a.flags.c_contiguous,
                  contiguous_copy=lambda a: np.array(a, order="C", copy=True))


