"""The autograd engine: the op base class `Function`, `apply`, `sum_to` and the backward walk.

How `loss.backward()` works, in three steps:

1. Every differentiable op is a `Function` subclass. `Op.apply(a, b)` runs its `forward` on
   the raw arrays and, when an input requires grad, returns a tensor whose `grad_fn` is
   the Function instance itself (called `ctx`): a node of the graph. The node keeps what
   its `backward` needs (`ctx.save_for_backward`) and where its inputs came from
   (`ctx.parents`: the node that made each input, or the leaf tensor itself).
2. `backward` visits the nodes in reverse topological order, so that a node's gradient is
   complete (every op that used its output has added its share) before it is passed on:
   newest first, by the sequence number each node is stamped with when its op runs.
3. Each node's `backward(ctx, grad_output)` returns one gradient per input, in the shape
   of the output; the engine sums away broadcasting (`sum_to`), adds up the gradients of
   inputs used more than once, and finally adds each leaf's gradient into its `.grad`.

The engine knows tensors only through this protocol (tensor.py implements it):
    t._data                 the array
    t._device               where it lives; t._device.xp is its array namespace
    t._requires_grad        whether gradients flow into it
    t._grad_fn              the node that computed it, or None for a leaf (both current: a
                            view regenerates them from its base when read, see tensor.py)
    t._version              [n], bumped by every in-place change (shared with views)
    t._dtype                its dtype (the engine only passes it on)
    t._make(array, device, dtype, node)   a new tensor for an op's result: of `dtype`
                            (None: look it up), made by `node` (None: outside the graph)
    t._became_view(source, op, options)   the result of a view op shares source's storage
    t._accumulate_grad(array)        a leaf adds a gradient into its .grad
An op's first input is always a tensor; the others are tensors or Python numbers
(constants, which need no gradient).

Hook points, for the rooms around the engine (nothing else reaches in):
    hooks.on_record         fn(node), after a node is recorded (detect_anomaly)
    hooks.after_backward    fn(node, grad_output, grads), after a node's backward (trace)
    node.hooks              fn(grad_output) when the gradient of the node's output is
                            complete (retain_grad, autograd.grad of a non-leaf)
"""
from __future__ import annotations

import heapq
import itertools
from typing import Any, Callable, Sequence

from . import grad_mode

__all__ = ["Function", "sum_to", "backward", "root_gradient", "hooks"]


class _Hooks:
    """The engine's hook points (see the module docstring); each is a list of functions."""

    def __init__(self) -> None:
        self.on_record: list[Callable[[Function], None]] = []
        self.after_backward: list[Callable[[Function, Any, Sequence[Any]], None]] = []


hooks = _Hooks()
_FREED = object()  # what a node's saved arrays become once its backward has run
_sequence = itertools.count()  # stamps each recorded node: its op ran after every older one


