"""The op registry: one row per differentiable operation, driving every property test.

A row says how to call the op and what inputs to draw. The call is written once,
`fn(lib, *tensors, **params)`, and runs unchanged with `lib` = tinygrad_sgd and with
`lib` = torch: that the same line works in both is itself part of the test (the API
mirrors torch's). Adding an op to the library means adding one row here.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np

MAX_DIMS, MAX_SIDE = 4, 4


@dataclass
class Op:
    name: str
    fn: Callable[..., Any]                  # fn(lib, *tensors, **params) -> tensor
    inputs: Callable[[], st.SearchStrategy]  # strategy of (shapes, params)
    domain: tuple[str, ...] = ()            # per input: "any", "positive", "nonzero", "bool"
    kinks: bool = False                     # has points where the derivative jumps
    grad: tuple[bool, ...] | None = None     # which inputs get a gradient (default: float ones)
    float_only: bool = True
    notes: str = ""
    extra: dict = field(default_factory=dict)
    # a UserWarning that torch gives on some drawn inputs (a regex of its start), and
    # tinygrad_sgd with it where it warns as torch does: the draws reach such edges on
    # purpose, so run() silences it (test_autograd_edges.py asserts the warnings themselves)
    torch_warns: str = ""
    # how the row reads in torch, for docs/ops.md, where fn goes through a helper below
    # (otherwise tools/make_ops_doc.py shows fn's own body, with lib read as torch)
    spelling: str = ""

    def run(self, lib: Any, *tensors: Any, **params: Any) -> Any:
        """fn(lib, *tensors, **params), with the warning the draws provoke on purpose
        (torch_warns) silenced, in either library."""
        with warnings.catch_warnings():
            if self.torch_warns:
                warnings.filterwarnings("ignore", self.torch_warns, UserWarning)
            return self.fn(lib, *tensors, **params)


# ---------------------------------------------------------------------------------------
# input strategies: each returns (list of shapes, dict of params)
# ---------------------------------------------------------------------------------------
def broadcast(n: int, min_dims: int = 0) -> Callable[[], st.SearchStrategy]:
    """n shapes that broadcast together (0-d to 4-d)."""
    def strategy() -> st.SearchStrategy:
        return hnp.mutually_broadcastable_shapes(
            num_shapes=n, min_dims=min_dims, max_dims=MAX_DIMS, max_side=MAX_SIDE
        ).map(lambda r: (list(r.input_shapes), {}))
    return strategy


def single(min_dims: int = 0, max_dims: int = MAX_DIMS) -> Callable[[], st.SearchStrategy]:
    def strategy() -> st.SearchStrategy:
        return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1,
                                max_side=MAX_SIDE).map(lambda s: ([s], {}))
    return strategy


@st.composite
def _with_dim(draw: Any, min_dims: int, keepdim: bool) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=MAX_DIMS, min_side=1,
                                  max_side=MAX_SIDE))
    ndim = max(len(shape), 1)
    params = {"dim": draw(st.integers(-ndim, ndim - 1))}
    if keepdim:
        params["keepdim"] = draw(st.booleans())
    return [shape], params


def with_dim(min_dims: int = 1, keepdim: bool = True) -> Callable[[], st.SearchStrategy]:
    return lambda: _with_dim(min_dims, keepdim)


@st.composite
def _with_dims(draw: Any) -> tuple:
    """A reduction's dim: None, one int, or a tuple of distinct ints (negative ones too)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=MAX_DIMS, min_side=1,
                                  max_side=MAX_SIDE))
    ndim = len(shape)
    choice = draw(st.sampled_from(["none", "int", "tuple"] if ndim else ["none"]))
    if choice == "none":
        dim = None
    elif choice == "int":
        dim = draw(st.integers(-ndim, ndim - 1))
    else:
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        dim = tuple(a - ndim if draw(st.booleans()) else a for a in axes)
    return [shape], {"dim": dim, "keepdim": draw(st.booleans())}


def with_dims() -> st.SearchStrategy:
    return _with_dims()


