"""The autograd engine: Function (one node of the graph), grad mode, and the backward walk.

How `loss.backward()` works, in three steps:

1. Every differentiable op is a `Function` subclass. `Op.apply(a, b)` runs `forward` on the
   raw arrays and, when some input requires grad, returns a Tensor whose `grad_fn` is the
   Function instance itself (called `ctx`). The node remembers what its `backward` needs
   (`ctx.save_for_backward`) and where its inputs came from (`ctx.parents`).
2. `backward` walks the nodes in reverse topological order, so that a node's gradient is
   complete (all its consumers have added their share) before it is passed on.
3. Each node's `backward(ctx, grad_output)` returns one gradient per input, in the shape of
   the output; the engine sums away broadcasting (`sum_to`) and accumulates into the
   `.grad` of the leaves.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "sum_to", "run_backward"]


# ---------------------------------------------------------------------------------------
# Grad mode: per thread, as in torch, so one thread's `no_grad` leaves the others alone.
# ---------------------------------------------------------------------------------------
class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless inside `no_grad()` (in this thread)."""
    return _grad_mode.enabled


class set_grad_enabled:
    """Set grad mode for this thread: at once when called, `set_grad_enabled(False)`, and
    back to what it was at the end of a `with` block or of a decorated function.

    >>> with tg.no_grad():          # no_grad() is set_grad_enabled(False) as a block
    ...     a.sub_(lr * a.grad)     # an update that must not be recorded in the graph
    """

    __slots__ = ("mode", "prev")

    def __init__(self, mode: bool) -> None:
        self.prev, self.mode = _grad_mode.enabled, bool(mode)
        _grad_mode.enabled = self.mode  # as torch: the call itself switches

    def __enter__(self) -> None:
        _grad_mode.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        import functools
        mode = self.mode
        if type(self) is set_grad_enabled:  # used as a decorator: undo the switch above
            _grad_mode.enabled = self.prev

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):  # a fresh one per call: safe under recursion
                return fn(*args, **kwargs)
        return wrapper


class no_grad(set_grad_enabled):
    """Turn gradient recording off: `with no_grad(): ...`, `@no_grad()` or `@no_grad`."""

    __slots__ = ()

    def __new__(cls, fn: Callable | None = None) -> Any:
        if fn is not None:  # used bare, as @no_grad
            return set_grad_enabled(False)(fn)
        return object.__new__(cls)

    def __init__(self, fn: Callable | None = None) -> None:
        self.mode = False  # nothing switches before the block starts

    def __enter__(self) -> None:
        self.prev, _grad_mode.enabled = _grad_mode.enabled, False


class enable_grad(set_grad_enabled):
    """Turn gradient recording back on inside a `no_grad` block."""

    __slots__ = ()

    def __new__(cls, fn: Callable | None = None) -> Any:
        if fn is not None:
            return set_grad_enabled(True)(fn)
        return object.__new__(cls)

    def __init__(self, fn: Callable | None = None) -> None:
        self.mode = True

    def __enter__(self) -> None:
        self.prev, _grad_mode.enabled = _grad_mode.enabled, True


# ---------------------------------------------------------------------------------------
# Function: one op, and one node of the graph.
# ---------------------------------------------------------------------------------------
_FREED = object()  # marks saved values released after backward
_NO_GRADS = [(False,) * n for n in range(64)]


