"""What a traced step did, read off the recorder and the tensors once the step has run.

- `out_template`: what the step returned, with each new tensor replaced by the index of
  its array among the replay's results (the loss), to be wrapped again at each call.
- `step_effects`: the tensors whose array or .grad the step replaced (a first .grad, a
  `.data =`), which tensors the replay reads (and so must guard), and the modules and
  optimizers that own them.
- `tensor_names`: readable names for the arrays the replay takes (`a`, `a_grad`,
  `model.0.weight`), from the step's arguments, closure, globals and modules.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable

from .record import Recorder, Var, op_reads


class NotReplayable(Exception):
    """The trace can't be replayed; with a message, the step runs eagerly from now on."""


class Effects:
    """What the step did to the world outside its arrays (see step_effects)."""

    def __init__(self) -> None:
        self.template: Any = None  # what the step returns (see out_template)
        self.out_vars: list[int] = []  # the vars of the tensors it returns, in order
        self.actions: list[tuple] = []  # (tensor, 'data' | 'grad', what it now holds)
        self.relevant: list = []  # tensors whose array and .grad the replay relies on
        self.optimizers: list = []  # optimizers of those tensors
        self.modules: list = []  # modules holding them


def step_effects(rec: Recorder, pre: dict, opt_pre: dict, optimizers: list,
                 modules: list, out: Any) -> Effects:
    """Read what the step did. `pre` maps id(tensor) -> (tensor, array, grad) before it."""
    fx = Effects()
    fx.template = out_template(out, fx.out_vars, rec, pre)
    for t, data, grad in pre.values():
        _data_action(fx, t, data)
        if t._grad is not grad:
            _grad_action(fx, t, pre)
    for o in optimizers:
        if id(o) in opt_pre and not same_state(optimizer_state(o), opt_pre[id(o)]):
            raise NotReplayable("")  # e.g. the first momentum buffers: trace again
    seen: set[int] = set()

    def add(t: Any) -> None:
        if id(t) not in seen:
            seen.add(id(t))
            fx.relevant.append(t)

    used = {v for op in rec.ops for v in op_reads(op)}
    for vid in sorted(used):  # tensors holding an array from before the step
        if rec.vars[vid].external:
            for t in rec.ext_tensors.get(vid, []):
                add(t)
    for t, _, _ in fx.actions:
        add(t)
    fx.optimizers = [o for o in optimizers if any(id(p) in seen for g in o.param_groups
                                                  for p in g["params"])]
    for o in fx.optimizers:
        for g in o.param_groups:
            for p in g["params"]:
                add(p)
    fx.modules = [m for m in modules if any(id(p) in seen for p in m.parameters())]
    return fx


def _data_action(fx: Effects, t: Any, data: Any) -> None:
    """Record a tensor whose array the step replaced (not one it changed in place)."""
    now = t._data
    if now.__class__ is Var and now.a is data:
        return
    if now.__class__ is Var and not now.external:
        fx.actions.append((t, "data", now))  # a new array of the step's
    else:
        fx.actions.append((t, "data", ("set", now.a if now.__class__ is Var else now)))


def _grad_action(fx: Effects, t: Any, pre: dict) -> None:
    """Record a tensor whose .grad the step replaced: by None, an old tensor, or a new one."""
    g = t._grad
    if g is None or id(g) in pre:
        fx.actions.append((t, "grad", g))
        return
    if g._grad_fn is not None or g._requires_grad or g._base is not None \
            or g._data.__class__ is not Var:
        raise NotReplayable("")
    fx.actions.append((t, "grad", ("new", g._data, g._device, g._dtype)))


def out_template(x: Any, out_vars: list[int], rec: Recorder, pre: dict) -> Any:
    """What the step returned, as a template: ('tensor', index, device, dtype) for a new
    tensor (its var appended to out_vars), ('same', t) for one from before, ('value', v)
    for a Python value, and containers of these."""
    from ..tensor import Tensor
    if isinstance(x, Tensor):
        if id(x) in pre:
            return ("same", x)
        if x._data.__class__ is not Var:
            raise NotReplayable("")
        if x._grad_fn is not None and not _ran_backward(rec):
            raise NotReplayable("the step returns a tensor whose graph backward() has not "
                                "used (call backward inside the compiled step)")
        out_vars.append(x._data.id)
        return ("tensor", len(out_vars) - 1, x._device, x._dtype)
    if type(x) in (tuple, list):
        return (type(x), [out_template(i, out_vars, rec, pre) for i in x])
    if type(x) is dict:
        return (dict, {k: out_template(v, out_vars, rec, pre) for k, v in x.items()})
    if x is None or type(x) in (int, float, bool, str):
        return ("value", x)
    raise NotReplayable(f"the step returns a {type(x).__name__}")


