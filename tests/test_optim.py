"""tg.optim.SGD beside torch.optim.SGD: 20 steps from identical weights for each option,
comparing every parameter and momentum buffer after every step; zero_grad; parameter
groups; and bad settings refused with torch's exception and message, nothing changed."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from conftest import to_numpy

OPTIONS = {
    "plain": {},
    "momentum": {"momentum": 0.9},
    "momentum+dampening": {"momentum": 0.9, "dampening": 0.3},
    "weight_decay": {"weight_decay": 0.05},
    "momentum+weight_decay": {"momentum": 0.8, "weight_decay": 0.05},
    "nesterov": {"momentum": 0.9, "nesterov": True},
    "nesterov+weight_decay": {"momentum": 0.5, "nesterov": True, "weight_decay": 0.1},
    "everything but nesterov": {"momentum": 0.7, "dampening": 0.5, "weight_decay": 0.01},
    "maximize": {"momentum": 0.9, "maximize": True},
}


def make_model(lib, dtype):
    """A small MLP with both libraries' modules, weights drawn once with numpy."""
    rng = np.random.default_rng(0)
    model = lib.nn.Sequential(lib.nn.Linear(5, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))
    model.to(dtype)
    with lib.no_grad():
        for p in model.parameters():
            p.copy_(lib.tensor(rng.uniform(-0.5, 0.5, tuple(p.shape)), dtype=dtype))
    return model


def run(lib, options, steps, dtype, device="cpu", lr=0.1):
    """`steps` SGD steps on a fixed cross-entropy problem; the parameters and momentum
    buffers after each step."""
    kw = {"device": device} if lib is tg else {}
    rng = np.random.default_rng(1)
    x = lib.tensor(rng.standard_normal((16, 5)), dtype=dtype, **kw)
    y = lib.tensor(rng.integers(0, 3, 16), **kw)
    model = make_model(lib, dtype)
    if lib is tg:
        model.to(device)
    opt = lib.optim.SGD(model.parameters(), lr=lr, **options)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        params = [to_numpy(p) if lib is tg else p.detach().numpy() for p in model.parameters()]
        bufs = [opt.state[p].get("momentum_buffer") if p in opt.state else None
                for p in model.parameters()]
        bufs = [None if b is None else (to_numpy(b) if lib is tg else b.numpy()).copy()
                for b in bufs]
        history.append((loss.item(), [a.copy() for a in params], bufs))
    return history


@pytest.mark.parametrize("name", list(OPTIONS))
def test_sgd_matches_torch_for_20_steps(device: str, name: str) -> None:
    ours = run(tg, OPTIONS[name], 20, tg.float64, device)
    theirs = run(torch, OPTIONS[name], 20, torch.float64)
    for step, ((l_o, p_o, b_o), (l_t, p_t, b_t)) in enumerate(zip(ours, theirs)):
        assert l_o == pytest.approx(l_t, rel=1e-12), f"loss at step {step}"
        for a, b in zip(p_o, p_t):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")
        for a, b in zip(b_o, b_t):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    first, last = ours[0][0], ours[-1][0]  # and it did move: the loss went the right way
    assert (last > first) if name == "maximize" else (last < first)


def test_sgd_float32_matches_torch() -> None:
    ours = run(tg, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, 20, tg.float32)
    theirs = run(torch, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, 20,
                 torch.float32)
    for (_, p_o, _), (_, p_t, _) in zip(ours, theirs):
        for a, b in zip(p_o, p_t):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_first_momentum_buffer_is_the_gradient_itself() -> None:
    """torch's rule: the first buffer is a copy of g (not μ·0 + (1-τ)·g)."""
    p = tg.nn.Parameter(tg.tensor([1.0, -2.0]))
    opt = tg.optim.SGD([p], lr=0.5, momentum=0.9, dampening=0.5)
    (p * tg.tensor([3.0, 4.0])).sum().backward()
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    assert to_numpy(buf).tolist() == [3.0, 4.0]
    assert to_numpy(p).tolist() == [1.0 - 1.5, -2.0 - 2.0]
    assert buf is not p.grad  # a copy: changing one leaves the other
    opt.step()  # same grad again: buf = 0.9 * buf + 0.5 * g
    np.testing.assert_allclose(to_numpy(buf), [0.9 * 3 + 1.5, 0.9 * 4 + 2.0])


