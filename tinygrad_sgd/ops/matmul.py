"""Matrix multiplication with torch.matmul's rules for every rank."""
from __future__ import annotations

from ..function import Function


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
