"""Watching backward run: `trace()` shows each op's backward as the engine calls it.

    with tg.autograd.trace():
        loss.backward()

It listens at the engine's hook point `hooks.after_backward`: after a node's backward has
returned its gradients, the engine calls `hook(node, grad_output, grads)`. `grads` are what
backward returned, in the shape of the node's *output*; the engine then sums each one down
to its input's shape (`engine.sum_to`, which undoes broadcasting). A trace shows both
shapes, so the summing is visible. Nothing here changes a gradient.
"""
from __future__ import annotations

import sys
import threading
import warnings
import weakref
from typing import Any, Callable, NamedTuple, Sequence, TextIO

import numpy as np  # norms are computed on the host, for display only

from .engine import Function, hooks, sum_to
from .grad_mode import is_grad_enabled

__all__ = ["trace", "BackwardRecord", "InputGrad"]


# ---------------------------------------------------------------------------------------
# Helpers shared with viz.py: naming what a node sends its gradient to, and norms.
# ---------------------------------------------------------------------------------------
def grad_norm(device: Any, array: Any) -> float:
    """The Euclidean norm of a gradient array, in float64 on the host (display only)."""
    return float(np.linalg.norm(np.asarray(device.to_numpy(array), dtype=np.float64)))


def leaf_name(leaf: Any, names: dict[int, str]) -> str:
    """How a leaf is called in traces and drawings: its name in `params`, or its class."""
    return names.get(id(leaf), type(leaf).__name__ if type(leaf).__name__ != "Tensor"
                     else "leaf")


def names_of(params: dict[str, Any] | None) -> dict[int, str]:
    """{id(tensor): name} for the tensors a user named (by identity: == is elementwise)."""
    return {id(t): name for name, t in (params or {}).items()}


def destination(parent: Any, names: dict[int, str]) -> str:
    """Where a gradient goes: the node that made the input, a leaf's .grad, or nowhere."""
    if parent is None:
        return "constant"
    if isinstance(parent, Function):
        return parent.name()
    if id(parent) in names:
        return f".grad of {names[id(parent)]}"
    return f".grad of {leaf_name(parent, names)} {tuple(parent.shape)}"


# ---------------------------------------------------------------------------------------
# trace(): one record per backward the engine runs.
# ---------------------------------------------------------------------------------------
def _no_node() -> None:
    """A record's `node` when the node cannot be weakly referenced: nothing."""
    return None


class InputGrad(NamedTuple):
    """What one node's backward sent towards one of its inputs.

    `returned_shape` is the shape backward returned (the op's output shape when the input
    was broadcast), `input_shape` the input's own shape, which the engine summed the
    gradient down to; `norm` is the norm after that sum. For a constant input (one that
    needs no gradient) `to` is 'constant' and `returned_shape` and `norm` are None.
    """
    index: int
    to: str
    returned_shape: tuple[int, ...] | None
    input_shape: tuple[int, ...]
    norm: float | None

    @property
    def summed(self) -> bool:
        """True where the engine summed away broadcasting (the two shapes differ)."""
        return self.returned_shape is not None and self.returned_shape != self.input_shape


class BackwardRecord(NamedTuple):
    """One node's backward, as the engine ran it: `step` counts from 1 in running order."""
    step: int
    op: str
    grad_output_shape: tuple[int, ...]
    grad_output_norm: float
    inputs: tuple[InputGrad, ...]
    # The node itself, weakly: viz.graph(..., trace=t) finds it again while the graph
    # lives, and a record never keeps a freed graph in memory.
    node: Callable[[], Function | None] = _no_node


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def format_record(r: BackwardRecord) -> str:
    """The lines trace() prints for one record."""
    # columns: the '|g| =' of an op's line and of its inputs' lines line up
    lines = [f"{r.step:>3}. {r.op:<24}got grad_output {_fmt_shape(r.grad_output_shape):<12}"
             f" |g| = {r.grad_output_norm:.4g}"]
    for i in r.inputs:
        head = f"       input {i.index}: "
        if i.to == "constant":
            lines.append(head + "constant, needs no gradient")
        elif i.returned_shape is None:
            lines.append(head + f"no gradient (backward returned None) -> {i.to}")
        else:
            sent = f"sends {_fmt_shape(i.returned_shape)}"
            if i.summed:
                sent += f", summed to {_fmt_shape(i.input_shape)}"
            lines.append(head + f"{sent:<41} |g| = {i.norm:<10.4g} -> {i.to}")
    return "\n".join(lines)


