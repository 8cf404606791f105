"""TensorDataset and DataLoader: an epoch visits every sample exactly once, batch sizes and
lengths as torch's DataLoader gives them, shuffling that follows tg.manual_seed (the same
order on every device), and bad arguments refused."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import tinygrad_sgd as tg
from conftest import to_numpy
from tinygrad_sgd.utils.data import DataLoader, Dataset, TensorDataset


def dataset(n: int, device: str = "cpu") -> TensorDataset:
    """Sample i is (row [i, 10 i], label i): any batch tells which samples it holds."""
    idx = np.arange(n)
    return TensorDataset(tg.tensor(np.stack([idx, 10 * idx], 1).astype(np.float32),
                                   device=device), tg.tensor(idx, device=device))


def test_tensor_dataset_indexing(device: str) -> None:
    ds = dataset(7, device)
    assert len(ds) == 7
    x, y = ds[3]
    assert to_numpy(x).tolist() == [3.0, 30.0] and y.item() == 3 and x.device == device
    x, y = ds[-1]
    assert y.item() == 6
    with pytest.raises(ValueError, match=r"\[3, 4\]"):
        TensorDataset(tg.ones(3), tg.ones(4))
    with pytest.raises(AssertionError):  # torch's class for this is AssertionError
        torch.utils.data.TensorDataset(torch.ones(3), torch.ones(4))
    with pytest.raises(TypeError):
        TensorDataset(tg.ones(3), [1, 2, 3])


@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True),
                                                     (10, 5, False), (10, 5, True),
                                                     (4, 10, False), (4, 10, True),
                                                     (1, 1, False)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_one_epoch_visits_each_sample_once(device: str, n: int, batch_size: int,
                                           drop_last: bool, shuffle: bool) -> None:
    loader = DataLoader(dataset(n, device), batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(n)),
                                         batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(theirs) == len(batches)
    assert [len(y) for _, y in batches] == [len(b[0]) for b in theirs]
    seen = [i for x, y in batches for i in to_numpy(y).tolist()]
    for x, y in batches:  # rows stay with their labels
        assert x.device == device and y.device == device
        np.testing.assert_array_equal(to_numpy(x)[:, 1], 10 * to_numpy(y))
    assert len(seen) == len(set(seen))  # nobody twice
    if not drop_last:
        assert sorted(seen) == list(range(n))  # and everybody once
    else:
        assert len(seen) == (n // batch_size) * batch_size
    if not shuffle:
        assert seen == list(range(len(seen)))  # in order, as torch's


def test_shuffling_follows_manual_seed_and_changes_every_epoch() -> None:
    def epoch_orders(seed: int, device: str = "cpu", epochs: int = 2) -> list[list[int]]:
        tg.manual_seed(seed)
        loader = DataLoader(dataset(50, device), batch_size=8, shuffle=True)
        return [[i for _, y in loader for i in to_numpy(y).tolist()] for _ in range(epochs)]
    first = epoch_orders(0)
    assert first == epoch_orders(0)  # the same seed: the same batches
    assert first[0] != first[1]  # a new order every epoch
    assert first[0] != list(range(50))
    assert epoch_orders(1) != first
    assert epoch_orders(0, "cuda") == first  # drawn on the CPU, so the same on every device


def test_a_generic_dataset_is_collated_like_torch() -> None:
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return tg.tensor([float(i), float(i * i)]), i

    class TorchSquares(torch.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return torch.tensor([float(i), float(i * i)]), i

    ours = list(DataLoader(Squares(), batch_size=2))
    theirs = list(torch.utils.data.DataLoader(TorchSquares(), batch_size=2))
    assert len(ours) == len(theirs) == 3
    for (xo, yo), (xt, yt) in zip(ours, theirs):
        np.testing.assert_array_equal(to_numpy(xo), xt.numpy())
        np.testing.assert_array_equal(to_numpy(yo), yt.numpy())
        assert yo.dtype == tg.int64 and xo.dtype == tg.float32
    dicts = list(DataLoader([{"a": 1.0, "b": tg.ones(2)}] * 3, batch_size=3))
    assert to_numpy(dicts[0]["a"]).tolist() == [1.0] * 3 and dicts[0]["b"].shape == (3, 2)


@pytest.mark.parametrize("batch_size", [0, -2, 1.5, True])
def test_bad_batch_size_is_refused_like_torch(batch_size) -> None:
    with pytest.raises(ValueError) as ours:
        DataLoader(dataset(4), batch_size=batch_size)
    assert f"batch_size={batch_size}" in str(ours.value)
    if batch_size is not True and batch_size != 1.5:
        with pytest.raises(ValueError):
            torch.utils.data.DataLoader([1, 2], batch_size=batch_size)


def test_dataloader_feeds_a_training_loop() -> None:
    """The lesson's line, by mini-batch SGD through DataLoader, nn.Linear and optim.SGD."""
    tg.manual_seed(0)
    x = tg.rand(200, 1) * 2 - 1
    y = 3 * x + 2 + 0.1 * tg.randn(200, 1)
    model = tg.nn.Linear(1, 1)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(10):
        for xb, yb in DataLoader(TensorDataset(x, y), batch_size=20, shuffle=True):
            opt.zero_grad()
            tg.nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
    assert model.weight.item() == pytest.approx(3.0, abs=0.1)
    assert model.bias.item() == pytest.approx(2.0, abs=0.1)
