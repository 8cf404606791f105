"""Exact where users look (issue 10): each call runs in tinygrad_sgd and in torch, and must
give the same dtype and values, or raise the same exception class."""
from __future__ import annotations

import collections
import inspect
import io
import math
import os
import pickle
import subprocess
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from tinygrad_sgd import backend
from tinygrad_sgd.torch_api import math_ops, pointwise_ops, shape_ops
from tinygrad_sgd.tensor import Tensor, rebuild


def outcome(call: Callable[[Any], Any], lib: Any) -> Any:
    """What call(lib) gives: (dtype name, exact values) of a tensor, or the exception class."""
    try:
        out = call(lib)
    except Exception as e:  # noqa: BLE001 (the class is what we compare)
        return type(e)
    return str(out.dtype).split(".")[-1], repr(out.tolist())


def assert_like_torch(call: Callable[[Any], Any]) -> None:
    theirs, ours = outcome(call, torch), outcome(call, tg)
    assert ours == theirs, f"torch: {theirs}, tinygrad_sgd: {ours}"


# ---------------------------------------------------------------------------------------
# group 1: creation keeps the precision the user asked for
# ---------------------------------------------------------------------------------------
NUMBERS = [0.1, [0.1, 1.0], 1e300, [-1e300, 2.5], 1e40, 2**62 + 1, [2**62 + 1, 0.5],
           [0.5, 2**70], [2**53 + 1, 0.5], -2**63, 2**63 - 1, 1.5, -2.5, [True, 2],
           [[0.1, 2.5], [1e10, -3.7]], float("nan"), float("inf"), 3e9, 2**40, [],
           [np.float64(0.1), 0.2], [np.float32(0.1), 0.2]]
DTYPES = [None, "float32", "float64", "int64", "int32", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("data", NUMBERS, ids=repr)
def test_python_numbers_are_read_straight_into_the_dtype(data: Any, dtype: Any) -> None:
    """tensor(0.1, dtype=float64) is 0.1, never 0.1 rounded to float32 on the way; ints keep
    their digits; what an integer dtype can't hold is refused as torch refuses it."""
    if isinstance(data, list) and data and isinstance(data[0], np.float32) \
            and dtype in ("int64", "int32", "bool"):
        pytest.skip("torch refuses numpy float32 scalars for integer dtypes (a torch quirk)")
    kw = (lambda lib: {}) if dtype is None else (lambda lib: {"dtype": getattr(lib, dtype)})
    assert_like_torch(lambda lib: lib.tensor(data, **kw(lib)))
    assert_like_torch(lambda lib: lib.as_tensor(data, **kw(lib)))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_tensor_constructor_keeps_the_requested_precision(dtype: str) -> None:
    data = [0.1, 1e300] if dtype != "int64" else [2**62 + 1, 0.5]
    assert_like_torch(lambda lib: lib.Tensor(data).to(getattr(lib, dtype)))
    ours = tg.Tensor(data, dtype=getattr(tg, dtype))
    assert ours.tolist() == torch.tensor(data, dtype=getattr(torch, dtype)).tolist()


@pytest.mark.parametrize("data", [2**63, -2**63 - 1, 2**64, 2**100, [2**63, 1], [2**63, -1],
                                  [True, 2**63], [[1], [2**64]], [0.5, 2**63]], ids=repr)
@pytest.mark.parametrize("dtype", [None, "int64", "int32", "float32", "float64"])
def test_ints_beyond_int64_are_refused_never_wrapped(data: Any, dtype: Any) -> None:
    kw = (lambda lib: {}) if dtype is None else (lambda lib: {"dtype": getattr(lib, dtype)})
    assert_like_torch(lambda lib: lib.tensor(data, **kw(lib)))


def test_default_collate_of_python_floats_is_exact_like_torch() -> None:
    """torch's default_collate makes Python floats a float64 batch of the exact values."""
    samples = [0.1, 1e300, -2.5, 1e-320]
    ours = next(iter(tg.utils.data.DataLoader(samples, batch_size=4)))
    theirs = next(iter(torch.utils.data.DataLoader(samples, batch_size=4)))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert ours.tolist() == theirs.tolist()
    pairs = [(0.1, 1), (2.5, 2**62 + 1)]
    ours = next(iter(tg.utils.data.DataLoader(pairs, batch_size=2)))
    theirs = next(iter(torch.utils.data.DataLoader(pairs, batch_size=2)))
    for o, t in zip(ours, theirs):
        assert (str(o.dtype).split(".")[-1], o.tolist()) == (str(t.dtype).split(".")[-1],
                                                             t.tolist())


@pytest.mark.parametrize("call", [
    lambda lib: lib.where(lib.tensor([True, False]), 1.0, 0),
    lambda lib: lib.where(lib.tensor([True, False]), 1.0, 2.0),
    lambda lib: lib.where(lib.tensor(True), True, 0.5),
    lambda lib: lib.where(lib.tensor([True, False]), 1, 0),
    lambda lib: lib.where(lib.tensor([True, False]), True, False),
    lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1, 2]), 0.5),
    lambda lib: lib.full((2,), 1.5),
    lambda lib: lib.tensor([1, 2]).clamp(0.5),
    lambda lib: lib.tensor([1, 2]) / 2,
    lambda lib: 2.5 ** lib.tensor([1, 2]),
    lambda lib: lib.arange(0.0, 3),
], ids=["where(c, 1., 0)", "where(c, 1., 2.)", "where(0-d c, True, .5)", "where(c, 1, 0)",
        "where(c, True, False)", "where(c, ints, .5)", "full", "clamp", "div", "rpow", "arange"])
