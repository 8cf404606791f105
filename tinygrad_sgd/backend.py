"""Devices: the only module that knows numpy from cupy.

Every op computes with `xp`, the array namespace of the device its inputs live on
(Chainer's `get_array_module` idea): `ctx.xp.exp(a)` is numpy.exp on 'cpu' and cupy.exp on
'cuda'. The ops use only names that the Python array API standard defines, so the same
line runs on both. What the standard lacks lives here: random numbers, scatter-add, and
moving data between the host and a device.

numpy 2 carries the standard's names in its main namespace, so 'cpu' uses numpy itself
(no wrapper cost per call). 'cuda' uses cupy through array-api-compat. Tests can install a
stand-in for 'cuda' built on array-api-strict, whose arrays refuse numpy the way cupy's
do; see `use_standin`.
"""
from __future__ import annotations

import os
import types
from typing import Any, Callable

import numpy as np

from . import dtypes
from .dtypes import dtype

__all__ = ["Device", "get_device", "manual_seed", "is_cuda_available", "use_standin"]

# torch returns inf and nan quietly; numpy would print a RuntimeWarning for each op.
np.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")


class Device:
    """Where a tensor's array lives ('cpu' or 'cuda') and the namespace that computes on it.

    Compares equal to its name: `t.device == 'cpu'`.
    """

    __slots__ = ("type", "xp", "array_type", "description", "_to_xp", "_from_xp", "_by_id", "_rng",
                 "_make_rng", "to_numpy", "from_numpy", "scatter_add", "gather", "index_put",
                 "is_contiguous", "contiguous_copy", "_random")

    def __init__(self, type: str, xp: Any, array_type: type, description: str, *,
                 to_numpy: Callable, from_numpy: Callable, scatter_add: Callable,
                 gather: Callable, index_put: Callable, random: Callable,
                 is_contiguous: Callable, contiguous_copy: Callable,
                 make_rng: Callable = np.random.default_rng) -> None:
        self.type, self.xp, self.array_type, self.description = type, xp, array_type, description
        # to_numpy(array) -> numpy array on the host; from_numpy(ndarray) -> array here;
        # Advanced indexing (integer arrays and masks mixed with slices) goes beyond the
        # array API standard; numpy and cupy share numpy's rules for it:
        # gather(a, key) is a[key]; index_put(a, key, v) is a[key] = v; and
        # scatter_add(target, key, values) is target[key] += values with repeats adding up.
        self.to_numpy, self.from_numpy = to_numpy, from_numpy
        self.gather, self.index_put, self.scatter_add = gather, index_put, scatter_add
        # Memory layout, which the standard leaves out: is_contiguous(a) says whether a's
        # elements lie in row-major order; contiguous_copy(a) makes such a copy.
        self.is_contiguous, self.contiguous_copy = is_contiguous, contiguous_copy
        self._random = random  # random(device, kind, shape, dtype, *args) -> array here
        self._make_rng = make_rng  # seed -> the generator that `random` draws from
        self._to_xp = {d: getattr(xp, d.name) for d in dtypes.ALL}
        # keyed by the dtype objects that arrays carry (numpy's np.dtype, not np.float32)
        self._from_xp = {xp.empty((0,), dtype=v).dtype: k for k, v in self._to_xp.items()}
        # Arrays carry these very dtype objects, and hashing a numpy dtype is slow (it hashes
        # its fields), so Tensor._make looks them up by identity first.
        self._by_id = {id(k): v for k, v in self._from_xp.items()}
        self.seed(0)

    # -- dtypes ---------------------------------------------------------------------------
    def xp_dtype(self, d: dtype) -> Any:
        return self._to_xp[d]

    def dtype_of(self, array: Any) -> dtype:
        try:
            return self._by_id.get(id(array.dtype)) or self._from_xp[array.dtype]
        except KeyError:
            raise TypeError(f"unsupported array dtype {array.dtype}; tinygrad_sgd supports "
                            f"{', '.join(d.name for d in dtypes.ALL)}") from None

    # -- random numbers -------------------------------------------------------------------
    def seed(self, seed: int) -> None:
        self._rng = self._make_rng(seed)

    def random(self, kind: str, shape: tuple[int, ...], d: dtype, *args: Any) -> Any:
        """Draw 'uniform' (low, high), 'normal' (mean, std), 'integers' (low, high) or
        'permutation' (n) numbers of dtype d on this device."""
        return self._random(self, kind, shape, d, *args)

    # -- comparison and printing ----------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other.split(":")[0] == self.type
        return self is other

    def __hash__(self) -> int:
        return hash(self.type)

    def __str__(self) -> str:
        return self.type

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"


def _numpy_random(dev: Device, kind: str, shape: tuple[int, ...], d: dtype, *args: Any) -> Any:
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


def _getitem(a: Any, key: Any) -> Any:
    return a[key]


def _setitem(a: Any, key: Any, value: Any) -> None:
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


def _make_cpu() -> Device:
    return Device("cpu", _fast_numpy(), np.ndarray, "CPU (numpy)",
                  to_numpy=lambda a: a, from_numpy=lambda a: a,
                  gather=_getitem, index_put=_setitem,
                  scatter_add=lambda target, key, values: np.add.at(target, key, values),
                  random=_numpy_random, is_contiguous=lambda a: a.flags.c_contiguous,
                  contiguous_copy=lambda a: np.array(a, order="C", copy=True))


