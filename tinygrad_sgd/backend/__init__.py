"""Devices: the only package that knows numpy from cupy.

Every op computes with `xp`, the array namespace of the device its inputs live on
(Chainer's `get_array_module` idea): `ctx.xp.exp(a)` is numpy.exp on 'cpu' and cupy.exp on
'cuda'. The ops use only names that the Python array API standard defines, so the same
line runs on both. What the standard lacks lives here: random numbers, scatter-add, and
moving data between the host and a device.

numpy 2 carries the standard's names in its main namespace, so 'cpu' uses numpy itself
(no wrapper cost per call; cpu.py). 'cuda' uses cupy through array-api-compat (cuda.py).
Without a GPU, `use_standin()` makes 'cuda' a CPU stand-in built on array-api-strict,
whose arrays refuse numpy the way cupy's do (standin.py).
"""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

from .. import dtypes
from ..dtypes import dtype

__all__ = ["Device", "get_device", "manual_seed", "is_cuda_available", "use_standin"]


class Device:
    """Where a tensor's array lives ('cpu' or 'cuda') and the namespace that computes on it.

    Compares equal to its name: `t.device == 'cpu'`.
    """

    __slots__ = ("type", "xp", "array_type", "description", "_to_xp", "_from_xp", "_by_id",
                 "_rng", "_seed", "_make_rng", "to_numpy", "from_numpy", "scatter_add",
                 "gather", "index_put", "is_contiguous", "contiguous_copy", "_random")

    def __init__(self, type: str, xp: Any, array_type: type, description: str, *,
                 to_numpy: Callable, from_numpy: Callable, scatter_add: Callable,
                 gather: Callable, index_put: Callable, random: Callable,
                 is_contiguous: Callable, contiguous_copy: Callable,
                 make_rng: Callable | None = None) -> None:
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
        self._make_rng = make_rng  # seed -> the generator `random` draws from (numpy's default)
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
        self._seed = seed
        self._rng = None  # made at the first draw: importing numpy.random takes a while

    def generator(self) -> Any:
        """The random generator of this device, seeded by manual_seed (default 0)."""
        if self._rng is None:
            self._rng = (self._make_rng or np.random.default_rng)(self._seed)
        return self._rng

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


from .cpu import make_cpu  # noqa: E402  (it builds a Device)

CPU = make_cpu(Device)
_CUDA: Device | None = None
_CUDA_ERROR: str | None = None
_SEED = 0


def use_standin() -> Device:
    """Make 'cuda' mean the array-api-strict stand-in (for tests on machines without a GPU).
    Also switched on by the environment variable TINYGRAD_SGD_STANDIN=1."""
    global _CUDA, _CUDA_ERROR
    from .standin import make_standin
    _CUDA, _CUDA_ERROR = make_standin(Device), None
    _CUDA.seed(_SEED)
    return _CUDA


def _cuda() -> Device:
    global _CUDA, _CUDA_ERROR
    if _CUDA is None and _CUDA_ERROR is None:
        if os.environ.get("TINYGRAD_SGD_STANDIN") == "1":
            return use_standin()
        try:
            from .cuda import make_cupy
            _CUDA = make_cupy(Device)
            _CUDA.seed(_SEED)
        except ImportError as e:
            _CUDA_ERROR = (f"cupy is not installed ({e}); install the GPU extra with "
                           "`pip install -e '.[gpu]'` from a checkout, on a machine with a "
                           "CUDA GPU")
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
