"""Autograd at the edges (issue 10, groups 2, 5 and 7), each case run in tinygrad_sgd and
torch side by side: the same values, gradients, exception classes and warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from conftest import to_numpy

LIBS = [tg, torch]


def outcome(fn, lib):
    """fn(lib)'s value, or the class of the exception it raised."""
    try:
        return fn(lib)
    except Exception as e:  # noqa: BLE001 (the class is what is compared)
        return type(e)


def same_in_both(fn):
    ours, theirs = outcome(fn, tg), outcome(fn, torch)
    assert ours == theirs
    return ours


# ---------------------------------------------------------------------------------------
# group 2: a view sees its base's in-place changes, whatever reads it
# ---------------------------------------------------------------------------------------
def _stale_view(lib):
    """y = x * 1; v = y[:2]; y.mul_(2): v's history is now 'the first two of 2 * x'."""
    x = lib.tensor([1., 2., 3.], requires_grad=True)
    y = x * 1
    v = y[:2]
    y.mul_(2)
    return x, v


def test_view_backward_sees_base_inplace() -> None:
    def run(lib):
        x, v = _stale_view(lib)
        v.backward(lib.ones(2))
        return x.grad.tolist()
    assert same_in_both(run) == [2., 2., 0.]


def test_view_autograd_grad_sees_base_inplace() -> None:
    def run(lib):
        x, v = _stale_view(lib)
        return lib.autograd.grad(v, x, lib.ones(2))[0].tolist()
    assert same_in_both(run) == [2., 2., 0.]


def test_view_of_plain_tensor_takes_base_history() -> None:
    def run(lib):
        x = lib.tensor([1., 2., 3.], requires_grad=True)
        y = lib.zeros(3)
        v = y[1:]
        y.add_(x * x)
        flags = (v.requires_grad, v.is_leaf, v.grad_fn is None)
        v.backward(lib.ones(2))
        return flags, x.grad.tolist()
    assert same_in_both(run) == ((True, False, False), [0., 4., 6.])


def test_view_history_read_under_no_grad() -> None:
    """The first read of a stale view under no_grad must still find its history (and not
    mark it up to date without one)."""
    def run(lib):
        x, v = _stale_view(lib)
        with lib.no_grad():
            inside = (v.requires_grad, v.is_leaf, v.grad_fn is None)
        outside = (v.requires_grad, v.is_leaf, v.grad_fn is None)
        v.sum().backward()
        return inside, outside, x.grad.tolist()
    assert same_in_both(run) == ((True, False, False), (True, False, False), [2., 2., 0.])


def test_expanded_view_backward_after_base_inplace() -> None:
    """An expanded view's history sums the gradient of its copies."""
    def run(lib):
        x = lib.tensor([1., 2.], requires_grad=True)
        y = lib.zeros(2)
        v = y.expand(3, 2)
        y.add_(x * x)
        v.backward(lib.ones(3, 2))
        return x.grad.tolist()
    assert same_in_both(run) == [6., 12.]


def test_inplace_on_view_made_under_no_grad_raises() -> None:
    def on_view(lib, leaf):
        x = lib.tensor([1., 2., 3.], requires_grad=True)
        y = x if leaf else x * 1
        with lib.no_grad():
            v = y[:2]
        v.mul_(2)
        return v.requires_grad

    def on_view_of_view(lib):
        x = lib.tensor([1., 2., 3.], requires_grad=True)
        y = x * 1
        with lib.no_grad():
            v = y[:2]
        v[:1].mul_(2)

    def plain_base(lib):
        x = lib.tensor([1., 2.], requires_grad=True)
        y = lib.zeros(3)
        with lib.no_grad():
            v = y[:2]
        v.mul_(x)

    assert same_in_both(lambda lib: on_view(lib, True)) is RuntimeError
    assert same_in_both(lambda lib: on_view(lib, False)) is RuntimeError
    assert same_in_both(on_view_of_view) is RuntimeError
    assert same_in_both(plain_base) is RuntimeError


