"""The fast convolution, the default (``impl="im2col"``, alias ``"fast"``): im2col products, numba copies.

The same products as ``conv_im2col_reference`` — read that first:

    forward:   col = im2col(x)   z = W @ col + b                       (OC, N·OH·OW)
    backward:  db = Σ grad   dW = rows @ colᵀ   dx = col2im(Wᵀ @ rows)   rows = grad as (OC, N·OH·OW)

Two things differ, and only the grouping of the sums changes (the tests check the arrays
against the NumPy reference):

* the copies around the products are the numba kernels of :mod:`.conv_kernels`, which
  fold the padding into the copy (entries outside the image are written as 0, and
  dropped on the way back), the (OC, N) <-> (N, OC) axis swap, the bias and dL/db, so
  each array is read and written once and no padded copy of x is made;
* the columns are built for a few images at a time (``image_groups``), so they are still
  in the CPU cache when the product reads them. For a small layer the columns are much
  bigger than the input (25× for a 5×5 kernel) and each entry is used only OC times, so
  building all of them first and multiplying after spends most of the time moving them
  through memory. Backward rebuilds them the same way instead of keeping them (less memory):
  the cache holds x itself.

Two kinds of layer skip the columns (the cache is the same):

* few filters (LeNet-5's and the CIFAR net's layers): forward, and backward when the output
  planes are large, run the formula's own loops in :mod:`.conv_direct` (``DIRECT_MAX_FILTERS``,
  ``DIRECT_MIN_OUTPUTS``);
* 3x3 filters on many channels (VGG's layers): Winograd's F(2x2, 3x3) in :mod:`.conv_winograd`,
  16 products of a quarter of the size (``WINOGRAD_MIN_CHANNELS``, ``WINOGRAD_MIN_TILES``).

Dilation (the kernel's entries D apart) changes only the index arithmetic of the copies: each
row of the columns starts ki·DH rows and kj·DW columns further into x, and is copied as before.

The kernels are imported (and numba with them) on first use, so ``import glassnet`` stays
light. With ``NUMBA_DISABLE_JIT=1`` in the environment they run as plain Python: set it
to step through the index arithmetic in a debugger (slowly; same numbers up to float32
rounding).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .shapes import ConvCache, Pads, output_size

CHUNK_BYTES = 512 * 1024
"""Size of the columns built at a time: small enough to stay in the CPU's caches.

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


TRANSPOSED_DW_MAX = 65536
"""Largest dL/dW (elements) computed as dWᵀ = col @ rowsᵀ and then transposed; bigger ones are rows @ colᵀ.

OpenBLAS runs the first orientation 5-15 % faster for LeNet-5's and the CIFAR net's small
filters, where the transpose costs nothing. A VGG layer's dW (512 x 4608) took 18 ms to
transpose against 6 ms for its whole product, a seventh of the report's VGG step.
"""


DIRECT_MAX_FILTERS = 16
"""Layers with stride 1, no dilation and at most this many filters run forward through :mod:`.conv_direct`.

For so few filters im2col's product is only a few rows tall, and BLAS runs it at a fifth of its
speed. One thread, 32 images, float32, forward: LeNet-5's first layer (1 -> 6, 5x5, padding 2)
375 µs with im2col, 187 µs direct; the CIFAR net's (3 -> 6, 5x5) 1041 and 400 µs; their second
(6 -> 16, 5x5 on 14x14) 417 and 368 µs.
"""

DIRECT_MIN_OUTPUTS = 256
"""...and backward too when each output plane has at least this many pixels (OH·OW).

The direct weight gradients sum along whole planes; on small planes the sums are too short to
pay: backward (dL/dW, dL/db) of the first layers 499 -> 211 µs (LeNet-5, 28x28 outputs) and
1316 -> 500 µs (CIFAR net), but of the second layers (10x10 outputs, with dL/dx) 902 -> 1357 µs.
"""


def _direct(x: np.ndarray, W: np.ndarray, stride: tuple[int, int], dilation: tuple[int, int]) -> bool:
    """Whether the forward loops of :mod:`.conv_direct` compute this layer (few filters, stride 1, no dilation)."""
    return W.shape[0] <= DIRECT_MAX_FILTERS and stride == (1, 1) and dilation == (1, 1) and x.dtype == W.dtype


