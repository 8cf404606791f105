"""tg.compile: record a training step once at the array seam, replay it as straight-line code.

    step = tg.compile(step)        # or @tg.compile
    step(x, y)                     # 1st call per signature: runs step, recording its arrays
    step(x, y)                     # later calls: the generated code, no Tensors or nodes
    print(step.code)               # forward, the engine's backward, the update, op by op

How it works, file by file:

- record.py: for the length of the first call, every live tensor's array is wrapped in a
  `Var`, and each device's array namespace in a recorder. A Var forwards every operation
  to the array it wraps, so the step computes exactly what it computes eagerly, and
  appends one line per array operation to the trace. Nothing in the library changes; it
  simply computes on Vars. Afterwards the arrays go back into their tensors.
- analyze.py: what the step did to tensors (a new .grad), what it returned, which
  tensors the replay reads and so must guard.
- codegen.py: the trace becomes a Python function over arrays (`step.code`): the same
  array calls in the same order, so the floats are bit-for-bit eager's; dead values
  dropped, constants folded, temporaries written into buffers kept between calls.
- rewrite.py: on the CPU, a few numpy calls written as a faster route to the same bits
  (where as integer bit operations, take_along_axis as numpy's own fancy index).
- guards.py and replay.py: before each replay, one generated expression checks that
  what the trace assumed still holds: every tensor it uses holds the same array and
  .grad, modules and optimizers hold the same parameters, hyperparameters and state,
  and the Python numbers the step reads (the lesson's `lr`) are unchanged. If not, the
  step traces again. The arguments' shapes, dtypes, devices and requires_grad form the
  signature: each new one gets its own trace, as in TinyJit and torch.compile.

A value the library reads from a tensor for its own checks (cross_entropy asks whether a
target is out of range) is re-checked by the replay before it changes anything, and the
call runs eagerly if it differs. What the replay cannot do faithfully (the step reads a
tensor's value with .item(), bool(), print; draws random numbers; converts to numpy) makes
the step run eagerly from then on, with one warning naming the reason and the line.

Python side effects of the step other than tensor operations (appending to a list,
printing a string, counters) happen only while tracing, as in TinyJit.
"""
from __future__ import annotations

import functools
import gc
import warnings
from typing import Any, Callable

from .. import backend
from ..autograd import grad_mode
from . import record
from .analyze import NotReplayable, optimizer_state, parameter_names, step_effects
from .record import Recorder, Var
from .replay import MISS, RUN_EAGERLY, Replay

__all__ = ["compile", "Compiled", "GraphBreak"]

_MAX_TRACES = 8  # per signature; the oldest goes first (an lr changed at every call)
_WARM_UPS = 4  # the newest trace of up to this many signatures runs on copies after a
# trace (Replay.warm_up): the last batch of an epoch traces, and the first of the next
# replays another signature
_TRACING: list[Recorder] = []  # the trace under way: a compiled step inside runs eagerly


class GraphBreak(UserWarning):
    """The warning a compiled step gives once when it falls back to eager."""


def compile(fn: Callable | None = None) -> Any:
    """Compile a training step (torch.compile's name; also a decorator).

    >>> step = tg.compile(update)   # update() runs forward, backward and the SGD step
    >>> loss = step()               # traced; later calls replay the recorded arrays
    >>> print(step.code)
    """
    if fn is None:
        return compile
    return Compiled(fn)


