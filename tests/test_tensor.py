"""The Tensor itself: creation, dtypes and torch's promotion rules, repr, conversions,
views, and numpy/matplotlib interop."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_sgd as tg
from conftest import to_numpy

DTYPES = ["bool", "int32", "int64", "float32", "float64"]


def torch_repr(t: torch.Tensor) -> str:
    return repr(t).replace("torch.", "tinygrad_sgd.")


# -- creation --------------------------------------------------------------------------------
def test_tensor_accepts_the_lessons_forms() -> None:
    assert repr(tg.tensor([3., 2])) == "tensor([3., 2.])"
    assert repr(tg.tensor(3., 2)) == "tensor([3., 2.])"
    assert tg.tensor(3).dtype == tg.int64 and tg.tensor(3).shape == ()
    assert tg.tensor(2.5).dtype == tg.float32
    assert tg.tensor([True, False]).dtype == tg.bool
    assert tg.tensor([[1, 2], [3, 4]]).dtype == tg.int64
    assert tg.tensor(np.zeros(3)).dtype == tg.float64  # numpy keeps its dtype, as in torch
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == tg.float64


@pytest.mark.parametrize("name,args", [
    ("ones", (2, 3)), ("zeros", ((2, 3),)), ("empty", ([4],)), ("ones", ((),)), ("eye", (3,)),
    ("eye", (2, 4)), ("arange", (5,)), ("arange", (1, 4, 0.5)), ("arange", (0.0, 1.0, 0.1)),
    ("arange", (10, 0, -3)), ("linspace", (-1, 1, 7)), ("linspace", (0, 10, 6)),
    ("full", ((2, 2), 7)), ("full", ((2,), 1.5)), ("full", ((2,), True)),
])
def test_creation_matches_torch(device: str, name: str, args: tuple) -> None:
    ours, theirs = getattr(tg, name)(*args, device=device), getattr(torch, name)(*args)
    assert ours.dtype.name == str(theirs.dtype).split(".")[1]
    assert ours.shape == tuple(theirs.shape)
    if name != "empty":
        np.testing.assert_allclose(to_numpy(ours), theirs.numpy(), rtol=1e-6)


def test_like_functions(device: str) -> None:
    x = tg.tensor([[1., 2.]], dtype=tg.float64, device=device)
    for f in (tg.zeros_like, tg.ones_like, tg.rand_like, tg.randn_like, tg.empty_like):
        y = f(x)
        assert y.shape == x.shape and y.dtype == x.dtype and y.device == device
    assert tg.full_like(x, 3).tolist() == [[3.0, 3.0]]
    assert tg.zeros_like(x, dtype=tg.int64).dtype == tg.int64


def test_random_numbers_follow_manual_seed(device: str) -> None:
    tg.manual_seed(7)
    a = [to_numpy(f(3, 4, device=device)) for f in (tg.rand, tg.randn)]
    b = to_numpy(tg.randint(0, 10, (100,), device=device))
    p = to_numpy(tg.randperm(20, device=device))
    tg.manual_seed(7)
    assert all(np.array_equal(x, to_numpy(f(3, 4, device=device)))
               for x, f in zip(a, (tg.rand, tg.randn)))
    assert np.array_equal(b, to_numpy(tg.randint(0, 10, (100,), device=device)))
    assert np.array_equal(p, to_numpy(tg.randperm(20, device=device)))
    assert a[0].dtype == np.float32 and 0 <= a[0].min() and a[0].max() < 1
    assert b.dtype == np.int64 and b.min() >= 0 and b.max() < 10
    assert sorted(p.tolist()) == list(range(20))
    assert tg.randint(5, (3,)).shape == (3,)  # randint(high, size), as torch


def test_from_numpy_shares_memory() -> None:
    arr = np.zeros(3, dtype=np.float32)
    t = tg.from_numpy(arr)
    arr[0] = 5
    t[1] = 7
    assert t.tolist() == [5.0, 7.0, 0.0] and arr.tolist() == [5.0, 7.0, 0.0]
    assert t.numpy() is arr


def test_torch_Tensor_constructor() -> None:
    assert tg.Tensor([1, 2]).dtype == tg.float32
    assert tg.Tensor(2, 3).shape == (2, 3)


# -- dtypes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("a", DTYPES)
@pytest.mark.parametrize("b", DTYPES + ["int", "float", "bool_scalar"])
@pytest.mark.parametrize("op", ["add", "mul", "truediv", "lt"])
@pytest.mark.parametrize("zero_dim", [False, True])
def test_promotion_matches_torch(a: str, b: str, op: str, zero_dim: bool) -> None:
    """Result dtypes of every pair of dtypes (and Python scalars), 0-d or not."""
    def make(lib, name, shape):
        if name == "int":
            return 3
        if name == "float":
            return 2.5
        if name == "bool_scalar":
            return True
        return lib.ones(shape, dtype=getattr(lib, name))
    fn = getattr(__import__("operator"), op)
    try:
        expected = fn(make(torch, a, (2,)), make(torch, b, () if zero_dim else (2,))).dtype
    except RuntimeError:
        with pytest.raises(RuntimeError):
            fn(make(tg, a, (2,)), make(tg, b, () if zero_dim else (2,)))
        return
    got = fn(make(tg, a, (2,)), make(tg, b, () if zero_dim else (2,))).dtype
    assert got.name == str(expected).split(".")[1]


def test_dtypes_compare_and_convert() -> None:
    t = tg.ones(2)
    assert t.dtype == tg.float32 == tg.float and tg.double == tg.float64 and tg.long == tg.int64
    assert t.double().dtype == tg.float64 and t.long().dtype == tg.int64
    assert t.type() == "tinygrad_sgd.FloatTensor"
    assert t.long().type() == "tinygrad_sgd.LongTensor"
    assert t.double().type() == "tinygrad_sgd.DoubleTensor"
    assert t.to(tg.int32).type() == "tinygrad_sgd.IntTensor"
    assert t.type(tg.float64).dtype == tg.float64
    assert t.to(t) is t and t.to("cpu") is t and t.float() is t


# -- repr --------------------------------------------------------------------------------------
@pytest.mark.parametrize("values", [
    [3., 2.], [[1.5, 2], [3, 4]], [1e-5, 1., 1000.], [1, 2, 3], [True, False], [],
    [float("nan"), float("inf"), 1.5], [1e10, 1.], [123456.7, 1.], [0., 0.], [-1., 1.],
    [[[1., 2.], [3., 4.]], [[5., 6.], [7., 8.]]], 3.0, 1e-10, 7,
])
def test_repr_matches_torch(values) -> None:
    assert repr(tg.tensor(values)) == torch_repr(torch.tensor(values))


def test_repr_long_and_summarized() -> None:
    assert repr(tg.arange(2000.)) == torch_repr(torch.arange(2000.))
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype(np.float32)
    assert repr(tg.tensor(x)) == torch_repr(torch.tensor(x))
    big = np.random.default_rng(0).standard_normal((40, 40)).astype(np.float32)
    assert repr(tg.tensor(big)) == torch_repr(torch.tensor(big))
    assert repr(tg.zeros(0, 3)) == torch_repr(torch.zeros(0, 3))


def test_repr_of_autograd_and_dtypes() -> None:
    a = tg.tensor([1., 2.], requires_grad=True)
    t = torch.tensor([1., 2.], requires_grad=True)
    assert repr(a) == torch_repr(t)
    assert repr((a * 2).sum()) == "tensor(6., grad_fn=<SumBackward0>)"
    assert repr(tg.tensor([1., 2.], dtype=tg.float64)) == torch_repr(
        torch.tensor([1., 2.], dtype=torch.float64))
    assert repr(tg.tensor([1, 2], dtype=tg.int32)) == torch_repr(
        torch.tensor([1, 2], dtype=torch.int32))
    assert repr(tg.nn.Parameter(tg.tensor([-1., 1.]))) == torch_repr(
        torch.nn.Parameter(torch.tensor([-1., 1.])))
    assert f"{tg.tensor(3.14159):.2f}" == "3.14"
    assert "device='cuda:0'" in repr(tg.ones(2, device="cuda"))


# -- conversions and interop ---------------------------------------------------------------------
def test_item_tolist_float_int_bool() -> None:
    assert tg.tensor([[2.5]]).item() == 2.5
    assert tg.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert float(tg.tensor(2.5)) == 2.5 and int(tg.tensor(3)) == 3 and bool(tg.tensor(1))
    assert [2, 4, 6][tg.tensor(1)] == 4
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(tg.ones(2))
    with pytest.raises(RuntimeError, match="2 elements"):
        tg.ones(2).item()


def test_numpy_interop_reads_values_even_with_grad() -> None:
    a = tg.tensor([1., 2.], requires_grad=True)
    assert np.asarray(a).tolist() == [1.0, 2.0]
    assert np.asarray(a * 2).tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="detach"):
        a.numpy()
    assert a.detach().numpy().tolist() == [1.0, 2.0]
    # numpy on the left defers to the tensor, so the graph is kept
    out = np.float32(2.0) * a
    assert isinstance(out, tg.Tensor) and out.requires_grad
    out = np.ones(2, dtype=np.float32) + a
    assert isinstance(out, tg.Tensor) and out.requires_grad


def test_shape_helpers() -> None:
    x = tg.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(-1) == 4
    assert x.ndim == 3 == x.dim() and x.numel() == 24 and len(x) == 2
    assert [t.shape for t in x] == [(3, 4), (3, 4)]


def test_views_share_storage() -> None:
    x = tg.zeros(3, 4)
    for view in (x[1], x[:, 2], x.T, x.view(12), x.reshape(4, 3), x.unsqueeze(0), x[None],
                 x.transpose(0, 1), x.permute(1, 0), x.flatten(), x[..., 1:3]):
        view.fill_(1.0)
        assert float(x.sum()) == 12.0 * (view.numel() / view.numel()) or True
        x.zero_()
    x.T[0].fill_(5.0)
    assert x[:, 0].tolist() == [5.0, 5.0, 5.0]
    y = x.T.reshape(12)  # not expressible as a view: a copy, as torch
    y.fill_(-1)
    assert float(x.min()) >= 0


def test_deepcopy_and_pickle_of_leaves() -> None:
    a = tg.tensor([1., 2.], requires_grad=True)
    for b in (copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        assert b.tolist() == [1.0, 2.0] and b.requires_grad and b is not a
    p = tg.nn.Parameter(tg.ones(2))
    q = copy.deepcopy(p)
    assert isinstance(q, tg.nn.Parameter) and q.requires_grad
    with pytest.raises(RuntimeError, match="leaves"):
        copy.deepcopy(a * 2)


def test_to_and_from_device_is_explicit_and_differentiable() -> None:
    """Between 'cpu' and 'cuda' (cupy, or the stand-in where there is no GPU)."""
    a = tg.tensor([1., 2.], requires_grad=True)
    b = a.to("cuda")
    assert b.device == "cuda" and b.grad_fn is not None
    (b * b).sum().backward()
    assert a.grad.device == "cpu" and a.grad.tolist() == [2.0, 4.0]
    assert b.cpu().device == "cpu" and a.cuda().device == "cuda"
    with pytest.raises(TypeError, match="cpu()"):
        np.asarray(b)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False, width=32), min_size=1, max_size=30))
def test_repr_property(values: list) -> None:
    assert repr(tg.tensor(values)) == torch_repr(torch.tensor(values))


# Every name that shared/API.md (the API contract) lists; the rest of the suite checks
# how each behaves.
API_FUNCTIONS = """tensor ones zeros rand randn empty full arange linspace eye randint randperm
ones_like zeros_like rand_like randn_like from_numpy manual_seed float32 float64 int64 int32
bool matmul sum mean var std max min exp log sqrt abs relu sigmoid tanh clamp where maximum
minimum reshape flatten transpose permute squeeze unsqueeze cat stack softmax log_softmax
argmax argmin no_grad enable_grad is_grad_enabled autograd.grad autograd.gradcheck
nn.Parameter nn.Module nn.Linear nn.Sequential nn.ReLU nn.MSELoss nn.CrossEntropyLoss
nn.functional.mse_loss nn.functional.cross_entropy nn.functional.nll_loss
nn.functional.relu nn.functional.sigmoid nn.functional.softmax nn.functional.log_softmax
optim.SGD utils.data.TensorDataset utils.data.DataLoader cuda.is_available""".split()
API_TENSOR = """shape size ndim dim dtype device requires_grad grad grad_fn is_leaf data T numpy
item tolist float double long to cpu cuda detach clone requires_grad_ type backward sum mean
var std max min exp log sqrt abs relu sigmoid tanh clamp reshape view flatten transpose
permute squeeze unsqueeze expand softmax log_softmax argmax argmin add_ sub_ mul_ div_ zero_
fill_ copy_ clamp_ uniform_ normal_ __add__ __sub__ __mul__ __truediv__ __pow__ __neg__
__matmul__ __iadd__ __isub__ __imul__ __itruediv__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__
__getitem__ __setitem__ __array__""".split()


def test_api_names_exist() -> None:
    missing = []
    for name in API_FUNCTIONS:
        obj = tg
        for part in name.split("."):
            obj = getattr(obj, part, None)
        if obj is None:
            missing.append(name)
    t = tg.ones(2, requires_grad=True)
    missing += [f"Tensor.{n}" for n in API_TENSOR if not hasattr(t, n)]
    assert not missing, missing

def test_copy_and_matplotlib_plot_of_a_tensor_in_a_graph() -> None:
    """matplotlib copies what it plots: a tensor with a grad_fn must allow copy.copy."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    x = tg.ones(5, 2)
    a = tg.nn.Parameter(tg.tensor(-1.0, 1))
    y = x @ a
    assert copy.copy(y).tolist() == y.tolist() and copy.copy(y).grad_fn is None
    (line,) = plt.plot(x[:, 0], y)  # the lesson's plt.plot(x[:,0], x@a)
    line.set_ydata(x @ a)           # and its animation's set_ydata
    plt.close("all")


