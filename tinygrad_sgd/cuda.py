"""`tinygrad_sgd.cuda`: is there a GPU, and what is it."""
from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when cupy is installed and sees a CUDA GPU (or the test stand-in is on)."""
    return backend.is_cuda_available()


def device_count() -> int:
    """The number of GPUs tinygrad_sgd can use: 1 when is_available(), else 0."""
    return 1 if is_available() else 0


def get_device_name(device: int = 0) -> str:
    """A description of the GPU (cupy's device), as torch.cuda.get_device_name."""
    return backend.get_device("cuda").description


def manual_seed(seed: int) -> None:
    """Seed the random numbers (one generator serves every device)."""
    backend.manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed the random numbers of every device (same as manual_seed here)."""
    backend.manual_seed(seed)


# help() shows annotations as the objects they name, not as quoted strings (helptext.py)
import sys as _sys  # noqa: E402
from . import helptext as _helptext  # noqa: E402

_helptext.resolve(_sys.modules[__name__])
