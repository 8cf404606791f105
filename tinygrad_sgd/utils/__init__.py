"""Utilities: `tinygrad_sgd.utils.data` has TensorDataset and DataLoader."""
from . import data

__all__ = ["data"]
