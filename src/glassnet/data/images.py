"""Images from files, and images made to fit a model: PNG/JPEG reading, gray <-> RGB, inverting drawings.

Pillow is imported on first use, so ``import glassnet`` stays fast.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..backend import DTYPE
from .transforms import to_grayscale

Framing = Callable[[np.ndarray], tuple[np.ndarray, str]]
"""Crops and centres a gray (H, W) image in [0, 1] the way a dataset's images were made; returns it and
a description of what was done (``glassnet.demo.preprocess`` holds MNIST's and Fashion-MNIST's)."""


def read_image(path: str | Path, grey: bool = False, size: int | None = None) -> np.ndarray:
    """Read a PNG/JPEG file as float32 (C, H, W) in [0, 1] (C = 3, or 1 if ``grey`` or the file is grey)."""
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    with Image.open(path) as opened:
        im = opened.convert("L" if grey or opened.mode in ("L", "1", "I", "I;16", "F") else "RGB")
        if size is not None:
            im = im.resize((size, size))
        arr = np.asarray(im, dtype=np.float32)
    scale = 255.0 if arr.max(initial=0) <= 255 else float(arr.max())
    arr = arr / np.float32(scale)
    return (arr[None] if arr.ndim == 2 else np.transpose(arr, (2, 0, 1))).astype(DTYPE)


def read_model_input(path: str | Path, shape: tuple[int, int, int], invert: str = "auto",
                     framing: Framing | None = None) -> tuple[np.ndarray, list[str]]:
    """Read a PNG/JPEG of any size and mode as a model input (C, H, W) float32 in [0, 1]; also return what was done.

    RGB models get the picture resized to H x W. 1-channel models (light strokes on
    black, as MNIST) get it in gray; with ``invert='auto'`` a light background (border
    brighter than mid-gray) is inverted, and given a ``framing`` the ink is cropped,
    scaled and centred by it instead of the whole picture being resized.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    channels, height, width = shape
    if not Path(path).is_file():
        raise FileNotFoundError(f"image not found: {path}")
    try:
        with Image.open(path) as opened:
            img = ImageOps.exif_transpose(opened)
            if img.mode in ("RGBA", "LA", "P", "PA"):  # transparent drawings: put them on white paper
                img = img.convert("RGBA")
                img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img)
            img = img.convert("L" if channels == 1 else "RGB")
            if channels != 1 or framing is None:
                img = img.resize((width, height), Image.Resampling.LANCZOS)
            array = np.asarray(img, dtype=DTYPE) / DTYPE(255.0)
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise ValueError(f"{path} is not an image Pillow can read (PNG or JPEG expected)") from None
    if channels != 1:
        return np.clip(array.transpose(2, 0, 1), 0, 1).astype(DTYPE, copy=False), ["resized"]
    steps = []
    border = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    if invert == "yes" or (invert == "auto" and float(border.mean()) > 0.5):
        array = 1 - array
        steps.append("inverted to light-on-dark")
    if framing is None:
        steps.insert(0, "resized")
    else:
        array, framed = framing(array)
        steps.append(framed)
    return np.clip(array, 0, 1).astype(DTYPE, copy=False)[None], steps


def convert_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """(N, C, H, W) -> (N, channels, H, W): RGB -> gray by luminance, gray -> RGB by repeating."""
    have = x.shape[1]
    if have == channels:
        return x
    if have == 3 and channels == 1:
        return to_grayscale(x)
    if have == 1 and channels == 3:
        return np.repeat(x, 3, axis=1)
    raise ValueError(f"cannot convert {have}-channel images to the {channels} channels the model expects")


def fit_to_input(x: np.ndarray, input_shape: tuple[int, ...], source: str) -> np.ndarray:
    """Samples (N, ...) made to fit a model's per-sample ``input_shape``: images (N, C, H, W) of the right size
    get their channels converted; anything else that does not fit is a ValueError naming ``source``."""
    expected = tuple(input_shape)
    if tuple(x.shape[1:]) == expected:
        return x
    if x.ndim == 4 and len(expected) == 3 and x.shape[2:] == expected[1:]:
        return convert_channels(x, expected[0])
    raise ValueError(f"the model takes samples of shape {expected} but {source} has samples of shape "
                     f"{tuple(x.shape[1:])}")
