"""The shift experiment: move every test digit a few pixels and see who still reads it, the MLP or the CNN.

Module 7 says a fully connected network compares an image pixel by pixel, so a digit
moved a little is a different input to it, while a convolution looks at neighbourhoods
wherever they are. This measures it:

* ``move(x, pixels, direction)``: images (N, C, H, W) moved ``pixels`` right, left, down or up
  (zeros fill in; ``glassnet.data.augment.translate``).
* ``shift_accuracies(model, x, y, shifts, directions)``: the model's accuracy on the moved
  images, one row per shift, one column per direction.
* ``plot_shift_experiment({name: accuracies}, shifts, example)``: the digit at each shift
  and each model's accuracy (mean over the directions, their range shaded) against the shift.
* ``trained_for_shift(name, x, y, epochs)``: a zoo model trained briefly on unmoved images
  (what ``glassnet viz shift`` does when it is given no model files).
"""
from __future__ import annotations

import os
import time
import unicodedata
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from .. import zoo
from ..data.augment import translate
from ..data.images import fit_to_input
from ..i18n import tr
from ..modelfile import load_model_file
from ._figure import as_image, finish, new_figure, show_image, text
from .training import predicted_classes

DIRECTIONS: dict[str, tuple[int, int]] = {"right": (0, 1), "left": (0, -1), "down": (1, 0), "up": (-1, 0)}
"""Each direction a digit is moved in, as (rows down, columns right) per pixel."""
DEFAULT_SHIFTS = (0, 1, 2, 3, 4)
"""Pixels the digits are moved by."""
MODELS = ("mlp", "lenet5")
"""The zoo models the command compares: Module 7's MLP 784-512-512-10 and Module 8's LeNet-5."""
TRAINING = zoo.Training("adam", 1e-3, 2, 64)
"""How ``glassnet viz shift`` trains each model when given no files: Adam 0.001, batch 64, 2 epochs, unmoved images."""


def move(x: Any, pixels: int, direction: str) -> np.ndarray:
    """Images (N, C, H, W) moved ``pixels`` whole pixels towards ``direction`` ('right', 'left', 'down', 'up'), zeros filling in."""
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}; expected one of {', '.join(DIRECTIONS)}")
    x = np.asarray(x)
    dy, dx = DIRECTIONS[direction]
    n = x.shape[0]
    return translate(x, np.full(n, dy * int(pixels)), np.full(n, dx * int(pixels)))


def shift_accuracies(
    model: Any,
    x: Any,
    y: Any,
    shifts: Sequence[int] = DEFAULT_SHIFTS,
    directions: Sequence[str] = tuple(DIRECTIONS),
    batch_size: int = 500,
) -> np.ndarray:
    """Accuracy of ``model`` on ``x`` (N, C, H, W) moved by each shift in each direction: (len(shifts), len(directions)).

    A shift of 0 is the same images in every direction, evaluated once.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 4:
        raise ValueError(f"the shift experiment moves images (N, C, H, W); got samples of shape {x.shape[1:]}")
    if any(int(s) < 0 or int(s) >= min(x.shape[2:]) for s in shifts):
        raise ValueError(f"shifts must be 0 to {min(x.shape[2:]) - 1} pixels for {x.shape[2]}x{x.shape[3]} images, "
                         f"got {list(shifts)}")
    result = np.empty((len(shifts), len(directions)))
    for i, pixels in enumerate(shifts):
        if int(pixels) == 0:
            result[i] = np.mean(predicted_classes(model, x, batch_size) == y)
            continue
        for j, direction in enumerate(directions):
            result[i, j] = np.mean(predicted_classes(model, move(x, int(pixels), direction), batch_size) == y)
    return result


def plot_shift_experiment(
    accuracies: Mapping[str, Any],
    shifts: Sequence[int] = DEFAULT_SHIFTS,
    example: Any = None,
    *,
    directions: Sequence[str] = tuple(DIRECTIONS),
    note: str | None = None,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Each model's accuracy (%) against the shift (px): the mean over ``directions``, their range shaded.

    ``accuracies``: {model label: (len(shifts), len(directions)) fractions, as ``shift_accuracies`` gives}.
    ``example`` (C, H, W): a digit drawn moved right by each shift above the curves. The
    curve of a model is a line with gid 'curve:LABEL', its y data the mean accuracies in %;
    each point's value is written beside it.
    """
    shifts = [int(s) for s in shifts]
    tables = {name: np.asarray(values, dtype=np.float64) for name, values in accuracies.items()}
    for name, table in tables.items():
        if table.shape != (len(shifts), len(directions)):
            raise ValueError(f"accuracies of {name!r} have shape {table.shape}; expected one row per shift and one "
                             f"column per direction, ({len(shifts)}, {len(directions)})")
    fig = new_figure(max(10.0, 1.6 * len(shifts)), 8.0 if example is not None else 5.6)
    if example is not None:
        image = as_image(example, "example")
        grid = fig.add_gridspec(2, len(shifts), height_ratios=[1, 2.6])
        for k, pixels in enumerate(shifts):
            ax = fig.add_subplot(grid[0, k])
            show_image(ax, move(image[None], pixels, "right")[0], gid=f"example:{pixels}")
            ax.set_title(text("fig:shift.example", pixels=pixels), fontsize=9)
        ax = fig.add_subplot(grid[1, :])
    else:
        ax = fig.add_subplot()
    markers = "os^Dv"
    for k, (name, table) in enumerate(tables.items()):
        mean = 100.0 * table.mean(axis=1)
        (line,) = ax.plot(shifts, mean, marker=markers[k % len(markers)], linewidth=1.6, gid=f"curve:{name}",
                          label=name)
        ax.fill_between(shifts, 100.0 * table.min(axis=1), 100.0 * table.max(axis=1), color=line.get_color(),
                        alpha=0.15, linewidth=0)
        below = k % 2 == 0  # the first model's values under its points, the second's above, so they do not collide
        for pixels, value in zip(shifts, mean):
            ax.annotate(f"{value:.1f}", (pixels, value), textcoords="offset points", xytext=(0, -14 if below else 8),
                        ha="center", fontsize=9, color=line.get_color(), gid=f"value:{name}")
    ax.set_xticks(shifts)
    ax.set_ylim(0, 105)
    ax.set_xlabel(text("fig:shift.xlabel"))
    ax.set_ylabel(text("fig:shift.ylabel"))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=9)
    ways = text("fig:shift.direction.separator").join(text(f"fig:shift.direction.{d}") for d in directions)
    ax.set_title(text("fig:shift.axes_title", directions=ways) + ("\n" + note if note else ""), fontsize=10)
    fig.suptitle(title or text("fig:shift.title"), fontsize=12)
    return finish(fig, path)