def matmul_shapes() -> st.SearchStrategy:
    """Every torch.matmul case: 1-D·1-D, 2-D·1-D, 1-D·2-D, 2-D·2-D and broadcast batches."""
    return hnp.mutually_broadcastable_shapes(
        signature="(n?,k),(k,m?)->(n?,m?)", max_dims=4, max_side=MAX_SIDE
    ).map(lambda r: (list(r.input_shapes), {}))


def mm_shapes() -> st.SearchStrategy:
    """torch.mm's case alone: (n, k)·(k, m), so that every draw reaches the Mm op."""
    side = st.integers(1, MAX_SIDE)
    return st.tuples(side, side, side).map(lambda s: ([(s[0], s[1]), (s[1], s[2])], {}))


@st.composite
def _class_targets(draw: Any) -> tuple:
    """Scores (N, C) and one class index per row, for the losses (with a reduction)."""
    n, c = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    target = draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    return [(n, c)], {"target": target, "reduction": draw(st.sampled_from(["mean", "sum"]))}


@st.composite
def _linear_shapes(draw: Any) -> tuple:
    """F.linear's shapes: input (..., in) with 2 to 4 dims, weight (out, in), bias (out,)."""
    batch = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=MAX_SIDE))
    n_in, n_out = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    return [(*batch, n_in), (n_out, n_in), (n_out,)], {}


@st.composite
def _permutation(draw: Any) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=MAX_DIMS, min_side=1,
                                  max_side=MAX_SIDE))
    dims = draw(st.permutations(range(len(shape))))
    return [shape], {"dims": tuple(d - len(shape) if draw(st.booleans()) else d
                                   for d in dims)}


@st.composite
def _two_dims(draw: Any) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=MAX_DIMS, min_side=1,
                                  max_side=MAX_SIDE))
    n = len(shape)
    return [shape], {"d0": draw(st.integers(-n, n - 1)), "d1": draw(st.integers(-n, n - 1))}


@st.composite
def _reshape(draw: Any) -> tuple:
    """A shape and a different factorization of its size, maybe with a -1."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=MAX_DIMS, min_side=1,
                                  max_side=MAX_SIDE))
    size = int(np.prod(shape))
    factors, rest = [], size
    for p in (2, 3, 5, 7):
        while rest % p == 0:
            factors.append(p)
            rest //= p
    factors = draw(st.permutations(factors))
    cuts = sorted(draw(st.lists(st.integers(0, len(factors)), max_size=3)))
    new, prev = [], 0
    for c in cuts + [len(factors)]:
        new.append(int(np.prod(factors[prev:c])) if c > prev else 1)
        prev = c
    if new and draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return [shape], {"shape": tuple(new)}


@st.composite
def _expand(draw: Any) -> tuple:
    target = draw(hnp.array_shapes(min_dims=0, max_dims=MAX_DIMS, min_side=1,
                                   max_side=MAX_SIDE))
    keep = draw(st.integers(0, len(target)))
    src = tuple(n if draw(st.booleans()) else 1 for n in target[len(target) - keep:])
    shape = tuple(-1 if (i >= len(target) - keep and draw(st.booleans())
                         and src[i - len(target) + keep] == n) else n
                  for i, n in enumerate(target))
    return [src], {"shape": shape}


@st.composite
def _joined(draw: Any, stack: bool) -> tuple:
    base = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=MAX_SIDE)))
    n = draw(st.integers(1, 3))
    nd = len(base) + (1 if stack else 0)
    dim = draw(st.integers(-nd, nd - 1))
    shapes = []
    for _ in range(n):
        s = list(base)
        if not stack:
            s[dim % len(base)] = draw(st.integers(1, MAX_SIDE))
        shapes.append(tuple(s))
    return shapes, {"dim": dim}


@st.composite
def _squeeze(draw: Any) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=MAX_DIMS, min_side=1, max_side=2))
    if not shape or draw(st.booleans()):
        return [shape], {"dim": None}
    return [shape], {"dim": draw(st.integers(-len(shape), len(shape) - 1))}


@st.composite
def _unsqueeze(draw: Any) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=MAX_SIDE))
    return [shape], {"dim": draw(st.integers(-len(shape) - 1, len(shape)))}


@st.composite
def _basic_index(draw: Any) -> tuple:
    """A basic key: ints (negative too), slices with steps, None and an ellipsis."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=MAX_DIMS, min_side=1,
                                  max_side=MAX_SIDE))
    key: list[Any] = []
    for n in shape[:draw(st.integers(1, len(shape)))]:
        kind = draw(st.sampled_from(["int", "slice", "none"]))
        if kind == "int":
            key.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n, n))
            stop = draw(st.none() | st.integers(-n, n))
            key.append(slice(start, stop, draw(st.none() | st.integers(1, 3))))
        else:
            key.extend([None, slice(None)])
    consumed = sum(k is not None for k in key)
    if draw(st.booleans()):  # where an ellipsis fits without shifting the others
        key.insert(0 if consumed == len(shape) else len(key), Ellipsis)
    return [shape], {"key": tuple(key)}