def test_python_scalars_take_the_default_dtype(call: Callable) -> None:
    assert_like_torch(call)


# ---------------------------------------------------------------------------------------
# group 4: a numpy copy is a copy
# ---------------------------------------------------------------------------------------
# torch's __array__ takes no copy= argument: numpy warns about it, then copies by itself
torch_array_warning = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


@torch_array_warning
@pytest.mark.parametrize("make_copy", [
    lambda t: np.array(t), lambda t: np.array(t, copy=True),
    lambda t: np.array(t, dtype=np.float32), lambda t: np.array(t, dtype=np.float64)],
    ids=["np.array", "copy=True", "same dtype", "other dtype"])
def test_np_array_is_a_copy_as_in_torch(make_copy: Callable) -> None:
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0, 3.0])
        a = make_copy(x)
        a[:] = 100.0
        assert x.tolist() == [1.0, 2.0, 3.0], lib.__name__


@torch_array_warning
def test_writing_into_np_array_leaves_the_gradients_alone() -> None:
    """The copy is written after the graph saved x: backward must still see x's values."""
    grads = []
    for lib in (tg, torch):
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        x = lib.tensor([1.0, 2.0, 3.0])
        loss = (w * x).sum() + (w * w).sum()
        np.array(x)[:] = 100.0
        if lib is tg:  # torch refuses np.array of a tensor that requires grad; we allow it
            np.array(w)[:] = 100.0
        loss.backward()
        grads.append(w.grad.tolist())
    assert grads[0] == grads[1] == [2.0, 0.0, 7.0]


@torch_array_warning
def test_np_asarray_still_shares_cpu_memory_as_in_torch() -> None:
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0])
        np.asarray(x)[0] = 5.0
        assert x.tolist() == [5.0, 2.0], lib.__name__
    w = tg.tensor([1.0, 2.0], requires_grad=True)  # the lesson plots parameters: values only
    np.testing.assert_array_equal(np.asarray(w), [1.0, 2.0])


