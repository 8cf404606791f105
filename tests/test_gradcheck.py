"""Finite differences in float64 for every op of the registry: the full element-by-element
gradcheck (tinygrad_sgd.autograd.gradcheck), and a cheap random projection
<u, Jᵀv> == d/dt <v, f(x + t·u)> that scales to bigger inputs."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_sgd as tg
from conftest import to_numpy
from registry import OPS, Op
from test_ops_vs_torch import draw_inputs


def _inputs(arrays: list, device: str) -> list:
    return [tg.tensor(a, device=device, requires_grad=a.dtype.kind == "f") for a in arrays]


def _valid(op: Op, arrays: list, params: dict) -> bool:
    try:
        op.run(tg, *_inputs(arrays, "cpu"), **params)
        return True
    except Exception:
        return False


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@settings(max_examples=8)
@given(data=st.data())
def test_gradcheck(op: Op, data: st.DataObject) -> None:
    arrays, params, _, _ = draw_inputs(op, data, gradcheck=True)
    assume(sum(a.size for a in arrays) <= 40)
    assume(_valid(op, arrays, params))
    inputs = _inputs(arrays, "cpu")
    assume(np.all(np.isfinite(to_numpy(op.run(tg, *inputs, **params)))))  # var of 1 value
    assert tg.autograd.gradcheck(lambda *xs: op.run(tg, *xs, **params), inputs,
                                 eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@given(data=st.data())
def test_random_projection(op: Op, device: str, data: st.DataObject) -> None:
    """<u, Jᵀv> from backward equals the directional derivative of <v, f> along u."""
    arrays, params, _, rng = draw_inputs(op, data, gradcheck=True)
    assume(_valid(op, arrays, params))
    inputs = _inputs(arrays, device)
    out = op.run(tg, *inputs, **params)
    assume(np.all(np.isfinite(to_numpy(out))))  # e.g. var of one value is nan
    if not out.requires_grad:
        return
    v = rng.standard_normal(out.shape)
    out.backward(tg.tensor(v, dtype=tg.float64, device=device))
    us = [rng.standard_normal(a.shape) if a.dtype.kind == "f" else None for a in arrays]
    analytic = sum(float(np.sum(u * to_numpy(x.grad))) for u, x in zip(us, inputs)
                   if u is not None and x.grad is not None)
    eps = 1e-6

    def f(t: float) -> float:
        shifted = [tg.tensor(a + t * u if u is not None else a, device=device)
                   for a, u in zip(arrays, us)]
        return float(np.sum(v * to_numpy(op.run(tg, *shifted, **params))))

    numeric = (f(eps) - f(-eps)) / (2 * eps)
    assert abs(analytic - numeric) <= 1e-5 + 1e-4 * abs(numeric), (analytic, numeric)
