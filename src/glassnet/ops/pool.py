"""Max and average pooling: padding, and the choice between the reference and the fast kernel.

Three implementations give the same results:

* ``impl="reference"`` (:mod:`.pool_reference`): Python loops over output pixels, the readable one;
* ``impl="numpy"`` (:mod:`.pool_numpy`): loops over the few offsets inside the window, each
  offset one strided slice of the whole batch;
* ``impl="fast"`` (:mod:`.pool_fast`, the default): the reference's loops compiled by numba.

Windows
follow PyTorch's defaults: floor mode (rows past the last full window are dropped),
max pooling pads with -inf (padding never wins), average pooling pads with zeros that
count in the mean (count_include_pad=True, so every window divides by KH·KW).

Shapes: x (N, C, H, W) -> y (N, C, OH, OW), OH = (H + 2P - KH) // S + 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .conv import Pads, crop2d, pad2d

IMPLEMENTATIONS = ("reference", "numpy", "fast")


def _kernel_module(impl: str):
    if impl == "fast":
        from . import pool_fast as module  # imports numba on first use
    elif impl == "numpy":
        from . import pool_numpy as module
    elif impl == "reference":
        from . import pool_reference as module
    else:
        raise ValueError(f"unknown pooling implementation {impl!r}; expected one of {IMPLEMENTATIONS}")
    return module


@dataclass
class PoolCache:
    """What the pooling backward pass needs from the forward pass."""

    impl: str
    pool: tuple[int, int]
    stride: tuple[int, int]
    pads: Pads
    padded_shape: tuple[int, int, int, int]
    saved: Any
    """The kernel's own cache: the padded input (reference max), where the maxima were (numpy, fast), or None."""


def _as_float(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float32)


def max_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0), impl: str = "fast"
) -> tuple[np.ndarray, PoolCache]:
    """x (N, C, H, W) -> y (N, C, OH, OW), the maximum of each window, and the cache for backward."""
    module = _kernel_module(impl)
    x_p = pad2d(_as_float(x), pads, value=-np.inf)
    y, saved = module.max_pool2d_forward(x_p, pool, stride)
    return y, PoolCache(impl, pool, stride, pads, x_p.shape, saved)


def max_pool2d_backward(dy: np.ndarray, cache: PoolCache) -> np.ndarray:
    """dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W)."""
    module = _kernel_module(cache.impl)
    if cache.impl == "reference":
        dx_p = module.max_pool2d_backward(dy, cache.saved, cache.pool, cache.stride)
    else:
        dx_p = module.max_pool2d_backward(dy, cache.saved, cache.padded_shape, cache.pool, cache.stride)
    return crop2d(dx_p, cache.pads)


def avg_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0), impl: str = "fast"
) -> tuple[np.ndarray, PoolCache]:
    """x (N, C, H, W) -> y (N, C, OH, OW), the mean of each window (padding zeros included)."""
    module = _kernel_module(impl)
    x_p = pad2d(_as_float(x), pads, value=0.0)
    y, saved = module.avg_pool2d_forward(x_p, pool, stride)
    return y, PoolCache(impl, pool, stride, pads, x_p.shape, saved)


def avg_pool2d_backward(dy: np.ndarray, cache: PoolCache) -> np.ndarray:
    """dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W)."""
    module = _kernel_module(cache.impl)
    return crop2d(module.avg_pool2d_backward(dy, cache.padded_shape, cache.pool, cache.stride), cache.pads)
