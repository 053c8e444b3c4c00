"""What an image is: a grid of dataset samples, and one image as its array of numbers."""
from __future__ import annotations

import os
from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure

from ._figure import as_image, as_images, finish, grid_shape, label_text, new_figure, show_image, text


def plot_samples(
    images: Any,
    labels: Any = None,
    class_names: Sequence[str] | None = None,
    predictions: Any = None,
    *,
    max_images: int = 32,
    ncols: int | None = None,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Grid of images (N, C, H, W) or (N, H, W), each titled with its label (N,) and prediction (N,)."""
    images = as_images(images)[:max_images]
    n = len(images)
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) < n:
            raise ValueError(f"{name} has {len(values)} entries; expected at least one per image ({n})")
    rows, cols = grid_shape(n, ncols or min(8, n))
    fig = new_figure(1.5 * cols, 1.6 * rows + (0.4 if title else 0))
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_axis_off()
            continue
        show_image(ax, images[i])
        if predictions is not None:
            predicted = label_text(predictions[i], class_names)
            if labels is not None:
                truth = label_text(labels[i], class_names)
                wrong = int(predictions[i]) != int(labels[i])
                ax.set_title(f"{predicted} ({truth})", fontsize=9, color="tab:red" if wrong else "tab:green")
            else:
                ax.set_title(predicted, fontsize=9)
        elif labels is not None:
            ax.set_title(label_text(labels[i], class_names), fontsize=9)
    if title:
        fig.suptitle(title)
    return finish(fig, path)


def _single_channel(image: Any, what: str) -> np.ndarray:
    arr = as_image(image, what)
    if arr.shape[0] != 1:
        raise ValueError(f"{what} must have one channel, (1, H, W) or (H, W); got {np.shape(image)}")
    return arr[0]


def image_as_numbers(image: Any, decimals: int = 2) -> str:
    """One grey image (1, H, W) or (H, W) as text: its shape, dtype and range, then one line per row."""
    arr = np.asarray(image)
    pixels = _single_channel(arr, "image")
    width = decimals + 3 if np.issubdtype(pixels.dtype, np.floating) else len(str(int(pixels.max(initial=0))))
    lines = [
        f"shape {arr.shape}, dtype {arr.dtype}, min {pixels.min():.{decimals}f}, max {pixels.max():.{decimals}f}"
    ]
    for row in pixels:
        if np.issubdtype(pixels.dtype, np.floating):
            lines.append(" ".join(f"{v:{width}.{decimals}f}" for v in row))
        else:
            lines.append(" ".join(f"{int(v):{width}d}" for v in row))
    return "\n".join(lines)


def pixel_text(value: Any, decimals: int = 2) -> str:
    """How a pixel's value is written on a figure: '0' for zero, an integer as it is, else ``decimals`` decimals."""
    if value == 0:
        return "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return f"{value:.{decimals}f}"


def write_pixel_values(ax: Any, pixels: np.ndarray, decimals: int = 2, fontsize: float = 6.0) -> None:
    """Draw a grey (H, W) image on ``ax`` without ticks, each pixel's value written on it (``pixel_text``).

    Each number is a text with gid 'pixel:ROW,COL'; it is white on dark pixels and black on light ones.
    """
    h, w = pixels.shape
    ax.imshow(pixels, cmap="gray")
    ax.set_xticks([])
    ax.set_yticks([])
    threshold = float(pixels.min()) + (float(pixels.max()) - float(pixels.min())) / 2.5
    for r in range(h):
        for c in range(w):
            value = pixels[r, c]
            ax.text(c, r, pixel_text(value, decimals), ha="center", va="center", fontsize=fontsize,
                    color="white" if value < threshold else "black", gid=f"pixel:{r},{c}")


def plot_image_as_numbers(
    image: Any,
    *,
    decimals: int = 2,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """One grey image (1, H, W) or (H, W) drawn large with every pixel's value written on it."""
    arr = np.asarray(image)
    pixels = _single_channel(arr, "image")
    h, w = pixels.shape
    if h * w > 64 * 64:
        raise ValueError(f"image of {h}x{w} pixels has too many numbers to write; expected at most 64x64")
    cell = 0.42 if decimals <= 1 else 0.46
    fig = new_figure(max(4.0, cell * w), max(4.0, cell * h) + 0.4)
    ax = fig.subplots()
    write_pixel_values(ax, pixels, decimals, fontsize=6.5 if decimals <= 1 else 6)
    ax.set_title(title or text("fig:numbers.title", shape=arr.shape, count=h * w))
    return finish(fig, path)
