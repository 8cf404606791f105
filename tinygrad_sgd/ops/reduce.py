"""Reductions and the softmax family. `dim` arrives normalized: None (every axis) or a
tuple of non-negative axes. A reduction's backward spreads g back over the reduced axes:
`_unreduce` restores them as size-1 axes, and broadcasting does the rest.
"""
from __future__ import annotations

import math
from typing import Any

from ..autograd.engine import Function


def _unreduce(xp: Any, grad: Any, shape: tuple[int, ...], dim: tuple[int, ...] | None) -> Any:
    """Reshape a reduced gradient so it broadcasts against the input: the reduced axes
    come back with size 1 (whether or not keepdim dropped them)."""
    if dim is None:  # reduced to one number, which broadcasts as it is
        return grad if grad.ndim == 0 else xp.reshape(grad, ())
    return xp.reshape(grad, tuple(1 if i in dim else n for i, n in enumerate(shape)))


def _count(shape: tuple[int, ...], dim: tuple[int, ...] | None) -> int:
    """How many elements each output element of the reduction summarizes."""
    return math.prod(shape) if dim is None else math.prod(shape[d] for d in dim)


def _var_grad(xp: Any, grad_output: Any, u: Any, dim: tuple[int, ...] | None,
              correction: int) -> Any:
    """d var/du = 2 (u - mean) / (N - correction), times g, as torch computes it also
    where N <= correction: over every element, g·inf (g·nan where u == mean); along
    dims, the formula as it stands (2/0 = inf)."""
    grad_output = _unreduce(xp, grad_output, u.shape, dim)
    centered = _centered(xp, u, dim)
    dof = _count(u.shape, dim) - correction
    if dim is None and dof <= 0:
        return grad_output * (xp.abs(centered) / 0.0)  # inf, or 0/0 = nan where u == mean
    return grad_output * (2.0 / dof if dof else math.inf) * centered


class Sum(Function):
    """out = Σ u, over every element;  d/du = 1: every element receives g"""

    def forward(ctx, u):
        ctx.shape = u.shape
        return ctx.xp.sum(u)

    def backward(ctx, grad_output):
        return ctx.xp.broadcast_to(grad_output, ctx.shape)


class SumDim(Function):
    """out = Σ u along dim;  d/du = 1: every input element receives g of its output"""

    torch_name = "SumBackward1"  # (torch's name for a sum along dims)

    def forward(ctx, u, dim=None, keepdim=False):
        ctx.shape, ctx.dim = u.shape, dim
        return ctx.xp.sum(u, axis=dim, keepdims=keepdim)

    def backward(ctx, grad_output):
        return ctx.xp.broadcast_to(_unreduce(ctx.xp, grad_output, ctx.shape, ctx.dim), ctx.shape)


class Mean(Function):
    """out = Σ u / N, over all N elements;  d/du = 1/N  (the lesson's mse)"""

    def forward(ctx, u):
        ctx.shape = u.shape
        return ctx.xp.sum(u) / math.prod(u.shape)  # (faster than xp.mean)

    def backward(ctx, grad_output):
        return ctx.xp.broadcast_to(grad_output / math.prod(ctx.shape), ctx.shape)


class MeanDim(Function):
    """out = Σ u / N along dim (N elements each);  d/du = 1/N"""

    torch_name = "MeanBackward1"  # (torch's name for a mean along dims)

    def forward(ctx, u, dim=None, keepdim=False):
        ctx.shape, ctx.dim = u.shape, dim
        ctx.n = _count(u.shape, dim)
        return ctx.xp.sum(u, axis=dim, keepdims=keepdim) / ctx.n  # faster than xp.mean

    def backward(ctx, grad_output):
        grad = _unreduce(ctx.xp, grad_output, ctx.shape, ctx.dim) / ctx.n
        return ctx.xp.broadcast_to(grad, ctx.shape)


def _centered(xp: Any, u: Any, dim: tuple[int, ...] | None) -> Any:
    """u - mean(u) over dim. Shifting by the first sample before averaging makes it exactly
    0 for constant data (as torch's Welford algorithm does), where std's gradient divides
    by std; elsewhere it is no less accurate."""
    first = u[tuple(slice(0, 1) if dim is None or i in dim else slice(None)
                    for i in range(u.ndim)) + (...,)]
    shifted = u - first
    # the mean as sum / N (what xp.mean computes), so that N == 0 gives nan without a warning
    return shifted - xp.sum(shifted, axis=dim, keepdims=True) / _count(u.shape, dim)


def _variance(xp: Any, u: Any, dim: Any, correction: int, keepdim: bool) -> Any:
    centered = _centered(xp, u, dim)
    dof = max(_count(u.shape, dim) - correction, 0)  # 0: inf or nan, as in torch
    return xp.sum(centered * centered, axis=dim, keepdims=keepdim) / dof


class Var(Function):
    """out = Σ (u - mean)² / (N - correction);  d/du = 2 (u - mean) / (N - correction)"""

    def forward(ctx, u, dim=None, correction=1, keepdim=False):
        ctx.save_for_backward(u)
        ctx.dim, ctx.correction = dim, correction
        return _variance(ctx.xp, u, dim, correction, keepdim)

    def backward(ctx, grad_output):
        (u,) = ctx.saved_tensors
        return _var_grad(ctx.xp, grad_output, u, ctx.dim, ctx.correction)


