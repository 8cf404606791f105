"""Elementwise functions (exp, log, relu, ...), selection (where, maximum, minimum), and
copies and casts. Python's operators + - * / ** @ are in arithmetic.py.

As there: each backward returns dL/d(input) = grad_output · d(out)/d(input) in the
output's shape, and the engine sums away broadcasting.
"""
from __future__ import annotations

from typing import Any

from ..autograd.engine import Function


# ---------------------------------------------------------------------------------------
# unary math
# ---------------------------------------------------------------------------------------
class Exp(Function):
    """out = e^a;  d/da = e^a = out"""

    def forward(ctx, a):
        out = ctx.xp.exp(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * out


class Log(Function):
    """out = ln a;  d/da = 1/a"""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.xp.log(a)

    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        return grad_output / a


class Sqrt(Function):
    """out = √a;  d/da = 1/(2√a) = 1/(2·out)"""

    def forward(ctx, a):
        out = ctx.xp.sqrt(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output / (2 * out)


class Abs(Function):
    """out = |a|;  d/da = sign(a), which is 0 at a == 0 (as torch)"""

    def forward(ctx, a):
        ctx.save_for_backward(a)
        return ctx.xp.abs(a)

    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        return grad_output * ctx.xp.sign(a)


class Relu(Function):
    """out = max(a, 0);  d/da = 0 where out <= 0, else 1 (0 at a == 0, and 1 at a NaN,
    which passes through: as torch)"""

    def forward(ctx, a):
        out = ctx.xp.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return ctx.xp.where(out <= 0, 0.0, grad_output)


class Sigmoid(Function):
    """out = 1 / (1 + e^-a);  d/da = out·(1 - out)"""

    def forward(ctx, a):
        xp = ctx.xp
        # e^-|a| never overflows: for a < 0 write σ(a) = e^a / (1 + e^a)
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * out * (1 - out)


class Tanh(Function):
    """out = tanh a;  d/da = 1 - out²"""

    def forward(ctx, a):
        out = ctx.xp.tanh(a)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * (1 - out * out)


class Clamp(Function):
    """out = min(max(a, low), high);  d/da = 1 where low <= a <= high, else 0

    The bounds count as inside, as in torch, so a value sitting on a bound keeps its grad.
    """

    def forward(ctx, a, low=None, high=None):
        ctx.save_for_backward(a)
        ctx.low, ctx.high = low, high
        return ctx.xp.clip(a, low, high)

    def backward(ctx, grad_output):
        (a,) = ctx.saved_tensors
        inside = True
        if ctx.low is not None:
            inside = a >= ctx.low
        if ctx.high is not None:
            inside = inside & (a <= ctx.high) if ctx.low is not None else a <= ctx.high
        return ctx.xp.where(inside, grad_output, 0.0)


# ---------------------------------------------------------------------------------------
# selection between two inputs
# ---------------------------------------------------------------------------------------
class Where(Function):
    """out = a where cond else b;  d/da = cond, d/db = not cond (cond gets no gradient)"""

    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return ctx.xp.where(cond, a, b)

    def backward(ctx, grad_output):
        (cond,) = ctx.saved_tensors
        xp = ctx.xp
        _, da, db = ctx.needs_input_grad
        return (None, xp.where(cond, grad_output, 0.0) if da else None,
                xp.where(cond, 0.0, grad_output) if db else None)


class Maximum(Function):
    """out = max(a, b);  d/da = 1 unless a < b, d/db = 1 unless b < a; a tie splits 1/2-1/2
    (torch's rule, which also sends a NaN's gradient to both sides)"""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.maximum(a, b)

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return _split(ctx, grad_output, a < b, b < a, a == b)


class Minimum(Function):
    """out = min(a, b);  d/da = 1 unless a > b, d/db = 1 unless b > a; a tie splits 1/2-1/2"""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.xp.minimum(a, b)

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        return _split(ctx, grad_output, a > b, b > a, a == b)


def _split(ctx: Any, grad_output: Any, a_loses: Any, b_loses: Any, tie: Any) -> tuple:
    """The gradient goes to each side except where it lost; at a tie each gets half."""
    xp = ctx.xp
    da, db = ctx.needs_input_grad
    shared = xp.where(tie, grad_output / 2, grad_output)
    return (xp.where(a_loses, 0.0, shared) if da else None,
            xp.where(b_loses, 0.0, shared) if db else None)


# ---------------------------------------------------------------------------------------
# copies and casts
# ---------------------------------------------------------------------------------------
class Clone(Function):
    """out = a (a new array; in row-major order with contiguous=True);  d/da = 1"""

    def forward(ctx, a, contiguous=False):
        return ctx.device.contiguous_copy(a) if contiguous else ctx.xp.asarray(a, copy=True)

    def backward(ctx, grad_output):
        return grad_output


class Cast(Function):
    """out = a converted to another dtype;  d/da = 1, converted back to a's dtype"""

    def forward(ctx, a, dtype):
        ctx.in_dtype = a.dtype
        return ctx.xp.astype(a, dtype)

    def backward(ctx, grad_output):
        return ctx.xp.astype(grad_output, ctx.in_dtype)


class ToDevice(Function):
    """out = a copied to another device (explicitly: .to('cuda'), .cpu());
    d/da = g copied back"""

    def forward(ctx, a, device):
        ctx.target = device
        return device.from_numpy(ctx.device.to_numpy(a))

    def backward(ctx, grad_output):
        return ctx.device.from_numpy(ctx.target.to_numpy(grad_output))
