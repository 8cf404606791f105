"""Tensor: an array, the gradient that flows into it, and the node that made it.

A Tensor holds
  _data          the array (numpy on 'cpu', cupy on 'cuda'), never a list of numbers;
  grad           dL/d(this tensor), a Tensor, filled in by backward() for leaves;
  grad_fn        the Function node that computed it (None for a leaf, which you made);
  _version       a counter shared with its views, bumped by every in-place change, so the
                 engine can tell when a value saved for backward was overwritten.
Every operator and method below is a one-liner that calls an op in `ops/`; read those
for the math.
"""
from __future__ import annotations

import math
import operator
from typing import Any, Iterator, NamedTuple, Sequence

from . import dtypes, function
from .backend import CPU, Device, get_device
from .dtypes import dtype as DType
from .dtypes import result_type
from .function import Function, _grad_mode, run_backward
from .ops.elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Clone,
    Div,
    Exp,
    Log,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Relu,
    Sigmoid,
    Sqrt,
    Sub,
    Tanh,
    ToDevice,
    Where,
)
from .ops.index import AdvancedIndex, BasicIndex, IndexPut, assign_basic, normalize_key
from .ops.matmul import Matmul
from .ops.reduce import LogSoftmax, Max, Mean, Min, Softmax, Std, Sum, TakeAlongDim, Var
from .ops.shape import CopySlices, Expand, Permute, Reshape, View, ViewReplay

Scalar = int | float | bool


class MaxMin(NamedTuple):
    """What `max(dim)` and `min(dim)` return, as torch.return_types.max does."""
    values: "Tensor"
    indices: "Tensor"


