"""tg.compile: record a training step once at the array seam, replay it as straight-line code.

    step = tg.compile(step)        # or @tg.compile
    step(x, y)                     # 1st call per signature: runs step, recording its arrays
    step(x, y)                     # later calls: the generated code, no Tensors or nodes
    print(step.code)               # forward, the engine's backward, the update, op by op

How the recording works. For the length of the first call, every live tensor's array is
wrapped in a `Var`, and each device's array namespace (`device.xp`, plus the few device
functions the standard lacks) in a recorder. A Var forwards every operation to the array it
wraps, so the step computes exactly what it computes eagerly, and appends one line per
array operation to the trace: the ops' forwards and backwards, the engine's sums, the
optimizer's in-place update. Nothing in the library changes; it simply computes on Vars.
Afterwards the arrays go back into their tensors, and the trace becomes a Python function
over arrays (`step.code`), run from then on with the same array calls in the same order:
the floats are bit-for-bit eager's.

What the replay must not get wrong is guarded, and a guard that fails traces again:
  - the arguments' shapes, dtypes, devices and requires_grad (the signature: each new one
    gets its own trace, as TinyJit and torch.compile do);
  - every other tensor the trace used (module parameters, their .grad, momentum buffers,
    captured data) still holds the same array, and its .grad the same tensor (or None);
  - modules still hold the same parameters and submodules, optimizers the same groups and
    state; and the Python numbers read at trace time (the optimizer's lr and momentum, the
    step function's closure and global numbers such as the lesson's `lr`) are unchanged.

A value the library reads from a tensor for its own checks (cross_entropy asks whether a
target is out of range) is re-checked by the replay before it changes anything, and the
step runs eagerly if it differs. What the replay cannot do faithfully (the step reads a
tensor's value with .item(), bool(), print; draws random numbers; converts to numpy) makes
the step run eagerly from then on, with one warning naming the reason and the line.

Python side effects of the step other than tensor operations (appending to a list,
printing a string, counters) happen only while tracing, as in TinyJit.
"""
from __future__ import annotations

import functools
import gc
import inspect
import keyword
import linecache
import operator
import os
import re
import sys
import warnings
from typing import Any, Callable

import numpy as np

from . import backend
from .autograd import grad_mode
from .autograd.engine import Function

