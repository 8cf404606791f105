"""The 'cuda' device: cupy, through array-api-compat's standard namespace. Imported only
when 'cuda' is first asked for, so numpy-only installs never import cupy."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..dtypes import dtype
from .cpu import getitem, setitem


def make_cupy(device_class: Any) -> Any:
    """The real GPU backend: cupy through array-api-compat's standard namespace."""
    import cupy  # noqa: F401  (lazy: numpy-only installs never import it)
    import cupyx
    from array_api_compat import cupy as cxp

    if cupy.cuda.runtime.getDeviceCount() < 1:
        raise RuntimeError("cupy is installed but it sees no CUDA GPU")

    def random(dev: Any, kind: str, shape: tuple[int, ...], d: dtype, *args: Any) -> Any:
        rs = dev.generator()
        np_dtype = np.dtype(d.name)
        if kind == "uniform":
            return rs.uniform(args[0], args[1], size=shape).astype(np_dtype, copy=False)
        if kind == "normal":
            return (rs.standard_normal(size=shape, dtype=np_dtype) * args[1] + args[0])
        if kind == "integers":
            return rs.randint(args[0], args[1], size=shape).astype(np_dtype, copy=False)
        if kind == "permutation":
            return rs.permutation(args[0]).astype(np_dtype)
        raise ValueError(f"unknown random kind {kind!r}")

    dev = device_class("cuda", cxp, cupy.ndarray,
                 f"CUDA GPU (cupy {cupy.__version__}, "
                 f"{cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()})",
                 to_numpy=lambda a: a.get(), from_numpy=cupy.asarray,
                 gather=getitem, index_put=setitem,
                 scatter_add=lambda target, key, values: cupyx.scatter_add(target, key, values),
                 random=random, make_rng=cupy.random.RandomState,
                 is_contiguous=lambda a: a.flags.c_contiguous,
                 contiguous_copy=lambda a: cupy.array(a, order="C", copy=True))
    return dev


