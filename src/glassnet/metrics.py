"""Metrics: numbers that say how well a model does, computed on whole batches.

Every metric maps ``(y_true, y_pred)`` to a float that is a mean over the
samples, so the mean over an epoch is the batch values weighted by batch size.
Labels may be integer classes (N,) or one-hot (N, K); predictions are class
scores (N, K) (probabilities or logits: argmax is the same), or one score per
sample (N,) / (N, 1) for binary problems, where a score above 0.5 means class 1.

``confusion_matrix`` follows the course (and scikit-learn): rows are the true
class, columns the predicted class.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["accuracy", "mae", "confusion_matrix", "per_class_accuracy", "get", "METRICS", "class_indices",
           "RunningMeans"]

Metric = Callable[[np.ndarray, np.ndarray], float]


def class_indices(y: np.ndarray, what: str = "labels") -> np.ndarray:
    """Integer classes (N,) from class indices (N,) / (N, 1) or one-hot / scores (N, K) via argmax."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 2:
        return y.argmax(axis=1)
    if y.ndim == 1:
        if np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_:
            return y.astype(np.int64, copy=False)
        if np.issubdtype(y.dtype, np.floating) and np.all(np.mod(y, 1) == 0):
            return y.astype(np.int64)
        raise ValueError(f"{what} of shape {y.shape} must be integer class indices; got dtype {y.dtype}")
    raise ValueError(f"{what} have shape {y.shape}; expected (N,) class indices or (N, K) one-hot/scores")


def _binary(y_pred: np.ndarray) -> bool:
    return y_pred.ndim == 1 or (y_pred.ndim == 2 and y_pred.shape[1] == 1)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Fraction of samples whose predicted class is the true class: y_true (N,)|(N, K), y_pred (N, K)|(N,)."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    n = y_pred.shape[0] if y_pred.ndim else 0
    if y_true.shape[:1] != (n,):
        raise ValueError(f"accuracy: {y_true.shape[:1]} labels for {n} predictions; expected the same count")
    if n == 0:
        return float("nan")
    if _binary(y_pred):
        predicted = (y_pred.reshape(n) > 0.5).astype(np.int64)
        truth = (np.asarray(y_true).reshape(n) > 0.5).astype(np.int64)
    else:
        predicted = y_pred.argmax(axis=1)
        truth = class_indices(y_true, "accuracy: y_true")
    return float(np.count_nonzero(predicted == truth)) / n


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean absolute error over all elements; integer labels (N,) are one-hot encoded against y_pred (N, K)."""
    y_pred = np.asarray(y_pred)
    y_true = np.asarray(y_true)
    if y_pred.ndim == 2 and y_pred.shape[1] > 1 and y_true.ndim == 1:
        onehot = np.zeros(y_pred.shape, dtype=y_pred.dtype)
        onehot[np.arange(y_pred.shape[0]), class_indices(y_true, "mae: y_true")] = 1
        y_true = onehot
    elif y_true.shape != y_pred.shape and y_true.size == y_pred.size:
        y_true = y_true.reshape(y_pred.shape)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"mae: y_true has shape {y_true.shape}; expected the shape of y_pred {y_pred.shape}")
    if y_pred.size == 0:
        return float("nan")
    return float(np.abs(y_pred - y_true.astype(y_pred.dtype, copy=False)).mean(dtype=np.float64))


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """(K, K) int64 counts, rows = true class, columns = predicted class; labels or scores accepted."""
    truth = class_indices(y_true, "confusion_matrix: y_true")
    predicted = class_indices(y_pred, "confusion_matrix: y_pred")
    if truth.shape != predicted.shape:
        raise ValueError(
            f"confusion_matrix: {truth.shape[0]} true labels but {predicted.shape[0]} predictions; expected the same count"
        )
    if num_classes is None:
        num_classes = int(max(truth.max(initial=-1), predicted.max(initial=-1))) + 1
    k = int(num_classes)
    if k <= 0:
        raise ValueError(f"confusion_matrix: num_classes must be positive, got {num_classes}")
    for name, values in (("y_true", truth), ("y_pred", predicted)):
        if values.size and (values.min() < 0 or values.max() >= k):
            raise ValueError(f"confusion_matrix: {name} has classes outside [0, {k}): "
                             f"{np.unique(values[(values < 0) | (values >= k)])[:5].tolist()}")
    counts = np.bincount(truth * k + predicted, minlength=k * k)
    return counts.reshape(k, k).astype(np.int64)


def per_class_accuracy(
    y_true_or_matrix: np.ndarray, y_pred: np.ndarray | None = None, num_classes: int | None = None
) -> np.ndarray:
    """(K,) float64 fraction of each true class predicted correctly (recall); NaN for a class never seen.

    Pass a confusion matrix (K, K), or ``y_true, y_pred[, num_classes]`` as for ``confusion_matrix``.
    """
    if y_pred is None:
        matrix = np.asarray(y_true_or_matrix)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"per_class_accuracy: got an array of shape {matrix.shape}; expected a (K, K) "
                             "confusion matrix, or call per_class_accuracy(y_true, y_pred)")
    else:
        matrix = confusion_matrix(y_true_or_matrix, y_pred, num_classes)
    totals = matrix.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.where(totals > 0, totals, 1), np.nan)


METRICS: dict[str, Metric] = {
    "accuracy": accuracy,
    "acc": accuracy,
    "mae": mae,
    "mean_absolute_error": mae,
}
"""Metric names accepted by ``compile(metrics=[...])``; the history key is the canonical name."""

_CANONICAL = {"acc": "accuracy", "mean_absolute_error": "mae"}


def get(metric: str | Metric) -> tuple[str, Metric]:
    """(history key, function) for a metric name ('accuracy', 'mae') or a function f(y_true, y_pred) -> float."""
    if isinstance(metric, str):
        key = metric.strip().lower()
        if key not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; expected one of {sorted(METRICS)} or a function "
                             "f(y_true, y_pred) -> float")
        return _CANONICAL.get(key, key), METRICS[key]
    if callable(metric):
        return getattr(metric, "__name__", type(metric).__name__), metric
    raise TypeError(f"a metric must be a name or a function f(y_true, y_pred) -> float, got {type(metric).__name__}")


class RunningMeans:
    """Running means of named batch values (loss, metrics) over an epoch, each batch weighted by its size."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        self.sums = dict.fromkeys(self.names, 0.0)
        self.count = 0

    def add(self, n: int, values: list[float]) -> None:
        """Add one batch of ``n`` samples whose means are ``values`` (one per name)."""
        self.count += n
        for name, value in zip(self.names, values):
            self.sums[name] += float(value) * n

    def means(self, prefix: str = "") -> dict[str, float]:
        """{prefix + name: mean over the samples added so far}."""
        return {prefix + name: total / max(self.count, 1) for name, total in self.sums.items()}
