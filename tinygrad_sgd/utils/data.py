"""Datasets and mini-batches.

A Dataset answers `len(ds)` and `ds[i]` (one sample). A DataLoader cuts an epoch into
mini-batches: it orders the indices 0..n-1 (shuffled with tinygrad_sgd's own seeded
generator, so `tg.manual_seed` repeats the order), and each batch gathers its samples.

    ds = TensorDataset(x, y)
    for xb, yb in DataLoader(ds, batch_size=64, shuffle=True):
        ...                           # every sample exactly once per epoch
"""
# imported under private names (as the standard library does), so that dir() of this
# module shows its datasets and loader only
import math as _math
import operator as _operator
from typing import Any as _Any
from typing import Iterator as _Iterator
from typing import Sequence as _Sequence

from ..creation import arange as _arange
from ..creation import randperm as _randperm
from ..creation import tensor as _tensor
from ..dtypes import float64 as _float64
from ..tensor import Tensor as _Tensor
from ..torch_api.shape_ops import stack as _stack

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]


class Dataset:
    """Base class: define `__getitem__(i)` (one sample) and `__len__`."""

    def __getitem__(self, index: int) -> _Any:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Samples are rows: `ds[i]` is `(x[i], y[i])` for `TensorDataset(x, y)`."""

    def __init__(self, *tensors: _Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, _Tensor):
                raise TypeError(f"TensorDataset expects Tensors, got {type(t).__name__}")
            if t.ndim == 0:
                raise ValueError("TensorDataset expects tensors with a first (sample) "
                                 "dimension, got a 0-d tensor")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) > 1:  # torch asserts; we say which sizes disagree
            raise ValueError(f"Size mismatch between tensors: their first dimensions "
                             f"(numbers of samples) are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index: _Any) -> tuple[_Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


def default_collate(samples: _Sequence[_Any]) -> _Any:
    """Join a list of samples into a batch: tensors are stacked along a new first dim,
    Python numbers become a tensor, and tuples/lists/dicts are joined field by field
    (a tuple sample gives a list of batched fields, as torch's default_collate does)."""
    first = samples[0]
    if isinstance(first, _Tensor):
        return _stack(list(samples))
    if type(first).__module__ == "numpy":  # numpy arrays and scalars keep their dtype
        return _stack([_tensor(s) for s in samples])
    if isinstance(first, float):  # as torch's default_collate: Python floats are doubles
        return _tensor(list(samples), dtype=_float64)
    if isinstance(first, (int, bool)):
        return _tensor(list(samples))
    if isinstance(first, dict):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):  # a list of fields, as torch returns
        return [default_collate(list(field)) for field in zip(*samples)]
    raise TypeError(f"default_collate: batch must contain tensors, numbers, dicts or "
                    f"lists; found {type(first).__name__}")


class DataLoader:
    """Mini-batches of `dataset`, in order or shuffled anew at every epoch.

    The last batch is smaller when batch_size does not divide len(dataset), unless
    drop_last=True drops it. For a TensorDataset a batch is gathered from each tensor
    in one indexing call (`x[idx]`), which gives the same batch as stacking samples.
    """

    def __init__(self, dataset: _Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, collate_fn: _Any = None) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(shuffle, bool):
            raise ValueError(f"shuffle should be a boolean value, but got shuffle={shuffle}")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.collate_fn = collate_fn or default_collate

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else _math.ceil(n / self.batch_size)

    def __iter__(self) -> _Iterator[_Any]:
        n = len(self.dataset)
        # The order is drawn on the CPU, so a seed gives the same batches on every device.
        order = _randperm(n) if self.shuffle else _arange(n)
        for b in range(len(self)):
            yield self._fetch(order[b * self.batch_size:min((b + 1) * self.batch_size, n)])

    def _fetch(self, idx: _Tensor) -> _Any:
        if type(self.dataset) is TensorDataset and self.collate_fn is default_collate:
            # one gather per tensor; the indices travel explicitly to the data's device
            return [t[idx.to(t.device)] for t in self.dataset.tensors]
        return self.collate_fn([self.dataset[_operator.index(i)] for i in idx.tolist()])


# help() shows annotations as the objects they name, not as quoted strings (helptext.py)
import sys as _sys  # noqa: E402
from .. import helptext as _helptext  # noqa: E402

_helptext.resolve(_sys.modules[__name__])
