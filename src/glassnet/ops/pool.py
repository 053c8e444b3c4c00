"""Max and average pooling: which implementation computes it.

Three implementations give the same results (the tests check them against each other and
against PyTorch); pick one with ``impl``:

===============  ======================  ===============================================
impl             module                  role
===============  ======================  ===============================================
``"reference"``  :mod:`.pool_reference`  the reference: one Python loop iteration per output pixel
``"numpy"``      :mod:`.pool_numpy`      teaching variant: NumPy, one strided slice per window offset
``"fast"``       :mod:`.pool_fast`       the fast path (default): the reference's loops compiled by numba
===============  ======================  ===============================================

Every implementation has the same four functions, ``max_pool2d_forward(x, pool, stride,
pads) -> (y, cache)``, ``max_pool2d_backward(grad, cache) -> dx`` and the ``avg_`` pair,
takes the unpadded input and does its own padding, and caches what its backward needs in
its own small dataclass. Windows follow PyTorch's defaults: floor mode (rows past the last
full window are dropped), max pooling pads with -inf (padding never wins), average
pooling pads with zeros that count in the mean (count_include_pad=True, so every window
divides by KH·KW).

Shapes: x (N, C, H, W) -> y (N, C, OH, OW), OH = (H + 2P - KH) // S + 1 (see :mod:`.shapes`).
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .shapes import Pads

IMPLEMENTATIONS = ("reference", "numpy", "fast")


def implementation(impl: str) -> ModuleType:
    """The module implementing ``impl``; numba is imported only when asked for."""
    if impl == "fast":
        from . import pool_fast  # imports numba on first use

        return pool_fast
    if impl == "numpy":
        from . import pool_numpy

        return pool_numpy
    if impl == "reference":
        from . import pool_reference

        return pool_reference
    raise ValueError(f"unknown pooling implementation {impl!r}; expected one of {IMPLEMENTATIONS}")


def _as_float(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def max_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0), impl: str = "fast"
) -> tuple[np.ndarray, Any]:
    """x (N, C, H, W) -> y (N, C, OH, OW), the maximum of each window, and the cache for backward."""
    return implementation(impl).max_pool2d_forward(_as_float(x), pool, stride, pads)


def max_pool2d_backward(grad: np.ndarray, cache: Any) -> np.ndarray:
    """grad = dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W)."""
    return implementation(cache.impl).max_pool2d_backward(grad, cache)


def avg_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0), impl: str = "fast"
) -> tuple[np.ndarray, Any]:
    """x (N, C, H, W) -> y (N, C, OH, OW), the mean of each window (padding zeros included), and the cache."""
    return implementation(impl).avg_pool2d_forward(_as_float(x), pool, stride, pads)


def avg_pool2d_backward(grad: np.ndarray, cache: Any) -> np.ndarray:
    """grad = dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W)."""
    return implementation(cache.impl).avg_pool2d_backward(grad, cache)
