"""tinygrad_sgd.nn against torch.nn: module bookkeeping (names, repr, state_dict), Linear's
init and forward, the losses and activations (values and gradients), bad input refused
with torch's exception classes and nothing changed, and one epoch of an MLP on the real
digits data matching torch from identical weights and batch order."""
from __future__ import annotations

import math
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
import tinygrad_sgd.nn.functional as F
from conftest import to_numpy
from tinygrad_sgd import nn

TF = torch.nn.functional


def from_torch(t: torch.Tensor, device: str = "cpu", requires_grad: bool = False) -> tg.Tensor:
    return tg.tensor(t.detach().numpy(), device=device, requires_grad=requires_grad)


def copy_weights(ours: nn.Module, theirs: torch.nn.Module, device: str = "cpu") -> None:
    """Load torch's weights into our module (same names, same shapes)."""
    ours.load_state_dict({k: from_torch(v, device) for k, v in theirs.state_dict().items()})


def snapshot(module: nn.Module) -> dict[str, np.ndarray]:
    return {k: to_numpy(v).copy() for k, v in module.state_dict().items()}


def assert_unchanged(module: nn.Module, before: dict[str, np.ndarray]) -> None:
    after = snapshot(module)
    assert after.keys() == before.keys()
    for k in before:
        np.testing.assert_array_equal(after[k], before[k], err_msg=k)


def both_raise(ours, theirs) -> Exception:
    """Both calls raise, with the same exception class; returns ours."""
    with pytest.raises(Exception) as t_err:
        theirs()
    with pytest.raises(t_err.type) as o_err:
        ours()
    return o_err.value