def _direct_backward_pays(x: np.ndarray, W: np.ndarray, cache: "FastCache", output_pixels: int) -> bool:
    """Whether backward runs through :mod:`.conv_direct` too (a direct forward with large output planes)."""
    return _direct(x, W, cache.stride, cache.dilation) and output_pixels >= DIRECT_MIN_OUTPUTS


WINOGRAD_MIN_CHANNELS = 32
"""3x3 layers with at least this many input and output channels, stride 1 and no dilation run
:mod:`.conv_winograd` (16 products of a quarter of the size instead of one)...
"""

WINOGRAD_MIN_TILES = 128
"""...when the batch (or slice) has at least this many 2x2 output blocks: the filters' transforms
cost the same for any batch, and with fewer blocks they outweigh the smaller products.

One thread, 32 images, float32, forward / backward with dL/dx, against im2col: VGG's 256 -> 256
channels on 8x8, 28.1 / 60.9 ms -> 18.9 / 40.0 ms; 512 -> 512 on 4x4, 28.4 / 62.7 -> 19.6 / 40.8 ms;
64 -> 128 on 16x16 about the same (15 / 30 ms); 512 -> 512 on 2x2 (32 blocks) no faster; 3 -> 64
channels 10x slower (the transforms of 3 channels feed products 3 deep).
"""


WINOGRAD_GROUP_BYTES = 8 << 20
"""The transformed inputs and outputs of this many bytes at a time (images in groups), so memory does
not grow with the batch: ``predict`` on 1000 images would otherwise hold 16 copies of each activation."""


