"""Fast pooling: the reference's loops over output pixels, compiled by numba (the default, ``impl="fast"``).

The loops are those of :mod:`.pool_reference`, one iteration per output pixel; numba
compiles them to machine code (one core; glassnet's threads each take a slice of the
batch, see :mod:`glassnet.parallel`). Max pooling also
remembers where each maximum was (its index in the flattened padded plane, the first
maximum on ties, as PyTorch does), so the backward pass just adds each δ there. Same
results as ``pool_reference`` and ``pool_numpy`` (the tests check it).

Indices are unsigned (``U(...)``) for the reason given in :mod:`.im2col_kernels`:
numba's check for negative indices would otherwise run on every access.
"""
from __future__ import annotations

import numpy as np
from numba import njit
from numba import uint64 as U

from .jit import JIT



@njit(**JIT)
def _max_forward(x_p, KH, KW, SH, SW, y, argmax):  # pragma: no cover - compiled
    N, C, Hp, Wp = x_p.shape
    OH, OW = y.shape[2], y.shape[3]
    xf = x_p.ravel()
    yf = y.ravel()
    af = argmax.ravel()
    two_by_two = KH == 2 and KW == 2 and SH == 2 and SW == 2
    for plane in range(N * C):
        src = U(plane * Hp * Wp)
        dst = U(plane * OH * OW)
        for i in range(OH):
            for j in range(OW):
                first = (i * SH) * Wp + j * SW  # top-left corner of the window, in the plane
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
                            at = first + ki * Wp + kj
                            value = xf[src + U(at)]
                            if value > best:  # strictly greater: the first maximum wins ties
                                best = value
                                where = at
                yf[dst + U(i * OW + j)] = best
                af[dst + U(i * OW + j)] = where


@njit(**JIT)
def _max_backward(dy, argmax, dx_p):  # pragma: no cover - compiled
    N, C, OH, OW = dy.shape
    Hp, Wp = dx_p.shape[2], dx_p.shape[3]
    gf = dy.ravel()
    af = argmax.ravel()
    df = dx_p.ravel()
    for plane in range(N * C):
        dst = U(plane * Hp * Wp)
        src = U(plane * OH * OW)
        for q in range(Hp * Wp):
            df[dst + U(q)] = 0
        for p in range(OH * OW):
            df[dst + U(af[src + U(p)])] += gf[src + U(p)]  # += : overlapping windows may share a maximum


@njit(**JIT)
def _avg_forward(x_p, KH, KW, SH, SW, y):  # pragma: no cover - compiled
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
def _avg_backward(dy, KH, KW, SH, SW, dx_p):  # pragma: no cover - compiled
    N, C, OH, OW = dy.shape
    Hp, Wp = dx_p.shape[2], dx_p.shape[3]
    gf = dy.ravel()
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


def max_pool2d_forward(
    x_p: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """x_p (N, C, Hp, Wp) -> y (N, C, OH, OW), cache argmax (N, C, OH, OW): where in its plane each maximum was."""
    x_p = np.ascontiguousarray(x_p)
    (KH, KW), (SH, SW) = pool, stride
    N, C, Hp, Wp = x_p.shape
    shape = (N, C, (Hp - KH) // SH + 1, (Wp - KW) // SW + 1)
    y = np.empty(shape, dtype=x_p.dtype)
    argmax = np.empty(shape, dtype=np.int32 if Hp * Wp < 2**31 else np.int64)
    _max_forward(x_p, KH, KW, SH, SW, y, argmax)
    return y, argmax


def max_pool2d_backward(
    dy: np.ndarray,
    argmax: np.ndarray,
    padded_shape: tuple[int, ...],
    pool: tuple[int, int],
    stride: tuple[int, int],
) -> np.ndarray:
    """dy (N, C, OH, OW) -> dL/dx_p (N, C, Hp, Wp): each δ added where its window's maximum was."""
    dx_p = np.empty(padded_shape, dtype=dy.dtype)
    _max_backward(np.ascontiguousarray(dy), argmax, dx_p)
    return dx_p


def avg_pool2d_forward(x_p: np.ndarray, pool: tuple[int, int], stride: tuple[int, int]) -> tuple[np.ndarray, None]:
    """x_p (N, C, Hp, Wp) -> y (N, C, OH, OW): the mean of each window."""
    x_p = np.ascontiguousarray(x_p)
    (KH, KW), (SH, SW) = pool, stride
    N, C, Hp, Wp = x_p.shape
    y = np.empty((N, C, (Hp - KH) // SH + 1, (Wp - KW) // SW + 1), dtype=x_p.dtype)
    _avg_forward(x_p, KH, KW, SH, SW, y)
    return y, None


def avg_pool2d_backward(
    dy: np.ndarray, padded_shape: tuple[int, ...], pool: tuple[int, int], stride: tuple[int, int]
) -> np.ndarray:
    """dy (N, C, OH, OW) -> dL/dx_p (N, C, Hp, Wp): δ / (KH·KW) added to every input of the window."""
    (KH, KW), (SH, SW) = pool, stride
    dx_p = np.empty(padded_shape, dtype=dy.dtype)
    _avg_backward(np.ascontiguousarray(dy), KH, KW, SH, SW, dx_p)
    return dx_p
