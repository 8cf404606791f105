"""Hooks on a tensor's gradient: `t.register_hook(fn)` and `t.retain_grad()`.

They attach at the engine's per-node hook point (`node.hooks`, autograd/engine.py): when
the gradient of a node's output is complete, the engine calls each of the node's hooks
with it, before the node's own backward runs.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable

__all__ = ["register_hook", "retain_grad", "retains_grad"]


def register_hook(tensor: Any, hook: Callable[[Any], None]) -> None:
    """Call `hook(grad_array)` with this non-leaf tensor's gradient during backward."""
    node = tensor.grad_fn
    if node is None:
        raise RuntimeError("register_hook here is for tensors computed by an op "
                           "(non-leaf tensors); a leaf's gradient is its .grad")
    node.hooks = [*node.hooks, hook]


def retain_grad(tensor: Any) -> None:
    """Keep this non-leaf tensor's gradient in .grad at the next backward (leaves keep
    theirs anyway): a way to look at the gradient halfway through the graph."""
    if not tensor.requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if tensor.grad_fn is not None and not retains_grad(tensor):
        register_hook(tensor, _RetainGrad(tensor))


def retains_grad(tensor: Any) -> bool:
    """True after retain_grad() on a non-leaf tensor."""
    node = tensor.grad_fn
    return node is not None and any(isinstance(h, _RetainGrad) and h.tensor() is tensor
                                    for h in node.hooks)


class _RetainGrad:
    """The hook retain_grad() puts on a tensor's node: keep the gradient in tensor.grad."""

    def __init__(self, tensor: Any) -> None:
        self.tensor = weakref.ref(tensor)  # the hook must not keep the tensor alive

    def __call__(self, grad: Any) -> None:
        t = self.tensor()
        if t is not None:
            t._accumulate_grad(t._device.xp.broadcast_to(grad, t.shape))