def test_view_made_under_no_grad_refuses_a_history_taken_later() -> None:
    """torch refuses to guess the history of a view taken under no_grad once its base
    changed in place with grad mode on; its requires_grad is the base's."""
    def setup(lib):
        x = lib.tensor([1., 2., 3.], requires_grad=True)
        y = x * 1
        with lib.no_grad():
            v = y[:2]
        y.mul_(2)
        return v

    assert same_in_both(lambda lib: setup(lib).requires_grad) is True
    assert same_in_both(lambda lib: setup(lib).grad_fn) is RuntimeError
    assert same_in_both(lambda lib: setup(lib).is_leaf) is RuntimeError
    assert same_in_both(lambda lib: setup(lib) * 2) is RuntimeError
    assert same_in_both(lambda lib: setup(lib).backward(lib.ones(2))) is RuntimeError
    assert same_in_both(lambda lib: (setup(lib)[:1] * 2).tolist()) is RuntimeError


def test_inplace_on_view_of_leaf_that_later_requires_grad_raises() -> None:
    """A view taken before its base's requires_grad_() is a view of a leaf that requires
    grad: changing it in place with grad mode on is refused, as torch does."""
    def run(lib):
        y = lib.zeros(3)
        v = y[:2]
        y.requires_grad_()
        v.add_(1)

    def under_no_grad(lib):
        y = lib.zeros(3)
        v = y[:2]
        y.requires_grad_()
        with lib.no_grad():
            v.add_(1)
        return y.tolist()

    assert same_in_both(run) is RuntimeError
    assert same_in_both(under_no_grad) == [1., 1., 0.]


# ---------------------------------------------------------------------------------------
# group 5: autograd semantics at the edges
# ---------------------------------------------------------------------------------------
def test_no_grad_decorates_a_generator() -> None:
    """The body runs without recording, the caller keeps its mode between yields, and
    what the caller throws in or closes reaches the body in the decorator's mode."""
    def run(lib):
        log = []
        x = lib.ones(2, requires_grad=True)

        @lib.no_grad()
        def steps():
            try:
                while True:
                    try:
                        yield (x * 2).requires_grad
                    except ValueError:
                        log.append(("caught", lib.is_grad_enabled()))
            finally:
                log.append(("finally", lib.is_grad_enabled()))

        it = steps()
        log.append(next(it))
        log.append(lib.is_grad_enabled())
        log.append(it.throw(ValueError()))
        it.close()
        log.append(lib.is_grad_enabled())
        return log
    assert same_in_both(run) == [False, True, ("caught", False), False, ("finally", False),
                                 True]


def test_enable_grad_decorates_a_generator() -> None:
    def run(lib):
        x = lib.ones(2, requires_grad=True)

        @lib.enable_grad()
        def steps():
            yield (x * 2).requires_grad
            yield lib.is_grad_enabled()

        with lib.no_grad():
            return list(steps()), lib.is_grad_enabled()
    assert same_in_both(run) == ([True, True], False)


@pytest.mark.parametrize("case", ["int key, (1,) value", "row, (1, 2) value",
                                  "slice, extra unit dims", "list key, extra unit dims",
                                  "mask, (1,) value"])
def test_setitem_value_gradient_has_the_value_shape(case: str, device: str) -> None:
    """The value written is broadcast into the region, dropping its extra leading unit
    dims: its gradient is the region's, summed and reshaped back to the value's shape."""
    key, value = {"int key, (1,) value": ((1, 0), [5.]),
                  "row, (1, 2) value": (1, [[5., 6.]]),
                  "slice, extra unit dims": (slice(1, None), [[[5., 6.], [7., 8.]]]),
                  "list key, extra unit dims": ([0, 2], [[[5., 6.]]]),
                  "mask, (1,) value": (None, [5.])}[case]
    weights = np.arange(6.).reshape(3, 2)
    results = []
    for lib, dev in ((tg, device), (torch, "cpu")):
        x = lib.tensor(np.ones((3, 2)), requires_grad=True, device=dev)
        v = lib.tensor(value, dtype=lib.float64, requires_grad=True, device=dev)
        y = x * 1
        y[y > 0 if key is None else key] = v
        (y * lib.tensor(weights, device=dev)).sum().backward()
        results.append([to_numpy(t.grad) if lib is tg else t.grad.numpy() for t in (x, v)])
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)