__all__ = ["compile", "Compiled", "GraphBreak"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_HERE = os.path.abspath(__file__)
_MAX_TRACES = 8  # per signature; the oldest goes first (an lr changed at every call)


class GraphBreak(UserWarning):
    """The warning a compiled step gives once when it falls back to eager."""


class _Break(Exception):
    """Raised inside the replay when a value check fails: the call runs eagerly."""


# ---------------------------------------------------------------------------------------
# Recording: Var wraps an array, and every operation on it appends a line to the trace
# ---------------------------------------------------------------------------------------
class _Ref:
    """A Var inside a recorded call's arguments."""

    __slots__ = ("id",)

    def __init__(self, id: int) -> None:
        self.id = id


class _Op:
    """One recorded array operation: `outs = render(args)`, with the op it came from."""

    __slots__ = ("kind", "what", "args", "kwargs", "out", "note", "inplace", "fresh", "ufunc",
                 "real")

    def __init__(self, kind: str, what: Any, args: tuple, kwargs: dict, out: int | None,
                 note: str, inplace: int | None = None, fresh: bool = False,
                 ufunc: Any = None, real: Any = None) -> None:
        self.kind, self.what, self.args, self.kwargs = kind, what, args, kwargs
        self.out, self.note, self.inplace, self.fresh = out, note, inplace, fresh
        self.ufunc, self.real = ufunc, real


class _Recorder:
    def __init__(self) -> None:
        self.ops: list[_Op] = []
        self.vars: dict[int, Var] = {}  # id -> Var
        self.externals: dict[int, int] = {}  # id(real array) -> var id, arrays from before
        self.ext_tensors: dict[int, list] = {}  # var id -> tensors that held it
        self.touched_external = False  # an op wrote into an array from before the step
        self.broken: str | None = None
        self.checks = 0
        self.active = True
        self.where = ""

    def new_var(self, real: Any, external: bool = False) -> "Var":
        v = Var(real, len(self.vars), self)
        v.external = external
        self.vars[v.id] = v
        return v

    def external(self, real: Any) -> "Var":
        v = self.externals.get(id(real))
        if v is None:
            var = self.new_var(real, external=True)
            self.externals[id(real)] = var.id
            return var
        return self.vars[v]

    def fail(self, reason: str) -> None:
        if self.broken is None:
            self.broken = reason
            self.where = f" at {_user_line()}"

    def record(self, kind: str, what: Any, args: tuple, kwargs: dict, real: Any,
               inplace: "Var | None" = None, fresh: bool = False, ufunc: Any = None) -> Any:
        """Append one operation whose result is `real`; return what the caller gets."""
        if not self.active or self.broken is not None:
            return real
        rargs, rkw = _refs(args), _refs(kwargs)
        note = _note()
        if inplace is not None:
            self.ops.append(_Op(kind, what, rargs, rkw, None, note, inplace.id))
            if _root_external(self, inplace):
                self.touched_external = True
            return inplace
        if real is None:  # a call for its effect (index_put, scatter_add into an array)
            self.ops.append(_Op(kind, what, rargs, rkw, None, note))
            for a in _vars_in((args, kwargs)):
                if _root_external(self, a):
                    self.touched_external = True
            return None
        if not _is_array(real):
            self.fail(f"an array operation returned {type(real).__name__}, not an array")
            return real
        for a in _vars_in((args, kwargs)):  # the same array back (asarray of an array)
            if a.a is real and kind != "method":
                return a
        v = self.new_var(real)
        op = _Op(kind, what, rargs, rkw, v.id, note, fresh=fresh, ufunc=ufunc, real=real)
        v.op = op
        v.parents = [a.id for a in _vars_in((args, kwargs))]
        self.ops.append(op)
        return v

    def value(self, v: "Var", method: str, real: Any) -> Any:
        """A Python value read from an array: a check the replay repeats, or a graph break."""
        if not self.active or self.broken is not None:
            return real
        entry = _user_entry()
        if entry is not None:  # the step itself read a tensor's value
            self.fail(_read_reason(entry))
            return real
        if self.touched_external:
            self.fail("a tensor's value decides what happens after the step changed "
                      "tensors in place")
            return real
        self.ops.append(_Op("check", method, (_Ref(v.id),), {}, None, _note(), real=real))
        return real


_REC: _Recorder | None = None  # the recorder of the trace under way


def _root_external(rec: _Recorder, v: "Var") -> bool:
    """Could v share memory with an array from before the step?"""
    stack, seen = [v.id], set()
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        var = rec.vars[i]
        if var.external:
            return True
        if var.op is not None and not var.op.fresh:
            stack.extend(var.parents)
    return False


def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array_namespace__")


def _unwrap(x: Any) -> Any:
    if x.__class__ is Var:
        return x.a
    if x.__class__ in (tuple, list):
        return x.__class__(_unwrap(i) for i in x)
    if x.__class__ is dict:
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _refs(x: Any) -> Any:
    if x.__class__ is Var:
        return _Ref(x.id)
    if x.__class__ in (tuple, list):
        return x.__class__(_refs(i) for i in x)
    if x.__class__ is dict:
        return {k: _refs(v) for k, v in x.items()}
    return x


def _vars_in(x: Any) -> list:
    if x.__class__ is Var:
        return [x]
    if x.__class__ in (tuple, list):
        return [v for i in x for v in _vars_in(i)]
    if x.__class__ is dict:
        return [v for i in x.values() for v in _vars_in(i)]
    return []


def _frames() -> list:
    f, out = sys._getframe(2), []
    while f is not None:
        out.append(f)
        f = f.f_back
    return out


def _note() -> str:
    """The op a recorded operation came from: `MulBackward0` inside Mul's backward, `Mul`
    in its forward, else the library function the step called (`sub_`, `SGD.step`)."""
    last = None
    for f in _frames():
        path = f.f_code.co_filename
        if path == _HERE:
            continue
        if not path.startswith(_PACKAGE):
            break
        name = f.f_code.co_name
        if name in ("forward", "backward"):
            ctx = f.f_locals.get("ctx")
            if isinstance(ctx, Function):
                return ctx.name() if name == "backward" else type(ctx).__name__
        if name == "_accumulate_grad":
            return "AccumulateGrad"
        if name == "root_gradient":
            return "backward() starts from 1"
        if name in _PLUMBING or name.startswith("_"):
            continue
        owner = f.f_locals.get("self")
        last = f"{type(owner).__name__}.{name}" if owner is not None and name == "step" \
            else name
    return last or ""


_PLUMBING = {"wrapper", "decorate_context", "inner", "__call__", "__enter__", "__exit__",
             "apply", "binary", "operand"}


_READS = {"item": ".item() of a tensor", "tolist": ".tolist() of a tensor",
          "__bool__": "bool() of a tensor (Python control flow on a tensor's value)",
          "__float__": "float() of a tensor", "__int__": "int() of a tensor",
          "__index__": "a tensor used as a Python int", "__repr__": "printing a tensor",
          "__str__": "printing a tensor", "__format__": "printing a tensor",
          "numpy": "a tensor converted to numpy", "__array__": "a tensor converted to numpy"}


def _user_entry() -> str | None:
    """If the step itself (not the library) reads a tensor's value here, the library
    function it called to do so; None for a read inside the library (a check)."""
    entry = None
    for f in _frames():
        path = f.f_code.co_filename
        if path == _HERE:
            continue
        if not path.startswith(_PACKAGE):
            return entry if entry in _READS or entry is None else None
        entry = f.f_code.co_name
    return None


def _read_reason(entry: str | None) -> str:
    return _READS.get(entry or "", "a tensor's value read by numpy")


def _user_line() -> str:
    for f in _frames():
        path = f.f_code.co_filename
        if not path.startswith(_PACKAGE):
            line = linecache.getline(path, f.f_lineno).strip()
            return f"{os.path.basename(path)}:{f.f_lineno} `{line}`"
    return "?"


def _binary(symbol: str, ufunc: Any, reflected: bool = False) -> Callable:
    fn = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
          "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
          "@": operator.matmul, "&": operator.and_, "|": operator.or_, "^": operator.xor,
          "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
          "==": operator.eq, "!=": operator.ne}[symbol]

    def method(self: "Var", other: Any) -> Any:
        a, b = (other, self) if reflected else (self, other)
        real = fn(_unwrap(a), _unwrap(b))
        if real is NotImplemented:
            return real
        return self.rec.record("binop", symbol, (a, b), {}, real, fresh=True, ufunc=ufunc)
    return method


def _inplace(symbol: str) -> Callable:
    fn = {"+": operator.iadd, "-": operator.isub, "*": operator.imul,
          "/": operator.itruediv, "**": operator.ipow, "&": operator.iand,
          "|": operator.ior}[symbol]

    def method(self: "Var", other: Any) -> Any:
        real = fn(self.a, _unwrap(other))
        if real is not self.a:  # not in place after all: an ordinary result
            return self.rec.record("binop", symbol, (self, other), {}, real, fresh=True)
        return self.rec.record("inplace", symbol, (self, other), {}, real, inplace=self)
    return method


def _unary(symbol: str, fn: Callable, ufunc: Any) -> Callable:
    def method(self: "Var") -> Any:
        return self.rec.record("unop", symbol, (self,), {}, fn(self.a), fresh=True,
                               ufunc=ufunc)
    return method


