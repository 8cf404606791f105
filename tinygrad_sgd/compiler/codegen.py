"""From the recorded ops to the Python source of the replay.

The trace is a list of `Op`s over numbered vars. Turning it into a function takes four
passes, each of which keeps the replay's floats bit-for-bit eager's:

1. Dead code: keep the ops with an effect (in-place writes, checks) and what they and the
   results need; drop the rest (a forward value nobody reads).
2. Aliasing: a view (`a.mT`, `a[..., None]`, a reshape) may share memory with its input.
   Vars that may share memory are put in one class (union-find), so that a write into
   one is seen as a write into all.
3. Constant folding: an op whose inputs are all constants (`xp.ones(())`, `1 / n`,
   `broadcast_to`) computes the same array at every replay. Its result, the very array
   computed while tracing, becomes a constant of the generated code, provided nothing
   ever writes into its class and it doesn't leave the step. A check on a constant always
   passes and goes too. Nothing else is folded: `(g * 2) / n` is not `g * (2 / n)` in
   floating point, so ops on the step's data are replayed as recorded.
4. Buffers: on the CPU, a ufunc whose result is a full array of the dtype of its array
   inputs writes into a buffer kept from call to call (`out=`): the same computation,
   without a fresh allocation (megabytes cost page faults). Not for values that leave
   the step, which the caller may keep.
"""
from __future__ import annotations

import keyword
import re
from functools import partial
from typing import Any, Callable

import numpy as np

from . import rewrite
from .guards import bind
from .record import Op, Recorder, Ref, op_reads, ref_ids

_IDENT = re.compile(r"[^0-9a-zA-Z_]+")
_OUT_SYMBOLS = {"+", "-", "*", "/", "@"}
_COMPARISONS = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                ">=": np.greater_equal, "==": np.equal, "!=": np.not_equal}
_REDUCTIONS = {"any": "logical_or", "all": "logical_and"}


def identifier(text: str) -> str:
    """A Python name made from text: `model.0.weight` -> `model_0_weight`."""
    name = _IDENT.sub("_", text).strip("_") or "t"
    if name[0].isdigit():
        name = "p" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


