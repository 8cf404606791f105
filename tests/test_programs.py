"""Differential testing of random programs: hypothesis composes chains and DAGs of ops
(values reused by several later ops, broadcasting reductions, views, in-place updates),
runs the same program in tinygrad_sgd and torch, and compares every leaf's gradient. Some
steps return a view taken before its base changed in place, or a value outside the graph,
so that backward called directly from any value, and every value's requires_grad, is_leaf
and grad_fn, are compared too (issue 10, group 2)."""
from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_sgd as tg
from conftest import to_numpy

# (name, arity, fn(lib, *values) -> value of the same shape (n, m))
STEPS = [
    ("tanh", 1, lambda lib, a: a.tanh()),
    ("sigmoid", 1, lambda lib, a: lib.sigmoid(a)),
    ("relu", 1, lambda lib, a: a.relu()),
    ("abs", 1, lambda lib, a: a.abs()),
    ("neg", 1, lambda lib, a: -a),
    ("scale", 1, lambda lib, a: a * 0.5 + 1),
    ("square", 1, lambda lib, a: a ** 2),
    ("exp", 1, lambda lib, a: (a.tanh()).exp()),
    ("log", 1, lambda lib, a: (a * a + 1).log()),
    ("sqrt", 1, lambda lib, a: (a * a + 0.5).sqrt()),
    ("clamp", 1, lambda lib, a: a.clamp(-0.7, 0.9)),
    ("center rows", 1, lambda lib, a: a - a.mean(dim=1, keepdim=True)),
    ("scale cols", 1, lambda lib, a: a / (a.std(dim=0, keepdim=True) + 1)),
    ("softmax", 1, lambda lib, a: a.softmax(1)),
    ("log_softmax", 1, lambda lib, a: lib.log_softmax(a, 0)),
    ("max over rows", 1, lambda lib, a: a - a.max(dim=1, keepdim=True)[0]),
    ("transpose twice", 1, lambda lib, a: a.T.reshape(a.shape[1], a.shape[0]).T),
    ("flip rows", 1, lambda lib, a: a[lib.arange(a.shape[0] - 1, -1, -1, device=a.device)]),
    ("gather rows", 1, lambda lib, a: a[[0, 0] + list(range(a.shape[0] - 2))]),
    ("cat halves", 1, lambda lib, a: lib.cat([a[:, :1], a[:, 1:]], dim=1)),
    ("in place", 1, lambda lib, a: _inplace(a)),
    ("view", 1, lambda lib, a: a[:]),
    ("view before in place", 1, lambda lib, a: _view_before_inplace(a)),
    ("expanded view before in place", 1, lambda lib, a: _expanded_view_before_inplace(a)),
    ("view of plain, then history", 1, lambda lib, a: _view_of_plain(lib, a)),
    ("detached", 1, lambda lib, a: a.detach() * 2),
    ("no_grad", 1, lambda lib, a: _no_grad(lib, a)),
    ("add", 2, lambda lib, a, b: a + b),
    ("sub", 2, lambda lib, a, b: a - b),
    ("mul", 2, lambda lib, a, b: a * b),
    ("div", 2, lambda lib, a, b: a / (b * b + 1)),
    ("maximum", 2, lambda lib, a, b: lib.maximum(a, b)),
    ("minimum", 2, lambda lib, a, b: lib.minimum(a, b)),
    ("where", 2, lambda lib, a, b: lib.where(a > b, a, b * 2)),
    ("matmul", 2, lambda lib, a, b: (a @ b.T) @ a * 0.1),
    ("stack-sum", 2, lambda lib, a, b: lib.stack([a, b]).sum(0)),
    ("outer mix", 3, lambda lib, a, b, c: a * b.sum() + c.mean(0)),
]


def _inplace(a):
    h = a * 1
    h[:, 0] = h[:, 0] * 2
    h += 1
    return h


def _view_before_inplace(a):
    """A view of h taken before h changes in place (directly and through another view):
    the view must see h's new history whoever reads it."""
    h = a * 1
    v = h.T.T
    h.mul_(1.5)
    h[0] = h[0] * 2
    return v


def _expanded_view_before_inplace(a):
    """An expanded view (its gradient sums the copies) of a base that then changes."""
    h = a * 1
    v = h[:1].expand(*h.shape)
    h.mul_(-1.5)
    return v


def _view_of_plain(lib, a):
    """A view of a plain tensor whose base then takes a history in place."""
    h = lib.zeros_like(a)
    v = h.view(h.shape)
    h += a * a
    return v


def _no_grad(lib, a):
    with lib.no_grad():
        return a * 3


