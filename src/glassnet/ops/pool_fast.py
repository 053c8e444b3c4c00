"""Fast pooling, the default (``impl="fast"``): the reference's loops over output pixels, compiled by numba.

The loops are those of :mod:`.pool_reference`, one iteration per output pixel; numba
compiles them to machine code (one core; glassnet's threads each take a slice of the
batch, see :mod:`glassnet.parallel`). Max pooling also remembers where each maximum was
(its index in the flattened padded plane, the first maximum on ties, as PyTorch does), so
the backward pass just adds each δ there. Same results as ``pool_reference`` and
``pool_numpy`` (the tests check it). Padding is done here, as in the reference, before the
kernels run: -inf for max pooling, zeros for average pooling.

Arrays are indexed through flat views: x_p[n, c, h, w] = xf[(n·C + c)·Hp·Wp + h·Wp + w]
(``plane`` = n·C + c), with unsigned offsets (``U(...)``) for the reason given in
:mod:`.conv_kernels`: numba's check for negative indices would otherwise run on every
access. With ``NUMBA_DISABLE_JIT=1`` in the environment the kernels run as plain Python.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit
from numba import uint64 as U

from .jit import JIT
from .shapes import Pads, crop2d, pad2d


@njit(**JIT)
def _max_forward(x_p, KH, KW, SH, SW, y, argmax):  # pragma: no cover - compiled
    """x_p (N, C, Hp, Wp) -> y (N, C, OH, OW): y[n, c, i, j] = max over ki, kj of x_p[n, c, i·SH + ki, j·SW + kj]; argmax: where."""
    N, C, Hp, Wp = x_p.shape
    OH, OW = y.shape[2], y.shape[3]
    xf = x_p.ravel()
    yf = y.ravel()
    af = argmax.ravel()
    two_by_two = KH == 2 and KW == 2 and SH == 2 and SW == 2
    for plane in range(N * C):  # plane = n·C + c
        src = U(plane * Hp * Wp)  # x_p[n, c, 0, 0], flat
        dst = U(plane * OH * OW)  # y[n, c, 0, 0], flat
        for i in range(OH):
            for j in range(OW):
                first = (i * SH) * Wp + j * SW  # x_p[n, c, i·SH, j·SW]: the window's top-left corner, in the plane
                best = xf[src + U(first)]
                where = first
                if two_by_two:  # the common 2x2 window, unrolled: 3-4 times faster than the loops below
                    for at in (first + 1, first + Wp, first + Wp + 1):
                        value = xf[src + U(at)]
                        if value > best:
                            best = value
                            where = at
                else:
                    for ki in range(KH):
                        for kj in range(KW):
                            at = first + ki * Wp + kj  # x_p[n, c, i·SH + ki, j·SW + kj], in the plane
                            value = xf[src + U(at)]
                            if value > best:  # strictly greater: the first maximum wins ties
                                best = value
                                where = at
                yf[dst + U(i * OW + j)] = best
                af[dst + U(i * OW + j)] = where


@njit(**JIT)
def _max_backward(grad, argmax, dx_p):  # pragma: no cover - compiled
    """grad (N, C, OH, OW) -> dx_p (N, C, Hp, Wp): dx_p = 0, then each grad[n, c, i, j] added at its argmax."""
    N, C, OH, OW = grad.shape
    Hp, Wp = dx_p.shape[2], dx_p.shape[3]
    gf = grad.ravel()
    af = argmax.ravel()
    df = dx_p.ravel()
    for plane in range(N * C):
        dst = U(plane * Hp * Wp)
        src = U(plane * OH * OW)
        for q in range(Hp * Wp):
            df[dst + U(q)] = 0
        for p in range(OH * OW):  # p = i·OW + j; argmax holds the maximum's place in the padded plane
            df[dst + U(af[src + U(p)])] += gf[src + U(p)]  # += : overlapping windows may share a maximum


@njit(**JIT)
def _avg_forward(x_p, KH, KW, SH, SW, y):  # pragma: no cover - compiled
    """x_p (N, C, Hp, Wp) -> y (N, C, OH, OW): y[n, c, i, j] = Σ_ki,kj x_p[n, c, i·SH + ki, j·SW + kj] / (KH·KW)."""
    N, C, Hp, Wp = x_p.shape
    OH, OW = y.shape[2], y.shape[3]
    xf = x_p.ravel()
    yf = y.ravel()
    scale = 1.0 / (KH * KW)
    for plane in range(N * C):
        src = U(plane * Hp * Wp)
        dst = U(plane * OH * OW)
        for i in range(OH):
            for j in range(OW):
                first = (i * SH) * Wp + j * SW
                total = 0.0  # summed in float64
                for ki in range(KH):
                    for kj in range(KW):
                        total += xf[src + U(first + ki * Wp + kj)]
                yf[dst + U(i * OW + j)] = total * scale


@njit(**JIT)
def _avg_backward(grad, KH, KW, SH, SW, dx_p):  # pragma: no cover - compiled
    """grad (N, C, OH, OW) -> dx_p (N, C, Hp, Wp): dx_p[n, c, i·SH + ki, j·SW + kj] += grad[n, c, i, j] / (KH·KW)."""
    N, C, OH, OW = grad.shape
    Hp, Wp = dx_p.shape[2], dx_p.shape[3]
    gf = grad.ravel()
    df = dx_p.ravel()
    scale = 1.0 / (KH * KW)
    for plane in range(N * C):
        dst = U(plane * Hp * Wp)
        src = U(plane * OH * OW)
        for q in range(Hp * Wp):
            df[dst + U(q)] = 0
        for i in range(OH):
            for j in range(OW):
                share = gf[src + U(i * OW + j)] * scale
                first = (i * SH) * Wp + j * SW
                for ki in range(KH):
                    for kj in range(KW):
                        df[dst + U(first + ki * Wp + kj)] += share


@dataclass
class FastPoolCache:
    """What the fast backward pass needs from the forward pass."""

    impl: ClassVar[str] = "fast"
    pool: tuple[int, int]
    stride: tuple[int, int]
    pads: Pads
    padded_shape: tuple[int, int, int, int]
    argmax: np.ndarray | None = None
    """Max pooling: where each maximum was, its index h·Wp + w in its padded plane, (N, C, OH, OW); average pooling: None."""


def max_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0)
) -> tuple[np.ndarray, FastPoolCache]:
    """x (N, C, H, W) -> y (N, C, OH, OW), the maximum of each window, and the cache for backward."""
    x_p = np.ascontiguousarray(pad2d(x, pads, value=-np.inf))
    (KH, KW), (SH, SW) = pool, stride
    N, C, Hp, Wp = x_p.shape
    shape = (N, C, (Hp - KH) // SH + 1, (Wp - KW) // SW + 1)
    y = np.empty(shape, dtype=x_p.dtype)
    argmax = np.empty(shape, dtype=np.int32 if Hp * Wp < 2**31 else np.int64)
    _max_forward(x_p, KH, KW, SH, SW, y, argmax)
    return y, FastPoolCache(pool, stride, pads, x_p.shape, argmax)


def max_pool2d_backward(grad: np.ndarray, cache: FastPoolCache) -> np.ndarray:
    """grad = dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W): each δ added where its window's maximum was."""
    dx_p = np.empty(cache.padded_shape, dtype=grad.dtype)
    _max_backward(np.ascontiguousarray(grad), cache.argmax, dx_p)
    return crop2d(dx_p, cache.pads)


