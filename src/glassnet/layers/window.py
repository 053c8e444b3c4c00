"""WindowLayer: the base of Conv2D and the pooling layers, a KH×KW window slid over images.

It gives them one output-size rule, OH = (H + 2P - KH) // S + 1 (with Conv2D's dilation D:
OH = (H + 2P - D·(KH-1) - 1) // S + 1), one kind of shape error
(naming the layer, the shape it got, the shape it expected and that formula), one
``impl`` attribute, and the argument checks they share (``padding_argument``,
``positive_pair``).

Train with the readable reference paths: ``use_implementation(model, "reference")`` sets
every conv layer to the Python loops and every pooling layer to its Python loops;
``use_implementation(model, "fast")`` sets them back to the default. One layer at a time:
``Conv2D(..., impl="loops")``, ``MaxPool2D(..., impl="reference")``, or ``layer.impl = ...``.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..backend import pair
from ..ops.shapes import DILATED_OUTPUT_SIZE_FORMULA, OUTPUT_SIZE_FORMULA, Pads, output_size, resolve_padding, span
from .base import Layer


def padding_argument(padding: Any) -> str | tuple[int, int]:
    """Validate a padding argument: 'valid' / 'same' (lower-cased) or a (ph, pw) pair of ints >= 0."""
    if isinstance(padding, str):
        resolve_padding(padding, (1, 1), (1, 1), (1, 1))  # raises on an unknown word
        return padding.lower()
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must not be negative; got {padding!r}")
    return ph, pw


def positive_pair(value: Any, what: str) -> tuple[int, int]:
    """An int or a pair -> (h, w), both > 0; ValueError naming ``what`` otherwise."""
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
    implementations: tuple[str, ...] = ()
    """The accepted ``impl`` names (set by each subclass from its op module)."""
    impl_aliases: dict[str, str] = {}
    """Other accepted names -> the name stored (e.g. Conv2D's 'reference' -> 'loops')."""

    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: str | tuple[int, int]
    dilation: tuple[int, int] = (1, 1)
    """(DH, DW): the kernel's entries DH rows and DW columns apart (Conv2D's argument; pooling keeps 1)."""

    @property
    def impl(self) -> str:
        """Which implementation of the op runs (see ``implementations``); switchable at any time."""
        return self._impl

    @impl.setter
    def impl(self, value: str) -> None:
        value = self.impl_aliases.get(value, value)
        if value not in self.implementations:
            names = self.implementations + tuple(self.impl_aliases)
            raise ValueError(f"unknown {type(self).__name__} impl {value!r}; expected one of {names}")
        self._impl = value

    def shape_hint(self) -> str:
        return " (C, H, W)"

    def output_channels(self, in_channels: int) -> int:
        """Channels of the output for ``in_channels`` input channels (pooling keeps them)."""
        return in_channels

    def resolve_pads(self, input_shape: tuple[int, ...]) -> Pads:
        """(top, bottom, left, right) zero rows/columns for a (C, H, W) sample."""
        return resolve_padding(self.padding, self.kernel_size, self.stride, (input_shape[1], input_shape[2]),
                               self.dilation)

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        C, H, W = input_shape
        top, bottom, left, right = self.resolve_pads(input_shape)
        (KH, KW), (SH, SW), (DH, DW) = self.kernel_size, self.stride, self.dilation
        return (self.output_channels(C), output_size(H, KH, SH, top, bottom, DH),
                output_size(W, KW, SW, left, right, DW))

    @property
    def pads(self) -> Pads:
        """(top, bottom, left, right) padding of the built input shape ('same' depends on H and W)."""
        if self.input_shape is None:
            raise ValueError(f"{self.describe()} is not built yet: its padding depends on the input's H and W")
        return self.resolve_pads(self.input_shape)

    # -- shape errors --------------------------------------------------------------
    def _formula(self, hw: tuple[int, int] | None = None) -> str:
        """The output-size formula with this layer's numbers (and the input's, when known)."""
        (KH, KW), (SH, SW), (DH, DW) = self.kernel_size, self.stride, self.dilation
        dilated = (DH, DW) != (1, 1)
        text = f"{DILATED_OUTPUT_SIZE_FORMULA if dilated else OUTPUT_SIZE_FORMULA} (likewise OW from W, KW)"
        if isinstance(self.padding, str):
            text += f" with padding={self.padding!r}"
        if hw is None:
            padding = "" if isinstance(self.padding, str) else f", P = {self.padding}"
            dilation = f", D = ({DH}, {DW})" if dilated else ""
            return text + f", KH×KW = {KH}×{KW}, S = ({SH}, {SW}){padding}{dilation}"
        top, bottom, left, right = resolve_padding(self.padding, self.kernel_size, self.stride, hw, self.dilation)
        H, W = hw
        OH, OW = output_size(H, KH, SH, top, bottom, DH), output_size(W, KW, SW, left, right, DW)
        if dilated:
            return (
                text + f": OH = ({H} + {top + bottom} - {DH}·({KH}-1) - 1) // {SH} + 1 = {OH}, "
                f"OW = ({W} + {left + right} - {DW}·({KW}-1) - 1) // {SW} + 1 = {OW}"
            )
        return (
            text + f": OH = ({H} + {top + bottom} - {KH}) // {SH} + 1 = {OH}, "
            f"OW = ({W} + {left + right} - {KW}) // {SW} + 1 = {OW}"
        )

    def _expected(self) -> str:
        """The input shape this layer accepts, e.g. '(N, 3, H, W) with H >= 5 and W >= 5'."""
        if self.built:
            return f"(N, {', '.join(map(str, self.input_shape or ()))})"
        if isinstance(self.padding, str) and self.padding == "same":
            return "(N, C, H, W)"
        KH, KW = span(self.kernel_size[0], self.dilation[0]), span(self.kernel_size[1], self.dilation[1])
        ph, pw = self.padding if isinstance(self.padding, tuple) else (0, 0)  # 'valid'
        return f"(N, C, H, W) with H >= {max(KH - 2 * ph, 1)} and W >= {max(KW - 2 * pw, 1)}"

    def _problem(self, sample_shape: tuple[int, ...]) -> tuple[str, str] | None:
        """What is wrong with one (C, H, W) sample, and the formula text to show; None if it fits."""
        if len(sample_shape) != 3:
            return f"rank {len(sample_shape) + 1}, expected rank 4 (a batch of channels-first images)", self._formula()
        C, H, W = sample_shape
        built = self.input_shape if self.built else None
        if built is not None and C != built[0]:
            return f"{C} channels, but this layer was built for {built[0]}", self._formula()
        if min(sample_shape) < 1:
            return "an empty image", self._formula()
        out = self.compute_output_shape(tuple(sample_shape))
        if out[1] < 1 or out[2] < 1:
            window = f"{self.kernel_size[0]}×{self.kernel_size[1]}"
            if self.dilation != (1, 1):
                KH, KW = (span(k, d) for k, d in zip(self.kernel_size, self.dilation))
                window += f" window dilated by {self.dilation} to {KH}×{KW}"
            else:
                window += " window"
            return f"the {window} does not fit", self._formula((H, W))
        if built is not None and tuple(sample_shape) != built:
            return f"this layer was built for H, W = {built[1]}, {built[2]}", self._formula((H, W))
        return None

    def _shape_error(self, got: tuple[int | str, ...], problem: tuple[str, str]) -> ValueError:
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


SHARED_NAMES = ("reference", "fast")
"""The implementation names every window layer accepts: conv and pooling share them."""


def use_implementation(layers: Any, which: str) -> None:
    """Set ``impl = which`` ('reference' or 'fast') on every conv and pooling layer of a model or list of layers."""
    if which not in SHARED_NAMES:
        raise ValueError(f"use_implementation takes one of {SHARED_NAMES}, got {which!r}")
    found: Iterable[Layer] = getattr(layers, "layers", layers)
    for layer in found:
        if isinstance(layer, WindowLayer):
            layer.impl = which
