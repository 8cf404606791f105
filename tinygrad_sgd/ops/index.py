"""Indexing ops: `t[key]` and `t[key] = value` (torch_api/indexing.py checks the key).

A basic key (ints, slices, None, ...) selects a regular grid of the storage, so the
result is a view. An advanced key (integer tensors or lists, boolean masks) gathers
arbitrary elements into a new array; its backward scatters g back, and repeated indices
must add up (a mini-batch drawn with replacement uses a sample twice), which is why it
scatters with the backend's scatter_add rather than an assignment.
"""
from __future__ import annotations

from typing import Any

from ..autograd.engine import Function, sum_to


class BasicIndex(Function):
    """out = u[key] for a basic key, a view;  d/du = zeros with g placed at key"""

    is_view = True

    def forward(ctx, u, key):
        ctx.shape, ctx.key = u.shape, key
        return u[key]

    def backward(ctx, grad_output):
        grad = ctx.xp.zeros(ctx.shape, dtype=grad_output.dtype)
        assign_basic(ctx.xp, grad, ctx.key, grad_output)
        return grad


class AdvancedIndex(Function):
    """out = u[key] for integer-array or mask keys, a copy;  d/du = zeros with g added at
    key (repeated indices add)"""

    def forward(ctx, u, key):
        ctx.shape = u.shape
        ctx.save_for_backward(key)  # saved, as torch saves the indices: freed after backward
        return ctx.device.gather(u, key)

    def backward(ctx, grad_output):
        (key,) = ctx.saved_tensors
        grad = ctx.xp.zeros(ctx.shape, dtype=grad_output.dtype)
        ctx.device.scatter_add(grad, key, grad_output)
        return grad


class IndexPut(Function):
    """out = u with out[key] = v;  d/du = g with zeros at key, d/dv = g[key] summed back to
    v's shape (v was broadcast into the region)"""

    def forward(ctx, u, v, key, basic):
        ctx.basic = basic
        if basic:
            ctx.key = key
        else:  # saved, as torch saves the indices: freed after backward
            ctx.save_for_backward(key)
        out = ctx.xp.asarray(u, copy=True)
        if basic:
            assign_basic(ctx.xp, out, key, v)
        else:
            ctx.device.index_put(out, key, v)
        return out

    def backward(ctx, grad_output):
        key = ctx.key if ctx.basic else ctx.saved_tensors[0]
        grad_u = grad_v = None
        if ctx.needs_input_grad[0]:
            grad_u = ctx.xp.asarray(grad_output, copy=True)
            if ctx.basic:
                assign_basic(ctx.xp, grad_u, key, 0)
            else:
                ctx.device.index_put(grad_u, key, 0)
        if ctx.needs_input_grad[1]:
            region = grad_output[key] if ctx.basic else ctx.device.gather(grad_output, key)
            grad_v = _unbroadcast_value(ctx.xp, region, ctx.input_shapes[1])
        return grad_u, grad_v


def _unbroadcast_value(xp: Any, grad: Any, shape: tuple[int, ...]) -> Any:
    """The gradient of a value written into a region, from the region's gradient: the
    adjoint of broadcast is sum (sum_to). Writing also drops leading size-1 axes that the
    value has beyond the region's (y[1] = w with w of shape (1, 2)): put them back."""
    extra = max(len(shape) - grad.ndim, 0)
    return xp.reshape(sum_to(xp, grad, shape[extra:]), shape)


def assign_basic(xp: Any, target: Any, key: tuple, value: Any) -> None:
    """target[key] = value for a basic key. The array API allows None (a new axis) when
    reading but not when writing, so write to the key without its None entries."""
    if None not in key:
        target[key] = value
        return
    region = tuple(k for k in key if k is not None)
    if hasattr(value, "shape"):  # new axes have size 1: reshaping drops them
        value = xp.reshape(xp.broadcast_to(value, target[key].shape), target[region].shape)
    target[region] = value