@torch_array_warning
def test_copy_false_refuses_a_copy() -> None:
    """numpy's protocol: copy=False raises ValueError when a copy is needed (torch raises it
    too); without one it shares."""
    for lib in (tg, torch):
        with pytest.raises(ValueError):
            np.array(lib.tensor([1.0, 2.0]), dtype=np.float64, copy=False)
    x = tg.tensor([1.0, 2.0])
    np.array(x, copy=False)[0] = 7.0
    assert x.tolist() == [7.0, 2.0]


# ---------------------------------------------------------------------------------------
# group 3: loading a file never runs code from it
# ---------------------------------------------------------------------------------------
class RunsCode:
    """What a crafted checkpoint holds: unpickling it calls `call(*args)`."""

    def __init__(self, call: Callable, *args: Any) -> None:
        self.call, self.args = call, args

    def __reduce__(self) -> tuple:
        return self.call, self.args


def pickled(obj: Any, protocol: int = pickle.DEFAULT_PROTOCOL) -> bytes:
    out = io.BytesIO()
    pickle.dump(obj, out, protocol=protocol)
    return out.getvalue()


def crafted_files(marker: Path) -> dict[str, bytes]:
    """Pickles that write `marker` (or run a shell command that would) when loaded."""
    command = f"touch {marker}"
    return {
        "os.system": pickled(RunsCode(os.system, command)),
        "exec": pickled(RunsCode(exec, f"open({str(marker)!r}, 'w').write('ran')")),
        "eval": pickled(RunsCode(eval, f"open({str(marker)!r}, 'w')")),
        "subprocess": pickled(RunsCode(subprocess.call, ["touch", str(marker)])),
        "open": pickled(RunsCode(open, str(marker), "w")),
        "in a state_dict": pickled({"weight": tg.ones(2), "bias": RunsCode(os.system, command)}),
        "protocol 0": pickled(RunsCode(os.system, command), protocol=0),
        "protocol 2": pickled([RunsCode(exec, f"open({str(marker)!r}, 'w')")], protocol=2),
    }


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: "Detected pickle protocol 4"
@pytest.mark.parametrize("name", list(crafted_files(Path("m"))))
def test_load_refuses_a_file_that_would_run_code(name: str, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    data = crafted_files(marker)[name]
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(io.BytesIO(data))
    with pytest.raises(pickle.UnpicklingError) as ours:
        tg.load(io.BytesIO(data))
    path = tmp_path / "evil.pt"
    path.write_bytes(data)
    with pytest.raises(pickle.UnpicklingError):
        tg.load(path, map_location="cpu", weights_only=True)
    assert not marker.exists(), "loading ran code from the file"
    message = str(ours.value)
    assert "Weights only load failed" in message and "weights_only=False" in message
    assert "Unsupported global: GLOBAL" in message and "Weights only" in str(theirs.value)
    refused = {"os.system": "system", "exec": "exec", "eval": "eval", "open": "open",
               "subprocess": "subprocess"}.get(name)
    assert refused is None or refused in message


def test_weights_only_false_is_the_explicit_opt_in(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    data = pickled({"w": tg.ones(2), "run": RunsCode(exec, f"open({str(marker)!r}, 'w')")})
    back = tg.load(io.BytesIO(data), weights_only=False)  # trusted: anything loads
    assert marker.exists() and back["w"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("bad", [
    RunsCode(rebuild, [1.0, 2.0], "cpu", False, Tensor),  # values that are no array
    RunsCode(rebuild, np.zeros(2), "cpu", False, collections.Counter),  # not a tensor class
    RunsCode(rebuild, np.zeros(2), "cpu", False, dict),
    np.array([None, 1], dtype=object),  # an object array is no tensor's
], ids=["list values", "Counter", "dict", "object array"])
def test_load_refuses_tensor_records_that_save_never_writes(bad: Any) -> None:
    with pytest.raises(pickle.UnpicklingError):
        tg.load(io.BytesIO(pickled({"x": bad})))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_save_load_round_trips_weights_only(protocol: int) -> None:
    model = tg.nn.Linear(3, 2)
    momentum = tg.tensor([[0.5, -1.0, 2.0]] * 2, dtype=tg.float64)
    checkpoint = {
        "model": model.state_dict(), "weight": model.weight,
        "optimizer": {"state": {0: {"momentum_buffer": momentum}},
                      "param_groups": [{"lr": 0.1, "momentum": 0.9, "nesterov": False,
                                        "weight_decay": 0, "dampening": 0.0,
                                        "params": [0, 1], "foreach": None}]},
        "tensors": [tg.tensor([1, 2]), tg.tensor([True]), tg.tensor(2**62 + 1),
                    tg.tensor(0.1, dtype=tg.float64), tg.tensor([1.0], requires_grad=True),
                    tg.ones(2, dtype=tg.int32)],
        "misc": (1, 2.5, 1 + 2j, "text", b"bytes", bytearray(b"ba"), None, True,
                 {1, 2}, frozenset({3}), tg.float64),
    }
    back = tg.load(io.BytesIO(pickled(checkpoint, protocol)))
    assert back["misc"] == checkpoint["misc"] and back["misc"][-1] is tg.float64
    assert back["optimizer"]["param_groups"] == checkpoint["optimizer"]["param_groups"]
    buf = back["optimizer"]["state"][0]["momentum_buffer"]
    assert buf.dtype is tg.float64 and buf.tolist() == momentum.tolist()
    assert type(back["model"]) is type(model.state_dict())
    for k, v in model.state_dict().items():
        assert back["model"][k].tolist() == v.tolist() and type(back["model"][k]) is type(v)
    weight = back["weight"]
    assert type(weight) is tg.nn.Parameter and weight.requires_grad and weight.is_leaf
    assert weight.tolist() == model.weight.tolist()
    for ours, original in zip(back["tensors"], checkpoint["tensors"]):
        assert (ours.dtype, ours.tolist(), ours.requires_grad) == (
            original.dtype, original.tolist(), original.requires_grad)


def test_map_location_cpu_loads_a_cuda_checkpoint_without_a_gpu(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The device is looked up after map_location applies, so no GPU is asked for."""
    path = tmp_path / "cuda.pt"
    weight = tg.nn.Parameter(tg.tensor([[1.0, 2.0]], device="cuda"))
    tg.save({"weight": weight, "step": tg.tensor(3, device="cuda")}, path)
    monkeypatch.setattr(backend, "_CUDA", None)  # now 'cuda' is not available
    monkeypatch.setattr(backend, "_CUDA_ERROR", "no CUDA GPU on this machine (test)")
    assert not tg.cuda.is_available()
    for where in ("cpu", tg.device("cpu"), {"cuda": "cpu"}, {"cuda:0": "cpu"}):
        back = tg.load(path, map_location=where)
        assert back["weight"].device == "cpu" and back["step"].device == "cpu"
        assert type(back["weight"]) is tg.nn.Parameter and back["weight"].requires_grad
        assert back["weight"].tolist() == [[1.0, 2.0]] and back["step"].item() == 3
    with pytest.raises(RuntimeError, match="map_location='cpu'"):
        tg.load(path)


# ---------------------------------------------------------------------------------------
# group 6: bad input gets torch's exception classes
# ---------------------------------------------------------------------------------------
def front(name: str):
    """The front door's function `name` (torch_api/), exported by tg or not (tg.all)."""
    for module in (math_ops, pointwise_ops, shape_ops):
        if name in module.__all__:
            return getattr(module, name)
    raise KeyError(name)


def takes_input(name: str) -> bool:
    return list(inspect.signature(front(name)).parameters)[:1] == ["input"]


NUMBERS_WELCOME = {"add", "sub", "mul", "div"}  # torch.add(1, 2) is tensor(3)
# the top-level functions: tg's exports, and all/any (torch's, which tg doesn't export)
FRONT_DOOR = [n for n in (*math_ops.__all__, *pointwise_ops.__all__, *shape_ops.__all__)
              if hasattr(tg, n) or n in ("all", "any")]
TAKES_INPUT = [n for n in FRONT_DOOR if takes_input(n) and n not in NUMBERS_WELCOME]
# what each function needs besides `input` (valid for a tensor input)
MORE_ARGS = {"clamp": lambda lib: (0.0,), "clip": lambda lib: (0.0,),
             "softmax": lambda lib: (0,), "log_softmax": lambda lib: (0,),
             "reshape": lambda lib: ((-1,),), "transpose": lambda lib: (0, 0),
             "permute": lambda lib: ((0,),), "unsqueeze": lambda lib: (0,),
             "pow": lambda lib: (2,)}
TENSOR_ARG = {"maximum", "minimum", "matmul", "mm", "allclose", "equal", "eq", "ne", "lt",
              "le", "gt", "ge"}
BAD_INPUTS = [-1, 1.0, [1, 2, 3], np.ones(2)]


def test_every_top_level_function_taking_input_is_checked() -> None:
    assert len(TAKES_INPUT) >= 40 and {"abs", "exp", "sum", "matmul"} <= set(TAKES_INPUT)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=["int", "float", "list", "ndarray"])
@pytest.mark.parametrize("name", TAKES_INPUT)
def test_a_function_given_no_tensor_raises_torchs_type_error(name: str, bad: Any) -> None:
    """tg.abs(-1), tg.exp(1.0), tg.sum([1, 2, 3]): torch's TypeError naming the argument,
    never an AttributeError from inside."""
    def call(lib: Any) -> Any:
        more = MORE_ARGS.get(name, lambda lib: ())(lib)
        if name in TENSOR_ARG:
            more = (lib.ones(1, 1),)
        function = front(name) if lib is tg else getattr(lib, name)  # (tg.all isn't exported)
        return function(bad, *more)

    with pytest.raises(TypeError):
        call(torch)
    with pytest.raises(TypeError) as ours:
        call(tg)
    assert f"{name if name != 'clip' else 'clamp'}(): argument 'input' (position 1) must be " \
           f"Tensor, not {type(bad).__name__}" in str(ours.value)


@pytest.mark.parametrize("call", [
    lambda lib: lib.add(1, 2), lambda lib: lib.add(1.5, 2), lambda lib: lib.sub(1, 2.5),
    lambda lib: lib.mul(True, 2), lambda lib: lib.div(1, 2), lambda lib: lib.add(1, lib.ones(2)),
    lambda lib: lib.pow(2, lib.tensor([1, 3])), lambda lib: lib.sub(True, False),
    lambda lib: lib.add([1], 2), lambda lib: lib.mul(lib.ones(2), [1, 2]),
    lambda lib: lib.pow(2, 3), lambda lib: lib.pow([2], 3),
    lambda lib: lib.where([True], 1, 0), lambda lib: lib.where(1, lib.ones(1), 0),
    lambda lib: lib.mm(lib.ones(1, 1), 1), lambda lib: lib.allclose(lib.ones(1), 1),
    lambda lib: lib.equal(lib.ones(1), [1]),
    lambda lib: lib.zeros_like(1), lambda lib: lib.ones_like([1.0]),
    lambda lib: lib.full_like(1, 2), lambda lib: lib.rand_like(1.0),
    lambda lib: lib.randn_like([1.0]), lambda lib: lib.randint_like(1, 3),
    lambda lib: lib.empty_like(np.ones(2)),
    lambda lib: lib.stack(lib.ones(2, 2)), lambda lib: lib.cat(lib.ones(2, 2)),
], ids=["add(1, 2)", "add(1.5, 2)", "sub(1, 2.5)", "mul(True, 2)", "div(1, 2)", "add(1, t)",
        "pow(2, t)", "sub(True, False)", "add(list, 2)", "mul(t, list)", "pow(2, 3)",
        "pow(list, 3)", "where(list)", "where(1)", "mm(t, 1)", "allclose(t, 1)",
        "equal(t, list)", "zeros_like", "ones_like", "full_like", "rand_like", "randn_like",
        "randint_like", "empty_like", "stack(tensor)", "cat(tensor)"])
def test_numbers_and_non_tensors_on_either_side_as_torch(call: Callable) -> None:
    assert_like_torch(call)


def with_history(lib: Any) -> Any:
    return lib.tensor([1.0, 2.0, 3.0], requires_grad=True) * 1


# name, the bad call (same code for both libraries)
REFUSED = [
    ("stack([])", lambda lib: lib.stack([])),
    ("expand(-1, 3) new dim", lambda lib: lib.ones(3).expand(-1, 3)),
    ("expand(-1, -1, 2) new dim", lambda lib: lib.ones(1, 2).expand(-1, -1, 2)),
    ("eye(-1)", lambda lib: lib.eye(-1)),
    ("eye(2, -1)", lambda lib: lib.eye(2, -1)),
    ("arange(0, inf)", lambda lib: lib.arange(0, math.inf)),
    ("arange(inf)", lambda lib: lib.arange(math.inf)),
    ("arange(-inf, 0)", lambda lib: lib.arange(-math.inf, 0)),
    ("arange(0, nan)", lambda lib: lib.arange(0, math.nan)),
    ("arange(0, 3, nan)", lambda lib: lib.arange(0, 3, math.nan)),
    ("mT of 1-D", lambda lib: lib.ones(3).mT),
    ("setitem slice, history", lambda lib: with_history(lib).__setitem__(
        slice(0, 2), lib.tensor([1.0, 2.0, 3.0]))),
    ("setitem int, history", lambda lib: with_history(lib).__setitem__(0, lib.ones(2))),
    ("setitem index, history", lambda lib: with_history(lib).__setitem__(
        lib.tensor([0, 1]), lib.tensor([1.0, 2.0, 3.0]))),
    ("setitem mask, history", lambda lib: with_history(lib).__setitem__(
        lib.tensor([True, False, True]), lib.tensor([1.0, 2.0, 3.0]))),
    ("int /= int", lambda lib: lib.tensor([4, 2]).__itruediv__(lib.tensor([2, 2]))),
    ("int div_ int", lambda lib: lib.tensor([4, 2]).div_(lib.tensor([2, 2]))),
    ("bool /= bool", lambda lib: lib.tensor([True]).__itruediv__(lib.tensor([True]))),
    ("bool -= bool", lambda lib: lib.tensor([True]).__isub__(lib.tensor([False]))),
    ("bool sub_ bool", lambda lib: lib.tensor([True, False]).sub_(lib.tensor([True, True]))),
    ("bool -= True", lambda lib: lib.tensor([True]).__isub__(True)),
    ("int -= True", lambda lib: lib.tensor([1]).__isub__(True)),
    ("float -= bool", lambda lib: lib.tensor([1.0]).__isub__(lib.tensor([True]))),
    ("int - True", lambda lib: lib.tensor([1]) - True),
    ("True - float", lambda lib: True - lib.tensor([1.0])),
    ("clamp_() no bounds", lambda lib: lib.tensor([2.0]).clamp_()),
    ("clamp_ broadcast", lambda lib: lib.tensor([2.0, 5.0]).clamp_(lib.tensor([[1.0], [2.0]]),
                                                                   lib.tensor([[3.0], [4.0]]))),
    ("format .2f of 1-D", lambda lib: f"{lib.tensor([1.0, 2.0]):.2f}"),
    ("format .2f of [1]", lambda lib: f"{lib.tensor([1.5]):.2f}"),
    ("format >30 of 1-D", lambda lib: format(lib.tensor([1.0, 2.0]), ">30")),
    ("full 1-D fill", lambda lib: lib.full((2,), lib.tensor([3.0]))),
    ("transpose 0-d dim 1", lambda lib: lib.ones(()).transpose(0, 1)),
    ("randint bool high 5", lambda lib: lib.randint(0, 5, (3,), dtype=lib.bool)),
    ("randint bool low -1", lambda lib: lib.randint(-1, 1, (3,), dtype=lib.bool)),
    ("randint int32 high 2**40", lambda lib: lib.randint(0, 2**40, (3,), dtype=lib.int32)),
    ("randperm(-1)", lambda lib: lib.randperm(-1)),
    ("zeros(2.5)", lambda lib: lib.zeros(2.5)),
    ("ones(2, 1.5)", lambda lib: lib.ones(2, 1.5)),
    ("nn.functional.relu(1)", lambda lib: lib.nn.functional.relu(1)),
    ("nn.functional.linear(list)", lambda lib: lib.nn.functional.linear([1.0], lib.ones(1, 1))),
    ("nn.functional.cross_entropy(1, 2)", lambda lib: lib.nn.functional.cross_entropy(1, 2)),
    # a number the dtype can't hold is refused when stored, never wrapped
    ("full((2,), 2**63)", lambda lib: lib.full((2,), 2**63)),
    ("full int32 2**31", lambda lib: lib.full((2,), 2**31, dtype=lib.int32)),
    ("full int64 inf", lambda lib: lib.full((2,), math.inf, dtype=lib.int64)),
    ("full int32 nan", lambda lib: lib.full((2,), math.nan, dtype=lib.int32)),
    ("full float32 1e300", lambda lib: lib.full((2,), 1e300)),
    ("fill_ float32 1e300", lambda lib: lib.ones(2).fill_(1e300)),
    ("setitem float32 1e300", lambda lib: lib.ones(2).__setitem__(0, 1e300)),
    ("fill_ int32 2**40", lambda lib: lib.ones(2, dtype=lib.int32).fill_(2**40)),
    ("fill_ int64 nan", lambda lib: lib.ones(2, dtype=lib.int64).fill_(math.nan)),
]


@pytest.mark.parametrize("name,bad", REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_with_torchs_exception_class(name: str, bad: Callable) -> None:
    with pytest.raises(Exception) as theirs:
        bad(torch)
    with pytest.raises(Exception) as ours:
        bad(tg)
    assert type(ours.value) is type(theirs.value), (
        f"torch raised {type(theirs.value).__name__}: {theirs.value}; "
        f"we raised {type(ours.value).__name__}: {ours.value}")


@pytest.mark.parametrize("fn", ["__itruediv__", "__isub__", "div_", "sub_"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_refused_in_place_op_changes_nothing(fn: str, dtype: str) -> None:
    """The same-shape fast path checks first, as the general path does."""
    target = tg.tensor([4, 2], dtype=getattr(tg, dtype))
    version = target._version[0]
    if fn in ("__isub__", "sub_") and dtype == "int64":
        other: Any = tg.tensor([True, False])
    else:
        other = tg.tensor([2, 2], dtype=getattr(tg, dtype))
    with pytest.raises(RuntimeError):
        getattr(target, fn)(other)
    assert target.tolist() == tg.tensor([4, 2], dtype=getattr(tg, dtype)).tolist()
    assert target._version[0] == version


def test_wrong_sized_setitem_with_history_changes_nothing() -> None:
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    fn, version = y.grad_fn, y._version[0]
    with pytest.raises(RuntimeError, match=r"\(3,\)"):
        y[0:2] = tg.tensor([1.0, 2.0, 3.0])
    assert y.tolist() == [2.0, 4.0, 6.0] and y.grad_fn is fn and y._version[0] == version
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


ACCEPTED = [
    ("full 0-d float", lambda lib: lib.full((2,), lib.tensor(3.0))),
    ("full 0-d int", lambda lib: lib.full((2,), lib.tensor(3))),
    ("full 0-d bool", lambda lib: lib.full((2,), lib.tensor(True))),
    ("full 0-d float64", lambda lib: lib.full((2,), lib.tensor(3.0, dtype=lib.float64))),
    ("full_like 0-d", lambda lib: lib.full_like(lib.ones(2, dtype=lib.int64), lib.tensor(3))),
    ("clamp_(tensor(2.), 3.)", lambda lib: lib.tensor([1.0, 2.5, 4.0]).clamp_(
        lib.tensor(2.0), 3.0)),
    ("clamp_(min=tensor)", lambda lib: lib.tensor(2.0).clamp_(lib.tensor(3.0))),
    ("clamp_(max=tensors)", lambda lib: lib.tensor([2.0, 5.0]).clamp_(
        max=lib.tensor([3.0, 4.0]))),
    ("clamp_ int by int tensor", lambda lib: lib.tensor([2, 7]).clamp_(lib.tensor(3),
                                                                       lib.tensor(5))),
    ("transpose(0, 0) of 0-d", lambda lib: lib.ones(()).transpose(0, 0)),
    ("transpose(-1, 0) of 0-d", lambda lib: lib.transpose(lib.ones(()), -1, 0)),
    ("add(1, 2)", lambda lib: lib.add(1, 2)),
    ("expand(-1) keeps a size", lambda lib: lib.ones(2, 1).expand(3, -1, 2)),
    ("arange(0., 3, inf)", lambda lib: lib.arange(0.0, 3, math.inf)),
    ("full float32 inf", lambda lib: lib.full((2,), math.inf)),
    ("full float64 1e300", lambda lib: lib.full((2,), 1e300, dtype=lib.float64)),
    ("full int32 -2.5", lambda lib: lib.full((2,), -2.5, dtype=lib.int32)),
    ("fill_ bool 5", lambda lib: lib.ones(2, dtype=lib.bool).fill_(5)),
    ("fill_ float32 nan", lambda lib: lib.ones(2).fill_(math.nan)),
]


@pytest.mark.parametrize("name,call", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_as_torch_accepts(name: str, call: Callable) -> None:
    assert_like_torch(call)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool"])
def test_randint_takes_any_dtype_as_torch(dtype: str) -> None:
    high = 2 if dtype == "bool" else 5
    ours = tg.randint(0, high, (50,), dtype=getattr(tg, dtype))
    theirs = torch.randint(0, high, (50,), dtype=getattr(torch, dtype))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    values = np.array(ours.tolist(), dtype=np.float64)
    assert np.all(values == np.floor(values)) and values.min() >= 0 and values.max() < high


def test_clamp_with_tensor_bounds_in_place_has_torchs_gradients() -> None:
    grads = []
    for lib in (tg, torch):
        x = lib.tensor([0.5, 2.0, -1.0, 3.0], requires_grad=True)
        lo = lib.tensor([0.0, 1.0, 0.0, 0.0], requires_grad=True)
        hi = lib.tensor([4.0, 4.0, 4.0, 2.5], requires_grad=True)
        y = x * 2
        y.clamp_(lo, hi)
        (y * lib.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        grads.append([y.tolist(), x.grad.tolist(), lo.grad.tolist(), hi.grad.tolist()])
    assert grads[0] == grads[1]


def test_transpose_of_0d_has_a_gradient_as_in_torch() -> None:
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(3.0, requires_grad=True)
        (x.transpose(0, 0) * 2).backward()
        grads.append(x.grad.item())
    assert grads[0] == grads[1] == 2.0


def test_mT_of_0d_warns_and_is_the_identity_as_in_torch() -> None:
    for lib in (tg, torch):
        with pytest.warns(UserWarning, match="deprecated on 0-D"):
            assert lib.tensor(2.0).mT.item() == 2.0


def test_format_of_scalars_and_repr_as_in_torch() -> None:
    for lib in (tg, torch):
        assert f"{lib.tensor(1.5):.2f}" == "1.50"
        assert f"{lib.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
