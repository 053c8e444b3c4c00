"""The convolution as its formula, for layers with few filters: no columns, each output row summed in place.

    z[n, oc, i, j] = b[oc] + Σ_c Σ_ki Σ_kj W[oc, c, ki, kj] · x[n, c, i + ki, j + kj]     (x padded)

Why a second fast path: the first layer of LeNet-5 and of the CIFAR net has 6 filters of
1 or 3 channels. im2col copies each pixel 25-75 times and then multiplies by a matrix only
6 rows tall, which BLAS runs at a fifth of its speed (20 GFLOP/s where VGG's layers get 90).
Here the innermost loop runs along an output row (``j``), which LLVM turns into vector
instructions, and the row stays in the cache while all C·KH·KW weights are added into it.
Backward is the same sums the other way round:

    dW[oc, c, ki, kj] = Σ_n Σ_i Σ_j g[n, oc, i, j] · x[n, c, i + ki, j + kj]
    dx = the same forward loops on g padded by KH-1, KW-1, with W turned 180° and its
         in/out channels swapped (δ_out = δ_in * W^rot180), then x's padding cropped
    db[oc] = Σ_n Σ_i Σ_j g[n, oc, i, j]

``conv_fast`` sends a layer here when it has stride 1, no dilation and at most
``conv_fast.DIRECT_MAX_FILTERS`` filters; the tests compare it with the NumPy reference.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .jit import JIT


# Each plane is read as one flat run of memory: output (i, j) sits at i·Wp + j of a plane as wide
# as the padded input (Wp), so weight (ki, kj) meets the input ki·Wp + kj further on, for every
# output at once. The inner loops then run over a whole plane (hundreds of values) instead of
# one short row, and LLVM turns them into vector instructions; the Wp - OW columns past each
# row's end are computed and dropped. One pass over a plane adds five weights of a kernel row
# for two filters at once: each input value is loaded once for ten multiply-adds and each
# partial sum read and written once per five.

TAPS = 5
"""Weights of one kernel row added in one pass over the plane (the rest of the row one at a time)."""


@njit(**JIT, fastmath={"contract"})
def forward(xp, W, bias, y):  # pragma: no cover - compiled
    """xp (N, C, Hp, Wp) padded, W (OC, C, KH, KW), bias (OC,) -> y (N, OC, Hp-KH+1, Wp-KW+1) written.

    ``contract`` lets LLVM fuse each multiply-add into one instruction (one rounding, as BLAS does).
    """
    N, C, Hp, Wp = xp.shape
    OC, _, KH, KW = W.shape
    OH, OW = y.shape[2], y.shape[3]
    span = (OH - 1) * Wp + OW  # from output (0, 0) to output (OH-1, OW-1) in the wide plane
    flat = xp.ravel()
    sums_a = np.empty(OH * Wp, dtype=y.dtype)  # filter a's outputs in the wide plane
    sums_b = np.empty(OH * Wp, dtype=y.dtype)  # filter b's (a again when OC is odd: computed, not kept)
    for n in range(N):
        for a in range(0, OC, 2):
            b = min(a + 1, OC - 1)
            sums_a[:] = bias[a]
            sums_b[:] = bias[b]
            for c in range(C):
                start = (n * C + c) * Hp * Wp
                for ki in range(KH):
                    kj = 0
                    while kj + TAPS <= KW:
                        at = start + ki * Wp + kj  # the input weight (ki, kj) meets for output (0, 0)
                        x0, x1, x2 = flat[at: at + span], flat[at + 1: at + 1 + span], flat[at + 2: at + 2 + span]
                        x3, x4 = flat[at + 3: at + 3 + span], flat[at + 4: at + 4 + span]
                        a0, a1, a2, a3, a4 = W[a, c, ki, kj], W[a, c, ki, kj + 1], W[a, c, ki, kj + 2], \
                            W[a, c, ki, kj + 3], W[a, c, ki, kj + 4]
                        b0, b1, b2, b3, b4 = W[b, c, ki, kj], W[b, c, ki, kj + 1], W[b, c, ki, kj + 2], \
                            W[b, c, ki, kj + 3], W[b, c, ki, kj + 4]
                        for t in range(span):
                            v0, v1, v2, v3, v4 = x0[t], x1[t], x2[t], x3[t], x4[t]
                            sums_a[t] += a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3 + a4 * v4
                            sums_b[t] += b0 * v0 + b1 * v1 + b2 * v2 + b3 * v3 + b4 * v4
                        kj += TAPS
                    while kj < KW:
                        at = start + ki * Wp + kj
                        x0, a0, b0 = flat[at: at + span], W[a, c, ki, kj], W[b, c, ki, kj]
                        for t in range(span):
                            sums_a[t] += a0 * x0[t]
                            sums_b[t] += b0 * x0[t]
                        kj += 1
            for i in range(OH):
                for j in range(OW):
                    y[n, a, i, j] = sums_a[i * Wp + j]
                    y[n, b, i, j] = sums_b[i * Wp + j]


@njit(**JIT, fastmath={"contract", "reassoc"})
def weight_grads(xp, g, dW, db):  # pragma: no cover - compiled
    """xp (N, C, Hp, Wp) padded, g (N, OC, OH, OW) -> dW (OC, C, KH, KW) and db (OC,) float64, summed into.

    ``reassoc`` lets LLVM keep several partial sums in vector lanes (the order of the
    additions changes, as in any BLAS product).
    """
    N, C, Hp, Wp = xp.shape
    OC, _, KH, KW = dW.shape
    OH, OW = g.shape[2], g.shape[3]
    span = (OH - 1) * Wp + OW
    zero = np.zeros(1, dtype=g.dtype)[0]  # sums in the arrays' precision (0.0 would make them float64)
    flat = xp.ravel()
    wide = np.zeros(OH * Wp, dtype=g.dtype)  # g's plane, as wide as xp's, zeros past each row's end
    for n in range(N):
        for oc in range(OC):
            total = zero
            for i in range(OH):
                for j in range(OW):
                    wide[i * Wp + j] = g[n, oc, i, j]
                    total += g[n, oc, i, j]
            db[oc] += total
            for c in range(C):
                start = (n * C + c) * Hp * Wp
                for ki in range(KH):
                    kj = 0
                    while kj + TAPS <= KW:
                        at = start + ki * Wp + kj
                        x0, x1, x2 = flat[at: at + span], flat[at + 1: at + 1 + span], flat[at + 2: at + 2 + span]
                        x3, x4 = flat[at + 3: at + 3 + span], flat[at + 4: at + 4 + span]
                        s0 = s1 = s2 = s3 = s4 = zero
                        for t in range(span):
                            s0 += wide[t] * x0[t]
                            s1 += wide[t] * x1[t]
                            s2 += wide[t] * x2[t]
                            s3 += wide[t] * x3[t]
                            s4 += wide[t] * x4[t]
                        dW[oc, c, ki, kj] += s0
                        dW[oc, c, ki, kj + 1] += s1
                        dW[oc, c, ki, kj + 2] += s2
                        dW[oc, c, ki, kj + 3] += s3
                        dW[oc, c, ki, kj + 4] += s4
                        kj += TAPS
                    while kj < KW:
                        at = start + ki * Wp + kj
                        x0, s0 = flat[at: at + span], zero
                        for t in range(span):
                            s0 += wide[t] * x0[t]
                        dW[oc, c, ki, kj] += s0
                        kj += 1
