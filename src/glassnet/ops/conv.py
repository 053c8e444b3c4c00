"""2-D convolution (cross-correlation, as in every DL framework): shapes, padding, and the choice of kernel.

Four implementations compute exactly the same sums; pick one with ``impl``:

* ``"loops"``  – :mod:`.conv_loops`, plain Python loops written like the course's formulas
  (slow: the readable reference);
* ``"numba"``  – :mod:`.conv_numba`, the same loops compiled by numba (imported only when used);
* ``"im2col_numpy"`` – :mod:`.conv_im2col` in plain NumPy: windows unrolled into the
  columns of one matrix, then one matrix multiply for the whole batch;
* ``"im2col"`` – the same, with the copies around the product done by the numba kernels
  of :mod:`.im2col_kernels` (the default, fastest).

The loop kernels work on an input that is already padded; this module pads before them
and crops the padding off dL/dx afterwards, so padding may be asymmetric ('same' with an
even kernel) without any kernel knowing about it. The im2col path takes the padding
itself (the fast kernels fold it into their copies).

Shapes: x (N, C, H, W), W (OC, C, KH, KW), b (OC,), y (N, OC, OH, OW) with
OH = (H + 2P - KH) // S + 1 (and PT + PB in place of 2P when the padding is asymmetric).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

Pads = tuple[int, int, int, int]
"""Zero rows/columns added on each side: (top, bottom, left, right)."""

IMPLEMENTATIONS = ("loops", "numba", "im2col", "im2col_numpy")
_IM2COL = ("im2col", "im2col_numpy")

OUTPUT_SIZE_FORMULA = "OH = (H + 2P - KH) // S + 1"


def output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int) -> int:
    """One output side: (H + PT + PB - KH) // S + 1 (may be <= 0 when the window does not fit)."""
    return (size + pad_before + pad_after - kernel) // stride + 1


def resolve_padding(
    padding: int | str | tuple[int, int] | list[int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    size: tuple[int, int],
) -> Pads:
    """Turn int / (ph, pw) / 'valid' / 'same' into explicit (top, bottom, left, right) pads.

    'same' follows TensorFlow (and PyTorch's padding='same' for stride 1): the output has
    ceil(H / S) rows, so exactly H rows for stride 1 with any kernel. The total padding
    (OH - 1)·S + KH - H is split with the odd row, if any, at the bottom (right), which is
    what an even kernel or a stride > 1 needs.
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0, 0, 0)
        if mode == "same":
            pads: list[int] = []
            for n, k, s in zip(size, kernel, stride):
                total = max((math.ceil(n / s) - 1) * s + k - n, 0)
                pads += [total // 2, total - total // 2]
            return (pads[0], pads[1], pads[2], pads[3])
        raise ValueError(f"padding must be an int, a pair (ph, pw), 'valid' or 'same'; got {padding!r}")
    if isinstance(padding, (int, np.integer)):
        ph = pw = int(padding)
    elif isinstance(padding, (tuple, list)) and len(padding) == 2:
        ph, pw = int(padding[0]), int(padding[1])
    else:
        raise ValueError(f"padding must be an int, a pair (ph, pw), 'valid' or 'same'; got {padding!r}")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must not be negative; got {padding!r}")
    return (ph, ph, pw, pw)


def pad2d(x: np.ndarray, pads: Pads, value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) -> (N, C, H + PT + PB, W + PL + PR), border filled with ``value``; no copy when pads are 0."""
    top, bottom, left, right = pads
    if not any(pads):
        return x
    N, C, H, W = x.shape
    out = np.full((N, C, H + top + bottom, W + left + right), value, dtype=x.dtype)
    out[:, :, top : top + H, left : left + W] = x
    return out


def crop2d(x_p: np.ndarray, pads: Pads) -> np.ndarray:
    """Inverse of ``pad2d`` for gradients: (N, C, Hp, Wp) -> (N, C, H, W), contiguous."""
    top, bottom, left, right = pads
    if not any(pads):
        return x_p
    Hp, Wp = x_p.shape[2:]
    return np.ascontiguousarray(x_p[:, :, top : Hp - bottom, left : Wp - right])


def _kernel_module(impl: str):
    """The module implementing ``impl``; numba is imported only when asked for."""
    if impl in ("im2col", "im2col_numpy"):
        from . import conv_im2col as module
    elif impl == "loops":
        from . import conv_loops as module
    elif impl == "numba":
        from . import conv_numba as module
    else:
        raise ValueError(f"unknown conv implementation {impl!r}; expected one of {IMPLEMENTATIONS}")
    return module


@dataclass
class ConvCache:
    """What ``conv2d_backward`` needs from the forward pass."""

    impl: str
    W: np.ndarray
    has_bias: bool
    stride: tuple[int, int]
    pads: Pads
    saved: Any
    """The kernel's own cache: the padded input (loops, numba), im2col's columns (im2col_numpy) or the input (im2col)."""
    input_shape: tuple[int, int, int, int]


def conv2d_forward(
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None,
    stride: tuple[int, int] = (1, 1),
    pads: Pads = (0, 0, 0, 0),
    impl: str = "im2col",
) -> tuple[np.ndarray, ConvCache]:
    """x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or None -> y (N, OC, OH, OW) and the cache for backward."""
    module = _kernel_module(impl)
    x = np.asarray(x)
    if x.dtype != W.dtype:
        x = x.astype(W.dtype)  # e.g. uint8 pixels; the weights decide the precision
    if impl in _IM2COL:
        y, saved = module.conv2d_forward(x, W, b, stride, pads, fast=impl == "im2col")
    else:
        x_p = pad2d(x, pads)
        y, saved = module.conv2d_forward(x_p, W, stride)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
    return y, ConvCache(impl, W, b is not None, stride, pads, saved, x.shape)


def conv2d_backward(
    dy: np.ndarray, cache: ConvCache, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """dL/dy (N, OC, OH, OW) -> dL/dx (N, C, H, W) or None, dL/dW (OC, C, KH, KW), dL/db (OC,) or None."""
    module = _kernel_module(cache.impl)
    dy = np.asarray(dy, dtype=cache.W.dtype)
    if cache.impl in _IM2COL:
        dx, dW, db = module.conv2d_backward(
            dy, cache.saved, cache.W, cache.stride, cache.pads, cache.input_shape, need_dx, fast=cache.impl == "im2col"
        )
        return dx, dW, db if cache.has_bias else None
    dy = np.ascontiguousarray(dy)
    db = dy.sum(axis=(0, 2, 3)) if cache.has_bias else None  # δ_b = Σ δ_in
    N, C, H, W = cache.input_shape
    top, bottom, left, right = cache.pads
    padded_shape = (N, C, H + top + bottom, W + left + right)
    dx_p, dW = module.conv2d_backward(dy, cache.saved, cache.W, cache.stride, padded_shape, need_dx)
    dx = crop2d(dx_p, cache.pads) if need_dx else None
    return dx, dW, db
