"""Neural-network building blocks."""
from .parameter import Parameter

__all__ = ["Parameter"]
