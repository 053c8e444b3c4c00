"""Convolution as the course's seven nested loops, compiled by numba (the course's method 2).

The loops compute the same sums as the reference in ``conv_loops``; only their order is
chosen for the machine: the kernel position (ki, kj) is fixed in the outer loops so the
innermost loop walks one output row, and memory, in order. Each kernel compiles once
per dtype (float32 for training, float64 for ``gradcheck``) and is cached on disk
(``cache=True``), so later runs start at once. This module imports numba; ``ops.conv``
imports this module only when ``impl="numba"`` is used.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _forward_kernel(x_p, W, SH, SW, z):  # pragma: no cover - compiled
    N, C = x_p.shape[0], x_p.shape[1]
    OC, KH, KW = W.shape[0], W.shape[2], W.shape[3]
    OH, OW = z.shape[2], z.shape[3]
    for n in range(N):
        for oc in range(OC):
            for c in range(C):
                for ki in range(KH):
                    for kj in range(KW):
                        w = W[oc, c, ki, kj]
                        for i in range(OH):
                            for j in range(OW):
                                z[n, oc, i, j] += w * x_p[n, c, i * SH + ki, j * SW + kj]


@njit(cache=True)
def _weight_grad_kernel(x_p, dz, SH, SW, dW):  # pragma: no cover - compiled
    N, C = x_p.shape[0], x_p.shape[1]
    OC, KH, KW = dW.shape[0], dW.shape[2], dW.shape[3]
    OH, OW = dz.shape[2], dz.shape[3]
    for oc in range(OC):
        for c in range(C):
            for ki in range(KH):
                for kj in range(KW):
                    acc = dW[oc, c, ki, kj]  # a zero of the array's own dtype
                    for n in range(N):
                        for i in range(OH):
                            for j in range(OW):
                                acc += dz[n, oc, i, j] * x_p[n, c, i * SH + ki, j * SW + kj]
                    dW[oc, c, ki, kj] = acc


@njit(cache=True)
def _input_grad_kernel(dz, W, SH, SW, dx_p):  # pragma: no cover - compiled
    N, C = dx_p.shape[0], dx_p.shape[1]
    OC, KH, KW = W.shape[0], W.shape[2], W.shape[3]
    OH, OW = dz.shape[2], dz.shape[3]
    for n in range(N):
        for oc in range(OC):
            for c in range(C):
                for ki in range(KH):
                    for kj in range(KW):
                        w = W[oc, c, ki, kj]
                        for i in range(OH):
                            for j in range(OW):
                                dx_p[n, c, i * SH + ki, j * SW + kj] += w * dz[n, oc, i, j]


def conv2d_forward(x_p: np.ndarray, W: np.ndarray, stride: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """x_p (N, C, Hp, Wp), W (OC, C, KH, KW) -> z (N, OC, OH, OW) without bias; cache x_p."""
    x_p = np.ascontiguousarray(x_p)
    W = np.ascontiguousarray(W)
    N, _, Hp, Wp = x_p.shape
    OC, _, KH, KW = W.shape
    SH, SW = int(stride[0]), int(stride[1])
    z = np.zeros((N, OC, (Hp - KH) // SH + 1, (Wp - KW) // SW + 1), dtype=x_p.dtype)
    _forward_kernel(x_p, W, SH, SW, z)
    return z, x_p


def conv2d_backward(
    dz: np.ndarray,
    x_p: np.ndarray,
    W: np.ndarray,
    stride: tuple[int, int],
    padded_shape: tuple[int, ...],
    need_dx: bool,
) -> tuple[np.ndarray | None, np.ndarray]:
    """dz (N, OC, OH, OW) -> dL/dx_p (N, C, Hp, Wp) or None, dL/dW (OC, C, KH, KW)."""
    dz = np.ascontiguousarray(dz)
    W = np.ascontiguousarray(W)
    SH, SW = int(stride[0]), int(stride[1])
    dW = np.zeros_like(W)
    _weight_grad_kernel(x_p, dz, SH, SW, dW)
    if not need_dx:
        return None, dW
    dx_p = np.zeros(padded_shape, dtype=dz.dtype)
    _input_grad_kernel(dz, W, SH, SW, dx_p)
    return dx_p, dW
