"""Keras's utilities the course uses (glassnet.keras.utils): ``to_categorical``, ``set_random_seed``, ``clear_session``."""
from __future__ import annotations

import random
from typing import Any

import numpy as np

from .. import backend
from .layers import reset_names

__all__ = ["to_categorical", "set_random_seed", "clear_session"]


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """Class indices (N,) or (N, 1) -> one-hot rows (N, num_classes) of ``dtype``, as tf.keras's (float32).

    ``num_classes`` defaults to the largest label + 1. Labels outside 0..num_classes-1 are a ValueError.
    """
    y = np.asarray(y)
    if y.size and not np.all(np.mod(y, 1) == 0):
        raise ValueError("to_categorical takes integer class indices; got non-integer values")
    y = y.astype(np.int64)
    shape = y.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    y = y.reshape(-1)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must lie in 0..{num_classes - 1}; got {int(y.min())}..{int(y.max())}")
    one_hot = np.zeros((y.size, num_classes), dtype=dtype)
    one_hot[np.arange(y.size), y] = 1
    return one_hot.reshape(*shape, num_classes)


def set_random_seed(seed: int) -> None:
    """Keras's ``set_random_seed``: seeds Python's ``random``, NumPy's global generator and glassnet's.

    A model made afterwards takes its seed from glassnet's generator, so its initial weights,
    shuffling and dropout masks repeat from run to run (tf.random.set_seed's role in the course).
    """
    random.seed(seed)
    np.random.seed(seed)
    backend.seed(seed)


def clear_session() -> None:
    """Keras's ``clear_session``: automatic names start again ('sequential', 'dense', ...), as in a new kernel."""
    reset_names()
