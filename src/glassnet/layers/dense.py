"""Fully connected layer: Z = X @ W + b, as written in the course."""
from __future__ import annotations

import numpy as np

from .. import initializers
from .base import MAX_SAMPLE_OUTPUT, Layer, register


@register
class Dense(Layer):
    """Z = X @ W + b with W of shape (in_features, units) and b of shape (units,)."""

    expected_rank = 1

    def __init__(self, units: int, *, kernel_initializer: str = "glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense units must be a positive integer, got {units!r}")
        if int(units) > MAX_SAMPLE_OUTPUT:
            raise ValueError(f"Dense units={int(units):,} is more outputs per sample than the limit of "
                             f"{MAX_SAMPLE_OUTPUT:,} (MAX_SAMPLE_OUTPUT, 1 GiB of float32)")
        self.units = int(units)
        self.kernel_initializer = kernel_initializer
        initializers.get(kernel_initializer)  # fail now, not at build time, on a bad name

    def shape_hint(self) -> str:
        return " (features,): put a Flatten layer before Dense to feed it images"

    def compute_output_shape(self, input_shape):
        return (self.units,)

    def param_shapes(self, input_shape):
        return {"W": (input_shape[0], self.units), "b": (self.units,)}

    def create_params(self, input_shape, rng):
        shapes = self.param_shapes(input_shape)
        self.params["W"] = initializers.get(self.kernel_initializer)(shapes["W"], rng)
        self.params["b"] = initializers.zeros(shapes["b"])

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, in_features) -> (N, units)."""
        self.ensure_built(x)
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        """dL/dZ (N, units) -> dL/dX (N, in_features); dW = Xᵀ·dZ, db = Σ_N dZ."""
        self.grads["W"] = self.x.T @ grad
        self.grads["b"] = grad.sum(axis=0)
        if not self.needs_input_grad:
            return None
        return grad @ self.params["W"].T

    def get_config(self):
        return {**super().get_config(), "units": self.units, "kernel_initializer": self.kernel_initializer}
