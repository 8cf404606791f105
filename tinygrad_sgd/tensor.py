"""Tensor: an array, the gradient that flows into it, and the node that made it.

A Tensor holds
  _data          the array (numpy on 'cpu', cupy on 'cuda'), never a list of numbers;
  grad           dL/d(this tensor), a Tensor, filled in by backward() for leaves;
  grad_fn        the Function node that computed it (None for a leaf, which you made);
  _version       a counter shared with its views, bumped by every in-place change, so the
                 engine can tell when a value saved for backward was overwritten.
Operators and methods are one-liners: `x @ a` calls functions.matmul, which checks the
shapes and applies ops/matmul.py's Matmul. The in-place machinery (x += 1, x[i] = v,
a.sub_(lr * a.grad)) lives here, at the end of the class.
"""
from __future__ import annotations

import math
import operator
import warnings
import weakref
from typing import Any, Iterator

from . import dtypes, function
from .backend import CPU, Device, get_device
from .checks import broadcast_into, check_fits, dim_index, python_scalar
from .dtypes import dtype as DType
from .dtypes import result_type
from .function import Function, _grad_mode, run_backward
from .ops.elementwise import Add, Cast, Clamp, Clone, Div, Mul, Neg, Sub, ToDevice
from .ops.index import (AdvancedIndex, BasicIndex, IndexPut, assign_basic, normalize_key,
                        split_ints)
from .ops.shape import CopySlices, ViewReplay

Scalar = int | float | bool


