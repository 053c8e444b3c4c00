"""A compact JSON form for feature maps: 8-bit values in base64, with each map's own range.

LeNet-5's activations for one digit are about 16,000 numbers; as JSON floats that is
~200 KB per drawing. The page only paints them, so 256 grey levels are plenty: each
map (one channel of a conv output, or a whole vector) is scaled so its minimum is 0
and its maximum 255, and ``min`` / ``max`` give the way back:

    value ≈ min[c] + q / 255 · (max[c] - min[c])

A layer's output of shape (C, H, W) has C ranges; any other shape has one.
"""
from __future__ import annotations

import base64
from typing import Any

import numpy as np

from ..backend import DTYPE


def encode_maps(array: np.ndarray, value_range: tuple[float, float] | None = None) -> dict[str, Any]:
    """(C, H, W) or any other shape -> {"shape", "min", "max", "data"}: uint8 base64, C-order.

    With ``value_range`` every map uses that fixed range (e.g. (0, 1) for an input image).
    """
    array = np.asarray(array, dtype=DTYPE)
    maps = array.reshape(array.shape[0], -1) if array.ndim == 3 else array.reshape(1, -1)
    if value_range is None:
        low, high = maps.min(axis=1, keepdims=True), maps.max(axis=1, keepdims=True)
    else:
        low = np.full((maps.shape[0], 1), value_range[0], dtype=DTYPE)
        high = np.full((maps.shape[0], 1), value_range[1], dtype=DTYPE)
    span = high - low
    scale = np.divide(DTYPE(255.0), span, out=np.zeros_like(span), where=span > 0)
    quantized = np.rint(np.clip((maps - low) * scale, 0.0, 255.0)).astype(np.uint8)
    return {
        "shape": [int(d) for d in array.shape],
        "min": [float(v) for v in low[:, 0]],
        "max": [float(v) for v in high[:, 0]],
        "data": base64.b64encode(quantized.tobytes()).decode("ascii"),
    }


def decode_maps(encoded: dict[str, Any]) -> np.ndarray:
    """Inverse of ``encode_maps`` (to within one grey level): the dict -> float32 array of its ``shape``."""
    shape = tuple(encoded["shape"])
    quantized = np.frombuffer(base64.b64decode(encoded["data"]), dtype=np.uint8).astype(DTYPE)
    maps = quantized.reshape(len(encoded["min"]), -1)
    low = np.asarray(encoded["min"], dtype=DTYPE)[:, None]
    high = np.asarray(encoded["max"], dtype=DTYPE)[:, None]
    return (low + maps * ((high - low) / DTYPE(255.0))).reshape(shape)