class Std(Function):
    """out = √var;  d/du = d var/du / (2·out) = (u - mean) / ((N - correction)·out), with
    g / (2·out) taken as 0 where out == 0 (as torch)"""

    def forward(ctx, u, dim=None, correction=1, keepdim=False):
        out = ctx.xp.sqrt(_variance(ctx.xp, u, dim, correction, keepdim))
        ctx.save_for_backward(u, out)
        ctx.dim, ctx.correction = dim, correction
        return out

    def backward(ctx, grad_output):
        u, out = ctx.saved_tensors
        grad_var = ctx.xp.where(out == 0, 0.0, grad_output / (2 * out))
        return _var_grad(ctx.xp, grad_var, u, ctx.dim, ctx.correction)


class Max(Function):
    """out = max of all of u;  d/du = 1/k at each of the k elements equal to the max
    (torch spreads a tie evenly)"""

    def forward(ctx, u):
        out = ctx.xp.max(u)
        ctx.save_for_backward(u, out)
        return out

    def backward(ctx, grad_output):
        u, out = ctx.saved_tensors
        return _spread(ctx.xp, grad_output, _equal(ctx.xp, u, out))


class Min(Function):
    """out = min of all of u;  d/du = 1/k at each of the k elements equal to the min"""

    def forward(ctx, u):
        out = ctx.xp.min(u)
        ctx.save_for_backward(u, out)
        return out

    def backward(ctx, grad_output):
        u, out = ctx.saved_tensors
        return _spread(ctx.xp, grad_output, _equal(ctx.xp, u, out))


def _equal(xp: Any, u: Any, out: Any) -> Any:
    """Where a equals the max (or min) it produced; a NaN result came from the NaNs."""
    return (u == out) | (xp.isnan(u) & xp.isnan(out))


def _spread(xp: Any, grad_output: Any, hits: Any) -> Any:
    """Share the gradient evenly among the positions where `hits` is True."""
    count = xp.sum(xp.astype(hits, grad_output.dtype))
    return xp.where(hits, grad_output / count, 0.0)


class TakeAlongDim(Function):
    """out = u[..., index, ...] along dim, one index per slice (max/min with a dim);
    d/du = 1 at the taken position of each slice, 0 elsewhere"""

    def forward(ctx, u, index, dim, keepdim=False):
        ctx.save_for_backward(index)  # index has size 1 along dim
        ctx.shape, ctx.dim = u.shape, dim
        out = ctx.xp.take_along_axis(u, index, axis=dim)
        return out if keepdim else ctx.xp.squeeze(out, axis=dim)

    def backward(ctx, grad_output):
        (index,) = ctx.saved_tensors
        xp, shape, dim = ctx.xp, ctx.shape, ctx.dim
        positions = xp.reshape(xp.arange(shape[dim]),
                               tuple(n if i == dim else 1 for i, n in enumerate(shape)))
        grad_output = _unreduce(xp, grad_output, shape, (dim,))
        return xp.where(positions == index, grad_output, 0.0), None  # index: no gradient


def _max_of_slices(xp: Any, u: Any, dim: int) -> Any:
    """The max along dim, kept as a size-1 axis; an empty tensor has nothing to shift."""
    return xp.max(u, axis=dim, keepdims=True) if u.size else u


class Softmax(Function):
    """out = e^u / Σ e^u along dim;  d/du: g·J = out·(g - Σ g·out)  (g = grad_output)"""

    def forward(ctx, u, dim):
        xp = ctx.xp
        e = xp.exp(u - _max_of_slices(xp, u, dim))  # shifting by the max: no overflow
        out = e / xp.sum(e, axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return out * (grad_output - ctx.xp.sum(grad_output * out, axis=ctx.dim, keepdims=True))


class LogSoftmax(Function):
    """out = u - log Σ e^u along dim;  d/du: g - softmax·Σ g  (g = grad_output)"""

    def forward(ctx, u, dim):
        xp = ctx.xp
        shifted = u - _max_of_slices(xp, u, dim)
        out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out

    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        xp = ctx.xp
        return grad_output - xp.exp(out) * xp.sum(grad_output, axis=ctx.dim, keepdims=True)


class NllLoss(Function):
    """out = -Σ_i u[i, t_i] / N  (or the sum, without / N): the negative log-likelihood of
    each row's target class t_i, given log-probabilities u of shape (N, C);
    d/du = -1/N (or -1) at each [i, t_i], 0 elsewhere (the targets t get no gradient)"""

    def forward(ctx, u, target, reduction):
        ctx.save_for_backward(target)
        ctx.shape, ctx.mean = u.shape, reduction == "mean"
        total = ctx.xp.sum(ctx.device.gather(u, (ctx.xp.arange(u.shape[0]), target)))
        loss = 0.0 - total  # (not -total: a loss of exactly 0 is +0.0, as torch's)
        return loss / u.shape[0] if ctx.mean else loss

    def backward(ctx, grad_output):
        (target,) = ctx.saved_tensors
        xp, (n, classes) = ctx.xp, ctx.shape
        picked = xp.arange(classes)[None, :] == target[:, None]  # (N, C): True at [i, t_i]
        return xp.where(picked, -grad_output / n if ctx.mean else -grad_output, 0.0), None
