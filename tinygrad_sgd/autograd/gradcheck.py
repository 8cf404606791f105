"""gradcheck: backward against central finite differences, element by element."""
from __future__ import annotations

from typing import Any, Callable

from .. import dtypes
from ..tensor import Tensor
from .functional import _as_tuple, grad
from .grad_mode import no_grad

__all__ = ["gradcheck"]


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The index of element number `flat` (row-major) in an array of `shape`."""
    index = []
    for n in reversed(shape):
        flat, i = divmod(flat, n)
        index.append(i)
    return tuple(reversed(index))


def _values(outputs: Any) -> list[list[float]]:
    """Each floating output's values as a flat list (a copy)."""
    return [o.detach().reshape(-1).tolist() for o in _as_tuple(outputs)
            if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _jacobians(fn: Callable, inputs: tuple, eps: float) -> tuple[list, list, list]:
    """Numerical and analytical d(output element)/d(input element), as nested lists."""
    wrt = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outputs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)
               and o.dtype.is_floating_point]
    numerical = [[None] * len(wrt) for _ in outputs]
    analytical = [[None] * len(wrt) for _ in outputs]
    with no_grad():
        for k, i in enumerate(wrt):
            x = inputs[i]
            columns = []
            for j in range(x.numel()):
                at = _unravel(j, x.shape)  # perturb x's own storage, element by element
                orig = float(x._data[at])
                x._data[at] = orig + eps
                plus = _values(fn(*inputs))  # copied out: an output may be a view of x
                x._data[at] = orig - eps
                minus = _values(fn(*inputs))
                x._data[at] = orig
                columns.append([[(p - m) / (2 * eps) for p, m in zip(ps, ms)]
                                for ps, ms in zip(plus, minus)])
            for o in range(len(outputs)):
                numerical[o][k] = [[col[o][r] for col in columns]
                                   for r in range(outputs[o].numel())]
    for o, out in enumerate(outputs):
        rows = []
        for r in range(out.numel()):
            onehot = Tensor._make(out.device.xp.zeros(out.shape, dtype=out._data.dtype),
                                  out.device)
            onehot._data[_unravel(r, out.shape)] = 1.0
            if out.requires_grad:
                gs = grad(out, [inputs[i] for i in wrt], onehot, retain_graph=True,
                          allow_unused=True)
            else:
                gs = (None,) * len(wrt)
            rows.append([g.reshape(-1).tolist() if g is not None else [0.0] * inputs[i].numel()
                         for g, i in zip(gs, wrt)])
        for k in range(len(wrt)):
            analytical[o][k] = [row[k] for row in rows]
    return numerical, analytical, wrt


def gradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check backward against central finite differences, (f(x+eps) - f(x-eps)) / 2eps,
    element by element, in float64.

    Inputs that require grad must be float64 (finite differences in float32 are too coarse
    to tell a wrong gradient from rounding). Returns True, or raises RuntimeError naming
    the worst element; ValueError when no input requires grad.
    """
    inputs = _as_tuple(inputs)
    if not any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")  # a check of nothing
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype is not dtypes.float64:
            raise RuntimeError(f"gradcheck: input {i} requires grad but is {x.dtype!r}; "
                               "use float64 (.double()) for finite differences")
    numerical, analytical, wrt = _jacobians(fn, inputs, eps)
    worst = None
    for o, (num_o, ana_o) in enumerate(zip(numerical, analytical)):
        for k, (num, ana) in enumerate(zip(num_o, ana_o)):
            for r, (num_row, ana_row) in enumerate(zip(num, ana)):
                for c, (n, a) in enumerate(zip(num_row, ana_row)):
                    excess = abs(a - n) - (atol + rtol * abs(n))
                    if excess > 0 and (worst is None or excess > worst[0]):
                        worst = (excess, o, wrt[k], r, c, n, a)
    if worst is None:
        return True
    _, o, i, r, c, n, a = worst
    if not raise_exception:
        return False
    raise RuntimeError(f"Jacobian mismatch for output {o} with respect to input {i}: worst at "
                       f"output element {r}, input element {c} (flat indices): numerical "
                       f"{n!r} vs analytical {a!r} (atol={atol}, rtol={rtol})")
