"""Concept figures the lessons draw: a model's architecture, one-hot labels, gradient descent.

* ``plot_architecture(model)``: one box per layer of any built ``Sequential`` with its
  output shape, coloured by kind (conv, pool, dense, flatten). Activations, BatchNorm and
  Dropout, which keep the shape, are written into the box of the layer before them, so a
  VGG stays readable (``fold=False`` draws every layer as its own box).
* ``plot_one_hot(labels)``: class labels and their one-hot rows as a 0/1 table.
* ``plot_gradient_descent(rates)``: the steps x_{t+1} = x_t - η·f'(x_t) on a 1-D loss
  curve, one panel per learning rate (too small, good, too large).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from ..data.transforms import one_hot
from ..layers import Conv2D, Dense, Flatten
from ..layers.pooling import AvgPool2D, MaxPool2D
from ._figure import finish, new_figure, shown_class_name, text

KIND_COLOURS = {
    "input": "#e0e0e0",
    "conv": "#9ecae1",
    "pool": "#fdae6b",
    "flatten": "#d9d9d9",
    "dense": "#a1d99b",
    "other": "#dadaeb",
}
"""Fill colour of an architecture box by the kind of its layer."""


# ---------------------------------------------------------------------------------
# Architecture
# ---------------------------------------------------------------------------------
@dataclass
class Block:
    """One box of the architecture figure: a main layer and the shape-keeping layers folded into it."""

    kind: str
    layers: list[Any]

    @property
    def name(self) -> str:
        return self.layers[0].name

    @property
    def output_shape(self) -> tuple[int, ...]:
        return tuple(int(d) for d in self.layers[-1].output_shape)

    @property
    def text(self) -> str:
        parts = [f"{self.name}: {describe_layer(self.layers[0])}"]
        parts += [describe_layer(layer) for layer in self.layers[1:]]
        return " + ".join(parts)


def layer_kind(layer: Any) -> str:
    """'conv', 'pool', 'dense', 'flatten' or 'other' (activations, normalisation, dropout, ...)."""
    if isinstance(layer, Conv2D):
        return "conv"
    if isinstance(layer, (MaxPool2D, AvgPool2D)):
        return "pool"
    if isinstance(layer, Dense):
        return "dense"
    if isinstance(layer, Flatten):
        return "flatten"
    return "other"


def _pair(values: Sequence[int], sep: str = "×") -> str:
    return str(values[0]) if len(set(values)) == 1 else sep.join(str(v) for v in values)


def describe_layer(layer: Any) -> str:
    """A short description: 'Conv2D 6@5×5 pad 2', 'MaxPool2D 2×2', 'Dense 120', 'Dropout 0.5', 'ReLU'."""
    kind, cls = layer_kind(layer), type(layer).__name__
    if kind in ("conv", "pool"):
        kh, kw = layer.kernel_size
        words = f"{cls} {layer.filters}@{kh}×{kw}" if kind == "conv" else f"{cls} {kh}×{kw}"
        if tuple(layer.stride) != ((1, 1) if kind == "conv" else tuple(layer.kernel_size)):
            words += f" {text('fig:arch.stride')} {_pair(layer.stride)}"
        pad = layer.padding
        if isinstance(pad, str):
            words += f" {text('fig:arch.pad')} {pad}" if pad != "valid" else ""
        elif any(pad):
            words += f" {text('fig:arch.pad')} {_pair(pad)}"
        return words
    if kind == "dense":
        return f"{cls} {layer.units}"
    if hasattr(layer, "rate"):
        return f"{cls} {layer.rate:g}"
    return cls


def architecture_blocks(model: Any, fold: bool = True) -> list[Block]:
    """The boxes of ``model``'s architecture figure, in order (see the module's docstring)."""
    if getattr(model, "input_shape", None) is None or not getattr(model, "built", True):
        raise ValueError("the model does not know its input shape yet; give input_shape=(...) or call "
                         "model.build(input_shape) first")
    blocks: list[Block] = []
    shape = tuple(model.input_shape)
    for layer in model.layers:
        kind = layer_kind(layer)
        keeps_shape = tuple(layer.output_shape) == shape
        if fold and kind == "other" and keeps_shape and blocks:
            blocks[-1].layers.append(layer)
        else:
            blocks.append(Block(kind, [layer]))
        shape = tuple(layer.output_shape)
    return blocks


def shape_text(shape: Sequence[int]) -> str:
    """(6, 28, 28) -> '6×28×28' (one number for a vector)."""
    return "×".join(str(int(d)) for d in shape)


def plot_architecture(
    model: Any,
    *,
    fold: bool = True,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """One box per layer (top to bottom) with its output shape, coloured conv / pool / flatten / dense.

    Boxes carry gid 'layer:NAME' and their shape texts gid 'shape:NAME'; the input box is 'input'.
    """
    blocks = architecture_blocks(model, fold=fold)
    rows = len(blocks) + 1
    fig = new_figure(8.0, 0.9 + 0.42 * rows)
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(rows - 0.5, -0.6)
    ax.set_axis_off()
    entries = [("input", "input", text("fig:arch.input"), tuple(model.input_shape))]
    entries += [(f"layer:{b.name}", b.kind, b.text, b.output_shape) for b in blocks]
    for row, (gid, kind, words, shape) in enumerate(entries):
        box = FancyBboxPatch((0.02, row - 0.32), 0.96, 0.64, boxstyle="round,pad=0,rounding_size=0.02",
                             facecolor=KIND_COLOURS[kind], edgecolor="#555555", linewidth=0.8, gid=gid)
        ax.add_patch(box)
        ax.text(0.04, row, words, va="center", ha="left", fontsize=9, clip_on=True)
        name = gid.split(":", 1)[-1]
        ax.text(0.96, row, shape_text(shape), va="center", ha="right", fontsize=9, fontweight="bold",
                family="monospace", gid="shape:" + name if gid != "input" else "shape:input")
        if row:
            ax.annotate("", xy=(0.5, row - 0.32), xytext=(0.5, row - 0.68),
                        arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 0.8})
    kinds = [k for k in ("conv", "pool", "flatten", "dense", "other") if any(b.kind == k for b in blocks)]
    ax.legend(handles=[Patch(facecolor=KIND_COLOURS[k], edgecolor="#555555", label=text(f"fig:arch.kind.{k}")) for k in kinds],
              loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(kinds), frameon=False, fontsize=8)
    total = model.count_params() if hasattr(model, "count_params") else None
    name = getattr(model, "name", "model")
    ax.set_title(title or text("fig:arch.title", name=name, layers=len(model.layers), boxes=len(blocks))
                 + (text("fig:arch.parameters", count=f"{total:,}") if total is not None else ""), fontsize=10)
    return finish(fig, path)


# ---------------------------------------------------------------------------------
# One-hot labels
# ---------------------------------------------------------------------------------
def plot_one_hot(
    labels: Any,
    num_classes: int | None = None,
    class_names: Sequence[str] | None = None,
    *,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Each label (a row) next to its one-hot vector: a 1 in its class's column, 0 elsewhere.

    The cells are an image (rows of ``one_hot(labels)``) with their 0 / 1 written in them.
    """
    labels = np.asarray(labels).ravel()
    rows = one_hot(labels, num_classes, dtype=np.int64)
    n, k = rows.shape
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"got {len(class_names)} class names for {k} classes")
    names = [shown_class_name(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    fig = new_figure(max(4.0, 1.6 + 0.45 * k), max(2.2, 1.2 + 0.38 * n))
    ax = fig.add_subplot()
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1.4, aspect="equal")
    for i in range(n):
        for j in range(k):
            ax.text(j, i, str(rows[i, j]), ha="center", va="center", fontsize=9,
                    color="white" if rows[i, j] else "#555555", fontweight="bold" if rows[i, j] else "normal")
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0)
    ax.set_yticks(range(n), [f"{names[int(y)]}  →" for y in labels])
    ax.set_xlabel(text("fig:one_hot.xlabel"))
    ax.set_ylabel(text("fig:one_hot.ylabel"))
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.tick_params(length=0)
    ax.set_title(title or text("fig:one_hot.title", n=n, k=k), fontsize=10)
    return finish(fig, path)


