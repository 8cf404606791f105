"""Custom ops the torch way: subclass `Function`, write `forward` and `backward` on Tensors.

    class Cube(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 3 * grad_output * x * x     # d(x³)/dx = 3x²

    y = Cube.apply(x)

How it sits on the engine (engine.py): `Cube.apply` records one node of class
`CubeBackward`, an engine op whose array-level forward and backward wrap the arrays into
Tensors and call the user's static methods, with grad recording off. The node is the `ctx`
both methods receive (as in torch, where `y.grad_fn` is the ctx). Tensors saved with
`ctx.save_for_backward` get the engine's checks: freed after backward, and refused if an
in-place change moved them since.

Several outputs: the engine gives every node one output, so the node's output is a flat
placeholder that stands for all differentiable outputs side by side, and each output is a
slice of it (`SelectOutput`): the gradients arriving at the outputs add up into that flat
gradient, which the node splits again for the user's backward.
"""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import engine
from . import grad_mode
from .grad_mode import no_grad

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """What `ctx` offers to a custom Function's forward and backward, as in torch."""

    needs_input_grad: tuple[bool, ...]  # per argument of forward: is its gradient needed?

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep tensors (inputs, outputs or None) for backward; read them back with
        `ctx.saved_tensors`, which refuses if one changed in place since."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is of type {type(t).__name__}")
        self._saved = tensors


class _Node(FunctionCtx, engine.Function):
    """The graph node of one call of a custom Function (`function`, set per subclass)."""

    function: type["Function"]

    @classmethod
    def name(cls) -> str:
        return cls.__name__  # CubeBackward, as torch names it

    def forward(ctx, *arrays: Any, args: tuple) -> Any:  # noqa: N805 (ctx, as in torch)
        """Run the user's forward on the original arguments. Returns the array of the one
        differentiable output, or the flat placeholder for several outputs."""
        needs = iter(ctx.needs_input_grad)  # the engine's: one per Tensor argument
        ctx.needs_input_grad = tuple(next(needs) if isinstance(a, Tensor) else False
                                     for a in args)
        ctx.args = args
        ctx.input_dtypes = [a.dtype for a in arrays]
        with no_grad():
            ctx.returned = ctx.function.forward(ctx, *args)
        ctx.single = _differentiable(ctx.returned)
        if ctx.single:
            return ctx.returned._data
        ctx.outputs = ctx.returned if isinstance(ctx.returned, tuple) else (ctx.returned,)
        parts = [o for o in ctx.outputs if _differentiable(o)]
        dtype = ctx.xp.result_type(*(o._data for o in parts)) if parts else arrays[0].dtype
        return ctx.xp.zeros((sum(o.numel() for o in parts),), dtype=dtype)

    def backward(ctx, grad_output: Any) -> tuple:  # noqa: N805
        """Call the user's backward with one gradient per output (zeros where none came),
        and return one gradient array per Tensor argument."""
        device = ctx.device
        if ctx.single:
            grads = (Tensor._make(grad_output, device),)
        else:
            grads = []
            start = 0
            for o in ctx.outputs:
                if _differentiable(o):
                    part = grad_output[start:start + o.numel()]
                    start += o.numel()
                    array = ctx.xp.astype(ctx.xp.reshape(part, o.shape), o._data.dtype)
                    grads.append(Tensor._make(array, device))
                else:  # an integer or non-Tensor output has no gradient: zeros, or None
                    grads.append(Tensor._make(ctx.xp.zeros(o.shape, dtype=o._data.dtype), device)
                                 if isinstance(o, Tensor) else None)
        with no_grad():
            results = ctx.function.backward(ctx, *grads)
        return _grads_of_inputs(ctx, results if isinstance(results, tuple) else (results,))


def _differentiable(output: Any) -> bool:
    """Whether an output of forward carries a gradient: a floating Tensor."""
    return isinstance(output, Tensor) and output._dtype.is_floating_point


