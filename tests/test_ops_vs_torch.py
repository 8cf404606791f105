"""Every op of the registry, against torch: forward values, dtype, and the gradient of
every leaf, over drawn shapes (broadcasting, 0-d to 4-d), float32 and float64, on every
device. Also: inputs are left unchanged, and gradients never alias inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_sgd as tg
from conftest import to_numpy
from registry import OPS, Op, make_values

RTOL = {"float32": 1e-4, "float64": 1e-7}


def assert_close(ours: np.ndarray, theirs: np.ndarray, dtype: str, what: str) -> None:
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch {theirs.shape}"
    rtol = RTOL[dtype]
    finite = theirs[np.isfinite(theirs)] if theirs.dtype.kind == "f" else theirs
    scale = max(1.0, float(np.max(np.abs(finite)))) if finite.size else 1.0
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale, equal_nan=True,
                               err_msg=what)


def draw_inputs(op: Op, data: st.DataObject, gradcheck: bool = False) -> tuple:
    shapes, params = data.draw(op.inputs(), label="shapes, params")
    dtype = "float64" if gradcheck else data.draw(st.sampled_from(["float32", "float64"]),
                                                  label="dtype")
    ties = (not gradcheck) and data.draw(st.booleans(), label="ties")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    domains = op.domain or ("any",) * len(shapes)
    domains = tuple(domains) + (domains[-1],) * (len(shapes) - len(domains))
    arrays = [make_values(rng, tuple(s), d, dtype, ties) for s, d in zip(shapes, domains)]
    return arrays, params, dtype, rng


def run_both(op: Op, arrays: list, params: dict, device: str) -> tuple:
    ours = [tg.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    try:
        expected = op.run(torch, *theirs, **params)
    except Exception as e:  # torch refuses these inputs: we must refuse them the same way
        with pytest.raises(type(e)):
            op.run(tg, *ours, **params)
        return None
    got = op.run(tg, *ours, **params)
    return ours, theirs, got, expected


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@given(data=st.data())
def test_values_and_grads_match_torch(op: Op, device: str, data: st.DataObject) -> None:
    check_against_torch(op, device, data)


def check_against_torch(op: Op, device: str, data: st.DataObject) -> None:
    """One drawn example of `op` on `device`: values, dtype and every leaf's gradient
    against torch; inputs unchanged; gradients not aliasing inputs."""
    arrays, params, dtype, rng = draw_inputs(op, data)
    originals = [a.copy() for a in arrays]
    result = run_both(op, arrays, params, device)
    if result is None:
        return
    ours, theirs, got, expected = result
    assert got.dtype.name == str(expected.dtype).split(".")[1], "result dtype differs"
    assert got.shape == tuple(expected.shape)
    assert_close(to_numpy(got), expected.detach().numpy(), dtype, f"{op.name} forward")
    assert got.requires_grad == expected.requires_grad

    if expected.requires_grad:
        g = rng.standard_normal(tuple(expected.shape)).astype(str(expected.dtype).split(".")[1])
        got.backward(tg.tensor(g, device=device))
        expected.backward(torch.tensor(g))
        for i, (o, t) in enumerate(zip(ours, theirs)):
            if t.grad is None:
                assert o.grad is None, f"input {i}: torch gives no grad, we do"
                continue
            assert o.grad is not None, f"input {i}: torch gives a grad, we don't"
            assert o.grad.dtype == o.dtype and o.grad.shape == o.shape
            assert_close(to_numpy(o.grad), t.grad.numpy(), dtype, f"{op.name} grad of input {i}")
            if device == "cpu":
                for x in ours:
                    assert not np.shares_memory(o.grad._data, x._data), "grad aliases an input"
    for o, a in zip(ours, originals):
        np.testing.assert_array_equal(to_numpy(o), a, err_msg="an input was mutated")
