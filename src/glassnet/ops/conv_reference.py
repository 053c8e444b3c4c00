"""The readable reference for convolution (``impl="loops"``, alias ``"reference"``): plain Python loops.

Everything is built from one function, ``correlate2d`` — the course's formula 5,
h(i, j) = Σ_m Σ_n I(i + m, j + n) · K(m, n) — and the backward pass reads like the course's,
with δ_in = dL/dz, the gradient arriving from the layer above, and δ_out = dL/dx, the
gradient passed down to the layer below:

    z     = x ⋆ W + b                            (one correlation per input channel, summed)
    δ_b   = Σ δ_in                              (one sum per filter)
    δ_W   = x ⋆ δ_in                            (correlate the input with the gradient)
    δ_out = pad(δ_in) ⋆ W^rot180                (a "full" correlation with the flipped kernel)

With stride S the gradient δ_in is first dilated (S - 1 zeros between its entries), which
puts each value back where its window started. Padding is done here, on the way in
(``pad2d``) and on the way out (``crop2d`` of δ_out), so the loops only ever see a padded
image. It is slow on purpose: test and teach with it, train with the fast path
(``conv_fast``). To train a model with it: ``Conv2D(..., impl="loops")``, or
``glassnet.layers.use_implementation(model, "reference")`` for every conv and pooling layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .shapes import ConvCache, Pads, crop2d, pad2d


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


@dataclass
class LoopsCache(ConvCache):
    """What the backward loops need from the forward pass."""

    impl: ClassVar[str] = "loops"
    x_p: np.ndarray
    """The padded input (N, C, H + PT + PB, W + PL + PR)."""


def conv2d_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None, stride: tuple[int, int], pads: Pads
) -> tuple[np.ndarray, LoopsCache]:
    """x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or None -> z (N, OC, OH, OW) and the cache for backward."""
    x_p = pad2d(x, pads)
    N, C = x_p.shape[:2]
    OC = W.shape[0]
    OH, OW = correlate2d(x_p[0, 0], W[0, 0], stride).shape
    z = np.zeros((N, OC, OH, OW), dtype=x_p.dtype)
    for n in range(N):
        for oc in range(OC):
            for c in range(C):  # one filter = one kernel per input channel, summed
                z[n, oc] += correlate2d(x_p[n, c], W[oc, c], stride)
    if b is not None:
        z += b.reshape(1, -1, 1, 1)
    return z, LoopsCache(W=W, stride=stride, pads=pads, has_bias=b is not None, x_p=x_p)


def conv2d_backward(
    delta_in: np.ndarray, cache: LoopsCache, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """δ_in = dL/dz (N, OC, OH, OW) -> δ_out = dL/dx (N, C, H, W) or None, dL/dW (OC, C, KH, KW), dL/db (OC,) or None."""
    x_p, W, stride = cache.x_p, cache.W, cache.stride
    N, C = x_p.shape[:2]
    OC, _, KH, KW = W.shape
    OH, OW = delta_in.shape[2:]
    delta_in = np.ascontiguousarray(delta_in)
    db = delta_in.sum(axis=(0, 2, 3)) if cache.has_bias else None  # δ_b = Σ δ_in
    # Rows and columns past the last window (floor mode) never reach the output: no gradient.
    HU = (OH - 1) * stride[0] + KH
    WU = (OW - 1) * stride[1] + KW

    dW = np.zeros_like(W)
    for oc in range(OC):
        for c in range(C):
            for n in range(N):  # δ_W = x ⋆ δ_in
                dW[oc, c] += correlate2d(x_p[n, c, :HU, :WU], dilate(delta_in[n, oc], stride))

    if not need_dx:
        return None, dW, db
    delta_out = np.zeros(x_p.shape, dtype=delta_in.dtype)  # dL/dx_p, padding included
    for n in range(N):
        for c in range(C):
            for oc in range(OC):  # δ_out = pad(δ_in) ⋆ W^rot180
                full = np.pad(dilate(delta_in[n, oc], stride), ((KH - 1, KH - 1), (KW - 1, KW - 1)))
                delta_out[n, c, :HU, :WU] += correlate2d(full, rot180(W[oc, c]))
    return crop2d(delta_out, cache.pads), dW, db