class Tensor:
    __slots__ = ("_data", "_device", "_dtype", "_requires_grad", "_grad", "grad_fn",
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
    def _make(array: Any, device: Device, requires_grad: bool = False,
              dtype: DType | None = None) -> "Tensor":
        """Wrap an array of `device` (internal: no checks, no copy); `dtype`, when given,
        must be the array's."""
        t = object.__new__(Tensor)
        t._data, t._device = array, device
        t._dtype = dtype if dtype is not None else device.dtype_of(array)
        t._requires_grad, t._grad, t.grad_fn = requires_grad, None, None
        t._base = t._view = None  # set for views: the base tensor, and how to find the view in it
        t._version = [0]  # shared with views; a list, so that sharing it shares the count
        return t

    # -- what a tensor is ----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    def size(self, dim: int | None = None) -> Any:
        return self.shape if dim is None else self.shape[dim_index(dim, self.ndim)]

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
        run_backward([self], [root_gradient(self, gradient)], retain_graph)

    @property
    def grad(self) -> "Tensor | None":
        """dL/d(this tensor), filled in by backward() for leaves that require grad."""
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.shape != self.shape or value._dtype is not self._dtype \
                    or value._device is not self._device:
                raise RuntimeError(f"assigned grad has data of a different size, type or "
                                   f"device: {value.shape} {value._dtype!r} on "
                                   f"{value._device}, for a tensor of {self.shape} "
                                   f"{self._dtype!r} on {self._device}")
        self._grad = value

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in .grad at the next backward (leaves keep
        theirs anyway): a way to look at the gradient halfway through the graph."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn._retain = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn._retain is not None \
            and self.grad_fn._retain() is self

    def _accumulate_grad(self, g: Any) -> None:
        """grad += g, in place after the first time (as torch does), so `a.grad` stays the
        same tensor across steps and `a.grad.zero_()` resets it."""
        grad = self._grad
        if grad is None:
            self._grad = Tensor._make(self._device.xp.asarray(g, copy=True), self._device)
        else:
            grad._data += g
            grad._version[0] += 1

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
            dt = dtypes.to_dtype(dt)
            if not dt.is_floating_point:  # integers have no gradient: the cast leaves the graph
                out = out.detach()
            out = Cast.apply(out, dtype=self._device.xp_dtype(dt))
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

    __hash__ = object.__hash__  # by identity, like torch (== is elementwise)

    def __reduce_ex__(self, protocol: int) -> Any:
        """pickle and copy.copy: the values (and, for a leaf, requires_grad), not the graph."""
        return rebuild, (self._device.to_numpy(self._data).copy(), self._device.type,
                         self._requires_grad and self.grad_fn is None, type(self))

    def __deepcopy__(self, memo: dict) -> "Tensor":
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol; deepcopy t.detach() instead")
        copied = rebuild(*self.__reduce_ex__(4)[1])
        if self._grad is not None:
            copied._grad = rebuild(*self._grad.__reduce_ex__(4)[1])
        memo[id(self)] = copied
        return copied

    # -- arithmetic: promotion in functions.binary, the math in ops/elementwise.py ----------
    def __add__(self, other: Any) -> "Tensor":
        return F.binary(Add, self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return F.binary(Add, other, self)

    def __sub__(self, other: Any) -> "Tensor":
        return F.binary(Sub, self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return F.binary(Sub, other, self)

    def __mul__(self, other: Any) -> "Tensor":
        return F.binary(Mul, self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return F.binary(Mul, other, self)

    def __truediv__(self, other: Any) -> "Tensor":
        return F.binary(Div, self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return F.binary(Div, other, self)

    def __pow__(self, exponent: Any) -> "Tensor":
        return F.pow(self, exponent)

    def __rpow__(self, base: Any) -> "Tensor":
        return F.pow(base, self)

    def __neg__(self) -> "Tensor":
        if self._dtype is dtypes.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` "
                               "or `logical_not()` operator instead.")
        return Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return F.abs(self)

    def __matmul__(self, other: Any) -> "Tensor":
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return F.matmul(F.operand(other, self._device), self)

    def add(self, other: Any, *, alpha: Any = 1) -> "Tensor":
        return F.add(self, other, alpha=alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> "Tensor":
        return F.sub(self, other, alpha=alpha)

    mul, div, pow, neg = __mul__, __truediv__, __pow__, __neg__

    def square(self) -> "Tensor":
        return F.pow(self, 2)
    matmul = __matmul__

    # -- comparisons and logic: results are bool tensors outside the graph ---------------
    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return F.compare(operator.eq, self, other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return F.compare(operator.ne, self, other)

    def __lt__(self, other: Any) -> "Tensor":
        return F.compare(operator.lt, self, other)

    def __le__(self, other: Any) -> "Tensor":
        return F.compare(operator.le, self, other)

    def __gt__(self, other: Any) -> "Tensor":
        return F.compare(operator.gt, self, other)

    def __ge__(self, other: Any) -> "Tensor":
        return F.compare(operator.ge, self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __and__(self, other: Any) -> "Tensor":
        return F.compare(operator.and_, self, other, logical=True)

    def __or__(self, other: Any) -> "Tensor":
        return F.compare(operator.or_, self, other, logical=True)

    def __xor__(self, other: Any) -> "Tensor":
        return F.compare(operator.xor, self, other, logical=True)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> "Tensor":
        if self._dtype.is_floating_point:
            raise TypeError("~ (bitwise not) is only supported for integer and bool tensors")
        xp = self._device.xp
        inverted = (xp.logical_not(self._data) if self._dtype is dtypes.bool_
                    else xp.bitwise_invert(self._data))
        return Tensor._make(inverted, self._device)

    def logical_not(self) -> "Tensor":
        return Tensor._make(self._device.xp.logical_not(self._data != 0), self._device)

    def all(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return F.all(self, dim, keepdim)

    def any(self, dim: Any = None, keepdim: bool = False) -> "Tensor":
        return F.any(self, dim, keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False, *, axis: Any = None
               ) -> "Tensor":
        return F.argmax(self, dim if axis is None else axis, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis: Any = None
               ) -> "Tensor":
        return F.argmin(self, dim if axis is None else axis, keepdim)

    # -- math, reductions and shapes: see functions.py, and ops/ for the derivatives --------
    def exp(self) -> "Tensor":
        return F.exp(self)

    def log(self) -> "Tensor":
        return F.log(self)

    def sqrt(self) -> "Tensor":
        return F.sqrt(self)

    def abs(self) -> "Tensor":
        return F.abs(self)

    def relu(self) -> "Tensor":
        return F.relu(self)

    def sigmoid(self) -> "Tensor":
        return F.sigmoid(self)

    def tanh(self) -> "Tensor":
        return F.tanh(self)

    def clamp(self, min: Scalar | None = None, max: Scalar | None = None) -> "Tensor":
        return F.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: "Tensor") -> "Tensor":
        return F.maximum(self, other)

    def minimum(self, other: "Tensor") -> "Tensor":
        return F.minimum(self, other)

    def where(self, condition: "Tensor", other: Any) -> "Tensor":
        return F.where(condition, self, other)

    # (axis= is accepted for dim=, as torch accepts numpy's name)
    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
            axis: Any = None) -> "Tensor":
        return F.sum(self, dim if axis is None else axis, keepdim, dtype=dtype)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None, *,
             axis: Any = None) -> "Tensor":
        return F.mean(self, dim if axis is None else axis, keepdim, dtype=dtype)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None, axis: Any = None) -> "Tensor":
        return F.var(self, dim if axis is None else axis, unbiased, keepdim,
                     correction=correction)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None, axis: Any = None) -> "Tensor":
        return F.std(self, dim if axis is None else axis, unbiased, keepdim,
                     correction=correction)

    def max(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
        return F.max(self, dim if axis is None else axis, keepdim)

    def min(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None) -> Any:
        return F.min(self, dim if axis is None else axis, keepdim)

    def softmax(self, dim: int) -> "Tensor":
        return F.softmax(self, dim)

    def log_softmax(self, dim: int) -> "Tensor":
        return F.log_softmax(self, dim)

    def view(self, *shape: Any) -> "Tensor":
        return F.view(self, *shape)

    def reshape(self, *shape: Any) -> "Tensor":
        return F.reshape(self, *shape)

    def view_as(self, other: "Tensor") -> "Tensor":
        return F.view(self, other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        return F.reshape(self, other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> "Tensor":
        return F.flatten(self, start_dim, end_dim)

    def permute(self, *dims: Any) -> "Tensor":
        return F.permute(self, *dims)

    def transpose(self, dim0: int, dim1: int) -> "Tensor":
        return F.transpose(self, dim0, dim1)

    def t(self) -> "Tensor":
        return F.t(self)

    @property
    def T(self) -> "Tensor":
        return F.permute(self, *reversed(range(self.ndim))) if self.ndim else self.view(())

    @property
    def mT(self) -> "Tensor":
        """The last two dims swapped (matrices, or batches of them)."""
        if self.ndim == 1:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of "
                               f"matrices. Got 1-D tensor of shape {list(self.shape)}.")
        if self.ndim == 0:
            warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the "
                          "identity in these cases.", UserWarning, stacklevel=2)
            return self.view(())
        return F.transpose(self, -2, -1)

    def squeeze(self, dim: Any = None) -> "Tensor":
        return F.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> "Tensor":
        return F.unsqueeze(self, dim)

    def expand(self, *shape: Any) -> "Tensor":
        return F.expand(self, *shape)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return F.expand(self, other.shape)

    # -- indexing (ops/index.py) ---------------------------------------------------------------
    def __getitem__(self, key: Any) -> "Tensor":
        key, basic = normalize_key(self.shape, self._device, key)
        if basic:
            return BasicIndex.apply(self, key=key)
        ints, rest = split_ints(key)
        if ints is not None:  # torch picks with the ints first, then indexes the rest
            return AdvancedIndex.apply(BasicIndex.apply(self, key=ints), key=rest)
        return AdvancedIndex.apply(self, key=key)

    def __setitem__(self, key: Any, value: Any) -> None:
        key, basic = normalize_key(self.shape, self._device, key)
        ints, rest = (None, key) if basic else split_ints(key)
        if ints is not None:  # as in __getitem__: write through the view the ints pick
            BasicIndex.apply(self, key=ints)._assign(rest, False, value)
        else:
            self._assign(key, basic, value)

    # -- in-place ---------------------------------------------------------------------------
    def __iadd__(self, other: Any) -> "Tensor":
        return self._inplace(Add, F.inplace_operand(self, Add, other))

    def __isub__(self, other: Any) -> "Tensor":
        return self._inplace(Sub, F.inplace_operand(self, Sub, other))

    def __imul__(self, other: Any) -> "Tensor":
        return self._inplace(Mul, F.inplace_operand(self, Mul, other))

    def __itruediv__(self, other: Any) -> "Tensor":
        return self._inplace(Div, F.inplace_operand(self, Div, other))

    mul_, div_ = __imul__, __itruediv__

    def add_(self, other: Any, *, alpha: Any = 1) -> "Tensor":
        return self.__iadd__(other if alpha == 1 else other * alpha)

    def sub_(self, other: Any, *, alpha: Any = 1) -> "Tensor":
        return self.__isub__(other if alpha == 1 else other * alpha)

    def clamp_(self, min: Any = None, max: Any = None) -> "Tensor":
        """clamp in place; the bounds are numbers or tensors, as for clamp."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if result_type(self, *(b for b in (min, max) if b is not None)) is not self._dtype:
            raise RuntimeError(f"result type Float can't be cast to the desired output type "
                               f"{self._dtype._torch_name}")
        if isinstance(min, Tensor) or isinstance(max, Tensor):  # elementwise bounds
            return self.copy_(F.clamp(self, min, max))
        return self._inplace(Clamp, low=python_scalar(min), high=python_scalar(max))

    def zero_(self) -> "Tensor":
        if not _recording(self):  # a.grad.zero_() in every training step: keep it short
            self._write(0)
            return self
        return self._assign((Ellipsis,), True, 0)

    def fill_(self, value: Any) -> "Tensor":
        return self._assign((Ellipsis,), True, value)

    def copy_(self, src: "Tensor") -> "Tensor":
        if not isinstance(src, Tensor):
            raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
        broadcast_into(self.shape, src.shape)
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
        elif value is None:
            raise TypeError("can't assign a NoneType to a tensor; use a number or a tensor")
        else:
            value = python_scalar(value)
            check_fits(value, self._dtype)
        array = value._data if isinstance(value, Tensor) else value
        try:
            if _recording(self, value):  # (its shape check is the array module's, as below)
                return self._inplace(IndexPut, value, key=key, basic=basic)
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
    if _grad_mode.enabled:
        for x in operands:
            if x.__class__ is not int and x.__class__ is not float and getattr(
                    x, "_requires_grad", False):
                return True
    return False



def root_gradient(t: Tensor, gradient: Any) -> Any:
    """The gradient backward() starts from: 1 for a one-element loss, or `gradient`."""
    xp = t._device.xp
    if gradient is None:
        if t._data.size != 1:
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


def rebuild(array: Any, device: str, requires_grad: bool, cls: type = Tensor) -> Tensor:
    dev = get_device(device)
    t = Tensor._make(dev.from_numpy(array), dev)
    if cls is not Tensor:
        t = cls(t, requires_grad)
    else:
        t._requires_grad = requires_grad
    return t


# functions.py builds on Tensor, and Tensor's methods call functions.py: importing it last,
# once Tensor exists, lets each module use the other.
from . import functions as F  # noqa: E402
