"""The readable reference for pooling (``impl="reference"``): one Python loop iteration per output pixel.

Max pooling:     y = max(window);   the gradient goes to the (first) maximum, 0 elsewhere.
Average pooling: y = mean(window);  every input of the window gets δ / (KH·KW).

Windows may overlap (stride < size): an input in several windows collects every gradient
sent to it. Padding is done here, on the way in and out: max pooling pads with -inf (the
padding never wins), average pooling with zeros that count in the mean. To train a model
with it: ``MaxPool2D(..., impl="reference")``, or ``glassnet.layers.use_implementation(model,
"reference")`` for every conv and pooling layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .shapes import Pads, crop2d, pad2d


@dataclass
class ReferencePoolCache:
    """What the backward loops need from the forward pass."""

    impl: ClassVar[str] = "reference"
    pool: tuple[int, int]
    stride: tuple[int, int]
    pads: Pads
    padded_shape: tuple[int, int, int, int]
    x_p: np.ndarray | None = None
    """Max pooling: the padded input, to find each window's maximum again; average pooling: None."""


def _output_hw(x_p: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    return (x_p.shape[2] - pool[0]) // stride[0] + 1, (x_p.shape[3] - pool[1]) // stride[1] + 1


def max_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0)
) -> tuple[np.ndarray, ReferencePoolCache]:
    """x (N, C, H, W) -> y (N, C, OH, OW), the maximum of each window, and the cache for backward."""
    x_p = pad2d(x, pads, value=-np.inf)
    (KH, KW), (SH, SW) = pool, stride
    N, C = x_p.shape[:2]
    OH, OW = _output_hw(x_p, pool, stride)
    y = np.empty((N, C, OH, OW), dtype=x_p.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    y[n, c, i, j] = x_p[n, c, i * SH : i * SH + KH, j * SW : j * SW + KW].max()
    return y, ReferencePoolCache(pool, stride, pads, x_p.shape, x_p)


def max_pool2d_backward(grad: np.ndarray, cache: ReferencePoolCache) -> np.ndarray:
    """grad = dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W): each δ routed to its window's maximum."""
    (KH, KW), (SH, SW), x_p = cache.pool, cache.stride, cache.x_p
    assert x_p is not None  # the max pooling's forward pass keeps the padded input
    N, C, OH, OW = grad.shape
    dx_p = np.zeros_like(x_p)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x_p[n, c, i * SH : i * SH + KH, j * SW : j * SW + KW]
                    m, k = np.unravel_index(np.argmax(window), window.shape)
                    dx_p[n, c, i * SH + m, j * SW + k] += grad[n, c, i, j]
    return crop2d(dx_p, cache.pads)


def avg_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0)
) -> tuple[np.ndarray, ReferencePoolCache]:
    """x (N, C, H, W) -> y (N, C, OH, OW), the mean of each window (padding zeros included), and the cache."""
    x_p = pad2d(x, pads, value=0.0)
    (KH, KW), (SH, SW) = pool, stride
    N, C = x_p.shape[:2]
    OH, OW = _output_hw(x_p, pool, stride)
    y = np.empty((N, C, OH, OW), dtype=x_p.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    y[n, c, i, j] = x_p[n, c, i * SH : i * SH + KH, j * SW : j * SW + KW].mean()
    return y, ReferencePoolCache(pool, stride, pads, x_p.shape)


def avg_pool2d_backward(grad: np.ndarray, cache: ReferencePoolCache) -> np.ndarray:
    """grad = dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W): δ / (KH·KW) to every input of the window."""
    (KH, KW), (SH, SW) = cache.pool, cache.stride
    N, C, OH, OW = grad.shape
    dx_p = np.zeros(cache.padded_shape, dtype=grad.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    dx_p[n, c, i * SH : i * SH + KH, j * SW : j * SW + KW] += grad[n, c, i, j] / (KH * KW)
    return crop2d(dx_p, cache.pads)
