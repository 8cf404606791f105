"""Shape ops. Most are views: the output shares the input's storage (is_view), and the
backward only rearranges g back into the input's layout."""
from __future__ import annotations

from ..autograd.engine import Function, sum_to


class View(Function):
    """out = u with a new shape, same storage;  d/du = g reshaped back"""

    is_view = True

    def forward(ctx, u, shape):
        ctx.shape = u.shape
        return ctx.xp.reshape(u, shape, copy=False)  # raises if it would have to copy

    def backward(ctx, grad_output):
        return ctx.xp.reshape(grad_output, ctx.shape)


class Reshape(Function):
    """out = u with a new shape, copied (when no view can express it);  d/du = g reshaped
    back"""

    def forward(ctx, u, shape):
        ctx.shape = u.shape
        return ctx.xp.reshape(u, shape, copy=True)

    def backward(ctx, grad_output):
        return ctx.xp.reshape(grad_output, ctx.shape)


class Permute(Function):
    """out = u with its axes reordered (transpose, T);  d/du = g with the inverse order"""

    is_view = True

    def forward(ctx, u, dims):
        ctx.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))
        return ctx.xp.permute_dims(u, dims)

    def backward(ctx, grad_output):
        return ctx.xp.permute_dims(grad_output, ctx.inverse)


class Expand(Function):
    """out = u broadcast to a larger shape, without copying;  d/du = g summed over the
    broadcast axes, which the engine's sum_to does (the adjoint of broadcast is sum)"""

    is_view = True

    def forward(ctx, u, shape):
        return ctx.xp.broadcast_to(u, shape)

    def backward(ctx, grad_output):
        return grad_output


class Cat(Function):
    """out = the inputs joined along dim;  d/d(input i) = g's slice where input i sits"""

    def forward(ctx, *arrays, dim):
        ctx.dim, ctx.sizes = dim, [u.shape[dim] for u in arrays]
        return ctx.xp.concat(arrays, axis=dim)

    def backward(ctx, grad_output):
        grads, start = [], 0
        for size in ctx.sizes:
            grads.append(grad_output[(slice(None),) * ctx.dim + (slice(start, start + size), ...)])
            start += size
        return tuple(grads)


class Stack(Function):
    """out = the inputs stacked along a new axis dim;  d/d(input i) = g[..., i, ...]"""

    def forward(ctx, *arrays, dim):
        ctx.dim, ctx.count = dim, len(arrays)
        return ctx.xp.stack(arrays, axis=dim)

    def backward(ctx, grad_output):
        return tuple(grad_output[(slice(None),) * ctx.dim + (i, ...)] for i in range(ctx.count))


# ---------------------------------------------------------------------------------------
# in-place changes through a view (torch's CopySlices): `x[:, 0].mul_(w)` with x in a graph
# ---------------------------------------------------------------------------------------
def replay(xp, array, steps):
    """Apply a view's recorded steps ((op class, options), ...) to an array of the base's
    shape: the same region of any such array (the base itself, a gradient, zeros)."""
    for cls, options in steps:
        ctx = cls()
        ctx.xp = xp
        array = ctx.forward(array, **options)
    return array


class ViewReplay(Function):
    """out = the region of the base that a view covers;  d/dbase = the steps' backwards,
    last step first (zeros with g in that region; an expand's copies summed)"""

    is_view = True

    def forward(ctx, base, steps):
        ctx.nodes = []  # each step's node, with what its backward needs
        for cls, options in steps:
            node = cls()
            node.xp = ctx.xp
            ctx.nodes.append((node, base.shape))
            base = node.forward(base, **options)
        return base

    def backward(ctx, grad_output):
        for node, shape in reversed(ctx.nodes):
            grad_output = sum_to(ctx.xp, node.backward(grad_output), shape)
        return grad_output


class CopySlices(Function):
    """out = base with a view's region replaced by v;  d/dbase = g with that region zeroed,
    d/dv = g's region"""

    def forward(ctx, base, v, steps):
        ctx.steps = steps
        out = ctx.xp.asarray(base, copy=True)
        replay(ctx.xp, out, steps)[...] = v
        return out

    def backward(ctx, grad_output):
        grad_base = ctx.xp.asarray(grad_output, copy=True)
        replay(ctx.xp, grad_base, ctx.steps)[...] = 0
        return grad_base, replay(ctx.xp, grad_output, ctx.steps)
