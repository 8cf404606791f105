"""Parameter: a Tensor that a model trains."""
from __future__ import annotations

from typing import Any, Iterable

from ..tensor import Tensor


def forget_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """What zero_grad() does, for Module and optimizer alike: set each `.grad` to None (the
    default, as in torch), or fill it with zeros in place."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad.zero_()


class Parameter(Tensor):
    """A leaf Tensor that requires grad by default, sharing storage with `data`.

    >>> a = Parameter(tg.tensor([-1., 1.]))
    >>> a
    Parameter containing:
    tensor([-1.,  1.], requires_grad=True)
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> "Parameter":
        if data is None:
            from ..creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor, got {type(data).__name__}")
        p = object.__new__(cls)
        p._data, p._device, p._dtype = data._data, data._device, data._dtype
        p._version, p._base, p._view, p._grad, p._grad_fn = data._version, None, None, None, None
        p._requires_grad = False
        p.requires_grad_(requires_grad)
        return p

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        pass  # all done in __new__; Tensor.__init__ must not run

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
