"""Keras's loss names and classes as glassnet's losses (glassnet.keras.losses).

``CategoricalCrossentropy()`` and ``"categorical_crossentropy"`` expect probabilities (a final
softmax), ``from_logits=True`` raw scores, as in Keras; labels may be one-hot (N, K) or, for the
sparse names, class indices (N,). glassnet fuses a final softmax into the loss while training.
"""
from __future__ import annotations

from typing import Any

from .. import losses as gloss

__all__ = ["Loss", "MeanSquaredError", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "BinaryCrossentropy", "get"]

Loss = gloss.Loss


def MeanSquaredError(reduction: str = "sum_over_batch_size", name: str = "mean_squared_error") -> gloss.Loss:
    """Keras's ``MeanSquaredError()``: the mean of (y_pred - y_true)² over every output."""
    _check_reduction(reduction)
    return gloss.MeanSquaredError()


def CategoricalCrossentropy(from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                            reduction: str = "sum_over_batch_size", name: str = "categorical_crossentropy") -> gloss.Loss:
    """Keras's ``CategoricalCrossentropy(from_logits=False)``: one-hot labels (class indices work too)."""
    _check_reduction(reduction)
    if label_smoothing or axis != -1:
        raise ValueError("glassnet's cross-entropy has no label_smoothing and works on the last axis")
    return gloss.CrossEntropy(from_logits=from_logits)


def SparseCategoricalCrossentropy(from_logits: bool = False, ignore_class: int | None = None,
                                  reduction: str = "sum_over_batch_size",
                                  name: str = "sparse_categorical_crossentropy") -> gloss.Loss:
    """Keras's ``SparseCategoricalCrossentropy(from_logits=False)``: class-index labels (N,)."""
    _check_reduction(reduction)
    if ignore_class is not None:
        raise ValueError("glassnet's cross-entropy has no ignore_class")
    return gloss.CrossEntropy(from_logits=from_logits)


def BinaryCrossentropy(from_logits: bool = False, label_smoothing: float = 0.0,
                       reduction: str = "sum_over_batch_size", name: str = "binary_crossentropy") -> gloss.Loss:
    """Keras's ``BinaryCrossentropy(from_logits=False)``: one probability (or logit) per sample."""
    _check_reduction(reduction)
    if label_smoothing:
        raise ValueError("glassnet's binary cross-entropy has no label_smoothing")
    return gloss.BinaryCrossEntropy(from_logits=from_logits)


def _check_reduction(reduction: str) -> None:
    if reduction != "sum_over_batch_size":
        raise ValueError(f"reduction={reduction!r}: glassnet's losses are Keras's default, the mean over the batch "
                         "('sum_over_batch_size')")


def get(identifier: Any) -> gloss.Loss:
    """A glassnet loss from Keras's name ('mse', 'categorical_crossentropy', ...) or a loss object."""
    if identifier is None:
        raise ValueError("compile needs a loss, e.g. loss='categorical_crossentropy' or 'mse'")
    return gloss.get(identifier)