class Tensor:
    __slots__ = ("_data", "_device", "_dtype", "_requires_grad", "grad", "grad_fn",
                 "_version", "_base", "_view", "__weakref__")
    # numpy operators defer to ours, so `ndarray * tensor` calls Tensor.__rmul__
    __array_ufunc__ = None

    def __init__(self, *args: Any, dtype: Any = None, device: Any = None) -> None:
        """torch.Tensor(...): `Tensor([1, 2])` is a float32 tensor of the data, `Tensor(2, 3)`
        an uninitialized (here: zero) 2x3 float32 tensor. Prefer tinygrad_sgd.tensor()."""
        from .creation import tensor, zeros
        if args and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            made = zeros(*args, dtype=dtype or dtypes.float32, device=device)
        else:
            made = tensor(*args, dtype=dtype or dtypes.float32, device=device)
        for slot in Tensor.__slots__[:-1]:
            setattr(self, slot, getattr(made, slot))

    @staticmethod
    def _make(array: Any, device: Device, requires_grad: bool = False) -> "Tensor":
        """Wrap an array of `device` (internal: no checks, no copy)."""
        t = object.__new__(Tensor)
        t._data, t._device, t._dtype = array, device, device.dtype_of(array)
        t._requires_grad, t.grad, t.grad_fn = requires_grad, None, None
        t._base = t._view = None  # set for views: the base tensor, and how to find the view in it
        t._version = [0]  # shared with views; a list, so that sharing it shares the count
        return t

    # -- what a tensor is ----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[_dim(dim, self.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def device(self) -> Device:
        return self._device

    @property
    def is_cuda(self) -> bool:
        return self._device.type == "cuda"

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    # -- autograd --------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Ask backward() to compute this leaf's gradient (floating dtypes only)."""
        if requires_grad and not self._dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients, "
                               f"but this tensor is {self._dtype!r}; convert it first with "
                               ".float()")
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                               "To use a computed tensor without its history, use .detach()")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, adding it to leaf.grad.

        Without `gradient`, self must hold one element (a loss); otherwise `gradient` is
        dL/d(self) for some further L. The graph's saved values are freed afterwards
        unless `retain_graph=True`.
        """
        if not self._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have "
                               "a grad_fn: nothing that requires grad went into it (make a "
                               "leaf with requires_grad=True, or compute outside no_grad())")
        run_backward([self], [_root_gradient(self, gradient)], retain_graph)

    def _accumulate_grad(self, g: Any) -> None:
        """grad += g, in place after the first time (as torch does), so `a.grad` stays the
        same tensor across steps and `a.grad.zero_()` resets it."""
        if self.grad is None:
            self.grad = Tensor._make(self._device.xp.asarray(g, copy=True), self._device)
        else:
            self.grad._data += g
            self.grad._version[0] += 1

    def detach(self) -> "Tensor":
        """The same storage (and version counter), cut out of the graph."""
        t = Tensor._make(self._data, self._device)
        t._version = self._version
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn, self._requires_grad = None, False
        return self

    @property
    def data(self) -> "Tensor":
        """The same storage, outside autograd: changes through it are not tracked."""
        return Tensor._make(self._data, self._device)

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data, self._device, self._dtype = value._data, value._device, value._dtype

    # -- conversion --------------------------------------------------------------------------
    def numpy(self) -> Any:
        """A numpy array; shares memory on the CPU, as torch's does."""
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        """np.asarray(t) and matplotlib read the values (even of a tensor requiring grad)."""
        if self._device.type != "cpu":
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. "
                            "Use Tensor.cpu() to copy the tensor to host memory first.")
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self) -> Scalar:
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to "
                               "Scalar")
        return self._device.to_numpy(self._data).reshape(()).item()

    def tolist(self) -> Any:
        return self._device.to_numpy(self._data).tolist()

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """to(device), to(dtype), to(device, dtype) or to(other_tensor); a no-op returns self."""
        device, dt = kwargs.pop("device", None), kwargs.pop("dtype", None)
        for a in args:
            if isinstance(a, Tensor):
                device, dt = a._device, a._dtype
            elif isinstance(a, DType) or a in (float, int, bool):
                dt = a
            else:
                device = a
        out = self
        if dt is not None and dtypes.to_dtype(dt) is not out._dtype:
            out = Cast.apply(out, dtype=self._device.xp_dtype(dtypes.to_dtype(dt)))
        if device is not None and get_device(device) is not out._device:
            out = ToDevice.apply(out, device=get_device(device))
        return out

    def cpu(self) -> "Tensor":
        return self.to(CPU)

    def cuda(self) -> "Tensor":
        return self.to("cuda")

    def float(self) -> "Tensor":
        return self.to(dtypes.float32)

    def double(self) -> "Tensor":
        return self.to(dtypes.float64)

    def long(self) -> "Tensor":
        return self.to(dtypes.int64)

    def int(self) -> "Tensor":
        return self.to(dtypes.int32)

    def bool(self) -> "Tensor":
        return self.to(dtypes.bool_)

    def type(self, dtype: Any = None) -> Any:
        """'tinygrad_sgd.FloatTensor' (no argument), or a copy converted to `dtype`."""
        if dtype is None:
            where = "cuda." if self._device.type == "cuda" else ""
            return f"tinygrad_sgd.{where}{self._dtype.tensor_type}"
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            dtype = {d.tensor_type: d for d in dtypes.ALL}[dtype.split(".")[-1]]
        return self.to(dtype)

    def clone(self) -> "Tensor":
        return Clone.apply(self)

    def contiguous(self) -> "Tensor":
        return self

    # -- Python protocols ------------------------------------------------------------------
    def __repr__(self) -> str:
        from .printing import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        return format(self.item(), spec) if self.ndim == 0 else format(repr(self), spec)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.numel()} values is "
                               "ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to "
                            "an index")
        return int(self.item())

    __hash__ = object.__hash__  # by identity, like torch (== is elementwise)

    def __reduce_ex__(self, protocol: int) -> Any:  # pickle and copy.deepcopy (leaves only)
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol; use .detach() first")
        return _rebuild, (self._device.to_numpy(self._data).copy(), self._device.type,
                          self._requires_grad, type(self))

    # -- arithmetic (promotion in _binary; math in ops/elementwise.py) ----------------------
    def __add__(self, other: Any) -> "Tensor":
        return _binary(Add, self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _binary(Add, other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return _binary(Sub, self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _binary(Sub, other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return _binary(Mul, self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _binary(Mul, other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return _binary(Div, self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _binary(Div, other, self)

    def __pow__(self, exponent: Any) -> "Tensor":
        return _binary(Pow, self, exponent)

    def __rpow__(self, base: Any) -> "Tensor":
        return _binary(Pow, base, self)

    def __neg__(self) -> "Tensor":
        if self._dtype is dtypes.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` "
                               "or `logical_not()` operator instead.")
        return Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return self.abs()

    def __matmul__(self, other: Any) -> "Tensor":
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return matmul(_as_tensor(other, self._device), self)

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    neg = __neg__

    def matmul(self, other: "Tensor") -> "Tensor":
        return matmul(self, other)

    # -- comparisons and logic: results are bool tensors outside the graph ---------------
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return _compare(operator.eq, self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return _compare(operator.ne, self, other)

    def __lt__(self, other: Any) -> "Tensor":
        return _compare(operator.lt, self, other)

    def __le__(self, other: Any) -> "Tensor":
        return _compare(operator.le, self, other)

    def __gt__(self, other: Any) -> "Tensor":
        return _compare(operator.gt, self, other)

    def __ge__(self, other: Any) -> "Tensor":
        return _compare(operator.ge, self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __and__(self, other: Any) -> "Tensor":
        return _compare(operator.and_, self, other, logical=True)

    def __or__(self, other: Any) -> "Tensor":
        return _compare(operator.or_, self, other, logical=True)

    def __xor__(self, other: Any) -> "Tensor":
        return _compare(operator.xor, self, other, logical=True)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> "Tensor":
        if self._dtype.is_floating_point:
            raise TypeError("~ (bitwise not) is only supported for integer and bool tensors")
        xp = self._device.xp
        inverted = xp.logical_not(self._data) if self._dtype is dtypes.bool_ else \
            xp.bitwise_invert(self._data)
        return Tensor._make(inverted, self._device)

    def logical_not(self) -> "Tensor":
        return Tensor._make(self._device.xp.logical_not(self._data != 0), self._device)

    def all(self) -> "Tensor":
        return Tensor._make(self._device.xp.all(self._data), self._device)

    def any(self) -> "Tensor":
        return Tensor._make(self._device.xp.any(self._data), self._device)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return _arg_reduce(self, "argmax", dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> "Tensor":
        return _arg_reduce(self, "argmin", dim, keepdim)

    # -- elementwise math (ops/elementwise.py) ------------------------------------------------
    def exp(self) -> "Tensor":
        return Exp.apply(_floating(self))

    def log(self) -> "Tensor":
        return Log.apply(_floating(self))

    def sqrt(self) -> "Tensor":
        return Sqrt.apply(_floating(self))

    def abs(self) -> "Tensor":
        return Abs.apply(self)

    def relu(self) -> "Tensor":
        return Relu.apply(self)

    def sigmoid(self) -> "Tensor":
        return Sigmoid.apply(_floating(self))

    def tanh(self) -> "Tensor":
        return Tanh.apply(_floating(self))

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> "Tensor":
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        bounds = [b for b in (min, max) if b is not None]
        dt = result_type(self, *bounds)
        return Clamp.apply(self.to(dt), low=_scalar(min), high=_scalar(max))

    clip = clamp

    def maximum(self, other: "Tensor") -> "Tensor":
        return _binary(Maximum, self, _as_tensor(other, self._device))

    def minimum(self, other: "Tensor") -> "Tensor":
        return _binary(Minimum, self, _as_tensor(other, self._device))

    def where(self, condition: "Tensor", other: Any) -> "Tensor":
        return where(condition, self, other)

    # -- reductions (ops/reduce.py) ---------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> "Tensor":
        x = self.to(dtype) if dtype is not None else self
        if not x._dtype.is_floating_point and x._dtype is not dtypes.int64:
            x = x.to(dtypes.int64)  # torch sums bool and int32 into int64
        return Sum.apply(x, dim=_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> "Tensor":
        x = self.to(dtype) if dtype is not None else self
        if not x._dtype.is_floating_point:
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be "
                               f"either a floating point or complex dtype. Got: "
                               f"{x._dtype._torch_name}")
        return Mean.apply(x, dim=_dims(dim, self.ndim), keepdim=keepdim)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None) -> "Tensor":
        return _moment(Var, self, dim, unbiased, keepdim, correction)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None) -> "Tensor":
        return _moment(Std, self, dim, unbiased, keepdim, correction)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """max() of all elements, or (values, indices) along `dim`; max(other) = maximum."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return _extreme(self, Max, "argmax", dim, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return _extreme(self, Min, "argmin", dim, keepdim)

    def softmax(self, dim: int) -> "Tensor":
        return Softmax.apply(_floating(self), dim=_dim(dim, self.ndim))

    def log_softmax(self, dim: int) -> "Tensor":
        return LogSoftmax.apply(_floating(self), dim=_dim(dim, self.ndim))

    # -- shape (ops/shape.py) ------------------------------------------------------------
    def view(self, *shape: Any) -> "Tensor":
        new_shape = _infer_shape(self, shape)
        try:
            return View.apply(self, shape=new_shape)
        except ValueError:  # the array module would have to copy
            raise RuntimeError(f"view size {list(new_shape)} is not compatible with input "
                               f"tensor's size {list(self.shape)} and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use "
                               ".reshape(...) instead.") from None

    def reshape(self, *shape: Any) -> "Tensor":
        """A view when the storage allows it, else a copy (torch's rule)."""
        new_shape = _infer_shape(self, shape)
        try:
            return View.apply(self, shape=new_shape)
        except ValueError:
            return Reshape.apply(self, shape=new_shape)

    def view_as(self, other: "Tensor") -> "Tensor":
        return self.view(other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _dim(start_dim, self.ndim), _dim(end_dim, self.ndim)
        return self.reshape(*self.shape[:s], -1, *self.shape[e + 1:]) if s <= e else self

    def permute(self, *dims: Any) -> "Tensor":
        if not dims:
            raise TypeError('permute() missing 1 required positional arguments: "dims"')
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        order = tuple(_dim(d, self.ndim) for d in dims)
        if len(order) != self.ndim or sorted(order) != list(range(self.ndim)):
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input "
                               f"does not match the length of the desired ordering of "
                               f"dimensions i.e. input.dim() = {self.ndim} is not equal to "
                               f"len(dims) = {len(dims)}" if len(order) != self.ndim else
                               f"permute(): duplicate dims are not allowed (got {dims})")
        return Permute.apply(self, dims=order)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        order = list(range(self.ndim))
        d0, d1 = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        order[d0], order[d1] = order[d1], order[d0]
        return Permute.apply(self, dims=tuple(order))

    def t(self) -> "Tensor":
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                               f"{self.ndim}D")
        return self.transpose(0, 1) if self.ndim == 2 else self

    @property
    def T(self) -> "Tensor":
        return Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> "Tensor":
        return self.transpose(-2, -1)

    def squeeze(self, dim: Any = None) -> "Tensor":
        dims = range(self.ndim) if dim is None else _dims(dim, self.ndim) or ()
        return self.view(tuple(n for i, n in enumerate(self.shape)
                               if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int) -> "Tensor":
        d = _dim(dim, self.ndim + 1)
        return self.view(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *shape: Any) -> "Tensor":
        if not shape:
            raise TypeError('expand() missing 1 required positional arguments: "size"')
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) \
            else shape
        lead = len(shape) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes provided ({len(shape)}) must be "
                               f"greater or equal to the number of dimensions in the tensor "
                               f"({self.ndim})")
        target = tuple(self.shape[i - lead] if n == -1 and i >= lead else n
                       for i, n in enumerate(shape))
        for i, n in enumerate(self.shape):
            if n != 1 and n != target[lead + i]:
                raise RuntimeError(f"The expanded size of the tensor ({target[lead + i]}) "
                                   f"must match the existing size ({n}) at non-singleton "
                                   f"dimension {lead + i}.  Target sizes: {list(shape)}.  "
                                   f"Tensor sizes: {list(self.shape)}")
        return Expand.apply(self, shape=target)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return self.expand(other.shape)

    # -- indexing (ops/index.py) ---------------------------------------------------------------
    def __getitem__(self, key: Any) -> "Tensor":
        key, basic = normalize_key(self.shape, self._device, key)
        return (BasicIndex if basic else AdvancedIndex).apply(self, key=key)

    def __setitem__(self, key: Any, value: Any) -> None:
        key, basic = normalize_key(self.shape, self._device, key)
        self._assign(key, basic, value)

    # -- in-place ---------------------------------------------------------------------------
    def __iadd__(self, other: Any) -> "Tensor":
        return self._inplace(Add, _inplace_operand(self, Add, other))

    def __isub__(self, other: Any) -> "Tensor":
        return self._inplace(Sub, _inplace_operand(self, Sub, other))

    def __imul__(self, other: Any) -> "Tensor":
        return self._inplace(Mul, _inplace_operand(self, Mul, other))

    def __itruediv__(self, other: Any) -> "Tensor":
        return self._inplace(Div, _inplace_operand(self, Div, other))

    add_, sub_, mul_, div_ = __iadd__, __isub__, __imul__, __itruediv__

    def clamp_(self, min: Scalar | None = None, max: Scalar | None = None) -> "Tensor":
        if result_type(self, *(b for b in (min, max) if b is not None)) is not self._dtype:
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{self._dtype._torch_name}")
        return self._inplace(Clamp, low=_scalar(min), high=_scalar(max))

    def zero_(self) -> "Tensor":
        return self._assign((Ellipsis,), True, 0)

    def fill_(self, value: Any) -> "Tensor":
        return self._assign((Ellipsis,), True, value)

    def copy_(self, src: "Tensor") -> "Tensor":
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
        _broadcast_into(self.shape, src.shape)
        return self._assign((Ellipsis,), True, src.to(self._device))  # an explicit transfer

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        """Fill with numbers drawn uniformly from [a, b) (seeded by manual_seed)."""
        drawn = self._device.random("uniform", self.shape, self._dtype, a, b)
        return self._assign((Ellipsis,), True, Tensor._make(drawn, self._device))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        drawn = self._device.random("normal", self.shape, self._dtype, mean, std)
        return self._assign((Ellipsis,), True, Tensor._make(drawn, self._device))

    def _assign(self, key: tuple, basic: bool, value: Any) -> "Tensor":
        """self[key] = value; also fill_, zero_, copy_, uniform_ and normal_."""
        if isinstance(value, Tensor):
            if value._device is not self._device:
                raise RuntimeError(f"expected a value on {self._device}, got one on "
                                   f"{value._device}; move it with .to() first")
            value = value if value._dtype is self._dtype else value.to(self._dtype)
        else:
            value = _scalar(value)
        if _recording(self, value):
            return self._inplace(IndexPut, value, key=key, basic=basic)
        array = value._data if isinstance(value, Tensor) else value
        try:
            if basic:
                assign_basic(self._device.xp, self._data, key, array)
            else:
                self._device.index_put(self._data, key, array)
        except ValueError as e:  # shapes that don't fit, or a read-only (expanded) view
            raise RuntimeError(f"cannot assign a value of shape "
                               f"{tuple(getattr(array, 'shape', ()))} into a tensor of shape "
                               f"{self.shape} at {key}: {e}") from None
        self._version[0] += 1
        return self

    def _inplace(self, fn: type[Function], *args: Any, **options: Any) -> "Tensor":
        """self = fn(self, *args), written into self's storage (x += y, x.clamp_(0), x[k] = v).

        Without a graph to record, the array module updates the storage directly. With
        one, fn runs on a copy of self (fn may save its input, which is about to be
        overwritten), the result is written into self's storage, and self takes over the
        result's history.
        """
        if not _recording(self, *args):
            array_op = _ARRAY_INPLACE.get(fn)
            if array_op is not None:  # x -= lr * g, the SGD step: no copy at all
                other = args[0]._data if isinstance(args[0], Tensor) else args[0]
                try:
                    array_op(self._data, other)
                except ValueError:  # numpy refuses to write into an expanded view
                    raise RuntimeError(_OVERLAP) from None
                self._version[0] += 1
                return self
            self._write(fn.apply(self, *args, **options)._data)
            return self
        self._check_inplace()
        out = fn.apply(Clone.apply(self), *args, **options)
        self._write(out._data)
        self._take_history(out)
        return self

    def _check_inplace(self) -> None:
        """torch's rules for changing a tensor that autograd needs; checked before any change."""
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation. Do the update inside `with no_grad():`")
        base = self._base
        if base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used "
                               "in an in-place operation. Do it inside `with no_grad():`")

    def _write(self, array: Any) -> None:
        """Put `array` into this tensor's storage (seen by its views) and bump the version."""
        try:
            self._data[...] = array
        except ValueError:  # numpy refuses to write into a broadcast (expanded) view
            raise RuntimeError(_OVERLAP) from None
        self._version[0] += 1

    def _take_history(self, out: "Tensor") -> None:
        """After an in-place op, self holds out's values: give it out's history. For a view,
        the base changed too: its new history is 'the old base with this region replaced'
        (torch's CopySlices), and the view becomes that region of the new base."""
        if self._base is None:
            self.grad_fn, self._requires_grad = out.grad_fn, True
            return
        base, steps = self._base, self._view[0]
        new_base = CopySlices.apply(base, out, steps=steps)
        base.grad_fn, base._requires_grad = new_base.grad_fn, True
        region = ViewReplay.apply(base, steps=steps)
        self.grad_fn, self._requires_grad = region.grad_fn, True
        self._view = (steps, base.grad_fn)


function.Tensor = Tensor  # the engine checks isinstance(x, Tensor) without an import cycle

_ARRAY_INPLACE = {Add: operator.iadd, Sub: operator.isub, Mul: operator.imul,
                  Div: operator.itruediv}
_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation.")


def _recording(*operands: Any) -> bool:
    """Will an op on these operands be recorded in the graph?"""
    return _grad_mode.enabled and any(getattr(x, "_requires_grad", False) for x in operands)


# ---------------------------------------------------------------------------------------
# helpers: checking and converting what users pass
# ---------------------------------------------------------------------------------------
def _scalar(x: Any) -> Any:
    """A Python number as a plain int/float/bool (numpy scalars would upcast float32)."""
    if x is None or type(x) in (int, float, bool):
        return x
    if isinstance(x, bool) or type(x).__name__ == "bool_":
        return bool(x)
    if isinstance(x, float) or hasattr(x, "is_integer"):
        return float(x)
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"expected a Tensor or a Python number, got {type(x).__name__}") \
            from None


def _as_tensor(x: Any, device: Device) -> Any:
    """Tensors and Python numbers pass; an array of the same device is wrapped; anything
    else (an array of another device) is refused rather than copied behind your back."""
    if isinstance(x, Tensor) or isinstance(x, (int, float)):
        return x
    if isinstance(x, device.array_type):
        return Tensor._make(x, device)
    module = type(x).__module__.split(".")[0]
    if module in ("numpy", "cupy", "array_api_strict"):
        if hasattr(x, "ndim") and x.ndim == 0 and module == "numpy":
            return _scalar(x.item())
        raise RuntimeError(f"expected a tensor on {device}, got a {module} array: convert it "
                           f"with tinygrad_sgd.tensor(array, device='{device}') first")
    if hasattr(x, "is_integer") or hasattr(x, "__index__"):
        return _scalar(x)
    raise TypeError(f"unsupported operand type: {type(x).__name__}")


def _binary(fn: type[Function], a: Any, b: Any) -> Tensor:
    """Apply a two-input op after torch's dtype promotion (a or b may be a Python number)."""
    try:
        if (a.__class__ is Tensor and b.__class__ is Tensor and a._dtype is b._dtype
                and a._dtype.is_floating_point):
            return fn.apply(a, b)  # the common case, kept fast
        return _promoted(fn, a, b)
    except ValueError:  # the array module could not broadcast: say so in torch's terms
        _broadcast_shapes(getattr(a, "shape", ()), getattr(b, "shape", ()))
        raise


def _promoted(fn: type[Function], a: Any, b: Any) -> Tensor:
    """fn(a, b) after converting both to their torch result dtype."""
    device = a._device if isinstance(a, Tensor) else b._device
    a, b = _as_tensor(a, device), _as_tensor(b, device)
    dt = result_type(a, b)
    if fn is Div and not dt.is_floating_point:
        dt = dtypes.float32  # true division of integers gives floats
    if fn is Sub and dt is dtypes.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if fn is Pow and not dt.is_floating_point and isinstance(b, int) and b < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    if fn is Pow and not isinstance(a, Tensor):  # 2 ** x: d/dx needs log(2) as an array
        a = Tensor._make(device.xp.asarray(a, dtype=device.xp_dtype(dt)), device)
    return fn.apply(_cast(a, dt, device), _cast(b, dt, device))


def _cast(x: Any, dt: DType, device: Device) -> Any:
    if isinstance(x, Tensor):
        return x if x._dtype is dt else x.to(dt)
    if isinstance(x, bool) and dt is not dtypes.bool_:
        x = int(x)
    return x  # a Python number: the array module keeps the array's dtype for it


def _compare(op: Any, a: Tensor, b: Any, logical: bool = False) -> Any:
    """a == b, a < b, a & b ...: a bool tensor (the same dtype for & | ^ on ints)."""
    try:
        b = _as_tensor(b, a._device)
    except TypeError:
        return NotImplemented
    if isinstance(b, Tensor) and b._device is not a._device:
        raise RuntimeError(f"expected all tensors to be on the same device, but found at "
                           f"least two devices, {a._device} and {b._device}")
    dt = result_type(a, b)
    if logical and dt.is_floating_point:
        raise TypeError("& | ^ need bool or integer tensors, got floating point")
    a, b = _cast(a, dt, a._device), _cast(b, dt, a._device)
    try:
        result = op(a._data, b._data if isinstance(b, Tensor) else b)
    except ValueError:
        _broadcast_shapes(a.shape, getattr(b, "shape", ()))
        raise
    return Tensor._make(result, a._device)


def _inplace_operand(self: Tensor, fn: type[Function], other: Any) -> Any:
    """An in-place op keeps self's dtype and shape: check that the result fits in them."""
    other = _as_tensor(other, self._device)
    if isinstance(other, Tensor) and other._device is not self._device:
        raise RuntimeError(f"expected all tensors to be on the same device, but found at "
                           f"least two devices, {self._device} and {other._device}")
    dt = result_type(self, other)
    if fn is Div and not dt.is_floating_point:
        dt = dtypes.float32
    if dt.category > self._dtype.category:
        raise RuntimeError(f"result type {dt._torch_name} can't be cast to the desired "
                           f"output type {self._dtype._torch_name}")
    if isinstance(other, Tensor):
        _broadcast_into(self.shape, other.shape)
        return other if other._dtype is self._dtype else other.to(self._dtype)
    return _cast(other, self._dtype, self._device)


def _broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """numpy's and torch's broadcasting rule: align on the right; sizes must match or be 1."""
    ndim = max(len(s) for s in shapes)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out = []
    for i, sizes in enumerate(zip(*padded)):
        distinct = set(sizes) - {1}
        if len(distinct) > 1:
            raise RuntimeError(f"The size of tensor a ({padded[0][i]}) must match the size of "
                               f"tensor b ({padded[1][i]}) at non-singleton dimension {i}; "
                               f"shapes are {', '.join(str(list(s)) for s in shapes)}")
        out.append(distinct.pop() if distinct else 1)
    return tuple(out)


def _broadcast_into(target: tuple[int, ...], shape: tuple[int, ...]) -> None:
    """An in-place result keeps the target's shape: `shape` must broadcast into it."""
    result = _broadcast_shapes(target, shape)
    if result != tuple(target):
        raise RuntimeError(f"output with shape {list(target)} doesn't match the broadcast "
                           f"shape {list(result)}")


def _floating(t: Tensor) -> Tensor:
    """exp, log, ... of an integer tensor compute in the default float dtype (as torch)."""
    return t if t._dtype.is_floating_point else t.to(dtypes.float32)


def _dim(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative axis, or torch's IndexError."""
    n = max(ndim, 1)  # a 0-d tensor accepts dim 0 and -1
    d = operator.index(dim)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}]"
                         f", but got {d})")
    return d % n if ndim else 0


def _dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """None (all axes), an int or a sequence of ints, as a sorted tuple of axes."""
    if dim is None:
        return None
    dims = tuple(_dim(d, ndim) for d in (dim if isinstance(dim, (tuple, list)) else (dim,)))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(dims)) if ndim else None


def _infer_shape(t: Tensor, shape: Sequence[Any]) -> tuple[int, ...]:
    """A shape given as ints or one tuple, with at most one -1 worked out."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(operator.index(n) for n in shape)
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in shape:
        if known == 0 or t.numel() % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size "
                               f"{t.numel()}")
        shape = tuple(t.numel() // known if n == -1 else n for n in shape)
    if math.prod(shape) != t.numel() or any(n < 0 for n in shape):
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {t.numel()}")
    return shape


def _moment(fn: type[Function], t: Tensor, dim: Any, unbiased: Any, keepdim: bool,
            correction: Any) -> Tensor:
    if isinstance(dim, bool):  # var(True): the old positional `unbiased`
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    if not t._dtype.is_floating_point:
        raise RuntimeError(f"{fn.__name__.lower()}(): input dtype should be floating point, "
                           f"got {t._dtype._torch_name}")
    return fn.apply(t, dim=_dims(dim, t.ndim), correction=correction, keepdim=keepdim)


def _extreme(t: Tensor, full: type[Function], arg: str, dim: Any, keepdim: bool) -> Any:
    """max/min: of everything (a tie shares the gradient), or (values, indices) along dim."""
    if t.numel() == 0:
        raise RuntimeError(f"{full.__name__.lower()}(): Expected reduction dim to be "
                           "specified for input.numel() == 0. Specify the reduction dim "
                           "with the 'dim' argument.")
    if dim is None:
        return full.apply(t)
    d = _dim(dim, t.ndim)
    if t.ndim == 0:
        return MaxMin(t.clone(), Tensor._make(t._device.xp.zeros((), dtype=t._device.xp.int64),
                                              t._device))
    index = _arg_reduce(t, arg, d, keepdim=True)
    values = TakeAlongDim.apply(t, index, dim=d, keepdim=keepdim)
    return MaxMin(values, index if keepdim else index.squeeze(d))


def _arg_reduce(t: Tensor, name: str, dim: Any, keepdim: bool) -> Tensor:
    xp = t._device.xp
    data = t._data if t._dtype is not dtypes.bool_ else xp.astype(t._data, xp.int64)
    if dim is None:
        out = getattr(xp, name)(xp.reshape(data, (-1,)))
        return Tensor._make(xp.asarray(out), t._device).reshape(
            (1,) * t.ndim if keepdim else ())
    d = _dim(dim, t.ndim)
    out = getattr(xp, name)(data, axis=d, keepdims=keepdim) if t.ndim else xp.asarray(0)
    return Tensor._make(xp.asarray(out, dtype=xp.int64), t._device)


def _root_gradient(t: Tensor, gradient: Any) -> Any:
    """The gradient backward() starts from: 1 for a one-element loss, or `gradient`."""
    xp = t._device.xp
    if gradient is None:
        if t.numel() != 1:
            raise RuntimeError(f"grad can be implicitly created only for scalar outputs; "
                               f"this tensor has shape {t.shape}. Reduce it (e.g. .sum()) or "
                               f"pass gradient= of shape {t.shape}")
        return xp.ones(t.shape, dtype=t._data.dtype)
    if not isinstance(gradient, Tensor):
        raise TypeError(f"gradient must be a Tensor, got {type(gradient).__name__}")
    if gradient.shape != t.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                           f"{gradient.shape} and output[0] has a shape of {t.shape}.")
    if gradient._device is not t._device:
        raise RuntimeError(f"gradient is on {gradient._device} but the tensor is on "
                           f"{t._device}")
    return xp.astype(gradient._data, t._data.dtype)


def _rebuild(array: Any, device: str, requires_grad: bool, cls: type = Tensor) -> Tensor:
    dev = get_device(device)
    t = Tensor._make(dev.from_numpy(array), dev)
    if cls is not Tensor:
        t = cls(t, requires_grad)
    else:
        t._requires_grad = requires_grad
    return t


# ---------------------------------------------------------------------------------------
# functions that torch exposes at the top level and that Tensor methods use
# ---------------------------------------------------------------------------------------
def matmul(a: Tensor, b: Tensor) -> Tensor:
    """a @ b with torch.matmul's rules for 1-D, 2-D and batched operands."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        b = _as_tensor(b, a._device) if isinstance(a, Tensor) else b
        if not isinstance(b, Tensor):
            raise TypeError(f"matmul(): argument 'other' must be Tensor, not "
                            f"{type(b).__name__}")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a._dtype._torch_name.lower()} != {b._dtype._torch_name.lower()}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({'x'.join(map(str, a.shape))} and "
                           f"{'x'.join(map(str, b.shape))})")
    if a.ndim > 2 or b.ndim > 2:
        _broadcast_shapes(a.shape[:-2] if a.ndim > 1 else (), b.shape[:-2] if b.ndim > 1 else ())
    return Matmul.apply(a, b)


def where(condition: Tensor, input: Any, other: Any) -> Tensor:
    """input where condition is True, else other (either may be a Python number)."""
    if not isinstance(condition, Tensor) or condition._dtype is not dtypes.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got "
                           f"{getattr(condition, 'dtype', type(condition).__name__)}")
    device = condition._device
    a, b = _as_tensor(input, device), _as_tensor(other, device)
    dt = result_type(a, b)
    shapes = [getattr(x, "shape", ()) for x in (condition, a, b)]
    _broadcast_shapes(*shapes)
    return Where.apply(condition, _cast(a, dt, device), _cast(b, dt, device))
