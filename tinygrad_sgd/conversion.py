"""Tensor's conversions to other types, dtypes and devices: `t.to('cuda')`, `t.double()`,
`t.numpy()`, `t.item()`, `float(t)`, `len(t)`, `repr(t)` ... Tensor inherits them from
`Conversions`; none of them is part of the graph except the dtype and device copies
(ops/elementwise.py's Cast and ToDevice), whose gradients flow back.
"""
from __future__ import annotations

import math
from typing import Any, Iterator

from . import dtypes
from .backend import CPU, get_device
from .dtypes import dtype as DType
from .ops.elementwise import Cast, Clone, ToDevice
from .torch_api.checks import dim_index

Scalar = int | float | bool


class Conversions:
    """The conversion methods of Tensor (a mixin: Tensor is the only class that uses it)."""

    __slots__ = ()
    _data: Any
    _device: Any
    _dtype: DType

    def __init__(self, *args: Any, dtype: Any = None, device: Any = None) -> None:
        """torch.Tensor(...): `Tensor([1, 2])` is a float32 tensor of the data, `Tensor(2, 3)`
        an uninitialized (here: zero) 2x3 float32 tensor. Prefer tinygrad_sgd.tensor()."""
        dev = get_device(device)
        dt = dtypes.to_dtype(dtype) if dtype is not None else dtypes.float32
        if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            array = dev.xp.zeros(args, dtype=dev.xp_dtype(dt))
        else:
            data = args[0] if len(args) == 1 else args
            array = dev.xp.astype(dev.from_numpy(dtypes.host_array(data, dt)),
                                  dev.xp_dtype(dt))
        made = type(self)._make(array, dev)
        for slot in type(self).__slots__[:-1]:
            setattr(self, slot, getattr(made, slot))

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of dimension `dim`."""
        return self.shape if dim is None else self.shape[dim_index(dim, self.ndim)]

    def dim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    def numel(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)

    @property
    def is_cuda(self) -> bool:
        """True on the 'cuda' device."""
        return self._device.type == "cuda"

    def is_floating_point(self) -> bool:
        """True for float32 and float64."""
        return self._dtype.is_floating_point


    def numpy(self) -> Any:
        """A numpy array; shares memory on the CPU, as torch's does."""
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        """np.asarray(t) and matplotlib read the values (even of a tensor requiring grad),
        sharing the CPU memory; np.array(t) (numpy passes copy=True) is a copy, as in torch.
        copy=False refuses to copy (ValueError), as numpy's protocol asks."""
        if self._device.type != "cpu":
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")
        if copy:  # writing into the copy must not change the tensor or its gradients
            return self._data.astype(dtype or self._data.dtype, copy=True)
        out = self._data if dtype is None else self._data.astype(dtype, copy=False)
        if copy is False and out is not self._data:
            raise ValueError(f"Unable to avoid copy while creating an array as requested: "
                             f"the tensor is {self._dtype!r}, not {dtype}")
        return out

    def item(self) -> Scalar:
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self._device.to_numpy(self._data).reshape(()).item()

    def tolist(self) -> Any:
        """The values as (nested) Python lists."""
        return self._device.to_numpy(self._data).tolist()

    def to(self, *args: Any, **kwargs: Any) -> Any:
        """to(device), to(dtype), to(device, dtype) or to(other_tensor); a no-op returns self."""
        device, dt = kwargs.pop("device", None), kwargs.pop("dtype", None)
        for a in args:
            if isinstance(a, Conversions):
                device, dt = a._device, a._dtype
            elif isinstance(a, DType) or a in (float, int, bool):
                dt = a
            else:
                device = a
        out = self
        if dt is not None and dtypes.to_dtype(dt) is not out._dtype:
            dt = dtypes.to_dtype(dt)
            if not dt.is_floating_point:  # integers have no gradient: the cast leaves the graph
                out = out.detach()
            out = Cast.apply(out, dtype=self._device.xp_dtype(dt))
        if device is not None and get_device(device) is not out._device:
            out = ToDevice.apply(out, device=get_device(device))
        return out

    def cpu(self) -> Any:
        """A copy on the CPU (self if already there)."""
        return self.to(CPU)

    def cuda(self) -> Any:
        """A copy on the GPU (self if already there)."""
        return self.to("cuda")

    def float(self) -> Any:
        """Converted to float32."""
        return self.to(dtypes.float32)

    def double(self) -> Any:
        """Converted to float64."""
        return self.to(dtypes.float64)

    def long(self) -> Any:
        """Converted to int64."""
        return self.to(dtypes.int64)

    def int(self) -> Any:
        """Converted to int32."""
        return self.to(dtypes.int32)

    def bool(self) -> Any:
        """Converted to bool."""
        return self.to(dtypes.bool_)

    def type(self, dtype: Any = None) -> Any:
        """'tinygrad_sgd.FloatTensor' (no argument), or a copy converted to `dtype`."""
        if dtype is None:
            where = "cuda." if self._device.type == "cuda" else ""
            return f"tinygrad_sgd.{where}{self._dtype.tensor_type}"
        if isinstance(dtype, str) and dtype.endswith(Any):
            dtype = {d.tensor_type: d for d in dtypes.ALL}[dtype.split(".")[-1]]
        return self.to(dtype)

    def clone(self) -> Any:
        """A copy with its own storage; gradients flow back to self."""
        return Clone.apply(self)

    def contiguous(self) -> Any:
        """self if its elements lie in row-major order in memory, else such a copy."""
        if self._device.is_contiguous(self._data):
            return self
        return Clone.apply(self, contiguous=True)

    # -- Python protocols ------------------------------------------------------------------
    def __repr__(self) -> str:
        from .printing import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        """f"{loss:.4f}" formats a 0-d tensor's number; other tensors take no format spec."""
        if self.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string passed to {type(self).__name__}"
                            f".__format__ (only 0-d tensors format their value; use "
                            f".item() or .tolist())")
        return repr(self)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Any]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.numel()} values is "
                               "ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self.item())

    def __int__(self) -> int:
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> int:
        if self._dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to "
                            "an index")
        return int(self.item())