@st.composite
def programs(draw):
    n_leaves = draw(st.integers(1, 3))
    length = draw(st.integers(1, 8))
    program = []
    for k in range(length):
        name, arity, _ = draw(st.sampled_from(STEPS))
        pool = n_leaves + k
        # favour recent values (chains) but allow any earlier one (DAGs, reuse)
        args = [draw(st.one_of(st.just(pool - 1), st.integers(0, pool - 1)))
                for _ in range(arity)]
        program.append((name, args))
    shape = (draw(st.integers(2, 4)), draw(st.integers(2, 4)))
    return n_leaves, program, shape


def run(lib, leaves, program, weights):
    fns = {name: fn for name, _, fn in STEPS}
    values = list(leaves)
    for name, args in program:
        values.append(fns[name](lib, *(values[i] for i in args)))
    # every value feeds the loss, so every path gets a gradient
    total = (values[0] * weights[0]).sum()
    for v, w in zip(values[1:], weights[1:]):
        total = total + (v * w).sum()
    return total


@settings(max_examples=60)
@given(programs(), st.integers(0, 2**32 - 1), st.sampled_from(["cpu", "cuda"]))
def test_random_programs_match_torch(prog, seed, device) -> None:
    n_leaves, program, shape = prog
    rng = np.random.default_rng(seed)
    data = [rng.standard_normal(shape) for _ in range(n_leaves)]
    weights = [rng.standard_normal(shape) for _ in range(n_leaves + len(program))]
    ours = [tg.tensor(d, requires_grad=True, device=device) for d in data]
    theirs = [torch.tensor(d, requires_grad=True) for d in data]
    loss = run(tg, ours, program, [tg.tensor(w, device=device) for w in weights])
    expected = run(torch, theirs, program, [torch.tensor(w) for w in weights])
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-9, atol=1e-9)
    loss.backward()
    expected.backward()
    for i, (o, t) in enumerate(zip(ours, theirs)):
        scale = max(1.0, float(np.abs(t.grad.numpy()).max()))
        np.testing.assert_allclose(to_numpy(o.grad), t.grad.numpy(), rtol=1e-7,
                                   atol=1e-7 * scale, err_msg=f"leaf {i}: {program}")


def _build(lib, leaves, program):
    fns = {name: fn for name, _, fn in STEPS}
    values = list(leaves)
    for name, args in program:
        values.append(fns[name](lib, *(values[i] for i in args)))
    return values


def _history(lib, values, no_grad=False):
    """Each value's (requires_grad, is_leaf, grad_fn is None), read in or out of no_grad:
    the grad mode of the reader must not change the answer."""
    with lib.set_grad_enabled(not no_grad):
        return [(v.requires_grad, v.is_leaf, v.grad_fn is None) for v in values]


@settings(max_examples=60)
@given(programs(), st.integers(0, 2**32 - 1), st.sampled_from(["cpu", "cuda"]), st.data())
def test_backward_from_any_value_matches_torch(prog, seed, device, data) -> None:
    """backward called directly from any value of a program (a view too, whose base may
    have changed in place since), after reading every value's autograd attributes."""
    n_leaves, program, shape = prog
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for _ in range(n_leaves)]
    gradient = rng.standard_normal(shape)
    ours = [tg.tensor(d, requires_grad=True, device=device) for d in arrays]
    theirs = [torch.tensor(d, requires_grad=True) for d in arrays]
    our_values = _build(tg, ours, program)
    their_values = _build(torch, theirs, program)
    read_in_no_grad = data.draw(st.booleans(), label="first read under no_grad")
    expected = _history(torch, their_values, read_in_no_grad)
    assert _history(tg, our_values, read_in_no_grad) == expected, program
    assert _history(tg, our_values) == _history(torch, their_values), program
    k = data.draw(st.integers(0, len(our_values) - 1), label="backward from value")
    their_error = our_error = None
    try:
        their_values[k].backward(torch.tensor(gradient))
    except RuntimeError as e:
        their_error = e
    try:
        our_values[k].backward(tg.tensor(gradient, device=device))
    except RuntimeError as e:
        our_error = e
    assert (our_error is None) == (their_error is None), (program, k, our_error, their_error)
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert (o.grad is None) == (t.grad is None), f"leaf {i}: {program}"
        if t.grad is not None:
            scale = max(1.0, float(np.abs(t.grad.numpy()).max()))
            np.testing.assert_allclose(to_numpy(o.grad), t.grad.numpy(), rtol=1e-7,
                                       atol=1e-7 * scale, err_msg=f"leaf {i}: {program}")
