"""Exact where users look (issue 10): each call runs in tinygrad_sgd and in torch, and must
give the same dtype and values, or raise the same exception class."""
from __future__ import annotations

import collections
import io
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