class Source:
    """Renders recorded operations as Python, collecting the constants they need."""

    def __init__(self, names: dict[int, str], main: Any) -> None:
        self.names = names  # var id -> its name in the generated code
        self.main = main  # the device whose namespace is `xp`
        self.consts: dict[str, Any] = {}

    def qualified(self, what: tuple) -> str:
        """`xp.sum` for the main device's namespace, `xp_cuda.sum` for another's."""
        kind, dev, name = what
        if kind == "xp" and dev is self.main:
            fn = getattr(dev.xp, name, None)
            if isinstance(fn, partial) and isinstance(getattr(fn.func, "__self__", None),
                                                      np.ufunc):
                return f"np.{fn.func.__self__.__name__}.{fn.func.__name__}"  # np.add.reduce
            if fn is np.any or fn is np.all:  # numpy's any is logical_or.reduce, in Python
                return f"np.{_REDUCTIONS[name]}.reduce"
        if dev is self.main:
            return f"{kind}.{name}"
        return f"{kind}_{dev.type}.{name}"

    def bound(self, what: tuple) -> dict:
        """The keywords a device's function binds before the call's own: the CPU's
        `xp.max` is `partial(np.maximum.reduce, axis=None)`, whose axis must be written."""
        kind, dev, name = what
        fn = getattr(dev.xp, name, None) if kind == "xp" and dev is self.main else None
        if isinstance(fn, partial) and isinstance(getattr(fn.func, "__self__", None),
                                                  np.ufunc):
            return dict(fn.keywords)
        return {}

    def const(self, value: Any, hint: str = "c") -> str:
        """The name of a constant of the generated code holding value."""
        return bind(self.consts, value, hint)

    def src(self, x: Any) -> str:
        """An argument as Python: a var's name, a literal, or a constant's name."""
        if isinstance(x, Ref):
            return self.names[x.id]
        if x is Ellipsis:
            return "..."
        if x is None or isinstance(x, (bool, int, str)):
            return repr(x)
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
        """An index as written inside brackets: `a[1:, ..., None]`."""
        if type(key) is not tuple:
            return self._key_item(key)
        if not key:
            return "()"
        text = ", ".join(self._key_item(k) for k in key)
        return text + "," if len(key) == 1 else text

    def _key_item(self, k: Any) -> str:
        if type(k) is not slice:
            return self.src(k)
        text = ("" if k.start is None else self.src(k.start)) + ":"
        text += "" if k.stop is None else self.src(k.stop)
        return text + ("" if k.step is None else ":" + self.src(k.step))

    def call_args(self, args: tuple, kwargs: dict) -> str:
        """`a, b, axis=1`."""
        parts = [self.src(a) for a in args]
        parts += [f"{k}={self.src(v)}" for k, v in kwargs.items()]
        return ", ".join(parts)

    def expr(self, op: Op) -> str:
        """The right-hand side of an op's line."""
        a = op.args
        if op.kind == "binop":
            return f"{self.src(a[0])} {op.what} {self.src(a[1])}"
        if op.kind == "unop" and op.what == "abs":
            return f"abs({self.src(a[0])})"
        if op.kind == "unop":
            return f"{op.what}{self.src(a[0])}"
        if op.kind == "attr":
            return f"{self.src(a[0])}.{op.what}"
        if op.kind == "method":
            return f"{self.src(a[0])}.{op.what}({self.call_args(a[1:], op.kwargs)})"
        if op.kind == "getitem":
            return f"{self.src(a[0])}[{self.key(a[1])}]"
        if op.kind == "const":
            return f"{self.qualified(op.what)}(np.array({self.const(a[0], 'host')}))"
        kwargs = op.kwargs
        if isinstance(op.what, str):
            fn = op.what
        elif type(op.what) is tuple:
            fn = self.qualified(op.what)
            kwargs = {**self.bound(op.what), **kwargs}
        else:
            fn = self.const(op.what, "f")
        return f"{fn}({self.call_args(a, kwargs)})"

    def statement(self, op: Op) -> str:
        """The op's whole line."""
        a = op.args
        if op.kind == "inplace":
            return f"{self.src(a[0])} {op.what}= {self.src(a[1])}"
        if op.kind == "setitem":
            return f"{self.src(a[0])}[{self.key(a[1])}] = {self.src(a[2])}"
        if op.kind == "check":
            if op.what in ("__bool__", "__int__", "__float__"):
                call = f"{op.what[2:-2]}({self.src(a[0])})"
            else:
                call = f"{self.src(a[0])}.{op.what}()"
            return f"if {call} != {self.src(op.real)}: raise Recheck"
        if op.out is None:
            return self.expr(op)
        return f"{self.names[op.out]} = {self.expr(op)}"


def buffered_ufunc(op: Op) -> Any:
    """The ufunc to call with out= for this op, or None. Only where that is the very same
    computation: a ufunc (or operator) on arrays and Python numbers, giving a numpy array
    of at least one dimension."""
    real = op.real
    if not isinstance(real, np.ndarray) or real.ndim == 0 or op.kwargs:
        return None
    if op.kind == "binop" and op.what in _OUT_SYMBOLS:
        return op.ufunc
    if op.kind == "binop" and op.what in _COMPARISONS and real.dtype == np.bool_:
        return _COMPARISONS[op.what]  # (its output is bool whatever its inputs)
    if op.kind == "binop" and op.what == "**" and type(op.args[1]) in (int, float) \
            and op.args[1] == 2 and real.dtype.kind == "f":
        return np.square  # numpy computes x ** 2 as square(x)
    if op.kind == "unop" and op.what == "-":
        return np.negative
    if op.kind == "call" and op.ufunc is not None and op.ufunc.nout == 1 \
            and op.ufunc.nin == len(op.args):
        return op.ufunc
    return None


def _calls(op: Op, name: str) -> bool:
    """Is op a call of the device's namespace or device function `name`?"""
    return op.kind == "call" and type(op.what) is tuple and op.what[2] == name


