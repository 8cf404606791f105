"""`tinygrad_sgd.cuda`: is there a GPU, and what is it."""
from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when cupy is installed and sees a CUDA GPU (or the test stand-in is on)."""
    return backend.is_cuda_available()


def device_count() -> int:
    return 1 if is_available() else 0


def get_device_name(device: int = 0) -> str:
    return backend.get_device("cuda").description


def manual_seed(seed: int) -> None:
    backend.manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    backend.manual_seed(seed)
