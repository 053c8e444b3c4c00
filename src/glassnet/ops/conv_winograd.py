"""3x3 convolutions with 2.25x fewer multiplications: Winograd's minimal filtering F(2x2, 3x3).

The im2col product spends 9 multiplications per input channel on each output pixel. Winograd
(Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2015) computes a 2x2 block
of outputs from the 4x4 block of inputs it depends on with 16 multiplications instead of 36:

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d Bᵀᵀ) ] A        g: a 3x3 filter, d: a 4x4 input tile, Y: 2x2 outputs

    Bᵀ = | 1  0 -1  0 |     G = | 1    0    0  |     Aᵀ = | 1  1  1  0 |
         | 0  1  1  0 |         | ½    ½    ½  |          | 0  1 -1 -1 |
         | 0 -1  1  0 |         | ½   -½    ½  |
         | 0  1  0 -1 |         | 0    0    1  |

Summed over input channels, each of the 16 positions (ξ, ν) of the 4x4 transformed tiles is
one matrix product, M[ξν] (OC, tiles) = U[ξν] (OC, C) @ V[ξν] (C, tiles), so the work still
goes to BLAS, in 16 products of a quarter of the size. Backward uses the same pieces:

    dL/dx: the same forward on dL/dY padded by 2 - pad, with each filter turned 180° and its
           input and output channels swapped (δ_out = δ_in * W^rot180);
    dL/dW: dU[ξν] (OC, C) = (A dY Aᵀ)[ξν] (OC, tiles) @ V[ξν]ᵀ (tiles, C), then dW = Gᵀ dU G.

The transforms only add and halve (exact in binary), so the results differ from im2col's
only in the order of float32 additions; the tests compare them with the NumPy reference.
``conv_fast`` sends a layer here when it has 3x3 filters, stride 1, no dilation, padding at
most 2, float32 and enough channels for the products to fill BLAS (``conv_fast.WINOGRAD_MIN_CHANNELS``).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .conv_fused import gemm
from .jit import JIT


@njit(**JIT)
def _b_transform(d0, d1, d2, d3):  # pragma: no cover - compiled
    """Bᵀ applied to one column (or row) of four values."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@njit(**JIT)
def _g_transform(g0, g1, g2):  # pragma: no cover - compiled
    """G applied to one column (or row) of three filter values: four values."""
    return g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2


@njit(**JIT)
def filter_transform(W, U):  # pragma: no cover - compiled
    """W (OC, C, 3, 3) -> U (16, ≥ OC·C): G g Gᵀ for every filter g, position ξ·4 + ν first, then (o, c)."""
    OC, C = W.shape[0], W.shape[1]
    for o in range(OC):
        for c in range(C):
            at = o * C + c
            a0, a1, a2, a3 = _g_transform(W[o, c, 0, 0], W[o, c, 1, 0], W[o, c, 2, 0])  # G g: column by column
            b0, b1, b2, b3 = _g_transform(W[o, c, 0, 1], W[o, c, 1, 1], W[o, c, 2, 1])
            c0, c1, c2, c3 = _g_transform(W[o, c, 0, 2], W[o, c, 1, 2], W[o, c, 2, 2])
            U[0, at], U[1, at], U[2, at], U[3, at] = _g_transform(a0, b0, c0)  # (G g) Gᵀ: row by row
            U[4, at], U[5, at], U[6, at], U[7, at] = _g_transform(a1, b1, c1)
            U[8, at], U[9, at], U[10, at], U[11, at] = _g_transform(a2, b2, c2)
            U[12, at], U[13, at], U[14, at], U[15, at] = _g_transform(a3, b3, c3)


@njit(**JIT)
def _pixel(x, n, c, i, j):  # pragma: no cover - compiled
    """x[n, c, i, j], or 0 outside the image (the padding)."""
    if 0 <= i < x.shape[2] and 0 <= j < x.shape[3]:
        return x[n, c, i, j]
    return x.dtype.type(0)