def alias_classes(ops: list[Op]) -> Callable[[int], int]:
    """Union-find over vars that may share memory: an op that is not known to make a new
    array (a view, a reshape) may return memory of its inputs."""
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving
            i = parent[i]
        return i

    for op in ops:
        if op.out is None or op.fresh:
            continue
        sources: Any = (op.args, op.kwargs)
        if op.kind == "getitem" or _calls(op, "gather"):
            sources = op.args[:1]  # a[key] may view a, never the index arrays in key
        for v in ref_ids(sources):
            parent[find(v)] = find(op.out)
    return find


def live_ops(ops: list[Op], results: list[int]) -> list[Op]:
    """Dead-code elimination: the ops with an effect and those whose values are needed."""
    needed = set(results)
    keep = []
    for op in reversed(ops):
        if op.out is None or op.out in needed:
            keep.append(op)
            needed.update(op_reads(op))
    keep.reverse()
    return keep


def fold_constants(rec: Recorder, ops: list[Op], shared: Callable[[int], int],
                   escaping: set[int]) -> set[int]:
    """The vars that are constants: computed only from constants, never written into
    (through any alias) and not leaving the step."""
    written = {shared(op.inplace) for op in ops if op.inplace is not None}
    for op in ops:
        if op.out is None and op.kind == "call":  # an effect on its first argument
            written.update(shared(v) for v in ref_ids(op.args[:1]))
    blocked = written | {shared(v) for v in escaping}
    blocked |= {shared(i) for i, v in rec.vars.items() if v.external}
    consts: set[int] = set()
    for op in ops:
        if op.out is None or op.kind == "check" or shared(op.out) in blocked:
            continue
        if all(v in consts for v in ref_ids((op.args, op.kwargs))):
            consts.add(op.out)
    return consts


def needless_copies(rec: Recorder, ops: list[Op], shared: Callable[[int], int],
                    consts: set[int]) -> dict[int, int]:
    """copy var -> the var it copies, for `xp.asarray(t, copy=True)` where the copy is
    needless: t is a temporary of this call (not an array from before the step, not a
    constant), nothing reads or writes its memory after the copy, and the copy was laid
    out exactly as t (the same strides), so using t itself gives the same floats."""
    last_use: dict[int, int] = {}
    for i, op in enumerate(ops):
        for v in op_reads(op):
            last_use[shared(v)] = i
    external = {shared(i) for i, v in rec.vars.items() if v.external}
    found = {}
    for i, op in enumerate(ops):
        if not _calls(op, "asarray") or op.out in consts:
            continue
        if op.kwargs != {"copy": True} or len(op.args) != 1:
            continue
        src = op.args[0].id if isinstance(op.args[0], Ref) else None
        if src is None or src in consts or shared(src) in external:
            continue
        if last_use.get(shared(src)) != i:  # read or written after the copy
            continue
        if getattr(rec.vars[src].a, "strides", None) != getattr(op.real, "strides", 0):
            continue
        found[op.out] = src
    return found


