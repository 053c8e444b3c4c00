"""Where a classifier errs: confusion matrix, per-class accuracy, predictions, one image's probabilities."""
from __future__ import annotations

import os
import textwrap
from typing import Any, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..metrics import per_class_accuracy
from ._figure import as_image, as_images, finish, grid_shape, label_text, new_figure, show_image, shown_class_name, text


def _check_cm(cm: Any) -> np.ndarray:
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"confusion matrix must be square (K, K), got shape {cm.shape}")
    return cm


def _names(class_names: Sequence[str] | None, k: int) -> list[str]:
    if class_names is None:
        return [str(i) for i in range(k)]
    if len(class_names) != k:
        raise ValueError(f"got {len(class_names)} class names for {k} classes")
    return [shown_class_name(n) for n in class_names]


def plot_confusion_matrix(
    cm: Any,
    class_names: Sequence[str] | None = None,
    *,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Counts (K, K) as an annotated heatmap: truth down the side, prediction along the bottom."""
    cm = _check_cm(cm)
    k = cm.shape[0]
    names = _names(class_names, k)
    size = max(4.5, 0.6 * k + 2.5)
    fig = new_figure(size + 1.0, size)
    ax = fig.subplots()
    image = ax.imshow(cm, cmap="Blues", interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.8)
    threshold = cm.max(initial=0) / 2
    fontsize = 10 if k <= 10 else 7
    for r in range(k):
        for c in range(k):
            ax.text(c, r, f"{cm[r, c]:d}" if np.issubdtype(cm.dtype, np.integer) else f"{cm[r, c]:.2f}",
                    ha="center", va="center", fontsize=fontsize,
                    color="white" if cm[r, c] > threshold else "black")
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right" if max(map(len, names)) > 3 else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel(text("fig:confusion.predicted"))
    ax.set_ylabel(text("fig:confusion.truth"))
    total = cm.sum()
    correct = np.trace(cm)
    ax.set_title(title or text("fig:confusion.title", correct=f"{correct:g}", total=f"{total:g}",
                               percent=f"{100 * correct / max(total, 1):.1f}"))
    return finish(fig, path)


def plot_per_class_accuracy(
    cm: Any,
    class_names: Sequence[str] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """One bar per true class (K,) with its accuracy and 'right/total', as the course prints them."""
    cm = _check_cm(cm)
    k = cm.shape[0]
    names = _names(class_names, k)
    accuracy = per_class_accuracy(cm)
    fig = new_figure(max(6.0, 0.75 * k + 2), 4.5)
    ax = fig.subplots()
    bars = ax.bar(range(k), np.nan_to_num(accuracy) * 100, color="tab:blue")
    for bar, right, total in zip(bars, np.diag(cm), cm.sum(axis=1)):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 1, f"{right:g}/{total:g}",
                ha="center", va="bottom", fontsize=7)
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right" if max(map(len, names)) > 3 else "center")
    ax.set_ylim(0, 112)
    ax.set_ylabel(text("fig:per_class.ylabel"))
    ax.set_xlabel(text("fig:per_class.xlabel"))
    total = cm.sum()
    ax.set_title(text("fig:per_class.title", percent=f"{100 * np.trace(cm) / max(total, 1):.1f}",
                      correct=f"{np.trace(cm):g}", total=f"{total:g}"))
    ax.grid(True, axis="y", alpha=0.4)
    return finish(fig, path)


PANEL_INCHES = 1.5
"""Width of one image of the predictions grid."""


def plot_predictions(
    images: Any,
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    *,
    max_images: int = 24,
    errors_first: bool = False,
    ncols: int | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """Grid of images (N, C, H, W) titled 'predicted (true)': right in green, wrong in red with a red frame."""
    images = as_images(images)
    y_true = np.asarray(y_true).astype(np.int64).ravel()
    y_pred = np.asarray(y_pred).astype(np.int64).ravel()
    if not len(images) == len(y_true) == len(y_pred):
        raise ValueError(f"got {len(images)} images, {len(y_true)} true and {len(y_pred)} predicted labels; expected equal counts")
    order = np.arange(len(images))
    if errors_first:
        order = np.concatenate([order[y_true != y_pred], order[y_true == y_pred]])
    order = order[:max_images]
    rows, cols = grid_shape(len(order), ncols or min(8, len(order)))
    # 9-point titles wrapped to 80 % of the image: 'T-shirt/top (Ankle boot)' is wider than one
    titles = {i: _wrap(f"{label_text(y_pred[i], class_names)} ({label_text(y_true[i], class_names)})",
                       PANEL_INCHES * 0.8 * 12 / 9) for i in order}
    title_lines = max((t.count("\n") + 1 for t in titles.values()), default=1)
    fig = new_figure(PANEL_INCHES * cols, (1.5 + 0.15 * title_lines) * rows + 0.4)
    axes = fig.subplots(rows, cols, squeeze=False)
    wrong_total = int((y_true[order] != y_pred[order]).sum())
    for ax, index in zip(axes.flat, list(order) + [None] * (rows * cols - len(order))):
        if index is None:
            ax.set_axis_off()
            continue
        show_image(ax, images[index])
        wrong = y_true[index] != y_pred[index]
        colour = "tab:red" if wrong else "tab:green"
        ax.set_title(titles[index], color=colour, fontsize=9, fontweight="bold" if wrong else "normal")
        if wrong:
            for spine in ax.spines.values():
                spine.set_edgecolor("tab:red")
                spine.set_linewidth(2.5)
    fig.suptitle(text("fig:predictions.title", wrong=wrong_total, count=len(order)))
    return finish(fig, path)


def plot_probabilities(
    probs: Any,
    class_names: Sequence[str] | None = None,
    *,
    image: Any = None,
    true_label: int | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The class probabilities (K,) of one image as bars, the image (C, H, W) beside them if given."""
    probs = np.asarray(probs, dtype=np.float64).ravel()
    k = probs.size
    names = _names(class_names, k)
    # Constrained layout makes room for the tick labels but lets a title run past its axes, over the
    # next panel: the bar panel widens with the longest name, and titles wrap to their panel.
    bars_width = 4.5 + CHAR_INCHES * max(map(len, names))
    image_width = 3.0 if image is not None else 0.0
    fig = new_figure(image_width + bars_width, max(3.5, 0.32 * k + 1.2))
    if image is not None:
        ax_img, ax = fig.subplots(1, 2, width_ratios=[image_width, bars_width])
        show_image(ax_img, as_image(image))
        title = text("fig:probabilities.input") if true_label is None else \
            text("fig:probabilities.true", name=label_text(true_label, class_names))
        ax_img.set_title(_wrap(title, image_width - 0.4), fontsize=TITLE_POINTS)
    else:
        ax = fig.subplots()
    predicted = int(np.argmax(probs))
    colours = ["tab:gray"] * k
    if true_label is not None and 0 <= int(true_label) < k:
        colours[int(true_label)] = "tab:green"
    if true_label is not None and predicted != int(true_label):
        colours[predicted] = "tab:red"
    elif true_label is None:
        colours[predicted] = "tab:blue"
    y = np.arange(k)
    ax.barh(y, probs, color=colours)
    for yi, p in zip(y, probs):
        ax.text(min(p, 1.0) + 0.01, yi, f"{p:.3f}", va="center", fontsize=8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.15)
    ax.set_xlabel(text("fig:probabilities.xlabel"))
    ax.set_title(_wrap(text("fig:probabilities.predicted", name=names[predicted], percent=f"{probs[predicted]:.1%}"), 4.0),
                 fontsize=TITLE_POINTS)
    return finish(fig, path)


CHAR_INCHES = 0.1
"""Width of one character of a 10-12 pt label, rounded up (DejaVu Sans averages 0.07-0.09 inch)."""
TITLE_POINTS = 12
"""Size of a wrapped title (matplotlib's default title size), given explicitly: the wrapping counts on it even
where the user's rcParams make titles bigger (the course's Keras lesson sets axes.titlesize to 16)."""


def _wrap(text: str, inches: float) -> str:
    """``text`` broken into lines at most ``inches`` wide (long words split), for a title over a panel that wide."""
    return textwrap.fill(text, width=max(8, int(inches / CHAR_INCHES)))
