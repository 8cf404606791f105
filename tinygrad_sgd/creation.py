"""Making tensors: from Python data or numpy arrays, filled with a value, or random.

Data arrive on the host (Python lists, numpy arrays) and are parsed with numpy, then moved
to the requested device by the backend; random numbers come from the device's generator,
which `manual_seed` seeds.
"""
from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np  # host-side parsing of Python data only; ops never see numpy

from . import dtypes
from .backend import Device, get_device
from .torch_api.checks import check_fits
from .dtypes import dtype as DType
from .torch_api.math_ops import expect_tensor
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "arange",
           "linspace", "eye", "rand", "randn", "randint", "randperm", "zeros_like",
           "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like"]


def _finish(array: Any, device: Device, requires_grad: bool) -> Tensor:
    t = Tensor._make(array, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data: Any, *more: Any, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data`.

    >>> tensor([3., 2])         # a float32 vector
    tensor([3., 2.])
    >>> tensor(3., 2)           # the lesson's shorthand for the same
    tensor([3., 2.])
    """
    if more:
        data = (data, *more)
    dev = get_device(device)
    if isinstance(data, dev.array_type) and dev.type != "cpu":
        array = dev.xp.asarray(data, copy=True)  # already on the device: no host trip
    else:
        module = type(data).__module__.split(".")[0]
        if module in ("cupy", "array_api_strict") and not isinstance(data, dev.array_type):
            raise RuntimeError(f"got a {module} array (device memory) for a tensor on {dev}; "
                               "pass device='cuda', or copy it to the host first")
        dt = dtypes.to_dtype(dtype) if dtype is not None else None
        array = dev.from_numpy(dtypes.host_array(data, dt))
    if dtype is not None:
        array = dev.xp.astype(array, dev.xp_dtype(dtypes.to_dtype(dtype)), copy=False)
    return _finish(array, dev, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like tensor(), but without a copy where none is needed: a fitting Tensor is
    returned as it is, and a numpy array (for the CPU, in the same dtype) is shared."""
    if isinstance(data, Tensor):
        return data.to(*(x for x in (device, dtype) if x is not None))
    if (isinstance(data, np.ndarray) and get_device(device).type == "cpu"
            and data.dtype.name in dtypes.BY_NAME
            and (dtype is None or dtypes.to_dtype(dtype).name == data.dtype.name)):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor that shares memory with `array`: changing one changes the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dev = get_device("cpu")
    dev.dtype_of(array)  # raises TypeError for an unsupported dtype
    return Tensor._make(array, dev)


def _shape(size: tuple) -> tuple[int, ...]:
    """Sizes as separate ints or as one tuple/list."""
    if not size:
        raise TypeError('missing 1 required positional argument: "size" (e.g. zeros(2, 3) '
                        'or zeros((2, 3)); zeros(()) for a 0-d tensor)')
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        shape = tuple(operator.index(n) for n in size)  # zeros(2.5) is refused, as in torch
    except TypeError:
        raise TypeError(f"size must be ints or a tuple of ints, got {size!r}") from None
    if any(n < 0 for n in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def _filled(shape: tuple[int, ...], value: Any, dtype: Any, device: Any,
            requires_grad: bool) -> Tensor:
    dev = get_device(device)
    dt = dtypes.to_dtype(dtype) if dtype is not None else dtypes.scalar_dtype(value)
    check_fits(value, dt)
    return _finish(dev.xp.full(shape, value, dtype=dev.xp_dtype(dt)), dev, requires_grad)


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with 0 (float32 unless dtype says otherwise)."""
    return _filled(_shape(size), 0.0, dtype or dtypes.float32, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with 1 (float32 unless dtype says otherwise)."""
    return _filled(_shape(size), 1.0, dtype or dtypes.float32, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Uninitialized in torch; here filled with zeros, which is one valid choice."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with fill_value (a number, or a 0-d tensor's value)."""
    if isinstance(fill_value, Tensor):
        if fill_value.ndim != 0:  # torch takes a 0-d tensor as the number it holds
            raise TypeError(f"full(): argument 'fill_value' (position 2) must be Number, not "
                            f"Tensor of shape {list(fill_value.shape)}")
        fill_value = fill_value.item()
    return _filled(_shape((size,)), fill_value, dtype, device, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """start, start + step, ... up to (not including) end; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0 or step != step:  # (torch says the same of a NaN step)
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    n = max(0, math.ceil((end - start) / step))
    is_float = any(isinstance(v, float) for v in (start, end, step))
    dt = dtypes.to_dtype(dtype) if dtype else (dtypes.float32 if is_float else dtypes.int64)
    values = start + step * np.arange(n, dtype=np.float64 if is_float else np.int64)
    return tensor(values, dtype=dt, device=device, requires_grad=requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = dtypes.to_dtype(dtype) if dtype else dtypes.float32
    # torch's formula, in the result dtype: the first half counts up from start, the second
    # half down from end, so both ends are exact
    kind = np.dtype(dt.name) if dt.is_floating_point else np.dtype(np.float64)
    lo, hi = kind.type(start), kind.type(end)
    step = (hi - lo) / kind.type(max(steps - 1, 1))
    i = np.arange(steps, dtype=np.float64)  # float64: one rounding, like torch's fused a+b*c
    values = np.where(i < steps // 2, lo + np.float64(step) * i,
                      hi - np.float64(step) * (steps - 1 - i))
    if steps == 1:
        values = np.array([lo], dtype=np.float64)
    return tensor(values.astype(kind), dtype=dt, device=device, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The n x m (n x n) identity matrix."""
    for name, size in (("n", n), ("m", m)):
        if size is not None and size < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {size}")
    dev = get_device(device)
    dt = dtypes.to_dtype(dtype) if dtype else dtypes.float32
    return _finish(dev.xp.eye(n, m, dtype=dev.xp_dtype(dt)), dev, requires_grad)


def _random(kind: str, shape: tuple[int, ...], args: tuple, dtype: Any, device: Any,
            requires_grad: bool, default: DType = dtypes.float32) -> Tensor:
    dev = get_device(device)
    dt = dtypes.to_dtype(dtype) if dtype else default
    if kind in ("uniform", "normal") and not dt.is_floating_point:
        raise RuntimeError(f"{'rand' if kind == 'uniform' else 'randn'} needs a floating "
                           f"dtype, got {dt!r}")
    if kind == "integers" and dt.is_floating_point:  # randint(..., dtype=float32), as torch
        drawn = dev.random(kind, shape, dtypes.int64, *args)  # generators draw integer dtypes
        return _finish(dev.xp.astype(drawn, dev.xp_dtype(dt)), dev, requires_grad)
    if kind == "integers":
        limits = (0, 1) if dt is dtypes.bool_ else (np.iinfo(dt.name).min, np.iinfo(dt.name).max)
        for name, bound in (("from", args[0]), ("to - 1", args[1] - 1)):
            if not limits[0] <= bound <= limits[1]:
                raise RuntimeError(f"{name} is out of bounds for {dt.name}: randint draws from "
                                   f"[{args[0]}, {args[1]}), {dt.name} holds "
                                   f"[{limits[0]}, {limits[1]}]")
    return _finish(dev.random(kind, shape, dt, *args), dev, requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    return _random("uniform", _shape(size), (0.0, 1.0), dtype, device, requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """Standard normal: mean 0, standard deviation 1."""
    return _random("normal", _shape(size), (0.0, 1.0), dtype, device, requires_grad)


def randint(low: int, high: Any = None, size: Any = None, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers in [low, high); randint(high, size) starts at 0, as in torch."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    return _random("integers", _shape((size,)), (low, high), dtype, device, requires_grad,
                   default=dtypes.int64)


def randperm(n: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random ordering of 0 .. n-1."""
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    return _random("permutation", (n,), (n,), dtype, device, requires_grad,
                   default=dtypes.int64)


def _like(t: Tensor, dtype: Any, device: Any) -> dict:
    return {"dtype": dtype or t.dtype, "device": device or t.device}


def zeros_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Zeros of t's shape, dtype and device (unless given)."""
    expect_tensor("zeros_like", t)
    return zeros(t.shape, **_like(t, dtype, device), requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Ones of t's shape, dtype and device (unless given)."""
    expect_tensor("ones_like", t)
    return ones(t.shape, **_like(t, dtype, device), requires_grad=requires_grad)


def empty_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor of t's shape, dtype and device (here: zeros)."""
    expect_tensor("empty_like", t)
    return zeros_like(t, dtype, device, requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """A tensor of t's shape, dtype and device filled with fill_value."""
    expect_tensor("full_like", t)
    return full(t.shape, fill_value, **_like(t, dtype, device), requires_grad=requires_grad)


def rand_like(t: Tensor, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1), of t's shape, dtype and device."""
    expect_tensor("rand_like", t)
    return rand(t.shape, **_like(t, dtype, device), requires_grad=requires_grad)


def randn_like(t: Tensor, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Tensor:
    """Standard normal, of t's shape, dtype and device."""
    expect_tensor("randn_like", t)
    return randn(t.shape, **_like(t, dtype, device), requires_grad=requires_grad)


def randint_like(t: Tensor, low: int, high: Any = None, dtype: Any = None,
                 device: Any = None) -> Tensor:
    """Integers in [low, high) of t's shape, dtype and device."""
    expect_tensor("randint_like", t)
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape, **_like(t, dtype, device))
