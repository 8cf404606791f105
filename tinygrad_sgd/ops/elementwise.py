"""Elementwise ops. Each backward returns gradients in the output's shape; the engine sums
them back over broadcast axes (function.sum_to), so no op here deals with broadcasting.

`g` (grad_output in the code) is dL/d(out), the gradient arriving from above; each backward
returns dL/d(input) = g · d(out)/d(input), the chain rule.
An input may be a Python scalar (a constant): its gradient is never asked for.
"""
from __future__ import annotations

from typing import Any

from ..function import Function


# ---------------------------------------------------------------------------------------
# arithmetic
# ---------------------------------------------------------------------------------------
class Add(Function):
    """out = a + b;  d/da = 1, d/db = 1"""

    def forward(ctx, a, b):
        return a + b

    def backward(ctx, grad_output):
        return grad_output, grad_output


class Sub(Function):
    """out = a - b;  d/da = 1, d/db = -1"""

    def forward(ctx, a, b):
        return a - b

    def backward(ctx, grad_output):
        return grad_output, (-grad_output if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """out = a * b;  d/da = b, d/db = a"""

    def forward(ctx, a, b):
        da, db = ctx.needs_input_grad
        ctx.save_for_backward(a if db else None, b if da else None)  # only what backward reads
        return a * b

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (grad_output * b if da else None), (grad_output * a if db else None)


class Div(Function):
    """out = a / b;  d/da = 1/b, d/db = -a/b²"""

    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        da, db = ctx.needs_input_grad
        return (grad_output / b if da else None), (-grad_output * a / (b * b) if db else None)


class Neg(Function):
    """out = -a;  d/da = -1"""

    def forward(ctx, a):
        return -a

    def backward(ctx, grad_output):
        return -grad_output


class Pow(Function):
    """out = a ** b;  d/da = b·a^(b-1), d/db = out·ln(a)

    As torch: d/da is 0 where b == 0 (even at a == 0), and d/db is 0 where a == 0 and
    b >= 0 (there 0^b is flat in b, although ln 0 = -inf).
    """

    def forward(ctx, a, b):
        xp = ctx.xp
        if not isinstance(b, (int, float)) and b.dtype != xp.float32 and b.dtype != xp.float64:
            out = _integer_power(xp, a, b)
        else:
            out = a ** b
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out

    def backward(ctx, grad_output):
        a, b, out = ctx.saved_tensors
        xp = ctx.xp
        da = db = None
        if ctx.needs_input_grad[0]:
            if isinstance(b, (int, float)):  # a constant exponent, as in the usual x ** 2
                if b == 0:
                    da = xp.zeros_like(a)
                else:
                    # b·a^(b-1)·g, multiplied in place into one new array: on a big tensor
                    # every temporary is another copy of it in memory (and for b = 2, no a**1)
                    da = a * 2 if b == 2 else a ** (b - 1) * b
                    da *= grad_output
            else:
                da = grad_output * xp.where(b == 0, 0.0, b * a ** (b - 1))
        if ctx.needs_input_grad[1]:
            db = grad_output * xp.where((a == 0) & (b >= 0), 0.0, out * xp.log(a))
        return da, db


def _integer_power(xp: Any, a: Any, b: Any) -> Any:
    """a ** b for integer arrays, with torch's answer for negative exponents (an integer
    result: 1/a^|b| truncated, so 0 except for a = 1 and a = -1) where numpy raises."""
    negative = b < 0
    out = a ** xp.where(negative, 0, b)
    if not bool(xp.any(negative)):
        return out
    odd = b % 2 != 0
    special = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0))
    return xp.where(negative, xp.astype(special, out.dtype), out)


# ---------------------------------------------------------------------------------------
# unary math
# ---------------------------------------------------------------------------------------
class Reciprocal(Function):
    """out = 1/a;  d/da = -1/a² = -out²  (number / x is computed as x's reciprocal times
    the number, as torch does, so backward needs only the output)"""

    def forward(ctx, a):
        out = 1 / a
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return -grad_output * out * out


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
    """out = max(a, 0);  d/da = 1 where a > 0, else 0 (0 at a == 0, as torch)"""

    def forward(ctx, a):
        out = ctx.xp.maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return ctx.xp.where(out > 0, grad_output, 0.0)


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

    changes_device = True

    def forward(ctx, a, device):
        ctx.target = device
        return device.from_numpy(ctx.device.to_numpy(a))

    def backward(ctx, grad_output):
        return ctx.device.from_numpy(ctx.target.to_numpy(grad_output))
