"""Convolution as a matrix multiply: im2col / col2im (the course's method 3, Caffe's trick).

im2col copies every KH×KW window of every channel into one column, so that the whole
convolution becomes W (OC, C·KH·KW) @ col (C·KH·KW, OH·OW) for each image. The backward
pass is then three lines, as in deep-learning-from-scratch's ``Convolution`` layer:

    db  = Σ dz                       (in ``ops.conv``)
    dW  = Σ_n dz_n @ col_nᵀ
    dx  = col2im(Wᵀ @ dz)

Layout: columns are (N, C·KH·KW, OH·OW) rather than deep-learning-from-scratch's
(N·OH·OW, C·KH·KW), so the product lands directly in NCHW order, (N, OC, OH·OW), and no
output transpose is needed. Columns are gathered from a strided view of the input
(``sliding_window_view``: no Python loop over pixels, one copy); col2im loops only over
the KH·KW kernel offsets, adding one strided slice each time.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def im2col(x_p: np.ndarray, KH: int, KW: int, stride: tuple[int, int]) -> np.ndarray:
    """x_p (N, C, Hp, Wp) -> col (N, C·KH·KW, OH·OW); row (c, ki, kj) holds x_p[n, c, i·S + ki, j·S + kj]."""
    N, C = x_p.shape[:2]
    SH, SW = stride
    windows = sliding_window_view(x_p, (KH, KW), axis=(2, 3))[:, :, ::SH, ::SW]  # (N, C, OH, OW, KH, KW), a view
    OH, OW = windows.shape[2:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * KH * KW, OH * OW)  # the one copy


def col2im(
    col: np.ndarray, padded_shape: tuple[int, ...], KH: int, KW: int, stride: tuple[int, int]
) -> np.ndarray:
    """col (N, C·KH·KW, OH·OW) -> x_p (N, C, Hp, Wp): each entry added back where im2col took it from."""
    N, C, Hp, Wp = padded_shape
    SH, SW = stride
    OH = (Hp - KH) // SH + 1
    OW = (Wp - KW) // SW + 1
    col = col.reshape(N, C, KH, KW, OH, OW)
    x_p = np.zeros(padded_shape, dtype=col.dtype)
    for ki in range(KH):
        for kj in range(KW):
            x_p[:, :, ki : ki + SH * OH : SH, kj : kj + SW * OW : SW] += col[:, :, ki, kj]
    return x_p


def conv2d_forward(x_p: np.ndarray, W: np.ndarray, stride: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """x_p (N, C, Hp, Wp), W (OC, C, KH, KW) -> z (N, OC, OH, OW) without bias; cache the columns."""
    N, _, Hp, Wp = x_p.shape
    OC, _, KH, KW = W.shape
    OH = (Hp - KH) // stride[0] + 1
    OW = (Wp - KW) // stride[1] + 1
    col = im2col(x_p, KH, KW, stride)
    z = np.matmul(W.reshape(OC, -1), col)  # (OC, C·KH·KW) @ (N, C·KH·KW, OH·OW) -> (N, OC, OH·OW)
    return z.reshape(N, OC, OH, OW), col


def conv2d_backward(
    dz: np.ndarray,
    col: np.ndarray,
    W: np.ndarray,
    stride: tuple[int, int],
    padded_shape: tuple[int, ...],
    need_dx: bool,
) -> tuple[np.ndarray | None, np.ndarray]:
    """dz (N, OC, OH, OW) -> dL/dx_p (N, C, Hp, Wp) or None, dL/dW (OC, C, KH, KW)."""
    N, OC = dz.shape[:2]
    KH, KW = W.shape[2:]
    dz = dz.reshape(N, OC, -1)
    dW = np.matmul(dz, col.transpose(0, 2, 1)).sum(axis=0).reshape(W.shape)
    if not need_dx:
        return None, dW
    dcol = np.matmul(W.reshape(OC, -1).T, dz)  # (C·KH·KW, OC) @ (N, OC, OH·OW)
    return col2im(dcol, padded_shape, KH, KW, stride), dW
