"""Shared test setup: hypothesis profiles, the devices every property test runs on, and
helpers that turn the same numpy data into tinygrad_sgd and torch tensors.

Devices: 'cpu' (numpy) always; 'cuda' is real cupy where a GPU is present, and otherwise
the array-api-strict stand-in (tinygrad_sgd.backend.use_standin), whose arrays refuse
numpy the way cupy's do. So a numpy-only call slipped into an op fails here on a laptop.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import tinygrad_sgd as tg
from tinygrad_sgd import backend

settings.register_profile("default", max_examples=50, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _real_gpu() -> bool:
    if os.environ.get("TINYGRAD_SGD_STANDIN") == "1":
        return False
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def _refuse_implicit_numpy() -> None:
    """Make the stand-in as strict as cupy: cupy.ndarray refuses np.asarray(array), so a
    numpy call slipped into the library fails here too. (array-api-strict itself already
    refuses to mix its arrays with numpy's in arithmetic.)"""
    array_type = type(backend.get_device("cuda").xp.asarray(0))

    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise TypeError("Implicit conversion to a NumPy array is not allowed (stand-in for "
                        "cupy). Move it to the host explicitly.")

    array_type.__array__ = refuse


REAL_GPU = _real_gpu()
if not REAL_GPU:
    backend.use_standin()
    _refuse_implicit_numpy()
CUDA_KIND = "cupy" if REAL_GPU else "stand-in"

DEVICES = ["cpu", "cuda"]


@pytest.fixture(params=DEVICES, scope="session")
def device(request: pytest.FixtureRequest) -> str:
    return request.param


def to_numpy(t: tg.Tensor) -> np.ndarray:
    """Values of a tinygrad_sgd tensor on the host (works for every device)."""
    return t.device.to_numpy(t.detach()._data)


def pytest_report_header(config: pytest.Config) -> str:
    return f"tinygrad_sgd 'cuda' device: {CUDA_KIND} ({backend.get_device('cuda').description})"
