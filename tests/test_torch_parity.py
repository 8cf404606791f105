"""Found in review: places where tinygrad_sgd differed from torch 2.13 for the same code,
each now fixed and kept as a test (every assertion states torch's behaviour, checked
against torch 2.13). One known difference remains, marked xfail(strict=True).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_sgd as tg
from tinygrad_sgd.utils.data import DataLoader


def xfail(reason: str):  # noqa: ANN201
    return pytest.mark.xfail(strict=True, reason=reason)


# -- dtypes ------------------------------------------------------------------------------
def test_numpy_float64_scalar_keeps_float32_and_grad_dtype():
    a = tg.tensor([1., 2.], requires_grad=True)
    y = a * np.sqrt(2.0)  # np.float64
    assert y.dtype == tg.float32
    assert (tg.tensor([1., 2.]) + np.float64(1.0)).dtype == tg.float32
    assert (tg.tensor([1, 2]) * np.float64(1.5)).dtype == tg.float32
    y.sum().backward()
    assert a.grad.dtype == tg.float32  # the leaf is float32, its gradient must be too


def test_cast_to_integer_dtype_is_not_differentiable():
    w = tg.tensor([1.5, 2.5], requires_grad=True)
    assert not w.long().requires_grad
    assert not w.bool().requires_grad
    assert repr(w.long()) == "tensor([1, 2])"
    xi = tg.zeros(2, dtype=tg.int64)
    xi[0] = w[0] * 2  # torch: a plain int tensor afterwards
    assert not xi.requires_grad


def test_gradient_does_not_flow_through_integer_cast():
    w = tg.tensor([1.5, 2.5], requires_grad=True)
    (w.int().float() * w).sum().backward()
    assert w.grad.tolist() == [1.0, 2.0]


# -- views and in-place ----------------------------------------------------------------
def test_contiguous_copies_a_non_contiguous_view():
    x = tg.arange(6.).reshape(2, 3)
    assert x.T.contiguous().view(-1).tolist() == [0., 3., 1., 4., 2., 5.]
    c = x.T.contiguous()
    c[0, 0] = 100.
    assert x[0, 0].item() == 0.


def test_add_and_sub_accept_alpha():
    p = tg.tensor([1., 2.])
    p.add_(tg.tensor([1., 1.]), alpha=-0.5)
    assert p.tolist() == [0.5, 1.5]
    assert tg.add(p, tg.tensor([1., 1.]), alpha=2).tolist() == [2.5, 3.5]
    assert p.sub(tg.tensor([1., 1.]), alpha=2).tolist() == [-1.5, -0.5]


# -- indexing ----------------------------------------------------------------------------
def test_int_and_advanced_index_separated_by_slice_or_none():
    x = tg.arange(24.).reshape(2, 3, 4)
    assert x[0, :, [1, 2]].shape == (3, 2)
    assert x[0, :, [1, 2]].tolist() == x[0][:, [1, 2]].tolist()
    assert x[tg.tensor(0), :, [1, 2]].shape == (3, 2)
    assert x[0, :, tg.tensor([True, False, True, False])].shape == (3, 2)
    assert x[0, None, [1, 2]].shape == (1, 2, 4)


def test_setitem_int_and_advanced_index_separated_by_slice():
    y = tg.zeros(2, 3, 4)
    y[1, :, [3, 0]] = tg.arange(6.).reshape(3, 2)  # torch: value shape (3, 2)
    assert y[1][:, [3, 0]].tolist() == tg.arange(6.).reshape(3, 2).tolist()


def test_index_with_numpy_array():
    x = tg.arange(5.)
    assert x[np.array([0, 2])].tolist() == [0., 2.]
    assert x[np.array([True, False, True, False, False])].tolist() == [0., 2.]


def test_python_bool_index_adds_an_axis():
    x = tg.arange(6.).reshape(2, 3)
    assert x[True].shape == (1, 2, 3)
    assert x[False].shape == (0, 2, 3)


def test_setitem_none_is_refused():
    x = tg.zeros(2, 3)
    with pytest.raises(TypeError):
        x[0] = None
    assert x.tolist() == [[0., 0., 0.], [0., 0., 0.]]


# -- grad mode and autograd ----------------------------------------------------------------
def test_set_grad_enabled_as_a_function_call():
    a = tg.tensor([1.], requires_grad=True)
    try:
        tg.set_grad_enabled(False)
        assert not tg.is_grad_enabled()
        assert not (a * 2).requires_grad
    finally:
        tg.set_grad_enabled(True)
        tg.autograd.grad_mode.state.enabled = True  # whatever happens, leave grad mode on


def test_scalar_divided_by_tensor_then_inplace_change():
    a = tg.tensor([1., -2.], requires_grad=True)
    b = a * 1
    loss = (2 / b).sum()
    b.add_(1)
    loss.backward()
    assert a.grad.tolist() == [-2.0, -0.5]


def test_max_with_nan_gradient_goes_to_the_nan():
    a = tg.tensor([1., math.nan, 2.], requires_grad=True)
    a.max().backward()
    assert a.grad.tolist() == [0., 1., 0.]


def test_grad_setter_checks_shape_and_type():
    x = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        x.grad = tg.zeros(2)
    with pytest.raises(TypeError):
        x.grad = 5


# -- creation ----------------------------------------------------------------------------
def test_linspace_with_one_step():
    assert tg.linspace(0, 10, 1).tolist() == [0.]


def test_randint_high_and_size_keyword():
    assert tg.randint(5, size=(3,)).shape == (3,)


def test_tensor_of_list_of_numpy_float64_keeps_float64():
    assert tg.tensor([np.float64(1.5), np.float64(2.0)]).dtype == tg.float64
    assert tg.tensor([np.array([1., 2.]), np.array([3., 4.])]).dtype == tg.float64
    assert tg.tensor([tg.tensor(1., dtype=tg.float64)]).dtype == tg.float64


def test_python_float_type_as_dtype_is_float64():
    assert tg.tensor([1.5]).to(float).dtype == tg.float64
    assert tg.tensor([1], dtype=float).dtype == tg.float64


def test_as_tensor_shares_numpy_memory():
    a = np.ones(2)
    tg.as_tensor(a).add_(1)
    assert a.tolist() == [2., 2.]


# -- reductions and operators ------------------------------------------------------------
def test_reductions_accept_axis_keyword():
    x = tg.arange(6.).reshape(2, 3)
    assert x.sum(axis=1).tolist() == [3., 12.]
    assert x.mean(axis=0).tolist() == [1.5, 2.5, 3.5]


def test_all_any_with_dim():
    m = tg.tensor([[True, False], [True, True]])
    assert m.all(1).tolist() == [False, True]
    assert m.any(dim=0).tolist() == [True, True]


def test_clamp_with_tensor_bounds():
    x = tg.tensor([1., 5.])
    assert x.clamp(min=tg.tensor(2.), max=tg.tensor([3., 4.])).tolist() == [2., 4.]


def test_bool_tensor_subtraction_is_refused():
    mask = tg.tensor([True, False])
    with pytest.raises(RuntimeError):
        1 - mask
    with pytest.raises(RuntimeError):
        tg.tensor([1., 2.]) - mask


def test_integer_power_with_negative_tensor_exponent():
    assert (tg.tensor([3, 2]) ** tg.tensor([3, -2])).tolist() == [27, 0]


def test_float_of_multi_element_tensor_raises_value_error():
    with pytest.raises(ValueError):
        float(tg.tensor([1., 2.]))


@xfail("a known difference: zero_/fill_/setitem on an expanded tensor raise a clear "
       "RuntimeError (numpy's broadcast views are read-only); torch writes through the "
       "broadcast view")
def test_fill_on_expanded_view():
    assert tg.ones(1, 3).expand(2, 3).zero_().tolist() == [[0.] * 3] * 2
    assert tg.ones(1, 3).expand(2, 3).fill_(2.).tolist() == [[2.] * 3] * 2


def test_cat_skips_legacy_empty_tensor():
    rows = tg.ones(2, 3)
    assert tg.cat([tg.tensor([]), rows]).shape == (2, 3)


# -- data and printing ---------------------------------------------------------------------
def test_dataloader_collates_numpy_samples():
    ds = [(np.array([1., 2.]), 0), (np.array([3., 4.]), 1)]
    xb, yb = next(iter(DataLoader(ds, batch_size=2)))
    assert isinstance(xb, tg.Tensor) and xb.shape == (2, 2) and xb.dtype == tg.float64
    assert yb.tolist() == [0, 1]


def test_dataloader_collates_python_floats_as_float64():
    batch = next(iter(DataLoader([1.5, 2.5], batch_size=2)))
    assert batch.dtype == tg.float64


def test_repr_of_empty_int_tensor_names_dtype():
    assert repr(tg.zeros(0, dtype=tg.int64)) == "tensor([], dtype=tinygrad_sgd.int64)"
