"""Shapes and padding of a window slid over images: the helpers every conv and pooling path shares.

A leaf module: it imports nothing of glassnet, so every other module of ``ops`` (and the
layers) may import it without a cycle.

Shapes: x (N, C, H, W); a KH×KW window moved by stride S gives OH = (H + 2P - KH) // S + 1
rows (and PT + PB in place of 2P when the padding is asymmetric, e.g. 'same' with an even kernel).
A dilated window (dilation D: D - 1 skipped rows between the kernel's rows, as in PyTorch) spans
D·(KH - 1) + 1 rows, and then OH = (H + 2P - D·(KH - 1) - 1) // S + 1: the same formula with
that span in place of KH.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Pads = tuple[int, int, int, int]
"""Zero rows/columns added on each side: (top, bottom, left, right)."""


@dataclass
class ConvCache:
    """What every conv implementation keeps for its backward pass besides its own copy of the input."""

    W: np.ndarray
    """The filters (OC, C, KH, KW)."""
    stride: tuple[int, int]
    pads: Pads
    has_bias: bool
    dilation: tuple[int, int]
    """(DH, DW): kernel entry (ki, kj) meets input row i·SH + ki·DH, column j·SW + kj·DW."""


OUTPUT_SIZE_FORMULA = "OH = (H + 2P - KH) // S + 1"
DILATED_OUTPUT_SIZE_FORMULA = "OH = (H + 2P - D·(KH-1) - 1) // S + 1"
"""The course's formula for a dilated window (dilation D); with D = 1 it is OUTPUT_SIZE_FORMULA."""


def span(kernel: int, dilation: int = 1) -> int:
    """Input rows (or columns) one window covers: D·(KH - 1) + 1, which is KH when D = 1."""
    return dilation * (kernel - 1) + 1


def output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int, dilation: int = 1) -> int:
    """One output side: (H + PT + PB - D·(KH - 1) - 1) // S + 1 (may be <= 0 when the window does not fit)."""
    return (size + pad_before + pad_after - span(kernel, dilation)) // stride + 1


def resolve_padding(
    padding: int | str | tuple[int, int] | list[int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    size: tuple[int, int],
    dilation: tuple[int, int] = (1, 1),
) -> Pads:
    """Turn int / (ph, pw) / 'valid' / 'same' into explicit (top, bottom, left, right) pads.

    'same' follows TensorFlow (and PyTorch's padding='same' for stride 1): the output has
    ceil(H / S) rows, so exactly H rows for stride 1 with any kernel and dilation. The total
    padding (OH - 1)·S + D·(KH - 1) + 1 - H is split with the odd row, if any, at the bottom
    (right), which is what an even kernel or a stride > 1 needs.
    """
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return (0, 0, 0, 0)
        if mode == "same":
            pads: list[int] = []
            for n, k, s, d in zip(size, kernel, stride, dilation):
                total = max((math.ceil(n / s) - 1) * s + span(k, d) - n, 0)
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