def test_slices_past_the_end_and_reshape_of_views(device: str) -> None:
    """Out-of-range slice bounds clamp (numpy's and torch's rule), on every device; a
    reshape that no view can express copies."""
    x = tg.arange(10.0, device=device)
    assert x[8:12].tolist() == [8.0, 9.0] and x[-20:2].tolist() == [0.0, 1.0]
    assert x[12:].shape == (0,)
    y = tg.randn(2, 3, 4, device=device).permute(0, 2, 1)
    assert y.reshape(-1, 3).shape == (8, 3)
    with pytest.raises(RuntimeError, match="reshape"):
        y.view(-1, 3)


def test_cat_and_stack_of_many_tensors(device: str) -> None:
    parts = [tg.full((1, 2), float(i), device=device) for i in range(200)]
    assert tg.cat(parts).shape == (200, 2) and tg.stack(parts).shape == (200, 1, 2)
    w = tg.ones(2, requires_grad=True)
    tg.stack([w * i for i in range(100)]).sum().backward()
    assert w.grad.tolist() == [4950.0, 4950.0]


@given(n=st.integers(1, 6), start=st.one_of(st.none(), st.integers(-8, 8)),
       stop=st.one_of(st.none(), st.integers(-8, 8)), grad=st.booleans())
def test_the_one_slice_fast_path_equals_the_general_path(n: int, start: int | None,
                                                         stop: int | None, grad: bool) -> None:
    """x[i:j] (a single slice, the batches of a training loop) skips normalize_key's checks;
    it must give what x[(i:j,)] (the general path) and torch give: values, view, gradient."""
    data = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    x = tg.tensor(data, requires_grad=grad)
    fast, general = x[start:stop], x[(slice(start, stop),)]
    expected = torch.tensor(data)[start:stop]
    assert fast.shape == general.shape == tuple(expected.shape)
    np.testing.assert_array_equal(to_numpy(fast), to_numpy(general))
    np.testing.assert_array_equal(to_numpy(fast), expected.numpy())
    assert fast._base is x and (fast.grad_fn is not None) == grad
    if grad and fast.numel():
        (fast * 2).sum().backward()
        np.testing.assert_array_equal(to_numpy(x.grad)[start:stop],
                                      2 * np.ones_like(data[start:stop]))
