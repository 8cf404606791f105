"""Guards: what a trace assumed, checked before each replay as one generated function.

A trace replays correctly only while the world looks as it did when it was recorded:

- every tensor the trace reads or writes outside its arguments (module parameters,
  captured data, momentum buffers) still holds the same array, and its .grad is still
  the same tensor (or None, or some tensor the step doesn't read);
- modules hold the same parameters, buffers and submodules; optimizers the same groups,
  hyperparameters (lr, momentum, ...) and state;
- the Python numbers the step function reads by name (its closure's, the globals it
  names: the lesson's `lr`) are unchanged.

The arguments themselves are covered by the signature (compiler/__init__.py). Checking
all this through generic loops costs more than the lesson's whole replay, so the checks
are written out as one expression of `is` and `==` tests on constants:

    def guard():
        return (H0._data is D0 and H0._grad is G0 and type(C0.cell_contents) is float
                and C0.cell_contents == 0.1 and ...)
"""
from __future__ import annotations

import math
from typing import Any, Callable

_NUMBER = (int, float, bool)
MISSING = object()  # a dict key that is absent


def bind(table: dict[str, Any], value: Any, hint: str) -> str:
    """The name `table` binds to `value` (compared by identity), a new one (hint plus a
    number) the first time: the generated code's constants and the guards' objects."""
    for name, bound in table.items():
        if bound is value:
            return name
    name = f"{hint}{len(table)}"
    table[name] = value
    return name


class GuardWriter:
    """Collects the guard's conditions and the objects they name."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.scope: dict[str, Any] = {"MISSING": MISSING}

    def name(self, obj: Any, hint: str) -> str:
        """A name in the guard's scope bound to obj (one per object)."""
        return bind(self.scope, obj, hint)

    def add(self, condition: str) -> None:
        """One more condition, Python source that must be true."""
        self.conditions.append(condition)

    def number(self, expr: str, value: Any) -> None:
        """expr must still be the Python number `value`, of the same type: the very object
        it was (one `is`), or failing that an equal number of the same type."""
        same = self.name(value, "V")
        self.add(f"({expr} is {same} or type({expr}) is {type(value).__name__} "
                 f"and {expr} == {self.literal(value)})")

    def literal(self, value: Any) -> str:
        """A number as Python source (nan and inf by name)."""
        if type(value) is float and not math.isfinite(value):
            return self.name(value, "N")  # nan and inf have no literal
        return repr(value)

    def size(self, expr: str, n: int) -> None:
        """len(expr) == n (for 0: `not expr`, which needs no call)."""
        self.add(f"not {expr}" if n == 0 else f"len({expr}) == {n}")

    def same_items(self, expr: str, items: dict, hint: str) -> None:
        """The dict `expr` maps the same keys to the very same objects (a missing key
        raises KeyError, which fails the guard)."""
        self.size(expr, len(items))
        for key, obj in items.items():
            self.add(f"{expr}[{key!r}] is {self.name(obj, hint)}")

    def tensor(self, t: Any, data: str, grad: Any) -> None:
        """t holds the array named `data`; its .grad is None, some tensor (SOME), or grad."""
        name = self.name(t, "T")
        self.add(f"{name}._data is {data}")
        if grad is None:
            self.add(f"{name}._grad is None")
        elif grad is SOME:
            self.add(f"{name}._grad is not None")
        else:
            self.add(f"{name}._grad is {self.name(grad, 'G')}")

    def optimizer(self, opt: Any) -> None:
        """Same groups (same dicts, params and hyperparameters) and the same state."""
        o = self.name(opt, "O")
        self.size(f"{o}.param_groups", len(opt.param_groups))
        for i, group in enumerate(opt.param_groups):
            g = self.name(group, "PG")
            self.add(f"{o}.param_groups[{i}] is {g}")
            self.size(g, len(group))
            params = group["params"]
            p = self.name(params, "PL")
            self.add(f"{g}['params'] is {p}")
            self.size(p, len(params))
            for j, param in enumerate(params):
                self.add(f"{p}[{j}] is {self.name(param, 'P')}")
            for key, value in group.items():
                if key == "params":
                    continue
                if value is None:
                    self.add(f"{g}[{key!r}] is None")
                elif type(value) in _NUMBER:
                    self.number(f"{g}[{key!r}]", value)
                else:
                    self.add(f"{g}[{key!r}] is {self.name(value, 'V')}")
        self.size(f"{o}.state", len(opt.state))
        for param, state in opt.state.items():
            s = self.name(state, "S")
            self.add(f"{o}.state[{self.name(param, 'P')}] is {s}")
            self.size(s, len(state))
            for key, value in state.items():
                if type(value) in _NUMBER:
                    self.number(f"{s}[{key!r}]", value)
                else:
                    self.add(f"{s}[{key!r}] is {self.name(value, 'V')}")

    def module(self, m: Any) -> None:
        """The same parameters, submodules and buffers under the same names."""
        name = self.name(m, "M")
        self.same_items(f"{name}._parameters", m._parameters, "P")
        self.same_items(f"{name}._modules", m._modules, "M")
        self.same_items(f"{name}._buffers", m._buffers, "B")

    def numbers(self, fn: Callable) -> None:
        """The Python numbers fn reads by name: its closure's and the globals it names."""
        code = getattr(fn, "__code__", None)
        if code is None:
            return
        for cell in fn.__closure__ or ():
            value = cell_value(cell)
            if type(value) in _NUMBER:
                self.number(f"{self.name(cell, 'C')}.cell_contents", value)
        names = fn.__globals__
        g = self.name(names, "GLOBALS")
        for key in code.co_names:
            if type(names.get(key)) in _NUMBER:
                self.number(f"{g}[{key!r}]", names[key])

    def source(self, fname: str = "guard") -> str:
        """`def guard(): return (...)`: all the conditions, joined by `and` (a key or
        index gone missing fails the guard)."""
        if not self.conditions:
            return f"def {fname}():\n    return True\n"
        body = "\n            and ".join(self.conditions)
        return (f"def {fname}():\n    try:\n        return (\n            {body}\n"
                "        )\n    except (KeyError, IndexError, ValueError):\n"
                "        return False\n")


SOME = object()  # a .grad that must be some tensor, which the trace doesn't read


def cell_value(cell: Any) -> Any:
    """A closure cell's contents, or MISSING for an empty cell."""
    try:
        return cell.cell_contents
    except ValueError:  # not yet assigned
        return MISSING