def avg_pool2d_forward(
    x: np.ndarray, pool: tuple[int, int], stride: tuple[int, int], pads: Pads = (0, 0, 0, 0)
) -> tuple[np.ndarray, FastPoolCache]:
    """x (N, C, H, W) -> y (N, C, OH, OW), the mean of each window (padding zeros included), and the cache."""
    x_p = np.ascontiguousarray(pad2d(x, pads, value=0.0))
    (KH, KW), (SH, SW) = pool, stride
    N, C, Hp, Wp = x_p.shape
    y = np.empty((N, C, (Hp - KH) // SH + 1, (Wp - KW) // SW + 1), dtype=x_p.dtype)
    _avg_forward(x_p, KH, KW, SH, SW, y)
    return y, FastPoolCache(pool, stride, pads, x_p.shape)


def avg_pool2d_backward(grad: np.ndarray, cache: FastPoolCache) -> np.ndarray:
    """grad = dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W): δ / (KH·KW) added to every input of the window."""
    (KH, KW), (SH, SW) = cache.pool, cache.stride
    dx_p = np.empty(cache.padded_shape, dtype=grad.dtype)
    _avg_backward(np.ascontiguousarray(grad), KH, KW, SH, SW, dx_p)
    return crop2d(dx_p, cache.pads)
