"""tg.autograd, laid out as torch's torch/autograd/:

    engine.py      the array-level op base class Function, apply, the backward walk, sum_to
    function.py    Function: torch-style custom ops (forward and backward on Tensors)
    grad_mode.py   no_grad, enable_grad, set_grad_enabled
    functional.py  backward() and grad()
    gradcheck.py   gradcheck(): backward against finite differences
    trace.py       trace(): watch backward run, op by op
    anomaly.py     detect_anomaly(): the op whose backward first made a nan or inf
"""
from . import engine, grad_mode
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .function import Function
from .functional import backward, grad
from .gradcheck import gradcheck
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .trace import trace

__all__ = ["engine", "grad_mode", "Function", "backward", "grad", "gradcheck", "trace", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled"]