class Function:
    """Base class of every differentiable op.

    A subclass defines `forward(ctx, *arrays, **options) -> array` and
    `backward(ctx, grad_output) -> gradient or tuple of gradients, one per input`
    (None for an input that needs none). Both compute on raw arrays through `ctx.xp`.
    """

    __slots__ = ("xp", "device", "needs_input_grad", "parents", "input_shapes", "__dict__")
    _saved: Any = ()  # what save_for_backward kept (an op that saves nothing costs nothing)
    _saved_versions: tuple = ()  # (version counter, its value when saved, array) per tensor
    _retain: Any = None  # a weak reference to the output, if it asked to retain_grad()
    is_view = False  # True for ops whose output shares the input's storage
    changes_device = False  # True for the op that copies to options["device"]

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward. Save inputs or the output as given (not a view of
        them), so that an in-place change to them is detected at backward time."""
        self._saved = arrays

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                f"Trying to backward through the graph a second time (or directly access "
                f"saved tensors after they have already been freed) in {self.name()}. Saved "
                "intermediate values of the graph are freed when you call .backward(). "
                "Specify retain_graph=True if you need to backward through the graph a "
                "second time.")
        for version, expected, array in self._saved_versions:
            if version[0] != expected:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{array.dtype} array of shape {array.shape}] "
                    f"saved by {self.name()} is at version {version[0]}; expected version "
                    f"{expected} instead. Compute the in-place change on a copy "
                    "(x = x.clone()) or after calling backward().")
        return saved

    @classmethod
    def name(cls) -> str:
        return f"{cls.__name__}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """The nodes (or leaf tensors) this node sends gradients to, as torch names them."""
        return tuple((p, 0) for p in self.parents)

    # The one place a Tensor is made from a forward: everything below runs for every op,
    # so it is written with plain loops (generator expressions would cost more than the
    # array work of a small op).
    @classmethod
    def apply(cls, *args: Any, **options: Any) -> "Tensor":
        """Run the op on Tensors (and Python scalars) and record it in the graph."""
        ctx = object.__new__(cls)
        device = first = None
        arrays, shapes = [], []
        parents, needs = [], []  # per input: where its gradient goes (or None); is there one
        requires_grad = False
        for a in args:
            if isinstance(a, Tensor):  # the rest (Python scalars) pass through as constants
                if a._view is not None and a._view[1] is not a._base.grad_fn:
                    _refresh_view(a)  # its base was changed in place since the view was made
                if device is None:
                    device, first = a._device, a
                elif a._device is not device:
                    raise RuntimeError(
                        f"{cls.__name__}: expected all tensors to be on the same device, but "
                        f"found at least two devices, {device} and {a._device}. Move them "
                        "with .to(device) first.")
                data = a._data
                arrays.append(data)
                shapes.append(data.shape)
                if a._requires_grad:
                    requires_grad = True
                    parents.append(a.grad_fn or a)  # the node that made it, or the leaf
                    needs.append(True)
                    continue
            else:
                arrays.append(a)
                shapes.append(())
            parents.append(None)
            needs.append(False)
        ctx.xp, ctx.device = device.xp, device
        record = requires_grad and _grad_mode.enabled
        # which inputs backward must differentiate (forward may use it to save less)
        ctx.needs_input_grad = (tuple(needs) if record else _NO_GRADS[len(args)]
                                if len(args) < len(_NO_GRADS) else (False,) * len(args))
        out = ctx.forward(*arrays, **options)
        if cls.changes_device:
            device = options["device"]
        if out.__class__ is not device.array_type:  # numpy returns scalars for 0-d results
            out = device.xp.asarray(out)
        # most ops keep their first input's dtype: then there is nothing to look up
        result = Tensor._make(out, device, record,
                              first._dtype if out.dtype is first._data.dtype else None)
        if cls.is_view:  # the output shares the input's storage, so share its version too
            source = args[0]
            result._version = source._version
            result._base = base = source if source._base is None else source._base
            steps = source._view[0] if source._view is not None else ()
            # how to find this view inside its base, for in-place changes through it
            result._view = (steps + ((cls, options),), base.grad_fn)
        if record:
            ctx.parents, ctx.input_shapes = tuple(parents), tuple(shapes)
            if ctx._saved:
                ctx._saved_versions = _versions_of_saved(ctx._saved, args, result)
            result.grad_fn = ctx
            if _anomaly_hook is not None:  # detect_anomaly() is on (explain.py): note
                _anomaly_hook(ctx)  # where this op was called; one cheap check when off
        return result

    def forward(ctx, *args: Any, **options: Any) -> Any:  # noqa: N805 (ctx, as in torch)
        raise NotImplementedError

    def backward(ctx, grad_output: Any) -> Any:  # noqa: N805
        raise NotImplementedError


Tensor: Any = None  # set by tensor.py once Tensor exists (the two modules need each other)
# Set by tinygrad_sgd.explain.detect_anomaly() to a function that records, on each new
# node, where the user's code called the op; None (the default) costs one check per op.
_anomaly_hook: Callable[[Function], None] | None = None


def _versions_of_saved(saved: tuple, args: tuple, result: "Tensor") -> tuple:
    """For each saved array that is a tensor's storage (an input's or the output's), that
    tensor's version counter and its value now: backward checks they did not move."""
    versions = []
    for t in (*args, result):
        if isinstance(t, Tensor):
            for array in saved:
                if array is t._data:
                    versions.append((t._version, t._version[0], array))
                    break
    return tuple(versions)


def _refresh_view(view: "Tensor") -> None:
    """A view whose base got a new history (an in-place op recorded on the base or on a
    sibling view) takes its history from the base again, as torch regenerates it."""
    from .ops.shape import ViewReplay
    steps, base = view._view[0], view._base
    region = ViewReplay.apply(base, steps=steps)
    view.grad_fn, view._requires_grad = region.grad_fn, region._requires_grad
    view._view = (steps, base.grad_fn)


