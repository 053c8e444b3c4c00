"""Pooling in NumPy: loop over the KH·KW offsets inside the window, not over output pixels.

For a window offset (ki, kj), the inputs x_p[:, :, i·S + ki, j·S + kj] over all output
pixels (i, j) form one strided slice of the input. Max pooling keeps a running maximum
over these KH·KW slices, and remembers which offset won (``argmax``, the first maximum on
ties, as PyTorch does); the backward pass sends each δ back through the slice of its
winning offset. Average pooling sums the slices. Same results as ``pool_reference``.
"""
from __future__ import annotations

import numpy as np


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
    x_p: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """x_p (N, C, Hp, Wp) -> y (N, C, OH, OW), cache argmax (N, C, OH, OW): the winning window offset."""
    slices = _window_slices(x_p.shape[2:], pool, stride)
    rows, cols = slices[0]
    y = x_p[:, :, rows, cols].copy()
    argmax = np.zeros(y.shape, dtype=np.uint8 if len(slices) <= 256 else np.int32)
    for k, (rows, cols) in enumerate(slices[1:], start=1):
        candidate = x_p[:, :, rows, cols]
        better = candidate > y  # strictly greater: the first maximum wins ties
        np.copyto(y, candidate, where=better)
        np.copyto(argmax, k, where=better)
    return y, argmax


def max_pool2d_backward(
    dy: np.ndarray,
    argmax: np.ndarray,
    padded_shape: tuple[int, ...],
    pool: tuple[int, int],
    stride: tuple[int, int],
) -> np.ndarray:
    """dy (N, C, OH, OW) -> dL/dx_p (N, C, Hp, Wp): each δ added where its window's maximum was."""
    dx_p = np.zeros(padded_shape, dtype=dy.dtype)
    for k, (rows, cols) in enumerate(_window_slices(padded_shape[2:], pool, stride)):
        dx_p[:, :, rows, cols] += dy * (argmax == k)
    return dx_p


def avg_pool2d_forward(x_p: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]) -> tuple[np.ndarray, None]:
    """x_p (N, C, Hp, Wp) -> y (N, C, OH, OW): sum of the KH·KW slices / (KH·KW)."""
    slices = _window_slices(x_p.shape[2:], pool, stride)
    rows, cols = slices[0]
    y = x_p[:, :, rows, cols].copy()
    for rows, cols in slices[1:]:
        y += x_p[:, :, rows, cols]
    y /= len(slices)
    return y, None


def avg_pool2d_backward(
    dy: np.ndarray, padded_shape: tuple[int, ...], pool: tuple[int, int], stride: tuple[int, int]
) -> np.ndarray:
    """dy (N, C, OH, OW) -> dL/dx_p (N, C, Hp, Wp): δ / (KH·KW) added through every slice."""
    slices = _window_slices(padded_shape[2:], pool, stride)
    share = dy / len(slices)
    dx_p = np.zeros(padded_shape, dtype=dy.dtype)
    for rows, cols in slices:
        dx_p[:, :, rows, cols] += share
    return dx_p
