"""Convolution as one matrix multiply for the whole batch: im2col / col2im (the course's method 3, Caffe's trick).

im2col copies every KH×KW window of every channel into one column of a matrix ``col``;
the convolution of the whole batch is then ONE product with the filters, one filter a row:

    col = im2col(x)           (C·KH·KW, N·OH·OW)    one column per output pixel (n, i, j)
    z   = W @ col + b         (OC, C·KH·KW) @ (C·KH·KW, N·OH·OW) -> (OC, N·OH·OW)
    y   = z seen as (N, OC, OH, OW)

and the backward pass is three lines, as in deep-learning-from-scratch's ``Convolution``:

    db   = Σ dz
    dW   = dz @ colᵀ                      (OC, N·OH·OW) @ (N·OH·OW, C·KH·KW)
    dx   = col2im(Wᵀ @ dz)                each entry added back where im2col took it from

One product for the whole batch (rather than one per image) is what lets BLAS run at
full speed. The data movement around the products exists in two versions that compute
the same arrays (the tests check it):

* ``fast=False`` (``impl="im2col_numpy"``): plain NumPy, in this file — ``im2col`` is a
  strided view of the windows and one copy, ``col2im`` one strided add per kernel
  offset, padding by ``pad2d``, the (OC, N) -> (N, OC) swap by ``transpose``. Read these.
* ``fast=True`` (``impl="im2col"``, the default): the numba kernels of
  :mod:`.im2col_kernels`, which fold padding, cropping, the axis swap, the bias and
  dL/db into the copies, so each array is read and written once.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .conv import Pads, crop2d, output_size, pad2d


def im2col(x_p: np.ndarray, KH: int, KW: int, stride: tuple[int, int]) -> np.ndarray:
    """x_p (N, C, Hp, Wp) -> col (C·KH·KW, N·OH·OW); col[(c, ki, kj), (n, i, j)] = x_p[n, c, i·S + ki, j·S + kj]."""
    N, C = x_p.shape[:2]
    SH, SW = stride
    windows = sliding_window_view(x_p, (KH, KW), axis=(2, 3))[:, :, ::SH, ::SW]  # (N, C, OH, OW, KH, KW), a view
    return windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * KH * KW, -1)  # the one copy


def col2im(
    col: np.ndarray, padded_shape: tuple[int, ...], KH: int, KW: int, stride: tuple[int, int]
) -> np.ndarray:
    """col (C·KH·KW, N·OH·OW) -> x_p (N, C, Hp, Wp): each entry added back where im2col took it from."""
    N, C, Hp, Wp = padded_shape
    SH, SW = stride
    OH = (Hp - KH) // SH + 1
    OW = (Wp - KW) // SW + 1
    col = col.reshape(C, KH, KW, N, OH, OW)
    x_p = np.zeros(padded_shape, dtype=col.dtype)
    for ki in range(KH):
        for kj in range(KW):
            x_p[:, :, ki : ki + SH * OH : SH, kj : kj + SW * OW : SW] += col[:, ki, kj].transpose(1, 0, 2, 3)
    return x_p


def conv2d_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None, stride: tuple[int, int], pads: Pads, fast: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or None -> y (N, OC, OH, OW); also returns col for backward."""
    N, C, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    (SH, SW), (top, bottom, left, right) = stride, pads
    OH, OW = output_size(H, KH, SH, top, bottom), output_size(Wd, KW, SW, left, right)
    bias = b if b is not None else np.zeros(OC, dtype=W.dtype)
    if fast:
        from . import im2col_kernels as kernels  # imports numba on first use

        col = np.empty((C * KH * KW, N * OH * OW), dtype=W.dtype)
        kernels.im2col_rows(np.ascontiguousarray(x), KH, KW, SH, SW, top, left, OH, OW, col)
        z = W.reshape(OC, -1) @ col  # (OC, N·OH·OW): the whole batch in one product
        y = np.empty((N, OC, OH * OW), dtype=W.dtype)
        kernels.rows_to_nchw(z, bias, y)
    else:
        col = im2col(pad2d(x, pads), KH, KW, stride)
        z = W.reshape(OC, -1) @ col
        y = np.empty((N, OC, OH * OW), dtype=W.dtype)
        np.add(z.reshape(OC, N, OH * OW).transpose(1, 0, 2), bias.reshape(1, OC, 1), out=y)
    return y.reshape(N, OC, OH, OW), col


def conv2d_backward(
    dz: np.ndarray,
    col: np.ndarray,
    W: np.ndarray,
    stride: tuple[int, int],
    pads: Pads,
    input_shape: tuple[int, ...],
    need_dx: bool,
    fast: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """dz (N, OC, OH, OW) -> dL/dx (N, C, H, W) or None, dL/dW (OC, C, KH, KW), dL/db (OC,)."""
    N, OC, OH, OW = dz.shape
    KH, KW = W.shape[2:]
    SH, SW = stride
    if fast:
        from . import im2col_kernels as kernels

        rows = np.empty((OC, N * OH * OW), dtype=W.dtype)
        db = np.empty(OC, dtype=W.dtype)
        kernels.nchw_to_rows(np.ascontiguousarray(dz).reshape(N, OC, OH * OW), rows, db)
    else:
        rows = dz.transpose(1, 0, 2, 3).reshape(OC, -1)  # (OC, N·OH·OW), a copy
        db = dz.sum(axis=(0, 2, 3))
    # dW = dz @ colᵀ, computed as (col @ dzᵀ)ᵀ: the same numbers, but OpenBLAS runs this
    # orientation of a long, thin product (N·OH·OW summed over) up to twice as fast.
    dW = (col @ rows.T).T.reshape(W.shape)
    if not need_dx:
        return None, dW, db
    dcol = W.reshape(OC, -1).T @ rows  # (C·KH·KW, N·OH·OW)
    if fast:
        dx = np.empty(input_shape, dtype=W.dtype)
        kernels.col2im_rows(dcol, KH, KW, SH, SW, pads[0], pads[2], OH, OW, dx)
        return dx, dW, db
    N, C, H, Wd = input_shape
    padded_shape = (N, C, H + pads[0] + pads[1], Wd + pads[2] + pads[3])
    return crop2d(col2im(dcol, padded_shape, KH, KW, stride), pads), dW, db
