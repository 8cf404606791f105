"""The 'cpu' device: numpy, with faster spellings of the few functions the ops call most.

numpy 2 carries the array API standard's names in its main namespace, so the ops' `xp` on
the CPU is numpy itself, except for the entries `fast_numpy` replaces.
"""
from __future__ import annotations

import functools
import math
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

    @staticmethod
    def where(condition: Any, x1: Any, x2: Any, /) -> Any:
        """np.where; a float array masked with zero (ReLU's backward and its kin) takes a
        route without where's per-element branch, which mispredicts on masks that follow
        the data: +0.0 is the all-zero bit pattern, so the result is the array's bits
        ANDed with all ones where it is kept and with 0 elsewhere. Same bits, NaN, inf
        and -0.0 included."""
        if plain_zero(x2) and x1.__class__ is np.ndarray:  # x1 where condition, else 0
            x, keep_where = x1, True
        elif plain_zero(x1) and x2.__class__ is np.ndarray:  # 0 where condition, else x2
            x, keep_where = x2, False
        else:
            return np.where(condition, x1, x2)
        bits = SAME_WIDTH_INT.get(x.dtype)
        if (bits is None or x.size < BRANCHY or condition.__class__ is not np.ndarray
                or condition.dtype != np.bool_ or condition.shape != x.shape):
            return np.where(condition, x1, x2)
        keep = np.negative(condition, dtype=bits) if keep_where else \
            np.subtract(condition, 1, dtype=bits)  # all ones where kept, else 0
        return np.bitwise_and(x.view(bits), keep).view(x.dtype)

    def __getattr__(self, name: str) -> Any:
        value = getattr(np, name)  # the rest of numpy, looked up once per name
        setattr(self, name, value)
        return value


# where's branch-free route: from this many elements (below, where's one pass is faster),
# for native floats, viewed as integers of their width
BRANCHY = 2048
SAME_WIDTH_INT = {np.dtype(f): np.dtype(i) for f, i in
                   (("float16", "int16"), ("float32", "int32"), ("float64", "int64"))}


def plain_zero(x: Any) -> bool:
    """A Python 0 or +0.0: weak (the array keeps its dtype) and all-zero bits."""
    return x.__class__ in (int, float) and x == 0 and math.copysign(1.0, x) > 0


def make_cpu(device_class: Any) -> Any:
    return device_class("cpu", FastNumpy(), np.ndarray, "CPU (numpy)",
                  to_numpy=lambda a: a, from_numpy=lambda a: a,
                  gather=getitem, index_put=setitem,
                  scatter_add=lambda target, key, values: np.add.at(target, key, values),
                  random=numpy_random, is_contiguous=lambda a: a.flags.c_contiguous,
                  contiguous_copy=lambda a: np.array(a, order="C", copy=True))


