"""torch's autograd semantics, each with a test that fails without it."""
from __future__ import annotations

import gc
import threading
import tracemalloc
import weakref

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from conftest import to_numpy
from tinygrad_sgd.autograd.engine import Function


def leaf(values, device="cpu", dtype=tg.float64):
    return tg.tensor(values, dtype=dtype, device=device, requires_grad=True)


# -- the graph walk ------------------------------------------------------------------------
def test_reused_node_adds_its_gradients(device: str) -> None:
    """b = a + a; c = b * b: the grads through both uses must add, not overwrite."""
    a = leaf([1.0, 2.0], device)
    b = a + a
    c = (b * b).sum()
    c.backward()
    np.testing.assert_allclose(to_numpy(a.grad), 8 * np.array([1.0, 2.0]))  # d(4a²)/da


def test_diamond_graph_matches_torch() -> None:
    def f(lib, x):
        h = x.exp()
        u, v = h * 2, h.log() + h
        return (u * v).sum() + h.sum()
    a, t = leaf([0.5, -1.0, 2.0]), torch.tensor([0.5, -1.0, 2.0], requires_grad=True,
                                                dtype=torch.float64)
    f(tg, a).backward()
    f(torch, t).backward()
    np.testing.assert_allclose(to_numpy(a.grad), t.grad.numpy(), rtol=1e-12)


def test_chain_of_100000_ops_backpropagates() -> None:
    """No recursion: the engine walks a graph 100,000 ops deep."""
    x = leaf(1.0)
    y = x
    for _ in range(50_000):
        y = y * 1.0001 + 0.001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 50_000, rel=1e-6)


def test_gradients_accumulate_and_grad_stays_the_same_tensor() -> None:
    a = leaf([1.0, 2.0])
    (a * 3).sum().backward()
    g = a.grad
    (a * 3).sum().backward()
    assert a.grad is g  # accumulated in place, as torch does
    np.testing.assert_allclose(to_numpy(g), [6.0, 6.0])
    g.zero_()
    (a * a).sum().backward()
    np.testing.assert_allclose(to_numpy(a.grad), [2.0, 4.0])


def test_non_leaf_grads_are_not_kept() -> None:
    a = leaf([1.0, 2.0])
    b = a * 2
    b.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):  # as torch: likely a slip
        assert b.grad is None
    assert b.grad_fn is not None and not b.is_leaf and a.is_leaf


def test_backward_with_gradient_argument(device: str) -> None:
    a = leaf([1.0, 2.0, 3.0], device)
    (a * a).backward(tg.tensor([1.0, 0.0, -1.0], dtype=tg.float64, device=device))
    np.testing.assert_allclose(to_numpy(a.grad), [2.0, 0.0, -6.0])


def test_backward_of_a_leaf_itself() -> None:
    a = leaf(3.0)
    a.backward()
    assert a.grad.item() == 1.0


# -- freeing the graph ---------------------------------------------------------------------
def test_second_backward_through_freed_graph_raises() -> None:
    a = leaf([1.0, 2.0])
    loss = (a * a).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward() -> None:
    a = leaf([1.0, 2.0])
    loss = (a * a).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(to_numpy(a.grad), [4.0, 8.0])


def test_ops_without_saved_values_can_backward_twice_as_in_torch() -> None:
    a, t = leaf([1.0]), torch.tensor([1.0], requires_grad=True)
    for x in (a, t):
        y = (x + 1).sum()
        y.backward()
        y.backward()  # torch allows this: AddBackward saved nothing
    np.testing.assert_allclose(to_numpy(a.grad), t.grad.numpy())


def test_graph_is_freed_after_backward() -> None:
    """After backward, nothing of the forward graph stays alive once the loss is gone."""
    a = leaf(np.ones(1000))
    loss = ((a * 2).exp() * a).sum()
    node = weakref.ref(loss.grad_fn)
    loss.backward()
    del loss
    gc.collect()
    assert node() is None


