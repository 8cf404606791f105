"""Exact rewrites: a recorded numpy call written as a faster route to the very same bits.

Only on the CPU (numpy arrays), and only where the result is the same bit for bit whatever
the values are (NaN payloads, -0.0 and inf included). Each rewrite is also tried once on the
traced arrays, and is used only if it reproduces the traced result's bytes and layout.

- `xp.where(c, 0.0, x)` and `xp.where(c, x, 0.0)` (ReLU's backward and many others mask
  a gradient this way): numpy's where branches per element, and on a mask that depends on
  the data the mispredicted branches cost several times the work itself. 0.0 is the
  all-zero bit pattern, so the result is x's bits where they are kept and zero elsewhere:
  `x_bits & keep`, with `keep = c - 1` (all ones where c is false, 0 where it is true) or
  `keep = -c` (all ones where c is true), computed on integers without a branch.
- `xp.take_along_axis(a, i, axis)` is the fancy index numpy builds for it, `a[rows, i]`,
  with the aranges of the other axes made once, while tracing (constants).
- `xp.reshape(a, ...)` and `xp.squeeze(a, ...)` as the array's own method, which is what
  numpy's functions call after their dispatch.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .. import backend
from ..backend.cpu import BRANCHY, SAME_WIDTH_INT, plain_zero
from .record import Op, Recorder, Ref

_METHODS = ("reshape", "squeeze")  # numpy's functions that call the array's method


def lines(op: Op, rec: Recorder, src: Any, names: dict[int, str], buffers: dict[str, Any],
          unique: Callable[[str], str], buffered: bool) -> list[tuple[str, str]] | None:
    """The op's lines (source, note) by an exact faster route, or None to keep it as
    recorded. `buffered`: its result may be written into a buffer kept between calls."""
    if op.kind != "call" or type(op.what) is not tuple or op.what[0] != "xp":
        return None
    if type(op.real) is not np.ndarray or op.what[1] is not backend.CPU:
        return None
    name = op.what[2]
    if name == "where":
        return _where(op, rec, src, names, buffers, unique, buffered)
    if name == "take_along_axis":
        return _take_along_axis(op, rec, src, names)
    if name in _METHODS and op.args and isinstance(op.args[0], Ref) \
            and type(rec.vars[op.args[0].id].a) is np.ndarray:
        line = f"{names[op.out]} = {src.src(op.args[0])}.{name}(" \
               f"{src.call_args(op.args[1:], op.kwargs)})"
        return [(line, op.note)]
    return None


def _where(op: Op, rec: Recorder, src: Any, names: dict[int, str], buffers: dict[str, Any],
           unique: Callable[[str], str], buffered: bool) -> list[tuple[str, str]] | None:
    if op.kwargs or len(op.args) != 3 or not isinstance(op.args[0], Ref):
        return None
    c, a, b = op.args
    if plain_zero(a) and isinstance(b, Ref):
        x, keep_if = b, False  # where(c, 0, x): x where c is false
    elif plain_zero(b) and isinstance(a, Ref):
        x, keep_if = a, True  # where(c, x, 0): x where c is true
    else:
        return None
    cond, xa, real = rec.vars[c.id].a, rec.vars[x.id].a, op.real
    if type(cond) is not np.ndarray or cond.dtype != np.bool_ or type(xa) is not np.ndarray:
        return None
    bits = SAME_WIDTH_INT.get(real.dtype)  # the conditions of the eager route, FastNumpy.where
    if xa.dtype != real.dtype or bits is None or real.size < BRANCHY or \
            real.shape != np.broadcast_shapes(cond.shape, xa.shape):
        return None
    keep = np.subtract(cond, 1, dtype=bits) if not keep_if else np.negative(cond, dtype=bits)
    out = np.empty_like(real).view(bits) if buffered else None
    got = np.bitwise_and(xa.view(bits), keep, out=out).view(real.dtype)
    if got.tobytes() != real.tobytes() or got.strides != real.strides:
        return None
    bt, dt = f"np.{bits.name}", f"np.{real.dtype.name}"
    cname, xname, result = src.src(c), src.src(x), names[op.out]
    mask = unique(f"{result}_keep")
    mask_call = f"np.subtract({cname}, 1" if not keep_if else f"np.negative({cname}"
    first = f"{mask} = {mask_call}, dtype={bt}"
    second = f"{result} = np.bitwise_and({xname}.view({bt}), {mask}"
    if buffered:
        buffers[f"_{mask}"] = np.empty_like(keep)
        buffers[f"_{result}"] = out
        first += f", out=_{mask}"
        second += f", out=_{result}"
    first += ")"
    second += f").view({dt})"
    zero, kept = ("0.0", xname) if not keep_if else (xname, "0.0")
    return [(first, f"{op.note}: xp.where({cname}, {zero}, {kept}) without branches"),
            (second, f"{op.note}: {xname}'s bits, 0 where not kept")]


def _take_along_axis(op: Op, rec: Recorder, src: Any,
                     names: dict[int, str]) -> list[tuple[str, str]] | None:
    args = list(op.args)
    kwargs = dict(op.kwargs)
    if len(args) == 3:
        kwargs["axis"] = args.pop()
    if len(args) != 2 or set(kwargs) != {"axis"} or type(kwargs["axis"]) is not int:
        return None
    if not all(isinstance(a, Ref) for a in args):
        return None
    arr, idx = (rec.vars[a.id].a for a in args)
    if type(arr) is not np.ndarray or type(idx) is not np.ndarray or idx.dtype.kind not in "iu" \
            or arr.ndim != idx.ndim or arr.ndim == 0:
        return None
    axis = kwargs["axis"] % arr.ndim
    key: list[Any] = []
    real_key: list[Any] = []
    for d, n in enumerate(arr.shape):  # numpy's _make_along_axis_idx, the aranges once
        if d == axis:
            key.append(args[1])
            real_key.append(idx)
        else:
            shape = [1] * arr.ndim
            shape[d] = -1
            rows = np.arange(n).reshape(shape)
            key.append(rows)
            real_key.append(rows)
    got = arr[tuple(real_key)]
    if got.tobytes() != op.real.tobytes() or got.strides != op.real.strides:
        return None
    for k in key:
        if type(k) is np.ndarray:
            src.const(k, "rows")
    line = f"{names[op.out]} = {src.src(args[0])}[{src.key(tuple(key))}]"
    return [(line, f"{op.note} (take_along_axis)")]
