"""detect_anomaly(): which op's backward first made a nan or an inf, and where the user's
code called that op. It attaches to the engine's hook points (engine.hooks): `on_record`
notes where each new node was made, `after_backward` checks each node's gradients.
"""
from __future__ import annotations

import functools
import os
import sys
import traceback
from typing import Any, Callable, Sequence

from .engine import Function, hooks

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_check_nan = True


@functools.lru_cache(maxsize=None)
def _in_package(filename: str) -> bool:
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


def _note_forward_location(node: Function) -> None:
    """Called by Function.apply (hooks.on_record) for every new node while anomaly mode is
    on: keep where the user's code (not the library's) called this op: up to 4 frames,
    innermost first. Only names and line numbers here; the source lines are read if an
    error is shown."""
    frames = []
    frame = sys._getframe(1)
    while frame is not None and len(frames) < 4:
        code = frame.f_code
        if not _in_package(code.co_filename):
            frames.append((code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    node.forward_frames = frames


def _forward_location(node: Function) -> str:
    frames = getattr(node, "forward_frames", None)
    if frames is None:
        return ("Where its forward op was called is unknown: the op ran before anomaly "
                "detection was turned on. Run the forward inside detect_anomaly() too.")
    if not frames:
        return "Its forward op was called from inside tinygrad_sgd itself."
    summaries = [traceback.FrameSummary(file, line, name) for file, line, name in frames]
    where = "".join(traceback.format_list(summaries[::-1])).rstrip()
    return f"Its forward op was called here (most recent call last):\n{where}"


def _derivative(node: Function) -> str:
    """The op's formula: the first line of its docstring (`out = √a;  d/da = ...`)."""
    doc = (type(node).__doc__ or "").strip().splitlines()
    return f": {doc[0].strip()}" if doc else ""


def _not_finite(xp: Any, array: Any) -> str | None:
    """'nan' or 'inf' if the array holds one (nan first), else None."""
    if bool(xp.all(xp.isfinite(array))):
        return None
    return "nan" if bool(xp.any(xp.isnan(array))) else "inf"


def _check_backward(node: Function, grad_output: Any, grads: Sequence[Any]) -> None:
    """A backward hook: raise at the first node whose backward returned a nan or an inf."""
    if not _check_nan:
        return
    xp = node.xp
    bad_in = _not_finite(xp, grad_output)
    if bad_in is not None:
        # Every earlier node passed this check, so the bad values came from outside them.
        raise RuntimeError(
            f"The gradient arriving at '{node.name()}' already holds {bad_in} values before "
            f"its backward ran: it was passed to backward(gradient=...), or finite gradients "
            f"from several uses of this op's output added up to inf.\n"
            f"{_forward_location(node)}")
    for i, g in enumerate(grads):
        if g is None:
            continue
        bad = _not_finite(xp, g)
        if bad is not None:
            ordinal = f"{i}th"  # torch's wording: "in its 0th output"
            raise RuntimeError(
                f"Function '{node.name()}' returned {bad} values in its {ordinal} output.\n"
                f"The gradient it received was finite, so the {bad} first appeared in the "
                f"derivative of {type(node).__name__}\nfor its input {i}, of shape "
                f"{tuple(node.input_shapes[i])}{_derivative(node)}\n{_forward_location(node)}")


def is_anomaly_enabled() -> bool:
    """True while detect_anomaly() (or set_detect_anomaly(True)) is on."""
    return _note_forward_location in hooks.on_record


def _set_anomaly(mode: bool, check_nan: bool = True) -> None:
    global _check_nan
    _check_nan = check_nan
    if mode and not is_anomaly_enabled():
        hooks.on_record.append(_note_forward_location)
        hooks.after_backward.append(_check_backward)
    elif not mode and is_anomaly_enabled():
        hooks.on_record.remove(_note_forward_location)
        hooks.after_backward.remove(_check_backward)


class set_detect_anomaly:
    """Turn anomaly detection on or off: as a call, or as a context manager that restores
    the previous setting on exit.

    >>> tg.autograd.set_detect_anomaly(True)    # on from now on
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = (is_anomaly_enabled(), _check_nan)
        _set_anomaly(bool(mode), check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _set_anomaly(*self.prev)


class detect_anomaly(set_detect_anomaly):
    """Inside this block, backward() raises RuntimeError at the first op whose backward
    returns a nan or an inf, naming the op and the line of your code that called it.

    >>> x = tg.tensor([0., 4.], requires_grad=True)
    >>> with tg.autograd.detect_anomaly():
    ...     x.sqrt().sum().backward()
    Traceback (most recent call last):
    RuntimeError: Function 'SqrtBackward0' returned inf values in its 0th output.
    ...

    It costs time (each new op records where it was called, each gradient is checked),
    so use it to find a bug, not for training. As in torch, it is on for every thread.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self.prev = (is_anomaly_enabled(), _check_nan)
        _set_anomaly(True, self.check_nan)

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


# loaded on first use, after the package's annotations were resolved: resolve ours too
from .. import helptext as _helptext  # noqa: E402

_helptext.resolve(sys.modules[__name__])
