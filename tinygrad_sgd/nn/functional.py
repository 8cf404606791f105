"""Losses and activations as functions (torch.nn.functional): `import
tinygrad_sgd.nn.functional as F`, then `F.cross_entropy(model(x), y)`.

Each is a few Tensor operations, so autograd differentiates them with no new op; the
checks up front turn a wrong target into an error that says what was expected.
"""
# imported under private names (as the standard library does), so that dir(F) shows the
# functions of this module only
import warnings as _warnings
from typing import Any as _Any

from .. import dtypes as _dtypes
from ..creation import arange as _arange
from ..ops.arithmetic import Linear as _LinearOp
from ..ops.reduce import NllLoss as _NllLoss
from ..ops.reduce import TakeAlongDim as _TakeAlongDim
from ..tensor import Tensor as _Tensor
from ..torch_api.math_ops import expect_tensor as _expect_tensor

__all__ = ["linear", "relu", "sigmoid", "tanh", "softmax", "log_softmax", "mse_loss",
           "nll_loss", "cross_entropy"]

_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------------------------
# layers and activations
# ---------------------------------------------------------------------------------------
def linear(input: _Tensor, weight: _Tensor, bias: _Tensor | None = None) -> _Tensor:
    """input @ weight.T + bias, with weight of shape (out_features, in_features)."""
    _expect_tensor("linear", input)
    if (isinstance(weight, _Tensor) and isinstance(bias, _Tensor) and input._data.ndim >= 2
            and weight._data.ndim == 2 and bias._data.ndim == 1
            and input._data.shape[-1] == weight._data.shape[1]
            and input._dtype is weight._dtype is bias._dtype):  # a layer: one op, as torch's
        return _LinearOp.apply(input, weight, bias)  # (the same numbers as below)
    if input.ndim >= 1 and weight.ndim == 2 and input.shape[-1] != weight.shape[1]:
        rows = input.numel() // input.shape[-1] if input.shape[-1] else 0
        # torch's wording (it flattens the leading dims into rows), then what to fix
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x"
                           f"{input.shape[-1]} and {weight.shape[1]}x{weight.shape[0]}): "
                           f"the layer expects inputs whose last dimension is "
                           f"in_features={weight.shape[1]}, but the input has shape "
                           f"{tuple(input.shape)}")
    out = input @ weight.T
    return out if bias is None else out + bias


def relu(input: _Tensor) -> _Tensor:
    """max(0, x), elementwise."""
    _expect_tensor("relu", input)
    return input.relu()


def sigmoid(input: _Tensor) -> _Tensor:
    """1 / (1 + e^-x), elementwise."""
    return input.sigmoid()


def tanh(input: _Tensor) -> _Tensor:
    """The hyperbolic tangent of each element, in (-1, 1); see tinygrad_sgd.tanh."""
    return input.tanh()


def _softmax_dim(input: _Tensor, dim: int | None, name: str) -> int:
    """torch's legacy choice when no dim is given (with its warning): dim 0 for 0-, 1- and
    3-d inputs, else dim 1. Pass dim explicitly."""
    if dim is not None:
        return dim
    _warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                  "call to include dim=X as an argument.", stacklevel=3)
    return 0 if input.ndim in (0, 1, 3) else 1


def softmax(input: _Tensor, dim: int | None = None) -> _Tensor:
    """e^x / Σ e^x along dim: each slice becomes probabilities that sum to 1."""
    return input.softmax(_softmax_dim(input, dim, "softmax"))


def log_softmax(input: _Tensor, dim: int | None = None) -> _Tensor:
    """x - log Σ e^x along dim, computed without overflow (shifted by the max)."""
    return input.log_softmax(_softmax_dim(input, dim, "log_softmax"))


# ---------------------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------------------
def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction "
                         f"(expected one of {', '.join(map(repr, _REDUCTIONS))})")


def _reduce(losses: _Tensor, reduction: str) -> _Tensor:
    if reduction == "mean":
        return losses.mean()
    return losses.sum() if reduction == "sum" else losses


