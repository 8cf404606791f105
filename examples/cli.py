"""The command line every example shares: argument types that refuse a bad value with one
line from argparse (exit status 2) instead of a traceback later, and the --device check.

    p = cli.Parser(description="...")
    p.add_argument("--epochs", type=cli.positive_int, default=20)
    p.add_argument("--device", type=cli.device, default="cpu")
"""
from __future__ import annotations

import argparse
import importlib.util
import math

import tinygrad_sgd as tg

GPU_INSTALL = 'pip install -e ".[gpu]"'  # README, "Devices": run in a checkout, on a GPU machine


class Parser(argparse.ArgumentParser):
    """argparse with ArgumentDefaultsHelpFormatter, whose errors are one line on stderr:
    `linear_regression.py: error: argument --lr: must be > 0, got '-1' (see --help)`."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(**kwargs)

    def error(self, message: str) -> None:  # argparse's own prints the whole usage first
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _number(text: str, kind: type) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """An int >= 1 (a count of steps, epochs, points, a batch size)."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def nonnegative_int(text: str) -> int:
    """An int >= 0 (a seed, a polynomial degree)."""
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite float > 0 (a learning rate)."""
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def nonnegative_float(text: str) -> float:
    """A finite float >= 0 (momentum, a noise level, a learning rate that may be 0)."""
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text!r}")
    return value


def nonzero_float(text: str) -> float:
    """A finite float other than 0 (a starting point away from the minimum at 0)."""
    value = _number(text, float)
    if value == 0:
        raise argparse.ArgumentTypeError(f"must not be 0 (the minimum itself), got {text!r}")
    return value


def fraction(text: str) -> float:
    """A float strictly between 0 and 1 (a share of the data)."""
    value = _number(text, float)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text!r}")
    return value


def device(text: str) -> str:
    """'cpu', or 'cuda' where tinygrad_sgd can use it; otherwise say what is missing and how
    to install it, in one line."""
    if text not in ("cpu", "cuda"):
        raise argparse.ArgumentTypeError(f"expected 'cpu' or 'cuda', got {text!r}")
    if text == "cuda" and not tg.cuda.is_available():
        missing = ("cupy is not installed" if importlib.util.find_spec("cupy") is None
                   else "cupy is installed but finds no usable CUDA GPU")
        raise argparse.ArgumentTypeError(
            f"'cuda' needs cupy and an NVIDIA GPU, and {missing}; on a machine with a CUDA GPU "
            f"run `{GPU_INSTALL}` in a checkout of tinygrad_sgd, or use --device cpu")
    return text
