"""Making and saving figures without a display: every figure is a bare Agg-backed ``Figure``.

No pyplot: pyplot keeps a global list of open figures and picks a GUI backend,
neither of which a library should do. A bare ``Figure`` with an Agg canvas draws
anywhere (a server, CI, a notebook) and is freed like any other object.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..fileio import atomic_path

DPI = 100
"""Dots per inch of saved PNGs: a figure of 8 x 6 inches is an 800 x 600 PNG."""


class GlassFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG when it is a notebook cell's result."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()


def new_figure(width: float, height: float) -> GlassFigure:
    """A figure of ``width`` x ``height`` inches with an Agg canvas and constrained layout."""
    fig = GlassFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_png(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as a PNG to ``path`` atomically (a temporary name, then a rename); return the path."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"figure path must end in .png, got {str(path)!r}")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    return path


def finish(fig: GlassFigure, path: str | os.PathLike[str] | None) -> GlassFigure:
    """Save ``fig`` to ``path`` when one is given; return the figure."""
    if path is not None:
        save_png(fig, path)
    return fig


def grid_shape(n: int, ncols: int | None = None) -> tuple[int, int]:
    """(rows, cols) of a near-square grid holding ``n`` panels (``ncols`` fixes the columns)."""
    if n < 1:
        raise ValueError(f"need at least one panel, got {n}")
    cols = ncols if ncols else int(np.ceil(np.sqrt(n)))
    cols = max(1, min(cols, n))
    return int(np.ceil(n / cols)), cols


def as_images(images: Any, what: str = "images") -> np.ndarray:
    """(N, C, H, W) or (N, H, W) -> a float (N, C, H, W) array; C must be 1 or 3."""
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4 or arr.shape[1] not in (1, 3):
        raise ValueError(
            f"{what} must have shape (N, C, H, W) with C = 1 or 3, or (N, H, W); got {arr.shape}"
        )
    return arr


def as_image(image: Any, what: str = "image") -> np.ndarray:
    """(C, H, W) or (H, W) -> a float (C, H, W) array; C must be 1 or 3."""
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3 or arr.shape[0] not in (1, 3):
        raise ValueError(f"{what} must have shape (C, H, W) with C = 1 or 3, or (H, W); got {arr.shape}")
    return arr


def show_image(ax: Any, image: np.ndarray, cmap: str = "gray", **kwargs: Any) -> Any:
    """Draw one (C, H, W) image (C = 1 grey, C = 3 colour) on ``ax`` without ticks; return the AxesImage."""
    if image.shape[0] == 1:
        artist = ax.imshow(image[0], cmap=cmap, **kwargs)
    else:
        rgb = np.transpose(image, (1, 2, 0))
        if np.issubdtype(rgb.dtype, np.floating):
            rgb = np.clip(rgb, 0.0, 1.0)
        artist = ax.imshow(rgb, **kwargs)
    ax.set_xticks([])
    ax.set_yticks([])
    return artist


def label_text(label: Any, class_names: Any = None) -> str:
    """A class index as its name when names are given, else as a number."""
    index = int(label)
    if class_names is not None and 0 <= index < len(class_names):
        return str(class_names[index])
    return str(index)
