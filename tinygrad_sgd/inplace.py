"""In-place changes, version counters and views.

A view (`x[:, 0]`, `x.T`, `x.view(...)`) shares its base's storage and its version counter
(`_version`, a one-element list). Every in-place change bumps that counter, and a node that
saved an array for backward refuses to run if the counter moved since (engine.py,
`saved_tensors`), as torch does, instead of returning a wrong gradient.

With a graph to record, an in-place change is an ordinary op computed on a copy, whose
result is written into the storage; the tensor then takes over the op's history. Through a
view, the base changes too: its new history is "the old base with this region replaced"
(torch's CopySlices), and every view of it recomputes its history from the base's when
next read (`refresh_view`).

Works on tensors through the engine's protocol (autograd/engine.py) plus `_base`,
`_view`, `_grad_fn`, `_requires_grad` and `to()`.
"""
from __future__ import annotations

import operator
from typing import Any

from .autograd import grad_mode
from .autograd.engine import Function
from .dtypes import result_type
from .ops.arithmetic import Add, Div, Mul, Sub
from .ops.elementwise import Clamp, Clone
from .ops.index import IndexPut, assign_basic
from .ops.shape import CopySlices, ViewReplay
from .torch_api.checks import broadcast_into, check_fits, python_scalar

__all__ = ["update", "assign", "copy_", "clamp_", "track_view", "refresh_view"]

_NO_GRAD_VIEW = "A view was created in no_grad mode (or is a view of such a view) and "
_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation.")


def recording(*operands: Any) -> bool:
    """Will an op on these operands be recorded in the graph? As in torch, a view whose
    base requires grad counts as requiring grad (a view of a leaf, taken before the leaf's
    requires_grad_(), or under no_grad), so that changing it in place is checked."""
    return grad_mode.state.enabled and any(
        not isinstance(x, (int, float))
        and (x.requires_grad or (x._base is not None and x._base.requires_grad))
        for x in operands)


def update(target: Any, fn: type[Function], *args: Any, **options: Any) -> Any:
    """target = fn(target, *args), written into target's storage (x += y, x.clamp_(0)).

    Without a graph to record, the array is updated directly. With one, fn runs on a copy
    of target (fn may save its input, which is about to be overwritten), the result is
    written into target's storage, and target takes over the result's history.
    """
    if not recording(target, *args):
        array_op = ARRAY_UPDATE.get(fn)
        if array_op is not None:  # no copy at all
            other = args[0] if isinstance(args[0], (int, float)) else args[0]._data
            try:
                array_op(target._data, other)
            except ValueError:  # numpy refuses to write into an expanded view
                raise RuntimeError(_OVERLAP) from None
            target._version[0] += 1
            return target
        _write(target, fn.apply(target, *args, **options)._data)
        return target
    _check_inplace(target)
    out = fn.apply(Clone.apply(target), *args, **options)
    _write(target, out._data)
    _take_history(target, out)
    return target


# the array module's own in-place operators: x -= y writes into x's storage directly
ARRAY_UPDATE = {Add: operator.iadd, Sub: operator.isub, Mul: operator.imul,
                 Div: operator.itruediv}


def assign(target: Any, key: tuple, basic: bool, value: Any) -> Any:
    """target[key] = value; also fill_, zero_, copy_, uniform_ and normal_."""
    if value is None:
        raise TypeError("can't assign a NoneType to a tensor; use a number or a tensor")
    if isinstance(value, (int, float)) or not hasattr(value, "_data"):
        value = python_scalar(value)
        check_fits(value, target._dtype)
    else:
        if value._device is not target._device:
            raise RuntimeError(f"expected a value on {target._device}, got one on "
                               f"{value._device}; move it with .to() first")
        value = value if value._dtype is target._dtype else value.to(target._dtype)
    array = value if isinstance(value, (int, float)) else value._data
    try:
        if recording(target, value):  # (its shape check is the array module's, as below)
            return update(target, IndexPut, value, key=key, basic=basic)
        if basic:
            assign_basic(target._device.xp, target._data, key, array)
        else:
            target._device.index_put(target._data, key, array)
    except ValueError as e:  # shapes that don't fit, or a read-only (expanded) view
        raise RuntimeError(f"cannot assign a value of shape "
                           f"{tuple(getattr(array, 'shape', ()))} into a tensor of shape "
                           f"{target.shape} at {key}: {e}") from None
    target._version[0] += 1
    return target


def copy_(target: Any, src: Any) -> Any:
    """target[...] = src, broadcast and converted to target's dtype."""
    if not hasattr(src, "_data"):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    broadcast_into(target.shape, src.shape)
    return assign(target, (Ellipsis,), True, src.to(target._device))  # an explicit transfer


def clamp_(target: Any, low: Any, high: Any) -> Any:
    """target = clamp(target, low, high), in place; the bounds are numbers or tensors and
    must fit target's dtype."""
    if low is None and high is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if result_type(target, *(b for b in (low, high) if b is not None)) is not target._dtype:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{target._dtype._torch_name}")
    if hasattr(low, "_data") or hasattr(high, "_data"):  # elementwise bounds (tensors)
        return copy_(target, target.clamp(low, high))
    return update(target, Clamp, low=python_scalar(low), high=python_scalar(high))


