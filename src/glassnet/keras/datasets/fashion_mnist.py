"""Keras's ``fashion_mnist.load_data()``: uint8 clothing images (60000, 28, 28) / (10000, 28, 28), uint8 labels."""
from __future__ import annotations

from ...data import load_fashion_mnist
from .mnist import Arrays, keras_arrays

__all__ = ["load_data"]


def load_data() -> Arrays:
    """((x_train, y_train), (x_test, y_test)) as Keras's: uint8 (60000, 28, 28) in 0..255, uint8 labels 0..9."""
    return keras_arrays(load_fashion_mnist(raw=True))
