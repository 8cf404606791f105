"""A trace made ready to replay: the generated step, and the generated entry that guards it.

`Replay` puts the pieces together once per trace:

- the replay (`code`, shown as `step.code`): the recorded array operations as a function
  of the arrays from before the step (codegen.py);
- the entry (`entry_code`): the guards (guards.py), then the replay on the tensors'
  arrays, then what the step did to tensors (a new .grad), then what it returns, wrapped
  as tensors again. It is generated too, so a call costs a few attribute loads and `is`
  tests, not loops over dictionaries:

    def enter(tensors):
        try:
            if not (T1._data is D2 and T1._grad is G3 and ...):
                return MISS                  # something changed: trace again
        except (KeyError, IndexError, ValueError):
            return MISS                      # a key, an item or a cell gone
        try:
            r = update(tensors[0]._data, D2, ...)
        except Recheck:
            return RUN_EAGERLY               # a value the library checks changed
        return make(r[0], DEV4, DT5)         # the loss, as a Tensor
"""
from __future__ import annotations

import linecache
import os
from typing import Any, Callable

import numpy as np

from .. import backend
from . import codegen
from .analyze import Effects, NotReplayable, data_used, pick_holder, tensor_names
from .guards import SOME, GuardWriter
from .record import Recorder, Var, op_reads

MISS = object()  # a guard failed: trace again
RUN_EAGERLY = object()  # a value check failed: run this call eagerly
_WARM_UP_BYTES = 16 << 20  # a replay on more data than the caches hold warms nothing


class Recheck(Exception):
    """Raised inside the replay when a value check fails: the call runs eagerly."""


_RESERVED = {"xp", "dev", "np", "Recheck", "xp_cpu", "xp_cuda", "dev_cpu", "dev_cuda"}


