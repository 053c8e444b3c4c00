"""Element-wise activations and Softmax; each backward is its derivative times the incoming gradient."""
from __future__ import annotations

import numpy as np

from ..backend import fusable
from .base import Layer, register



@register
class ReLU(Layer):
    """y = max(0, x); dy/dx = 1 where x > 0, else 0.

    The backward pass needs only the output: y > 0 exactly where x > 0. Both passes run
    as one-pass numba kernels (``ops.fused_kernels``) for float arrays; the NumPy line
    in the ``else`` branch is the same formula.
    """

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, ...) -> (N, ...)."""
        self.ensure_built(x)
        if fusable(x):
            from ..ops.fused_kernels import relu_forward

            y = np.empty_like(x)
            relu_forward(x.ravel(), y.ravel())
        else:
            y = np.maximum(x, 0, dtype=x.dtype)
        self.y = y
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, ...) -> (N, ...)."""
        if fusable(grad, self.y):
            from ..ops.fused_kernels import relu_backward

            dx = np.empty_like(grad)
            relu_backward(grad.ravel(), self.y.ravel(), dx.ravel())
            return dx
        return grad * (self.y > 0)


@register
class LeakyReLU(Layer):
    """y = x where x > 0, else alpha·x."""

    def __init__(self, alpha: float = 0.01, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, ...) -> (N, ...)."""
        self.ensure_built(x)
        self.mask = x > 0
        return np.where(self.mask, x, x * x.dtype.type(self.alpha))

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, ...) -> (N, ...)."""
        return np.where(self.mask, grad, grad * grad.dtype.type(self.alpha))

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


@register
class Sigmoid(Layer):
    """y = 1 / (1 + e^-x); dy/dx = y (1 - y)."""

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, ...) -> (N, ...)."""
        self.ensure_built(x)
        # exp of a negative number only: no overflow for large |x|.
        e = np.exp(-np.abs(x))
        self.y = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, ...) -> (N, ...)."""
        return grad * self.y * (1 - self.y)


@register
class Tanh(Layer):
    """y = tanh(x); dy/dx = 1 - y²."""

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, ...) -> (N, ...)."""
        self.ensure_built(x)
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, ...) -> (N, ...)."""
        return grad * (1 - self.y * self.y)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax along ``axis``: subtract the max before exp."""
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


@register
class Softmax(Layer):
    """p_i = e^{x_i} / Σ_j e^{x_j} over the last axis."""

    expected_rank = 1

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, K) -> (N, K) probabilities."""
        self.ensure_built(x)
        self.y = softmax(x)
        return self.y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """(N, K) -> (N, K): dL/dx = p ⊙ (g - Σ_j g_j p_j), the Jacobian-vector product."""
        return self.y * (grad - (grad * self.y).sum(axis=1, keepdims=True))