def _winograd_group(x: np.ndarray, channels: int) -> int:
    """Images per group for :mod:`.conv_winograd`: 16 planes of ``channels`` values per 2x2 block within WINOGRAD_GROUP_BYTES."""
    H, Wd = x.shape[2], x.shape[3]
    per_image = 16 * channels * ((H + 1) // 2) * ((Wd + 1) // 2) * x.itemsize
    return max(1, min(x.shape[0], WINOGRAD_GROUP_BYTES // max(per_image, 1)))


def _winograd(x: np.ndarray, W: np.ndarray, stride: tuple[int, int], pads: Pads, dilation: tuple[int, int]) -> bool:
    """Whether :mod:`.conv_winograd` computes this layer (3x3, stride 1, padding ≤ 2, enough channels and blocks)."""
    if W.shape[2:] != (3, 3) or stride != (1, 1) or dilation != (1, 1) or max(pads) > 2 or not _one_call(x, W):
        return False
    N, C, H, Wd = x.shape
    OH, OW = H + pads[0] + pads[1] - 2, Wd + pads[2] + pads[3] - 2
    blocks = N * ((OH + 1) // 2) * ((OW + 1) // 2)
    return min(C, W.shape[0]) >= WINOGRAD_MIN_CHANNELS and blocks >= WINOGRAD_MIN_TILES


def _winograd_forward(x: np.ndarray, W: np.ndarray, bias: np.ndarray, pads: Pads, y: np.ndarray) -> None:
    """x (N, C, H, W) through 3x3 filters W (OC, C, 3, 3) -> y (N, OC, OH, OW) written, by :mod:`.conv_winograd`."""
    from . import conv_winograd

    U = conv_winograd.planes(W.shape[0], W.shape[1], W.dtype)
    conv_winograd.filter_transform(np.ascontiguousarray(W), U)
    conv_winograd.forward(x, U, bias, pads[0], pads[2], _winograd_group(y, x.shape[1] + y.shape[1]), y)


def _winograd_backward(grad: np.ndarray, cache: "FastCache", need_dx: bool) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """conv2d_backward through :mod:`.conv_winograd`: grad (N, OC, OH, OW) -> dx or None, dW, db or None."""
    from . import conv_winograd

    x, W, (top, bottom, left, right) = cache.x, cache.W, cache.pads
    dW = np.empty(W.shape, dtype=W.dtype)
    conv_winograd.weight_grads(x, grad, top, left, _winograd_group(grad, x.shape[1] + grad.shape[1]), dW)
    db = grad.sum(axis=(0, 2, 3), dtype=np.float64).astype(W.dtype) if cache.has_bias else None
    dx = None
    if need_dx:  # δ_out = δ_in * W^rot180: dL/dY padded by 2 - pad through the turned filters
        dx = np.empty(x.shape, dtype=W.dtype)
        _winograd_forward(grad, _turned(W), np.zeros(x.shape[1], dtype=W.dtype), (2 - top, 2 - bottom, 2 - left, 2 - right),
                          dx)
    return dx, dW, db


def _turned(W: np.ndarray) -> np.ndarray:
    """W (OC, C, KH, KW) -> (C, OC, KH, KW): each filter turned 180°, inputs and outputs swapped (dL/dx's filters)."""
    return np.ascontiguousarray(W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))


def _padded(x: np.ndarray, pads: Pads) -> np.ndarray:
    """x (N, C, H, W) with (top, bottom, left, right) rows and columns of zeros around it."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    N, C, H, W = x.shape
    out = np.zeros((N, C, top + H + bottom, left + W + right), dtype=x.dtype)
    out[:, :, top: top + H, left: left + W] = x
    return out


def image_groups(N: int, bytes_per_image: int, columns_per_image: int) -> tuple[list[tuple[int, int]], int]:
    """Images 0..N in consecutive (start, stop) groups: columns within CHUNK_BYTES, at least MIN_COLUMNS; and the group size."""
    per = max(CHUNK_BYTES // max(bytes_per_image, 1), -(-MIN_COLUMNS // max(columns_per_image, 1)))
    per = min(N, max(1, per))
    return [(start, min(N, start + per)) for start in range(0, N, per)], per


def _one_call(x: np.ndarray, W: np.ndarray) -> bool:
    """Whether the group loop can run as one ``conv_fused`` kernel: float32 arrays and NumPy's sgemm reachable."""
    if x.dtype != np.float32 or W.dtype != np.float32:
        return False
    from . import blas

    return blas.AVAILABLE


@dataclass
class FastCache(ConvCache):
    """What the fast backward pass needs from the forward pass."""

    impl: ClassVar[str] = "im2col"
    x: np.ndarray
    """The input itself (N, C, H, W), C-contiguous, unpadded: backward rebuilds the columns from it."""


def conv2d_forward(
    x: np.ndarray, W: np.ndarray, b: np.ndarray | None, stride: tuple[int, int], pads: Pads,
    dilation: tuple[int, int] = (1, 1),
) -> tuple[np.ndarray, FastCache]:
    """x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or None -> z (N, OC, OH, OW) and the cache for backward."""
    from . import conv_kernels as kernels  # imports numba on first use

    x = np.ascontiguousarray(x)
    N, C, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    (SH, SW), (DH, DW), (top, bottom, left, right) = stride, dilation, pads
    OH, OW = output_size(H, KH, SH, top, bottom, DH), output_size(Wd, KW, SW, left, right, DW)
    bias = b if b is not None else np.zeros(OC, dtype=W.dtype)
    P, CKK = OH * OW, C * KH * KW
    W2 = W.reshape(OC, CKK)
    y = np.empty((N, OC, P), dtype=W.dtype)
    groups, per = image_groups(N, CKK * P * W.itemsize, P)
    cache = FastCache(W=W, stride=stride, pads=pads, has_bias=b is not None, dilation=dilation, x=x)
    if _winograd(x, W, stride, pads, dilation):
        out = np.empty((N, OC, OH, OW), dtype=W.dtype)
        _winograd_forward(x, W, bias, pads, out)
        return out, cache
    if _direct(x, W, stride, dilation):
        from . import conv_direct

        out = np.empty((N, OC, OH, OW), dtype=W.dtype)
        conv_direct.forward(_padded(x, pads), np.ascontiguousarray(W), bias, out)
        return out, cache
    if _one_call(x, W):  # the loop below, in one numba call (no GIL hand-over between groups)
        from .conv_fused import conv_forward

        conv_forward(x, np.ascontiguousarray(W2), bias, KH, KW, SH, SW, DH, DW, top, left, OH, OW, per, y)
    else:
        buffer = np.empty(CKK * per * P, dtype=W.dtype)  # one group's columns, reused by every group
        for start, stop in groups:
            col = buffer[: CKK * (stop - start) * P].reshape(CKK, (stop - start) * P)
            kernels.im2col_rows(x[start:stop], KH, KW, SH, SW, DH, DW, top, left, OH, OW, col)
            kernels.rows_to_nchw(W2 @ col, bias, y[start:stop])  # z = W @ col + b, written as (n, oc, i·OW + j)
    return y.reshape(N, OC, OH, OW), cache


def conv2d_backward(
    grad: np.ndarray, cache: FastCache, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """grad = dL/dz (N, OC, OH, OW) -> dL/dx (N, C, H, W) or None, dL/dW (OC, C, KH, KW), dL/db (OC,) or None."""
    from . import conv_kernels as kernels

    x, W, (SH, SW), (DH, DW), (top, _, left, _) = cache.x, cache.W, cache.stride, cache.dilation, cache.pads
    N, OC, OH, OW = grad.shape
    C = x.shape[1]
    KH, KW = W.shape[2:]
    P, CKK = OH * OW, C * KH * KW
    W2 = W.reshape(OC, CKK)
    if _winograd(x, W, cache.stride, cache.pads, cache.dilation):
        return _winograd_backward(np.ascontiguousarray(grad), cache, need_dx)
    if _direct_backward_pays(x, W, cache, OH * OW):
        return _direct_backward(np.ascontiguousarray(grad), cache, need_dx)
    grad = np.ascontiguousarray(grad).reshape(N, OC, P)
    transposed = CKK * OC <= TRANSPOSED_DW_MAX
    dW_sum = np.zeros((CKK, OC) if transposed else (OC, CKK), dtype=W.dtype)  # dWᵀ or dW, summed over the groups
    db = np.zeros(OC, dtype=np.float64)
    dx = np.empty(x.shape, dtype=W.dtype) if need_dx else None
    groups, per = image_groups(N, CKK * P * W.itemsize, P)
    if _one_call(x, W):  # the loop below, in one numba call
        from .conv_fused import conv_backward

        conv_backward(x, grad, np.ascontiguousarray(W2), KH, KW, SH, SW, DH, DW, top, left, OH, OW, per, need_dx,
                      transposed, dW_sum, db, dx if need_dx else np.empty((0, *x.shape[1:]), dtype=W.dtype))
    else:
        col_buffer = np.empty(CKK * per * P, dtype=W.dtype)
        rows_buffer = np.empty(OC * per * P, dtype=W.dtype)
        db_part = np.empty(OC, dtype=W.dtype)
        for start, stop in groups:
            n = (stop - start) * P
            col = col_buffer[: CKK * n].reshape(CKK, n)
            rows = rows_buffer[: OC * n].reshape(OC, n)
            kernels.im2col_rows(x[start:stop], KH, KW, SH, SW, DH, DW, top, left, OH, OW, col)
            kernels.nchw_to_rows(grad[start:stop], rows, db_part)  # grad as (OC, n·P), and Σ grad per filter
            db += db_part
            if transposed:
                dW_sum += col @ rows.T  # dWᵀ = col @ rowsᵀ, faster for small filters (TRANSPOSED_DW_MAX)
            else:
                dW_sum += rows @ col.T
            if need_dx:
                assert dx is not None  # allocated above when need_dx
                kernels.col2im_rows(W2.T @ rows, KH, KW, SH, SW, DH, DW, top, left, OH, OW, dx[start:stop])
    dW = (np.ascontiguousarray(dW_sum.T) if transposed else dW_sum).reshape(W.shape)
    return dx, dW, db.astype(W.dtype) if cache.has_bias else None


def _direct_backward(grad: np.ndarray, cache: FastCache, need_dx: bool) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """conv2d_backward through :mod:`.conv_direct`: grad (N, OC, OH, OW) -> dx or None, dW, db or None."""
    from . import conv_direct

    x, W = cache.x, cache.W
    KH, KW = W.shape[2:]
    dW = np.zeros(W.shape, dtype=W.dtype)
    db = np.zeros(W.shape[0], dtype=np.float64)
    conv_direct.weight_grads(_padded(x, cache.pads), grad, dW, db)
    dx = None
    if need_dx:  # δ_out = δ_in * W^rot180: a forward pass of g, fully padded, through the turned filters
        top, bottom, left, right = cache.pads
        N, C, H, Wd = x.shape
        dxp = np.empty((N, C, H + top + bottom, Wd + left + right), dtype=W.dtype)
        conv_direct.forward(_padded(grad, (KH - 1, KH - 1, KW - 1, KW - 1)), _turned(W), np.zeros(C, dtype=W.dtype), dxp)
        dx = np.ascontiguousarray(dxp[:, :, top: top + H, left: left + Wd])
    return dx, dW, db.astype(W.dtype) if cache.has_bias else None
