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
puts each value back where its window started. With dilation D (the kernel's entries D
apart, as in PyTorch's ``dilation``) the same three lines hold with the window's steps
written out: the forward window reads every D-th pixel, δ_W moves its window D pixels at a
time, and δ_out's W^rot180 reads every D-th entry of the padded δ_in (padded by D·(KH - 1)). Padding is done here, on the way in
(``pad2d``) and on the way out (``crop2d`` of δ_out), so the loops only ever see a padded
image. It is slow on purpose: test and teach with it, train with the fast path
(``conv_fast``). To train a model with it: ``Conv2D(..., impl="loops")``, or
``glassnet.layers.use_implementation(model, "reference")`` for every conv and pooling layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .shapes import ConvCache, Pads, crop2d, output_size, pad2d, span


def correlate2d(
    image: np.ndarray, kernel: np.ndarray, stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1)
) -> np.ndarray:
    """(H, W) ⋆ (KH, KW) -> (OH, OW): h(i, j) = Σ_m Σ_n I(i·S + m·D, j·S + n·D) · K(m, n)."""
    KH, KW = kernel.shape
    (SH, SW), (DH, DW) = stride, dilation
    OH = output_size(image.shape[0], KH, SH, 0, 0, DH)
    OW = output_size(image.shape[1], KW, SW, 0, 0, DW)
    out = np.zeros((OH, OW), dtype=np.result_type(image, kernel))
    for i in range(OH):
        for j in range(OW):  # the window: KH×KW pixels, D apart, starting at (i·S, j·S)
            window = image[i * SH : i * SH + span(KH, DH) : DH, j * SW : j * SW + span(KW, DW) : DW]
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
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None, stride: tuple[int, int], pads: Pads,
    dilation: tuple[int, int] = (1, 1),
) -> tuple[np.ndarray, LoopsCache]:
    """x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or None -> z (N, OC, OH, OW) and the cache for backward."""
    x_p = pad2d(x, pads)
    N, C = x_p.shape[:2]
    OC = W.shape[0]
    OH, OW = correlate2d(x_p[0, 0], W[0, 0], stride, dilation).shape
    z = np.zeros((N, OC, OH, OW), dtype=x_p.dtype)
    for n in range(N):
        for oc in range(OC):
            for c in range(C):  # one filter = one kernel per input channel, summed
                z[n, oc] += correlate2d(x_p[n, c], W[oc, c], stride, dilation)
    if b is not None:
        z += b.reshape(1, -1, 1, 1)
    return z, LoopsCache(W=W, stride=stride, pads=pads, has_bias=b is not None, dilation=dilation, x_p=x_p)


def conv2d_backward(
    delta_in: np.ndarray, cache: LoopsCache, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """δ_in = dL/dz (N, OC, OH, OW) -> δ_out = dL/dx (N, C, H, W) or None, dL/dW (OC, C, KH, KW), dL/db (OC,) or None."""
    x_p, W, stride, dilation = cache.x_p, cache.W, cache.stride, cache.dilation
    N, C = x_p.shape[:2]
    OC, _, KH, KW = W.shape
    OH, OW = delta_in.shape[2:]
    delta_in = np.ascontiguousarray(delta_in)
    db = delta_in.sum(axis=(0, 2, 3)) if cache.has_bias else None  # δ_b = Σ δ_in
    # Rows and columns past the last window (floor mode) never reach the output: no gradient.
    HU = (OH - 1) * stride[0] + span(KH, dilation[0])
    WU = (OW - 1) * stride[1] + span(KW, dilation[1])

    dW = np.zeros_like(W)
    for oc in range(OC):
        for c in range(C):
            for n in range(N):  # δ_W = x ⋆ δ_in (the δ_in-sized window moved D pixels at a time)
                dW[oc, c] += correlate2d(x_p[n, c, :HU, :WU], dilate(delta_in[n, oc], stride), stride=dilation)

    if not need_dx:
        return None, dW, db
    delta_out = np.zeros(x_p.shape, dtype=delta_in.dtype)  # dL/dx_p, padding included
    PH, PW = span(KH, dilation[0]) - 1, span(KW, dilation[1]) - 1  # D·(KH - 1): a "full" correlation
    for n in range(N):
        for c in range(C):
            for oc in range(OC):  # δ_out = pad(δ_in) ⋆ W^rot180 (its entries D apart)
                full = np.pad(dilate(delta_in[n, oc], stride), ((PH, PH), (PW, PW)))
                delta_out[n, c, :HU, :WU] += correlate2d(full, rot180(W[oc, c]), dilation=dilation)
    return crop2d(delta_out, cache.pads), dW, db
