"""Smoke test of benchmarks/: every workload, at tiny sizes, computes the same numbers in
tinygrad_sgd, torch and the hand-written numpy floor (the runner's own correctness check),
and the runner's pieces fit together. Nothing here asserts anything about time."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks import harness, report, workloads  # noqa: E402
from benchmarks.workloads import Env  # noqa: E402

CPU = Env()
# tinygrad_sgd on its 'cuda' device (the array-api-strict stand-in on a machine without a
# GPU, see conftest.py), torch and the floor on the CPU: the GPU suite's tinygrad_sgd code
# must not lean on numpy-only calls.
TG_CUDA = Env(tg_device="cuda")


TINY = {
    "W1": lambda env, samples: workloads.regression(env, 50, 5, key="W1", group="W1",
                                                    label="lesson"),
    "W3": lambda env, samples: workloads.digits_epoch(env, samples=samples, batch=64),
    "W4": lambda env, samples: workloads.chain(env, 300),
    "W5": lambda env, samples: workloads.adds(env, 40),
}


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """One BLAS and one torch thread: tiny problems, and a shared machine's other load
    makes spinning thread pools very slow. Restored afterwards for the other tests."""
    import torch
    from threadpoolctl import threadpool_limits
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("key", TINY)
def test_three_implementations_agree(key: str) -> None:
    results = harness.verify(TINY[key](CPU, 130), CPU)  # 130 digits: a short last batch
    assert set(results) == set(workloads.IMPLS)


@pytest.mark.parametrize("key", TINY)
def test_tinygrad_sgd_on_cuda_device_agrees(key: str) -> None:
    harness.verify(TINY[key](TG_CUDA, 128), TG_CUDA)


def test_short_last_batch_on_cuda_device() -> None:
    """X[128:192] of 130 rows: slice bounds past the end clamp on every device."""
    harness.verify(workloads.digits_epoch(TG_CUDA, samples=130, batch=64), TG_CUDA)


def test_module_variant_agrees() -> None:
    harness.verify(workloads.digits_epoch(CPU, samples=100, batch=32, module=True), CPU)


def test_gpu_suite_code_runs_on_cpu() -> None:
    """`--device cuda` times these builders; here they run, tiny, with numpy."""
    for spec in workloads.gpu_suite(quick=True):
        harness.verify(spec.build(CPU, 300), CPU)


def test_cpu_suite_specs_build_at_small_sizes() -> None:
    keys = [s.key for s in workloads.cpu_suite(nn_variant=False)]
    assert keys == ["W1", "W2", "W3", "W4-10k", "W4-100k", "W5"]


def test_a_wrong_implementation_fails_loudly() -> None:
    wl = workloads.regression(CPU, 50, 5, key="W1", group="W1", label="lesson")
    wl.impls["floor"] = workloads._regression_floor(CPU, *workloads.regression_data(50), 5,
                                                    lr=0.11)
    with pytest.raises(harness.VerificationError, match="disagree"):
        harness.verify(wl, CPU)


def test_floor_gradient_is_the_analytic_one() -> None:
    """The floor's hand-written gradients, checked once against autograd (torch)."""
    import torch
    X, Y = workloads.synthetic_classes(16)
    p0 = workloads.mlp_init()
    tp = [torch.tensor(w, requires_grad=True) for w in p0]
    h = (torch.from_numpy(X) @ tp[0] + tp[1]).relu()
    loss = torch.nn.functional.cross_entropy(h @ tp[2] + tp[3], torch.from_numpy(Y))
    loss.backward()
    floor = workloads._mlp_floor(CPU, X, Y, p0, batch=16, passes=1, lr=1.0)
    s = floor.prepare()
    floor.run(s, None)  # one step with lr=1: p0 - p = the gradient
    for w0, w, t in zip(p0, s["p"], tp):
        np.testing.assert_allclose(w0 - w, t.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_measure_rows_table_and_memory() -> None:
    wl = workloads.adds(CPU, 30)
    timings = harness.measure(wl, CPU, repeats=2, warmup=1)
    rows = report.rows_of(wl, timings)
    assert [r.key for r in rows] == ["W5-fwd", "W5-bwd", "W5"]
    assert all(len(t.total) == 2 for t in timings.values())
    assert np.isnan(rows[1].times["floor"]["median"])  # no backward work in the floor
    text = report.table(rows)
    assert "ours/torch" in text and "W5" in text
    json.dumps([r.to_json() for r in rows])  # valid JSON: no NaN left in
    reg = workloads.regression(CPU, 2000, 2, key="W2", group="W2", label="r", memory=True)
    for name in ("tinygrad_sgd", "floor"):
        m = harness.tracemalloc_memory(reg, name)
        assert m["peak"] >= m["held_after_forward"] > 0
    if harness.rss_available():
        assert harness.rss_memory(reg, "torch") >= 0


def test_cuda_env_says_what_is_missing() -> None:
    try:
        workloads.make_env("cuda")
    except workloads.EnvironmentUnavailable as e:
        assert "--device cuda needs" in str(e)
    else:
        pytest.skip("a real GPU is here")


def test_runner_end_to_end(tmp_path: Path) -> None:
    from benchmarks import run
    out = tmp_path / "r.json"
    code = run.main(["--only", "W1", "--repeats", "1", "--no-memory", "--json", str(out),
                     "--plot", str(tmp_path / "r.png")])
    assert code == 0
    record = json.loads(out.read_text())
    assert [r["key"] for r in record["rows"]] == ["W1"]
    assert record["machine"]["cpu"]
    assert (tmp_path / "r.png").stat().st_size > 0
    assert (tmp_path / "r.md").read_text().startswith("Machine:")
