"""The ops behind Python's arithmetic operators: + - * / ** @ and unary -.

Each backward returns gradients in the output's shape; the engine sums them back over
broadcast axes (engine.sum_to), so no op here deals with broadcasting.
`grad_output` is dL/d(out), the gradient arriving from above; each backward returns
dL/d(input) = grad_output · d(out)/d(input), the chain rule. An input may be a Python
number (a constant): its gradient is never asked for. The inputs are called u and v (the
lesson's a and x are the tensors you pass in, not these names).
"""
from __future__ import annotations

from typing import Any

from ..autograd.engine import Function


# ---------------------------------------------------------------------------------------
# arithmetic
# ---------------------------------------------------------------------------------------
class Add(Function):
    """out = u + v;  d/du = 1, d/dv = 1"""

    def forward(ctx, u, v):
        return u + v

    def backward(ctx, grad_output):
        return grad_output, grad_output


class Sub(Function):
    """out = u - v;  d/du = 1, d/dv = -1"""

    def forward(ctx, u, v):
        return u - v

    def backward(ctx, grad_output):
        return grad_output, (-grad_output if ctx.needs_input_grad[1] else None)


class Mul(Function):
    """out = u * v;  d/du = v, d/dv = u"""

    def forward(ctx, u, v):
        du, dv = ctx.needs_input_grad
        ctx.save_for_backward(u if dv else None, v if du else None)  # only what backward reads
        return u * v

    def backward(ctx, grad_output):
        u, v = ctx.saved_tensors
        du, dv = ctx.needs_input_grad
        return (grad_output * v if du else None), (grad_output * u if dv else None)


class Div(Function):
    """out = u / v;  d/du = 1/v, d/dv = -u/v²"""

    def forward(ctx, u, v):
        ctx.save_for_backward(u if ctx.needs_input_grad[1] else None, v)
        return u / v

    def backward(ctx, grad_output):
        u, v = ctx.saved_tensors
        du, dv = ctx.needs_input_grad
        return (grad_output / v if du else None), (-grad_output * u / (v * v) if dv else None)


class Neg(Function):
    """out = -u;  d/du = -1"""

    def forward(ctx, u):
        return -u

    def backward(ctx, grad_output):
        return -grad_output


class Pow(Function):
    """out = u ** c for a number c;  d/du = c·u^(c-1)  (0 where c == 0, even at u == 0, as
    torch)"""

    def forward(ctx, u, c):
        ctx.save_for_backward(u)
        ctx.c = c
        return u ** c

    def backward(ctx, grad_output):
        (u,) = ctx.saved_tensors
        du = u * 2 if ctx.c == 2 else _slope(ctx.xp, u, ctx.c)  # (x ** 2: no u ** 1 copy)
        du *= grad_output  # in place: one new array in all (a big tensor's memory counts)
        return du, None  # (c is a number: no gradient)


class PowTensor(Function):
    """out = u ** v, elementwise, v a tensor;  d/du = v·u^(v-1), d/dv = out·ln(u)

    As torch: d/du is 0 where v == 0 (even at u == 0), and d/dv is 0 where u == 0 and
    v >= 0 (there 0^v is flat in v, although ln 0 = -inf).
    """

    torch_name = "PowBackward1"  # (torch's name for a tensor exponent)

    def forward(ctx, u, v):
        integers = not ctx.xp.isdtype(v.dtype, "real floating")
        out = _integer_power(ctx.xp, u, v) if integers else u ** v
        ctx.save_for_backward(u, v, out if ctx.needs_input_grad[1] else None)
        return out

    def backward(ctx, grad_output):
        u, v, out = ctx.saved_tensors
        du = dv = None
        if ctx.needs_input_grad[0]:
            du = _slope(ctx.xp, u, v)
            du *= grad_output
        if ctx.needs_input_grad[1]:
            dv = grad_output * ctx.xp.where((u == 0) & (v >= 0), 0.0, out * ctx.xp.log(u))
        return du, dv


def _slope(xp: Any, u: Any, v: Any) -> Any:
    """d(u ** v)/du = v·u^(v-1), as a new array; 0 where v == 0 (even at u == 0), as torch."""
    if not isinstance(v, (int, float)):
        return xp.where(v == 0, 0.0, v * u ** (v - 1))
    if v == 0:
        return xp.zeros_like(u)
    return u ** (v - 1) * v


def _integer_power(xp: Any, u: Any, v: Any) -> Any:
    """u ** v for integer arrays, with torch's answer for negative exponents (an integer
    result: 1/u^|v| truncated, so 0 except for u = 1 and u = -1) where numpy raises."""
    negative = v < 0
    out = u ** xp.where(negative, 0, v)
    if not bool(xp.any(negative)):
        return out
    odd = v % 2 != 0
    special = xp.where(u == 1, 1, xp.where(u == -1, xp.where(odd, -1, 1), 0))
    return xp.where(negative, xp.astype(special, out.dtype), out)


