"""The built-in test picture: a small scene drawn from code, so no file or download is needed."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import DTYPE


def test_picture(size: int = 128) -> np.ndarray:
    """A colour scene (3, size, size) in [0, 1]: a disc crossed by two lines, a square, a triangle, stripes."""
    if size < 16:
        raise ValueError(f"test picture size must be at least 16 pixels, got {size}")
    s = 2 * size  # draw at twice the size, then average 2x2 blocks: smooth (anti-aliased) edges
    y, x = np.mgrid[0:s, 0:s].astype(np.float64) / s
    img = np.empty((3, s, s))
    # sky-like background: lighter at the top
    img[0], img[1], img[2] = 0.80 - 0.25 * y, 0.86 - 0.20 * y, 0.95 - 0.10 * y

    def paint(mask: np.ndarray, rgb: tuple[float, float, float]) -> None:
        for c in range(3):
            img[c][mask] = rgb[c]

    paint((x - 0.40) ** 2 + (y - 0.42) ** 2 < 0.26**2, (0.95, 0.55, 0.15))  # orange disc
    paint((np.abs(x - 0.40) < 0.018) & (np.abs(y - 0.42) < 0.34), (0.15, 0.15, 0.20))  # vertical bar
    paint((np.abs(y - 0.42) < 0.018) & (np.abs(x - 0.40) < 0.34), (0.15, 0.15, 0.20))  # horizontal bar
    paint((x > 0.62) & (x < 0.90) & (y > 0.62) & (y < 0.90), (0.20, 0.35, 0.80))  # blue square
    triangle = (y > 0.08) & (y < 0.38) & (np.abs(x - 0.82) < (y - 0.08) * 0.45)
    paint(triangle, (0.20, 0.65, 0.30))  # green triangle
    stripes = (y > 0.80) & (y < 0.94) & (x > 0.08) & (x < 0.48) & ((x * 20).astype(int) % 2 == 0)
    paint(stripes, (0.35, 0.25, 0.45))  # purple stripes
    img = img.reshape(3, size, 2, size, 2).mean(axis=(2, 4))
    return np.clip(img, 0.0, 1.0).astype(DTYPE)


test_picture.__test__ = False  # type: ignore[attr-defined]  # pytest reads this function attribute: not a test


def as_float_image(image: Any) -> np.ndarray:
    """(C, H, W) or (H, W) of any number type -> float32 (C, H, W), uint8 scaled to [0, 1]."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3:
        raise ValueError(f"image must have shape (C, H, W) or (H, W), got {arr.shape}")
    if arr.dtype == np.uint8:
        return arr.astype(DTYPE) / DTYPE(255)
    return arr.astype(DTYPE)
