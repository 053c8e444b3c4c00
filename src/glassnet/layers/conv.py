"""Conv2D, and the shape checks shared by every layer that slides a window over images.

Conv2D computes z[n, oc] = b[oc] + Σ_c x[n, c] ⋆ W[oc, c] with W (OC, C, KH, KW) and one
bias per filter. The arithmetic lives in ``glassnet.ops.conv``, in three interchangeable
implementations chosen by ``impl``: "loops" (readable reference), "numba", "im2col" (default).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import initializers
from ..backend import pair
from ..ops import conv as conv_ops
from ..ops.conv import OUTPUT_SIZE_FORMULA, Pads, output_size, resolve_padding
from .base import MAX_LAYER_WEIGHTS, Layer, register


def _padding_arg(padding: Any) -> str | tuple[int, int]:
    """Validate a padding argument: 'valid' / 'same' (lower-cased) or a (ph, pw) pair of ints >= 0."""
    if isinstance(padding, str):
        resolve_padding(padding, (1, 1), (1, 1), (1, 1))  # raises on an unknown word
        return padding.lower()
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must not be negative; got {padding!r}")
    return ph, pw


def _positive_pair(value: Any, what: str) -> tuple[int, int]:
    h, w = pair(value, what)
    if h <= 0 or w <= 0:
        raise ValueError(f"{what} must be positive; got {value!r}")
    return h, w


class WindowLayer(Layer):
    """Base of Conv2D and the pooling layers: a KH×KW window moved by stride S over padded (C, H, W) images.

    Gives them one output-size rule, OH = (H + 2P - KH) // S + 1, and one kind of shape
    error, naming the layer, the shape it got, the shape it expected and that formula.
    """

    expected_rank = 3

    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: str | tuple[int, int]

    def shape_hint(self) -> str:
        return " (C, H, W)"

    def output_channels(self, in_channels: int) -> int:
        """Channels of the output for ``in_channels`` input channels (pooling keeps them)."""
        return in_channels

    def resolve_pads(self, input_shape: tuple[int, ...]) -> Pads:
        """(top, bottom, left, right) zero rows/columns for a (C, H, W) sample."""
        return resolve_padding(self.padding, self.kernel_size, self.stride, tuple(input_shape[1:3]))

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        C, H, W = input_shape
        top, bottom, left, right = self.resolve_pads(input_shape)
        (KH, KW), (SH, SW) = self.kernel_size, self.stride
        return (self.output_channels(C), output_size(H, KH, SH, top, bottom), output_size(W, KW, SW, left, right))

    @property
    def pads(self) -> Pads:
        """(top, bottom, left, right) padding of the built input shape ('same' depends on H and W)."""
        return self.resolve_pads(self.input_shape)

    # -- shape errors --------------------------------------------------------------
    def _formula(self, hw: tuple[int, int] | None = None) -> str:
        """The output-size formula with this layer's numbers (and the input's, when known)."""
        (KH, KW), (SH, SW) = self.kernel_size, self.stride
        text = f"{OUTPUT_SIZE_FORMULA} (likewise OW from W, KW)"
        if isinstance(self.padding, str):
            text += f" with padding={self.padding!r}"
        if hw is None:
            padding = "" if isinstance(self.padding, str) else f", P = {self.padding}"
            return text + f", KH×KW = {KH}×{KW}, S = ({SH}, {SW}){padding}"
        top, bottom, left, right = resolve_padding(self.padding, self.kernel_size, self.stride, hw)
        H, W = hw
        OH, OW = output_size(H, KH, SH, top, bottom), output_size(W, KW, SW, left, right)
        return (
            text + f": OH = ({H} + {top + bottom} - {KH}) // {SH} + 1 = {OH}, "
            f"OW = ({W} + {left + right} - {KW}) // {SW} + 1 = {OW}"
        )

    def _expected(self) -> str:
        """The input shape this layer accepts, e.g. '(N, 3, H, W) with H >= 5 and W >= 5'."""
        if self.built:
            return f"(N, {', '.join(map(str, self.input_shape))})"
        if isinstance(self.padding, str) and self.padding == "same":
            return "(N, C, H, W)"
        KH, KW = self.kernel_size
        ph, pw = self.padding if isinstance(self.padding, tuple) else (0, 0)  # 'valid'
        return f"(N, C, H, W) with H >= {max(KH - 2 * ph, 1)} and W >= {max(KW - 2 * pw, 1)}"

    def _problem(self, sample_shape: tuple[int, ...]) -> tuple[str, str] | None:
        """What is wrong with one (C, H, W) sample, and the formula text to show; None if it fits."""
        if len(sample_shape) != 3:
            return f"rank {len(sample_shape) + 1}, expected rank 4 (a batch of channels-first images)", self._formula()
        C, H, W = sample_shape
        if self.built and C != self.input_shape[0]:
            return f"{C} channels, but this layer was built for {self.input_shape[0]}", self._formula()
        if min(sample_shape) < 1:
            return "an empty image", self._formula()
        out = self.compute_output_shape(tuple(sample_shape))
        if out[1] < 1 or out[2] < 1:
            return f"the {self.kernel_size[0]}×{self.kernel_size[1]} window does not fit", self._formula((H, W))
        if self.built and tuple(sample_shape) != self.input_shape:
            return f"this layer was built for H, W = {self.input_shape[1]}, {self.input_shape[2]}", self._formula((H, W))
        return None

    def _shape_error(self, got: tuple[int, ...], problem: tuple[str, str]) -> ValueError:
        reason, formula = problem
        shape = "(" + ", ".join(map(str, got)) + ("," if len(got) == 1 else "") + ")"
        return ValueError(
            f"{self.describe()} got input of shape {shape} ({reason}); expected {self._expected()}. "
            f"Output size: {formula}"
        )

    def check_sample_shape(self, input_shape: tuple[int, ...]) -> None:
        """Raise ValueError for a wrong rank, a wrong channel count, or an image smaller than the window."""
        problem = self._problem(tuple(input_shape))
        if problem is not None:
            raise self._shape_error(("N", *input_shape), problem)

    def ensure_built(self, x: np.ndarray) -> None:
        """Build from x (N, C, H, W) on first use; afterwards check its shape still fits, naming the formula."""
        if self.built and x.shape[1:] == self.input_shape:
            return  # the common case, checked first: it runs on every forward pass
        problem = self._problem(tuple(x.shape[1:])) if x.ndim >= 1 else ("a scalar", self._formula())
        if problem is not None:
            raise self._shape_error(tuple(x.shape), problem)
        if not self.built:
            self.build(x.shape[1:])

    def _window_config(self) -> dict[str, Any]:
        """get_config entries shared by window layers, JSON-safe (pairs as lists)."""
        config: dict[str, Any] = {"name": self.name}
        if self.input_shape is not None:
            config["input_shape"] = list(self.input_shape)
        return config


@register
class Conv2D(WindowLayer):
    """z = x ⋆ W + b: W (OC, C, KH, KW), b (OC,); x (N, C, H, W) -> z (N, OC, OH, OW).

    padding: int, (ph, pw), 'valid' (= 0) or 'same'. 'same' keeps H×W for stride 1 with any
    kernel; for stride S it gives ceil(H / S) rows, as TensorFlow does. When the total
    padding is odd (even kernel, or stride > 1) the extra row/column goes at the
    bottom/right, as PyTorch's padding='same' does.

    impl: "im2col" (default), "numba" or "loops"; an attribute, so it can be switched any
    time (a forward/backward pair always uses the implementation of its forward pass).
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | str | tuple[int, int] = 0,
        *,
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
        self.kernel_size = _positive_pair(kernel_size, "kernel_size")
        self.stride = _positive_pair(stride, "stride")
        self.padding = _padding_arg(padding)
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

    @property
    def impl(self) -> str:
        """Which convolution kernel runs: 'im2col', 'numba' or 'loops'."""
        return self._impl

    @impl.setter
    def impl(self, value: str) -> None:
        if value not in conv_ops.IMPLEMENTATIONS:
            raise ValueError(f"unknown Conv2D impl {value!r}; expected one of {conv_ops.IMPLEMENTATIONS}")
        self._impl = value

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
            x, self.params["W"], self.params.get("b"), self.stride, self.pads, self.impl
        )
        return z

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        """dL/dz (N, OC, OH, OW) -> dL/dx (N, C, H, W), or None when ``needs_input_grad`` is False."""
        dx, dW, db = conv_ops.conv2d_backward(grad, self._cache, need_dx=self.needs_input_grad)
        self.grads["W"] = dW
        if self.use_bias:
            self.grads["b"] = db
        return dx

    def get_config(self) -> dict[str, Any]:
        return {
            **self._window_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "stride": list(self.stride),
            "padding": self.padding if isinstance(self.padding, str) else list(self.padding),
            "impl": self.impl,
            "kernel_initializer": self.kernel_initializer,
            "use_bias": self.use_bias,
        }
