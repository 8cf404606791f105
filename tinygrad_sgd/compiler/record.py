"""Recording: a `Var` wraps an array, and every operation on it appends an `Op` to the trace.

While a step is traced, every tensor's array is a Var and each device's namespace (`xp`,
and the few device functions the standard lacks) a recorder. A Var forwards each operation
to the array it wraps, so the step computes exactly what it computes eagerly, and appends
one `Op` to the `Recorder`: the ops' forwards and backwards, the engine's sums, the
optimizer's in-place update, in the order eager runs them. Arguments are stored with each
Var replaced by a `Ref` to its id, so the trace can be rendered as Python later
(codegen.py).

A Python value read from an array (`bool(a)`, `.item()`) is either a check the library
makes (the replay repeats it) or, when the step itself reads it, a graph break.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from . import notes


class Ref:
    """A Var inside a recorded operation's arguments."""

    __slots__ = ("id",)

    def __init__(self, id: int) -> None:
        self.id = id


class Op:
    """One recorded array operation: `out = what(args, kwargs)`, with the op it came from.

    kind: how it is written (binop `a + b`, unop, attr `a.mT`, method `a.reshape(...)`,
    getitem, setitem, inplace `a += b`, call `xp.sum(a)`, const, check). `inplace` is the
    id of the var written in place; `fresh` says the result is new memory (not a view);
    `real` is the array (or value) computed while tracing.
    """

    __slots__ = ("kind", "what", "args", "kwargs", "out", "note", "inplace", "fresh",
                 "ufunc", "real")

    def __init__(self, kind: str, what: Any, args: tuple, kwargs: dict, out: int | None,
                 note: str, inplace: int | None = None, fresh: bool = False,
                 ufunc: Any = None, real: Any = None) -> None:
        self.kind = kind
        self.what = what
        self.args = args
        self.kwargs = kwargs
        self.out = out
        self.note = note
        self.inplace = inplace
        self.fresh = fresh
        self.ufunc = ufunc
        self.real = real


class Recorder:
    """The trace under way: the ops in order and the Vars they read and make."""

    def __init__(self) -> None:
        self.ops: list[Op] = []
        self.vars: dict[int, Var] = {}
        self.externals: dict[int, int] = {}  # id(array from before the step) -> var id
        self.ext_tensors: dict[int, list] = {}  # var id -> tensors that held it
        self.touched_external = False  # an op wrote into an array from before the step
        self.broken: str | None = None  # the graph break's reason
        self.where = ""  # and the user's line
        self.active = True

    def new_var(self, real: Any, external: bool = False) -> Var:
        """A Var for a new array, numbered in order of appearance."""
        v = Var(real, len(self.vars), self)
        v.external = external
        self.vars[v.id] = v
        return v

    def external(self, real: Any) -> Var:
        """The Var of an array that existed before the step (one per array)."""
        vid = self.externals.get(id(real))
        if vid is not None:
            return self.vars[vid]
        var = self.new_var(real, external=True)
        self.externals[id(real)] = var.id
        return var

    def fail(self, reason: str) -> None:
        """A graph break: remember the first reason and the user's line."""
        if self.broken is None:
            self.broken = reason
            self.where = f" at {notes.user_line()}"

    def record(self, kind: str, what: Any, args: tuple, kwargs: dict, real: Any,
               inplace: Var | None = None, fresh: bool = False, ufunc: Any = None) -> Any:
        """Append one operation whose result is `real`; return what the caller gets."""
        if not self.active or self.broken is not None:
            return real
        rargs = refs(args)
        rkw = refs(kwargs)
        note = notes.op_note()
        if inplace is not None:
            self.ops.append(Op(kind, what, rargs, rkw, None, note, inplace.id))
            if self.may_alias_external(inplace):
                self.touched_external = True
            return inplace
        if real is None:  # a call for its effect (index_put, scatter_add into an array)
            self.ops.append(Op(kind, what, rargs, rkw, None, note))
            for a in vars_in((args, kwargs)):
                if self.may_alias_external(a):
                    self.touched_external = True
            return None
        if not is_array(real):
            self.fail(f"an array operation returned {type(real).__name__}, not an array")
            return real
        for a in vars_in((args, kwargs)):  # the same array back (asarray of an array)
            if a.a is real and kind != "method":
                return a
        v = self.new_var(real)
        op = Op(kind, what, rargs, rkw, v.id, note, fresh=fresh, ufunc=ufunc, real=real)
        v.op = op
        v.parents = [a.id for a in vars_in((args, kwargs))]
        self.ops.append(op)
        return v

    def value(self, v: Var, method: str, real: Any) -> Any:
        """A Python value read from an array: a check the replay repeats, or a graph break."""
        if not self.active or self.broken is not None:
            return real
        entry = notes.user_read()
        if entry is not None:  # the step itself read a tensor's value
            self.fail(notes.read_reason(entry))
            return real
        if self.touched_external:  # re-checking at replay would come too late
            self.fail("a tensor's value decides what happens after the step changed "
                      "tensors in place")
            return real
        self.ops.append(Op("check", method, (Ref(v.id),), {}, None, notes.op_note(),
                           real=real))
        return real

    def may_alias_external(self, v: Var) -> bool:
        """Could v share memory with an array from before the step?"""
        stack = [v.id]
        seen = set()
        while stack:
            i = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            var = self.vars[i]
            if var.external:
                return True
            if var.op is not None and not var.op.fresh:  # a view: follow its inputs
                stack.extend(var.parents)
        return False