def test_memory_stays_flat_over_10000_steps() -> None:
    x = tg.ones(100, 2)
    x[:, 0].uniform_(-1.0, 1.0)
    y = x @ tg.tensor(3.0, 2) + tg.rand(100)
    a = tg.nn.Parameter(tg.tensor(-1.0, 1))

    def steps(n: int) -> None:
        for _ in range(n):
            loss = ((x @ a - y) ** 2).mean()
            loss.backward()
            with tg.no_grad():
                a.sub_(0.1 * a.grad)
                a.grad.zero_()

    steps(200)
    tracemalloc.start()
    steps(1000)
    after_1k = tracemalloc.get_traced_memory()[0]
    steps(9000)
    after_10k = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after_10k - after_1k < 50_000, (after_1k, after_10k)


# -- grad mode -----------------------------------------------------------------------------
def test_no_grad_context_and_decorator() -> None:
    a = leaf([1.0])
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        assert not (a * 2).requires_grad
        with tg.enable_grad():
            assert (a * 2).requires_grad
    assert tg.is_grad_enabled()

    @tg.no_grad()
    def f(x):
        return x * 2
    assert not f(a).requires_grad and tg.is_grad_enabled()

    @tg.no_grad
    def g(x):
        return x * 2
    assert not g(a).requires_grad


def test_grad_mode_is_per_thread() -> None:
    inside, seen = threading.Event(), {}
    release = threading.Event()

    def worker():
        with tg.no_grad():
            inside.set()
            release.wait(5)
            seen["worker"] = tg.is_grad_enabled()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(5)
    seen["main"] = tg.is_grad_enabled()
    seen["main_records"] = (leaf([1.0]) * 2).requires_grad
    release.set()
    t.join()
    assert seen == {"worker": False, "main": True, "main_records": True}


def test_set_grad_enabled() -> None:
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


# -- in place and versions -----------------------------------------------------------------
def test_inplace_change_of_saved_tensor_raises_at_backward(device: str) -> None:
    a = leaf([1.0, 2.0], device)
    b = a * 1
    c = (b * b).sum()  # MulBackward saved b
    b.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation.*MulBackward0"):
        c.backward()


def test_inplace_change_of_unsaved_input_is_fine_as_in_torch() -> None:
    a = leaf([1.0, 2.0])
    b = a * 1
    c = (b + 1).sum()  # AddBackward saved nothing
    with tg.no_grad():
        b.mul_(5)
    c.backward()
    np.testing.assert_allclose(to_numpy(a.grad), [1.0, 1.0])


def test_views_and_detach_share_the_version_counter() -> None:
    a = leaf([1.0, 2.0, 3.0])
    b = a * 1
    loss = (b.exp()).sum() + (b * b).sum()
    b.detach()[0] = 10.0  # a detached alias: same storage, same counter
    with pytest.raises(RuntimeError, match="inplace"):
        loss.backward()
    c = a * 1
    loss = (c * c).sum()
    c[1:].mul_(2)  # through a view of c
    with pytest.raises(RuntimeError, match="inplace"):
        loss.backward()


def test_data_is_outside_autograd() -> None:
    a = leaf([1.0, 2.0])
    b = a * 1
    loss = (b * b).sum()
    b.data.mul_(1)  # .data changes are not tracked (torch's documented hazard)
    loss.backward()
    np.testing.assert_allclose(to_numpy(a.grad), [2.0, 4.0])


def test_basic_index_is_a_view_and_in_place_changes_the_base(device: str) -> None:
    x = tg.ones(5, 2, device=device)
    x[:, 0].uniform_(-1.0, 1)
    assert not np.allclose(to_numpy(x)[:, 0], 1.0) and np.allclose(to_numpy(x)[:, 1], 1.0)
    x.T[1].fill_(7.0)
    assert np.allclose(to_numpy(x)[:, 1], 7.0)
    x.view(10)[0] = -3.0
    assert to_numpy(x)[0, 0] == -3.0