class Replay:
    """One trace, ready to run: `run(tensors)` replays it, or returns MISS or
    RUN_EAGERLY."""

    def __init__(self, fn: Callable, arg_names: list[str], rec: Recorder, pre: dict,
                 fx: Effects, arg_tensors: list) -> None:
        self.arg_ids = {id(t): i for i, t in enumerate(arg_tensors)}
        hints = tensor_names(fn, arg_names, arg_tensors, fx, pre)
        taken = set(_RESERVED)

        def unique(base: str) -> str:
            base = codegen.identifier(base)
            name = base
            n = 1
            while name in taken:
                n += 1
                name = f"{base}_{n}"
            taken.add(name)
            return name

        # the arrays from before the step that the ops read, each from a tensor holding it
        names: dict[int, str] = {}
        params: list[tuple[int, str]] = []
        sources: list = []
        for op in rec.ops:
            for vid in op_reads(op):
                if not rec.vars[vid].external or vid in names:
                    continue
                src = pick_holder(rec.ext_tensors.get(vid, []), self.arg_ids, hints)
                if src is None:
                    raise NotReplayable("")
                names[vid] = unique(hints.get(id(src), f"e{len(params)}"))
                params.append((vid, names[vid]))
                sources.append(src)
        # the replay returns the step's tensors' arrays, then those of new .grads and data
        results = list(fx.out_vars)
        for _, kind, value in fx.actions:
            if kind == "data" and value.__class__ is Var:
                results.append(value.id)
            elif kind == "grad" and type(value) is tuple:
                results.append(value[1].id)
        main = _device_of(rec, [v for v, _ in params])
        fname = codegen.identifier(getattr(fn, "__name__", "step"))
        use_out = os.environ.get("TINYGRAD_SGD_COMPILE_NO_OUT") != "1"
        self.code, consts = codegen.generate(rec, fname, params, results, names, main,
                                             use_out, unique)
        scope: dict[str, Any] = {"xp": main.xp, "dev": main, "np": np, "Recheck": Recheck}
        for d in (backend.CPU, backend._CUDA):
            if d is not None:
                scope[f"xp_{d.type}"] = d.xp
                scope[f"dev_{d.type}"] = d
        scope.update(consts)
        self.replay = _exec(self.code, f"<tg.compile {fname}>", scope)[fname]
        self.sources = sources  # the tensors whose arrays the replay takes, in order
        self.fast: Callable | None = None  # see argument_entry
        self.fast_guard: Callable | None = None
        self.fast_code = ""
        self.entry_code, entry_scope = self._entry(fn, rec, pre, fx, sources, fname)
        entry_scope[fname] = self.replay
        self.enter = _exec(self.entry_code, f"<tg.compile guards of {fname}>",
                           entry_scope)["enter"]
        self.guard = _exec(self._guard_code, "<tg.compile guard>", entry_scope)["guard"]

    def argument_entry(self, key: tuple, types: list) -> None:
        """`fast(args)`: the call's signature checked on its arguments directly, then the
        entry; for a step called again and again with the same signature, this skips
        building and hashing the signature key. Only for a key of tensor arguments alone
        (compiler/__init__.py's call_key); its checks are the key's, with `is` for ==."""
        from ..autograd import grad_mode
        w = GuardWriter()
        w.scope.update({"MISS": MISS, "enter": self.enter, "guard": self.guard,
                        "grad_mode": grad_mode})
        sigs, enabled = key
        names = [f"a{i}" for i in range(len(sigs))]
        for a, kind, (shape, dt, dev, rg, no_fn, no_base, no_grad) in zip(names, types, sigs):
            w.add(f"type({a}) is {w.name(kind, 'K')}")
            w.add(f"{a}._data.shape == {shape!r}")
            w.add(f"{a}._dtype is {w.name(dt, 'DT')}")
            w.add(f"{a}._device is {w.name(dev, 'DEV')}")
            w.add(f"{a}._requires_grad is {rg!r}")
            w.add(f"{a}._grad_fn is {'' if no_fn else 'not '}None")
            w.add(f"{a}._base is {'' if no_base else 'not '}None")
            w.add(f"{a}._grad is {'' if no_grad else 'not '}None")
        w.add(f"grad_mode.state.enabled is {enabled!r}")
        unpack = f"    {', '.join(names)}{',' if len(names) == 1 else ''} = args\n" if names else ""
        test = "\n        and ".join(w.conditions)
        code = ""
        for fname, then, otherwise in (("fast", "enter(args)", "MISS"),
                                       ("fast_guard", "guard()", "False")):
            code += (f"def {fname}(args):\n    if len(args) != {len(names)}:\n"
                     f"        return {otherwise}\n{unpack}    if not (\n        {test}\n"
                     f"    ):\n        return {otherwise}\n    return {then}\n\n")
        self.fast_code = code
        scope = _exec(code, "<tg.compile arguments>", w.scope)
        self.fast, self.fast_guard = scope["fast"], scope["fast_guard"]

    def warm_up(self) -> None:
        """Run the replay once on copies of its arrays (CPU only), for its effect on the
        caches: tracing walks every object in the process, which evicts what the replay
        uses, and the first call after a trace took 3x a steady one. Nothing outside the
        copies and the replay's own buffers is written; the results are dropped. Not for
        arrays larger than the caches, which it could not warm."""
        arrays = [t._data for t in self.sources]
        if not all(type(a) is np.ndarray for a in arrays) or \
                sum(a.nbytes for a in arrays) > _WARM_UP_BYTES:
            return
        try:
            self.replay(*[a.copy() for a in arrays])
        except Exception:  # noqa: BLE001 (other values may fail a check: no matter)
            pass

    def run(self, tensors: list) -> Any:
        """Replay on these argument tensors: the step's result, MISS or RUN_EAGERLY."""
        return self.enter(tensors)

    def _entry(self, fn: Callable, rec: Recorder, pre: dict, fx: Effects, sources: list,
               fname: str) -> tuple[str, dict]:
        from ..tensor import Tensor
        w = GuardWriter()
        w.scope.update({"MISS": MISS, "RUN_EAGERLY": RUN_EAGERLY, "Recheck": Recheck,
                        "make": Tensor._make})
        replaced = {id(t) for t, kind, _ in fx.actions if kind == "data"}
        held = [t for t in fx.relevant if id(t) not in self.arg_ids]
        data: dict[int, str] = {}  # id(tensor) -> the expression for its array
        after = []  # what the next call must find, for arrays the step replaces
        for t in held:
            now = t._data.a if t._data.__class__ is Var else t._data
            if id(t) in replaced:  # compare with what the previous call left
                box = w.name([now], "E")
                data[id(t)] = f"{box}[0]"
                after.append(f"{box}[0] = {w.name(t, 'T')}._data")
            else:
                data[id(t)] = w.name(now, "D")
            w.tensor(t, data[id(t)], _expected_grad(rec, pre, t))
        for o in fx.optimizers:
            w.optimizer(o)
        for m in fx.modules:
            w.module(m)
        w.numbers(fn)
        self._guard_code = w.source("guard")
        lines = ["def enter(tensors):", "    try:", "        if not ("]
        lines.append("            " + "\n            and ".join(w.conditions or ["True"]))
        lines += ["        ):", "            return MISS",
                  "    except (KeyError, IndexError, ValueError):  # a key or cell gone",
                  "        return MISS"]
        args = []
        for src in sources:
            if id(src) in self.arg_ids:
                args.append(f"tensors[{self.arg_ids[id(src)]}]._data")
            else:
                args.append(data[id(src)])
        lines += ["    try:", f"        r = {fname}({', '.join(args)})",
                  "    except Recheck:", "        return RUN_EAGERLY"]
        k = len(fx.out_vars)
        for t, kind, value in fx.actions:
            target = self._target(w, t)
            if kind == "grad" and type(value) is tuple:
                dev = w.name(value[2], "DEV")
                dt = w.name(value[3], "DT")
                lines.append(f"    {target}._grad = make(r[{k}], {dev}, {dt})")
                k += 1
            elif kind == "grad":
                lines.append(f"    {target}._grad = {w.name(value, 'G')}")
            elif value.__class__ is Var:
                lines.append(f"    {target}._data = r[{k}]")
                k += 1
            else:
                lines.append(f"    {target}._data = {w.name(value[1], 'A')}")
        lines += [f"    {line}" for line in after]
        lines.append(f"    return {_result(w, fx.template)}")
        return "\n".join(lines) + "\n", w.scope

    def _target(self, w: GuardWriter, t: Any) -> str:
        if id(t) in self.arg_ids:
            return f"tensors[{self.arg_ids[id(t)]}]"
        return w.name(t, "T")