class Var:
    """An array during a trace: forwards everything to the array `a`, recording it."""

    __slots__ = ("a", "id", "rec", "external", "op", "parents")

    def __init__(self, a: Any, id: int, rec: _Recorder) -> None:
        self.a, self.id, self.rec = a, id, rec
        self.external, self.op, self.parents = False, None, []

    # metadata: static for a given signature, read directly
    shape = property(lambda self: self.a.shape)
    dtype = property(lambda self: self.a.dtype)
    ndim = property(lambda self: self.a.ndim)
    size = property(lambda self: self.a.size)
    device = property(lambda self: self.a.device)
    flags = property(lambda self: self.a.flags)
    T = property(lambda self: self.rec.record("attr", "T", (self,), {}, self.a.T))
    mT = property(lambda self: self.rec.record("attr", "mT", (self,), {}, self.a.mT))

    def __len__(self) -> int:
        return len(self.a)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.a, name)
        if not callable(attr):
            return attr

        def method(*args: Any, **kwargs: Any) -> Any:
            real = attr(*_unwrap(args), **_unwrap(kwargs))
            if real is None or _is_array(real):
                return self.rec.record("method", name, (self, *args), kwargs, real)
            return self.rec.value(self, name, real)  # .item(), .tolist(): a value read
        return method

    def __getitem__(self, key: Any) -> Any:
        return self.rec.record("getitem", None, (self, key), {}, self.a[_unwrap(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self.a[_unwrap(key)] = _unwrap(value)
        self.rec.record("setitem", None, (self, key, value), {}, None, inplace=self)

    def __bool__(self) -> bool:
        return self.rec.value(self, "__bool__", bool(self.a))

    def __float__(self) -> float:
        return self.rec.value(self, "__float__", float(self.a))

    def __int__(self) -> int:
        return self.rec.value(self, "__int__", int(self.a))

    __index__ = __int__

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        self.rec.fail("an array was converted by numpy (np.asarray) inside the step")
        return np.asarray(self.a, dtype=dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        real = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        what = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        out = kwargs.get("out")
        if out is not None:
            target = out[0] if isinstance(out, tuple) else out
            if target.__class__ is Var:
                return self.rec.record("call", what, inputs, kwargs, real, inplace=target)
        return self.rec.record("call", what, inputs, kwargs, real,
                               fresh=method in ("__call__", "reduce"))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        real = func(*_unwrap(args), **_unwrap(kwargs))
        if real is not None and not _is_array(real):
            return self.rec.value(self, func.__name__, real)
        return self.rec.record("call", func, args, kwargs, real)

    def __repr__(self) -> str:
        return f"Var({self.id}, {self.a!r})"

    __neg__ = _unary("-", operator.neg, np.negative)
    __pos__ = _unary("+", operator.pos, None)
    __abs__ = _unary("abs", operator.abs, np.absolute)
    __invert__ = _unary("~", operator.invert, None)


for _sym, _name, _uf in (("+", "add", np.add), ("-", "sub", np.subtract),
                         ("*", "mul", np.multiply), ("/", "truediv", np.true_divide),
                         ("//", "floordiv", None), ("%", "mod", None), ("**", "pow", None),
                         ("@", "matmul", np.matmul), ("&", "and", None), ("|", "or", None),
                         ("^", "xor", None)):
    setattr(Var, f"__{_name}__", _binary(_sym, _uf))
    setattr(Var, f"__r{_name}__", _binary(_sym, _uf, reflected=True))
for _sym, _name in (("<", "lt"), ("<=", "le"), (">", "gt"), (">=", "ge"), ("==", "eq"),
                    ("!=", "ne")):
    setattr(Var, f"__{_name}__", _binary(_sym, None))
for _sym, _name in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv"),
                    ("**", "pow"), ("&", "and"), ("|", "or")):
    setattr(Var, f"__i{_name}__", _inplace(_sym))
Var.__hash__ = None  # type: ignore[assignment]  (== is elementwise)


class _Namespace:
    """A device's array namespace during a trace: each function call is recorded."""

    def __init__(self, xp: Any, rec: _Recorder, dev: Any) -> None:
        self._xp, self._rec, self._dev = xp, rec, dev

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._xp, name)
        if not callable(attr) or isinstance(attr, type):
            return attr  # dtypes, constants
        rec = self._rec
        fresh = isinstance(attr, np.ufunc) or name in ("sum", "max", "min", "matmul",
                                                        "zeros", "ones", "empty", "full")

        def call(*args: Any, **kwargs: Any) -> Any:
            real = attr(*_unwrap(args), **_unwrap(kwargs))
            if name == "asarray" and not kwargs and len(args) == 1 and \
                    args[0].__class__ is Var and type(real) is type(args[0].a) and \
                    real.dtype == args[0].a.dtype:
                return args[0]  # already an array of the device: the same values
            if real is not None and not _is_array(real):
                rec.fail(f"xp.{name} returned a Python value")
                return real
            return rec.record("call", ("xp", self._dev, name), args, kwargs, real, fresh=fresh,
                              ufunc=attr if isinstance(attr, np.ufunc) else None)
        return call


_DEVICE_CALLS = ("gather", "index_put", "scatter_add", "contiguous_copy", "to_numpy",
                 "from_numpy")


def _device_call(dev: Any, name: str, fn: Callable, rec: _Recorder) -> Callable:
    def call(*args: Any) -> Any:
        if name == "from_numpy":  # host data: a constant, copied at each replay
            real = fn(*_unwrap(args))
            if args and args[0].__class__ is not Var:
                return rec.record("const", ("dev", dev, name),
                                  (np.array(args[0], copy=True),), {}, real)
            return rec.record("call", ("dev", dev, name), args, {}, real)
        real = fn(*_unwrap(args))
        if name in ("index_put", "scatter_add"):  # in place into args[0]
            if args[0].__class__ is Var:
                return rec.record("call", ("dev", dev, name), args, {}, None,
                                  inplace=args[0])
            return real
        return rec.record("call", ("dev", dev, name), args, {}, real)
    return call


# ---------------------------------------------------------------------------------------
# Generating the replay
# ---------------------------------------------------------------------------------------
_IDENT = re.compile(r"[^0-9a-zA-Z_]+")


def _ident(text: str) -> str:
    name = _IDENT.sub("_", text).strip("_") or "t"
    if name[0].isdigit():
        name = "p" + name
    return name + "_" if keyword.iskeyword(name) else name


class _Source:
    """Renders recorded operations as Python, collecting the constants they need."""

    def __init__(self, names: dict[int, str], main: Any) -> None:
        self.names, self.main = names, main
        self.consts: dict[str, Any] = {}

    def qualified(self, what: tuple) -> str:
        kind, dev, name = what
        return f"{kind}.{name}" if dev is self.main else f"{kind}_{dev.type}.{name}"

    def const(self, value: Any, hint: str = "c") -> str:
        for k, v in self.consts.items():
            if v is value:
                return k
        name = f"{hint}{len(self.consts)}"
        self.consts[name] = value
        return name

    def src(self, x: Any) -> str:
        if isinstance(x, _Ref):
            return self.names[x.id]
        if x is None or x is Ellipsis or isinstance(x, (bool, int, str)):
            return "..." if x is Ellipsis else repr(x)
        if type(x) is float:
            return repr(x) if np.isfinite(x) else f"float('{x}')"
        if type(x) is tuple:
            inner = ", ".join(self.src(i) for i in x)
            return f"({inner},)" if len(x) == 1 else f"({inner})"
        if type(x) is list:
            return "[" + ", ".join(self.src(i) for i in x) + "]"
        if type(x) is slice:
            return f"slice({self.src(x.start)}, {self.src(x.stop)}, {self.src(x.step)})"
        return self.const(x)

    def key(self, key: Any) -> str:
        def one(k: Any) -> str:
            if type(k) is slice:
                s = ("" if k.start is None else self.src(k.start)) + ":" + \
                    ("" if k.stop is None else self.src(k.stop))
                return s + ("" if k.step is None else ":" + self.src(k.step))
            return self.src(k)
        if type(key) is tuple:
            return ", ".join(one(k) for k in key) + ("," if len(key) == 1 else "") \
                if key else "()"
        return one(key)

    def call_args(self, args: tuple, kwargs: dict) -> str:
        parts = [self.src(a) for a in args] + [f"{k}={self.src(v)}" for k, v in kwargs.items()]
        return ", ".join(parts)

    def expr(self, op: _Op) -> str:
        a = op.args
        if op.kind == "binop":
            return f"{self.src(a[0])} {op.what} {self.src(a[1])}"
        if op.kind == "unop":
            return f"abs({self.src(a[0])})" if op.what == "abs" else \
                f"{op.what}{self.src(a[0])}"
        if op.kind == "attr":
            return f"{self.src(a[0])}.{op.what}"
        if op.kind == "method":
            return f"{self.src(a[0])}.{op.what}({self.call_args(a[1:], op.kwargs)})"
        if op.kind == "getitem":
            return f"{self.src(a[0])}[{self.key(a[1])}]"
        if op.kind == "const":
            return f"{self.qualified(op.what)}(np.array({self.const(a[0], 'host')}))"
        fn = op.what if isinstance(op.what, str) else self.qualified(op.what) \
            if type(op.what) is tuple else self.const(op.what, "f")
        return f"{fn}({self.call_args(a, op.kwargs)})"

    def statement(self, op: _Op) -> str:
        a = op.args
        if op.kind == "inplace":
            return f"{self.src(a[0])} {op.what}= {self.src(a[1])}"
        if op.kind == "setitem":
            return f"{self.src(a[0])}[{self.key(a[1])}] = {self.src(a[2])}"
        if op.kind == "check":
            call = f"{op.what[2:-2]}({self.src(a[0])})" if op.what in (
                "__bool__", "__int__", "__float__") else f"{self.src(a[0])}.{op.what}()"
            return f"if {call} != {self.src(op.real)}: raise Recheck"
        if op.out is None:
            return self.expr(op)
        return f"{self.names[op.out]} = {self.expr(op)}"


_OUT_SYMBOLS = {"+", "-", "*", "/", "@"}


def _buffered(op: _Op) -> Any:
    """The ufunc to call with out= for this op, or None. Only where that is the very same
    computation: a ufunc (or operator) on arrays of the result's dtype and Python
    numbers, giving an array of at least one dimension."""
    real = op.real
    if not isinstance(real, np.ndarray) or real.ndim == 0 or op.kwargs:
        return None
    if op.kind == "binop" and op.what in _OUT_SYMBOLS:
        uf = op.ufunc
    elif op.kind == "binop" and op.what == "**" and type(op.args[1]) in (int, float) \
            and op.args[1] == 2 and real.dtype.kind == "f":
        uf = np.square  # numpy computes x ** 2 as square(x)
    elif op.kind == "unop" and op.what == "-":
        uf = np.negative
    elif op.kind == "call" and op.ufunc is not None and op.ufunc.nout == 1 \
            and op.ufunc.nin == len(op.args):
        uf = op.ufunc
    else:
        return None
    return uf


def compile(fn: Callable | None = None) -> Any:
    """Compile a training step (torch.compile's name; also a decorator).

    >>> step = tg.compile(update)   # update() runs forward, backward and the SGD step
    >>> loss = step()               # traced; later calls replay the recorded arrays
    >>> print(step.code)
    """
    if fn is None:
        return compile
    return Compiled(fn)


class _Trace:
    """One recorded call: its guards, the generated replay and what it does to tensors."""

    replay: Callable
    code: str


class Compiled:
    """A compiled step: call it as the function; `.code` is the latest trace's source."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn
        self.traces: dict[Any, list[_Trace]] = {}
        self.eager: str | None = None  # why the step runs eagerly, after a graph break
        self.code: str | None = None
        self.trace_count = 0
        functools.update_wrapper(self, fn)
        try:
            self._params = list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            self._params = []

    def __repr__(self) -> str:
        return f"<tg.compile of {getattr(self.fn, '__qualname__', self.fn)}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.eager is not None or _REC is not None:
            return self.fn(*args, **kwargs)
        tensors: list = []
        key = (_signature(args, tensors), _signature(kwargs, tensors),
               grad_mode.state.enabled)
        for trace in self.traces.get(key, ()):
            found = trace.run(tensors)
            if found is _MISS_EAGER:  # a value the library checks changed: run eagerly
                return self.fn(*args, **kwargs)
            if found is not _MISS:
                return found
        return self._trace(key, args, kwargs)

    def guard_cost(self, *args: Any, **kwargs: Any) -> bool:
        """Check the guards of the trace a call would replay, without running it (for
        measuring what the guards cost). True when one matches."""
        tensors: list = []
        key = (_signature(args, tensors), _signature(kwargs, tensors),
               grad_mode.state.enabled)
        return any(t.guard(tensors) for t in self.traces.get(key, ()))

    # -- tracing ---------------------------------------------------------------------------
    def _trace(self, key: Any, args: tuple, kwargs: dict) -> Any:
        global _REC
        from .nn.module import Module
        from .optim import Optimizer
        from .tensor import Tensor
        rec = _Recorder()
        objs = gc.get_objects()
        tensors = _instances(objs, Tensor)  # by type(): isinstance may run __getattr__
        modules = _instances(objs, Module)
        optimizers = _instances(objs, Optimizer)
        del objs
        pre = {}
        for t in tensors:
            if t._data.__class__ is Var:  # a trace inside a trace: leave it
                continue
            pre[id(t)] = (t, t._data, t._grad)
        opt_pre = {id(o): _optimizer_state(o) for o in optimizers}
        devices = [d for d in (backend.CPU, backend._CUDA) if d is not None]
        saved = [(d, d.xp, {n: getattr(d, n) for n in _DEVICE_CALLS}, d._random)
                 for d in devices]
        arg_tensors: list = []
        _signature(args, arg_tensors)
        _signature(kwargs, arg_tensors)

        _REC = rec
        try:
            for t, data, _ in pre.values():
                v = rec.external(data)
                rec.ext_tensors.setdefault(v.id, []).append(t)
                t._data = v
            for d, xp, calls, random in saved:
                d.xp = _Namespace(xp, rec, d)
                for n, f in calls.items():
                    setattr(d, n, _device_call(d, n, f, rec))
                d._random = _refuse_random(rec, random)
            try:
                out = self.fn(*args, **kwargs)
            except BaseException:
                rec.active = False
                raise
            rec.active = False
            if rec.broken is not None:
                self._graph_break(rec.broken, rec)
            else:
                try:
                    trace = _build(self, rec, pre, opt_pre, modules, optimizers, out,
                                   arg_tensors, args, kwargs)
                except _NotReplayable as e:
                    trace = None
                    if str(e):
                        self._graph_break(str(e), rec)
                if trace is not None and trace.replayable:
                    bucket = self.traces.setdefault(key, [])
                    bucket.insert(0, trace)
                    del bucket[_MAX_TRACES:]
                    self.code = trace.code
                self.trace_count += 1
        finally:
            _REC = None
            for d, xp, calls, random in saved:
                d.xp = xp
                for n, f in calls.items():
                    setattr(d, n, f)
                d._random = random
            for t in _instances(gc.get_objects(), Tensor):
                if t._data.__class__ is Var:
                    t._data = t._data.a
        return _strip(out)

    def _graph_break(self, reason: str, rec: _Recorder) -> None:
        self.eager = reason
        where = getattr(rec, "where", "")
        warnings.warn(f"tg.compile: graph break in {getattr(self.fn, '__name__', 'fn')}"
                      f"{where}: {reason}; the step runs eagerly from now on", GraphBreak,
                      stacklevel=3)


def _instances(objs: list, cls: type) -> list:
    return [o for o in objs if issubclass(type(o), cls)]


def _refuse_random(rec: _Recorder, random: Callable) -> Callable:
    def draw(*args: Any, **kwargs: Any) -> Any:
        rec.fail("random numbers drawn inside the step")
        return random(*args, **kwargs)
    return draw


class _NotReplayable(Exception):
    pass


def _strip(x: Any) -> Any:
    return x


_MISS = object()


def _signature(x: Any, tensors: list) -> Any:
    """What a new trace is needed for: tensors by shape, dtype, device, requires_grad
    (collected into `tensors`, in order), numbers and strings by value, others by id."""
    from .tensor import Tensor
    if isinstance(x, Tensor):
        tensors.append(x)
        return (x._data.shape, x._dtype, x._device, x._requires_grad, x._grad_fn is None,
                x._base is None, x._grad is None)
    if type(x) in (tuple, list):
        return (type(x), tuple(_signature(i, tensors) for i in x))
    if type(x) is dict:
        return tuple((k, _signature(v, tensors)) for k, v in x.items())
    if x is None or type(x) in (int, float, bool, str):
        return (type(x), x)
    return ("id", id(x))


def _optimizer_state(opt: Any) -> tuple:
    groups = tuple((g, tuple((k, v) for k, v in g.items() if k != "params"),
                    tuple(g["params"])) for g in opt.param_groups)
    state = tuple((p, tuple(st.items())) for p, st in opt.state.items())
    return groups, state


_REPLAYED = {}


def _build(comp: Compiled, rec: _Recorder, pre: dict, opt_pre: dict, modules: list,
           optimizers: list, out: Any, arg_tensors: list, args: tuple,
           kwargs: dict) -> "_Replay":
    # What the step returns: tensors (their arrays become the replay's outputs)
    out_vars: list = []
    template = _out_template(out, out_vars, rec, pre)
    # Tensors whose array or .grad the step changed
    actions = []  # (tensor slot, 'data'|'grad', value) where value is a var, a tensor, None
    arg_ids = {id(t): i for i, t in enumerate(arg_tensors)}
    used = set()
    for op in rec.ops:
        for v in _vars_in_refs((op.args, op.kwargs)):
            used.add(v)
        if op.inplace is not None:
            used.add(op.inplace)
    for tid, (t, data, grad) in pre.items():
        now = t._data
        if now.__class__ is not Var or now.a is not data:
            if now.__class__ is Var and not now.external:
                actions.append((t, "data", now))
            else:
                actions.append((t, "data", ("set", now.a if now.__class__ is Var else now)))
        if t._grad is not grad:
            g = t._grad
            if g is None or id(g) in pre:
                actions.append((t, "grad", g))
            else:
                if g._grad_fn is not None or g._requires_grad or g._base is not None \
                        or g._data.__class__ is not Var:
                    raise _NotReplayable("")
                actions.append((t, "grad", ("new", g._data, g._device, g._dtype)))
    for o in optimizers:
        if id(o) in opt_pre and not _same_state(_optimizer_state(o), opt_pre[id(o)]):
            raise _NotReplayable("")  # e.g. the first momentum buffers: trace again
    # Which tensors the replay reads: those holding a used external array
    relevant = []  # tensors whose ._data (and ._grad) are guarded
    seen = set()
    for vid in sorted(used):
        var = rec.vars[vid]
        if var.external:
            for t in rec.ext_tensors.get(vid, []):
                if id(t) not in seen:
                    seen.add(id(t))
                    relevant.append(t)
    for t, _, _ in actions:
        if id(t) not in seen:
            seen.add(id(t))
            relevant.append(t)
    rel_ids = {id(t) for t in relevant}
    opts = [o for o in optimizers if any(id(p) in rel_ids for g in o.param_groups
                                         for p in g["params"])]
    for o in opts:
        for g in o.param_groups:
            for p in g["params"]:
                if id(p) not in seen:
                    seen.add(id(p))
                    relevant.append(p)
    mods = [m for m in modules if any(id(p) in rel_ids for p in m.parameters())]
    return _Replay(comp, rec, pre, relevant, actions, opts, mods, template, out_vars,
                   arg_ids, arg_tensors)


def _vars_in_refs(x: Any) -> list:
    if isinstance(x, _Ref):
        return [x.id]
    if type(x) in (tuple, list):
        return [v for i in x for v in _vars_in_refs(i)]
    if type(x) is dict:
        return [v for i in x.values() for v in _vars_in_refs(i)]
    return []


def _out_template(x: Any, out_vars: list, rec: _Recorder, pre: dict) -> Any:
    from .tensor import Tensor
    if isinstance(x, Tensor):
        if id(x) in pre:
            return ("same", x)
        if x._data.__class__ is not Var:
            raise _NotReplayable("")
        if x._grad_fn is not None and not any(
                op.note.endswith("Backward0") or op.note == "AccumulateGrad" for op in rec.ops):
            raise _NotReplayable("the step returns a tensor whose graph backward() has not "
                                 "used (call backward inside the compiled step)")
        out_vars.append(x._data.id)
        return ("tensor", len(out_vars) - 1, x._device, x._dtype, x._requires_grad)
    if type(x) in (tuple, list):
        return (type(x), [_out_template(i, out_vars, rec, pre) for i in x])
    if type(x) is dict:
        return (dict, {k: _out_template(v, out_vars, rec, pre) for k, v in x.items()})
    if x is None or type(x) in (int, float, bool, str):
        return ("value", x)
    raise _NotReplayable(f"the step returns a {type(x).__name__}")


class _Replay:
    """A trace ready to replay: the generated function, its inputs, its guards."""

    def __init__(self, comp: Compiled, rec: _Recorder, pre: dict, relevant: list,
                 actions: list, opts: list, mods: list, template: Any, out_vars: list,
                 arg_ids: dict, arg_tensors: list) -> None:
        self.replayable = True
        self.template = template
        fn = comp.fn
        # -- names: arguments, closure and global tensors, module parameters, grads
        hints: dict[int, str] = {}  # id(tensor) -> name
        try:
            bound = inspect.signature(fn).bind(*[None] * 0)
        except Exception:
            bound = None
        del bound
        for i, t in enumerate(arg_tensors):
            hints.setdefault(id(t), _arg_name(comp, i))
        code = getattr(fn, "__code__", None)
        scopes = {}
        if code is not None:
            if fn.__closure__:
                scopes.update(zip(code.co_freevars, (c.cell_contents for c in fn.__closure__
                                                     if _cell_ok(c))))
            g = getattr(fn, "__globals__", {})
            scopes.update({n: g[n] for n in code.co_names if n in g})
        from .nn.module import Module
        from .tensor import Tensor
        for name, obj in scopes.items():
            if isinstance(obj, Tensor):
                hints.setdefault(id(obj), name)
            elif isinstance(obj, Module):
                for pname, p in obj.named_parameters():
                    hints.setdefault(id(p), f"{name}.{pname}")
        for m in mods:
            for pname, p in m.named_parameters():
                hints.setdefault(id(p), pname)
        for o in opts:
            for p, st in o.state.items():
                for k, v in st.items():
                    if isinstance(v, Tensor) and id(p) in hints:
                        hints.setdefault(id(v), f"{hints[id(p)]}.{k}")
        for t in list(relevant) + [t for t, _, _ in pre.values()]:
            g = t._grad
            if g is not None and id(t) in hints:
                hints.setdefault(id(g), hints[id(t)] + ".grad")
        # -- inputs: the external arrays the ops use, each from a tensor
        names: dict[int, str] = {}
        taken = {"xp", "dev", "np", "Recheck", "xp_cpu", "xp_cuda", "dev_cpu", "dev_cuda"}

        def unique(base: str) -> str:
            base = _ident(base)
            name, n = base, 1
            while name in taken:
                n += 1
                name = f"{base}_{n}"
            taken.add(name)
            return name

        used_ext = []
        for op in rec.ops:
            for vid in _vars_in_refs((op.args, op.kwargs)) + \
                    ([op.inplace] if op.inplace is not None else []):
                var = rec.vars[vid]
                if var.external and vid not in names:
                    holders = rec.ext_tensors.get(vid, [])
                    src = _pick_holder(holders, arg_ids, hints)
                    if src is None:
                        raise _NotReplayable("")
                    names[vid] = unique(hints.get(id(src), f"e{len(used_ext)}"))
                    used_ext.append((vid, src))
        self.inputs = []  # ('arg', index) or ('held', tensor): where each array comes from
        for vid, src in used_ext:
            self.inputs.append(("arg", arg_ids[id(src)]) if id(src) in arg_ids
                               else ("held", src))
        # -- dead code: keep ops with an effect, and what they and the outputs need
        needed = set(out_vars)
        for t, kind, value in actions:
            if kind == "data" and value.__class__ is Var:
                needed.add(value.id)
            elif kind == "grad" and type(value) is tuple:
                needed.add(value[1].id)
        keep = []
        for op in reversed(rec.ops):
            if op.out is None or op.out in needed:
                keep.append(op)
                needed.update(_vars_in_refs((op.args, op.kwargs)))
                if op.inplace is not None:
                    needed.add(op.inplace)
        keep.reverse()
        # -- the values that leave the replay may not live in reused buffers
        escaping = set(needed) & (set(out_vars) | {
            (v.id if v.__class__ is Var else v[1].id) for _, k, v in actions
            if (k == "data" and v.__class__ is Var) or (k == "grad" and type(v) is tuple)})
        shared = _alias_classes(rec, keep)
        bad = {shared(i) for i in escaping} | {shared(v) for v, _ in used_ext}
        for i, v in rec.vars.items():
            if v.external:
                bad.add(shared(i))
        # -- source
        dev = _device_of(rec, used_ext, out_vars)
        src = _Source(names, dev)
        counter = 0
        for op in keep:
            if op.out is not None and op.out not in names:
                counter += 1
                names[op.out] = unique(f"t{counter}")
        results = [names[i] for i in out_vars]
        new_values = []
        for t, kind, value in actions:
            if kind == "data" and value.__class__ is Var:
                new_values.append(value.id)
            elif kind == "grad" and type(value) is tuple:
                new_values.append(value[1].id)
        results += [names[i] for i in new_values]
        device = None
        for v, s in used_ext:
            device = rec.vars[v].a
        buffers: dict[str, Any] = {}
        lines = []
        for op in keep:
            line = src.statement(op)
            uf = _buffered(op) if comp_out_enabled() else None
            if uf is not None and shared(op.out) not in bad and \
                    isinstance(op.args[0], (_Ref, int, float)):
                arrays = [a for a in op.args if isinstance(a, _Ref)]
                if all(rec.vars[a.id].a.dtype == op.real.dtype for a in arrays) and \
                        all(isinstance(a, (_Ref, int, float)) for a in op.args):
                    buf = f"_{names[op.out]}"
                    buffers[buf] = np.empty_like(op.real)
                    fname = src.const(uf, "uf") if uf.__name__ not in _NP_UFUNCS \
                        else f"np.{uf.__name__}"
                    operands = op.args[:1] if uf is np.square else op.args
                    line = (f"{names[op.out]} = {fname}("
                            f"{', '.join(src.src(a) for a in operands)}, out={buf})")
            lines.append((line, op.note))
        del device
        params = [names[v] for v, _ in used_ext]
        width = max([len(line) for line, _ in lines] + [40])
        body = [f"    {line.ljust(width)}  # {note}" if note else f"    {line}"
                for line, note in lines]
        ret = ", ".join(results) + ("," if len(results) == 1 else "")
        fname = _ident(getattr(fn, "__name__", "step"))
        self.code = "\n".join([f"def {fname}({', '.join(params)}):", *body,
                               f"    return ({ret})" if results else "    return ()", ""])
        scope: dict[str, Any] = {"xp": dev.xp, "dev": dev, "np": np, "Recheck": _Break}
        for d in (backend.CPU, backend._CUDA):
            if d is not None:
                scope[f"xp_{d.type}"], scope[f"dev_{d.type}"] = d.xp, d
        scope.update(src.consts)
        scope.update(buffers)
        exec(builtins_compile(self.code, f"<tg.compile {fname}>", "exec"), scope)
        self.replay = scope[fname]
        linecache.cache[f"<tg.compile {fname}>"] = (len(self.code), None,
                                                    self.code.splitlines(True),
                                                    f"<tg.compile {fname}>")
        self.n_out = len(out_vars)
        # -- guards
        self.held = [t for t in relevant if id(t) not in arg_ids]
        self.expect_data = [t._data.a if t._data.__class__ is Var else t._data
                            for t in self.held]
        self.expect_grad = []  # None: no .grad; _SOME: some .grad, unread; a tensor: it
        for t in self.held:
            before = pre[id(t)][2] if id(t) in pre else t._grad
            if before is None:
                self.expect_grad.append(None)
            elif _data_used(rec, before):
                if t._grad is not before:
                    raise _NotReplayable("")
                self.expect_grad.append(before)
            else:
                self.expect_grad.append(_SOME)
        self.actions = []
        for t, kind, value in actions:
            slot = ("arg", arg_ids[id(t)]) if id(t) in arg_ids else ("held", t)
            if kind == "grad" and type(value) is tuple:
                value = ("new", value[2], value[3])
            elif kind == "data" and value.__class__ is Var:
                value = ("new",)
            self.actions.append((slot, kind, value))
        self.opts = [(o, _optimizer_state(o)) for o in opts]
        self.mods = [(m, tuple(m._parameters.values()), tuple(m._modules.values()),
                      tuple(m._buffers.values())) for m in mods]
        self.numbers = _numbers(fn)

    def guard(self, tensors: list) -> bool:
        for t, d, g in zip(self.held, self.expect_data, self.expect_grad):
            if t._data is not d:
                return False
            now = t._grad
            if g is None:
                if now is not None:
                    return False
            elif g is _SOME:
                if now is None:
                    return False
            elif now is not g:
                return False
        for o, state in self.opts:
            if not _same_state(_optimizer_state(o), state):
                return False
        for m, p, c, b in self.mods:
            if not (_same(m._parameters.values(), p) and _same(m._modules.values(), c)
                    and _same(m._buffers.values(), b)):
                return False
        for get, value in self.numbers:
            now = get()
            if type(now) is not type(value) or now != value:
                return False
        return True

    def run(self, tensors: list) -> Any:
        if not self.guard(tensors):
            return _MISS
        arrays = [tensors[i]._data if kind == "arg" else i._data for kind, i in self.inputs]
        try:
            results = self.replay(*arrays)
        except _Break:
            return _MISS_EAGER
        from .tensor import Tensor
        make = Tensor._make
        news = iter(results[self.n_out:])
        for i, ((where, t), kind, value) in enumerate(self.actions):
            target = tensors[t] if where == "arg" else t
            if kind == "grad":
                target._grad = make(next(news), value[1], value[2]) \
                    if type(value) is tuple else value
            elif value[0] == "new":
                target._data = next(news)
            else:
                target._data = value[1]
        # what the next call must find
        for k, t in enumerate(self.held):
            self.expect_data[k] = t._data
        return _fill(self.template, results, make)


_MISS_EAGER = object()
_SOME = object()


def _data_used(rec: _Recorder, t: Any) -> bool:
    """Did the trace use the array tensor t held before the step?"""
    data = t._data.a if t._data.__class__ is Var else t._data
    vid = rec.externals.get(id(data))
    if vid is None:
        return False
    return any(vid in _vars_in_refs((op.args, op.kwargs)) or op.inplace == vid
               for op in rec.ops)
_NP_UFUNCS = {n for n in dir(np) if isinstance(getattr(np, n), np.ufunc)}


def comp_out_enabled() -> bool:
    return os.environ.get("TINYGRAD_SGD_COMPILE_NO_OUT") != "1"


builtins_compile = __builtins__["compile"] if isinstance(__builtins__, dict) \
    else __builtins__.compile


def _fill(template: Any, results: Any, make: Callable) -> Any:
    kind = template[0]
    if kind == "tensor":
        t = make(results[template[1]], template[2], template[3])
        return t
    if kind == "same":
        return template[1]
    if kind == "value":
        return template[1]
    if kind is dict:
        return {k: _fill(v, results, make) for k, v in template[1].items()}
    return kind(_fill(v, results, make) for v in template[1])


def _same(a: Any, b: tuple) -> bool:
    a = tuple(a)
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _same_state(a: tuple, b: tuple) -> bool:
    (ga, sa), (gb, sb) = a, b
    if len(ga) != len(gb) or len(sa) != len(sb):
        return False
    for (g1, h1, p1), (g2, h2, p2) in zip(ga, gb):
        if g1 is not g2 or not _same(p1, p2) or len(h1) != len(h2):
            return False
        for (k1, v1), (k2, v2) in zip(h1, h2):
            if k1 != k2 or type(v1) is not type(v2) or v1 != v2:
                return False
    for (p1, st1), (p2, st2) in zip(sa, sb):
        if p1 is not p2 or len(st1) != len(st2):
            return False
        for (k1, v1), (k2, v2) in zip(st1, st2):
            if k1 != k2 or (v1 is not v2 and (type(v1) is not type(v2) or
                                               not isinstance(v1, (int, float)) or v1 != v2)):
                return False
    return True


def _numbers(fn: Callable) -> list:
    """Getters for the Python numbers the step function reads by name: its closure's and
    the globals it names (the lesson's `lr`)."""
    code = getattr(fn, "__code__", None)
    found = []
    if code is None:
        return found
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        if _cell_ok(cell) and type(cell.cell_contents) in (int, float, bool):
            found.append((lambda c=cell: c.cell_contents, cell.cell_contents))
    g = fn.__globals__
    for name in code.co_names:
        if type(g.get(name)) in (int, float, bool):
            found.append((lambda n=name: g.get(n), g[name]))
    return found


def _cell_ok(cell: Any) -> bool:
    try:
        cell.cell_contents
        return True
    except ValueError:
        return False


def _arg_name(comp: Compiled, i: int) -> str:
    return comp._params[i] if i < len(comp._params) else f"arg{i}"


def _pick_holder(holders: list, arg_ids: dict, hints: dict) -> Any:
    for t in holders:
        if id(t) in arg_ids:
            return t
    for t in holders:
        if id(t) in hints:
            return t
    return holders[0] if holders else None


def _device_of(rec: _Recorder, used_ext: list, out_vars: list) -> Any:
    from .tensor import Tensor  # noqa: F401
    for d in (backend.CPU, backend._CUDA):
        if d is None:
            continue
        for vid, _ in used_ext:
            if isinstance(rec.vars[vid].a, d.array_type):
                return d
    return backend.CPU


def _alias_classes(rec: _Recorder, ops: list) -> Callable[[int], int]:
    """Union-find over vars that may share memory: an op that is not known to make a new
    array (a view, a reshape) may return memory of its inputs."""
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for op in ops:
        if op.out is None or op.fresh:
            continue
        for v in _vars_in_refs((op.args, op.kwargs)):
            parent[find(v)] = find(op.out)
    return find