@njit(**JIT)
def input_transform(x, top, left, TH, TW, V):  # pragma: no cover - compiled
    """x (N, C, H, W) -> V (16, ≥ C·T), T = N·TH·TW: Bᵀ d B for the 4x4 tile d of each 2x2 output block, then (c, t).

    Zeros outside x (the padding).
    """
    N, C = x.shape[0], x.shape[1]
    T = N * TH * TW
    for c in range(C):  # tiles innermost: each of the 16 rows of V is written in order
        for n in range(N):
            for ty in range(TH):
                i = 2 * ty - top  # the tile's first input row
                for tx in range(TW):
                    t = c * T + (n * TH + ty) * TW + tx
                    j = 2 * tx - left
                    # Bᵀ d: column by column
                    a0, a1, a2, a3 = _b_transform(_pixel(x, n, c, i, j), _pixel(x, n, c, i + 1, j),
                                                  _pixel(x, n, c, i + 2, j), _pixel(x, n, c, i + 3, j))
                    b0, b1, b2, b3 = _b_transform(_pixel(x, n, c, i, j + 1), _pixel(x, n, c, i + 1, j + 1),
                                                  _pixel(x, n, c, i + 2, j + 1), _pixel(x, n, c, i + 3, j + 1))
                    c0, c1, c2, c3 = _b_transform(_pixel(x, n, c, i, j + 2), _pixel(x, n, c, i + 1, j + 2),
                                                  _pixel(x, n, c, i + 2, j + 2), _pixel(x, n, c, i + 3, j + 2))
                    e0, e1, e2, e3 = _b_transform(_pixel(x, n, c, i, j + 3), _pixel(x, n, c, i + 1, j + 3),
                                                  _pixel(x, n, c, i + 2, j + 3), _pixel(x, n, c, i + 3, j + 3))
                    V[0, t], V[1, t], V[2, t], V[3, t] = _b_transform(a0, b0, c0, e0)  # (Bᵀ d) B
                    V[4, t], V[5, t], V[6, t], V[7, t] = _b_transform(a1, b1, c1, e1)
                    V[8, t], V[9, t], V[10, t], V[11, t] = _b_transform(a2, b2, c2, e2)
                    V[12, t], V[13, t], V[14, t], V[15, t] = _b_transform(a3, b3, c3, e3)


@njit(**JIT)
def _a_transform(m0, m1, m2, m3):  # pragma: no cover - compiled
    """Aᵀ applied to one column (or row) of four values: two values."""
    return m0 + m1 + m2, m1 - m2 - m3


@njit(**JIT)
def _at_transform(y0, y1):  # pragma: no cover - compiled
    """A applied to one column (or row) of two values: four values."""
    return y0, y0 + y1, y0 - y1, -y1


@njit(**JIT)
def output_transform(M, bias, TH, TW, y):  # pragma: no cover - compiled
    """M (16, ≥ OC·T), (o, t) after the position -> y (N, OC, OH, OW) = Aᵀ m A + bias per tile m (outputs past OH, OW dropped)."""
    N, OC, OH, OW = y.shape
    T = N * TH * TW
    for o in range(OC):
        for n in range(N):
            for ty in range(TH):
                for tx in range(TW):
                    t = o * T + (n * TH + ty) * TW + tx
                    a0, a1 = _a_transform(M[0, t], M[4, t], M[8, t], M[12, t])  # Aᵀ m: column by column
                    b0, b1 = _a_transform(M[1, t], M[5, t], M[9, t], M[13, t])
                    c0, c1 = _a_transform(M[2, t], M[6, t], M[10, t], M[14, t])
                    e0, e1 = _a_transform(M[3, t], M[7, t], M[11, t], M[15, t])
                    y00, y01 = _a_transform(a0, b0, c0, e0)  # (Aᵀ m) A: row by row
                    y10, y11 = _a_transform(a1, b1, c1, e1)
                    i, j = 2 * ty, 2 * tx
                    y[n, o, i, j] = y00 + bias[o]
                    if j + 1 < OW:
                        y[n, o, i, j + 1] = y01 + bias[o]
                    if i + 1 < OH:
                        y[n, o, i + 1, j] = y10 + bias[o]
                        if j + 1 < OW:
                            y[n, o, i + 1, j + 1] = y11 + bias[o]


@njit(**JIT)
def _grad(g, n, o, i, j):  # pragma: no cover - compiled
    """g[n, o, i, j], or 0 past the last output row or column (a tile hanging over an odd size)."""
    if i < g.shape[2] and j < g.shape[3]:
        return g[n, o, i, j]
    return g.dtype.type(0)


@njit(**JIT)
def grad_transform(g, TH, TW, Gy):  # pragma: no cover - compiled
    """g (N, OC, OH, OW) -> Gy (16, ≥ OC·T): A dY Aᵀ for the 2x2 block dY of each tile, then (o, t) (zeros past OH, OW)."""
    N, OC = g.shape[0], g.shape[1]
    T = N * TH * TW
    for o in range(OC):
        for n in range(N):
            for ty in range(TH):
                for tx in range(TW):
                    t = o * T + (n * TH + ty) * TW + tx
                    i, j = 2 * ty, 2 * tx
                    a0, a1, a2, a3 = _at_transform(_grad(g, n, o, i, j), _grad(g, n, o, i + 1, j))  # A dY: by column
                    b0, b1, b2, b3 = _at_transform(_grad(g, n, o, i, j + 1), _grad(g, n, o, i + 1, j + 1))
                    Gy[0, t], Gy[1, t], Gy[2, t], Gy[3, t] = _at_transform(a0, b0)  # (A dY) Aᵀ: row by row
                    Gy[4, t], Gy[5, t], Gy[6, t], Gy[7, t] = _at_transform(a1, b1)
                    Gy[8, t], Gy[9, t], Gy[10, t], Gy[11, t] = _at_transform(a2, b2)
                    Gy[12, t], Gy[13, t], Gy[14, t], Gy[15, t] = _at_transform(a3, b3)


