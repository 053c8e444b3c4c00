"""MaxPool2D and AvgPool2D: no parameters, the backward pass only routes the gradient.

Max pooling sends each δ to the maximum of its window (0 to the others); average pooling
shares it equally, δ / (KH·KW). Windows may overlap (stride < pool size) and need not
divide the image evenly (floor mode, PyTorch's default). The arithmetic lives in
``glassnet.ops.pool``: impl "fast" (default, compiled by numba), "numpy" (strided slices,
a teaching variant) or "reference" (one Python loop iteration per output pixel).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..ops import pool as pool_ops
from .base import register
from .window import WindowLayer, padding_argument, positive_pair


class _Pool2D(WindowLayer):
    """Shared constructor, checks and config of the two pooling layers."""

    implementations = pool_ops.IMPLEMENTATIONS
    _forward_op = staticmethod(pool_ops.max_pool2d_forward)
    _backward_op = staticmethod(pool_ops.max_pool2d_backward)

    def __init__(
        self,
        pool_size: int | tuple[int, int] = 2,
        stride: int | tuple[int, int] | None = None,
        padding: int | str | tuple[int, int] = 0,
        *,
        impl: str = "fast",
        name: str | None = None,
        input_shape: tuple[int, ...] | None = None,
    ):
        super().__init__(name=name, input_shape=input_shape)
        self.kernel_size = positive_pair(pool_size, "pool_size")
        self.stride = self.kernel_size if stride is None else positive_pair(stride, "stride")
        self._stride_given = stride is not None
        self.padding = padding_argument(padding)
        if isinstance(self.padding, tuple) and any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{type(self).__name__} padding {padding!r} is more than half the pool size {self.kernel_size}: "
                "a window could then hold padding only (PyTorch forbids this too)"
            )
        self.impl = impl

    @property
    def pool_size(self) -> tuple[int, int]:
        """(KH, KW) of the pooling window."""
        return self.kernel_size

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """x (N, C, H, W) -> y (N, C, OH, OW)."""
        self.ensure_built(x)
        y, self._cache = self._forward_op(x, self.kernel_size, self.stride, self.pads, self.impl)
        return y

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        """dL/dy (N, C, OH, OW) -> dL/dx (N, C, H, W), or None when ``needs_input_grad`` is False."""
        if not self.needs_input_grad:
            return None
        return self._backward_op(grad, self._cache)

    def get_config(self) -> dict[str, Any]:
        return {
            **self._window_config(),
            "pool_size": list(self.kernel_size),
            "stride": list(self.stride) if self._stride_given else None,
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "impl": self.impl,
        }


@register
class MaxPool2D(_Pool2D):
    """y = max of each KH×KW window; x (N, C, H, W) -> y (N, C, OH, OW); padding counts as -inf."""

    _forward_op = staticmethod(pool_ops.max_pool2d_forward)
    _backward_op = staticmethod(pool_ops.max_pool2d_backward)


@register
class AvgPool2D(_Pool2D):
    """y = mean of each KH×KW window; x (N, C, H, W) -> y (N, C, OH, OW); padding zeros count in the mean."""

    _forward_op = staticmethod(pool_ops.avg_pool2d_forward)
    _backward_op = staticmethod(pool_ops.avg_pool2d_backward)