CPU = _make_cpu()
_CUDA: Device | None = None
_CUDA_ERROR: str | None = None
_SEED = 0


def _make_cupy() -> Device:
    """The real GPU backend: cupy through array-api-compat's standard namespace."""
    import cupy  # noqa: F401  (lazy: numpy-only installs never import it)
    import cupyx
    from array_api_compat import cupy as cxp

    if cupy.cuda.runtime.getDeviceCount() < 1:
        raise RuntimeError("cupy is installed but it sees no CUDA GPU")

    def random(dev: Device, kind: str, shape: tuple[int, ...], d: dtype, *args: Any) -> Any:
        rs = dev._rng
        np_dtype = np.dtype(d.name)
        if kind == "uniform":
            return rs.uniform(args[0], args[1], size=shape).astype(np_dtype, copy=False)
        if kind == "normal":
            return (rs.standard_normal(size=shape, dtype=np_dtype) * args[1] + args[0])
        if kind == "integers":
            return rs.randint(args[0], args[1], size=shape).astype(np_dtype, copy=False)
        if kind == "permutation":
            return rs.permutation(args[0]).astype(np_dtype)
        raise ValueError(f"unknown random kind {kind!r}")

    dev = Device("cuda", cxp, cupy.ndarray,
                 f"CUDA GPU (cupy {cupy.__version__}, "
                 f"{cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()})",
                 to_numpy=lambda a: a.get(), from_numpy=cupy.asarray,
                 gather=_getitem, index_put=_setitem,
                 scatter_add=lambda target, key, values: cupyx.scatter_add(target, key, values),
                 random=random, make_rng=cupy.random.RandomState,
                 is_contiguous=lambda a: a.flags.c_contiguous,
                 contiguous_copy=lambda a: cupy.array(a, order="C", copy=True))
    return dev


def _make_standin() -> Device:
    """A CPU stand-in for 'cuda' that fails where cupy would: array-api-strict arrays that
    are not numpy arrays, refuse implicit conversion to numpy and refuse mixing with numpy.
    Its host transfers and random numbers go through numpy explicitly, as cupy's would."""
    import array_api_strict as sxp

    array_type = type(sxp.asarray(0))

    def refuse(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Implicit conversion to a NumPy array is not allowed (stand-in for "
                        "cupy). Move it to the host explicitly.")

    array_type.__array__ = refuse  # cupy.ndarray refuses np.asarray the same way

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

    def random(dev: Device, *args: Any) -> Any:
        return from_numpy(_numpy_random(dev, *args))

    return Device("cuda", sxp, array_type, "CPU stand-in for CUDA (array-api-strict)",
                  to_numpy=to_numpy, from_numpy=from_numpy, gather=gather,
                  index_put=index_put, scatter_add=scatter_add, random=random,
                  is_contiguous=lambda a: np.from_dlpack(a).flags.c_contiguous,
                  contiguous_copy=lambda a: from_numpy(np.from_dlpack(a)))


def use_standin() -> Device:
    """Make 'cuda' mean the array-api-strict stand-in (for tests on machines without a GPU).
    Also switched on by the environment variable TINYGRAD_SGD_STANDIN=1."""
    global _CUDA, _CUDA_ERROR
    _CUDA, _CUDA_ERROR = _make_standin(), None
    _CUDA.seed(_SEED)
    return _CUDA


def _cuda() -> Device:
    global _CUDA, _CUDA_ERROR
    if _CUDA is None and _CUDA_ERROR is None:
        if os.environ.get("TINYGRAD_SGD_STANDIN") == "1":
            return use_standin()
        try:
            _CUDA = _make_cupy()
            _CUDA.seed(_SEED)
        except ImportError as e:
            _CUDA_ERROR = (f"cupy is not installed ({e}); install the GPU extra with "
                           "`pip install 'tinygrad_sgd[gpu]'` on a machine with a CUDA GPU")
        except Exception as e:  # a driver or runtime error from cupy
            _CUDA_ERROR = f"cupy could not use a CUDA GPU: {e}"
    if _CUDA is None:
        raise RuntimeError(f"device 'cuda' is not available: {_CUDA_ERROR}")
    return _CUDA


def is_cuda_available() -> bool:
    try:
        _cuda()
        return True
    except RuntimeError:
        return False


def get_device(spec: Any = None) -> Device:
    """'cpu', 'cuda', 'cuda:0', a Device, or None (the CPU)."""
    if spec is None or spec is CPU:
        return CPU
    if isinstance(spec, Device):
        return spec
    name = str(spec)
    kind, _, index = name.partition(":")
    if kind == "cpu" and not index:
        return CPU
    if kind == "cuda" and index in ("", "0"):
        return _cuda()
    raise RuntimeError(f"unknown device {spec!r}: expected 'cpu' or 'cuda' "
                       "(a single GPU, 'cuda:0')")


def manual_seed(seed: int) -> None:
    """Seed the random numbers of every device, so runs repeat exactly."""
    global _SEED
    _SEED = int(seed)
    CPU.seed(_SEED)
    if _CUDA is not None:
        _CUDA.seed(_SEED)
