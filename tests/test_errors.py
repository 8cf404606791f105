"""Bad input: every refusal has torch's exception class, a message naming the shapes,
dtypes, dims or indices involved, and leaves every tensor as it was."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg

F32 = {"dtype": "float32"}


def make(lib):
    """The tensors every case may touch: a leaf requiring grad, plain ones, an int one."""
    w = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    return {
        "w": w,
        "x": lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
        "v": lib.tensor([1.0, 2.0, 3.0]),
        "i": lib.tensor([1, 2, 3]),
        "d": lib.tensor([1.0, 2.0], dtype=lib.float64),
        "h": w * 2,  # a non-leaf
    }


# name, the bad call (same code for both libraries), words our message must contain
CASES = [
    ("matmul shapes", lambda lib, t: t["w"] @ t["w"], ["2x3", "2x3"]),
    ("matmul vector", lambda lib, t: t["v"] @ t["x"][:2], ["3", "2x2"]),
    ("matmul 0-d", lambda lib, t: t["v"] @ lib.tensor(2.0), ["1D", "0D"]),
    ("matmul dtypes", lambda lib, t: t["x"][:2] @ t["d"], ["float", "double"]),
    ("broadcast", lambda lib, t: t["w"] + t["x"], ["3", "2"]),
    ("broadcast mul", lambda lib, t: t["v"] * lib.ones(4), ["3", "4"]),
    ("int requires grad", lambda lib, t: t["i"].requires_grad_(), ["floating point"]),
    ("int leaf", lambda lib, t: lib.tensor([1, 2], requires_grad=True), ["floating point"]),
    ("non-scalar backward", lambda lib, t: t["h"].backward(), ["scalar"]),
    ("no grad backward", lambda lib, t: t["v"].sum().backward(), ["does not require grad"]),
    ("gradient shape", lambda lib, t: t["h"].backward(lib.ones(3)), ["shape"]),
    ("in-place leaf", lambda lib, t: t["w"].sub_(1), ["leaf", "in-place"]),
    ("in-place leaf +=", lambda lib, t: t["w"].__iadd__(1), ["leaf", "in-place"]),
    ("in-place view of leaf", lambda lib, t: t["w"][0].mul_(2), ["view of a leaf"]),
    ("setitem leaf", lambda lib, t: t["w"].__setitem__(0, 1.0), ["leaf"]),
    ("zero_ leaf", lambda lib, t: t["w"].zero_(), ["leaf"]),
    ("in-place dtype", lambda lib, t: t["i"].add_(1.5), ["Float", "Long"]),
    ("in-place div int", lambda lib, t: t["i"].div_(2), ["Float", "Long"]),
    ("in-place broadcast", lambda lib, t: t["v"].add_(t["x"]), ["[3]", "[3, 2]"]),
    ("index out of range", lambda lib, t: t["v"][3], ["index 3", "dimension 0", "size 3"]),
    ("index dim 1", lambda lib, t: t["x"][0, 5], ["index 5", "dimension 1", "size 2"]),
    ("index tensor range", lambda lib, t: t["v"][lib.tensor([0, 7])], ["7", "size 3"]),
    ("negative index", lambda lib, t: t["v"][-4], ["-4", "size 3"]),
    ("too many indices", lambda lib, t: t["v"][0, 0], ["too many indices"]),
    ("float index", lambda lib, t: t["v"][lib.tensor([0.0])], ["long"]),
    ("mask shape", lambda lib, t: t["v"][lib.tensor([True, False])], ["mask", "[2]", "[3]"]),
    ("dim out of range", lambda lib, t: t["x"].sum(dim=2), ["range", "[-2, 1]", "2"]),
    ("dim out of range neg", lambda lib, t: t["x"].softmax(-3), ["range", "-3"]),
    ("mean of ints", lambda lib, t: t["i"].mean(), ["mean", "Long"]),
    ("view size", lambda lib, t: t["x"].view(4, 2), ["[4, 2]", "6"]),
    ("view non-contiguous", lambda lib, t: t["x"].T.view(6), ["view", "reshape"]),
    ("reshape two -1", lambda lib, t: t["x"].reshape(-1, -1), ["one dimension"]),
    ("expand", lambda lib, t: t["v"].expand(2, 4), ["4", "3"]),
    ("cat dims", lambda lib, t: lib.cat([t["x"], t["v"]]), ["dimensions"]),
    ("cat sizes", lambda lib, t: lib.cat([t["x"], t["w"]], dim=0), ["size 2", "size 3"]),
    ("cat empty", lambda lib, t: lib.cat([]), ["non-empty"]),
    ("stack sizes", lambda lib, t: lib.stack([t["v"], t["v"][:2]]), ["[3]", "[2]"]),
    ("item of many", lambda lib, t: t["v"].item(), ["3 elements"]),
    ("bool of many", lambda lib, t: bool(t["v"]), ["ambiguous"]),
    ("numpy with grad", lambda lib, t: t["w"].numpy(), ["requires grad", "detach"]),
    ("where cond dtype", lambda lib, t: lib.where(t["v"], t["v"], t["v"]), ["bool"]),
    ("clamp no bounds", lambda lib, t: t["v"].clamp(), ["min", "max"]),
    ("bool sub", lambda lib, t: lib.tensor([True]) - lib.tensor([False]), ["bool"]),
    ("bool neg", lambda lib, t: -lib.tensor([True]), ["bool"]),
    ("negative int pow", lambda lib, t: t["i"] ** -1, ["negative"]),
    ("max of empty", lambda lib, t: lib.zeros(0).max(), ["numel"]),
    ("permute dims", lambda lib, t: t["x"].permute(0, 0), ["dim"]),
    ("requires_grad_(False) non-leaf", lambda lib, t: t["h"].requires_grad_(False),
     ["leaf"]),
    ("expanded in place", lambda lib, t: t["v"].expand(2, 3).add_(1), ["memory location"]),
]


def snapshot(tensors: dict) -> dict:
    with warnings.catch_warnings():  # .grad of the non-leaf ones too, on purpose: it is None
        warnings.filterwarnings("ignore", "The .grad attribute of a Tensor that is not a leaf",
                                UserWarning)
        return {k: (t.detach().clone().numpy().copy(), t.grad, t.grad_fn, t.requires_grad)
                for k, t in tensors.items()}


@pytest.mark.parametrize("name,bad,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_like_torch_and_changes_nothing(name, bad, words) -> None:
    theirs = make(torch)
    with pytest.raises(Exception) as torch_error:
        bad(torch, theirs)
    ours = make(tg)
    before = snapshot(ours)
    versions = {k: t._version[0] for k, t in ours.items()}
    with pytest.raises(Exception) as our_error:
        bad(tg, ours)
    assert isinstance(our_error.value, type(torch_error.value)), (
        f"torch raised {type(torch_error.value).__name__}: {torch_error.value}; "
        f"we raised {type(our_error.value).__name__}: {our_error.value}")
    message = str(our_error.value)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    after = snapshot(ours)
    for k in before:
        np.testing.assert_array_equal(before[k][0], after[k][0], err_msg=f"{k} changed")
        assert before[k][1:] == after[k][1:], f"{k}'s grad, grad_fn or flag changed"
        assert ours[k]._version[0] == versions[k], f"{k}'s version changed"


def test_second_backward_is_refused_and_grads_kept() -> None:
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_cuda_missing_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    from tinygrad_sgd import backend
    monkeypatch.setattr(backend, "_CUDA", None)
    monkeypatch.setattr(backend, "_CUDA_ERROR", "cupy is not installed (No module named "
                        "'cupy'); install the GPU extra with `pip install "
                        "'tinygrad_sgd[gpu]'` on a machine with a CUDA GPU")
    assert tg.cuda.is_available() is False
    for make_it in (lambda: tg.ones(2, device="cuda"), lambda: tg.ones(2).cuda(),
                    lambda: tg.tensor([1.0]).to("cuda")):
        with pytest.raises(RuntimeError, match=r"'cuda' is not available.*tinygrad_sgd\[gpu\]"):
            make_it()


def test_unknown_device() -> None:
    with pytest.raises(RuntimeError, match="unknown device"):
        tg.ones(2, device="tpu")


def test_nan_and_inf_propagate_as_in_torch() -> None:
    vals = [float("nan"), float("inf"), -float("inf"), 0.0, -1.0]
    for fn in (lambda lib, x: x.exp(), lambda lib, x: x.log(), lambda lib, x: x.sqrt(),
               lambda lib, x: x / 0, lambda lib, x: x.relu(), lambda lib, x: x.softmax(0),
               lambda lib, x: x.max(), lambda lib, x: x.sigmoid(), lambda lib, x: x * 0):
        a = fn(tg, tg.tensor(vals, dtype=tg.float64)).numpy()
        b = fn(torch, torch.tensor(vals, dtype=torch.float64)).numpy()
        np.testing.assert_array_equal(a, b)


def test_softmax_is_stable_for_large_logits() -> None:
    x = tg.tensor([[1e4, 0.0, -1e4], [3.0, 3.0, 3.0]], requires_grad=True)
    p = x.softmax(1)
    lp = tg.log_softmax(x, 1)
    assert np.all(np.isfinite(p.detach().numpy())) and np.all(np.isfinite(
        lp.detach().numpy()))
    (p[:, 0].sum() + lp[:, 1].sum()).backward()
    assert np.all(np.isfinite(x.grad.numpy()))