@njit(**JIT)
def _gt_transform(u0, u1, u2, u3):  # pragma: no cover - compiled
    """Gᵀ applied to one column (or row) of four values: three values."""
    return u0 + 0.5 * (u1 + u2), 0.5 * (u1 - u2), 0.5 * (u1 + u2) + u3


@njit(**JIT)
def filter_grad_transform(dU, dW):  # pragma: no cover - compiled
    """dU (16, ≥ OC·C), (o, c) after the position -> dW (OC, C, 3, 3) = Gᵀ du G for each filter's 4x4 du."""
    OC, C = dW.shape[0], dW.shape[1]
    for o in range(OC):
        for c in range(C):
            at = o * C + c
            a0, a1, a2 = _gt_transform(dU[0, at], dU[4, at], dU[8, at], dU[12, at])  # Gᵀ du: column by column
            b0, b1, b2 = _gt_transform(dU[1, at], dU[5, at], dU[9, at], dU[13, at])
            c0, c1, c2 = _gt_transform(dU[2, at], dU[6, at], dU[10, at], dU[14, at])
            e0, e1, e2 = _gt_transform(dU[3, at], dU[7, at], dU[11, at], dU[15, at])
            dW[o, c, 0, 0], dW[o, c, 0, 1], dW[o, c, 0, 2] = _gt_transform(a0, b0, c0, e0)  # (Gᵀ du) G: by row
            dW[o, c, 1, 0], dW[o, c, 1, 1], dW[o, c, 1, 2] = _gt_transform(a1, b1, c1, e1)
            dW[o, c, 2, 0], dW[o, c, 2, 1], dW[o, c, 2, 2] = _gt_transform(a2, b2, c2, e2)


SKEW = 16
"""Extra floats at the end of each of the 16 planes: planes a power-of-two bytes apart made the
transforms' 16 reads or writes per tile collide in the CPU's store buffer (4K aliasing), 7x slower."""


@njit(**JIT)
def planes(rows, cols, dtype):  # pragma: no cover - compiled
    """16 matrices (rows, cols), one per position ξ·4 + ν, as one (16, rows·cols + SKEW) array."""
    return np.empty((16, rows * cols + SKEW), dtype=dtype)


@njit(**JIT)
def plane(stack, k, rows, cols):  # pragma: no cover - compiled
    """Matrix k (rows, cols) of ``planes``, a C-contiguous view."""
    return stack[k, : rows * cols].reshape((rows, cols))


@njit(**JIT)
def forward(x, U, bias, top, left, per, y):  # pragma: no cover - compiled
    """x (N, C, H, W), U (16, ≥ OC·C) transformed filters, bias (OC,) -> y (N, OC, OH, OW), ``per`` images at a time."""
    N, C = x.shape[0], x.shape[1]
    OC, OH, OW = y.shape[1], y.shape[2], y.shape[3]
    TH, TW = (OH + 1) // 2, (OW + 1) // 2
    V = planes(C, per * TH * TW, y.dtype)
    M = planes(OC, per * TH * TW, y.dtype)
    for start in range(0, N, per):
        stop = min(N, start + per)
        T = (stop - start) * TH * TW
        input_transform(x[start:stop], top, left, TH, TW, V)
        for k in range(16):  # M[ξν] = U[ξν] @ V[ξν]
            gemm(False, False, 1.0, plane(U, k, OC, C), plane(V, k, C, T), 0.0, plane(M, k, OC, T))
        output_transform(M, bias, TH, TW, y[start:stop])


@njit(**JIT)
def weight_grads(x, g, top, left, per, dW):  # pragma: no cover - compiled
    """x (N, C, H, W), g = dL/dY (N, OC, OH, OW) -> dW (OC, C, 3, 3) written, ``per`` images at a time."""
    N, C = x.shape[0], x.shape[1]
    OC, OH, OW = g.shape[1], g.shape[2], g.shape[3]
    TH, TW = (OH + 1) // 2, (OW + 1) // 2
    V = planes(C, per * TH * TW, dW.dtype)
    Gy = planes(OC, per * TH * TW, dW.dtype)
    dU = planes(OC, C, dW.dtype)
    for start in range(0, N, per):
        stop = min(N, start + per)
        T = (stop - start) * TH * TW
        input_transform(x[start:stop], top, left, TH, TW, V)
        grad_transform(g[start:stop], TH, TW, Gy)
        for k in range(16):  # dU[ξν] (+)= Gy[ξν] @ V[ξν]ᵀ, summed over the groups
            gemm(False, True, 1.0, plane(Gy, k, OC, T), plane(V, k, C, T), 0.0 if start == 0 else 1.0, plane(dU, k, OC, C))
    filter_grad_transform(dU, dW)
