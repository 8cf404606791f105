"""Loss modules: the functions of functional.py, wrapped so a model and its loss are built
the same way (`loss_fn = nn.CrossEntropyLoss(); loss = loss_fn(model(x), y)`)."""
from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["MSELoss", "NLLLoss", "CrossEntropyLoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(reduction)
        self.reduction = reduction


class MSELoss(_Loss):
    """mean((input - target)²); see functional.mse_loss."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input against target, reduced by self.reduction."""
        return F.mse_loss(input, target, reduction=self.reduction)


class _WeightedLoss(_Loss):
    def __init__(self, weight: Tensor | None = None, ignore_index: int = -100,
                 reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)  # a buffer: saved and moved with the model
        self.ignore_index = ignore_index


class NLLLoss(_WeightedLoss):
    """-input[i, target_i] averaged over samples; input holds log-probabilities."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input (log-probabilities) against target (class indices)."""
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices: NLLLoss after log_softmax."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """The loss of input (logits) against target (class indices)."""
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction)