def trained_for_shift(name: str, x: np.ndarray, y: np.ndarray, epochs: int = TRAINING.epochs, seed: int = 0) -> Any:
    """Zoo model ``name`` for images like ``x`` (N, C, H, W), trained ``epochs`` epochs with TRAINING on the unmoved images."""
    model = zoo.build(name, input_shape=tuple(x.shape[1:]), num_classes=int(np.max(y)) + 1, seed=seed)
    model.compile(optimizer=TRAINING.make_optimizer(), loss=TRAINING.loss, metrics=list(TRAINING.metrics))
    model.fit(x, y, batch_size=TRAINING.batch_size, epochs=epochs, verbose=0, shuffle=True)
    return model


# ---------------------------------------------------------------------------------
# glassnet viz shift
# ---------------------------------------------------------------------------------
def _width(cell: str) -> int:
    """Columns ``cell`` takes in a terminal: two for each wide (Chinese) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in cell)


def draw_shift_experiment(args: Any, ds: Any) -> Figure:
    """``glassnet viz shift``: the two models (files, or the zoo's trained here), measured and drawn; the table printed."""
    x_train, y_train = np.asarray(ds.x_train), np.asarray(ds.y_train)
    x_test, y_test = np.asarray(ds.x_test), np.asarray(ds.y_test)
    if args.limit:
        x_train, y_train, x_test, y_test = x_train[: args.limit], y_train[: args.limit], x_test[: args.limit], \
            y_test[: args.limit]
    shifts = [int(s) for s in args.shifts.replace(",", " ").split()]
    models: dict[str, Any] = {}
    for kind, file in (("mlp", args.mlp), ("cnn", args.cnn)):
        if file:
            model, metadata = load_model_file(file)
            label = text(f"fig:shift.{kind}", name=metadata.get("model") or os.path.basename(file))
        else:
            name = MODELS[kind == "cnn"]
            print(tr("cli:shift.training", model=name, epochs=args.epochs, count=len(x_train), dataset=args.dataset),
                  flush=True)
            start = time.perf_counter()
            model = trained_for_shift(name, x_train, y_train, args.epochs, args.seed)
            print(tr("cli:shift.trained", model=name, seconds=f"{time.perf_counter() - start:.1f}"), flush=True)
            label = text(f"fig:shift.{kind}", name=name)
        models[label] = model
    source = f"dataset {args.dataset!r}"
    results = {label: shift_accuracies(model, fit_to_input(x_test, tuple(model.input_shape), source), y_test, shifts)
               for label, model in models.items()}
    print(tr("cli:shift.header", count=len(x_test), dataset=args.dataset))
    rows = [[tr("cli:shift.column"), *results]]
    rows += [[tr("cli:shift.row", pixels=pixels), *(f"{100 * table[i].mean():.2f} %" for table in results.values())]
             for i, pixels in enumerate(shifts)]
    widths = [max(_width(row[k]) for row in rows) for k in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell + " " * (widths[0] - _width(cell)) if k == 0 else " " * (widths[k] - _width(cell)) + cell
                        for k, cell in enumerate(row)))
    trained = [label for label, file in zip(results, (args.mlp, args.cnn)) if not file]
    note = text("fig:shift.note", epochs=args.epochs, count=len(x_train), dataset=args.dataset) if trained else None
    index = min(args.index, len(x_test) - 1)
    return plot_shift_experiment(results, shifts, x_test[index], note=note)
