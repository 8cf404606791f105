"""Exact where users look (issue 10): each call runs in tinygrad_sgd and in torch, and must
give the same dtype and values, or raise the same exception class."""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg


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