def test_parameter_groups_and_parameters_without_grad_match_torch() -> None:
    def setup(lib):
        a = lib.nn.Parameter(lib.tensor([1.0, 2.0], dtype=lib.float64))
        b = lib.nn.Parameter(lib.tensor([3.0], dtype=lib.float64))
        unused = lib.nn.Parameter(lib.tensor([5.0], dtype=lib.float64))
        opt = lib.optim.SGD([{"params": [a]}, {"params": [b, unused], "lr": 0.01,
                                               "momentum": 0.5}], lr=0.1, momentum=0.9)
        for _ in range(5):
            opt.zero_grad()
            ((a ** 2).sum() * b.sum()).backward()
            opt.step()
        return [float(v) for t in (a, b, unused) for v in t.detach().numpy()], \
            unused in opt.state, opt
    ours, ours_state, opt = setup(tg)
    theirs, theirs_state, _ = setup(torch)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert ours[-1] == 5.0 and ours_state == theirs_state == False  # noqa: E712
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert "Parameter Group 1" in repr(opt) and "lr: 0.01" in repr(opt)


def test_zero_grad_sets_to_none_by_default_or_zeros_in_place() -> None:
    p = tg.nn.Parameter(tg.ones(3))
    opt = tg.optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and to_numpy(grad).tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None
    opt.step()  # no gradient: nothing happens
    assert to_numpy(p).tolist() == [1.0, 1.0, 1.0]


def test_step_with_closure_returns_the_loss() -> None:
    p = tg.nn.Parameter(tg.tensor([2.0]))
    opt = tg.optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p ** 2).sum()
        loss.backward()
        return loss
    with tg.no_grad():  # step turns grad mode on for the closure, as torch does
        loss = opt.step(closure)
    assert loss.item() == 4.0 and to_numpy(p).tolist() == [1.0]


BAD = {
    "negative lr": ({"lr": -0.1}, ValueError, "Invalid learning rate: -0.1"),
    "negative momentum": ({"lr": 0.1, "momentum": -0.5}, ValueError,
                          "Invalid momentum value: -0.5"),
    "negative weight decay": ({"lr": 0.1, "weight_decay": -1.0}, ValueError,
                              "Invalid weight_decay value: -1.0"),
    "nesterov without momentum": ({"lr": 0.1, "nesterov": True}, ValueError,
                                  "Nesterov momentum requires a momentum and zero dampening"),
    "nesterov with dampening": ({"lr": 0.1, "nesterov": True, "momentum": 0.9,
                                 "dampening": 0.1}, ValueError,
                                "Nesterov momentum requires a momentum and zero dampening"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_settings_are_refused_like_torch(case: str) -> None:
    options, exc, message = BAD[case]
    p = tg.nn.Parameter(tg.tensor([1.0, 2.0]))
    (p ** 2).sum().backward()
    with pytest.raises(exc) as theirs:
        torch.optim.SGD([torch.nn.Parameter(torch.ones(2))], **options)
    with pytest.raises(exc) as ours:
        tg.optim.SGD([p], **options)
    assert str(theirs.value).startswith(message) and str(ours.value).startswith(message)
    assert to_numpy(p).tolist() == [1.0, 2.0] and to_numpy(p.grad).tolist() == [2.0, 4.0]


def test_bad_parameter_lists_are_refused_like_torch() -> None:
    for make in (lambda lib: [], lambda lib: iter([])):
        with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
            torch.optim.SGD(make(torch), lr=0.1)
        with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
            tg.optim.SGD(make(tg), lr=0.1)
    p = tg.nn.Parameter(tg.ones(2))
    with pytest.raises(TypeError, match="iterable of Tensors"):
        tg.optim.SGD(p, lr=0.1)  # a single tensor, not a list
    with pytest.raises(ValueError, match="non-leaf"):
        tg.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        tg.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    opt = tg.optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        opt.add_param_group({"params": [tg.nn.Parameter(tg.ones(1))], "lr": -1.0})
    assert len(opt.param_groups) == 1  # the refused group left no trace
    assert to_numpy(p).tolist() == [1.0, 1.0]
