"""Dropout: in training, zero each activation with probability ``rate`` (inverted dropout).

Training:   mask_i = 1 with probability 1 - rate, else 0;   y = x ⊙ mask / (1 - rate)
Inference:  y = x            (the 1 / (1 - rate) scaling in training keeps E[y] = x,
                              so nothing needs rescaling at test time)
Backward:   dL/dx = dL/dy ⊙ mask / (1 - rate), with the mask of the forward pass.
"""
from __future__ import annotations

import numpy as np

from ..backend import make_rng
from .base import Layer, register


@register
class Dropout(Layer):
    """Inverted dropout with its own random generator (``seed`` makes the masks reproducible)."""

    def __init__(self, rate: float = 0.5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout rate is the fraction of activations dropped, in [0, 1); got {rate!r}")
        self.rate = float(rate)
        self.seed = None if seed is None else int(seed)
        self.rng = make_rng(self.seed)
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, ...) -> (N, ...): x ⊙ mask / (1 - rate) in training, x unchanged in inference."""
        self.ensure_built(x)
        if not training or self.rate == 0.0:
            self.mask = None
            return x
        dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float32)
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.rate
        # The scaled mask, so that forward and backward are each one multiplication.
        self.mask = keep.astype(dtype)
        self.mask *= dtype.type(1.0 / (1.0 - self.rate))
        return x * self.mask

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """dL/dy (N, ...) -> dL/dx (N, ...) through the same mask as the forward pass."""
        if self.mask is None:
            return grad
        return grad * self.mask

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}
