"""Autograd at the edges (issue 10, groups 2, 5 and 7), each case run in tinygrad_sgd and
torch side by side: the same values, gradients, exception classes and warnings."""
from __future__ import annotations

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