# ---------------------------------------------------------------------------------------
# Module bookkeeping, compared with torch on the same architecture
# ---------------------------------------------------------------------------------------
def make_net(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(64, 128)
            self.act = lib.nn.ReLU()
            self.head = lib.nn.Sequential(lib.nn.Linear(128, 10), lib.nn.Sigmoid())
            self.extra = lib.nn.Linear(10, 3, bias=False)

        def forward(self, x):
            return self.extra(self.head(self.act(self.fc1(x))))
    return Net()


def test_names_repr_and_state_dict_keys_match_torch() -> None:
    ours, theirs = make_net(tg), make_net(torch)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == \
        [tuple(p.shape) for p in theirs.parameters()]
    assert all(isinstance(p, nn.Parameter) for p in ours.parameters())
    seq_ours = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    seq_theirs = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(),
                                     torch.nn.Linear(128, 10))
    assert repr(seq_ours) == repr(seq_theirs)
    assert repr(seq_ours).startswith(
        "Sequential(\n  (0): Linear(in_features=64, out_features=128, bias=True)\n")
    for ours_loss, theirs_loss in [(nn.MSELoss(), torch.nn.MSELoss()),
                                   (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
                                   (nn.Sequential(), torch.nn.Sequential())]:
        assert repr(ours_loss) == repr(theirs_loss)


def test_forward_of_a_custom_module_matches_torch() -> None:
    ours, theirs = make_net(tg).double(), make_net(torch).double()
    copy_weights(ours, theirs)
    x = torch.randn(5, 64, dtype=torch.float64)
    np.testing.assert_allclose(to_numpy(ours(from_torch(x))), theirs(x).detach().numpy(),
                               rtol=1e-12)


def test_shared_layers_are_counted_once_but_saved_under_each_name_like_torch() -> None:
    def tied(lib):
        layer = lib.nn.Linear(3, 3)
        return lib.nn.Sequential(layer, lib.nn.ReLU(), layer)
    ours, theirs = tied(tg), tied(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert len(list(ours.parameters())) == 2


def test_attribute_registration_rules() -> None:
    class Box(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(tg.ones(2))
            self.plain = tg.ones(2)  # a Tensor that is not a Parameter is not trained
            self.sub = nn.Linear(2, 2)

    box = Box()
    assert [n for n, _ in box.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    with pytest.raises(TypeError, match="cannot assign .* as parameter 'w'"):
        box.w = tg.zeros(2)
    assert to_numpy(box.w).tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="child module 'sub'"):
        box.sub = 3
    box.w = None  # allowed, as in torch: the parameter is declared but absent
    assert [n for n, _ in box.named_parameters()] == ["sub.weight", "sub.bias"]
    del box.sub
    assert list(box.named_parameters()) == [] and "sub" not in dict(box.named_children())
    box.sub = nn.Linear(2, 1)  # re-registration after deletion
    assert [n for n, _ in box.named_parameters()] == ["sub.weight", "sub.bias"]
    with pytest.raises(AttributeError, match="'Box' object has no attribute 'nope'"):
        _ = box.nope

    class Early(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)  # forgot super().__init__()
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(tg.ones(1))


def test_sequential_container() -> None:
    a, b = nn.Linear(2, 3), nn.Linear(3, 1)
    seq = nn.Sequential(a, nn.ReLU(), b)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is b and list(seq)[2] is b
    assert isinstance(seq[1:], nn.Sequential) and len(seq[1:]) == 2 and seq[1:][1] is b
    with pytest.raises(IndexError):
        seq[3]
    named = nn.Sequential(OrderedDict([("hidden", a), ("out", b)]))
    assert [n for n, _ in named.named_parameters()] == ["hidden.weight", "hidden.bias",
                                                        "out.weight", "out.bias"]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4
    x = tg.randn(4, 2)
    np.testing.assert_allclose(to_numpy(seq(x)), to_numpy(b(a(x).relu()).sigmoid()),
                               rtol=1e-6)


@pytest.mark.parametrize("name", ["ReLU", "Sigmoid", "Tanh"])
def test_activation_modules_match_torch(name: str) -> None:
    x = torch.randn(4, 5, dtype=torch.float64)
    ours = getattr(nn, name)()(from_torch(x))
    np.testing.assert_allclose(to_numpy(ours), getattr(torch.nn, name)()(x).numpy(),
                               rtol=1e-12)


def test_train_eval_and_zero_grad() -> None:
    net = make_net(tg)
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    assert net.train() is net and all(m.training for m in net.modules())
    net(tg.randn(2, 64)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    grad = net.fc1.weight.grad
    net.zero_grad(set_to_none=False)  # zeros in place: the same tensors
    assert net.fc1.weight.grad is grad and not to_numpy(grad).any()
    net.zero_grad()  # the default, as in torch 2: None
    assert all(p.grad is None for p in net.parameters())


# ---------------------------------------------------------------------------------------
# Linear
# ---------------------------------------------------------------------------------------
def test_linear_init_is_torch_s_distribution_and_follows_manual_seed() -> None:
    tg.manual_seed(0)
    layer = nn.Linear(400, 300)
    k = 1 / math.sqrt(400)
    for p in (layer.weight, layer.bias):
        values = to_numpy(p)
        assert p.dtype == tg.float32 and p.requires_grad and p.is_leaf
        assert values.min() >= -k and values.max() <= k
        assert values.min() < -0.95 * k and values.max() > 0.95 * k  # fills the range
        assert abs(values.mean()) < 0.05 * k
    # uniform on (-k, k) has standard deviation k/sqrt(3); torch's weights have it too
    w = to_numpy(layer.weight)
    assert w.std() == pytest.approx(k / math.sqrt(3), rel=0.01)
    assert torch.nn.Linear(400, 300).weight.detach().std().item() == \
        pytest.approx(k / math.sqrt(3), rel=0.01)
    assert tuple(layer.weight.shape) == (300, 400) and tuple(layer.bias.shape) == (300,)
    tg.manual_seed(0)
    again = nn.Linear(400, 300)
    np.testing.assert_array_equal(to_numpy(again.weight), w)
    other = nn.Linear(400, 300)  # the generator moved on: new numbers
    assert not np.array_equal(to_numpy(other.weight), w)


@pytest.mark.parametrize("shape", [(5, 3), (3,), (2, 4, 3)])
def test_linear_matches_torch_values_and_gradients(device: str, shape: tuple) -> None:
    theirs = torch.nn.Linear(3, 2, dtype=torch.float64)
    ours = nn.Linear(3, 2, dtype=tg.float64, device=device)
    copy_weights(ours, theirs, device)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    xo = from_torch(x, device, requires_grad=True)
    (theirs(x) ** 2).sum().backward()
    out = ours(xo)
    assert out.device == device
    (out ** 2).sum().backward()
    np.testing.assert_allclose(to_numpy(out), theirs(x).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(xo.grad), x.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(ours.weight.grad), theirs.weight.grad.numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(to_numpy(ours.bias.grad), theirs.bias.grad.numpy(), rtol=1e-12)


def test_linear_without_bias() -> None:
    ours, theirs = nn.Linear(3, 2, bias=False), torch.nn.Linear(3, 2, bias=False)
    assert ours.bias is None and repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == ["weight"]
    copy_weights(ours, theirs)
    x = torch.randn(4, 3)
    np.testing.assert_allclose(to_numpy(ours(from_torch(x))), theirs(x).detach().numpy(),
                               rtol=1e-6)


@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 4, 5)])
def test_linear_fed_the_wrong_feature_size(shape: tuple) -> None:
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    before = snapshot(ours)
    err = both_raise(lambda: ours(tg.randn(*shape)), lambda: theirs(torch.randn(*shape)))
    with pytest.raises(RuntimeError) as t_err:
        theirs(torch.randn(*shape))
    assert str(err).startswith(str(t_err.value))  # torch's words, then what to fix
    assert "in_features=3" in str(err) and str(shape) in str(err)
    assert_unchanged(ours, before)
    assert all(p.grad is None for p in ours.parameters())


# ---------------------------------------------------------------------------------------
# state_dict, load_state_dict, to()
# ---------------------------------------------------------------------------------------
def test_state_dict_shares_storage_and_loads_torch_weights() -> None:
    ours, theirs = make_net(tg), make_net(torch)
    sd = ours.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    sd["fc1.bias"].fill_(2.0)  # detached views of the parameters, as in torch
    assert to_numpy(ours.fc1.bias).tolist() == [2.0] * 128
    result = ours.load_state_dict({k: from_torch(v) for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(to_numpy(ours.state_dict()[k]), v.numpy())
    x = torch.randn(3, 64)
    np.testing.assert_allclose(to_numpy(ours(from_torch(x))), theirs(x).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours.parameters())


def test_load_state_dict_converts_dtype_and_strict_false_reports_like_torch() -> None:
    ours = nn.Linear(3, 2)
    ours.load_state_dict({"weight": tg.ones(2, 3, dtype=tg.float64), "bias": tg.zeros(2)})
    assert ours.weight.dtype == tg.float32 and to_numpy(ours.weight).sum() == 6
    theirs = torch.nn.Linear(3, 2)
    sd_ours = {"weight": tg.zeros(2, 3), "extra": tg.zeros(1)}
    sd_theirs = {"weight": torch.zeros(2, 3), "extra": torch.zeros(1)}
    r_ours = ours.load_state_dict(sd_ours, strict=False)
    r_theirs = theirs.load_state_dict(sd_theirs, strict=False)
    assert r_ours.missing_keys == r_theirs.missing_keys == ["bias"]
    assert r_ours.unexpected_keys == r_theirs.unexpected_keys == ["extra"]
    assert not to_numpy(ours.weight).any()


@pytest.mark.parametrize("case", ["missing", "unexpected", "size", "not a tensor", "all"])
def test_load_state_dict_refuses_bad_checkpoints_and_changes_nothing(case: str) -> None:
    def checkpoint(lib):
        sd = {"weight": lib.zeros(2, 3), "bias": lib.zeros(2)}
        if case in ("missing", "all"):
            del sd["bias"]
        if case in ("unexpected", "all"):
            sd["foo"] = lib.zeros(1)
        if case in ("size", "all"):
            sd["weight"] = lib.zeros(3, 3)
        if case == "not a tensor":
            sd["weight"] = [[0.0] * 3] * 2
        return sd
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    before = snapshot(ours)
    err = both_raise(lambda: ours.load_state_dict(checkpoint(tg)),
                     lambda: theirs.load_state_dict(checkpoint(torch)))
    msg = str(err)
    with pytest.raises(RuntimeError) as t_err:
        theirs.load_state_dict(checkpoint(torch))
    if case != "not a tensor":  # the same lines as torch's, shapes written as tuples
        assert msg == re.sub(r"torch\.Size\(\[(\d+), (\d+)\]\)", r"(\1, \2)",
                             str(t_err.value))
    assert msg.startswith("Error(s) in loading state_dict for Linear:")
    if case in ("missing", "all"):
        assert 'Missing key(s) in state_dict: "bias"' in msg
    if case in ("unexpected", "all"):
        assert 'Unexpected key(s) in state_dict: "foo"' in msg
    if case in ("size", "all"):
        assert ("size mismatch for weight: copying a param with shape (3, 3) from checkpoint, "
                "the shape in current model is (2, 3)") in msg
    if case == "not a tensor":
        assert '"weight"' in msg and "list" in msg
    assert_unchanged(ours, before)  # all checks run before the first copy


def test_to_moves_parameters_grads_and_buffers_and_keeps_them_parameters(device: str) -> None:
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    loss_fn = nn.CrossEntropyLoss(weight=tg.tensor([1.0, 2.0]))
    params = list(model.parameters())
    values = [to_numpy(p).copy() for p in params]
    opt = tg.optim.SGD(model.parameters(), lr=0.1)  # made before the move: must still work
    loss_fn(model(tg.randn(5, 4)), tg.tensor([0, 1, 1, 0, 1])).backward()
    assert model.to(device) is model and loss_fn.to(device) is loss_fn
    assert list(model.parameters()) == params or all(
        a is b for a, b in zip(model.parameters(), params))
    for p, v in zip(model.parameters(), values):
        assert isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf
        assert p.device == device and p.grad.device == device
        np.testing.assert_array_equal(to_numpy(p), v)
    assert loss_fn.weight.device == device
    x, y = tg.randn(5, 4, device=device), tg.tensor([0, 1, 1, 0, 1], device=device)
    opt.zero_grad()
    loss_fn(model(x), y).backward()
    opt.step()
    assert not np.array_equal(to_numpy(params[0]), values[0])
    model.double()
    assert all(p.dtype == tg.float64 and isinstance(p, nn.Parameter) for p in params)
    assert model(x.double()).dtype == tg.float64
    model.cpu()
    assert all(p.device == "cpu" for p in model.parameters())


# ---------------------------------------------------------------------------------------
# functional: values and gradients against torch
# ---------------------------------------------------------------------------------------
def compare(device: str, our_fn, their_fn, *arrays, rtol: float = 1e-10,
            grads: tuple = (0,)) -> None:
    """Run both functions on the same float64/int64 data; compare outputs and the
    gradients of the inputs listed in `grads`."""
    theirs = [torch.tensor(a, requires_grad=(i in grads)) for i, a in enumerate(arrays)]
    ours = [tg.tensor(a, device=device, requires_grad=(i in grads))
            for i, a in enumerate(arrays)]
    out_t, out_o = their_fn(*theirs), our_fn(*ours)
    np.testing.assert_allclose(to_numpy(out_o), out_t.detach().numpy(), rtol=rtol, atol=1e-12)
    w = np.random.default_rng(5).standard_normal(tuple(out_t.shape))
    (out_t * torch.tensor(w)).sum().backward()
    (out_o * tg.tensor(w, device=device)).sum().backward()
    for i in grads:
        np.testing.assert_allclose(to_numpy(ours[i].grad), theirs[i].grad.numpy(),
                                   rtol=rtol, atol=1e-12, err_msg=f"grad of input {i}")


RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4))
TARGETS = np.array([0, 3, 1, 1, 2, 3])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(device: str, reduction: str) -> None:
    compare(device, lambda a, b: F.mse_loss(a, b, reduction=reduction),
            lambda a, b: TF.mse_loss(a, b, reduction=reduction),
            RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)), grads=(0, 1))
    compare(device, lambda a, b: nn.MSELoss(reduction)(a, b),
            lambda a, b: torch.nn.MSELoss(reduction=reduction)(a, b),
            RNG.standard_normal(7), RNG.standard_normal(7))


