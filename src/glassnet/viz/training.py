"""The figures ``glassnet train`` leaves in its output folder."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .curves import plot_history
from ..metrics import confusion_matrix
from .evaluation import plot_confusion_matrix
from .learned import first_conv_layer, plot_first_layer_kernels


def predicted_classes(model: Any, x: Any, batch_size: int = 500) -> np.ndarray:
    """Class index (N,) of the highest output of ``model.predict`` for inputs x (N, ...)."""
    x = np.asarray(x)
    outputs = [np.asarray(model.predict(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    scores = np.concatenate(outputs) if outputs else np.zeros((0, 1))
    if scores.ndim != 2:
        raise ValueError(f"model.predict gave shape {scores.shape}; expected (N, K) class scores")
    if scores.shape[1] == 1:  # one sigmoid output: class 1 when above one half
        return (scores[:, 0] > 0.5).astype(np.int64)
    return scores.argmax(axis=1)


def write_training_figures(
    model: Any,
    history: Any,
    x_test: Any,
    y_test: Any,
    class_names: Sequence[str] | None,
    out_dir: str | os.PathLike[str],
) -> list[Path]:
    """Write curves.png, confusion_matrix.png (classifiers) and kernels.png (if there is a conv layer); return the paths.

    ``x_test`` (N, ...) and integer labels ``y_test`` (N,) (or one-hot (N, K)) give the
    confusion matrix; it is skipped for ``x_test=None`` or a regression model (float
    targets and no class names). Nothing passed in is changed.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if history is not None:
        plot_history(history, path=out / "curves.png")
        written.append(out / "curves.png")
    y = None if y_test is None else np.asarray(y_test)
    if y is not None and y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)  # one-hot labels
    is_classifier = y is not None and (class_names is not None or np.issubdtype(y.dtype, np.integer))
    if x_test is not None and is_classifier and y is not None:
        y = y.astype(np.int64).ravel()
        y_pred = predicted_classes(model, x_test)
        k = len(class_names) if class_names is not None else int(max(y.max(initial=0), y_pred.max(initial=0))) + 1
        plot_confusion_matrix(confusion_matrix(y, y_pred, k), class_names, path=out / "confusion_matrix.png")
        written.append(out / "confusion_matrix.png")
    try:
        first_conv_layer(model)
    except ValueError:
        pass
    else:
        plot_first_layer_kernels(model, path=out / "kernels.png")
        written.append(out / "kernels.png")
    return written