class Function:
    """Base class of every differentiable op, and one node of the graph.

    A subclass defines `forward(ctx, *arrays, **options) -> array` and
    `backward(ctx, grad_output) -> one gradient per input` (None for an input that needs
    none). Both compute on raw arrays with `ctx.xp`, the array namespace of the device.
    """

    is_view = False  # True for ops whose output shares the input's storage (a view)
    sequence_nr = -1  # set when recorded: ops that ran later have larger numbers
    torch_name = ""  # the node's name where torch's is not the class name + Backward0
    hooks: Any = ()  # see the module docstring
    _saved: Any = ()
    _saved_versions: Any = ()

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward: inputs or the output as given, not views of them, so
        that an in-place change to one is noticed (see `saved_tensors`)."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        """What `save_for_backward` kept, checked to be unchanged since."""
        if self._saved is _FREED:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (or directly access "
                f"saved tensors after they have already been freed) in {self.name()}. Saved "
                "intermediate values of the graph are freed when you call .backward(). "
                "Specify retain_graph=True if you need to backward through the graph a "
                "second time.")
        for version, expected, dtype, shape in self._saved_versions:
            if version[0] != expected:  # (the loop is empty when nothing was saved)
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{dtype} array of shape {shape}] "
                    f"saved by {self.name()} is at version {version[0]}; expected version "
                    f"{expected} instead. Compute the in-place change on a copy "
                    "(x = x.clone()) or after calling backward().")
        return self._saved

    @classmethod
    def name(cls) -> str:
        """The node's name as torch prints it: MulBackward0 for Mul."""
        return cls.torch_name or f"{cls.__name__}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """The nodes (or leaf tensors) this node sends gradients to, as torch names them."""
        return tuple((p, 0) for p in self.parents)

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Any:
        """Run the op on tensors (and Python numbers, which are constants) and, when grad
        mode is on and an input requires grad, record it as a node of the graph."""
        ctx = cls()
        arrays, parents = [], []  # per input: its array, and where its gradient goes (or None)
        first = inputs[0]  # always a tensor: the result is made like it
        for x in inputs:
            if isinstance(x, (int, float)):  # a Python number: a constant
                arrays.append(x)
                parents.append(None)
            else:
                if x._device is not first._device:
                    raise _mixed_devices(cls, first._device, x._device)
                arrays.append(x._data)
                parents.append((x._grad_fn or x) if x._requires_grad else None)
        needs = tuple([parent is not None for parent in parents])
        record = grad_mode.state.enabled and any(needs)
        ctx.needs_input_grad = needs if record else (False,) * len(inputs)
        ctx.device, ctx.xp = first._device, first._device.xp  # (ToDevice moves ctx.device)
        out = ctx.forward(*arrays, **options)
        out = ctx.device.xp.asarray(out)  # (numpy's 0-d results are scalars, not arrays)
        dtype = first._dtype if out.dtype is first._data.dtype else None  # (None: look it up)
        result = first._make(out, ctx.device, dtype, ctx if record else None)
        if cls.is_view:
            result._became_view(inputs[0], cls, options)
        if record:
            ctx.sequence_nr = next(_sequence)  # (the walk's order, see backward)
            ctx.parents = tuple(parents)
            ctx.input_shapes = tuple([getattr(array, "shape", ()) for array in arrays])
            if ctx._saved:
                ctx._saved_versions = _versions_of_saved(ctx._saved, (*inputs, result))
            for hook in hooks.on_record:
                hook(ctx)
        return result

    def forward(ctx, *args: Any, **options: Any) -> Any:  # noqa: N805 (ctx, as in torch)
        raise NotImplementedError

    def backward(ctx, grad_output: Any) -> Any:  # noqa: N805
        raise NotImplementedError


def _versions_of_saved(saved: tuple, tensors: tuple) -> list:
    """(version counter, its value now, dtype, shape) of each tensor (an input or the
    output) whose array was saved: `saved_tensors` checks that no in-place change moved it."""
    ids = set(map(id, saved))  # (identity, not ==: arrays compare elementwise)
    return [(t._version, t._version[0], t._data.dtype, t._data.shape) for t in tensors
            if not isinstance(t, (int, float)) and id(t._data) in ids]


def _mixed_devices(op: type, first: Any, other: Any) -> RuntimeError:
    return RuntimeError(f"{op.__name__}: expected all tensors to be on the same device, but "
                        f"found at least two devices, {first} and {other}. Move them with "
                        ".to(device) first.")


def sum_to(xp: Any, grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum `grad` down to `shape`. The adjoint of broadcast is sum: an input stretched along
    an axis contributed to every output along it, so its gradient is the sum over that
    axis. Sum the leading axes broadcasting added, then (keeping dims) the axes where the
    input had size 1.

    >>> sum_to(np, np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    """
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    return xp.reshape(grad, shape)


