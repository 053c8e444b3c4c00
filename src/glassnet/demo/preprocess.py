"""Turn a drawing into an MNIST-style digit, the way the MNIST images were made.

The MNIST README: the digits "were size normalized to fit in a 20x20 pixel box while
preserving their aspect ratio ... [then] centered in a 28x28 image by computing the
center of mass of the pixels, and translating the image so as to position this point
at the center of the 28x28 field." ``preprocess_drawing`` does exactly these steps:

1. scale the ink to [0, 1] and find its bounding box;
2. resize the box so that its longer side is 20 pixels, keeping the aspect ratio,
   by area averaging (each new pixel is the mean of the old pixels it covers; this is
   the anti-aliasing that gives MNIST its grey edges);
3. paste it into a 28x28 field so that its centre of mass lands on the field's centre.

For a model with another input size (H, W) the box is 20/28 of it. Fashion-MNIST was
made differently (longest side resized to 28, then centred in the field), which
``FASHION_MNIST_STYLE`` follows. Everything is NumPy on whole arrays; the resize is
two small matrix products.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend import DTYPE

MNIST_SIZE = 28
MNIST_BOX = 20
INK_THRESHOLD = 0.05
"""Pixels fainter than this (on a 0..1 scale) do not count when finding the bounding box."""


@dataclass(frozen=True)
class Style:
    """How a dataset's images were framed: the longest side's share of the field, and what is centred."""

    box_fraction: float
    center: str
    """'mass' (centre of mass on the field's centre pixel) or 'box' (bounding box in the middle)."""
    stretch: bool = True
    """Scale the brightest pixel to 1 (MNIST's strokes are saturated; clothes are not)."""

    def __post_init__(self) -> None:
        if self.center not in ("mass", "box") or not 0 < self.box_fraction <= 1:
            raise ValueError(f"Style needs center 'mass' or 'box' and 0 < box_fraction <= 1; got {self}")

    def describe(self, size: tuple[int, int]) -> str:
        """One sentence for the page, e.g. 'scaled to fit 20×20, centred by its centre of mass in 28×28'."""
        side = box_side(size, self.box_fraction)
        how = "by its centre of mass" if self.center == "mass" else "by its bounding box"
        return f"cropped, scaled to fit {side}×{side}, centred {how} in {size[0]}×{size[1]}"


MNIST_STYLE = Style(MNIST_BOX / MNIST_SIZE, "mass")
FASHION_MNIST_STYLE = Style(1.0, "box", stretch=False)
STYLES = {"mnist": MNIST_STYLE, "fashion_mnist": FASHION_MNIST_STYLE}
"""Dataset name -> framing; every other dataset gets MNIST's."""


def box_side(size: tuple[int, int], box_fraction: float) -> int:
    """The longest side of the resized drawing, in pixels, for a field of ``size``."""
    return max(1, round(min(size) * box_fraction))


def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """(n_out, n_in) matrix; row i holds the share of each input pixel inside output pixel i.

    Output pixel i covers the input interval [i·n_in/n_out, (i+1)·n_in/n_out); its
    value is the average of the input over that interval, so every row sums to 1.
    """
    step = n_in / n_out
    edges = np.arange(n_out + 1, dtype=np.float64) * step
    start, stop = edges[:-1, None], edges[1:, None]            # (n_out, 1)
    j = np.arange(n_in, dtype=np.float64)[None, :]             # (1, n_in)
    overlap = np.clip(np.minimum(stop, j + 1) - np.maximum(start, j), 0.0, None)
    return (overlap / step).astype(DTYPE)


def resize_area(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) -> (height, width) by area averaging: R_y @ image @ R_xᵀ."""
    return area_weights(image.shape[0], height) @ image @ area_weights(image.shape[1], width).T


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(H, W) non-negative image -> (row, col) of its centre of mass in pixel-index units."""
    total = float(image.sum())
    rows = np.arange(image.shape[0], dtype=DTYPE)
    cols = np.arange(image.shape[1], dtype=DTYPE)
    return float(image.sum(axis=1) @ rows) / total, float(image.sum(axis=0) @ cols) / total


def ink_bounding_box(ink: np.ndarray, threshold: float = INK_THRESHOLD) -> tuple[slice, slice] | None:
    """(H, W) image in [0, 1] -> (row slice, col slice) around the pixels above ``threshold``, or None."""
    rows = np.flatnonzero(ink.max(axis=1) > threshold)
    cols = np.flatnonzero(ink.max(axis=0) > threshold)
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def blank_reason(pixels: np.ndarray, max_value: float = 255.0, threshold: float = INK_THRESHOLD) -> str | None:
    """Why a drawing is blank ('blank drawing: no ink ...'), or None when it holds a stroke to recognise.

    Blank is no pixel above ``threshold`` (the preprocessed image is all zeros), or the
    same ink everywhere to within ``threshold`` (a uniform image has no stroke; cropped and
    scaled it would become a solid square that the network reads as some class).
    """
    ink = np.asarray(pixels).astype(DTYPE) * DTYPE(1.0 / max_value)
    high, low = float(ink.max()), float(ink.min())
    if high <= threshold:
        return f"blank drawing: no pixel has ink above {threshold:.0%} (the strongest is {high:.0%})"
    if high - low <= threshold:
        return f"blank drawing: every pixel has the same ink ({low:.0%} to {high:.0%}), so there is no stroke"
    return None


def preprocess_drawing(
    pixels: np.ndarray,
    size: tuple[int, int] = (MNIST_SIZE, MNIST_SIZE),
    *,
    style: Style = MNIST_STYLE,
    max_value: float = 255.0,
) -> np.ndarray:
    """(H, W) ink intensities in [0, max_value] -> (size) float32 image in [0, 1], MNIST-style by default.

    Ink is bright on a dark background, as in MNIST. A blank drawing gives all zeros.
    With ``style.stretch`` the result's brightest pixel is 1, like MNIST's strokes
    (which reach 255), so a thin pen still gives a full-strength digit.
    """
    pixels = np.asarray(pixels)
    if pixels.ndim != 2:
        raise ValueError(f"a drawing must be a 2-D grid (H, W); got shape {pixels.shape}")
    out_h, out_w = size
    out = np.zeros((out_h, out_w), dtype=DTYPE)
    ink = pixels.astype(DTYPE) * DTYPE(1.0 / max_value)
    box = ink_bounding_box(ink)
    if box is None:
        return out
    crop = ink[box]
    h, w = crop.shape

    # Longest side to 20/28 of the field (MNIST), keeping the aspect ratio.
    side = box_side(size, style.box_fraction)
    scale = side / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    digit = resize_area(crop, new_h, new_w)
    if style.stretch:
        digit = digit * (DTYPE(1.0) / digit.max())
    digit = np.clip(digit, 0.0, 1.0)

    if style.center == "mass":
        # Centre of mass onto pixel (14, 14) of the 28x28 field, where MNIST puts it (measured over
        # the test set: mean 13.99, 14.00), kept inside the field.
        com_row, com_col = center_of_mass(digit)
        top = int(np.clip(round(out_h / 2 - com_row), 0, out_h - new_h))
        left = int(np.clip(round(out_w / 2 - com_col), 0, out_w - new_w))
    else:
        top, left = (out_h - new_h) // 2, (out_w - new_w) // 2
    out[top:top + new_h, left:left + new_w] = digit
    return out


def to_model_input(image: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """(H, W) image -> (1, *input_shape) batch: (1, C, H, W) repeats it over C channels; (1, H·W) flattens it."""
    if len(input_shape) == 3:
        channels = input_shape[0]
        return np.ascontiguousarray(np.broadcast_to(image, (1, channels, *image.shape)), dtype=DTYPE)
    if len(input_shape) == 1:
        return image.reshape(1, -1).astype(DTYPE, copy=False)
    raise ValueError(f"the demo draws images: expected a model input shape (C, H, W) or (H·W,), got {input_shape}")


def image_size(input_shape: tuple[int, ...]) -> tuple[int, int]:
    """Model input shape (C, H, W) or (H·W,) -> the (H, W) a drawing is preprocessed to."""
    if len(input_shape) == 3:
        return int(input_shape[1]), int(input_shape[2])
    if len(input_shape) == 1:
        side = int(round(input_shape[0] ** 0.5))
        if side * side == input_shape[0]:
            return side, side
    raise ValueError(
        f"the demo draws images: expected a model input shape (C, H, W) or a square (H·W,), got {input_shape}"
    )
