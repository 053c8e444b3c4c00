"""Convolution as the course's seven nested loops, compiled by numba (``impl="numba"``): a teaching variant.

The course computes the conv layer three ways — Python loops (``conv_reference``), these
loops compiled by numba (the course's method 2), and im2col (``conv_im2col_reference``,
``conv_fast``) — and ``glassnet bench`` times them side by side. This module is the middle
one: the same sums as the reference, with the loop order chosen for the machine: the
kernel position (ki, kj) is fixed in the outer loops so the innermost loop walks one
output row, and memory, in order. Padding is done here, as in the reference: ``pad2d`` on
the way in, ``crop2d`` of dL/dx on the way out.

Each kernel compiles once per dtype (float32 for training, float64 for ``gradcheck``) and
is cached on disk (``cache=True``), so later runs start at once. This module imports
numba; ``ops.conv`` imports it only when ``impl="numba"`` is used. With the environment
variable ``NUMBA_DISABLE_JIT=1`` the kernels run as plain Python, and a debugger can step
through them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit

from .shapes import ConvCache, Pads, crop2d, output_size, pad2d


@njit(cache=True)
def _forward_kernel(x_p, W, SH, SW, DH, DW, z):  # pragma: no cover - compiled
    """z[n, oc, i, j] += Σ_c Σ_ki Σ_kj W[oc, c, ki, kj] · x_p[n, c, i·SH + ki·DH, j·SW + kj·DW]."""
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
                                z[n, oc, i, j] += w * x_p[n, c, i * SH + ki * DH, j * SW + kj * DW]


@njit(cache=True)
def _weight_grad_kernel(x_p, grad, SH, SW, DH, DW, dW):  # pragma: no cover - compiled
    """dW[oc, c, ki, kj] = Σ_n Σ_i Σ_j grad[n, oc, i, j] · x_p[n, c, i·SH + ki·DH, j·SW + kj·DW]  (δ_W = x ⋆ δ_in)."""
    N, C = x_p.shape[0], x_p.shape[1]
    OC, KH, KW = dW.shape[0], dW.shape[2], dW.shape[3]
    OH, OW = grad.shape[2], grad.shape[3]
    for oc in range(OC):
        for c in range(C):
            for ki in range(KH):
                for kj in range(KW):
                    acc = dW[oc, c, ki, kj]  # a zero of the array's own dtype
                    for n in range(N):
                        for i in range(OH):
                            for j in range(OW):
                                acc += grad[n, oc, i, j] * x_p[n, c, i * SH + ki * DH, j * SW + kj * DW]
                    dW[oc, c, ki, kj] = acc


@njit(cache=True)
def _input_grad_kernel(grad, W, SH, SW, DH, DW, dx_p):  # pragma: no cover - compiled
    """dx_p[n, c, i·SH + ki·DH, j·SW + kj·DW] += W[oc, c, ki, kj] · grad[n, oc, i, j]  (δ_out, scattered).

    (δ_out = pad(δ_in) ⋆ W^rot180 with every product added where it lands, rather than gathered.)
    """
    N, C = dx_p.shape[0], dx_p.shape[1]
    OC, KH, KW = W.shape[0], W.shape[2], W.shape[3]
    OH, OW = grad.shape[2], grad.shape[3]
    for n in range(N):
        for oc in range(OC):
            for c in range(C):
                for ki in range(KH):
                    for kj in range(KW):
                        w = W[oc, c, ki, kj]
                        for i in range(OH):
                            for j in range(OW):
                                dx_p[n, c, i * SH + ki * DH, j * SW + kj * DW] += w * grad[n, oc, i, j]


@dataclass
class NumbaLoopsCache(ConvCache):
    """What the backward kernels need from the forward pass."""

    impl: ClassVar[str] = "numba"
    x_p: np.ndarray
    """The padded input (N, C, H + PT + PB, W + PL + PR), C-contiguous."""


def conv2d_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None, stride: tuple[int, int], pads: Pads,
    dilation: tuple[int, int] = (1, 1),
) -> tuple[np.ndarray, NumbaLoopsCache]:
    """x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or None -> z (N, OC, OH, OW) and the cache for backward."""
    x_p = np.ascontiguousarray(pad2d(x, pads))
    W = np.ascontiguousarray(W)
    N, _, Hp, Wp = x_p.shape
    OC, _, KH, KW = W.shape
    SH, SW = int(stride[0]), int(stride[1])
    DH, DW = int(dilation[0]), int(dilation[1])
    z = np.zeros((N, OC, output_size(Hp, KH, SH, 0, 0, DH), output_size(Wp, KW, SW, 0, 0, DW)), dtype=x_p.dtype)
    _forward_kernel(x_p, W, SH, SW, DH, DW, z)
    if b is not None:
        z += b.reshape(1, -1, 1, 1)
    return z, NumbaLoopsCache(W=W, stride=stride, pads=pads, has_bias=b is not None, dilation=dilation, x_p=x_p)


def conv2d_backward(
    grad: np.ndarray, cache: NumbaLoopsCache, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """grad = dL/dz (N, OC, OH, OW) -> dL/dx (N, C, H, W) or None, dL/dW (OC, C, KH, KW), dL/db (OC,) or None."""
    grad = np.ascontiguousarray(grad)
    db = grad.sum(axis=(0, 2, 3)) if cache.has_bias else None  # δ_b = Σ δ_in
    SH, SW = int(cache.stride[0]), int(cache.stride[1])
    DH, DW = int(cache.dilation[0]), int(cache.dilation[1])
    dW = np.zeros_like(cache.W)
    _weight_grad_kernel(cache.x_p, grad, SH, SW, DH, DW, dW)
    if not need_dx:
        return None, dW, db
    dx_p = np.zeros(cache.x_p.shape, dtype=grad.dtype)
    _input_grad_kernel(grad, cache.W, SH, SW, DH, DW, dx_p)
    return crop2d(dx_p, cache.pads), dW, db