def generate(rec: Recorder, fname: str, params: list[tuple[int, str]], results: list[int],
             names: dict[int, str], main: Any, use_out: bool,
             unique: Callable[[str], str]) -> tuple[str, dict[str, Any]]:
    """The replay's source and the constants it needs: `def fname(params): ... return`.

    params: (var id, name) of the arrays from before the step, in argument order;
    results: the vars it returns; names: var id -> name, filled in here for the rest.
    """
    keep = live_ops(rec.ops, results)
    shared = alias_classes(keep)
    escaping = set(results)
    consts = fold_constants(rec, keep, shared, escaping)
    uncopied = needless_copies(rec, keep, shared, consts)
    escaping |= set(uncopied.values())  # the copied array now leaves the step itself
    # a buffer may not hold a value that leaves, or memory from before the step
    no_buffer = {shared(i) for i in escaping} | {shared(v) for v, _ in params}
    no_buffer |= {shared(i) for i, v in rec.vars.items() if v.external}
    src = Source(names, main)
    counter = 0
    for op in keep:
        if op.out is not None and op.out not in names:
            counter += 1
            names[op.out] = unique(f"t{counter}")
    buffers: dict[str, Any] = {}
    lines: list[tuple[str, str]] = []
    folded: list[str] = []
    for op in keep:
        if op.out in consts:  # computed once, while tracing
            folded.append(f"{src.statement(op)}  ({op.note})")
            src.consts[names[op.out]] = op.real
            continue
        if op.kind == "check" and op.args[0].id in consts:
            continue  # a constant passes the check it passed while tracing
        line = src.statement(op)
        if op.out in uncopied:
            line = f"{names[op.out]} = {names[uncopied[op.out]]}"
            lines.append((line, f"{op.note} (no copy needed: used nowhere else)"))
            continue
        bufferable = use_out and shared(op.out) not in no_buffer
        faster = rewrite.lines(op, rec, src, names, buffers, unique, bufferable)
        if faster is not None:
            lines += faster
            continue
        ufunc = buffered_ufunc(op) if use_out else None
        if ufunc is not None and bufferable:
            line = _with_buffer(op, ufunc, rec, src, names, buffers) or line
        elif bufferable:
            line = _reduce_with_buffer(op, rec, src, names, buffers) or line
        lines.append((line, op.note))
    width = max([len(line) for line, _ in lines] + [40])
    body = []
    if folded:
        body.append("    # folded while tracing (the same every call):")
        body += [f"    #   {text}" for text in folded]
    for line, note in lines:
        body.append(f"    {line.ljust(width)}  # {note}" if note else f"    {line}")
    ret = ", ".join(names[i] for i in results)
    if len(results) == 1:
        ret += ","
    head = f"def {fname}({', '.join(name for _, name in params)}):"
    code = "\n".join([head, *body, f"    return ({ret})", ""])
    scope = dict(src.consts)
    scope.update(buffers)
    return code, scope


def _with_buffer(op: Op, ufunc: Any, rec: Recorder, src: Source, names: dict[int, str],
                 buffers: dict[str, Any]) -> str | None:
    """`t3 = np.square(t2, out=_t3)`, when every array argument has the result's dtype
    (the buffer's dtype is then the one numpy would pick; a comparison's is bool whatever
    its inputs) and the rest are numbers."""
    if not all(isinstance(a, (Ref, int, float)) for a in op.args):
        return None
    if ufunc not in _COMPARISONS.values() and any(
            isinstance(a, Ref) and rec.vars[a.id].a.dtype != op.real.dtype for a in op.args):
        return None
    buf = f"_{names[op.out]}"
    buffers[buf] = np.empty_like(op.real)
    if getattr(np, ufunc.__name__, None) is ufunc:  # (a name numpy exports)
        fn = f"np.{ufunc.__name__}"
    else:
        fn = src.const(ufunc, "uf")
    operands = op.args[:1] if ufunc is np.square else op.args
    args = ", ".join(src.src(a) for a in operands)
    return f"{names[op.out]} = {fn}({args}, out={buf})"


def _reduce_with_buffer(op: Op, rec: Recorder, src: Source, names: dict[int, str],
                        buffers: dict[str, Any]) -> str | None:
    """`t9 = np.add.reduce(t8, axis=1, keepdims=True, out=_t9)`: a ufunc's reduce over
    some axes of one array, giving an array (not a scalar) of the array's dtype (the
    dtype numpy computes in is then out's, the very one it picks without out)."""
    if op.kind != "call" or len(op.args) != 1 or not isinstance(op.args[0], Ref):
        return None
    real = op.real
    if type(real) is not np.ndarray or real.ndim == 0 or \
            rec.vars[op.args[0].id].a.dtype != real.dtype:
        return None
    if type(op.what) is tuple:
        fn = src.qualified(op.what)
        kwargs = {**src.bound(op.what), **op.kwargs}
    elif isinstance(op.what, str):
        fn, kwargs = op.what, dict(op.kwargs)
    else:
        return None
    parts = fn.split(".")
    if len(parts) != 3 or parts[0] != "np" or parts[2] != "reduce" or \
            not isinstance(getattr(np, parts[1], None), np.ufunc) or \
            not set(kwargs) <= {"axis", "keepdims"}:
        return None
    buf = f"_{names[op.out]}"
    buffers[buf] = np.empty_like(real)
    return f"{names[op.out]} = {fn}({src.call_args(op.args, kwargs)}, out={buf})"
