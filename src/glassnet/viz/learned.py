"""What a trained CNN learned: its first layer's kernels, and the feature maps of one input."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ._figure import finish, grid_shape, new_figure


def plot_kernels(
    weights: Any,
    *,
    max_kernels: int = 64,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Conv weights (O, I, KH, KW) as a grid of grey tiles: one per filter if I = 1, else one row per filter."""
    w = np.asarray(weights)
    if w.ndim != 4:
        raise ValueError(f"conv weights must have shape (O, I, KH, KW), got {w.shape}")
    o, i = w.shape[:2]
    if i == 1:
        n = min(o, max_kernels)
        rows, cols = grid_shape(n)
        tiles = [(f"{k}", w[k, 0]) for k in range(n)]
    else:
        rows = min(o, max(1, max_kernels // i))
        cols = i
        tiles = [(f"{k}.{c}", w[k, c]) for k in range(rows) for c in range(cols)]
    tile = max(0.9, min(1.6, 10.0 / max(rows, cols)))
    fig = new_figure(max(3.0, tile * cols), tile * rows + 0.5)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (label, kernel) in zip(axes.flat, tiles + [("", None)] * (rows * cols - len(tiles))):
        if kernel is None:
            ax.set_axis_off()
            continue
        ax.imshow(kernel, cmap="gray", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(label, fontsize=8)
    filters_shown = n if i == 1 else rows
    shown = f"{filters_shown} of {o} " if filters_shown < o else ""
    default = f"{shown}kernels {tuple(w.shape)} (O, I, KH, KW)" + ("" if i == 1 else "; tile = filter.channel")
    fig.suptitle(title or default)
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
    return plot_kernels(w, title=f"{layer.name}: {w.shape[0]} learned kernels {tuple(w.shape)}", path=path, **kwargs)


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
    rows: list[tuple[str, np.ndarray]] = [(f"input {tuple(x.shape[1:])}", x[0])]
    for index, out in enumerate(outputs):
        out = np.asarray(out)
        if out.ndim != 4:
            continue
        layer = layers[index] if index < len(layers) else None
        name = f"{type(layer).__name__} '{layer.name}'" if layer is not None else f"layer {index}"
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
    fig.suptitle("feature maps of one input, layer by layer (first channels)")
    return finish(fig, path)
