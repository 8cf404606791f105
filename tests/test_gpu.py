"""The GPU backend.

On a machine with a CUDA GPU and cupy, the `gpu`-marked tests run the whole op registry
on real cupy against torch. Everywhere, the 'cuda' device of the other tests is either
that real GPU or the array-api-strict stand-in (see conftest.py); the tests below show
that the stand-in catches what would break on cupy, and that nothing is copied between
devices behind the user's back.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_sgd as tg
from conftest import REAL_GPU, to_numpy
from registry import OPS, Op
from test_ops_vs_torch import check_against_torch
from tinygrad_sgd import backend
from tinygrad_sgd.autograd.engine import Function

needs_gpu = pytest.mark.skipif(
    not REAL_GPU, reason="no CUDA GPU with cupy on this machine: the 'cuda' device is "
    "tested on the array-api-strict stand-in instead (every test with the device fixture)")


@pytest.mark.gpu
@needs_gpu
@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
@given(data=st.data())
def test_registry_on_cupy(op: Op, data: st.DataObject) -> None:
    check_against_torch(op, "cuda", data)


@pytest.mark.gpu
@needs_gpu
def test_cupy_arrays_stay_on_the_gpu() -> None:
    import cupy
    x = tg.randn(1000, 10, device="cuda", requires_grad=True)
    loss = (x.relu() @ tg.ones(10, device="cuda")).mean()
    loss.backward()
    assert isinstance(x._data, cupy.ndarray) and isinstance(x.grad._data, cupy.ndarray)
    assert tg.cuda.get_device_name().startswith("CUDA GPU")


# -- the stand-in catches numpy-only code ----------------------------------------------------
@pytest.mark.skipif(REAL_GPU, reason="about the stand-in, which is off where a GPU is")
def test_standin_refuses_numpy_inside_an_op() -> None:
    """A numpy call slipped into an op fails on the stand-in, as it would on cupy."""
    class NumpyExp(Function):
        def forward(ctx, a):
            return np.exp(a)  # wrong: should be ctx.xp.exp(a)

        def backward(ctx, grad_output):
            return grad_output

    assert NumpyExp.apply(tg.ones(2)).tolist() == pytest.approx([np.e, np.e])  # numpy: fine
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array"):
        NumpyExp.apply(tg.ones(2, device="cuda"))

    class MixesNumpy(Function):
        def forward(ctx, a):
            return a + np.ones(a.shape, dtype=np.float32)  # wrong: a numpy array

        def backward(ctx, grad_output):
            return grad_output

    with pytest.raises(TypeError):
        MixesNumpy.apply(tg.ones(2, device="cuda"))


@pytest.mark.skipif(REAL_GPU, reason="about the stand-in")
def test_standin_arrays_are_not_numpy() -> None:
    x = tg.ones(3, device="cuda")
    assert not isinstance(x._data, np.ndarray)
    assert "stand-in" in tg.cuda.get_device_name()


# -- arrays of the wrong device are refused, never copied silently ------------------------------
def test_wrong_device_arrays_are_refused() -> None:
    cuda_array = tg.ones(2, device="cuda")._data
    host_array = np.ones(2, dtype=np.float32)
    kind = type(cuda_array).__module__.split(".")[0]
    with pytest.raises(RuntimeError, match=kind):
        tg.ones(2) + cuda_array  # a device array into a CPU op
    with pytest.raises(RuntimeError, match="numpy"):
        tg.ones(2, device="cuda") + host_array  # a host array into a GPU op
    with pytest.raises(RuntimeError, match=kind):
        tg.tensor(cuda_array, device="cpu")
    with pytest.raises(TypeError, match="np.ndarray"):
        tg.from_numpy(cuda_array)
    with pytest.raises(TypeError, match="cpu()"):
        np.asarray(tg.ones(2, device="cuda"))
    with pytest.raises(TypeError, match="cpu()"):
        tg.ones(2, device="cuda").numpy()
    # explicit moves are fine
    assert tg.tensor(host_array, device="cuda").device == "cuda"
    assert tg.tensor(cuda_array, device="cuda").device == "cuda"


def test_no_host_copies_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Training on 'cuda' (the lesson's loop, an MLP step with nn and optim) never copies
    array data to the host; only .item(), .cpu(), printing and .tolist() do. (Checking
    inputs, e.g. that class targets are in range, reads one flag: a 0-d copy.)"""
    cuda = backend.get_device("cuda")
    copies = []
    real = cuda.to_numpy
    monkeypatch.setattr(cuda, "to_numpy", lambda a: copies.append(a.shape) or real(a))
    tg.manual_seed(0)
    x = tg.ones(100, 2, device="cuda")
    x[:, 0].uniform_(-1.0, 1)
    y = x @ tg.tensor(3.0, 2, device="cuda") + tg.rand(100, device="cuda")
    a = tg.nn.Parameter(tg.tensor(-1.0, 1, device="cuda"))
    for _ in range(5):
        loss = ((x @ a - y) ** 2).mean()
        loss.backward()
        with tg.no_grad():
            a.sub_(0.1 * a.grad)
            a.grad.zero_()
    model = tg.nn.Sequential(tg.nn.Linear(2, 8), tg.nn.ReLU(), tg.nn.Linear(8, 3)).to("cuda")
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    target = tg.randint(0, 3, (100,), device="cuda")
    for _ in range(3):
        opt.zero_grad()
        tg.nn.functional.cross_entropy(model(x), target).backward()
        opt.step()
    assert all(shape == () for shape in copies), f"host copies in training: {copies}"
    assert len(copies) <= 3 * 2
    copies.clear()
    loss.item()
    assert copies == [()]


def test_module_to_device_and_back() -> None:
    model = tg.nn.Linear(3, 2)
    w = to_numpy(model.weight)
    model.to("cuda")
    assert model.weight.device == "cuda" and isinstance(model.weight, tg.nn.Parameter)
    model.to("cpu")
    np.testing.assert_array_equal(to_numpy(model.weight), w)


def test_cuda_random_numbers_follow_manual_seed() -> None:
    tg.manual_seed(3)
    a = to_numpy(tg.randn(5, device="cuda"))
    tg.manual_seed(3)
    assert np.array_equal(a, to_numpy(tg.randn(5, device="cuda")))


def test_lesson_on_cuda_matches_cpu() -> None:
    """The same data on both devices gives the same trajectory."""
    rng = np.random.default_rng(0)
    xs = np.stack([rng.uniform(-1, 1, 100), np.ones(100)], 1).astype(np.float32)
    ys = (xs @ np.array([3.0, 2.0], dtype=np.float32) + rng.random(100)).astype(np.float32)
    results = []
    for dev in ("cpu", "cuda"):
        x, y = tg.tensor(xs, device=dev), tg.tensor(ys, device=dev)
        a = tg.nn.Parameter(tg.tensor(-1.0, 1, device=dev))
        for _ in range(50):
            loss = ((x @ a - y) ** 2).mean()
            loss.backward()
            with tg.no_grad():
                a.sub_(0.1 * a.grad)
                a.grad.zero_()
        results.append(to_numpy(a))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    t = torch.tensor(xs)  # and torch agrees, for good measure
    ta = torch.nn.Parameter(torch.tensor([-1.0, 1.0]))
    for _ in range(50):
        loss = ((t @ ta - torch.tensor(ys)) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            ta.sub_(0.1 * ta.grad)
            ta.grad.zero_()
    np.testing.assert_allclose(results[1], ta.detach().numpy(), rtol=1e-5)