@st.composite
def _advanced_index(draw: Any) -> tuple:
    """Integer lists with repeats (a batch drawn with replacement), on any axis, with
    slices around them; or a boolean mask over the leading axes."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=MAX_SIDE))
    if draw(st.booleans()):
        axis = draw(st.integers(0, len(shape) - 1))
        idx = draw(st.lists(st.integers(-shape[axis], shape[axis] - 1), min_size=1,
                            max_size=6))
        key = (slice(None),) * axis + (("list", idx),)
        if draw(st.booleans()):
            key = key + (Ellipsis,)
        return [shape], {"key": key}
    k = draw(st.integers(1, len(shape)))
    mask = draw(hnp.arrays(np.bool_, shape[:k]))
    return [shape], {"key": (("mask", mask.tolist()),)}


def _key(lib: Any, key: tuple, device: Any) -> tuple:
    """Turn ('list', ...) / ('mask', ...) items into tensors of `lib` on `device`."""
    out = []
    for k in key:
        if isinstance(k, tuple) and k and k[0] == "list":
            out.append(lib.tensor(k[1], device=device))
        elif isinstance(k, tuple) and k and k[0] == "mask":
            out.append(lib.tensor(k[1], dtype=lib.bool, device=device))
        else:
            out.append(k)
    return tuple(out)


def _setitem(lib: Any, a: Any, v: Any, key: tuple) -> Any:
    out = a * 1  # a non-leaf copy, so the assignment is recorded in the graph
    out[_key(lib, key, a.device)] = v
    return out


@st.composite
def _setitem_inputs(draw: Any) -> tuple:
    [shape], params = draw(_basic_index())
    region = np.zeros(shape)[params["key"]].shape
    vshape = region[draw(st.integers(0, len(region))):]
    return [shape, vshape], params


@st.composite
def _where(draw: Any) -> tuple:
    r = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=MAX_DIMS,
                                               max_side=MAX_SIDE))
    return list(r.input_shapes), {}


def _inplace(method: str) -> Callable[..., Any]:
    def fn(lib: Any, a: Any, b: Any) -> Any:
        out = a * 1  # non-leaf, so in place is allowed and recorded
        getattr(out, method)(b)
        return out
    return fn


def into_first() -> st.SearchStrategy:
    """Two shapes where the second broadcasts into the first (for a += b)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3).filter(
        lambda r: np.broadcast_shapes(*r.input_shapes) == tuple(r.input_shapes[0])
    ).map(lambda r: (list(r.input_shapes), {}))


def _clamp_params() -> st.SearchStrategy:
    bound = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 1))
    return single()().flatmap(lambda r: st.tuples(st.just(r[0]), st.one_of(
        st.tuples(bound, bound).map(lambda b: {"min": min(b), "max": max(b)}),
        bound.map(lambda b: {"min": b}), bound.map(lambda b: {"max": b}))))


# ---------------------------------------------------------------------------------------
# the registry
# ---------------------------------------------------------------------------------------
FEW_DOF = r"(var|std)\(\): degrees of freedom is <= 0"  # one element per output: nan, as torch
T_NOT_2D = r"Tensor\.T is deprecated on 0-D|The use of `x\.T` on tensors of dimension other"

