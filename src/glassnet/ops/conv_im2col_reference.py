"""Convolution as one matrix product for the whole batch, in plain NumPy (``impl="im2col_numpy"``).

The course's method 3 (Caffe's trick), and the readable reference of the fast path
(``conv_fast``, which computes the same arrays with numba copies). im2col copies every
KH×KW window of every channel into one column of a matrix ``col``; the convolution of the
whole batch is then ONE product with the filters, one filter a row:

    col = im2col(pad(x))      (C·KH·KW, N·OH·OW)    one column per output pixel (n, i, j)
    z   = W @ col + b         (OC, C·KH·KW) @ (C·KH·KW, N·OH·OW) -> (OC, N·OH·OW)
    y   = z seen as (N, OC, OH, OW)

and the backward pass is three lines, as in deep-learning-from-scratch's ``Convolution``
(grad = dL/dz seen as the (OC, N·OH·OW) matrix ``rows``):

    db   = Σ grad
    dW   = rows @ colᵀ                    (OC, N·OH·OW) @ (N·OH·OW, C·KH·KW)
    dx   = crop(col2im(Wᵀ @ rows))        each entry added back where im2col took it from

One product for the whole batch (rather than one per image) is what lets BLAS run at
full speed. Here ``im2col`` is a strided view of the windows and one copy, ``col2im`` one
strided add per kernel offset, padding ``pad2d`` on the way in and ``crop2d`` on the way
out, the (OC, N) -> (N, OC) swap a ``transpose``. Read these first, then ``conv_fast``.
Dilation D changes only which pixels a column holds: x_p[n, c, i·S + ki·D, j·S + kj·D].
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .shapes import ConvCache, Pads, crop2d, output_size, pad2d, span


def im2col(
    x_p: np.ndarray, KH: int, KW: int, stride: tuple[int, int], dilation: tuple[int, int] = (1, 1)
) -> np.ndarray:
    """x_p (N, C, Hp, Wp) -> col (C·KH·KW, N·OH·OW); col[(c, ki, kj), (n, i, j)] = x_p[n, c, i·S + ki·D, j·S + kj·D]."""
    N, C = x_p.shape[:2]
    (SH, SW), (DH, DW) = stride, dilation
    # Every window of D·(K - 1) + 1 pixels, then every D-th pixel of it: (N, C, OH, OW, KH, KW), a view
    windows = sliding_window_view(x_p, (span(KH, DH), span(KW, DW)), axis=(2, 3))[:, :, ::SH, ::SW, ::DH, ::DW]
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * KH * KW, -1)  # the one copy


def col2im(
    col: np.ndarray, padded_shape: tuple[int, ...], KH: int, KW: int, stride: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
) -> np.ndarray:
    """col (C·KH·KW, N·OH·OW) -> x_p (N, C, Hp, Wp): each entry added back where im2col took it from."""
    N, C, Hp, Wp = padded_shape
    (SH, SW), (DH, DW) = stride, dilation
    OH = output_size(Hp, KH, SH, 0, 0, DH)
    OW = output_size(Wp, KW, SW, 0, 0, DW)
    col = col.reshape(C, KH, KW, N, OH, OW)
    x_p = np.zeros(padded_shape, dtype=col.dtype)
    for ki in range(KH):
        for kj in range(KW):
            h, w = ki * DH, kj * DW  # where kernel entry (ki, kj) meets the window's first pixel
            x_p[:, :, h : h + SH * OH : SH, w : w + SW * OW : SW] += col[:, ki, kj].transpose(1, 0, 2, 3)
    return x_p


@dataclass
class Im2colCache(ConvCache):
    """What the backward products need from the forward pass."""

    impl: ClassVar[str] = "im2col_numpy"
    col: np.ndarray
    """im2col of the padded input, (C·KH·KW, N·OH·OW)."""
    input_shape: tuple[int, int, int, int]


def conv2d_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None, stride: tuple[int, int], pads: Pads,
    dilation: tuple[int, int] = (1, 1),
) -> tuple[np.ndarray, Im2colCache]:
    """x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or None -> z (N, OC, OH, OW) and the cache for backward."""
    N, C, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    (SH, SW), (DH, DW), (top, bottom, left, right) = stride, dilation, pads
    OH, OW = output_size(H, KH, SH, top, bottom, DH), output_size(Wd, KW, SW, left, right, DW)
    bias = b if b is not None else np.zeros(OC, dtype=W.dtype)
    col = im2col(pad2d(x, pads), KH, KW, stride, dilation)
    z = W.reshape(OC, -1) @ col  # (OC, N·OH·OW): the whole batch in one product
    y = np.empty((N, OC, OH * OW), dtype=W.dtype)
    np.add(z.reshape(OC, N, OH * OW).transpose(1, 0, 2), bias.reshape(1, OC, 1), out=y)
    cache = Im2colCache(W=W, stride=stride, pads=pads, has_bias=b is not None, dilation=dilation, col=col,
                        input_shape=x.shape)
    return y.reshape(N, OC, OH, OW), cache


def conv2d_backward(
    grad: np.ndarray, cache: Im2colCache, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """grad = dL/dz (N, OC, OH, OW) -> dL/dx (N, C, H, W) or None, dL/dW (OC, C, KH, KW), dL/db (OC,) or None."""
    col, W, pads = cache.col, cache.W, cache.pads
    OC, _, KH, KW = W.shape
    rows = grad.transpose(1, 0, 2, 3).reshape(OC, -1)  # (OC, N·OH·OW), a copy
    db = grad.sum(axis=(0, 2, 3)) if cache.has_bias else None
    # dW = rows @ colᵀ, computed as (col @ rowsᵀ)ᵀ: the same numbers, but OpenBLAS runs this
    # orientation of a long, thin product (N·OH·OW summed over) up to twice as fast.
    dW = (col @ rows.T).T.reshape(W.shape)
    if not need_dx:
        return None, dW, db
    dcol = W.reshape(OC, -1).T @ rows  # (C·KH·KW, N·OH·OW)
    N, C, H, Wd = cache.input_shape
    padded_shape = (N, C, H + pads[0] + pads[1], Wd + pads[2] + pads[3])
    return crop2d(col2im(dcol, padded_shape, KH, KW, cache.stride, cache.dilation), pads), dW, db
