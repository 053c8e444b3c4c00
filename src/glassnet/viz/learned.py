"""What a trained CNN learned: its first layer's kernels, and the feature maps of one input."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from ._figure import finish, grid_shape, new_figure, text


KERNEL_CMAP = "RdBu_r"
"""Diverging colours for weights, as the demo page draws them: blue < 0, white = 0, red > 0."""

MAX_VALUE_SIZE = 5
"""Kernels up to this size (KH, KW <= 5) have their values written in their cells, as step 8's figure does."""

MAX_CHANNEL_ROWS = 16
"""At most this many input channels (rows) are drawn for a layer of several input channels."""


def _value_text(v: float) -> str:
    """One weight as drawn in its cell: two decimals, no '-0.00'."""
    if not np.isfinite(v):
        return str(v)
    text = f"{v:.2f}"
    return "0.00" if text == "-0.00" else text


def _write_values(ax: Any, kernel: np.ndarray, image: Any, fontsize: float) -> None:
    """The value of each cell on it, black on light colours and white on dark ones."""
    for (r, c), v in np.ndenumerate(kernel):
        red, green, blue, _ = image.to_rgba(v) if np.isfinite(v) else (1.0, 1.0, 1.0, 1.0)
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(c, r, _value_text(float(v)), ha="center", va="center", fontsize=fontsize,
                color="white" if dark else "black")


def plot_kernels(
    weights: Any,
    *,
    max_kernels: int = 64,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Conv weights (O, I, KH, KW) as tiles in diverging colours on one scale for the whole layer.

    Zero is white, -m blue and +m red with m = max |w| of the layer; one colour bar.
    One tile per filter if I = 1; else one row per input channel and one column per
    filter (at most ``max_kernels`` tiles). Kernels up to 5x5 have their values written in.
    """
    w = np.asarray(weights)
    if w.ndim != 4:
        raise ValueError(f"conv weights must have shape (O, I, KH, KW), got {w.shape}")
    o, i, kh, kw = w.shape
    finite = np.abs(w[np.isfinite(w)])
    m = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    norm = Normalize(vmin=-m, vmax=m)
    if i == 1:
        filters, channels = min(o, max_kernels), 1
        rows, cols = grid_shape(filters)
        cells = [(k, 0, divmod(k, cols)) for k in range(filters)]
    else:
        channels = min(i, MAX_CHANNEL_ROWS, max(1, max_kernels))
        filters = min(o, max(1, max_kernels // channels))
        rows, cols = channels, filters
        cells = [(k, c, (c, k)) for k in range(filters) for c in range(channels)]  # axes in filter order
    values = max(kh, kw) <= MAX_VALUE_SIZE
    tile = max(0.9, min(1.6, 10.0 / max(rows, cols)))
    if values:
        tile = max(tile, 0.34 * max(kh, kw))
    fig = new_figure(max(3.6, tile * cols + 1.0), tile * rows + 1.1)
    grid = fig.add_gridspec(rows, cols)
    fontsize = min(9.0, max(4.0, tile * 72 / max(kh, kw) / 3.4))
    axes, image = [], None
    for k, c, (r, col) in cells:
        ax = fig.add_subplot(grid[r, col])
        image = ax.imshow(w[k, c], cmap=KERNEL_CMAP, norm=norm, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{k}" if i == 1 else f"{k}.{c}", fontsize=8)
        if values:
            _write_values(ax, w[k, c], image, fontsize)
        axes.append(ax)
    assert image is not None  # at least one kernel was drawn
    fig.colorbar(image, ax=axes, label=text("fig:kernels.colorbar", scale=f"{m:.3g}"), shrink=0.9)
    lines = [text("fig:kernels.shape", shape=tuple(w.shape))]
    if i > 1:
        lines.append(text("fig:kernels.rows"))
    cut = [text("fig:kernels.filters_of", shown=filters, total=o)] if filters < o else []
    cut += [text("fig:kernels.channels_of", shown=channels, total=i)] if channels < i else []
    if cut:
        lines.append(text("fig:kernels.showing", what=", ".join(cut)))
    note = "\n".join(lines)
    fig.suptitle(f"{title}\n{note}" if title else note, fontsize=10)
    return finish(fig, path)


def first_conv_layer(model: Any) -> Any:
    """The first layer of ``model`` whose weights are 4-D conv kernels; ValueError if there is none."""
    for layer in getattr(model, "layers", []):
        w = getattr(layer, "params", {}).get("W")
        if w is not None and np.ndim(w) == 4:
            return layer
    raise ValueError("model has no convolution layer (a layer with 4-D weights W of shape (O, I, KH, KW))")


def plot_first_layer_kernels(model: Any, *, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Figure:
    """The kernels (O, I, KH, KW) of the model's first convolution layer."""
    layer = first_conv_layer(model)
    w = layer.params["W"]
    return plot_kernels(w, title=text("fig:kernels.learned", layer=layer.name, count=w.shape[0]), path=path, **kwargs)


def plot_feature_maps(
    model: Any,
    x: Any,
    *,
    max_maps: int = 8,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Input x (1, C, H, W), then up to ``max_maps`` channels of every image-shaped layer output, one row per layer."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"feature maps need one input of shape (1, C, H, W), got {x.shape}")
    outputs = model.activations(x)
    layers = list(getattr(model, "layers", []))
    rows: list[tuple[str, np.ndarray]] = [(text("fig:maps.input", shape=tuple(x.shape[1:])), x[0])]
    for index, out in enumerate(outputs):
        out = np.asarray(out)
        if out.ndim != 4:
            continue
        layer = layers[index] if index < len(layers) else None
        name = f"{type(layer).__name__} '{layer.name}'" if layer is not None else text("fig:maps.layer", index=index)
        rows.append((f"{name}\n{tuple(out.shape[1:])}", out[0]))
    if len(rows) == 1:
        raise ValueError("model has no layer with image-shaped output (N, C, H, W) to show")
    cols = max(min(max_maps, maps.shape[0]) for _, maps in rows)
    fig = new_figure(1.3 * cols + 1.6, 1.35 * len(rows) + 0.3)
    axes = fig.subplots(len(rows), cols, squeeze=False)
    for r, (label, maps) in enumerate(rows):
        colour_input = r == 0 and maps.shape[0] == 3
        shown = 1 if colour_input else min(max_maps, maps.shape[0])
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c >= shown:
                ax.set_axis_off()
                continue
            if colour_input:
                ax.imshow(np.clip(np.transpose(maps, (1, 2, 0)), 0, 1))
            else:
                ax.imshow(maps[c], cmap="viridis" if r else "gray", interpolation="nearest")
            if c == 0:
                ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(text("fig:maps.title"))
    return finish(fig, path)