def _expected_grad(rec: Recorder, pre: dict, t: Any) -> Any:
    """What t's .grad must be at the next call: None, SOME tensor, or the very tensor
    whose array the trace reads."""
    before = pre[id(t)][2] if id(t) in pre else t._grad
    if before is None:
        return None
    if not data_used(rec, before):
        return SOME
    if t._grad is not before:
        raise NotReplayable("")
    return before


def _result(w: GuardWriter, template: Any) -> str:
    """The expression that builds what the step returns from the replay's results `r`."""
    kind = template[0]
    if kind == "tensor":
        return f"make(r[{template[1]}], {w.name(template[2], 'DEV')}, " \
               f"{w.name(template[3], 'DT')})"
    if kind in ("same", "value"):
        return w.name(template[1], "V")
    items = template[1]
    if kind is dict:
        inner = ", ".join(f"{k!r}: {_result(w, v)}" for k, v in items.items())
        return "{" + inner + "}"
    inner = ", ".join(_result(w, v) for v in items)
    if kind is list:
        return f"[{inner}]"
    if kind is tuple:
        return f"({inner},)" if len(items) == 1 else f"({inner})"
    return f"{w.name(kind, 'K')}([{inner}])"


def _device_of(rec: Recorder, inputs: list[int]) -> Any:
    """The device of the step's arrays: its namespace is the replay's `xp`."""
    for d in (backend.CPU, backend._CUDA):
        if d is None:
            continue
        for vid in inputs:
            if isinstance(rec.vars[vid].a, d.array_type):
                return d
    return backend.CPU


def _exec(code: str, filename: str, scope: dict) -> dict:
    """Run generated source in scope, registered with linecache so that tracebacks and
    debuggers show its lines."""
    exec(compile(code, filename, "exec"), scope)
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    return scope
