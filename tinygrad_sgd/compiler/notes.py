"""Where a recorded operation came from, read off the Python call stack.

The generated code annotates each line with the op that made it (`# MeanBackward0` inside
Mean's backward, `# Mul` in Mul's forward, `# SGD.step` in the optimizer), and a graph
break names the user's line that caused it. Both are found by walking the frames above
the recorder: library frames say which op is running, the first frame outside the
library is the user's step.
"""
from __future__ import annotations

import linecache
import os
import sys
from types import FrameType

from ..autograd.engine import Function

_COMPILE = os.path.dirname(os.path.abspath(__file__)) + os.sep  # this package: skipped
_LIBRARY = os.path.dirname(_COMPILE.rstrip(os.sep)) + os.sep  # tinygrad_sgd itself

# library functions that only pass a call along: the note names what called them
_PLUMBING = {"wrapper", "decorate_context", "inner", "__call__", "__enter__", "__exit__",
             "apply", "binary", "operand"}

# the library function through which the step read a tensor's value -> how to say it
_READS = {"item": ".item() of a tensor", "tolist": ".tolist() of a tensor",
          "__bool__": "bool() of a tensor (Python control flow on a tensor's value)",
          "__float__": "float() of a tensor", "__int__": "int() of a tensor",
          "__index__": "a tensor used as a Python int", "__repr__": "printing a tensor",
          "__str__": "printing a tensor", "__format__": "printing a tensor",
          "numpy": "a tensor converted to numpy", "__array__": "a tensor converted to numpy"}


def _frames() -> list[FrameType]:
    """The caller's caller's frame and every frame above it, innermost first."""
    frame = sys._getframe(2)
    found = []
    while frame is not None:
        found.append(frame)
        frame = frame.f_back
    return found


def op_note() -> str:
    """The op a recorded operation came from: `MulBackward0` inside Mul's backward, `Mul`
    in its forward, else the library function the step called (`sub_`, `SGD.step`)."""
    last = None
    for frame in _frames():
        path = frame.f_code.co_filename
        if path.startswith(_COMPILE):
            continue
        if not path.startswith(_LIBRARY):
            break  # the user's code: the last library function seen is the answer
        name = frame.f_code.co_name
        if name in ("forward", "backward"):
            ctx = frame.f_locals.get("ctx")
            if isinstance(ctx, Function):
                return ctx.name() if name == "backward" else type(ctx).__name__
        if name == "_accumulate_grad":
            return "AccumulateGrad"
        if name == "root_gradient":
            return "backward() starts from 1"
        if name in _PLUMBING or name.startswith("_"):
            continue
        owner = frame.f_locals.get("self")
        last = name
        if owner is not None and name == "step":
            last = f"{type(owner).__name__}.step"
    return last or ""


def user_read() -> str | None:
    """If the step itself (not the library) reads a tensor's value here, the library
    function it called to do so; None for a read inside the library (a check)."""
    entry = None
    for frame in _frames():
        path = frame.f_code.co_filename
        if path.startswith(_COMPILE):
            continue
        if not path.startswith(_LIBRARY):
            if entry in _READS or entry is None:
                return entry
            return None
        entry = frame.f_code.co_name
    return None


def read_reason(entry: str | None) -> str:
    """A graph break's reason for the step reading a value through `entry`."""
    return _READS.get(entry or "", "a tensor's value read by numpy")


def user_line() -> str:
    """`file.py:12 \\`the line\\``: the innermost line of the user's code on the stack."""
    for frame in _frames():
        path = frame.f_code.co_filename
        if not path.startswith(_LIBRARY):
            line = linecache.getline(path, frame.f_lineno).strip()
            return f"{os.path.basename(path)}:{frame.f_lineno} `{line}`"
    return "?"
