"""The backend seam: the CPU namespace's faster spellings compute exactly what numpy's
functions compute, and dtypes and devices map both ways."""
from __future__ import annotations

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_sgd as tg
from tinygrad_sgd import backend

fast = backend.CPU.xp
arrays = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64]),
                    hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4),
                    elements=st.integers(-5, 5))


@st.composite
def array_and_axis(draw):
    x = draw(arrays)
    if x.ndim == 0 or draw(st.booleans()):
        return x, None
    return x, tuple(draw(st.lists(st.integers(0, x.ndim - 1), unique=True, max_size=x.ndim)))


@given(array_and_axis(), st.booleans())
def test_reductions_are_numpy_reductions(xa, keepdims) -> None:
    x, axis = xa
    for name in ("sum", "max", "min"):
        got, want = getattr(fast, name)(x, axis=axis, keepdims=keepdims), \
            getattr(np, name)(x, axis=axis, keepdims=keepdims)
        np.testing.assert_array_equal(got, want)
        assert np.asarray(got).dtype == np.asarray(want).dtype


@given(arrays, st.data())
def test_broadcast_to_matches_numpy(x, data) -> None:
    for source in (x, x.T):  # contiguous and not
        target = data.draw(hnp.broadcastable_shapes(source.shape, max_dims=5, max_side=4)
                           .map(lambda s, shape=source.shape: np.broadcast_shapes(s, shape)))
        got = fast.broadcast_to(source, target)
        np.testing.assert_array_equal(got, np.broadcast_to(source, target))
        if got.shape != source.shape:
            assert not got.flags.writeable


@given(arrays, st.floats(-3, 3) | st.none(), st.floats(-3, 3) | st.none())
def test_clip_matches_numpy(x, lo, hi) -> None:
    x = x.astype(np.float64)
    np.testing.assert_array_equal(fast.clip(x, lo, hi), np.clip(x, lo, hi))
    assert fast.clip(x, lo, hi) is not x


def test_shape_spellings_match_numpy() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(fast.reshape(x, (4, 6)), np.reshape(x, (4, 6)))
    with pytest.raises(ValueError):
        fast.reshape(x.transpose(2, 0, 1), (24,), copy=False)
    np.testing.assert_array_equal(fast.permute_dims(x, (2, 0, 1)), np.permute_dims(x, (2, 0, 1)))
    assert fast.astype(x, np.float32).dtype == np.float32
    np.testing.assert_array_equal(fast.squeeze(x[None], 0), x)


def test_dtype_maps() -> None:
    for device in ("cpu", "cuda"):
        dev = backend.get_device(device)
        for d in tg.dtypes.ALL:
            arr = dev.xp.zeros((2,), dtype=dev.xp_dtype(d))
            assert dev.dtype_of(arr) is d


def test_device_objects() -> None:
    cpu = tg.device("cpu")
    assert cpu == "cpu" and cpu == "cpu" and repr(cpu) == "device(type='cpu')"
    assert tg.ones(1).device is cpu and tg.device("cuda") == "cuda:0"
    assert str(tg.ones(1, device="cuda").device) == "cuda"


@st.composite
def _masked(draw):
    """A float array (NaN, inf, -0.0 and subnormals among its values), a bool mask of its
    shape or another, and which side of where the zero is on."""
    dt = draw(st.sampled_from([np.float16, np.float32, np.float64]))
    n = draw(st.sampled_from([1, 7, 2047, 2048, 3000]))  # below and above the threshold
    x = draw(hnp.arrays(dt, n, elements=st.floats(allow_nan=True, allow_infinity=True,
                                                  width=np.dtype(dt).itemsize * 8)))
    if draw(st.booleans()):
        x = x[::-1]  # not contiguous: a view of another layout
    cond = draw(hnp.arrays(np.bool_, draw(st.sampled_from([(n,), (1,)]))))
    zero = draw(st.sampled_from([0.0, 0, -0.0, np.float32(0.0), 1.0]))
    return cond, x, zero, draw(st.booleans())


@given(_masked())
def test_where_with_a_zero_is_numpy_where_bit_for_bit(case) -> None:
    """The branch-free route (x's bits ANDed with a mask) gives np.where's bytes, dtype and
    shape, whichever side the zero is on; anything it does not cover falls back."""
    cond, x, zero, zero_first = case
    args = (cond, zero, x) if zero_first else (cond, x, zero)
    got, want = fast.where(*args), np.where(*args)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes()
