"""`repr(tensor)` in torch's format, so printed losses read like the lesson's:
`tensor(8.8945, grad_fn=<MeanBackward0>)`, `tensor([-1.,  1.], requires_grad=True)`.

The rules are torch's (torch/_tensor_str.py): one width for every element; floats print
with 4 decimals, as `3.` when all are whole numbers, and in scientific notation when the
values span more than 1000x or leave [1e-4, 1e8]; more than 1000 elements are summarized
with 3 items at each edge.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np  # printing reads values on the host

from . import dtypes

PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = 4, 1000, 3, 80


class _Formatter:
    """Chooses one format (integer-like, fixed or scientific) and one width for all values."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating, self.int_mode, self.sci_mode, self.width = floating, True, False, 1
        flat = values.reshape(-1)
        if not floating:
            self.width = max([len(str(v)) for v in flat.tolist()] + [1])
            return
        finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if finite.size == 0:
            return
        absolute = np.abs(finite)
        lo, hi = absolute.min(), absolute.max()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        if self.int_mode:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8
            strs = [f"{v:.{PRECISION}e}" if self.sci_mode else f"{v:.0f}." for v in finite]
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
            fmt = "e" if self.sci_mode else "f"
            strs = [f"{v:.{PRECISION}{fmt}}" for v in finite.tolist()]
        self.width = max(len(s) for s in strs)

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:.{PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRECISION}f}"
        return text.rjust(self.width)


def _edges(values: np.ndarray) -> np.ndarray:
    """The values a summarized print shows (edge items of every dimension)."""
    if values.ndim == 0 or values.shape[0] <= 2 * EDGEITEMS:
        parts = [values[i] for i in range(values.shape[0])] if values.ndim else [values]
    else:
        parts = [values[i] for i in (*range(EDGEITEMS), *range(-EDGEITEMS, 0))]
    if values.ndim <= 1:
        return np.asarray(parts).reshape(-1)
    return np.concatenate([_edges(p).reshape(-1) for p in parts])


def _body(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    n = values.shape[0]
    cut = summarize and n > 2 * EDGEITEMS
    rows = (*range(EDGEITEMS), None, *range(n - EDGEITEMS, n)) if cut else range(n)
    if values.ndim == 1:
        items = [" ..." if i is None else fmt.format(values[i].item()) for i in rows]
        per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if i is None else _body(values[i], indent + 1, summarize, fmt) for i in rows]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def tensor_repr(t: Any, prefix: str = "tensor(") -> str:
    values = t.device.to_numpy(t._data)
    indent = len(prefix)
    summarize = values.size > THRESHOLD
    suffixes = []
    if values.size == 0:
        body = "[]"
    else:
        fmt = _Formatter(_edges(values) if summarize else values, t.dtype.is_floating_point)
        body = _body(values, indent, summarize, fmt)
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device.type}:0'")
    if values.size == 0 and values.shape != (0,):
        suffixes.append(f"size={tuple(values.shape)}")
    # the dtype is shown when not the default one for the values; an empty tensor has no
    # values to tell, so then it is shown unless float32 (torch's rule)
    if (t.dtype is not dtypes.float32 if values.size == 0
            else t.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_)):
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        suffixes.append("requires_grad=True")
    # torch's rule for where suffixes go: same line if it fits in 80 columns
    out, last = [prefix + body], len(prefix + body) - (prefix + body).rfind("\n") + 1
    for suffix in suffixes:
        if last + len(suffix) + 2 > LINEWIDTH:
            out.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
        else:
            out.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(out) + ")"