class Compiled:
    """A compiled step: call it as the function; `.code` is the latest trace's source."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn
        self.traces: dict[Any, list[Replay]] = {}  # signature -> its traces, newest first
        self.eager: str | None = None  # why the step runs eagerly, after a graph break
        self.code: str | None = None
        self.trace_count = 0
        self._last: Replay | None = None  # the trace the latest call replayed
        self._params = parameter_names(fn)
        functools.update_wrapper(self, fn)

    def __repr__(self) -> str:
        return f"<tg.compile of {getattr(self.fn, '__qualname__', self.fn)}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.eager is not None or _TRACING:
            return self.fn(*args, **kwargs)
        if self._last is not None and not kwargs:  # the trace that replayed last time
            found = self._last.fast(args)
            if found is RUN_EAGERLY:
                return self.fn(*args)
            if found is not MISS:
                return found
        tensors: list = []
        key = call_key(args, kwargs, tensors)
        for trace in self.traces.get(key, ()):
            found = trace.enter(tensors)
            if found is RUN_EAGERLY:  # a value the library checks changed
                return self.fn(*args, **kwargs)
            if found is not MISS:
                self._last = trace if trace.fast is not None else None
                return found
        return self._trace(key, args, kwargs)

    def guard_cost(self, *args: Any, **kwargs: Any) -> bool:
        """Check the signature and the guards of the traces a call would replay, without
        replaying (to measure what they cost). True when one matches; like a call, it
        makes that trace the one tried first next time."""
        if self._last is not None and not kwargs and self._last.fast_guard(args):
            return True
        key = call_key(args, kwargs, [])
        for trace in self.traces.get(key, ()):
            if trace.guard():
                self._last = trace if trace.fast is not None else None
                return True
        return False

    # -- tracing ---------------------------------------------------------------------------
    def _trace(self, key: Any, args: tuple, kwargs: dict) -> Any:
        from ..nn.module import Module
        from ..optim import Optimizer
        from ..tensor import Tensor
        rec = Recorder()
        trace = None
        objs = gc.get_objects()
        tensors = _instances(objs, Tensor)
        modules = _instances(objs, Module)
        optimizers = _instances(objs, Optimizer)
        del objs
        # each tensor's array and .grad before the step
        pre = {id(t): (t, t._data, t._grad) for t in tensors if t._data.__class__ is not Var}
        opt_pre = {id(o): optimizer_state(o) for o in optimizers}
        types = [type(a) for a in args]
        arg_tensors: list = []
        signature(args, arg_tensors)
        signature(kwargs, arg_tensors)
        _TRACING.append(rec)
        collecting = gc.isenabled()
        gc.disable()  # the tensors the step makes stay in generation 0 (see below)
        collections = _collections()
        try:
            with _recording(rec, pre):
                out = self.fn(*args, **kwargs)
            if rec.broken is not None:
                self._graph_break(rec.broken, rec)
                return out
            try:
                fx = step_effects(rec, pre, opt_pre, optimizers, modules, out)
                trace = Replay(self.fn, self._params, rec, pre, fx, arg_tensors)
            except NotReplayable as e:
                if str(e):
                    self._graph_break(str(e), rec)
            else:
                if len(key) == 2:  # tensor arguments alone: checked without the key
                    trace.argument_entry(key, types)
                self._last = trace if trace.fast is not None else None
                bucket = self.traces.setdefault(key, [])
                bucket.insert(0, trace)
                del bucket[_MAX_TRACES:]
                self.code = trace.code
            self.trace_count += 1
        finally:
            _TRACING.pop()
            # arrays back into tensors: those from before the step, and those it made,
            # which are young (generation 0) unless something collected meanwhile. Not
            # walking every object again keeps the caches warm for the next call (a
            # walk over all of them made the first replay 4x slower).
            young = _collections() == collections
            made = gc.get_objects(generation=0) if young else gc.get_objects()
            for t in [t for t, _, _ in pre.values()] + _instances(made, Tensor):
                if t._data.__class__ is Var:
                    t._data = t._data.a
            del made
            if collecting:
                gc.enable()
        if trace is not None:  # the next call may have another signature: warm a few
            others = [b[0] for b in self.traces.values() if b and b[0] is not trace]
            for t in [*others[-(_WARM_UPS - 1):], trace]:
                t.warm_up()
        return out

    def _graph_break(self, reason: str, rec: Recorder) -> None:
        self.eager = reason
        warnings.warn(f"tg.compile: graph break in {getattr(self.fn, '__name__', 'fn')}"
                      f"{rec.where}: {reason}; the step runs eagerly from now on",
                      GraphBreak, stacklevel=4)


class _recording:
    """While active: every tensor's array is a Var, each device's namespace and device
    functions record, and random draws break the graph."""

    def __init__(self, rec: Recorder, pre: dict) -> None:
        self.rec = rec
        self.pre = pre
        self.devices = [d for d in (backend.CPU, backend._CUDA) if d is not None]
        self.saved: list[tuple] = []

    def __enter__(self) -> None:
        rec = self.rec
        for d in self.devices:
            calls = {n: getattr(d, n) for n in record.DEVICE_CALLS}
            self.saved.append((d, d.xp, calls, d._random))
        for t, data, _ in self.pre.values():
            v = rec.external(data)
            rec.ext_tensors.setdefault(v.id, []).append(t)
            t._data = v
        for d, xp, calls, random in self.saved:
            d.xp = record.Namespace(xp, rec, d)
            for name, fn in calls.items():
                setattr(d, name, record.device_call(d, name, fn, rec))
            d._random = record.refuse_random(rec, random)

    def __exit__(self, *exc: Any) -> None:
        self.rec.active = False
        for d, xp, calls, random in self.saved:
            d.xp = xp
            for name, fn in calls.items():
                setattr(d, name, fn)
            d._random = random


def _collections() -> int:
    """How many garbage collections have run so far (all generations)."""
    return sum(g["collections"] for g in gc.get_stats())


def _instances(objs: list, cls: type) -> list:
    """The objects of cls among objs; by type(), since isinstance may run __getattr__."""
    return [o for o in objs if issubclass(type(o), cls)]


def call_key(args: tuple, kwargs: dict, tensors: list) -> Any:
    """The signature of a call (its arguments' and the grad mode), collecting its tensors.
    Arguments that are all tensors (a training step's batch) take a shorter path."""
    if _Tensor is None:
        _load_tensor()
    if not kwargs:
        found = []
        for x in args:
            if not isinstance(x, _Tensor):
                break
            found.append((x._data.shape, x._dtype, x._device, x._requires_grad,
                          x._grad_fn is None, x._base is None, x._grad is None))
        else:
            tensors.extend(args)
            return (tuple(found), grad_mode.state.enabled)
    return (_signature(args, tensors), _signature(kwargs, tensors) if kwargs else (),
            grad_mode.state.enabled)


def signature(x: Any, tensors: list) -> Any:
    """What a new trace is needed for: tensors by shape, dtype, device, requires_grad
    (collected into `tensors`, in order), numbers and strings by value, others by id."""
    if _Tensor is None:
        _load_tensor()
    return _signature(x, tensors)


def _signature(x: Any, tensors: list) -> Any:
    kind = type(x)
    if kind is _Tensor or isinstance(x, _Tensor):
        tensors.append(x)
        return (x._data.shape, x._dtype, x._device, x._requires_grad, x._grad_fn is None,
                x._base is None, x._grad is None)
    if kind is tuple or kind is list:
        return (kind, tuple([_signature(i, tensors) for i in x]))
    if kind is dict:
        return tuple([(k, _signature(v, tensors)) for k, v in x.items()])
    if x is None or kind in (int, float, bool, str):
        return (kind, x)
    return ("id", id(x))


_Tensor: Any = None  # looked up on first use, as the rest of this package does


def _load_tensor() -> None:
    global _Tensor
    from ..tensor import Tensor
    _Tensor = Tensor


# help() shows annotations as the objects they name, not as quoted strings (helptext.py)
import sys as _sys  # noqa: E402

from .. import helptext as _helptext  # noqa: E402

_helptext.resolve(_sys.modules[__name__])