OPS: list[Op] = [
    # arithmetic, with broadcasting
    Op("add", lambda lib, a, b: a + b, broadcast(2)),
    Op("sub", lambda lib, a, b: a - b, broadcast(2)),
    Op("mul", lambda lib, a, b: a * b, broadcast(2)),
    Op("div", lambda lib, a, b: a / b, broadcast(2), domain=("any", "nonzero")),
    Op("pow", lambda lib, a, b: a ** b, broadcast(2), domain=("positive", "any")),
    Op("neg", lambda lib, a: -a, single()),
    # with Python scalars on either side
    Op("add_scalar", lambda lib, a: 2.5 + a + 1, single()),
    Op("rsub_scalar", lambda lib, a: 1.5 - a, single()),
    Op("mul_scalar", lambda lib, a: 3 * a * 0.5, single()),
    Op("rdiv_scalar", lambda lib, a: 2.0 / a, single(), domain=("nonzero",)),
    Op("div_scalar", lambda lib, a: a / 4, single()),
    Op("pow_2", lambda lib, a: a ** 2, single()),
    Op("pow_3", lambda lib, a: a ** 3, single()),
    Op("pow_half", lambda lib, a: a ** 0.5, single(), domain=("positive",)),
    Op("pow_neg", lambda lib, a: a ** -1.5, single(), domain=("positive",)),
    Op("pow_0", lambda lib, a: a ** 0, single()),
    Op("rpow", lambda lib, a: 2 ** a, single()),
    # elementwise math
    Op("exp", lambda lib, a: lib.exp(a), single()),
    Op("log", lambda lib, a: a.log(), single(), domain=("positive",)),
    Op("sqrt", lambda lib, a: lib.sqrt(a), single(), domain=("positive",)),
    Op("abs", lambda lib, a: a.abs(), single(), kinks=True),
    Op("relu", lambda lib, a: lib.relu(a), single(), kinks=True),
    Op("sigmoid", lambda lib, a: lib.sigmoid(a), single()),
    Op("tanh", lambda lib, a: a.tanh(), single()),
    Op("clamp", lambda lib, a, **p: a.clamp(**p), _clamp_params, kinks=True),
    Op("maximum", lambda lib, a, b: lib.maximum(a, b), broadcast(2), kinks=True),
    Op("minimum", lambda lib, a, b: lib.minimum(a, b), broadcast(2), kinks=True),
    Op("where", lambda lib, c, a, b: lib.where(c, a, b), _where, domain=("bool", "any", "any")),
    Op("where_scalar", lambda lib, c, a: lib.where(c, a, 0.0), broadcast(2),
       domain=("bool", "any")),
    # matmul, every rank rule
    Op("matmul", lambda lib, a, b: a @ b, matmul_shapes),
    Op("mm", lambda lib, a, b: lib.mm(a, b), mm_shapes),
    Op("linear", lambda lib, a, w, b: lib.nn.functional.linear(a, w, b), _linear_shapes),
    # losses of (N, C) scores against class indices
    Op("cross_entropy", lambda lib, a, target, reduction: lib.nn.functional.cross_entropy(
        a, lib.tensor(target, device=a.device), reduction=reduction), _class_targets,
       spelling="torch.nn.functional.cross_entropy(a, target, reduction=reduction)"),
    Op("nll_loss", lambda lib, a, target, reduction: lib.nn.functional.nll_loss(
        a.log_softmax(1), lib.tensor(target, device=a.device), reduction=reduction),
       _class_targets, spelling="torch.nn.functional.nll_loss(a.log_softmax(1), target)"),
    # reductions
    Op("sum", lambda lib, a, **p: a.sum(**p), with_dims),
    Op("sum_all", lambda lib, a: lib.sum(a), single()),
    Op("mean", lambda lib, a, **p: a.mean(**p), with_dims),
    Op("var", lambda lib, a, **p: a.var(**p), with_dims, notes="unbiased",
       torch_warns=FEW_DOF),
    Op("var_biased", lambda lib, a, **p: a.var(**p, correction=0), with_dims),
    Op("std", lambda lib, a, **p: a.std(**p), with_dims, torch_warns=FEW_DOF),
    Op("max_all", lambda lib, a: a.max(), single(), kinks=True),
    Op("min_all", lambda lib, a: lib.min(a), single(), kinks=True),
    Op("max_dim", lambda lib, a, **p: a.max(**p)[0], with_dim(), kinks=True),
    Op("min_dim", lambda lib, a, **p: lib.min(a, **p).values, with_dim(), kinks=True),
    Op("softmax", lambda lib, a, dim: a.softmax(dim), with_dim(keepdim=False)),
    Op("log_softmax", lambda lib, a, dim: lib.log_softmax(a, dim), with_dim(keepdim=False)),
    # shape
    Op("reshape", lambda lib, a, shape: a.reshape(shape), _reshape),
    Op("view", lambda lib, a, shape: a.view(*shape), _reshape),
    Op("flatten", lambda lib, a: a.flatten(), single()),
    Op("flatten_range", lambda lib, a: lib.flatten(a, 1, -1), single(min_dims=2)),
    Op("transpose", lambda lib, a, d0, d1: a.transpose(d0, d1), _two_dims),
    Op("permute", lambda lib, a, dims: a.permute(*dims), _permutation),
    Op("T", lambda lib, a: a.T, single(max_dims=2), torch_warns=T_NOT_2D),
    Op("mT", lambda lib, a: a.mT, single(min_dims=2)),
    Op("squeeze", lambda lib, a, dim: a.squeeze() if dim is None else a.squeeze(dim), _squeeze),
    Op("unsqueeze", lambda lib, a, dim: a.unsqueeze(dim), _unsqueeze),
    Op("expand", lambda lib, a, shape: a.expand(*shape), _expand),
    Op("cat", lambda lib, *xs, dim: lib.cat(list(xs), dim=dim), lambda: _joined(False)),
    Op("stack", lambda lib, *xs, dim: lib.stack(list(xs), dim=dim), lambda: _joined(True)),
    # indexing
    Op("getitem_basic", lambda lib, a, key: a[key], _basic_index),
    Op("getitem_advanced", lambda lib, a, key: a[_key(lib, key, a.device)], _advanced_index,
       spelling="a[index]  (index: an int64 tensor or list, or a bool mask)"),
    Op("setitem", lambda lib, a, v, key: _setitem(lib, a, v, key), _setitem_inputs,
       spelling="a[key] = v"),
    # in place, recorded in the graph
    Op("iadd", _inplace("add_"), into_first, spelling="a.add_(b)  (a += b)"),
    Op("isub", _inplace("sub_"), into_first, spelling="a.sub_(b)  (a -= b)"),
    Op("imul", _inplace("mul_"), into_first, spelling="a.mul_(b)  (a *= b)"),
    Op("idiv", _inplace("div_"), into_first, domain=("any", "nonzero"),
       spelling="a.div_(b)  (a /= b)"),
    # conversions that autograd passes through
    Op("double", lambda lib, a: a.double() * 2, single()),
    Op("clone", lambda lib, a: a.clone(), single()),
]

BY_NAME = {op.name: op for op in OPS}
assert len(BY_NAME) == len(OPS), "duplicate op names in the registry"


# ---------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------
def make_values(rng: np.random.Generator, shape: tuple, domain: str, dtype: str,
                ties: bool) -> np.ndarray:
    """Values for one input. With `ties`, small integers, so that equal values (max/min
    ties, relu and abs at 0, clamp at its bounds) come up often."""
    if domain == "bool":
        return rng.random(shape) < 0.5
    if ties:
        x = rng.integers(-2, 3, size=shape).astype(np.float64) / 2
    else:
        x = rng.standard_normal(shape)
    if domain == "positive":
        x = np.abs(x) + 0.5
    elif domain == "nonzero":
        x = np.where(x >= 0, 1.0, -1.0) * (np.abs(x) + 0.5)
    return x.astype(dtype)
