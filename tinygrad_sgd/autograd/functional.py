"""torch.autograd.backward and torch.autograd.grad, over the engine's walk (engine.py)."""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .engine import root_gradient
from . import engine

__all__ = ["backward", "grad"]


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool = False) -> None:
    """Backward from several outputs at once (their gradients add up in the leaves)."""
    tensors = _as_tuple(tensors)
    grads = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(tensors)
    engine.backward(tensors, [root_gradient(t, g) for t, g in zip(tensors, grads)],
                    retain_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), returned instead of accumulated into `.grad`.

    >>> x = tg.tensor([1., 2.], requires_grad=True)
    >>> tg.autograd.grad((x ** 2).sum(), x)
    (tensor([2., 4.]),)
    """
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grad_outputs = (_as_tuple(grad_outputs) if grad_outputs is not None
                    else (None,) * len(outputs))
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor) or not x.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                               "require grad")
    roots = [root_gradient(t, g) for t, g in zip(outputs, grad_outputs)]
    # The gradient reaching each input: a leaf's arrives at the end of the walk (instead of
    # going into its .grad), a computed tensor's when its node's gradient is complete.
    found: dict[int, Any] = {}
    nodes = {x.grad_fn: x for x in inputs if x.grad_fn is not None}
    for node, x in nodes.items():
        node.hooks = [*node.hooks, _Capture(found, x)]
    try:
        engine.backward(outputs, roots, bool(retain_graph),
                        to_leaf=lambda leaf, g: found.__setitem__(id(leaf), g))
    finally:
        for node in nodes:
            node.hooks = [h for h in node.hooks if not isinstance(h, _Capture)]
    result = []
    for i, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to not "
                               "have been used in the graph. Set allow_unused=True if this is "
                               "the desired behavior.")
        if g is not None:
            g = x.device.xp.broadcast_to(g, x.shape)
            g = Tensor._make(x.device.xp.asarray(g, copy=True), x.device)
        result.append(g)
    return tuple(result)


class _Capture:
    """A node hook that keeps the gradient of the node's output, for grad()."""

    def __init__(self, found: dict[int, Any], tensor: Tensor) -> None:
        self.found, self.key = found, id(tensor)

    def __call__(self, grad_output: Any) -> None:
        self.found[self.key] = grad_output
