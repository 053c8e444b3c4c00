"""The readable reference: convolution forward and backward as plain Python loops.

Everything is built from one function, ``correlate2d`` — the course's formula 5,
h(i, j) = Σ_m Σ_n I(i + m, j + n) · K(m, n) — and reads like the course's backward pass:

    δ_b   = Σ δ_in                              (one sum per filter)
    δ_W   = input ⋆ δ_in                        (correlate the input with the gradient)
    δ_out = pad(δ_in) ⋆ W^rot180                (a "full" correlation with the flipped kernel)

With stride S the gradient δ_in is first dilated (S - 1 zeros between its entries), which
puts each value back where its window started. It is slow on purpose: test and teach
with it, train with ``im2col``. Inputs arrive already padded (see ``ops.conv``).
"""
from __future__ import annotations

import numpy as np


def correlate2d(image: np.ndarray, kernel: np.ndarray, stride: tuple[int, int] = (1, 1)) -> np.ndarray:
    """(H, W) ⋆ (KH, KW) -> (OH, OW): h(i, j) = Σ_m Σ_n I(i·S + m, j·S + n) · K(m, n)."""
    KH, KW = kernel.shape
    SH, SW = stride
    OH = (image.shape[0] - KH) // SH + 1
    OW = (image.shape[1] - KW) // SW + 1
    out = np.zeros((OH, OW), dtype=np.result_type(image, kernel))
    for i in range(OH):
        for j in range(OW):
            window = image[i * SH : i * SH + KH, j * SW : j * SW + KW]
            out[i, j] = np.sum(window * kernel)
    return out


def dilate(delta: np.ndarray, stride: tuple[int, int]) -> np.ndarray:
    """(OH, OW) -> ((OH-1)·SH + 1, (OW-1)·SW + 1): S - 1 zeros between neighbouring entries."""
    SH, SW = stride
    OH, OW = delta.shape
    out = np.zeros(((OH - 1) * SH + 1, (OW - 1) * SW + 1), dtype=delta.dtype)
    out[::SH, ::SW] = delta
    return out


def rot180(kernel: np.ndarray) -> np.ndarray:
    """(KH, KW) -> (KH, KW) turned half a circle: flipped upside down and left to right."""
    return kernel[::-1, ::-1]


def conv2d_forward(x_p: np.ndarray, W: np.ndarray, stride: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """x_p (N, C, Hp, Wp), W (OC, C, KH, KW) -> z (N, OC, OH, OW) without bias; cache x_p."""
    N, C = x_p.shape[:2]
    OC = W.shape[0]
    OH, OW = correlate2d(x_p[0, 0], W[0, 0], stride).shape
    z = np.zeros((N, OC, OH, OW), dtype=x_p.dtype)
    for n in range(N):
        for oc in range(OC):
            for c in range(C):  # one filter = one kernel per input channel, summed
                z[n, oc] += correlate2d(x_p[n, c], W[oc, c], stride)
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
    N, C = x_p.shape[:2]
    OC, _, KH, KW = W.shape
    OH, OW = dz.shape[2:]
    # Rows and columns past the last window (floor mode) never reach the output: no gradient.
    HU = (OH - 1) * stride[0] + KH
    WU = (OW - 1) * stride[1] + KW

    dW = np.zeros_like(W)
    for oc in range(OC):
        for c in range(C):
            for n in range(N):  # δ_W = input ⋆ δ_in
                dW[oc, c] += correlate2d(x_p[n, c, :HU, :WU], dilate(dz[n, oc], stride))

    if not need_dx:
        return None, dW
    dx_p = np.zeros(padded_shape, dtype=dz.dtype)
    for n in range(N):
        for c in range(C):
            for oc in range(OC):  # δ_out = pad(δ_in) ⋆ W^rot180
                delta = np.pad(dilate(dz[n, oc], stride), ((KH - 1, KH - 1), (KW - 1, KW - 1)))
                dx_p[n, c, :HU, :WU] += correlate2d(delta, rot180(W[oc, c]))
    return dx_p, dW