def test_inplace_ops_with_graph_match_torch() -> None:
    def f(lib, w):
        h = w * 1
        h += 1
        h *= w
        h[0] = h[1] * 3
        h.clamp_(-5, 50)
        return (h / 2).sum()
    a = leaf([1.5, 2.0, -0.5])
    t = torch.tensor([1.5, 2.0, -0.5], dtype=torch.float64, requires_grad=True)
    f(tg, a).backward()
    f(torch, t).backward()
    np.testing.assert_allclose(to_numpy(a.grad), t.grad.numpy(), rtol=1e-12)


def test_inplace_on_leaf_requiring_grad_raises_and_changes_nothing() -> None:
    a = leaf([1.0, 2.0])
    for op in (lambda: a.sub_(1), lambda: a.add_(1), lambda: a.zero_(), lambda: a.fill_(3),
               lambda: a.uniform_(), lambda: a.__setitem__(0, 5.0), lambda: a[0:1].mul_(2)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            op()
        np.testing.assert_array_equal(to_numpy(a), [1.0, 2.0])
        assert a._version[0] == 0
    with tg.no_grad():
        a.sub_(1)
    np.testing.assert_array_equal(to_numpy(a), [0.0, 1.0])


# -- autograd.grad and gradcheck ---------------------------------------------------------------
def test_autograd_grad_matches_torch_and_leaves_grad_alone() -> None:
    a = leaf([1.0, 2.0])
    h = a * a
    (g_a, g_h) = tg.autograd.grad((h * 3).sum(), [a, h], retain_graph=True)
    assert a.grad is None
    np.testing.assert_allclose(to_numpy(g_a), [6.0, 12.0])
    np.testing.assert_allclose(to_numpy(g_h), [3.0, 3.0])
    other = leaf([5.0])
    with pytest.raises(RuntimeError, match="not have been used"):
        tg.autograd.grad((a * 2).sum(), [a, other])
    assert tg.autograd.grad((a * 2).sum(), [a, other], allow_unused=True)[1] is None


def test_gradcheck_passes_and_names_the_worst_element() -> None:
    x = leaf([0.3, -1.2, 2.0])
    assert tg.autograd.gradcheck(lambda t: (t.exp() * t).sum(), (x,))

    class WrongSquare(Function):
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        def backward(ctx, grad_output):
            (a,) = ctx.saved_tensors
            return grad_output * a  # should be 2a

    with pytest.raises(RuntimeError, match=r"input element 2.*numerical 4\.0"):
        tg.autograd.gradcheck(lambda t: WrongSquare.apply(t), (x,))
    with pytest.raises(RuntimeError, match="float64"):
        tg.autograd.gradcheck(lambda t: t * 2, (leaf([1.0], dtype=tg.float32),))


def test_device_mixing_raises_naming_both() -> None:
    """'cpu' with 'cuda' (cupy, or the stand-in where there is no GPU)."""
    a, b = tg.ones(2), tg.ones(2, device="cuda")
    for op in (lambda: a + b, lambda: a @ b, lambda: tg.cat([a, b]), lambda: b * a):
        with pytest.raises(RuntimeError, match=r"(cpu.*cuda|cuda.*cpu)"):
            op()


def _both(fn, *values):
    """Run fn(lib, *leaves) in both libraries; return our grads and torch's."""
    ours = [leaf(v) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    fn(tg, *ours).backward()
    fn(torch, *theirs).backward()
    return [to_numpy(o.grad) for o in ours], [t.grad.numpy() for t in theirs]


@pytest.mark.parametrize("name,fn", [
    ("slice of a non-leaf, in place", lambda lib, a, w: _tap(lib, a, lambda h: h[:, 0].mul_(w))),
    ("+= through a view", lambda lib, a, w: _tap(lib, a, lambda h: h[1].__iadd__(w[0] * 2))),
    ("setitem on a view", lambda lib, a, w: _tap(lib, a, lambda h: h.T[0].__setitem__(1, w[0]))),
    ("sibling view sees it", lambda lib, a, w: _sibling(lib, a, w)),
    ("view of a view", lambda lib, a, w: _tap(lib, a, lambda h: h.view(6)[2:4].mul_(w[:2]))),
])
def test_inplace_through_views_matches_torch(name, fn) -> None:
    ours, theirs = _both(fn, np.arange(6.0).reshape(2, 3) + 1, np.array([0.5, -2.0]))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t, rtol=1e-12, err_msg=name)


def _tap(lib, a, change):
    h = a * 1
    change(h)
    return (h * h).sum()


def _sibling(lib, a, w):
    h = a * 2
    first, second = h[0], h[:, 0]  # they overlap at h[0, 0]
    first.mul_(w[0])  # changes h, so `second`'s history must be refreshed too
    return (second * 3).sum() + (h * h).sum() + first.sum()


def test_saved_only_what_backward_needs_as_torch() -> None:
    """x * w saves x (for dL/dw) but not w, since x needs no grad: changing w before
    backward is fine in torch, and here."""
    x = tg.tensor([1.0, 2.0], dtype=tg.float64)
    w = leaf([3.0, 4.0])
    y = (x * w).sum()
    with tg.no_grad():
        w.sub_(1)
    y.backward()
    np.testing.assert_allclose(to_numpy(w.grad), [1.0, 2.0])
    x.add_(1)  # but x was saved:
    y = (leaf([1.0, 1.0]) * 1 * x).sum()
    x.add_(1)
    with pytest.raises(RuntimeError, match="inplace"):
        y.backward()


def test_custom_function_with_wrong_number_of_gradients_is_refused() -> None:
    class AddOne(Function):
        def forward(ctx, a, b):
            return a + b + 1

        def backward(ctx, grad_output):
            return grad_output  # one gradient for two inputs

    a, b = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="incorrect number of gradients .expected 2, got 1"):
        (AddOne.apply(a, b * 3) + b).sum().backward()