def _ran_backward(rec: Recorder) -> bool:
    return any(op.note.endswith("Backward0") or op.note == "AccumulateGrad"
               for op in rec.ops)


def tensor_names(fn: Callable, arg_names: list[str], arg_tensors: list, fx: Effects,
                 pre: dict) -> dict[int, str]:
    """id(tensor) -> a readable name: arguments, closure and global tensors, module
    parameters (`model.0.weight`), their grads (`.grad`) and optimizer buffers."""
    from ..nn.module import Module
    from ..tensor import Tensor
    hints: dict[int, str] = {}
    for i, t in enumerate(arg_tensors):
        hints.setdefault(id(t), arg_names[i] if i < len(arg_names) else f"arg{i}")
    for name, obj in _named_objects(fn).items():
        if isinstance(obj, Tensor):
            hints.setdefault(id(obj), name)
        elif isinstance(obj, Module):
            for pname, p in obj.named_parameters():
                hints.setdefault(id(p), f"{name}.{pname}")
    for m in fx.modules:
        for pname, p in m.named_parameters():
            hints.setdefault(id(p), pname)
    for o in fx.optimizers:
        for p, state in o.state.items():
            for k, v in state.items():
                if isinstance(v, Tensor) and id(p) in hints:
                    hints.setdefault(id(v), f"{hints[id(p)]}.{k}")
    for t in list(fx.relevant) + [t for t, _, _ in pre.values()]:
        g = t._grad
        if g is not None and id(t) in hints:
            hints.setdefault(id(g), hints[id(t)] + ".grad")
    return hints


def _named_objects(fn: Callable) -> dict[str, Any]:
    """The objects fn names: its closure's and the globals its code mentions."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return {}
    from .guards import MISSING, cell_value
    found = {}
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        value = cell_value(cell)
        if value is not MISSING:
            found[name] = value
    names = getattr(fn, "__globals__", {})
    found.update({n: names[n] for n in code.co_names if n in names})
    return found


def parameter_names(fn: Callable) -> list[str]:
    """fn's parameter names, for naming the arrays of its tensor arguments."""
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def pick_holder(holders: list, arg_ids: dict[int, int], hints: dict[int, str]) -> Any:
    """Of the tensors holding an array, the one to read it from: an argument, else a
    named tensor, else any."""
    for t in holders:
        if id(t) in arg_ids:
            return t
    for t in holders:
        if id(t) in hints:
            return t
    return holders[0] if holders else None


def data_used(rec: Recorder, t: Any) -> bool:
    """Did the trace use the array tensor t held before the step?"""
    data = t._data.a if t._data.__class__ is Var else t._data
    vid = rec.externals.get(id(data))
    if vid is None:
        return False
    return any(vid in op_reads(op) for op in rec.ops)


def optimizer_state(opt: Any) -> tuple:
    """A snapshot of an optimizer's groups and state, to compare after the step."""
    groups = tuple((g, tuple((k, v) for k, v in g.items() if k != "params"),
                    tuple(g["params"])) for g in opt.param_groups)
    state = tuple((p, tuple(st.items())) for p, st in opt.state.items())
    return groups, state


def _same(a: Any, b: tuple) -> bool:
    a = tuple(a)
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def same_state(a: tuple, b: tuple) -> bool:
    """Two snapshots agree: the same objects, and equal numbers of the same type."""
    (groups_a, state_a), (groups_b, state_b) = a, b
    if len(groups_a) != len(groups_b) or len(state_a) != len(state_b):
        return False
    for (g1, h1, p1), (g2, h2, p2) in zip(groups_a, groups_b):
        if g1 is not g2 or not _same(p1, p2) or len(h1) != len(h2):
            return False
        for (k1, v1), (k2, v2) in zip(h1, h2):
            if k1 != k2 or type(v1) is not type(v2) or v1 != v2:
                return False
    for (p1, st1), (p2, st2) in zip(state_a, state_b):
        if p1 is not p2 or len(st1) != len(st2):
            return False
        for (k1, v1), (k2, v2) in zip(st1, st2):
            if k1 != k2:
                return False
            if v1 is not v2 and not (type(v1) is type(v2) and isinstance(v1, (int, float))
                                     and v1 == v2):
                return False
    return True
