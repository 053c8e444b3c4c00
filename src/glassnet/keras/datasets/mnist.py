"""Keras's ``mnist.load_data()``: uint8 digits (60000, 28, 28) / (10000, 28, 28), uint8 labels."""
from __future__ import annotations

from typing import Any

import numpy as np

from ...data import load_mnist

__all__ = ["load_data"]

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def keras_arrays(dataset: Any) -> Arrays:
    """glassnet's raw (N, 1, 28, 28) uint8 images and int64 labels -> Keras's (N, 28, 28) uint8 and uint8."""
    def part(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return x.reshape(x.shape[0], *x.shape[2:]), y.astype(np.uint8)

    return part(dataset.x_train, dataset.y_train), part(dataset.x_test, dataset.y_test)


def load_data(path: str = "mnist.npz") -> Arrays:
    """((x_train, y_train), (x_test, y_test)) as Keras's: uint8 (60000, 28, 28) images in 0..255, uint8 labels."""
    return keras_arrays(load_mnist(raw=True))