class Reciprocal(Function):
    """out = 1/u;  d/du = -1/u² = -out²  (number / x is computed as x's reciprocal times
    the number, as torch does, so backward needs only the output)"""

    def forward(ctx, u):
        out = 1 / u
        ctx.save_for_backward(out)
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return -grad_output * out * out



# ---------------------------------------------------------------------------------------
# matrix product
# ---------------------------------------------------------------------------------------
class Mv(Function):
    """out = U v, a matrix times a vector;  d/dU = g vᵀ (an outer product), d/dv = Uᵀ g
    (g = grad_output). The lesson's `x @ a`.

    Why: out[i] = Σ_k U[i,k]·v[k], so dL/dU[i,k] = g[i]·v[k] and dL/dv[k] = Σ_i U[i,k]·g[i].
    """

    def forward(ctx, u, v):
        du, dv = ctx.needs_input_grad
        ctx.save_for_backward(u if dv else None, v if du else None)  # only what backward reads
        return ctx.xp.matmul(u, v)

    def backward(ctx, grad_output):
        u, v = ctx.saved_tensors  # each saved only where the other's gradient needs it
        return (grad_output[:, None] * v if v is not None else None,
                u.mT @ grad_output if u is not None else None)


class Mm(Function):
    """out = U V, a matrix times a matrix;  d/dU = g Vᵀ, d/dV = Uᵀ g  (g = grad_output)

    Why: out[i,j] = Σ_k U[i,k]·V[k,j], so dL/dU[i,k] = Σ_j g[i,j]·V[k,j] = (g Vᵀ)[i,k],
    and likewise dL/dV[k,j] = Σ_i U[i,k]·g[i,j] = (Uᵀ g)[k,j].
    """

    def forward(ctx, u, v):
        du, dv = ctx.needs_input_grad
        ctx.save_for_backward(u if dv else None, v if du else None)  # only what backward reads
        return ctx.xp.matmul(u, v)

    def backward(ctx, grad_output):
        u, v = ctx.saved_tensors  # None where not needed
        du, dv = ctx.needs_input_grad
        return (grad_output @ v.mT if du else None), (u.mT @ grad_output if dv else None)


class Matmul(Function):
    """out = u @ v;  d/du = g @ vᵀ, d/dv = uᵀ @ g  (g = grad_output; per matrix of a batch)

    matmul's other cases: batches of matrices, and a 1-D operand on the left (or both).
    Mm's formulas, applied per matrix of the batch.

    A 1-D `u` acts as a row (1, k) and a 1-D `v` as a column (k, 1); matmul dropped those
    unit dims from `out`, so backward puts them back into g, applies the matrix formulas
    and drops them again. Batch dims that were broadcast are summed by the engine.
    """

    def forward(ctx, u, v):
        du, dv = ctx.needs_input_grad
        ctx.save_for_backward(u if dv else None, v if du else None)  # only what backward reads
        ctx.a_ndim, ctx.b_ndim = u.ndim, v.ndim
        return ctx.xp.matmul(u, v)

    def backward(ctx, grad_output):
        u, v = ctx.saved_tensors  # None where not needed
        u_is_vector, v_is_vector = ctx.a_ndim == 1, ctx.b_ndim == 1
        if v_is_vector:  # v first: with both 1-D, grad_output is 0-d, then (1,), then (1, 1)
            grad_output = grad_output[..., None]
            v = v[:, None] if v is not None else None
        if u_is_vector:
            grad_output = grad_output[..., None, :]
            u = u[None, :] if u is not None else None
        grad_u = grad_v = None
        if ctx.needs_input_grad[0]:
            grad_u = grad_output @ v.mT
            grad_u = grad_u[..., 0, :] if u_is_vector else grad_u
        if ctx.needs_input_grad[1]:
            grad_v = u.mT @ grad_output
            grad_v = grad_v[..., 0] if v_is_vector else grad_v
        return grad_u, grad_v


class Linear(Function):
    """out = u @ vᵀ + w  (a layer: inputs u, weight v, bias w);  d/du = g @ v,
    d/dv = gᵀ @ u, d/dw = g  (the engine sums the batch dims away from d/dv and d/dw)

    torch.nn.functional.linear as one op: the same numbers as u @ v.T + w, without the
    transpose and the addition each making a node of their own. u has 2 or more dims.
    """

    def forward(ctx, u, v, w):
        du, dv, _ = ctx.needs_input_grad
        ctx.save_for_backward(u if dv else None, v if du else None)  # only what backward reads
        out = ctx.xp.matmul(u, v.mT)
        out += w  # into the product's own new array: one temporary less
        return out

    def backward(ctx, grad_output):
        u, v = ctx.saved_tensors  # None where not needed
        du, dv, dw = ctx.needs_input_grad
        return (grad_output @ v if du else None,
                grad_output.mT @ u if dv else None,
                grad_output if dw else None)