# ---------------------------------------------------------------------------------------
# Undoing broadcasting: the one helper every binary op relies on.
# ---------------------------------------------------------------------------------------
def sum_to(xp: Any, grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum `grad` down to `shape`. The adjoint of broadcast is sum: an input that was
    stretched along an axis contributed to every output along it, so its gradient is the
    sum over that axis. Sum the leading axes broadcasting added, then (keeping dims) the
    axes where the input had size 1.

    >>> sum_to(np, np.ones((4, 2, 3)), (2, 1)).tolist()
    [[12.0], [12.0]]
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    return xp.reshape(grad, shape)


# ---------------------------------------------------------------------------------------
# The backward walk.
# ---------------------------------------------------------------------------------------
def _count_consumers(roots: Iterable[Function]) -> dict[Function, int]:
    """For every node reachable from the roots, how many edges point at it.

    An explicit stack instead of recursion, so a graph 100,000 ops deep works.
    """
    consumers: dict[Function, int] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        for parent in node.parents:
            if isinstance(parent, Function):
                if parent in consumers:
                    consumers[parent] += 1
                else:  # first time seen: count it, and walk on from it
                    consumers[parent] = 1
                    stack.append(parent)
    return consumers


# Hooks for learner tools (tinygrad_sgd.autograd.trace, detect_anomaly): each is called as
# hook(node, grad_output, grads) after a node's backward ran.
backward_hooks: list[Callable[[Function, Any, Sequence[Any]], None]] = []


def run_backward(roots: Sequence["Tensor"], root_grads: Sequence[Any], retain_graph: bool,
                 capture: dict[Any, int] | None = None) -> list[Any] | None:
    """Propagate `root_grads` (arrays) from `roots` back to the leaves.

    Kahn's algorithm: a node runs once every consumer has sent its gradient (its count
    of pending consumers reaches zero). Reverse topological order is what guarantees
    that a node's gradient is complete before it is propagated.

    Without `capture`, gradients accumulate into the `.grad` of leaves that require grad.
    With `capture` (a map from a leaf Tensor or a node to a slot), the gradients reaching
    those are returned in a list instead, and no `.grad` is touched (autograd.grad).
    """
    pending: dict[Any, Any] = {}  # node or leaf -> gradient of its output, summed so far
    for root, g in zip(roots, root_grads):
        _send(pending, root.grad_fn or root, g)
    nodes = [n for n in pending if isinstance(n, Function)]
    consumers = _count_consumers(nodes)
    ready = [n for n in nodes if consumers.get(n, 0) == 0]
    captured: list[Any] = [None] * len(capture) if capture is not None else []
    while ready:
        node = ready.pop()
        grad_output = pending.pop(node, None)
        if capture is not None and node in capture:
            captured[capture[node]] = grad_output
        if node._retain is not None and grad_output is not None and capture is None:
            output = node._retain()  # t.retain_grad() asked to keep this gradient
            if output is not None:
                output._accumulate_grad(_broadcast_to_shape(node, grad_output, output.shape))
        if grad_output is None:  # nothing reached this node: its inputs get nothing either
            grads: Any = (None,) * len(node.parents)
        else:
            grads = node.backward(grad_output)
            if not isinstance(grads, tuple):
                grads = (grads,)
            if len(grads) != len(node.parents):
                raise RuntimeError(f"function {node.name()} returned an incorrect number of "
                                   f"gradients (expected {len(node.parents)}, got {len(grads)})")
            for hook in backward_hooks:
                hook(node, grad_output, grads)
            if not retain_graph and node._saved:
                node._saved = _FREED  # free the graph's saved arrays as we go
                node._saved_versions = ()
        for parent, g, shape in zip(node.parents, grads, node.input_shapes):
            if parent is None:
                continue
            if g is not None:
                if g.shape != shape:  # undo broadcasting: the adjoint of broadcast is sum
                    g = sum_to(node.xp, g, shape)
                previous = pending.get(parent)  # a reused input sums its gradients
                pending[parent] = g if previous is None else previous + g
            if isinstance(parent, Function):  # a node, not a leaf
                left = consumers[parent] - 1
                consumers[parent] = left
                if left == 0:  # every consumer has sent its share: its gradient is complete
                    ready.append(parent)
    # What is left in `pending` are the leaves, each with its complete gradient.
    for leaf, g in pending.items():
        if capture is None:
            leaf._accumulate_grad(g)
        elif leaf in capture:
            captured[capture[leaf]] = g
    return captured if capture is not None else None


def _broadcast_to_shape(node: Function, grad: Any, shape: tuple[int, ...]) -> Any:
    """grad as an array of `shape` (a gradient may arrive as a broadcast view)."""
    return grad if grad.shape == shape else node.xp.broadcast_to(grad, shape)


def _send(pending: dict, target: Any, grad: Any) -> None:
    """Add `grad` to what a node or leaf has received so far (a reused input sums its
    gradients; out of place, because the arrays may be shared with other nodes)."""
    prev = pending.get(target)
    pending[target] = grad if prev is None else prev + grad
