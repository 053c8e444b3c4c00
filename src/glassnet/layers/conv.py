"""Conv2D: z = x ⋆ W + b, a bank of learned filters slid over the images.

Conv2D computes z[n, oc] = b[oc] + Σ_c x[n, c] ⋆ W[oc, c] with W (OC, C, KH, KW) and one
bias per filter. The arithmetic lives in ``glassnet.ops.conv``, in interchangeable
implementations chosen by ``impl``: "loops" (the readable reference, alias "reference"),
"numba" (the same loops compiled), "im2col_numpy" (im2col in NumPy) and "im2col" (the
fast default, alias "fast"). The default path from ``backward`` to the matrix products:
``ops.conv.conv2d_backward`` -> ``ops.conv_fast.conv2d_backward``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import initializers
from ..ops import conv as conv_ops
from .base import MAX_LAYER_WEIGHTS, register
from .window import WindowLayer, padding_argument, positive_pair


@register
class Conv2D(WindowLayer):
    """z = x ⋆ W + b: W (OC, C, KH, KW), b (OC,); x (N, C, H, W) -> z (N, OC, OH, OW).

    padding: int, (ph, pw), 'valid' (= 0) or 'same'. 'same' keeps H×W for stride 1 with any
    kernel; for stride S it gives ceil(H / S) rows, as TensorFlow does. When the total
    padding is odd (even kernel, or stride > 1) the extra row/column goes at the
    bottom/right, as PyTorch's padding='same' does.

    dilation: int or (dh, dw), as PyTorch's: kernel entry (ki, kj) meets input pixel
    (i·S + ki·D, j·S + kj·D), so a KH×KW kernel covers D·(KH - 1) + 1 rows and
    OH = (H + 2P - D·(KH-1) - 1) // S + 1. 1 (the default) is the ordinary convolution.

    impl: "im2col" (default), "im2col_numpy", "numba" or "loops" ("fast" and "reference" are
    stored as "im2col" and "loops"); an attribute, so it can be switched any time (a
    forward/backward pair always uses the implementation of its forward pass).
    """

    implementations = conv_ops.IMPLEMENTATIONS
    impl_aliases = conv_ops.ALIASES

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | str | tuple[int, int] = 0,
        *,
        dilation: int | tuple[int, int] = 1,
        impl: str = "im2col",
        kernel_initializer: str = "he_normal",
        use_bias: bool = True,
        name: str | None = None,
        input_shape: tuple[int, ...] | None = None,
    ):
        super().__init__(name=name, input_shape=input_shape)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters <= 0:
            raise ValueError(f"Conv2D filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.kernel_size = positive_pair(kernel_size, "kernel_size")
        self.stride = positive_pair(stride, "stride")
        self.padding = padding_argument(padding)
        self.dilation = positive_pair(dilation, "dilation")
        KH, KW = self.kernel_size
        if self.filters * KH * KW > MAX_LAYER_WEIGHTS:  # W has at least this many weights, even for one channel
            raise ValueError(
                f"Conv2D filters={self.filters:,} with kernel_size {KH}×{KW} would have at least "
                f"{self.filters * KH * KW:,} weights; the limit is {MAX_LAYER_WEIGHTS:,} per layer (MAX_LAYER_WEIGHTS, 1 GiB of float32)"
            )
        self.impl = impl
        self.kernel_initializer = kernel_initializer
        initializers.get(kernel_initializer)  # fail now, not at build time, on a bad name
        self.use_bias = bool(use_bias)

    def output_channels(self, in_channels: int) -> int:
        return self.filters

    def param_shapes(self, input_shape):
        KH, KW = self.kernel_size
        shapes = {"W": (self.filters, input_shape[0], KH, KW)}
        if self.use_bias:
            shapes["b"] = (self.filters,)
        return shapes

    def create_params(self, input_shape, rng):
        shapes = self.param_shapes(input_shape)
        self.params["W"] = initializers.get(self.kernel_initializer)(shapes["W"], rng)
        if self.use_bias:
            self.params["b"] = initializers.zeros(shapes["b"])

    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """x (N, C, H, W) -> z (N, OC, OH, OW)."""
        self.ensure_built(x)
        z, self._cache = conv_ops.conv2d_forward(
            x, self.params["W"], self.params.get("b"), self.stride, self.pads, self.impl, self.dilation
        )
        return z

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        """dL/dz (N, OC, OH, OW) -> dL/dx (N, C, H, W), or None when ``needs_input_grad`` is False."""
        dx, dW, db = conv_ops.conv2d_backward(grad, self._cache, need_dx=self.needs_input_grad)
        self.grads["W"] = dW
        if db is not None:  # the ops give db exactly when the layer has a bias
            self.grads["b"] = db
        return dx

    def get_config(self) -> dict[str, Any]:
        return {
            **self._window_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "dilation": list(self.dilation),
            "impl": self.impl,
            "kernel_initializer": self.kernel_initializer,
            "use_bias": self.use_bias,
        }
