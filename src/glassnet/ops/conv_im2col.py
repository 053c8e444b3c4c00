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
  dL/db into the copies, so each array is read and written once; and the columns are
  built for a few images at a time, so they are still in the CPU cache when the product
  reads them (see ``_fast_forward``). The sums are the same; only their grouping differs.
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


CHUNK_BYTES = 512 * 1024
"""Size of the columns the fast path builds at a time: small enough to stay in the CPU's caches.

Measured on one thread (conv forward + backward, 32 and 64 images): LeNet-5's first conv
and the CIFAR net's take 40 % less time in 512 kB groups than in 2 MB ones, and 2.5x less
than with no grouping. (When BLAS ran its own threads, small groups lost: each product
woke them. glassnet's threads now take whole slices of the batch, BLAS runs on one.)
"""

MIN_COLUMNS = 512
"""Fewest columns (output pixels) in one group: a product with fewer is too thin for BLAS.

Deep layers have few pixels per image (VGG's 512 channels at 4x4: 16); one image per
group there made the step 1.8x slower than groups of 32 images.
"""


def _chunks(N: int, bytes_per_image: int, columns_per_image: int) -> tuple[list[tuple[int, int]], int]:
    """Images 0..N in consecutive (start, stop) groups: columns within CHUNK_BYTES, at least MIN_COLUMNS; and the group size."""
    per = max(CHUNK_BYTES // max(bytes_per_image, 1), -(-MIN_COLUMNS // max(columns_per_image, 1)))
    per = min(N, max(1, per))
    return [(start, min(N, start + per)) for start in range(0, N, per)], per


def conv2d_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None, stride: tuple[int, int], pads: Pads, fast: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or None -> y (N, OC, OH, OW); also what backward needs.

    What is saved for backward: col (NumPy path), or x itself (fast path, which rebuilds the
    columns group by group in backward rather than keep them all in memory).
    """
    N, C, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    (SH, SW), (top, bottom, left, right) = stride, pads
    OH, OW = output_size(H, KH, SH, top, bottom), output_size(Wd, KW, SW, left, right)
    bias = b if b is not None else np.zeros(OC, dtype=W.dtype)
    if fast:
        return _fast_forward(np.ascontiguousarray(x), W, bias, stride, pads, OH, OW), np.ascontiguousarray(x)
    col = im2col(pad2d(x, pads), KH, KW, stride)
    z = W.reshape(OC, -1) @ col  # (OC, N·OH·OW): the whole batch in one product
    y = np.empty((N, OC, OH * OW), dtype=W.dtype)
    np.add(z.reshape(OC, N, OH * OW).transpose(1, 0, 2), bias.reshape(1, OC, 1), out=y)
    return y.reshape(N, OC, OH, OW), col


def conv2d_backward(
    dz: np.ndarray,
    saved: np.ndarray,
    W: np.ndarray,
    stride: tuple[int, int],
    pads: Pads,
    input_shape: tuple[int, ...],
    need_dx: bool,
    fast: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """dz (N, OC, OH, OW) -> dL/dx (N, C, H, W) or None, dL/dW (OC, C, KH, KW), dL/db (OC,)."""
    if fast:
        return _fast_backward(np.ascontiguousarray(dz), saved, W, stride, pads, need_dx)
    col = saved
    N, OC, OH, OW = dz.shape
    KH, KW = W.shape[2:]
    rows = dz.transpose(1, 0, 2, 3).reshape(OC, -1)  # (OC, N·OH·OW), a copy
    db = dz.sum(axis=(0, 2, 3))
    # dW = dz @ colᵀ, computed as (col @ dzᵀ)ᵀ: the same numbers, but OpenBLAS runs this
    # orientation of a long, thin product (N·OH·OW summed over) up to twice as fast.
    dW = (col @ rows.T).T.reshape(W.shape)
    if not need_dx:
        return None, dW, db
    dcol = W.reshape(OC, -1).T @ rows  # (C·KH·KW, N·OH·OW)
    N, C, H, Wd = input_shape
    padded_shape = (N, C, H + pads[0] + pads[1], Wd + pads[2] + pads[3])
    return crop2d(col2im(dcol, padded_shape, KH, KW, stride), pads), dW, db


# ---------------------------------------------------------------------------------
# The fast path: the same products, a few images at a time, copies by numba kernels
# ---------------------------------------------------------------------------------
# For a small layer the columns are much bigger than the input (25× for a 5×5 kernel) and
# each entry is used only OC times, so building all of them first and multiplying after
# spends most of the time moving them through memory. Built for a few images at a time
# (``_chunks``), they are still in the cache when the product reads them, and backward
# rebuilds them the same way instead of keeping them all (less memory).
def _fast_forward(x, W, bias, stride, pads, OH, OW):
    from . import im2col_kernels as kernels  # imports numba on first use

    N, C = x.shape[:2]
    OC, _, KH, KW = W.shape
    P, CKK = OH * OW, C * KH * KW
    W2 = W.reshape(OC, CKK)
    y = np.empty((N, OC, P), dtype=W.dtype)
    groups, per = _chunks(N, CKK * P * W.itemsize, P)
    buffer = np.empty(CKK * per * P, dtype=W.dtype)  # one group's columns, reused by every group
    for start, stop in groups:
        col = buffer[: CKK * (stop - start) * P].reshape(CKK, (stop - start) * P)
        kernels.im2col_rows(x[start:stop], KH, KW, *stride, pads[0], pads[2], OH, OW, col)
        kernels.rows_to_nchw(W2 @ col, bias, y[start:stop])  # z = W @ col + b, written as (n, oc, i·OW + j)
    return y.reshape(N, OC, OH, OW)


def _fast_backward(dz, x, W, stride, pads, need_dx):
    from . import im2col_kernels as kernels

    N, OC, OH, OW = dz.shape
    C = x.shape[1]
    KH, KW = W.shape[2:]
    P, CKK = OH * OW, C * KH * KW
    W2 = W.reshape(OC, CKK)
    dz = dz.reshape(N, OC, P)
    dWt = np.zeros((CKK, OC), dtype=W.dtype)  # dWᵀ, summed over the groups of images
    db = np.zeros(OC, dtype=np.float64)
    dx = np.empty(x.shape, dtype=W.dtype) if need_dx else None
    groups, per = _chunks(N, CKK * P * W.itemsize, P)
    col_buffer = np.empty(CKK * per * P, dtype=W.dtype)
    rows_buffer = np.empty(OC * per * P, dtype=W.dtype)
    db_part = np.empty(OC, dtype=W.dtype)
    for start, stop in groups:
        n = (stop - start) * P
        col = col_buffer[: CKK * n].reshape(CKK, n)
        rows = rows_buffer[: OC * n].reshape(OC, n)
        kernels.im2col_rows(x[start:stop], KH, KW, *stride, pads[0], pads[2], OH, OW, col)
        kernels.nchw_to_rows(dz[start:stop], rows, db_part)  # dz as (OC, n·P), and Σ dz per filter
        db += db_part
        dWt += col @ rows.T  # (see conv2d_backward for this orientation)
        if need_dx:
            kernels.col2im_rows(W2.T @ rows, KH, KW, *stride, pads[0], pads[2], OH, OW, dx[start:stop])
    return dx, np.ascontiguousarray(dWt.T).reshape(W.shape), db.astype(W.dtype)