def mse_loss(input: _Tensor, target: _Tensor, reduction: str = "mean") -> _Tensor:
    """mean((input - target)²): the lesson's `mse`.

    A target of another shape broadcasts, as in torch, with torch's warning, because
    y_hat of shape (n, 1) against y of shape (n,) silently makes an (n, n) matrix.
    """
    _check_reduction(reduction)
    if isinstance(target, _Tensor) and target.shape != input.shape:
        _warnings.warn(f"Using a target size ({tuple(target.shape)}) that is different to the "
                      f"input size ({tuple(input.shape)}). This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      stacklevel=2)
    return _reduce((input - target) ** 2, reduction)


def _pick(input: _Tensor, target: _Tensor) -> _Tensor:
    """input[i, target[i]] for every sample i: the score of each sample's target class.
    For (N, C, d1, ...) inputs, input[i, target[i, j, ...], j, ...] at every position;
    for a (C,) input, input[target]. The result has the target's shape, and indexing
    sends the gradient back to exactly the picked entries."""
    if input.ndim == 1:
        return input[target]
    if input.ndim == 2:  # the usual (N, C) scores: one op picks along the class axis
        return _TakeAlongDim.apply(input, target.reshape(-1, 1), dim=1)
    index = []
    for axis, n in enumerate(target.shape):  # one arange per non-class axis, broadcasting
        positions = _arange(n, device=input.device)
        if target.ndim > 1:
            positions = positions.reshape([n if a == axis else 1 for a in range(target.ndim)])
        index.append(positions)
    index.insert(1, target)  # the class axis is axis 1
    return input[tuple(index)]


def _check_class_targets(name: str, input: _Tensor, target: _Any, weight: _Tensor | None,
                         ignore_index: int) -> _Tensor:
    """Class-index targets: int64, one per sample (and position), each in [0, C).
    Returns the mask of targets equal to ignore_index (None when there can be none)."""
    if not isinstance(target, _Tensor):
        raise TypeError(f"{name}(): argument 'target' must be Tensor, not "
                        f"{type(target).__name__}")
    if input.ndim == 0:
        raise RuntimeError(f"{name}(): input must have a class dimension, got a 0-d tensor")
    if target.device != input.device:
        raise RuntimeError(f"{name}(): expected input and target on the same device, but "
                           f"input is on {input.device} and target on {target.device}")
    n_classes = input.shape[0 if input.ndim == 1 else 1]
    if target.dtype is not _dtypes.int64:
        hint = (f"; floating-point targets (class probabilities) must have the input's shape "
                f"{tuple(input.shape)}" if target.dtype.is_floating_point else "")
        raise RuntimeError(f"expected target dtype to be Long (int64 class indices in "
                           f"[0, {n_classes})), but got {target.dtype.name} of shape "
                           f"{tuple(target.shape)}{hint}; convert with target.long()")
    target_batch = target.shape[0] if target.ndim else 0
    if input.ndim >= 2 and target_batch != input.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target_batch}).")
    expected = () if input.ndim == 1 else (input.shape[0], *input.shape[2:])
    if tuple(target.shape) != expected:
        raise RuntimeError(f"{name}(): expected target of shape {expected} (one class index "
                           f"per sample) for input of shape {tuple(input.shape)}, got target "
                           f"of shape {tuple(target.shape)}")
    if weight is not None and tuple(weight.shape) != (n_classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if target.numel():  # the usual case first: two numbers say every target is a class
        xp = target.device.xp
        low, high = bool(xp.min(target._data) >= 0), bool(xp.max(target._data) < n_classes)
        if low and high and not 0 <= ignore_index < n_classes:
            return None  # every target is a class index, and none can equal ignore_index
    ignored = target == ignore_index
    out_of_range = ((target < 0) | (target >= n_classes)) & ~ignored
    if bool(out_of_range.any()):
        value = target[out_of_range].tolist()[0]
        raise IndexError(f"Target {value} is out of bounds: class indices must be in "
                         f"[0, {n_classes - 1}] for an input with {n_classes} classes")
    return ignored


def nll_loss(input: _Tensor, target: _Tensor, weight: _Tensor | None = None,
             ignore_index: int = -100, reduction: str = "mean") -> _Tensor:
    """Negative log likelihood of the target classes, given log-probabilities.

    loss_i = -w[t_i] · input[i, t_i];  'mean' divides Σ loss_i by Σ w[t_i] (N without
    weights). Targets equal to ignore_index count for nothing.

    >>> logp = tg.tensor([[0., -1.], [-2., 0.]])
    >>> nll_loss(logp, tg.tensor([1, 0]))     # (1 + 2) / 2
    tensor(1.5000)
    """
    _check_reduction(reduction)
    ignored = _check_class_targets("nll_loss", input, target, weight, ignore_index)
    if weight is None and (ignored is None or not bool(ignored.any())):  # the common case
        if input.ndim == 2 and reduction != "none":  # (N, C) scores: one op, as torch's
            return _NllLoss.apply(input, target, reduction=reduction)
        return _reduce(-_pick(input, target), reduction)
    if ignored is None:  # (weights, and no target can be ignore_index)
        ignored = target == ignore_index
    keep = ~ignored
    target = target.where(keep, 0)  # ignored targets may be out of range: use class 0, w=0
    w = keep.to(input.dtype)
    if weight is not None:
        w = w * weight.to(input.dtype)[target]
    losses = -_pick(input, target) * w
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / w.sum()


def cross_entropy(input: _Tensor, target: _Tensor, weight: _Tensor | None = None,
                  ignore_index: int = -100, reduction: str = "mean") -> _Tensor:
    """Cross-entropy of raw scores (logits) against int64 class indices: nll_loss of
    log_softmax(input), which never overflows (log_softmax subtracts the max first).

    input has shape (N, C) (or (C,), or (N, C, d1, ...)); target holds one class index per
    sample, or, as a float tensor of input's shape, class probabilities.

    >>> cross_entropy(tg.tensor([[2., 0.], [0., 2.]]), tg.tensor([0, 1]))
    tensor(0.1269)
    """
    _expect_tensor("cross_entropy", input)
    _check_reduction(reduction)
    class_dim = 0 if input.ndim == 1 else 1
    if isinstance(target, _Tensor) and target.dtype.is_floating_point \
            and target.shape == input.shape:  # probabilities: -Σ_c p_c · log q_c
        logp = input.log_softmax(class_dim)
        if weight is not None:
            shape = [1] * input.ndim
            shape[class_dim] = -1
            logp = logp * weight.reshape(shape)
        losses = -(target * logp).sum(class_dim)
        return _reduce(losses, reduction)
    if input.ndim == 0:
        raise RuntimeError("cross_entropy(): input must have a class dimension, got a 0-d "
                           "tensor")
    return nll_loss(input.log_softmax(class_dim), target, weight, ignore_index, reduction)