def test_relu_gradient_at_nan() -> None:
    def run(lib):
        x = lib.tensor([float("nan"), 1., -1., 0.], requires_grad=True)
        x.relu().sum().backward()
        return str(x.grad.tolist())
    assert same_in_both(run) == "[1.0, 1.0, 0.0, 0.0]"


@pytest.mark.parametrize("fn", ["var", "std"])
@pytest.mark.parametrize("data, options", [
    ([1., 3.], {"correction": 2}),
    ([1., 3.], {"correction": 3}),
    ([1., 1.], {"correction": 2}),
    ([[1., 3.]], {"dim": 0}),
    ([[1., 3.], [2., 2.]], {"dim": 1, "correction": 2}),
    ([[1., 3.], [2., 2.]], {"dim": 1, "correction": 3}),
])
def test_var_std_without_degrees_of_freedom(fn: str, data: list, options: dict) -> None:
    """correction >= N: torch's values (inf or nan), gradients and warning."""
    results = []
    for lib in LIBS:
        x = lib.tensor(data, dtype=lib.float64, requires_grad=True)
        with pytest.warns(UserWarning, match=f"{fn}\\(\\): degrees of freedom is <= 0"):
            y = getattr(x, fn)(**options)
        y.sum().backward()
        results.append((str(y.tolist()), str(x.grad.tolist())))
    assert results[0] == results[1]


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, dim", [((0, 3), 0), ((2, 0), 1), ((0, 3), 1)])
def test_softmax_over_empty_dims(fn: str, shape: tuple, dim: int) -> None:
    def run(lib):
        x = lib.zeros(*shape, requires_grad=True)
        y = getattr(x, fn)(dim)
        y.sum().backward()
        return tuple(y.shape), tuple(x.grad.shape)
    assert same_in_both(run) == (shape, shape)


@pytest.mark.parametrize("call", ["max()", "max(0)", "max(1)", "min(0)", "argmax()",
                                  "argmax(0)", "argmax(1)", "argmin()", "argmin(0)",
                                  "max(0, keepdim=True)"])
def test_max_argmax_over_empty_dims(call: str) -> None:
    """An empty slice has no max: torch's IndexError (RuntimeError for max() of nothing);
    reducing a non-empty dim of an empty tensor is fine."""
    def run(lib):
        out = eval(f"x.{call}", {"x": lib.zeros(0, 3)})
        return [tuple(t.shape) for t in out] if isinstance(out, tuple) else tuple(out.shape)
    ours, theirs = outcome(run, tg), outcome(run, torch)
    assert ours == theirs


def test_gradcheck_with_nothing_to_check_raises() -> None:
    def run(lib):
        x = lib.ones(2, dtype=lib.float64)
        return lib.autograd.gradcheck(lambda a: a * 2, (x,))
    assert same_in_both(run) is ValueError


def test_integer_operand_changed_in_place_is_detected() -> None:
    """torch saves the int tensor k itself for d(x*k)/dx: changing k in place is caught,
    although the op computed with k converted to float."""
    def mul(lib):
        x = lib.ones(2, requires_grad=True)
        k = lib.tensor([2, 3])
        y = x * k
        k.add_(1)
        y.sum().backward()

    def div(lib):
        x = lib.ones(2, requires_grad=True)
        k = lib.tensor([2, 3])
        y = x / k
        k.mul_(2)
        y.sum().backward()

    def where_bool(lib):
        x = lib.ones(2, requires_grad=True)
        k = lib.tensor([True, False])
        y = x * k
        k.logical_not_() if lib is torch else k.copy_(~k)
        y.sum().backward()

    assert same_in_both(mul) is RuntimeError
    assert same_in_both(div) is RuntimeError
    assert same_in_both(where_bool) is RuntimeError