def test_mse_loss_warns_like_torch_when_shapes_differ() -> None:
    y_hat, y = tg.zeros(4, 1), tg.ones(4)
    with pytest.warns(UserWarning, match="different to the input size"):
        loss = F.mse_loss(y_hat, y)
    assert loss.item() == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(tg.zeros(4), tg.ones(4))  # same shapes: no warning


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll_loss(device: str, reduction: str) -> None:
    kw = {"reduction": reduction}
    compare(device, lambda x, t: F.cross_entropy(x, t, **kw),
            lambda x, t: TF.cross_entropy(x, t, **kw), LOGITS, TARGETS)
    compare(device, lambda x, t: nn.CrossEntropyLoss(reduction=reduction)(x, t),
            lambda x, t: torch.nn.CrossEntropyLoss(reduction=reduction)(x, t),
            LOGITS, TARGETS)
    logp = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
    compare(device, lambda x, t: F.nll_loss(x, t, **kw), lambda x, t: TF.nll_loss(x, t, **kw),
            logp, TARGETS)
    compare(device, lambda x, t: nn.NLLLoss(reduction=reduction)(x, t),
            lambda x, t: torch.nn.NLLLoss(reduction=reduction)(x, t), logp, TARGETS)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_weight_and_ignore_index(device: str, reduction: str) -> None:
    weight = np.array([0.5, 2.0, 1.0, 3.0])
    ignored = np.array([0, -100, 1, 1, 2, -100])
    custom = np.array([0, 3, 1, 1, 3, 2])
    compare(device, lambda x, t, w: F.cross_entropy(x, t, weight=w, reduction=reduction),
            lambda x, t, w: TF.cross_entropy(x, t, weight=w, reduction=reduction),
            LOGITS, TARGETS, weight)
    compare(device, lambda x, t: F.cross_entropy(x, t, reduction=reduction),
            lambda x, t: TF.cross_entropy(x, t, reduction=reduction), LOGITS, ignored)
    compare(device, lambda x, t, w: F.cross_entropy(x, t, w, ignore_index=3,
                                                    reduction=reduction),
            lambda x, t, w: TF.cross_entropy(x, t, w, ignore_index=3, reduction=reduction),
            LOGITS, custom, weight)
    compare(device, lambda x, t, w: nn.CrossEntropyLoss(w, 3, reduction)(x, t),
            lambda x, t, w: torch.nn.CrossEntropyLoss(w, ignore_index=3,
                                                      reduction=reduction)(x, t),
            LOGITS, custom, weight)


