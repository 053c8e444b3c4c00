"""Keras's ``cifar10.load_data()``: uint8 channels-last images (50000, 32, 32, 3), uint8 labels (50000, 1)."""
from __future__ import annotations

import numpy as np

from ...data import load_cifar10
from .mnist import Arrays

__all__ = ["load_data"]


def load_data() -> Arrays:
    """((x_train, y_train), (x_test, y_test)) as Keras's: uint8 (N, 32, 32, 3), uint8 labels (N, 1).

    Read from the binary version of CIFAR-10 (never its pickles) by ``glassnet.data.load_cifar10``.
    """
    dataset = load_cifar10(raw=True)

    def part(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.ascontiguousarray(x.transpose(0, 2, 3, 1)), y.astype(np.uint8).reshape(-1, 1)

    return part(dataset.x_train, dataset.y_train), part(dataset.x_test, dataset.y_test)
