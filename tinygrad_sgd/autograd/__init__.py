"""tg.autograd, laid out as torch's torch/autograd/:

    engine.py      the array-level op base class Function, apply, the backward walk, sum_to
    function.py    Function: torch-style custom ops (forward and backward on Tensors)
    grad_mode.py   no_grad, enable_grad, set_grad_enabled
    functional.py  backward() and grad()
    gradcheck.py   gradcheck(): backward against finite differences
    trace.py       trace(): watch backward run, op by op
    anomaly.py     detect_anomaly(): the op whose backward first made a nan or inf

detect_anomaly's module is imported on first use (it brings traceback along).
"""
from typing import Any as _Any

from . import engine, grad_mode
from .function import Function
from .functional import backward, grad
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import gradcheck
from .trace import trace  # (binds the name to the function, not to the module trace.py)

__all__ = ["engine", "grad_mode", "Function", "backward", "grad", "gradcheck", "trace",
           "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled"]

_TOOLS = {"detect_anomaly": "anomaly", "set_detect_anomaly": "anomaly",
          "is_anomaly_enabled": "anomaly"}


def __getattr__(name: str) -> _Any:
    """detect_anomaly and its siblings load anomaly.py when first used."""
    if name in _TOOLS:
        import importlib
        return getattr(importlib.import_module(f".{_TOOLS[name]}", __name__), name)
    raise AttributeError(f"module 'tinygrad_sgd.autograd' has no attribute {name!r}")
