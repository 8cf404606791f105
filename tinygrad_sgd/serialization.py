"""tg.save and tg.load: tensors, state_dicts and other Python objects, pickled.

A tensor is saved as its values on the host and the name of its device (see
Tensor.__reduce_ex__ and tensor.rebuild) and loaded onto that device, or where
`map_location` sends it. Loading is weights-only by default, as in torch since 2.6: a file
can hold tensors, Parameters, containers, numbers and strings, and nothing in it can run
code; `weights_only=False` loads any pickle, for files you trust.
"""
from __future__ import annotations

import codecs
import collections
import functools
import os
import pickle
from typing import IO, Any

import numpy as np  # tensors are pickled as numpy arrays on the host
from numpy._core.multiarray import _reconstruct
from numpy._core.numeric import _frombuffer

from . import dtypes
from .backend import get_device
from .nn.parameter import Parameter
from .tensor import Tensor, rebuild

__all__ = ["save", "load"]


def save(obj: Any, f: str | os.PathLike | IO[bytes]) -> None:
    """Write obj (a tensor, a model's state_dict(), a dict of them ...) to a file.

    >>> tg.save(model.state_dict(), "model.pt")
    >>> model.load_state_dict(tg.load("model.pt"))
    """
    if hasattr(f, "write"):
        pickle.dump(obj, f)
    else:
        with open(f, "wb") as out:
            pickle.dump(obj, out)


def load(f: str | os.PathLike | IO[bytes], map_location: Any = None,
         weights_only: bool = True) -> Any:
    """Read what save() wrote.

    weights_only=True (the default, as in torch since 2.6) loads tensors, Parameters,
    state dicts, containers (dict, OrderedDict, list, tuple, set), numbers, strings and
    bytes, and refuses anything else with pickle.UnpicklingError naming it: a crafted file
    cannot run code. weights_only=False loads any pickle, which can run any code: use it
    only for files you trust.

    map_location puts the tensors elsewhere than the device they were saved from: a device
    or its name ('cpu'), or a dict {saved device: device}. It applies before any device is
    asked for, so a checkpoint saved on 'cuda' loads with map_location='cpu' on a machine
    without a GPU.
    """
    if hasattr(f, "read"):
        return _Unpickler(f, map_location, weights_only).load()
    with open(f, "rb") as src:
        return _Unpickler(src, map_location, weights_only).load()


class _Unpickler(pickle.Unpickler):
    """pickle's Unpickler, whose find_class decides which globals a file may name."""

    def __init__(self, file: IO[bytes], map_location: Any, weights_only: bool) -> None:
        super().__init__(file)
        self.map_location, self.weights_only = map_location, weights_only

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("tinygrad_sgd.tensor", "rebuild"):  # how save() writes a tensor
            return functools.partial(_rebuild, self.map_location)
        if not self.weights_only:
            return super().find_class(module, name)
        found = _weights_only_globals().get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"Weights only load failed: this file names {module}.{name}, which "
                f"tinygrad_sgd.load does not allow with weights_only=True (only tensors, "
                f"Parameters, state dicts, containers, numbers and strings). Unsupported "
                f"global: GLOBAL {module}.{name}. Re-running `tinygrad_sgd.load` with "
                f"`weights_only=False` will likely succeed, but it can result in arbitrary "
                f"code execution. Do it only if you got the file from a trusted source.")
        return found


def _rebuild(map_location: Any, array: Any, device: str, requires_grad: bool,
             cls: type = Tensor) -> Tensor:
    """tensor.rebuild, with the device looked up only after map_location is applied."""
    if not isinstance(array, np.ndarray) or not (isinstance(cls, type)
                                                 and issubclass(cls, Tensor)):
        raise pickle.UnpicklingError(f"not a tensor that tinygrad_sgd.save writes: "
                                     f"{type(array).__name__} values for {cls!r}")
    where = _location(device, map_location)
    try:
        target = get_device(where)
    except RuntimeError as e:
        raise RuntimeError(f"{e}. This file holds tensors saved on '{device}': to load them "
                           f"here, pass map_location='cpu' to tinygrad_sgd.load") from None
    return rebuild(array, target, requires_grad, cls)


def _location(saved: str, map_location: Any) -> Any:
    """Where a tensor saved on device `saved` goes, as torch reads map_location."""
    if map_location is None:
        return saved
    if isinstance(map_location, dict):  # {'cuda': 'cpu'}; torch's files say 'cuda:0'
        for key in (saved, f"{saved}:0"):
            if key in map_location:
                return map_location[key]
        return saved
    return map_location


def _tensor_dtype(*args: Any) -> np.dtype:
    """numpy.dtype, for the element types a tensor can have only (no object arrays)."""
    found = np.dtype(*args)
    if found.name not in dtypes.BY_NAME:
        raise pickle.UnpicklingError(f"Weights only load failed: an array of dtype {found} "
                                     f"is not a tensor's")
    return found


@functools.cache
def _weights_only_globals() -> dict[tuple[str, str], Any]:
    """What a weights-only file may name: what save() writes for tensors and Parameters
    (the numpy array pickle included), containers and numbers that pickle writes as globals,
    and tinygrad_sgd's dtypes."""
    allowed: dict[tuple[str, str], Any] = {
        ("tinygrad_sgd.tensor", "Tensor"): Tensor,
        (Parameter.__module__, Parameter.__qualname__): Parameter,
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("_codecs", "encode"): codecs.encode,  # bytes, in pickle protocols 0-2
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): _tensor_dtype,
    }
    for builtin in (set, frozenset, bytearray, complex, dict, list, tuple):
        # protocols 0-2 name the builtins module __builtin__, as Python 2 did
        for module in ("builtins", "__builtin__"):
            allowed[module, builtin.__name__] = builtin
    for numpy_core in ("numpy._core", "numpy.core"):  # numpy 2, and files from numpy 1
        allowed[f"{numpy_core}.multiarray", "_reconstruct"] = _reconstruct
        allowed[f"{numpy_core}.numeric", "_frombuffer"] = _frombuffer
    for d in dtypes.ALL:
        allowed["tinygrad_sgd.dtypes", d.__reduce__()] = d
    return allowed


# help() shows annotations as the objects they name, not as quoted strings (helptext.py)
import sys as _sys  # noqa: E402

from . import helptext as _helptext  # noqa: E402

_helptext.resolve(_sys.modules[__name__])
