"""Regression: the data points against the model's line (the Boston-housing lesson)."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ._figure import finish, new_figure


def plot_regression(
    x: Any,
    y: Any,
    x_line: Any,
    y_line: Any,
    *,
    xlabel: str = "Average Number of Rooms",
    ylabel: str = "Price [$K]",
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Points (N,) x (N,) in green and the model's predictions (M,) x (M,) as a black line, as in the course."""
    x, y = np.asarray(x, dtype=np.float64).ravel(), np.asarray(y, dtype=np.float64).ravel()
    x_line, y_line = np.asarray(x_line, dtype=np.float64).ravel(), np.asarray(y_line, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x has {x.size} values but y has {y.size}; expected one y per x")
    if x_line.shape != y_line.shape:
        raise ValueError(f"x_line has {x_line.size} values but y_line has {y_line.size}; expected one per x")
    fig = new_figure(9.0, 4.5)
    ax = fig.subplots()
    ax.scatter(x, y, color="green", alpha=0.5, label="Ground Truth")
    order = np.argsort(x_line)
    ax.plot(x_line[order], y_line[order], color="k", label="Model Predictions")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.4)
    ax.legend()
    return finish(fig, path)