def test_cross_entropy_other_shapes_and_probability_targets(device: str) -> None:
    compare(device, F.cross_entropy, TF.cross_entropy, LOGITS[0], np.array(2))  # (C,)
    images = RNG.standard_normal((2, 4, 3, 5))  # (N, C, H, W): a class per pixel
    pixels = RNG.integers(0, 4, (2, 3, 5))
    compare(device, F.cross_entropy, TF.cross_entropy, images, pixels)
    compare(device, lambda x, t: F.cross_entropy(x, t, reduction="none"),
            lambda x, t: TF.cross_entropy(x, t, reduction="none"), images, pixels)
    probs = RNG.random((6, 4))
    probs /= probs.sum(1, keepdims=True)
    compare(device, F.cross_entropy, TF.cross_entropy, LOGITS, probs, grads=(0, 1))
    compare(device, lambda x, t, w: F.cross_entropy(x, t, w, reduction="sum"),
            lambda x, t, w: TF.cross_entropy(x, t, w, reduction="sum"),
            LOGITS, probs, np.array([0.5, 2.0, 1.0, 3.0]))


def test_cross_entropy_is_stable_for_huge_logits(device: str) -> None:
    x = np.array([[1e4, -1e4, 0.0], [-3e4, 3e4, 2e4], [80.0, 90.0, 100.0]], dtype=np.float32)
    t = np.array([0, 2, 1])
    ours = F.cross_entropy(tg.tensor(x, device=device, requires_grad=True),
                           tg.tensor(t, device=device))
    theirs = TF.cross_entropy(torch.tensor(x), torch.tensor(t))
    assert math.isfinite(ours.item())
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)
    compare(device, F.cross_entropy, TF.cross_entropy, x.astype(np.float64), t)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh"])