def _check_inplace(target: Any) -> None:
    """torch's rules for changing a tensor that autograd needs; checked before any change."""
    if target._view is not None and target._view[2]:
        raise RuntimeError(_NO_GRAD_VIEW + "is being modified inplace with grad mode enabled. "
                           "Given that this use case is ambiguous and error-prone, it is "
                           "forbidden. Make the view and the change both inside or both "
                           "outside the no_grad block.")
    if target.grad_fn is None and target.requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an "
                           "in-place operation. Do the update inside `with no_grad():`")
    base = target._base
    if base is not None and base._grad_fn is None and base._requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used "
                           "in an in-place operation. Do it inside `with no_grad():`")


def _write(target: Any, array: Any) -> None:
    """Put `array` into target's storage (seen by its views) and bump the version."""
    try:
        target._data[...] = array
    except ValueError:  # numpy refuses to write into a broadcast (expanded) view
        raise RuntimeError(_OVERLAP) from None
    target._version[0] += 1


def _take_history(target: Any, out: Any) -> None:
    """After an in-place op, target holds out's values: give it out's history. For a view,
    the base changed too: its new history is 'the old base with this region replaced'
    (CopySlices), and the view becomes that region of the new base."""
    if target._base is None:
        target._grad_fn = out._grad_fn
        target._requires_grad = True
        return
    base, steps = target._base, target._view[0]
    new_base = CopySlices.apply(base, out, steps=steps)
    base._grad_fn = new_base._grad_fn
    base._requires_grad = True
    _replay_history(target)


# ---------------------------------------------------------------------------------------
# views
# ---------------------------------------------------------------------------------------
def track_view(view: Any, source: Any, op: type, options: dict) -> None:
    """`view`, the output of a view op applied to `source`, shares source's storage: it
    shares the version counter too, and remembers its base and the steps (op, options)
    that find it inside the base, for in-place changes through it. `_view` is (steps, the
    base's grad_fn when the view's history was last taken, made under no_grad)."""
    view._version = source._version
    base = source if source._base is None else source._base
    steps, no_grad = (), not grad_mode.state.enabled
    if source._view is not None:  # a view of a view: its steps, and its no_grad origin
        steps, no_grad = source._view[0], no_grad or source._view[2]
    view._base = base
    view._view = (steps + ((op, options),), base._grad_fn, no_grad)


def refresh_view(view: Any, history: bool = True) -> None:
    """A view whose base got a new history since (an in-place op recorded on the base or
    on a sibling view) takes its history from the base again, as torch regenerates it:
    the view's region of the base's new value, whatever the grad mode of the reader.

    A view made under no_grad has no history to regenerate: as torch, reading it
    (`history`: grad_fn, is_leaf, backward, use in an op) raises; its requires_grad is the
    base's."""
    if view._view[1] is view._base._grad_fn:
        return
    if view._view[2]:
        view._requires_grad = True  # the base took a history, so it requires grad
        if history:
            raise RuntimeError(_NO_GRAD_VIEW + "its base or another view of its base has "
                               "been modified inplace with grad mode enabled. Given that "
                               "this use case is ambiguous and error-prone, it is forbidden. "
                               "Make the view and the change both inside or both outside "
                               "the no_grad block.")
        return
    _replay_history(view)


def _replay_history(view: Any) -> None:
    steps, base = view._view[0], view._base
    with grad_mode.set_grad_enabled(True):  # the history exists even if read under no_grad
        region = ViewReplay.apply(base, steps=steps)
    view._grad_fn = region._grad_fn
    view._requires_grad = region._requires_grad
    view._view = (steps, base._grad_fn, view._view[2])


def view_class(tensor_class: type) -> type:
    """The class of views (tensor.py makes it from Tensor): a Tensor whose history slots
    are read through its base. If the base changed in place since the view was made, the
    view regenerates its history first (refresh_view), so every reader (an op, backward,
    grad_fn) sees torch's answer; plain tensors keep plain slots, read at no cost."""
    requires_grad_slot = tensor_class._requires_grad
    grad_fn_slot = tensor_class._grad_fn

    class View(tensor_class):  # type: ignore[misc, valid-type]
        """A tensor that shares its base's storage: x[:, 0], x.T, x.view(...)."""

        __slots__ = ()

        @property
        def _requires_grad(self) -> bool:
            refresh_view(self, history=False)
            return requires_grad_slot.__get__(self)

        @_requires_grad.setter
        def _requires_grad(self, value: bool) -> None:
            requires_grad_slot.__set__(self, value)

        @property
        def _grad_fn(self) -> Any:
            refresh_view(self)
            return grad_fn_slot.__get__(self)

        @_grad_fn.setter
        def _grad_fn(self, node: Any) -> None:
            grad_fn_slot.__set__(self, node)

    return View