@pytest.mark.parametrize("key", ["list", "mask", "setitem list"])
def test_second_backward_through_advanced_indexing_raises(key: str) -> None:
    """torch saves the indices of advanced indexing: a second backward finds them freed
    (basic indexing saves nothing, so a second backward through it alone is fine)."""
    def run(lib, retain):
        x = lib.ones(3, requires_grad=True)
        if key == "setitem list":
            y = x.clone()  # saves nothing: only the index put can find itself freed
            y[[0, 1]] = lib.tensor(5.)
        else:
            y = x[[0, 0, 1]] if key == "list" else x[x > 0]
        y.sum().backward(retain_graph=retain)
        y.sum().backward()
        return x.grad.tolist()
    assert same_in_both(lambda lib: run(lib, False)) is RuntimeError
    assert same_in_both(lambda lib: run(lib, True)) == {"list": [4., 2., 0.],
                                                         "mask": [2., 2., 2.],
                                                         "setitem list": [0., 0., 2.]}[key]

    def basic_twice(lib):
        x = lib.ones(3, requires_grad=True)
        y = x[:2]
        y.sum().backward()
        y.sum().backward()
        return x.grad.tolist()
    assert same_in_both(basic_twice) == [2., 2., 0.]


def test_setting_requires_grad_of_a_non_leaf_raises() -> None:
    def setattr_(lib, flag):
        y = lib.ones(3, requires_grad=True) * 2
        y.requires_grad = flag

    def method(lib, flag):
        y = lib.ones(3, requires_grad=True) * 2
        return y.requires_grad_(flag).requires_grad

    assert same_in_both(lambda lib: setattr_(lib, True)) is RuntimeError
    assert same_in_both(lambda lib: setattr_(lib, False)) is RuntimeError
    assert same_in_both(lambda lib: method(lib, False)) is RuntimeError
    assert same_in_both(lambda lib: method(lib, True)) is True


@pytest.mark.parametrize("view", ["y[:2]", "y.T", "y.view(-1)", "(y * 2)[1:]"])
def test_detach_in_place_of_a_view_raises(view: str) -> None:
    def run(lib):
        y = lib.ones(3, 2, requires_grad="* 2" in view)
        eval(view, {"y": y}).detach_()
    assert same_in_both(run) is RuntimeError

    def not_a_view(lib):
        y = lib.ones(3, requires_grad=True) * 2
        y.detach_()
        return y.requires_grad, y.is_leaf
    assert same_in_both(not_a_view) == (False, True)


def test_data_of_another_dtype() -> None:
    """.data = t: a leaf that requires grad takes only floating data (float64 is fine)."""
    def run(lib, dtype, requires_grad):
        x = lib.ones(3, requires_grad=requires_grad)
        x.data = lib.ones(3, dtype=dtype)
        return str(x.dtype).split(".")[-1]
    assert same_in_both(lambda lib: run(lib, lib.int64, True)) is RuntimeError
    assert same_in_both(lambda lib: run(lib, lib.float64, True)) == "float64"
    assert same_in_both(lambda lib: run(lib, lib.int64, False)) == "int64"


def test_reading_grad_of_a_non_leaf_warns() -> None:
    for lib in LIBS:
        y = lib.ones(3, requires_grad=True) * 2
        with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a "
                                             "leaf Tensor is being accessed"):
            assert y.grad is None
        y.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # retained, or a leaf: no warning
            assert y.grad is None
            assert lib.ones(3).grad is None


def test_inplace_change_of_a_saved_output_raises() -> None:
    """exp saves its output; `y += 1` changes it: backward must refuse (the engine records
    the output's version as well as the inputs')."""
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        y = x.exp()
        y += 1
        y.sum().backward()
    assert same_in_both(run) is RuntimeError

    def through_a_view(lib):
        x = lib.ones(3, requires_grad=True)
        y = x.sigmoid()
        y[0] = 2.
        y.sum().backward()
    assert same_in_both(through_a_view) is RuntimeError
