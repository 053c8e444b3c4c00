"""numba kernels of the fast convolution (``conv_fast``): the copies around the one matrix product.

``conv_im2col_reference`` writes each step in plain NumPy (``im2col``, ``col2im``, the
reorders); these kernels compute exactly the same arrays, tested equal to them. They
exist because the NumPy versions touch memory more often than needed:

* ``im2col_rows`` reads the input once and writes each column entry once; padding is
  folded in (entries outside the image are written as 0), so no padded copy is made;
* ``col2im_rows`` adds each column entry back once, and drops the padding on the fly;
* ``rows_to_nchw`` / ``nchw_to_rows`` swap the first two axes of (OC, N, P) <-> (N, OC, P)
  and add the bias, or sum dL/db, in the same pass.

Layout (the formula every index below implements): col has one row per (c, ki, kj) and one
column per output pixel (n, i, j), with P = OH·OW pixels per image,

    col[(c·KH + ki)·KW + kj, (n·OH + i)·OW + j] = x[n, c, i·SH + ki·DH − PT, j·SW + kj·DW − PL]  (0 outside)

(DH, DW: the dilation, 1 for an ordinary convolution). Along a row of col, j moves the
input column by SW whatever DW is: dilation only shifts where each row of col starts
(kj·DW), so the contiguous copy for SW = 1 serves every dilation.

and an (N, C, H, W) array x is stored flat as x[n, c, h, w] = xf[((n·C + c)·H + h)·W + w].

Why the arrays are indexed through flat views with ``U(...)`` (unsigned) offsets: numba
supports negative indices (a[-1]), so for a signed index it must check ``i < 0`` on
every access; the check stops LLVM from vectorising the copy loops (10× slower here).
An unsigned index cannot be negative, so the check disappears. Every offset below is
non-negative by construction before it is converted.

Every kernel runs on one core (see ``jit``): glassnet's threads each take a slice of the
batch (:mod:`glassnet.parallel`). Kernels compile on first use (a few seconds) and are cached
on disk (``cache=True``), so later runs start at once. With ``NUMBA_DISABLE_JIT=1`` in the
environment they run as plain Python (``U`` then makes NumPy uint64 scalars), slowly but
steppable in a debugger; ``tests/test_kernels_python.py`` checks they give the same gradients.
"""
from __future__ import annotations

import numpy as np
from numba import njit
from numba import uint64 as U

from .jit import JIT


