"""Pooling vectorised in NumPy (``impl="numpy"``): a teaching variant, neither the reference nor the default.

It shows how to take the Python loops out without numba: loop over the KH·KW offsets
inside the window, not over output pixels. For a window offset (ki, kj), the inputs
x_p[:, :, i·S + ki, j·S + kj] over all output pixels (i, j) form one strided slice of the
input. Max pooling keeps a running maximum over these KH·KW slices, and remembers which
offset won (``argmax``, the first maximum on ties, as PyTorch does); the backward pass
sends each δ back through the slice of its winning offset. Average pooling sums the
slices. Same results as ``pool_reference`` (the readable one) and ``pool_fast`` (the default).
Padding is done here, as in the reference: -inf for max pooling, zeros for average pooling.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .shapes import Pads, crop2d, pad2d


@dataclass
class NumpyPoolCache:
    """What the backward slices need from the forward pass."""

    impl: ClassVar[str] = "numpy"
    pool: tuple[int, int]
    stride: tuple[int, int]
    pads: Pads
    padded_shape: tuple[int, int, int, int]
    argmax: np.ndarray | None = None
    """Max pooling: the winning window offset k = ki·KW + kj of each output (N, C, OH, OW); average pooling: None."""


def _window_slices(
    padded_hw: tuple[int, int], pool: tuple[int, int], stride: tuple[int, int]
) -> list[tuple[slice, slice]]:
    """For each window offset (ki, kj), in row-major order: the (rows, cols) slices it reads."""
    (KH, KW), (SH, SW) = pool, stride
    OH = (padded_hw[0] - KH) // SH + 1
    OW = (padded_hw[1] - KW) // SW + 1
    return [
        (slice(ki, ki + SH * (OH - 1) + 1, SH), slice(kj, kj + SW * (OW - 1) + 1, SW))
        for ki in range(KH)
        for kj in range(KW)
    ]


def max_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0)
) -> tuple[np.ndarray, NumpyPoolCache]:
    """x (N, C, H, W) -> y (N, C, OH, OW), the maximum of each window, and the cache for backward."""
    x_p = pad2d(x, pads, value=-np.inf)
    slices = _window_slices(x_p.shape[2:], pool, stride)
    rows, cols = slices[0]
    y = x_p[:, :, rows, cols].copy()
    argmax = np.zeros(y.shape, dtype=np.uint8 if len(slices) <= 256 else np.int32)
    for k, (rows, cols) in enumerate(slices[1:], start=1):
        candidate = x_p[:, :, rows, cols]
        better = candidate > y  # strictly greater: the first maximum wins ties
        np.copyto(y, candidate, where=better)
        np.copyto(argmax, k, where=better)
    return y, NumpyPoolCache(pool, stride, pads, x_p.shape, argmax)


def max_pool2d_backward(grad: np.ndarray, cache: NumpyPoolCache) -> np.ndarray:
    """grad = dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W): each δ added where its window's maximum was."""
    dx_p = np.zeros(cache.padded_shape, dtype=grad.dtype)
    for k, (rows, cols) in enumerate(_window_slices(cache.padded_shape[2:], cache.pool, cache.stride)):
        dx_p[:, :, rows, cols] += grad * (cache.argmax == k)
    return crop2d(dx_p, cache.pads)


def avg_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0)
) -> tuple[np.ndarray, NumpyPoolCache]:
    """x (N, C, H, W) -> y (N, C, OH, OW): sum of the KH·KW slices / (KH·KW); and the cache."""
    x_p = pad2d(x, pads, value=0.0)
    slices = _window_slices(x_p.shape[2:], pool, stride)
    rows, cols = slices[0]
    y = x_p[:, :, rows, cols].copy()
    for rows, cols in slices[1:]:
        y += x_p[:, :, rows, cols]
    y /= len(slices)
    return y, NumpyPoolCache(pool, stride, pads, x_p.shape)


def avg_pool2d_backward(grad: np.ndarray, cache: NumpyPoolCache) -> np.ndarray:
    """grad = dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W): δ / (KH·KW) added through every slice."""
    slices = _window_slices(cache.padded_shape[2:], cache.pool, cache.stride)
    share = grad / len(slices)
    dx_p = np.zeros(cache.padded_shape, dtype=grad.dtype)
    for rows, cols in slices:
        dx_p[:, :, rows, cols] += share
    return crop2d(dx_p, cache.pads)
