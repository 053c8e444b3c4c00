"""Regression: the data points against the model's line (the Boston-housing lesson), or predicted against true."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..backend import DTYPE
from ._figure import finish, new_figure, text
from .curves import load_history, plot_history

LESSON_XLIM, LESSON_YLIM = (3.0, 9.0), (0.0, 60.0)
"""The Keras lesson's axes for price ($K) against the average number of rooms."""
LESSON_LOSS_YLIM = (0.0, 300.0)
"""The lesson's y axis of the loss curves (its first epoch is ~220; unscaled features can start at 16,000)."""
FEATURE_LABELS = {"RM": "fig:regression.rooms"}
"""A feature's axis label by its catalogue key."""


def plot_regression(
    x: Any,
    y: Any,
    x_line: Any,
    y_line: Any,
    *,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    labels: tuple[str, str] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Points (N,) x (N,) in green and the model's predictions (M,) x (M,) as a black line, as in the course.

    The labels default to the lesson's: rooms, price, ground truth and model predictions, in the figure's language.
    """
    xlabel = text("fig:regression.rooms") if xlabel is None else xlabel
    ylabel = text("fig:regression.price") if ylabel is None else ylabel
    labels = (text("fig:regression.truth"), text("fig:regression.model")) if labels is None else labels
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    x_line, y_line = np.asarray(x_line, dtype=np.float64).ravel(), np.asarray(y_line, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x has {x.size} values but y has {y.size}; expected one y per x")
    if x_line.shape != y_line.shape:
        raise ValueError(f"x_line has {x_line.size} values but y_line has {y_line.size}; expected one per x")
    fig = new_figure(9.0, 4.5)
    ax = fig.subplots()
    ax.scatter(x, y, color="green", alpha=0.5, label=labels[0])
    order = np.argsort(x_line)
    ax.plot(x_line[order], y_line[order], color="k", label=labels[1])
    if xlim is not None:
        ax.set_xlim(*xlim)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.4)
    ax.legend()
    return finish(fig, path)


def plot_predicted_vs_true(
    y_true: Any,
    y_pred: Any,
    *,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """A many-feature model's predictions (N,) against the true targets (N,), with the line predicted = true."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    return plot_regression(y_true, y_pred, [low, high], [low, high], title=title,
                           xlabel=text("fig:regression.true_value") if xlabel is None else xlabel,
                           ylabel=text("fig:regression.predicted_value") if ylabel is None else ylabel,
                           labels=(text("fig:regression.samples"), text("fig:regression.perfect")), path=path)


def feature_label(feature: str) -> str:
    """A feature's axis label: RM as the lesson's 'Average Number of Rooms' (in the figure's language), others as named."""
    return text(FEATURE_LABELS[feature]) if feature in FEATURE_LABELS else feature


def split_title(name: str) -> str:
    """'training' / 'test' as the lesson's figure title: 'Training Dataset' in the figure's language; another name capitalised."""
    return text(f"fig:regression.split.{name}") if name in ("training", "test") else f"{name.capitalize()} Dataset"


def loss_ylim(history: Any) -> tuple[float, float]:
    """The loss panel's y range: the lesson's (0, 300), raised to 1.2 x the last epoch's loss if that ends above it."""
    curves = load_history(history)
    last = max((values[-1] for key, values in curves.items() if key in ("loss", "val_loss")), default=0.0)
    return (LESSON_LOSS_YLIM[0], max(LESSON_LOSS_YLIM[1], 1.2 * float(last)))


def write_regression_figures(
    model: Any,
    history: Any,
    splits: Sequence[tuple[str, Any, Any]],
    features: Sequence[str],
    out_dir: str | os.PathLike[str],
) -> list[Path]:
    """Write curves.png (loss y axis as ``loss_ylim``) and, per split (name, x (N, F), y (N,)), the model's figure.

    A one-feature model gets the lesson's figure, regression_NAME.png: the points against
    its line over 3..9 rooms (x 3..9, y 0..60 for RM, the data's range otherwise). A model of
    several features gets predicted_vs_true_NAME.png, titled as such.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if history is not None:
        plot_history(history, ylim=loss_ylim(history), path=out / "curves.png")
        written.append(out / "curves.png")
    for name, x, y in splits:
        x = np.asarray(x, dtype=DTYPE)
        if x.ndim == 2 and x.shape[1] == 1:
            lesson = tuple(features) == ("RM",)
            column = x[:, 0].astype(np.float64)
            span = LESSON_XLIM if lesson else (float(column.min()), float(column.max()))
            x_line = np.linspace(*span, 10).astype(DTYPE)  # the lesson's np.linspace(3, 9, 10)
            y_line = np.asarray(model.predict(x_line[:, None])).ravel()
            label = feature_label(features[0]) if features else text("fig:regression.feature", index=0)
            path = out / f"regression_{name}.png"
            plot_regression(column, y, x_line, y_line, xlabel=label, title=split_title(name),
                            xlim=LESSON_XLIM if lesson else None, ylim=LESSON_YLIM if lesson else None, path=path)
        else:
            predicted = np.asarray(model.predict(x)).ravel()
            path = out / f"predicted_vs_true_{name}.png"
            split = text(f"fig:split.{name.capitalize()}") if name in ("training", "test") else name.capitalize()
            plot_predicted_vs_true(y, predicted, xlabel=text("fig:regression.true_price"),
                                   ylabel=text("fig:regression.predicted_price"), path=path,
                                   title=text("fig:regression.vs_title", split=split,
                                              features=x.shape[1] if x.ndim == 2 else "?"))
        written.append(path)
    return written