def is_array(x: Any) -> bool:
    """An array of some device (or a numpy scalar), not a Python value."""
    return isinstance(x, (np.ndarray, np.generic)) or hasattr(x, "__array_namespace__")


def unwrap(x: Any) -> Any:
    """x with every Var replaced by its array (inside tuples, lists and dicts too)."""
    if x.__class__ is Var:
        return x.a
    if x.__class__ in (tuple, list):
        return x.__class__(unwrap(i) for i in x)
    if x.__class__ is dict:
        return {k: unwrap(v) for k, v in x.items()}
    return x


def refs(x: Any) -> Any:
    """x with every Var replaced by a Ref to its id."""
    if x.__class__ is Var:
        return Ref(x.id)
    if x.__class__ in (tuple, list):
        return x.__class__(refs(i) for i in x)
    if x.__class__ is dict:
        return {k: refs(v) for k, v in x.items()}
    return x


def vars_in(x: Any) -> list[Var]:
    """The Vars inside x, in order."""
    if x.__class__ is Var:
        return [x]
    if x.__class__ in (tuple, list):
        return [v for i in x for v in vars_in(i)]
    if x.__class__ is dict:
        return [v for i in x.values() for v in vars_in(i)]
    return []


def ref_ids(x: Any) -> list[int]:
    """The var ids of the Refs inside a recorded op's arguments, in order."""
    if isinstance(x, Ref):
        return [x.id]
    if type(x) in (tuple, list):
        return [v for i in x for v in ref_ids(i)]
    if type(x) is dict:
        return [v for i in x.values() for v in ref_ids(i)]
    return []


def op_reads(op: Op) -> list[int]:
    """The var ids an op reads, the one it writes in place included."""
    found = ref_ids((op.args, op.kwargs))
    if op.inplace is not None:
        found.append(op.inplace)
    return found


# ---------------------------------------------------------------------------------------
# Var: an array during a trace
# ---------------------------------------------------------------------------------------
_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
           "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
           "@": operator.matmul, "&": operator.and_, "|": operator.or_, "^": operator.xor,
           "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
           "==": operator.eq, "!=": operator.ne}
_INPLACE = {"+": operator.iadd, "-": operator.isub, "*": operator.imul,
            "/": operator.itruediv, "**": operator.ipow, "&": operator.iand,
            "|": operator.ior}


def _binary(symbol: str, ufunc: Any, reflected: bool = False) -> Callable:
    """Var's `a <symbol> b` (or `b <symbol> a`): computed on the arrays, then recorded."""
    fn = _BINARY[symbol]

    def method(self: Var, other: Any) -> Any:
        a, b = (other, self) if reflected else (self, other)
        real = fn(unwrap(a), unwrap(b))
        if real is NotImplemented:
            return real
        return self.rec.record("binop", symbol, (a, b), {}, real, fresh=True, ufunc=ufunc)
    return method


def _inplace(symbol: str) -> Callable:
    """Var's `a <symbol>= b`: in place into a's array when numpy does it in place."""
    fn = _INPLACE[symbol]

    def method(self: Var, other: Any) -> Any:
        real = fn(self.a, unwrap(other))
        if real is not self.a:  # not in place after all: an ordinary result
            return self.rec.record("binop", symbol, (self, other), {}, real, fresh=True)
        return self.rec.record("inplace", symbol, (self, other), {}, real, inplace=self)
    return method