def test_retain_grad_keeps_an_intermediate_gradient_as_torch() -> None:
    def f(lib, a):
        h = a * a
        h.retain_grad()
        y = h.exp()
        y.retain_grad()
        (y * 2).sum().backward()
        return h, y
    a = leaf([0.5, -1.0])
    t = torch.tensor([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    (h, y), (th, ty) = f(tg, a), f(torch, t)
    np.testing.assert_allclose(to_numpy(h.grad), th.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(y.grad), ty.grad.numpy(), rtol=1e-12)
    assert h.retains_grad and not a.retains_grad
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        tg.ones(2).retain_grad()


def test_save_and_load(tmp_path) -> None:
    model = tg.nn.Linear(3, 2)
    tg.save(model.state_dict(), tmp_path / "model.pt")
    other = tg.nn.Linear(3, 2)
    other.load_state_dict(tg.load(tmp_path / "model.pt"))
    np.testing.assert_array_equal(to_numpy(other.weight), to_numpy(model.weight))
    x = tg.tensor([1.0, 2.0], device="cuda")
    tg.save({"x": x, "n": [x]}, tmp_path / "x.pt")
    back = tg.load(tmp_path / "x.pt", map_location="cpu")
    assert back["x"].device == "cpu" and back["n"][0].tolist() == [1.0, 2.0]


def test_backward_releases_saved_arrays_while_the_loss_lives() -> None:
    """After backward, the graph keeps no array its backward needed, even while the loss
    (and so the graph's nodes) is still referenced: between steps, memory is the data."""
    a = leaf(np.ones(1000))
    d = a * 2  # Pow saves d's array for backward
    saved = weakref.ref(d._data)
    loss = (d ** 2).mean()
    del d
    assert saved() is not None
    loss.backward()
    gc.collect()
    assert saved() is None and loss.grad_fn is not None
