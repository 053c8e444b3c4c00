"""The readable reference for pooling: one Python loop iteration per output pixel.

Max pooling:     y = max(window);   the gradient goes to the (first) maximum, 0 elsewhere.
Average pooling: y = mean(window);  every input of the window gets δ / (KH·KW).

Windows may overlap (stride < size): an input in several windows collects every gradient
sent to it. Inputs arrive already padded (see ``ops.pool``).
"""
from __future__ import annotations

import numpy as np


def _output_hw(x_p: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    return (x_p.shape[2] - pool[0]) // stride[0] + 1, (x_p.shape[3] - pool[1]) // stride[1] + 1


def max_pool2d_forward(x_p: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """x_p (N, C, Hp, Wp) -> y (N, C, OH, OW), cache x_p."""
    (KH, KW), (SH, SW) = pool, stride
    N, C = x_p.shape[:2]
    OH, OW = _output_hw(x_p, pool, stride)
    y = np.empty((N, C, OH, OW), dtype=x_p.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    y[n, c, i, j] = x_p[n, c, i * SH : i * SH + KH, j * SW : j * SW + KW].max()
    return y, x_p


def max_pool2d_backward(
    dy: np.ndarray, x_p: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]
) -> np.ndarray:
    """dy (N, C, OH, OW) -> dL/dx_p (N, C, Hp, Wp): each δ routed to its window's maximum."""
    (KH, KW), (SH, SW) = pool, stride
    N, C, OH, OW = dy.shape
    dx_p = np.zeros_like(x_p)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    window = x_p[n, c, i * SH : i * SH + KH, j * SW : j * SW + KW]
                    m, k = np.unravel_index(np.argmax(window), window.shape)
                    dx_p[n, c, i * SH + m, j * SW + k] += dy[n, c, i, j]
    return dx_p


def avg_pool2d_forward(x_p: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]) -> tuple[np.ndarray, None]:
    """x_p (N, C, Hp, Wp) -> y (N, C, OH, OW); nothing to cache."""
    (KH, KW), (SH, SW) = pool, stride
    N, C = x_p.shape[:2]
    OH, OW = _output_hw(x_p, pool, stride)
    y = np.empty((N, C, OH, OW), dtype=x_p.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    y[n, c, i, j] = x_p[n, c, i * SH : i * SH + KH, j * SW : j * SW + KW].mean()
    return y, None


def avg_pool2d_backward(
    dy: np.ndarray, padded_shape: tuple[int, ...], pool: tuple[int, int], stride: tuple[int, int]
) -> np.ndarray:
    """dy (N, C, OH, OW) -> dL/dx_p (N, C, Hp, Wp): δ / (KH·KW) to every input of the window."""
    (KH, KW), (SH, SW) = pool, stride
    N, C, OH, OW = dy.shape
    dx_p = np.zeros(padded_shape, dtype=dy.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    dx_p[n, c, i * SH : i * SH + KH, j * SW : j * SW + KW] += dy[n, c, i, j] / (KH * KW)
    return dx_p
