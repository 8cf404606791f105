"""The ops behind Python's arithmetic operators: + - * / ** @ and unary -.

Each backward returns gradients in the output's shape; the engine sums them back over
broadcast axes (engine.sum_to), so no op here deals with broadcasting.
`grad_output` is dL/d(out), the gradient arriving from above; each backward returns
dL/d(input) = grad_output · d(out)/d(input), the chain rule. An input may be a Python
number (a constant): its gradient is never asked for.
"""
from __future__ import annotations

from typing import Any

from ..autograd.engine import Function


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



# ---------------------------------------------------------------------------------------
# matrix product
# ---------------------------------------------------------------------------------------
class Matmul(Function):
    """out = a @ b;  d/da = g @ bᵀ, d/db = aᵀ @ g  (g = grad_output; per matrix of a batch)

    Why: out[i,j] = Σ_k a[i,k]·b[k,j], so dL/da[i,k] = Σ_j g[i,j]·b[k,j] = (g @ bᵀ)[i,k],
    and likewise dL/db[k,j] = Σ_i a[i,k]·g[i,j] = (aᵀ @ g)[k,j].

    A 1-D `a` acts as a row (1, k) and a 1-D `b` as a column (k, 1); matmul dropped those
    unit dims from `out`, so backward puts them back into g, applies the matrix formulas
    and drops them again. Batch dims that were broadcast are summed by the engine.
    """

    def forward(ctx, a, b):
        da, db = ctx.needs_input_grad
        ctx.save_for_backward(a if db else None, b if da else None)  # only what backward reads
        ctx.a_ndim, ctx.b_ndim = a.ndim, b.ndim
        return ctx.xp.matmul(a, b)

    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors  # None where not needed
        a_is_vector, b_is_vector = ctx.a_ndim == 1, ctx.b_ndim == 1
        if b_is_vector:  # b first: with both 1-D, grad_output is 0-d, then (1,), then (1, 1)
            grad_output = grad_output[..., None]
            b = b[:, None] if b is not None else None
        if a_is_vector:
            grad_output = grad_output[..., None, :]
            a = a[None, :] if a is not None else None
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = grad_output @ b.mT
            grad_a = grad_a[..., 0, :] if a_is_vector else grad_a
        if ctx.needs_input_grad[1]:
            grad_b = a.mT @ grad_output
            grad_b = grad_b[..., 0] if b_is_vector else grad_b
        return grad_a, grad_b