# ---------------------------------------------------------------------------------
# Gradient descent on a 1-D loss curve
# ---------------------------------------------------------------------------------
def quadratic_loss(w: Any) -> Any:
    """The lessons' bowl L(w) = w² (minimum 0 at w = 0)."""
    return np.square(w)


def quadratic_gradient(w: Any) -> Any:
    """dL/dw = 2w of ``quadratic_loss``."""
    return 2.0 * np.asarray(w)


def gradient_descent_path(
    start: float, learning_rate: float, steps: int, gradient: Callable[[Any], Any] = quadratic_gradient
) -> np.ndarray:
    """x_0 = start, x_{t+1} = x_t - learning_rate · f'(x_t): the ``steps + 1`` points (float64)."""
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    xs = [float(start)]
    for _ in range(steps):
        xs.append(xs[-1] - float(learning_rate) * float(gradient(xs[-1])))
    return np.array(xs)


def descent_verdict(losses: np.ndarray, minimum: float) -> str:
    """'too large: diverges', 'too small: slow' or 'good: converges' from the losses along a path."""
    first, last = losses[0] - minimum, losses[-1] - minimum
    if not np.isfinite(last) or last > first:
        return "too large: diverges"
    if last > 0.01 * first:
        return "too small: slow"
    return "good: converges"


