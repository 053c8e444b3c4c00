"""Flatten: (N, C, H, W) -> (N, C·H·W), the bridge from conv layers to Dense."""
from __future__ import annotations

import math

import numpy as np

from .base import Layer, register


@register
class Flatten(Layer):
    """Reshape each sample to a vector; the backward pass reshapes the gradient back."""

    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, *shape) -> (N, prod(shape))."""
        self.ensure_built(x)
        return x.reshape(x.shape[0], -1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, prod(shape)) -> (N, *shape)."""
        return grad.reshape((grad.shape[0], *(self.input_shape or ())))
