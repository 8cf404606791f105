"""A CPU stand-in for the 'cuda' device, for machines without a GPU: array-api-strict
arrays, which are not numpy arrays and refuse to mix with numpy arrays, as cupy's do. An
example run with `TINYGRAD_SGD_STANDIN=1 ... --device cuda` then goes through the same
array-API code path as on a GPU. (The test suite makes it stricter still: see
tests/standin.py.)"""
from __future__ import annotations

from typing import Any

import numpy as np

from .cpu import numpy_random


def make_standin(device_class: Any) -> Any:
    """A CPU stand-in for 'cuda' that fails where cupy would: array-api-strict arrays that
    are not numpy arrays, refuse implicit conversion to numpy and refuse mixing with numpy.
    Its host transfers and random numbers go through numpy explicitly, as cupy's would."""
    import array_api_strict as sxp

    array_type = type(sxp.asarray(0))

    def to_numpy(a: Any) -> np.ndarray:
        return np.from_dlpack(a).copy()

    def from_numpy(a: np.ndarray) -> Any:
        if not isinstance(a, np.ndarray):
            raise TypeError(f"expected a numpy array, got {type(a).__name__}")
        return sxp.asarray(np.array(a, order="C"))  # np.array keeps 0-d arrays 0-d

    # array-api-strict allows integer-array indexing only in a narrow form, so the
    # stand-in does advanced indexing on the host, with numpy's rules (cupy's too).
    def host(x: Any) -> Any:
        if isinstance(x, tuple):
            return tuple(host(k) for k in x)
        return to_numpy(x) if isinstance(x, array_type) else x

    def gather(a: Any, key: Any) -> Any:
        return sxp.asarray(np.array(host(a)[host(key)], order="C"))

    def index_put(a: Any, key: Any, value: Any) -> None:
        out = host(a)
        out[host(key)] = host(value)
        a[...] = sxp.asarray(out)

    def scatter_add(target: Any, key: Any, values: Any) -> None:
        out = host(target)
        np.add.at(out, host(key), host(values))
        target[...] = sxp.asarray(out)

    def random(dev: Any, *args: Any) -> Any:
        return from_numpy(numpy_random(dev, *args))

    return device_class("cuda", sxp, array_type, "CPU stand-in for CUDA (array-api-strict)",
                  to_numpy=to_numpy, from_numpy=from_numpy, gather=gather,
                  index_put=index_put, scatter_add=scatter_add, random=random,
                  is_contiguous=lambda a: np.from_dlpack(a).flags.c_contiguous,
                  contiguous_copy=lambda a: from_numpy(np.from_dlpack(a)))