DEFAULT_RATES = (0.05, 0.3, 1.05)
"""Learning rates of the gradient-descent figure on L(w) = w²: too small, good, too large (> 1 diverges)."""


def plot_gradient_descent(
    learning_rates: Sequence[float] = DEFAULT_RATES,
    *,
    start: float = 4.0,
    steps: int = 10,
    loss: Callable[[Any], Any] = quadratic_loss,
    gradient: Callable[[Any], Any] = quadratic_gradient,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """One panel per learning rate: the loss curve and the steps of gradient descent on it.

    The steps are a line (gid 'steps') through the points (x_t, L(x_t)); each panel's
    title gives η, the verdict and the loss after the last step.
    """
    rates = [float(r) for r in learning_rates]
    if not rates or any(r <= 0 for r in rates):
        raise ValueError(f"learning rates must be positive numbers, got {list(learning_rates)}")
    fig = new_figure(3.6 * len(rates), 3.6)
    axes = fig.subplots(1, len(rates), squeeze=False)[0]
    for ax, rate in zip(axes, rates):
        xs = gradient_descent_path(start, rate, steps, gradient)
        with np.errstate(over="ignore", invalid="ignore"):
            ys = np.asarray(loss(xs), dtype=np.float64)
        shown = np.isfinite(xs) & np.isfinite(ys) & (np.abs(xs) < 1e6)
        reach = max(abs(start) * 1.25, float(np.abs(xs[shown]).max(initial=0.0)) * 1.1, 1e-3)
        grid = np.linspace(-reach, reach, 400)
        curve = np.asarray(loss(grid), dtype=np.float64)
        ax.plot(grid, curve, color="#555555", linewidth=1.2, label=text("fig:descent.curve"))
        ax.plot(xs[shown], ys[shown], "-o", color="tab:red", markersize=4, linewidth=0.9, gid="steps",
                label=text("fig:descent.steps", steps=steps))
        ax.plot(xs[:1], ys[:1], "o", color="black", markersize=6, label=text("fig:descent.start"))
        verdict = descent_verdict(ys, float(curve.min()))
        ax.set_title(text("fig:descent.panel", rate=f"{rate:g}", verdict=text(f"fig:descent.{verdict}"), steps=steps,
                          loss=f"{ys[-1]:.3g}"), fontsize=10)
        ax.set_xlabel(text("fig:descent.xlabel"))
        ax.set_ylabel(text("fig:descent.ylabel"))
        ax.legend(fontsize=8, loc="upper center")
    curve_name = text("fig:descent.on_square") if loss is quadratic_loss else ""
    fig.suptitle(title or text("fig:descent.title", curve=curve_name), fontsize=11)
    return finish(fig, path)


# ---------------------------------------------------------------------------------
# glassnet viz architecture / one-hot / gradient-descent
# ---------------------------------------------------------------------------------
def model_from(source: str) -> Any:
    """A saved model file, or a zoo model by name (built with its default input shape)."""
    from pathlib import Path

    from .. import zoo
    from ..modelfile import load_model_file

    if Path(source).is_file():
        return load_model_file(source, compile=False)[0]
    if source in zoo.MODELS:
        model = zoo.build(source)
        model.name = source
        return model
    raise ValueError(f"{source!r} is neither a model file nor a zoo model; zoo models: {', '.join(zoo.MODELS)}")


def numbers(text: str, kind: type = float) -> list[Any]:
    """'0.05,0.3 1.05' -> [0.05, 0.3, 1.05] (commas or spaces)."""
    try:
        return [kind(t) for t in text.replace(",", " ").split()]
    except ValueError:
        raise ValueError(f"expected numbers separated by commas, got {text!r}") from None


def draw_architecture(args: Any) -> Figure:
    return plot_architecture(model_from(args.model), fold=not args.all_layers)


def draw_one_hot(args: Any) -> Figure:
    return plot_one_hot(numbers(args.labels, int), args.classes)


def draw_gradient_descent(args: Any) -> Figure:
    return plot_gradient_descent(numbers(args.rates), start=args.start, steps=args.steps)
