"""tg.save and tg.load: tensors, state_dicts and other Python objects, pickled.

A tensor is saved as its values on the host (see Tensor.__reduce_ex__) and loaded onto the
device it was saved from (or `map_location`).
"""
from __future__ import annotations

import os
import pickle
from typing import IO, Any

from .backend import get_device
from .tensor import Tensor

__all__ = ["save", "load"]


def save(obj: Any, f: str | os.PathLike | IO[bytes]) -> None:
    """Write obj (a tensor, a model's state_dict(), a dict of them ...) to a file."""
    if hasattr(f, "write"):
        pickle.dump(obj, f)
    else:
        with open(f, "wb") as out:
            pickle.dump(obj, out)


def load(f: str | os.PathLike | IO[bytes], map_location: Any = None,
         weights_only: bool = False) -> Any:
    """Read what save() wrote; map_location='cpu' (or a device) moves every tensor there.

    Like any pickle, only load files you trust."""
    if hasattr(f, "read"):
        obj = pickle.load(f)
    else:
        with open(f, "rb") as src:
            obj = pickle.load(src)
    return _move(obj, get_device(map_location)) if map_location is not None else obj


def _move(obj: Any, device: Any) -> Any:
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((k, _move(v, device)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, device) for v in obj)
    return obj
