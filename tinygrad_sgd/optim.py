"""Optimizers: the lesson's `a.sub_(lr * a.grad)`, packaged for many parameters.

    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in loader:
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()        # p -= lr * (the gradient, with momentum and weight decay)
        opt.zero_grad()   # or gradients add up over steps
"""

from typing import Any as _Any
from typing import Callable as _Callable
from typing import Iterable as _Iterable

from .autograd.grad_mode import enable_grad as _enable_grad
from .autograd.grad_mode import no_grad as _no_grad
from .nn.parameter import forget_grads as _forget_grads
from .tensor import Tensor as _Tensor

__all__ = ["Optimizer", "SGD"]


class Optimizer:
    """Holds parameter groups (lists of parameters with their own settings) and the
    per-parameter `state` (SGD keeps its momentum buffer there)."""

    def __init__(self, params: _Iterable[_Any], defaults: dict[str, _Any]) -> None:
        if isinstance(params, _Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {params.type()}")
        self.defaults = defaults
        self.state: dict[_Tensor, dict[str, _Any]] = {}
        self.param_groups: list[dict[str, _Any]] = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, _Any]) -> None:
        """Add parameters with their own settings (`{'params': [...], 'lr': 0.01}`);
        settings not given come from the optimizer's defaults."""
        if not isinstance(group, dict):
            raise TypeError(f"param group must be a dict, got {type(group).__name__}")
        params = group["params"]
        params = [params] if isinstance(params, _Tensor) else list(params)
        for p in params:
            if not isinstance(p, _Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params "
                                f"is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf _Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in taken for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        full = {**self.defaults, **group, "params": params}
        self._check_group(full)  # before anything is stored: a refused group leaves no trace
        self.param_groups.append(full)

    def _check_group(self, group: dict[str, _Any]) -> None:
        """Subclasses refuse settings that make no sense."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: set each `.grad` to None (the default, as in torch), or
        fill it with zeros in place."""
        for group in self.param_groups:
            _forget_grads(group["params"], set_to_none)

    def step(self, closure: _Callable[[], _Any] | None = None) -> _Any:
        """Update the parameters from their gradients (defined by each optimizer)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    """Stochastic gradient descent, with torch.optim.SGD's exact rule. For each parameter p
    with gradient g (μ = momentum, τ = dampening, λ = weight_decay):

        g = -g if maximize
        g = g + λ p                              (weight decay)
        b = g  (a copy) on the first step,  b = μ b + (1 - τ) g  after    (if μ ≠ 0)
        g = g + μ b if nesterov else b
        p = p - lr g

    >>> opt = SGD([a], lr=0.1)     # a.sub_(0.1 * a.grad) on every opt.step()
    """

    def __init__(self, params: _Iterable[_Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, _Any]) -> None:
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        if isinstance(lr, _Tensor):
            raise TypeError("lr must be a Python number here (a _Tensor lr is not supported)")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if group["nesterov"] and (momentum <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={momentum}, dampening={group['dampening']})")

    @_no_grad()  # the update changes leaves in place: it must not be recorded
    def step(self, closure: _Callable[[], _Any] | None = None) -> _Any:
        """Update every parameter that has a gradient; returns closure's loss if given."""
        loss = None
        if closure is not None:
            with _enable_grad():
                loss = closure()
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                if p.grad is None:  # not used in this loss: torch leaves it (and its state)
                    continue
                g = -p.grad if group["maximize"] else p.grad
                if weight_decay != 0:
                    g = g + weight_decay * p
                if momentum != 0:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:  # the first buffer is the gradient itself, not μ·0 + g
                        buf = state["momentum_buffer"] = g.clone()
                    else:
                        buf.mul_(momentum).add_((1 - dampening) * g)
                    g = g + momentum * buf if nesterov else buf
                p.sub_(g, alpha=lr)  # p -= lr·g, lr·g computed on the arrays
        return loss


# help() shows annotations as the objects they name, not as quoted strings (helptext.py)
import sys as _sys  # noqa: E402
from . import helptext as _helptext  # noqa: E402

_helptext.resolve(_sys.modules[__name__])
