"""Module 7's "what the computer sees": a digit, its grid of numbers, the vector a Dense layer reads.

``plot_what_the_computer_sees(image)`` draws, for one grey image (1, H, W):

* the picture, and beside it the same picture as its grid of numbers (every pixel's value
  written on it, as ``plot_image_as_numbers`` does);
* the grid flattened row after row into one vector of H·W numbers (``image.reshape(-1)``,
  784 for MNIST), as the course's MLP reads it: a line of 784 values;
* the same digit moved ``shift`` pixels (dy, dx) and its vector drawn over the first one.
  To us it is the same digit; compared number by number, as a Dense layer compares its
  input with its weights, most of the numbers that were ink are now background and the
  other way round. The title counts the numbers that changed.
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..data.augment import translate
from ._figure import finish, new_figure, text
from .samples import _single_channel, write_pixel_values

DEFAULT_SHIFT = (0, 3)
"""How far the second copy of the digit is moved: (down, right) pixels."""


def flattened(image: Any) -> np.ndarray:
    """One grey image (1, H, W) or (H, W) as the vector a Dense layer reads: its rows one after another, (H·W,)."""
    return _single_channel(image, "image").reshape(-1)


def shifted_image(image: Any, dy: int, dx: int) -> np.ndarray:
    """One grey image (1, H, W) or (H, W) moved ``dy`` pixels down and ``dx`` right, zeros filling in: (H, W)."""
    pixels = _single_channel(image, "image")
    return translate(pixels[None, None], np.array([dy]), np.array([dx]))[0, 0]


def _draw_vector(ax: Any, vector: np.ndarray, width: int, colour: str, gid: str, label: str) -> None:
    index = np.arange(vector.size)
    ax.plot(index, vector, color=colour, linewidth=0.8, gid=gid, label=label)
    ax.fill_between(index, vector, color=colour, alpha=0.25, linewidth=0)
    for row_start in range(width, vector.size, width):  # where one row of the image ends and the next begins
        ax.axvline(row_start - 0.5, color="#cccccc", linewidth=0.4, zorder=0)
    ax.set_xlim(-0.5, vector.size - 0.5)
    ax.margins(y=0.05)


def plot_what_the_computer_sees(
    image: Any,
    *,
    shift: tuple[int, int] = DEFAULT_SHIFT,
    decimals: int = 2,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The picture and its grid of numbers, the flattened vector, and the vector of the digit moved ``shift`` (dy, dx).

    Drawn objects a test can read: the numbers are texts with gid 'pixel:ROW,COL'; the
    vectors are lines with gid 'vector' (the image) and 'vector:moved' (the moved image),
    their y data the numbers themselves; the pictures are images with gid 'picture' and
    'picture:moved'.
    """
    arr = np.asarray(image)
    pixels = _single_channel(arr, "image")
    h, w = pixels.shape
    if h * w > 64 * 64:
        raise ValueError(f"image of {h}x{w} pixels has too many numbers to write; expected at most 64x64")
    dy, dx = (int(s) for s in shift)
    if max(abs(dy), abs(dx)) >= max(h, w):
        raise ValueError(f"shift {shift} moves the whole {h}x{w} image out of the frame")
    moved = shifted_image(pixels, dy, dx)
    vector, moved_vector = flattened(pixels), flattened(moved)
    changed = int(np.count_nonzero(vector != moved_vector))
    count = vector.size

    fig = new_figure(16.0, 15.5)
    grid = fig.add_gridspec(3, 2, width_ratios=[1, 2.4], height_ratios=[10, 2.4, 2.4])
    ax_picture = fig.add_subplot(grid[0, 0])
    ax_picture.imshow(pixels, cmap="gray", gid="picture")
    ax_picture.set_xticks([])
    ax_picture.set_yticks([])
    ax_picture.set_title(text("fig:sees.picture", h=h, w=w), fontsize=11)

    ax_numbers = fig.add_subplot(grid[0, 1])
    write_pixel_values(ax_numbers, pixels, decimals, fontsize=5.5 if decimals > 1 else 6.5)
    ax_numbers.set_title(text("fig:sees.numbers", shape=arr.shape, count=count), fontsize=11)

    ax_vector = fig.add_subplot(grid[1, :])
    _draw_vector(ax_vector, vector, w, "tab:blue", "vector", text("fig:sees.legend.image"))
    ax_vector.set_title(text("fig:sees.vector", last_row=h - 1, count=count), fontsize=11)
    ax_vector.set_ylabel(text("fig:sees.value"))

    ax_moved_picture = fig.add_subplot(grid[2, 0])
    ax_moved_picture.imshow(moved, cmap="gray", gid="picture:moved")
    ax_moved_picture.set_xticks([])
    ax_moved_picture.set_yticks([])
    ax_moved_picture.set_title(text("fig:sees.moved_picture", dy=dy, dx=dx), fontsize=10)
    ax_moved = fig.add_subplot(grid[2, 1])
    _draw_vector(ax_moved, vector, w, "tab:blue", "vector:again", text("fig:sees.legend.image"))
    _draw_vector(ax_moved, moved_vector, w, "tab:orange", "vector:moved", text("fig:sees.legend.moved"))
    ax_moved.set_title(text("fig:sees.moved", changed=changed, count=count), fontsize=11)
    ax_moved.set_xlabel(text("fig:sees.index", w=w))
    ax_moved.set_ylabel(text("fig:sees.value"))
    ax_moved.legend(loc="upper right", fontsize=9)
    fig.suptitle(title or text("fig:sees.title"), fontsize=13)
    return finish(fig, path)

