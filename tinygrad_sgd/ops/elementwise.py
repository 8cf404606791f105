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
    """out = e^u;  d/du = e^u = out"""

    def forward(ctx, u):
        out = ctx.xp.exp(u)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * out


class Log(Function):
    """out = ln u;  d/du = 1/u"""

    def forward(ctx, u):
        ctx.save_for_backward(u)
        return ctx.xp.log(u)

    def backward(ctx, grad_output):
        (u,) = ctx.saved_tensors
        return grad_output / u


class Sqrt(Function):
    """out = √u;  d/du = 1/(2√u) = 1/(2·out)"""

    def forward(ctx, u):
        out = ctx.xp.sqrt(u)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output / (2 * out)


class Abs(Function):
    """out = |u|;  d/du = sign(u), which is 0 at u == 0 (as torch)"""

    def forward(ctx, u):
        ctx.save_for_backward(u)
        return ctx.xp.abs(u)

    def backward(ctx, grad_output):
        (u,) = ctx.saved_tensors
        return grad_output * ctx.xp.sign(u)


class Relu(Function):
    """out = max(u, 0);  d/du = 0 where out <= 0, else 1 (0 at u == 0, and 1 at a NaN,
    which passes through: as torch)"""

    def forward(ctx, u):
        out = ctx.xp.maximum(u, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return ctx.xp.where(out <= 0, 0.0, grad_output)


class Sigmoid(Function):
    """out = 1 / (1 + e^-u);  d/du = out·(1 - out)"""

    def forward(ctx, u):
        xp = ctx.xp
        # e^-|u| never overflows: for u < 0 write σ(u) = e^u / (1 + e^u)
        e = xp.exp(-xp.abs(u))
        out = xp.where(u >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * out * (1 - out)


class Tanh(Function):
    """out = tanh u;  d/du = 1 - out²"""

    def forward(ctx, u):
        out = ctx.xp.tanh(u)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * (1 - out * out)


class Clamp(Function):
    """out = min(max(u, low), high);  d/du = 1 where low <= u <= high, else 0

    The bounds count as inside, as in torch, so a value sitting on a bound keeps its grad.
    """

    def forward(ctx, u, low=None, high=None):
        ctx.save_for_backward(u)
        ctx.low, ctx.high = low, high
        return ctx.xp.clip(u, low, high)

    def backward(ctx, grad_output):
        (u,) = ctx.saved_tensors
        inside = True
        if ctx.low is not None:
            inside = u >= ctx.low
        if ctx.high is not None:
            inside = inside & (u <= ctx.high) if ctx.low is not None else u <= ctx.high
        return ctx.xp.where(inside, grad_output, 0.0)


# ---------------------------------------------------------------------------------------
# selection between two inputs
# ---------------------------------------------------------------------------------------
class Where(Function):
    """out = u where cond else v;  d/du = cond, d/dv = not cond (cond gets no gradient)"""

    def forward(ctx, cond, u, v):
        ctx.save_for_backward(cond)
        return ctx.xp.where(cond, u, v)

    def backward(ctx, grad_output):
        (cond,) = ctx.saved_tensors
        xp = ctx.xp
        _, du, dv = ctx.needs_input_grad
        return (None, xp.where(cond, grad_output, 0.0) if du else None,
                xp.where(cond, 0.0, grad_output) if dv else None)


class Maximum(Function):
    """out = max(u, v);  d/du = 1 unless u < v, d/dv = 1 unless v < u; a tie splits 1/2-1/2
    (torch's rule, which also sends a NaN's gradient to both sides)"""

    def forward(ctx, u, v):
        ctx.save_for_backward(u, v)
        return ctx.xp.maximum(u, v)

    def backward(ctx, grad_output):
        u, v = ctx.saved_tensors
        return _split(ctx, grad_output, u < v, v < u, u == v)


class Minimum(Function):
    """out = min(u, v);  d/du = 1 unless u > v, d/dv = 1 unless v > u; a tie splits 1/2-1/2"""

    def forward(ctx, u, v):
        ctx.save_for_backward(u, v)
        return ctx.xp.minimum(u, v)

    def backward(ctx, grad_output):
        u, v = ctx.saved_tensors
        return _split(ctx, grad_output, u > v, v > u, u == v)


def _split(ctx: Any, grad_output: Any, u_loses: Any, v_loses: Any, tie: Any) -> tuple:
    """The gradient goes to each side except where it lost; at a tie each gets half."""
    xp = ctx.xp
    du, dv = ctx.needs_input_grad
    shared = xp.where(tie, grad_output / 2, grad_output)
    return (xp.where(u_loses, 0.0, shared) if du else None,
            xp.where(v_loses, 0.0, shared) if dv else None)


# ---------------------------------------------------------------------------------------
# copies and casts
# ---------------------------------------------------------------------------------------
class Clone(Function):
    """out = u (a new array; in row-major order with contiguous=True);  d/du = 1"""

    def forward(ctx, u, contiguous=False):
        return ctx.device.contiguous_copy(u) if contiguous else ctx.xp.asarray(u, copy=True)

    def backward(ctx, grad_output):
        return grad_output


class Cast(Function):
    """out = u converted to another dtype;  d/du = 1, converted back to u's dtype"""

    def forward(ctx, u, dtype):
        ctx.in_dtype = u.dtype
        return ctx.xp.astype(u, dtype)

    def backward(ctx, grad_output):
        return ctx.xp.astype(grad_output, ctx.in_dtype)


class ToDevice(Function):
    """out = u copied to another device (explicitly: .to('cuda'), .cpu());
    d/du = g copied back"""

    def forward(ctx, u, device):
        ctx.source, ctx.device = ctx.device, device  # the result is made on ctx.device
        return device.from_numpy(ctx.source.to_numpy(u))

    def backward(ctx, grad_output):
        return ctx.source.from_numpy(ctx.device.to_numpy(grad_output))
