"""Module: a container that knows its Parameters, so one call finds every number to train.

Assigning a Parameter or a Module to an attribute registers it (torch's `__setattr__`
trick), which is all `parameters()`, `state_dict()` and `to()` need:

>>> class Line(Module):
...     def __init__(self):
...         super().__init__()
...         self.a = Parameter(tg.tensor([-1., 1.]))   # registered as 'a'
...     def forward(self, x):
...         return x @ self.a
>>> [name for name, _ in Line().named_parameters()]
['a']
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator, NamedTuple

from .. import dtypes
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .parameter import Parameter, forget_grads

__all__ = ["Module", "Sequential", "ReLU", "Sigmoid", "Tanh"]


class IncompatibleKeys(NamedTuple):
    """What load_state_dict(strict=False) could not match, as torch returns it."""
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of every layer and model: subclass it, assign layers and Parameters in
    `__init__` (after `super().__init__()`), and compute in `forward`; call the module to
    run forward."""

    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these dicts to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module: override it (calling the module runs it)."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- registration --------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, (Parameter, Module)):
            kind = "parameters" if isinstance(value, Parameter) else "module"
            if params is None:
                raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
            self._forget(name)
            (self._parameters if isinstance(value, Parameter) else self._modules)[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_type_name(value)}' as parameter '{name}' "
                                "(tinygrad_sgd.nn.Parameter or None expected)")
            params[name] = None
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_type_name(value)}' as child module "
                                f"'{name}' (tinygrad_sgd.nn.Module or None expected)")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_type_name(value)}' as buffer '{name}' "
                                "(tinygrad_sgd.Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: look in the registries
        for registry in ("_parameters", "_buffers", "_modules"):
            found = self.__dict__.get(registry)
            if found is not None and name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if not self._forget(name):
            object.__delattr__(self, name)

    def _forget(self, name: str) -> bool:
        """Remove `name` from whichever registry or plain attribute holds it."""
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                return True
        if name in self.__dict__:
            object.__delattr__(self, name)
        return False

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (or None: a declared but absent parameter, like bias=False)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_type_name(param)}' object to parameter "
                            f"'{name}' (tinygrad_sgd.nn.Parameter or None required)")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """A tensor that belongs to the module's state (saved, moved by to()) but is not
        trained, such as a loss's class weights."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_type_name(tensor)}' object to buffer '{name}' "
                            "(tinygrad_sgd.Tensor or None required)")
        self._forget(name)
        self._buffers[name] = tensor

    def add_module(self, name: str, module: "Module | None") -> None:
        """Register a submodule under `name` (as `self.name = module` does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_type_name(module)} is not a Module subclass")
        self._forget(name)
        self._modules[name] = module

    # -- walking the tree ----------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """(name, module) for each direct submodule."""
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator["Module"]:
        """The direct submodules."""
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, "Module"]]:
        """Every module in the tree, this one first (named `prefix`), depth first; a module
        that is used twice comes once unless remove_duplicate=False."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:  # depth first, children in the order they were assigned
            name, m = stack.pop()
            if remove_duplicate and id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m.named_children()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator["Module"]:
        """This module and every submodule, depth first."""
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """('0.weight', Parameter), ...: each Parameter once, even if two layers share it."""
        seen: set[int] = set()
        tree = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mod_name, m in tree:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter of this module and its sub-modules: what an optimizer trains."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(name, tensor) for each registered buffer, submodules' too."""
        for mod_name, m in self.named_modules(prefix):
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> Iterator[Tensor]:
        """The registered buffers (non-trained state), submodules' too."""
        for _, b in self.named_buffers():
            yield b

    # -- training helpers ------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        """Set training mode here and in every sub-module (layers such as dropout would
        read it; Linear and ReLU behave the same in both modes)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode (training=False) for this module and its submodules."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of every parameter (None, or zeros in place)."""
        forget_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Set requires_grad on every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- saving and loading ----------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> "OrderedDict[str, Tensor]":
        """name -> tensor for every parameter and buffer, detached but sharing storage.
        A module used twice appears under both its names, as in torch."""
        out: OrderedDict[str, Tensor] = OrderedDict()
        for mod_name, m in self.named_modules(remove_duplicate=False):
            base = f"{prefix}{mod_name}." if mod_name else prefix
            for name, t in (*m._parameters.items(), *m._buffers.items()):
                if t is not None:
                    out[base + name] = t.detach()
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy values from `state_dict` into this module's parameters and buffers.

        Everything is checked before anything is copied, so a refused call leaves the
        module as it was (torch copies the keys that fit before it raises).
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and missing:  # in torch's order: missing, unexpected, then sizes
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        for name, target in own.items():
            if name not in state_dict:
                continue
            src = state_dict[name]
            if not isinstance(src, Tensor):
                errors.append(f'While copying the parameter named "{name}", expected '
                              f"tinygrad_sgd.Tensor from checkpoint but received "
                              f"{type(src)}")
            elif src.shape != target.shape:
                errors.append(f"size mismatch for {name}: copying a param with shape "
                              f"{_size(src.shape)} from checkpoint, the shape in current "
                              f"model is {_size(target.shape)}.")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:"
                               "\n\t" + "\n\t".join(errors))
        with no_grad():
            for name, target in own.items():
                if name in state_dict:
                    # copy_ converts dtype, and moves the values to the module's device
                    target.copy_(state_dict[name])
        return IncompatibleKeys(missing, unexpected)

    # -- devices and dtypes ----------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> "Module":
        """Move (or convert) every parameter, its gradient and every buffer, in place:
        `model.to('cuda')`, `model.to(tg.float64)`. The Parameter objects stay the same
        objects, so an optimizer made earlier still updates them. As in torch, a dtype
        applies to floating-point tensors only."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    p.data = _convert(p.data, args, kwargs)
                    if p.grad is not None:
                        p.grad = _convert(p.grad, args, kwargs)
            for name, b in m._buffers.items():
                if b is not None:
                    m._buffers[name] = _convert(b, args, kwargs)
        return self

    def cpu(self) -> "Module":
        """Move every parameter and buffer to the CPU; returns self."""
        return self.to("cpu")

    def cuda(self) -> "Module":
        """Move every parameter and buffer to the GPU; returns self."""
        return self.to("cuda")

    def double(self) -> "Module":
        """Convert floating parameters and buffers to float64; returns self."""
        return self.to(dtypes.float64)

    def float(self) -> "Module":
        """Convert floating parameters and buffers to float32; returns self."""
        return self.to(dtypes.float32)

    # -- printing ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (no children)."""
        return ""

    def __repr__(self) -> str:
        """Like torch: `Sequential(\\n  (0): Linear(in_features=64, ...)\\n  (1): ReLU()\\n)`."""
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")  # indent the child's own children
            lines.append(f"({name}): {child}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self._parameters, *self._buffers, *self._modules})


def _convert(t: Tensor, args: tuple, kwargs: dict) -> Tensor:
    """t.to(*args) outside the graph, keeping integer tensors' dtypes."""
    with no_grad():
        if not t.is_floating_point():
            args = tuple(a for a in args if not _is_dtype(a))
            kwargs = {k: v for k, v in kwargs.items() if k != "dtype"}
        return t.to(*args, **kwargs)


def _is_dtype(x: Any) -> bool:
    return isinstance(x, dtypes.dtype) or x in (float, int, bool)


def _size(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def _type_name(x: Any) -> str:
    return x.type() if isinstance(x, Tensor) else type(x).__name__


# ---------------------------------------------------------------------------------------
# containers and activations
# ---------------------------------------------------------------------------------------
class Sequential(Module):
    """Modules applied one after the other: `Sequential(Linear(64, 128), ReLU(),
    Linear(128, 10))(x)` is `l2(relu(l1(x)))`. Children are named '0', '1', ...;
    an OrderedDict names them yourself."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        """Each module in turn: x -> m1(x) -> m2(...) ..."""
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, idx: int | slice) -> Any:
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"index {idx} is out of range for a Sequential of length {n}")
        return list(self._modules.values())[idx % n]

    def append(self, module: Module) -> "Sequential":
        """Add a module at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self


class ReLU(Module):
    """max(0, x), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        """max(x, 0), elementwise."""
        return x.relu()


class Sigmoid(Module):
    """1 / (1 + e^-x), elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        """1 / (1 + e^-x), elementwise."""
        return x.sigmoid()


class Tanh(Module):
    """Applies tanh elementwise: `nn.Tanh()(x)` is `x.tanh()`."""

    def forward(self, x: Tensor) -> Tensor:
        """tanh(x), elementwise."""
        return x.tanh()
