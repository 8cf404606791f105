"""The lesson's loop, run from identical data in tinygrad_sgd and torch: the parameters
must agree step for step. And the flagship example runs and writes its figures."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from conftest import to_numpy

ROOT = Path(__file__).resolve().parents[1]


def lesson_data(n: int = 100, seed: int = 0, dtype: str = "float32") -> tuple:
    rng = np.random.default_rng(seed)
    x = np.ones((n, 2), dtype=dtype)
    x[:, 0] = rng.uniform(-1, 1, n)
    y = (x @ np.array([3.0, 2.0], dtype=dtype) + rng.random(n)).astype(dtype)
    return x, y


def fit(lib, x, y, steps: int, lr: float, device=None, batches=None) -> list:
    """The lesson's update(), written once for both libraries."""
    kw = {"device": device} if device else {}
    x, y = lib.tensor(x, **kw), lib.tensor(y, **kw)
    a = lib.nn.Parameter(lib.tensor([-1.0, 1.0], dtype=x.dtype, **kw))
    trajectory = []
    for t in range(steps):
        xb, yb = (x, y) if batches is None else (x[lib.tensor(batches[t], **kw)],
                                                  y[lib.tensor(batches[t], **kw)])
        loss = ((xb @ a - yb) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            a.sub_(lr * a.grad)
            a.grad.zero_()
        trajectory.append((loss.item(), a.detach().cpu().numpy().copy()))
    return trajectory


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-5), ("float64", 1e-12)])
def test_gradient_descent_matches_torch_step_for_step(device: str, dtype: str,
                                                      rtol: float) -> None:
    x, y = lesson_data(dtype=dtype)
    ours = fit(tg, x, y, steps=100, lr=0.1, device=device)
    theirs = fit(torch, x, y, steps=100, lr=0.1)
    for step, ((l1, a1), (l2, a2)) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a1, a2, rtol=rtol, atol=rtol, err_msg=f"step {step}")
        assert l1 == pytest.approx(l2, rel=rtol * 10, abs=rtol), f"loss at step {step}"
    assert np.abs(ours[-1][1] - np.array([3.0, 2.5])).max() < 0.2  # it did learn the line


def test_minibatch_sgd_matches_torch(device: str) -> None:
    """Mini-batches drawn with replacement: repeated rows must add their gradients."""
    x, y = lesson_data(dtype="float64")
    rng = np.random.default_rng(1)
    batches = [rng.integers(0, 100, size=10) for _ in range(50)]
    ours = fit(tg, x, y, steps=50, lr=0.1, device=device, batches=batches)
    theirs = fit(torch, x, y, steps=50, lr=0.1, batches=batches)
    for (_, a1), (_, a2) in zip(ours, theirs):
        np.testing.assert_allclose(a1, a2, rtol=1e-12)


def test_lesson_cells_run_verbatim() -> None:
    """The lesson's own code, after `import tinygrad_sgd as torch`."""
    import tinygrad_sgd as torch
    from tinygrad_sgd import nn, tensor
    n = 100
    x = torch.ones(n, 2)
    x[:, 0].uniform_(-1., 1)
    assert float(x[:, 0].min()) >= -1 and float(x[:, 0].max()) < 1 and x[:, 0].std() > 0.3
    assert bool((x[:, 1] == 1).all())
    a = tensor(3., 2)
    y = x @ a + torch.rand(n)

    def mse(y_hat, y):
        return ((y_hat - y) ** 2).mean()

    a = tensor(-1., 1)
    assert mse(x @ a, y).item() > 1
    a = nn.Parameter(a)
    assert repr(a) == "Parameter containing:\ntensor([-1.,  1.], requires_grad=True)"
    lr = 1e-1
    for t in range(100):
        y_hat = x @ a
        loss = mse(y, y_hat)
        if t == 0:
            assert repr(loss).endswith(", grad_fn=<MeanBackward0>)")
        loss.backward()
        with torch.no_grad():
            a.sub_(lr * a.grad)
            a.grad.zero_()
    assert loss.item() < 0.15
    np.testing.assert_allclose(to_numpy(a), [3.0, 2.5], atol=0.25)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.scatter(x[:, 0], y)
    plt.scatter(x[:, 0], x @ a)  # a tensor that requires grad: matplotlib reads its values
    plt.close("all")


def test_example_runs_and_writes_figures(tmp_path: Path) -> None:
    cmd = [sys.executable, str(ROOT / "examples" / "linear_regression.py"), "--steps", "30",
           "--epochs", "3", "--out", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "tensor(" in done.stdout and "grad_fn=<MeanBackward0>" in done.stdout
    for name in ("linear_regression.png", "linear_regression.gif"):
        path = tmp_path / name
        assert path.exists() and path.stat().st_size > 1000, name
        assert f"saved {path}" in done.stdout
    from PIL import Image
    with Image.open(tmp_path / "linear_regression.gif") as gif:
        assert gif.n_frames > 10


def test_example_runs_on_the_cuda_device(tmp_path: Path) -> None:
    """--device cuda: on a GPU machine with cupy, the real thing; elsewhere the stand-in."""
    import os

    from conftest import REAL_GPU
    env = dict(os.environ)
    if not REAL_GPU:
        env["TINYGRAD_SGD_STANDIN"] = "1"
    cmd = [sys.executable, str(ROOT / "examples" / "linear_regression.py"), "--device", "cuda",
           "--steps", "20", "--epochs", "2", "--no-gif", "--out", str(tmp_path)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "device='cuda:0'" in done.stdout and (tmp_path / "linear_regression.png").exists()