def test_elementwise_activations(device: str, name: str) -> None:
    x = RNG.standard_normal((3, 4))
    x[0, 0] = 0.0  # relu's gradient at 0 is 0, as in torch
    compare(device, getattr(F, name), getattr(TF, name) if name != "tanh" else torch.tanh, x)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax(device: str, dim: int) -> None:
    x = RNG.standard_normal((3, 4)) * 10
    compare(device, lambda a: F.softmax(a, dim), lambda a: TF.softmax(a, dim), x)
    compare(device, lambda a: F.log_softmax(a, dim=dim), lambda a: TF.log_softmax(a, dim=dim),
            x)


def test_softmax_without_dim_warns_and_picks_torch_s_dim() -> None:
    x = RNG.standard_normal((3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = F.softmax(tg.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.softmax(torch.tensor(x))
    np.testing.assert_allclose(to_numpy(ours), theirs.numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------------------
# bad input to the losses: torch's exception classes, messages that say what came
# ---------------------------------------------------------------------------------------
BAD_TARGETS = {
    "float targets of the wrong shape": (lambda lib: lib.tensor([0.0, 1, 2, 1]),
                                         ["Long", "float32", "(4,)", "(4, 3)"]),
    "int32 targets": (lambda lib: lib.tensor([0, 1, 2, 1], dtype=lib.int32),
                      ["Long", "int32"]),
    "class index == number of classes": (lambda lib: lib.tensor([0, 1, 3, 1]),
                                         ["Target 3", "3 classes", "[0, 2]"]),
    "negative class index": (lambda lib: lib.tensor([0, -1, 2, 1]), ["Target -1", "3 classes"]),
    "too few targets": (lambda lib: lib.tensor([0, 1, 2]), ["batch_size (4)", "(3)"]),
    "a 2-d target": (lambda lib: lib.tensor([[0, 1, 2, 1]]), ["batch_size (4)", "(1)"]),
}


@pytest.mark.parametrize("case", list(BAD_TARGETS))
@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_bad_targets_are_refused(device: str, case: str, fn: str) -> None:
    make_target, words = BAD_TARGETS[case]
    x_np = RNG.standard_normal((4, 3))
    x = tg.tensor(x_np, device=device, requires_grad=True)
    target = make_target(tg).to(device)
    target_before = to_numpy(target).copy()
    err = both_raise(lambda: getattr(F, fn)(x, target),
                     lambda: getattr(TF, fn)(torch.tensor(x_np), make_target(torch)))
    for word in words:
        assert word in str(err), (word, str(err))
    np.testing.assert_array_equal(to_numpy(x), x_np)  # nothing changed
    np.testing.assert_array_equal(to_numpy(target), target_before)
    assert x.grad is None


def test_other_bad_loss_arguments() -> None:
    x, t = tg.randn(4, 3), tg.tensor([0, 1, 2, 1])
    xt, tt = torch.randn(4, 3), torch.tensor([0, 1, 2, 1])
    err = both_raise(lambda: F.cross_entropy(x, t, reduction="avg"),
                     lambda: TF.cross_entropy(xt, tt, reduction="avg"))
    assert "avg is not a valid value for reduction" in str(err)
    err = both_raise(lambda: F.cross_entropy(x, t, weight=tg.ones(2)),
                     lambda: TF.cross_entropy(xt, tt, weight=torch.ones(2)))
    assert "all 3 classes" in str(err) and "[2]" in str(err)
    with pytest.raises(ValueError, match="not a valid value"):
        nn.MSELoss(reduction="average")
    with pytest.warns(UserWarning, match="different to the input size"):  # then it fails
        both_raise(lambda: F.mse_loss(tg.randn(4, 3), tg.randn(5, 1)),
                   lambda: TF.mse_loss(torch.randn(4, 3), torch.randn(5, 1)))
    with pytest.raises(TypeError, match="target"):
        F.cross_entropy(x, [0, 1, 2, 1])


# ---------------------------------------------------------------------------------------
# one epoch of the digits MLP, side by side with torch
# ---------------------------------------------------------------------------------------
def test_one_epoch_of_the_digits_mlp_matches_torch(device: str) -> None:
    """Real data (sklearn's digits), float64, identical initial weights and batch order:
    every batch loss and every final weight agree with torch to 1e-6."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    x_np = (digits.data / 16.0).astype(np.float64)
    y_np = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x_np))
    x_np, y_np = x_np[order], y_np[order]  # the batch order both libraries follow

    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                 torch.nn.Linear(32, 10)).double()
    ours = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)).double().to(device)
    copy_weights(ours, theirs, device)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    opt_o = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    loss_t, loss_o = torch.nn.CrossEntropyLoss(), nn.CrossEntropyLoss()
    loader_t = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x_np), torch.tensor(y_np)), batch_size=64)
    loader_o = tg.utils.data.DataLoader(
        tg.utils.data.TensorDataset(tg.tensor(x_np, device=device),
                                    tg.tensor(y_np, device=device)), batch_size=64)
    assert len(loader_o) == len(loader_t) == 29
    losses_t, losses_o = [], []
    for (xt, yt), (xo, yo) in zip(loader_t, loader_o):
        for model, opt, loss_fn, xb, yb, losses in ((theirs, opt_t, loss_t, xt, yt, losses_t),
                                                    (ours, opt_o, loss_o, xo, yo, losses_o)):
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(losses_o, losses_t, rtol=1e-6)
    assert losses_o[-1] < losses_o[0] / 2  # it learned
    for (name, p_o), (_, p_t) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(to_numpy(p_o), p_t.detach().numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=name)


@pytest.mark.parametrize("case", ["one class", "empty sum"])
def test_a_loss_of_exactly_zero_is_plus_zero_as_torch(case: str) -> None:
    """NllLoss negates a sum: a sum of 0 must give +0.0 (torch's), not -0.0."""
    import math
    results = []
    for lib in (tg, torch):
        if case == "one class":  # log_softmax of one class is 0: the loss is exactly 0
            loss = lib.nn.functional.cross_entropy(lib.zeros(2, 1), lib.tensor([0, 0]))
        else:
            loss = lib.nn.functional.nll_loss(lib.zeros(0, 3), lib.zeros(0, dtype=lib.int64),
                                              reduction="sum")
        results.append(math.copysign(1.0, loss.item()))
    assert results == [1.0, 1.0]
