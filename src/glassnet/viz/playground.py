"""Image convolution by hand: the course's nine classic 3x3 kernels, and conv -> ReLU -> max-pool.

Every convolution here runs through glassnet's own ``Conv2D`` layer with the
kernels written into its weights, so the pictures show exactly what the layer
computes (cross-correlation, as in every deep-learning framework).
"""
from __future__ import annotations

import os
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..backend import DTYPE
from ._figure import finish, new_figure, show_image, shown_kernel_name, text
from .picture import as_float_image, test_picture

CLASSIC_KERNELS: dict[str, np.ndarray] = {
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=DTYPE),
    "vertical edge": np.array([[0, 0, 0], [-1, 2, -1], [0, 0, 0]], dtype=DTYPE),
    "surround": np.array([[1, 1, 1], [1, -9, 1], [1, 1, 1]], dtype=DTYPE),
    "Sobel-y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=DTYPE),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=DTYPE),
    "horizontal edge": np.array([[0, -1, 0], [0, 2, 0], [0, -1, 0]], dtype=DTYPE),
    "blur": np.full((3, 3), 0.11, dtype=DTYPE),
    "Sobel-x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=DTYPE),
    "emboss": np.array([[2, 0, 0], [0, -1, 0], [0, 0, -1]], dtype=DTYPE),
}
"""The nine 3x3 kernels of the course (step 8, ch17), in the order of its 3x3 figure."""


def _kernel(kernel: str | Any) -> tuple[str, np.ndarray]:
    if isinstance(kernel, str):
        for name, value in CLASSIC_KERNELS.items():
            if name.lower() == kernel.lower():
                return name, value
        raise ValueError(f"unknown kernel {kernel!r}; expected one of {', '.join(CLASSIC_KERNELS)} "
                         "or a 2-D array (KH, KW)")
    arr = np.asarray(kernel, dtype=DTYPE)
    if arr.ndim != 2:
        raise ValueError(f"a kernel must be a 2-D array (KH, KW), got shape {arr.shape}")
    return "kernel", arr


def apply_kernels(image: Any, kernels: Any, padding: int = 0) -> np.ndarray:
    """Convolve one image (C, H, W) with K kernels (K, KH, KW) through a Conv2D layer -> (K, OH, OW).

    Output k is kernel k applied to the mean of the channels (stride 1): the
    layer's weights are W[k, c] = kernel_k / C and its biases 0. The default
    padding 0 gives OH = H - KH + 1 and no false edges at a light border.
    """
    from ..layers import Conv2D

    x = as_float_image(image)
    kernels = np.asarray(kernels, dtype=DTYPE)
    if kernels.ndim == 2:
        kernels = kernels[None]
    if kernels.ndim != 3 or kernels.shape[1] != kernels.shape[2] or kernels.shape[1] % 2 == 0:
        raise ValueError(f"kernels must have shape (K, KH, KW) with KH = KW odd, got {kernels.shape}")
    k, size = kernels.shape[0], kernels.shape[1]
    channels = x.shape[0]
    conv = Conv2D(k, size, stride=1, padding=padding)
    conv.build(x.shape)
    conv.params["W"][...] = np.repeat(kernels[:, None] / DTYPE(channels), channels, axis=1)
    conv.params["b"][...] = 0
    return conv.forward(x[None], training=False)[0]


def _kernel_text(kernel: np.ndarray) -> str:
    def number(v: float) -> str:
        return f"{v:g}" if float(v).is_integer() else f"{v:.2f}"

    return "\n".join("  ".join(f"{number(v):>4}" for v in row) for row in kernel)


def plot_kernel_playground(
    image: Any = None,
    kernels: dict[str, Any] | None = None,
    *,
    show_values: bool = True,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The nine classic kernels (or ``kernels``: name -> (KH, KW), sizes may differ) applied to ``image`` (C, H, W).

    One panel per kernel: its output (H - KH + 1, W - KW + 1) and, below, its numbers.
    """
    x = test_picture() if image is None else as_float_image(image)
    kernels = CLASSIC_KERNELS if kernels is None else kernels
    if not kernels:
        raise ValueError("need at least one kernel")
    names = list(kernels)
    stack = [_kernel(kernels[name])[1] for name in names]
    outputs = [apply_kernels(x, kernel) for kernel in stack]  # one Conv2D per kernel: a 5x5 beside a 3x3
    cols = 3 if len(names) >= 3 else len(names)
    rows = -(-len(names) // cols)
    fig = new_figure(3.0 * cols, (3.5 if show_values else 3.0) * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= len(names):
            ax.set_axis_off()
            continue
        show_image(ax, outputs[i])
        ax.set_title(shown_kernel_name(names[i]))
        if show_values:
            ax.set_xlabel(_kernel_text(stack[i]), family="monospace", fontsize=8)
    sizes = text("fig:and").join(dict.fromkeys(f"{k.shape[0]}x{k.shape[1]}" for k in stack))
    fig.suptitle(text("fig:playground.title", sizes=sizes, shape=x.shape))
    return finish(fig, path)


def conv_relu_pool(
    image: Any = None, kernel: str | Any = "Sobel-x", pool: int = 2, padding: int = 0
) -> list[tuple[str, np.ndarray]]:
    """Run one image (C, H, W) through Conv2D(1 filter) -> ReLU -> MaxPool2D; return [(step, (C, H, W))]."""
    from ..layers import MaxPool2D, ReLU

    x = test_picture() if image is None else as_float_image(image)
    _, k = _kernel(kernel)
    z = apply_kernels(x, k, padding)[None]  # (1, 1, OH, OW)
    r = ReLU().forward(z, training=False)
    p = MaxPool2D(pool).forward(r, training=False)
    return [("source", x), ("conv", z[0]), ("ReLU", r[0]), ("max-pool", p[0])]


def plot_conv_relu_pool(
    image: Any = None,
    kernel: str | Any = "Sobel-x",
    pool: int = 2,
    padding: int = 0,
    *,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The course's four panels: source, conv (one 3x3 kernel), ReLU, max-pool; each titled with its shape (C, H, W)."""
    name, _ = _kernel(kernel)
    steps = conv_relu_pool(image, kernel, pool, padding)
    fig = new_figure(7.5, 7.5)
    axes = fig.subplots(2, 2)
    for ax, (step, value) in zip(axes.flat, steps):
        show_image(ax, value)
        label = text(f"fig:step.{step}")
        label = f"{label} ({shown_kernel_name(name)})" if step == "conv" else \
            (f"{label} {pool}x{pool}" if step == "max-pool" else label)
        ax.set_title(f"{label}: {tuple(value.shape)}")
    fig.suptitle(text("fig:conv_relu_pool.title"))
    return finish(fig, path)