HEADER = ("backward ran these ops, in reverse topological order (an op runs once every op "
          "that used its output\nhas sent its gradient). |g| is a gradient's norm; 'summed "
          "to' is the engine undoing broadcasting:")


class trace:
    """Show each op's backward as `backward()` runs it: the gradient it received, the
    shapes it returned per input (and what the engine summed them to), and their norms.

    >>> a = tg.tensor([1., 2.], requires_grad=True)
    >>> with tg.autograd.trace(params={"a": a}):
    ...     (a * 3).sum().backward()
    backward ran these ops, in reverse topological order (an op runs once every op ...
      1. SumBackward0            got grad_output ()           |g| = 1
           input 0: sends (2,)                                |g| = 1.414      -> MulBackward0
      2. MulBackward0            got grad_output (2,)         |g| = 1.414
           input 0: sends (2,)                                |g| = 4.243      -> .grad of a
           input 1: constant, needs no gradient

    `trace(show=False)` only collects: `t.records` is a list of `BackwardRecord`, and
    `print(t)` prints them all later (in a notebook, for instance). `params={'a': a}` names
    leaves. Only backward calls made in this thread, inside the block, are traced.
    """

    def __init__(self, show: bool = True, file: TextIO | None = None,
                 params: dict[str, Any] | None = None) -> None:
        self.show, self.file = show, file
        self.names = names_of(params)
        self.records: list[BackwardRecord] = []
        self._thread: int | None = None

    def __enter__(self) -> "trace":
        if self._thread is not None:
            raise RuntimeError("this trace() is already active; make a new one to nest")
        if not is_grad_enabled():
            # Not an error: backward() still runs under no_grad. But a learner who computes
            # the loss in here would get no graph, so say so before backward() complains.
            warnings.warn("trace() entered with grad mode off (inside no_grad()): operations "
                          "run here record no graph, so only a backward() through a graph "
                          "built earlier, with grad mode on, can be traced. Compute the loss "
                          "outside no_grad().", UserWarning, stacklevel=2)
        self._thread = threading.get_ident()
        hooks.after_backward.append(self._hook)
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        hooks.after_backward.remove(self._hook)
        self._thread = None
        if exc_type is None and not self.records:
            warnings.warn("trace(): no backward() ran inside the block, so nothing was traced",
                          UserWarning, stacklevel=2)

    def _hook(self, node: Function, grad_output: Any, grads: Sequence[Any]) -> None:
        if threading.get_ident() != self._thread:
            return  # another thread's backward
        inputs = []
        for i, parent in enumerate(node.parents):
            g = grads[i] if i < len(grads) else None
            shape = tuple(node.input_shapes[i])
            if parent is None:
                inputs.append(InputGrad(i, "constant", None, shape, None))
            elif g is None:
                inputs.append(InputGrad(i, destination(parent, self.names), None, shape, None))
            else:  # the engine sums the same way right after this hook
                summed = sum_to(node.xp, g, shape)
                inputs.append(InputGrad(i, destination(parent, self.names), tuple(g.shape),
                                        shape, grad_norm(parent.device, summed)))  # (after
                # .to(), the input's device is not the node's: the parent's is the one)
        try:
            ref = weakref.ref(node)
        except TypeError:  # only Function subclasses can be weakly referenced
            ref = _no_node
        record = BackwardRecord(len(self.records) + 1, node.name(), tuple(grad_output.shape),
                                grad_norm(node.device, grad_output), tuple(inputs), ref)
        self.records.append(record)
        if self.show:
            out = self.file if self.file is not None else sys.stdout
            if record.step == 1:
                print(HEADER, file=out)
            print(format_record(record), file=out)

    def __str__(self) -> str:
        if not self.records:
            return "trace: nothing recorded (no backward() ran inside the block)"
        return "\n".join([HEADER] + [format_record(r) for r in self.records])