def _unary(symbol: str, fn: Callable, ufunc: Any) -> Callable:
    def method(self: Var) -> Any:
        return self.rec.record("unop", symbol, (self,), {}, fn(self.a), fresh=True,
                               ufunc=ufunc)
    return method


class Var:
    """An array during a trace: forwards everything to the array `a`, recording it."""

    __slots__ = ("a", "id", "rec", "external", "op", "parents")

    def __init__(self, a: Any, id: int, rec: Recorder) -> None:
        self.a = a
        self.id = id
        self.rec = rec
        self.external = False  # an array from before the step
        self.op: Op | None = None  # the op that made it
        self.parents: list[int] = []  # the vars that op read

    # metadata: fixed for a given signature, read directly
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
            real = attr(*unwrap(args), **unwrap(kwargs))
            if real is None or is_array(real):
                return self.rec.record("method", name, (self, *args), kwargs, real)
            return self.rec.value(self, name, real)  # .item(), .tolist(): a value read
        return method

    def __getitem__(self, key: Any) -> Any:
        return self.rec.record("getitem", None, (self, key), {}, self.a[unwrap(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self.a[unwrap(key)] = unwrap(value)
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
        real = getattr(ufunc, method)(*unwrap(inputs), **unwrap(kwargs))
        what = f"np.{ufunc.__name__}"
        if method != "__call__":
            what += f".{method}"
        out = kwargs.get("out")
        if out is not None:
            target = out[0] if isinstance(out, tuple) else out
            if target.__class__ is Var:
                return self.rec.record("call", what, inputs, kwargs, real, inplace=target)
        return self.rec.record("call", what, inputs, kwargs, real,
                               fresh=method in ("__call__", "reduce"))

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        real = func(*unwrap(args), **unwrap(kwargs))
        if real is not None and not is_array(real):
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


# ---------------------------------------------------------------------------------------
# the device's namespace and device functions during a trace
# ---------------------------------------------------------------------------------------
_FRESH_CALLS = ("sum", "max", "min", "matmul", "zeros", "ones", "empty", "full", "where",
                "take_along_axis")  # new memory, never a view of an argument


class Namespace:
    """A device's array namespace during a trace: each function call is recorded."""

    def __init__(self, xp: Any, rec: Recorder, dev: Any) -> None:
        self._xp = xp
        self._rec = rec
        self._dev = dev

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._xp, name)
        if not callable(attr) or isinstance(attr, type):
            return attr  # dtypes, constants
        rec = self._rec
        is_ufunc = isinstance(attr, np.ufunc)
        fresh = is_ufunc or name in _FRESH_CALLS

        def call(*args: Any, **kwargs: Any) -> Any:
            real = attr(*unwrap(args), **unwrap(kwargs))
            made = fresh or (name == "asarray" and kwargs.get("copy") is True)
            if name == "asarray" and not kwargs and len(args) == 1 and \
                    args[0].__class__ is Var and type(real) is type(args[0].a) and \
                    real.dtype == args[0].a.dtype:
                return args[0]  # already an array of the device: the same values
            if real is not None and not is_array(real):
                rec.fail(f"xp.{name} returned a Python value")
                return real
            return rec.record("call", ("xp", self._dev, name), args, kwargs, real,
                              fresh=made, ufunc=attr if is_ufunc else None)
        return call


DEVICE_CALLS = ("gather", "index_put", "scatter_add", "contiguous_copy", "to_numpy",
                "from_numpy")


def device_call(dev: Any, name: str, fn: Callable, rec: Recorder) -> Callable:
    """A device function (gather, scatter_add, from_numpy, ...) that records its calls."""
    def call(*args: Any) -> Any:
        real = fn(*unwrap(args))
        if name == "from_numpy" and args and args[0].__class__ is not Var:
            # host data: a constant, copied to the device at each replay
            host = np.array(args[0], copy=True)
            return rec.record("const", ("dev", dev, name), (host,), {}, real)
        if name in ("index_put", "scatter_add"):  # in place into args[0]
            if args[0].__class__ is Var:
                return rec.record("call", ("dev", dev, name), args, {}, None,
                                  inplace=args[0])
            return real
        return rec.record("call", ("dev", dev, name), args, {}, real)
    return call


def refuse_random(rec: Recorder, random: Callable) -> Callable:
    """The device's random draw during a trace: a graph break (the replay can't redraw)."""
    def draw(*args: Any, **kwargs: Any) -> Any:
        rec.fail("random numbers drawn inside the step")
        return random(*args, **kwargs)
    return draw
