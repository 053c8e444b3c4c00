"""The course's test report, as text: test loss, accuracy per class, overall accuracy, confusion matrix.

The lines match the course's ``train_CNN_network.py`` (Modules 7 and 8)::

    Test Loss: 0.059046

    Test Accuracy of     0: 99% (977/980)
    ...
    Test Accuracy (Overall): 99% (9901/10000)

Percentages are truncated to whole numbers, as the course's ``%2d`` does (computed
here with integers, so 29/100 prints 29%, not the 28% float rounding can give).

These course lines ('Test Loss', 'Test Accuracy of', 'Test Accuracy (Overall)', with the
dataset's own class names) stay as the course printed them in every language. The lines
glassnet adds (the confusion matrix's heading, the regression report) are in the language
in use (i18n: report:*).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .i18n import tr

__all__ = [
    "per_class_counts",
    "accuracy_lines",
    "classification_report",
    "confusion_matrix_text",
    "regression_report",
]


def per_class_counts(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer labels (N,), predicted labels (N,) -> (correct (K,), total (K,)) per true class."""
    y_true = np.asarray(y_true).reshape(-1).astype(np.int64)
    y_pred = np.asarray(y_pred).reshape(-1).astype(np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"got {y_true.size} labels but {y_pred.size} predictions; expected the same number")
    total = np.bincount(y_true, minlength=num_classes)[:num_classes]
    correct = np.bincount(y_true[y_true == y_pred], minlength=num_classes)[:num_classes]
    return correct, total


def _percent(correct: int, total: int) -> int:
    return (100 * int(correct)) // int(total)


def accuracy_lines(y_true: np.ndarray, y_pred: np.ndarray, class_names: Sequence[str]) -> list[str]:
    """One 'Test Accuracy of <class>: 98% (963/980)' line per class, then a blank line and the overall line."""
    correct, total = per_class_counts(y_true, y_pred, len(class_names))
    width = max([5, *(len(str(name)) for name in class_names)])  # the course's %5s, wider for long names
    lines = []
    for name, c, t in zip(class_names, correct, total):
        if t > 0:
            lines.append(f"Test Accuracy of {str(name):>{width}}: {_percent(c, t):2d}% ({c}/{t})")
        else:
            lines.append(f"Test Accuracy of {str(name):>{width}}: N/A (no test examples)")
    all_correct, all_total = int(correct.sum()), int(total.sum())
    overall = f"{_percent(all_correct, all_total):2d}%" if all_total else "N/A"
    lines += ["", f"Test Accuracy (Overall): {overall} ({all_correct}/{all_total})"]
    return lines


def confusion_matrix_text(matrix: np.ndarray, class_names: Sequence[str]) -> str:
    """(K, K) counts, rows = true class, columns = predicted class -> an aligned text table."""
    matrix = np.asarray(matrix)
    names = [str(n) for n in class_names]
    width = max([len(str(int(matrix.max(initial=0))))] + [min(len(n), 10) for n in names]) + 1
    label_width = max(len(n) for n in names) if names else 1
    header = " " * (label_width + 1) + "".join(f"{n[:10]:>{width}}" for n in names)
    rows = [f"{n:>{label_width}} " + "".join(f"{int(v):>{width}}" for v in row) for n, row in zip(names, matrix)]
    return "\n".join([tr("report:confusion"), header, *rows])


def classification_report(test_loss: float, y_true: np.ndarray, y_pred: np.ndarray,
                          class_names: Sequence[str], matrix: np.ndarray | None = None) -> str:
    """The course's full report: 'Test Loss', the per-class lines, the overall line, the confusion matrix."""
    lines = [f"Test Loss: {test_loss:.6f}", "", *accuracy_lines(y_true, y_pred, class_names)]
    if matrix is not None:
        lines += ["", confusion_matrix_text(matrix, class_names)]
    return "\n".join(lines)


def regression_report(test_loss: float, y_true: np.ndarray, y_pred: np.ndarray) -> str:
    """Test MSE, mean absolute error and RMSE of a regression model."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    error = y_pred - y_true
    mae = float(np.abs(error).mean()) if error.size else float("nan")
    rmse = float(np.sqrt((error**2).mean())) if error.size else float("nan")
    return "\n".join([
        f"{tr('report:mse')}: {test_loss:.6f}",
        f"{tr('report:mae')}: {mae:.4f}",
        f"{tr('report:rmse')}: {rmse:.4f}",
        f"{tr('report:samples')}: {y_true.size}",
    ])