def root_gradient(t: Any, gradient: Any) -> Any:
    """The gradient backward() starts from: 1 for a one-element loss, or `gradient`."""
    if not t._requires_grad:
        raise RuntimeError("element 0 of tensors does not require grad and does not have "
                           "a grad_fn: nothing that requires grad went into it (make a "
                           "leaf with requires_grad=True, or compute outside no_grad())")
    if gradient is None and t._data.size == 1:  # a loss: d(loss)/d(loss) = 1
        return t._device.xp.ones(t._data.shape, dtype=t._data.dtype)
    if gradient is None:
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs; "
                           f"this tensor has shape {t.shape}. Reduce it (e.g. .sum()) or "
                           f"pass gradient= of shape {t.shape}")
    if not hasattr(gradient, "_data"):  # not a tensor
        raise TypeError(f"gradient must be a Tensor, got {type(gradient).__name__}")
    if gradient.shape != t.shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                           f"{gradient.shape} and output[0] has a shape of {t.shape}.")
    if gradient._device is not t._device:
        raise RuntimeError(f"gradient is on {gradient._device} but the tensor is on "
                           f"{t._device}")
    return t._device.xp.astype(gradient._data, t._data.dtype)


def _into_grad(leaf: Any, grad: Any) -> None:
    """Where backward() puts a leaf's complete gradient: added into leaf.grad."""
    leaf._accumulate_grad(grad)


def backward(roots: Sequence[Any], root_grads: Sequence[Any], retain_graph: bool = False,
             to_leaf: Callable[[Any, Any], None] = _into_grad) -> None:
    """Propagate `root_grads` (arrays) from the tensors `roots` back through the graph.

    The order: every node carries a sequence number, stamped when its op ran, and an op
    that used a tensor ran after the op that made it. So taking the nodes newest first
    (a heap keyed by -sequence_nr, as torch's engine does) reaches a node only after every
    node that consumed its output has sent its share: its gradient is complete. That is a
    reverse topological order. It holds because `apply` stamps every node, after the nodes
    of its inputs (a node built by hand, without `apply`, would break it). Each leaf's
    complete gradient goes to `to_leaf(leaf, grad)`: by default, into leaf.grad.
    """
    pending: dict[Any, Any] = {}  # node or leaf -> the gradient of its output, summed so far
    ready: list[tuple[int, Function]] = []  # the nodes that have a gradient, newest first
    for root, grad in zip(roots, root_grads):
        _send(pending, ready, root._grad_fn or root, grad)
    while ready:
        node = heapq.heappop(ready)[1]
        grads = _call_backward(node, pending.pop(node), retain_graph)
        for parent, grad, shape in zip(node.parents, grads, node.input_shapes):
            if parent is not None and grad is not None:  # (None: a constant, or no gradient)
                if grad.shape != shape:  # undo broadcasting: the adjoint of broadcast is sum
                    grad = sum_to(node.xp, grad, shape)
                _send(pending, ready, parent, grad)
    for leaf, grad in pending.items():  # what is left are the leaves, each gradient complete
        to_leaf(leaf, grad)


def _send(pending: dict, ready: list, target: Any, grad: Any) -> None:
    """Send `grad` to a node or leaf. A tensor used twice sums its gradients (out of place:
    the arrays may be shared with other nodes); a node reached for the first time joins
    the heap of nodes to run."""
    if target in pending:
        pending[target] = pending[target] + grad
        return
    pending[target] = grad
    if isinstance(target, Function):
        heapq.heappush(ready, (-target.sequence_nr, target))


def _call_backward(node: Function, grad_output: Any, retain_graph: bool) -> Sequence[Any]:
    """Call one node's backward: one gradient per input."""
    for hook in node.hooks:
        hook(grad_output)
    grads = node.backward(grad_output)
    grads = grads if isinstance(grads, tuple) else (grads,)  # (one input: one array)
    if len(grads) != len(node.parents):
        raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                           f"gradients (expected {len(node.parents)}, got {len(grads)})")
    for hook in hooks.after_backward:
        hook(node, grad_output, grads)
    node._saved = node._saved if retain_graph else _FREED  # free saved arrays as we go
    return grads