def _grads_of_inputs(ctx: _Node, results: tuple) -> tuple:
    """What the user's backward returned (one per argument of forward), checked as torch
    checks it, as arrays: one per Tensor argument, in its dtype."""
    args = ctx.args
    if len(results) < len(args) or any(r is not None for r in results[len(args):]):
        raise RuntimeError(f"function {ctx.name()} returned an incorrect number of gradients "
                           f"(expected {len(args)}, got {len(results)})")
    grads = []
    for i, (arg, g) in enumerate(zip(args, results)):
        if not isinstance(arg, Tensor):
            continue  # a non-Tensor argument: its gradient, if any, is ignored
        if g is None:
            grads.append(None)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"function {ctx.name()} returned a gradient of type "
                            f"{type(g).__name__} at index {i}; expected a Tensor or None")
        if not _expandable(arg.shape, g.shape):
            raise RuntimeError(f"Function {ctx.name()} returned an invalid gradient at index "
                               f"{i} - got {list(g.shape)} but expected shape compatible "
                               f"with {list(arg.shape)}")
        dtype = ctx.input_dtypes[len(grads)]
        grads.append(g._data if g._data.dtype == dtype else ctx.xp.astype(g._data, dtype))
    return tuple(grads)


def _expandable(shape: tuple[int, ...], to: tuple[int, ...]) -> bool:
    """Whether `shape` broadcasts to `to` (then the engine sums the gradient back)."""
    return len(shape) <= len(to) and all(s in (1, t) for s, t in zip(shape[::-1], to[::-1]))


class SelectOutput(engine.Function):
    """out = output `index` of a multi-output node, whose output is the flat placeholder;
    d/d(placeholder) = zeros with g (flattened) at that output's slice"""

    def forward(ctx, placeholder, node, index):
        parts = [o for o in node.outputs if _differentiable(o)]
        ctx.start = sum(o.numel() for o in parts[:index])
        ctx.size, ctx.dtype = placeholder.shape, placeholder.dtype
        return parts[index]._data

    def backward(ctx, grad_output):
        grad = ctx.xp.zeros(ctx.size, dtype=ctx.dtype)
        flat = ctx.xp.reshape(grad_output, (-1,))
        grad[ctx.start:ctx.start + flat.shape[0]] = ctx.xp.astype(flat, ctx.dtype)
        return grad


class Function:
    """Base class of torch-style custom ops: define `@staticmethod forward(ctx, *args)` and
    `@staticmethod backward(ctx, *grad_outputs)` on Tensors, call `MyOp.apply(*args)`.

    forward runs with grad recording off and returns a Tensor or a tuple of them (integer
    outputs, and non-Tensors, get no gradient). backward gets one gradient per output and
    returns one per argument of forward: a Tensor, or None where none is needed
    (`ctx.needs_input_grad[i]` says which are).
    """

    _node_class: type[_Node]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # each custom Function gets its own node class, named as torch names it
        cls._node_class = type(f"{cls.__name__}Backward", (_Node,), {"function": cls})

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        """The op on Tensors (grad recording is off): returns its output(s)."""
        raise NotImplementedError("a custom Function must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Tensor) -> Any:
        """dL/d(each argument of forward), from dL/d(each output): Tensors or None."""
        raise NotImplementedError("a custom Function must define backward(ctx, *grads) to be "
                                  "differentiated")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward and, when grad mode is on and a Tensor argument requires grad,
        record it in the graph so that backward() calls this class's backward.

        >>> y = Cube.apply(x)
        """
        if kwargs:  # as torch: keyword arguments are bound to forward's parameters
            import inspect  # here: importing it costs more than this whole module
            bound = inspect.signature(cls.forward).bind(None, *args, **kwargs)
            bound.apply_defaults()
            args = bound.args[1:]
        tensors = [a for a in args if isinstance(a, Tensor)]
        if not (grad_mode.state.enabled and any(t.requires_grad for t in tensors)):
            ctx = FunctionCtx()  # nothing to record: forward's outputs as they are
            ctx.needs_input_grad = (False,) * len(args)
            with no_grad():
                return cls.forward(ctx, *args)
        result = cls._node_class.apply(*tensors, args=args)
        node = result.grad_fn
        node._saved_versions = [(t._version, t._version[0], t._data.dtype, t._data.shape)
                                for t in node._saved if t is not None]
        if node.single:
            result._version = node.returned._version  # so that y += 1 is seen by the check
            return result
        outputs = []
        for o in node.outputs:
            if _differentiable(o):
                out = SelectOutput.apply(result, node=node, index=len(outputs))
                out._version = o._version
                outputs.append(out)
        it = iter(outputs)
        outputs = [next(it) if _differentiable(o) else o for o in node.outputs]
        return tuple(outputs) if isinstance(node.returned, tuple) else outputs[0]