@njit(cache=True)
def _first_inside(kj, PL, SW, OW):  # pragma: no cover - compiled
    """Smallest j with j·SW + kj - PL >= 0 (clipped to [0, OW]); ``kj`` is the column offset kj·DW."""
    return min(OW, max(0, (PL - kj + SW - 1) // SW))


@njit(cache=True)
def _end_inside(kj, PL, SW, OW, W, j_lo):  # pragma: no cover - compiled
    """One past the largest j with j·SW + kj - PL < W (clipped to [j_lo, OW]); ``kj`` is the column offset kj·DW."""
    return max(j_lo, min(OW, (W + PL - kj + SW - 1) // SW))


@njit(**JIT)
def im2col_rows(x, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW, col):  # pragma: no cover - compiled
    """x (N, C, H, W) -> col (C·KH·KW, N·OH·OW), padding PT rows on top and PL columns on the left as zeros."""
    N, C, H, W = x.shape
    P = OH * OW
    xf = x.ravel()
    cf = col.ravel()
    for r in range(C * KH * KW):  # one row of col per r = (c·KH + ki)·KW + kj
        c = r // (KH * KW)
        dh = ((r // KW) % KH) * DH  # ki·DH, kj·DW: where kernel entry (ki, kj) meets the window
        dw = (r % KW) * DW
        j_lo = _first_inside(dw, PL, SW, OW)  # columns j < j_lo and j >= j_hi fall in the padding
        j_hi = _end_inside(dw, PL, SW, OW, W, j_lo)
        for n in range(N):
            for i in range(OH):
                out = U((r * N + n) * P + i * OW)  # col[r, (n·OH + i)·OW + 0], flat (rows of N·P entries)
                h = i * SH + dh - PT  # the input row: h = i·SH + ki·DH − PT
                if h < 0 or h >= H:  # a padding row
                    for j in range(OW):
                        cf[out + U(j)] = 0
                    continue
                for j in range(j_lo):
                    cf[out + U(j)] = 0
                for j in range(j_hi, OW):
                    cf[out + U(j)] = 0
                row = ((n * C + c) * H + h) * W  # x[n, c, h, 0], flat
                if SW == 1:  # contiguous: a plain copy LLVM vectorises
                    src = U(row + j_lo + dw - PL)  # x[n, c, h, j_lo + kj·DW − PL]
                    dst = out + U(j_lo)
                    for j in range(j_hi - j_lo):
                        cf[dst + U(j)] = xf[src + U(j)]
                else:
                    for j in range(j_lo, j_hi):  # col[r, (n·OH + i)·OW + j] = x[n, c, h, j·SW + kj·DW − PL]
                        cf[out + U(j)] = xf[U(row + j * SW + dw - PL)]


@njit(**JIT)
def col2im_rows(col, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW, dx):  # pragma: no cover - compiled
    """col (C·KH·KW, N·OH·OW) -> dx (N, C, H, W): each entry added where im2col_rows took it from (padding dropped)."""
    N, C, H, W = dx.shape
    P = OH * OW
    cf = col.ravel()
    df = dx.ravel()
    for n in range(N):  # each image's gradient is written by one thread only
        image = U(n * C * H * W)
        for q in range(C * H * W):
            df[image + U(q)] = 0
        for c in range(C):
            for ki in range(KH):
                for kj in range(KW):
                    r = (c * KH + ki) * KW + kj
                    dw = kj * DW
                    j_lo = _first_inside(dw, PL, SW, OW)
                    j_hi = _end_inside(dw, PL, SW, OW, W, j_lo)
                    for i in range(OH):
                        h = i * SH + ki * DH - PT
                        if h < 0 or h >= H:  # a padding row: its gradient is dropped
                            continue
                        src = U((r * N + n) * P + i * OW)  # col[r, (n·OH + i)·OW + 0]
                        row = ((n * C + c) * H + h) * W  # dx[n, c, h, 0]
                        # dx[n, c, i·SH + ki·DH − PT, j·SW + kj·DW − PL]
                        #     += col[(c·KH + ki)·KW + kj, (n·OH + i)·OW + j]
                        if SW == 1:
                            dst = U(row + j_lo + dw - PL)
                            src += U(j_lo)
                            for j in range(j_hi - j_lo):
                                df[dst + U(j)] += cf[src + U(j)]
                        else:
                            for j in range(j_lo, j_hi):
                                df[U(row + j * SW + dw - PL)] += cf[src + U(j)]


@njit(**JIT)
def rows_to_nchw(z, b, y):  # pragma: no cover - compiled
    """z (OC, N·P) + b (OC,) -> y (N, OC, P): y[n, oc, p] = z[oc, n·P + p] + b[oc]."""
    N, OC, P = y.shape
    zf = z.ravel()
    yf = y.ravel()
    for n in range(N):
        for oc in range(OC):
            bias = b[oc]
            src = U((oc * N + n) * P)  # z[oc, n·P + 0]
            dst = U((n * OC + oc) * P)  # y[n, oc, 0]
            for p in range(P):
                yf[dst + U(p)] = zf[src + U(p)] + bias


@njit(**JIT, fastmath={"reassoc"})
def nchw_to_rows(grad, rows, db):  # pragma: no cover - compiled
    """grad (N, OC, P) -> rows (OC, N·P) with rows[oc, n·P + p] = grad[n, oc, p]; db[oc] = Σ_n,p grad[n, oc, p].

    ``reassoc`` lets LLVM add each image's P values in vector lanes (as NumPy's sum does);
    the per-image sums are added up in float64.
    """
    N, OC, P = grad.shape
    gf = grad.ravel()
    rf = rows.ravel()
    for oc in range(OC):
        total = 0.0
        for n in range(N):
            src = U((n * OC + oc) * P)  # grad[n, oc, 0]
            dst = U((oc * N + n) * P)  # rows[oc, n·P + 0]
            part = np.float32(0.0)  # becomes float64 for float64 arrays (numba unifies the types)
            for p in range(P):
                value = gf[src + U(p)]
                rf[dst + U(p)] = value
                part += value
            total += np.float64(part)
        db[oc] = total
