"""Tensor: an array, the gradient that flows into it, and the node that made it.

A Tensor holds
  _data          the array (numpy on 'cpu', cupy on 'cuda'), never a list of numbers;
  grad           dL/d(this tensor), a Tensor, filled in by backward() for leaves;
  grad_fn        the Function node that computed it (None for a leaf, which you made);
  _version       a counter shared with its views, bumped by every in-place change, so the
                 engine can tell when a value saved for backward was overwritten.

Operators and methods are torch's functions (torch_api/): `x @ a` is
`torch_api.math_ops.matmul(x, a)`, which checks the shapes and applies ops' Mv (a matrix
times a vector; Mm for two matrices, Matmul for the rest), and
`t.mean()` is `math_ops.mean(t)`. They are attached at the end of this file, because they
need the Tensor class themselves. In-place changes and views live in inplace.py.
"""
from __future__ import annotations

import warnings
from typing import Any

from . import dtypes, inplace
from .autograd import engine, grad_mode, hooks
from .backend import Device, get_device
from .conversion import Conversions
from .dtypes import dtype as DType
from .ops.arithmetic import Add, Div, Mul, Neg, Pow, Sub
from .ops.index import AdvancedIndex, BasicIndex
from .torch_api.indexing import normalize_key, split_ints

class Tensor(Conversions):
    """A multi-dimensional array with reverse-mode autograd, as torch.Tensor.

    >>> a = tg.tensor([-1., 1.], requires_grad=True)
    >>> loss = ((x @ a - y) ** 2).mean()
    >>> loss.backward()             # fills a.grad with d(loss)/da
    """

    __slots__ = ("_data", "_device", "_dtype", "_requires_grad", "_grad", "_grad_fn",
                 "_version", "_base", "_view", "__weakref__")
    __array_ufunc__ = None  # numpy operators defer to ours: `ndarray * t` is t.__rmul__

    @staticmethod
    def _make(array: Any, device: Device, dtype: DType | None = None,
              node: Any = None) -> "Tensor":
        """Wrap an array of `device` (internal: no checks, no copy); `dtype`, when given,
        must be the array's; `node` is the op that computed it (None: a leaf)."""
        t = object.__new__(Tensor)
        t._data, t._device = array, device
        t._dtype = dtype if dtype is not None else device.dtype_of(array)
        t._grad_fn, t._requires_grad = node, node is not None
        t._grad = t._base = t._view = None  # (_base, _view: set for views, see inplace.py)
        t._version = [0]  # a list, so that views sharing it share the count
        return t

    # -- the engine's protocol (see autograd/engine.py) ------------------------------------
    def _became_view(self, source: "Tensor", op: type, options: dict) -> None:
        """Engine protocol: this tensor, an op's result, shares `source`'s storage."""
        self.__class__ = _View
        inplace.track_view(self, source, op, options)

    def _accumulate_grad(self, grad: Any) -> None:
        """grad += g, in place after the first time (as torch does), so `a.grad` stays the
        same tensor across steps and `a.grad.zero_()` resets it."""
        if self._grad is None:
            self._grad = Tensor._make(self._device.xp.asarray(grad, copy=True), self._device)
        else:
            self._grad._data += grad
            self._grad._version[0] += 1

    # -- what a tensor is ----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each dimension, a tuple."""
        return self._data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self._data.ndim

    @property
    def dtype(self) -> DType:
        """The element type: tinygrad_sgd.float32, int64, ..."""
        return self._dtype

    @property
    def device(self) -> Device:
        """Where the data lives: 'cpu' (numpy) or 'cuda' (cupy)."""
        return self._device

    # -- autograd --------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        """Whether backward() computes a gradient for this tensor (and what it feeds)."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if self.grad_fn is not None:  # as torch: even True (requires_grad_(True) passes)
            raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                               "To use a computed tensor without its history, use .detach()")
        self.requires_grad_(flag)

    @property
    def grad_fn(self) -> Any:
        """The node that computed this tensor (None for a leaf)."""
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than computed by a recorded op."""
        return self.grad_fn is None

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

    def backward(self, gradient: "Tensor | None" = None, retain_graph: bool = False) -> None:
        """Compute d(self)/d(leaf) for every leaf that requires grad, adding it to leaf.grad.

        Without `gradient`, self must hold one element (a loss); otherwise `gradient` is
        dL/d(self) for some further L. The graph's saved values are freed afterwards
        unless `retain_graph=True`.
        """
        engine.backward([self], [engine.root_gradient(self, gradient)], retain_graph)

    @property
    def grad(self) -> "Tensor | None":
        """dL/d(this tensor), filled in by backward() for leaves that require grad (and for
        tensors that called retain_grad())."""
        if self._grad is None and self.grad_fn is not None and not self.retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)  # as torch: likely a slip
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

    retain_grad = hooks.retain_grad
    retains_grad = property(hooks.retains_grad)
    register_hook = hooks.register_hook

    def detach(self) -> "Tensor":
        """The same storage (and version counter), cut out of the graph."""
        t = Tensor._make(self._data, self._device, self._dtype)
        t._version = self._version
        return t

    def detach_(self) -> "Tensor":
        """Cut this tensor out of the graph, in place (not a view: its base's history
        would still reach it, so torch refuses)."""
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self) -> "Tensor":
        """The same storage, outside autograd: changes through it are not tracked."""
        return Tensor._make(self._data, self._device, self._dtype)

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        if self.requires_grad and not value._dtype.is_floating_point:
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               f"point or complex dtype, got {value._dtype._torch_name}")
        self._data, self._device, self._dtype = value._data, value._device, value._dtype

    # -- Python protocols (the rest, with the conversions, are in conversion.py) ---------
    __hash__ = object.__hash__  # by identity, like torch (== is elementwise)

    def __reduce_ex__(self, protocol: int) -> Any:
        """pickle and copy.copy: the values (and, for a leaf, requires_grad), not the graph."""
        cls = Tensor if type(self) is _View else type(self)
        return rebuild, (self._device.to_numpy(self._data).copy(), self._device.type,
                         self.requires_grad and self.grad_fn is None, cls)

    def __deepcopy__(self, memo: dict) -> "Tensor":
        """copy.deepcopy of a leaf tensor: its values, requires_grad and grad."""
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol; deepcopy t.detach() instead")
        copied = rebuild(*self.__reduce_ex__(4)[1])
        if self._grad is not None:
            copied._grad = rebuild(*self._grad.__reduce_ex__(4)[1])
        memo[id(self)] = copied
        return copied

    # -- Python's arithmetic operators: dtype promotion in math_ops.binary, the math in ops/
    def __add__(self, other: Any) -> "Tensor":
        """self + other."""
        return math_ops.binary(Add, self, other)

    def __radd__(self, other: Any) -> "Tensor":
        """other + self, computed as self + other (the same floats; torch does the same)."""
        return math_ops.binary(Add, self, other)

    def __sub__(self, other: Any) -> "Tensor":
        """self - other."""
        return math_ops.binary(Sub, self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        """other - self."""
        return math_ops.binary(Sub, other, self)

    def __mul__(self, other: Any) -> "Tensor":
        """self * other."""
        return math_ops.binary(Mul, self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        """other * self, computed as self * other (the same floats; torch does the same)."""
        return math_ops.binary(Mul, self, other)

    def __truediv__(self, other: Any) -> "Tensor":
        """self / other (true division)."""
        return math_ops.binary(Div, self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        """other / self."""
        return math_ops.binary(Div, other, self)

    def __rpow__(self, other: Any) -> "Tensor":
        """base ** self."""
        return math_ops.binary(Pow, other, self)

    def __pow__(self, exponent: Any) -> "Tensor":
        """self ** exponent."""
        return math_ops.binary(Pow, self, exponent)

    def __rmatmul__(self, other: Any) -> "Tensor":
        """other @ self."""
        return math_ops.matmul(math_ops.operand(other, self._device), self)

    def __neg__(self) -> "Tensor":
        """-self."""
        if self._dtype is dtypes.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not "
                               "supported. If you are trying to invert a mask, use the `~` "
                               "or `logical_not()` operator instead.")
        return Neg.apply(self)

    def __pos__(self) -> "Tensor":
        """+self: self itself."""
        return self

    def __invert__(self) -> "Tensor":
        """~self: logical not of a bool tensor, bitwise not of an integer one."""
        if self._dtype.is_floating_point:
            raise TypeError("~ (bitwise not) is only supported for integer and bool tensors")
        xp = self._device.xp
        inverted = (xp.logical_not(self._data) if self._dtype is dtypes.bool_
                    else xp.bitwise_invert(self._data))
        return Tensor._make(inverted, self._device)

    def logical_not(self) -> "Tensor":
        """True where the element is zero (a bool tensor, outside the graph)."""
        return Tensor._make(self._device.xp.logical_not(self._data != 0), self._device)

    def where(self, condition: "Tensor", other: Any) -> "Tensor":
        """self where condition is True, else other."""
        return pointwise_ops.where(condition, self, other)

    @property
    def T(self) -> "Tensor":
        """The dimensions reversed (the transpose of a matrix)."""
        return shape_ops.permute(self, *reversed(range(self.ndim))) if self.ndim else \
            shape_ops.view(self, ())

    @property
    def mT(self) -> "Tensor":
        """The last two dimensions swapped (a batch of transposed matrices)."""
        if self.ndim == 1:
            raise RuntimeError("tensor.mT is only supported on matrices or batches of "
                               f"matrices. Got 1-D tensor of shape {list(self.shape)}.")
        if self.ndim == 0:
            warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the "
                          "identity in these cases.", UserWarning, stacklevel=2)
            return shape_ops.view(self, ())
        return shape_ops.transpose(self, -2, -1)

    def view_as(self, other: "Tensor") -> "Tensor":
        """A view with other's shape."""
        return shape_ops.view(self, other.shape)

    def reshape_as(self, other: "Tensor") -> "Tensor":
        """Reshaped to other's shape."""
        return shape_ops.reshape(self, other.shape)

    def expand_as(self, other: "Tensor") -> "Tensor":
        """Broadcast to other's shape, without copying."""
        return shape_ops.expand(self, other.shape)

    # -- indexing (ops/index.py; the key is checked in torch_api/indexing.py) --------------
    def __getitem__(self, key: Any) -> "Tensor":
        """self[key]: a view for ints, slices, None and ...; a copy for integer or mask indices."""
        key, basic = normalize_key(self.shape, self._device, key)
        if basic:
            return BasicIndex.apply(self, key=key)
        ints, rest = split_ints(key)
        if ints is not None:  # torch picks with the ints first, then indexes the rest
            return AdvancedIndex.apply(BasicIndex.apply(self, key=ints), key=rest)
        return AdvancedIndex.apply(self, key=key)

    def __setitem__(self, key: Any, value: Any) -> None:
        """self[key] = value, in place (recorded in the graph when autograd needs it)."""
        key, basic = normalize_key(self.shape, self._device, key)
        ints, rest = (None, key) if basic else split_ints(key)
        if ints is not None:  # as in __getitem__: write through the view the ints pick
            inplace.assign(BasicIndex.apply(self, key=ints), rest, False, value)
        else:
            inplace.assign(self, key, basic, value)

    # -- in-place changes (inplace.py) -------------------------------------------------------
    def __iadd__(self, other: Any) -> "Tensor":
        """self += other, in place."""
        return self._update(Add, other)

    def __isub__(self, other: Any) -> "Tensor":
        """self -= other, in place."""
        return self._update(Sub, other)

    def __imul__(self, other: Any) -> "Tensor":
        """self *= other, in place."""
        return self._update(Mul, other)

    def __itruediv__(self, other: Any) -> "Tensor":
        """self /= other, in place."""
        return self._update(Div, other)

    def add_(self, other: Any, *, alpha: Any = 1) -> "Tensor":
        """self += alpha * other, in place."""
        return self._update(Add, other, alpha)

    def sub_(self, other: Any, *, alpha: Any = 1) -> "Tensor":
        """self -= alpha * other, in place: the lesson's update `a.sub_(lr * a.grad)`."""
        return self._update(Sub, other, alpha)

    def mul_(self, other: Any) -> "Tensor":
        """self *= other, in place."""
        return self._update(Mul, other)

    def div_(self, other: Any) -> "Tensor":
        """self /= other, in place."""
        return self._update(Div, other)

    def _update(self, op: type, other: Any, alpha: Any = 1) -> "Tensor":
        """self = op(self, alpha * other), written into self's storage. Outside the graph,
        with an operand that fits (the SGD step), that is the array operation alone."""
        if (other.__class__ is Tensor and self._base is None and not grad_mode.state.enabled
                and other._dtype is self._dtype and self._dtype.is_floating_point
                and other._data.shape == self._data.shape and other._device is self._device
                and alpha.__class__ in (int, float)):
            scaled = other._data if alpha == 1 else other._data * alpha  # (as other * alpha)
            inplace.ARRAY_UPDATE[op](self._data, scaled)
            self._version[0] += 1
            return self
        other = other if alpha == 1 else other * alpha
        return inplace.update(self, op, math_ops.inplace_operand(self, op, other))

    def zero_(self) -> "Tensor":
        """Fill with zeros, in place: `a.grad.zero_()` after each step."""
        if self._base is None and not (grad_mode.state.enabled and self._requires_grad):
            self._data[...] = 0
            self._version[0] += 1
            return self
        return inplace.assign(self, (Ellipsis,), True, 0)

    def fill_(self, value: Any) -> "Tensor":
        """Fill with `value`, in place."""
        return inplace.assign(self, (Ellipsis,), True, value)

    def copy_(self, src: "Tensor") -> "Tensor":
        """Copy src's values into self (broadcasting, converting the dtype), in place."""
        return inplace.copy_(self, src)

    def clamp_(self, min: Any = None, max: Any = None) -> "Tensor":
        """Clamp into [min, max], in place."""
        return inplace.clamp_(self, min, max)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> "Tensor":
        """Fill with numbers drawn uniformly from [a, b) (seeded by manual_seed)."""
        drawn = self._device.random("uniform", self.shape, self._dtype, a, b)
        return inplace.assign(self, (Ellipsis,), True, Tensor._make(drawn, self._device))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> "Tensor":
        """Fill with numbers drawn from a normal distribution (seeded by manual_seed)."""
        drawn = self._device.random("normal", self.shape, self._dtype, mean, std)
        return inplace.assign(self, (Ellipsis,), True, Tensor._make(drawn, self._device))


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf "
    "Tensor. If you access the non-leaf Tensor by mistake, make sure you access the leaf "
    "Tensor instead.")


_View = inplace.view_class(Tensor)  # views: Tensors whose history is read through the base


def rebuild(array: Any, device: str, requires_grad: bool, cls: type = Tensor) -> Tensor:
    """A tensor from what __reduce_ex__ saved (pickle, copy, tg.load)."""
    dev = get_device(device)
    t = Tensor._make(dev.from_numpy(array), dev)
    if cls is not Tensor:
        t = cls(t, requires_grad)
    else:
        t._requires_grad = requires_grad
    return t


# torch's functions double as Tensor methods and operators: `t.exp()` is `tg.exp(t)`, with
# the same docstring. They are attached here, once Tensor exists, because they use it.
from .torch_api import math_ops, pointwise_ops, shape_ops  # noqa: E402

for _module in (math_ops, pointwise_ops, shape_ops):
    for _name in _module.METHODS:
        setattr(Tensor, _name, getattr(_module, _name))
    for _operator, _name in _module.OPERATORS.items():
        setattr(Tensor, _operator, getattr(_module, _name))
