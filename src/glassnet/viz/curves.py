"""Training curves: loss and every metric per epoch, training against validation."""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._figure import finish, new_figure, text


def _read_history_csv(text: str, path: Path) -> dict[str, list[float]]:
    """A CSV with a header line ('epoch', 'loss', 'val_loss', ...) -> {name: [value per epoch]}."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ValueError(f"history file {path} is empty; expected a header line such as 'epoch,loss,val_loss'")
    header, body = rows[0], rows[1:]
    curves: dict[str, list[float]] = {}
    for column, name in enumerate(header):
        if name == "epoch":
            continue
        try:
            curves[name] = [float(row[column]) for row in body if column < len(row) and row[column] != ""]
        except ValueError:
            raise ValueError(f"history file {path}: column {name!r} holds something that is not a number") from None
    return curves


def load_history(source: Any) -> dict[str, list[float]]:
    """A History, a dict of lists, or a path to a history .json (or .csv) file -> {name: [value per epoch]}."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"history file not found: {path}")
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".csv":
            source = _read_history_csv(text, path)
        else:
            try:
                source = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"history file {path} is not valid JSON: {exc}") from None
    if hasattr(source, "history") and not isinstance(source, dict):
        source = source.history
    if isinstance(source, dict) and isinstance(source.get("history"), dict):
        source = source["history"]  # a saved file may wrap the curves with other facts (epochs, params)
    if not isinstance(source, dict):
        raise ValueError(f"history must be a dict of per-epoch lists, a History, or a JSON file; got {type(source).__name__}")
    curves: dict[str, list[float]] = {}
    for key, values in source.items():
        if isinstance(values, (list, tuple, np.ndarray)) and len(values) and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values
        ):
            curves[str(key)] = [float(v) for v in values]
    if not curves:
        raise ValueError(f"history has no per-epoch numeric lists (keys: {list(source)})")
    return curves


_PRETTY = {"loss": "loss", "accuracy": "accuracy", "acc": "accuracy", "mae": "mae", "mse": "mse"}
"""A history key -> its catalogue entry fig:metric.NAME (Loss, Accuracy, ...); other keys are shown as they are."""


def plot_history(
    history: Any,
    *,
    title: str | None = None,
    ylim: tuple[float, float] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """One panel per quantity (loss first, then accuracy, ...), training in green and validation ('val_') in blue.

    ``ylim`` (low, high) fixes the loss panel's y axis, e.g. the Boston lesson's (0, 300),
    so that a huge first epoch does not flatten the rest of the curve.
    """
    curves = load_history(history)
    names = [k for k in curves if not k.startswith("val_")]
    names += [k[4:] for k in curves if k.startswith("val_") and k[4:] not in curves]  # validation only
    names.sort(key=lambda k: (k != "loss", k not in ("accuracy", "acc"), k))
    names = [k for k in names if k not in ("lr", "learning_rate")] or names  # a setting, not a result
    fig = new_figure(5.5 * len(names), 4.0)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        pretty = text(f"fig:metric.{_PRETTY[name]}") if name in _PRETTY else name.replace("_", " ")
        for key, colour, label in ((name, "tab:green", "training"), (f"val_{name}", "tab:blue", "validation")):
            if key in curves:
                values = curves[key]
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, values, color=colour, marker="o" if len(values) <= 30 else None, ms=3, label=text(f"fig:curves.{label}", what=pretty.lower()))
        ax.set_xlabel(text("fig:epoch"))
        ax.set_ylabel(pretty)
        ax.set_title(pretty)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.4)
        ax.legend()
        if ylim is not None and name == "loss":
            ax.set_ylim(*ylim)
    if title:
        fig.suptitle(title)
    return finish(fig, path)
