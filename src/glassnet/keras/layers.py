"""Keras's layer names and arguments, each made of glassnet's own layers (glassnet.keras.layers).

Every class here is a glassnet layer with Keras's constructor: ``Dense(128, activation="relu",
input_shape=(784,))`` is a ``glassnet.layers.Dense`` (W (in, units), b) plus, because of
``activation=``, a ``glassnet.layers.ReLU`` that ``glassnet.keras.Sequential`` puts right after
it; ``summary`` shows the two as Keras's one row. What changes from Keras's words to glassnet's:

* images: Keras's shapes are channels-last, ``input_shape=(28, 28, 1)`` is (H, W, C); here it
  becomes glassnet's (C, H, W) = (1, 28, 28), and ``glassnet.keras.Sequential`` transposes the
  images it is given (N, H, W, C) -> (N, C, H, W) at its edge. Inside, everything stays NCHW.
* ``Conv2D(filters, kernel_size, strides=1, padding="valid")``: Keras's ``strides`` is glassnet's
  ``stride``; the kernel starts glorot-uniform as in Keras (glassnet's own default is He).
* ``BatchNormalization(momentum=0.99, epsilon=1e-3)``: Keras's momentum is the weight of the
  history, glassnet's (PyTorch's) the weight of the new batch, so it becomes ``momentum=0.01``.
* ``LeakyReLU(negative_slope=0.3)``: Keras's default slope, glassnet's argument ``alpha``.

The classes are named after the glassnet layer they are (``MaxPooling2D`` is a ``MaxPool2D``), so
a model saves and loads as glassnet layers; ``keras_class`` keeps the Keras name for ``summary``.
"""
from __future__ import annotations

import itertools
import re
from collections import defaultdict
from typing import Any, Sequence

from .. import layers as gl
from ..layers.base import Layer

__all__ = ["Dense", "Conv2D", "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D", "Flatten", "Dropout",
           "BatchNormalization", "Activation", "ReLU", "LeakyReLU", "Softmax", "Input", "InputLayer",
           "glassnet_shape", "keras_shape"]

_uids: defaultdict[str, itertools.count] = defaultdict(itertools.count)


def unique_name(prefix: str) -> str:
    """Keras's automatic names: 'dense', then 'dense_1', 'dense_2', ... (one counter per prefix)."""
    number = next(_uids[prefix])
    return prefix if number == 0 else f"{prefix}_{number}"


def reset_names() -> None:
    """Start every automatic name again from its first ('dense', not 'dense_7'): ``utils.clear_session``."""
    _uids.clear()


def _snake(class_name: str) -> str:
    """'MaxPooling2D' -> 'max_pooling2d', as Keras names its layers."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower().replace("2_d", "2d")


def glassnet_shape(shape: Sequence[int] | None) -> tuple[int, ...] | None:
    """One sample's shape as Keras writes it -> as glassnet does: (H, W, C) -> (C, H, W); other ranks unchanged."""
    if shape is None:
        return None
    shape = tuple(int(d) for d in shape)
    return (shape[2], shape[0], shape[1]) if len(shape) == 3 else shape


def keras_shape(shape: Sequence[int] | None) -> tuple[int, ...] | None:
    """The inverse of ``glassnet_shape``: (C, H, W) -> (H, W, C)."""
    if shape is None:
        return None
    shape = tuple(int(d) for d in shape)
    return (shape[1], shape[2], shape[0]) if len(shape) == 3 else shape


def _names(keras_class: str, name: str | None) -> str:
    return name if name is not None else unique_name(_snake(keras_class))


_ACTIVATIONS: dict[str, Any] = {"relu": gl.ReLU, "sigmoid": gl.Sigmoid, "tanh": gl.Tanh, "softmax": gl.Softmax,
                                "leaky_relu": lambda **kw: gl.LeakyReLU(alpha=0.2, **kw)}
"""Keras's activation names -> the glassnet layer (Keras's ``leaky_relu`` function has slope 0.2)."""


def activation_layer(activation: Any, name: str) -> Layer | None:
    """The glassnet layer for Keras's ``activation=`` argument: None for None / 'linear'."""
    if activation is None or activation == "linear":
        return None
    if isinstance(activation, Layer):
        return activation
    if not isinstance(activation, str) or activation.lower() not in _ACTIVATIONS:
        raise ValueError(f"activation={activation!r} is not one glassnet.keras has; expected one of "
                         f"{sorted(_ACTIVATIONS)}, 'linear' or None")
    return _ACTIVATIONS[activation.lower()](name=name)


class _WithActivation:
    """A layer with Keras's ``activation=``: the activation is a glassnet layer that the model adds after it."""

    keras_activation: Layer | None = None
    activation_added = False
    """True once a glassnet.keras.Sequential has put ``keras_activation`` after this layer."""

    def _attach(self, activation: Any) -> None:
        label = activation.lower() if isinstance(activation, str) else "activation"
        self.keras_activation = activation_layer(activation, f"{self.name}_{label}")  # type: ignore[attr-defined]
        if isinstance(self.keras_activation, Layer):
            self.keras_activation.keras_part_of = self  # type: ignore[attr-defined]

    def _check_activation_added(self) -> None:
        if self.keras_activation is not None and not self.activation_added:
            raise TypeError(
                f"{self.describe()} has activation={type(self.keras_activation).__name__}, which only "  # type: ignore[attr-defined]
                "glassnet.keras.Sequential adds to a model; in a glassnet.Sequential add "
                f"glassnet.layers.{type(self.keras_activation).__name__}() after it instead")


class Dense(_WithActivation, gl.Dense):
    """Keras's ``Dense(units, activation=None, use_bias=True, kernel_initializer="glorot_uniform", input_shape=None)``."""

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: str = "glorot_uniform", *, input_shape: Sequence[int] | None = None,
                 input_dim: int | None = None, name: str | None = None):
        if not use_bias:
            raise ValueError("glassnet's Dense always has a bias; use_bias=False is not available")
        if input_dim is not None:
            input_shape = (int(input_dim),)
        super().__init__(units, kernel_initializer=kernel_initializer, name=_names("Dense", name),
                         input_shape=glassnet_shape(input_shape))
        self.keras_class = "Dense"
        self._attach(activation)

    def build(self, input_shape, rng=None):
        self._check_activation_added()
        return super().build(input_shape, rng)


class Conv2D(_WithActivation, gl.Conv2D):
    """Keras's ``Conv2D(filters, kernel_size, strides=(1, 1), padding="valid", activation=None, ...)``, channels-last outside."""

    def __init__(self, filters: int, kernel_size: int | tuple[int, int], strides: int | tuple[int, int] = (1, 1),
                 padding: str = "valid", activation: Any = None, use_bias: bool = True,
                 kernel_initializer: str = "glorot_uniform", *, data_format: str | None = None,
                 input_shape: Sequence[int] | None = None, name: str | None = None):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"data_format={data_format!r}: glassnet.keras takes Keras's default, channels_last "
                             "images (N, H, W, C); for channels-first images use glassnet.layers.Conv2D")
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(f"Conv2D padding must be 'valid' or 'same' (as in Keras), got {padding!r}")
        super().__init__(filters, kernel_size, stride=strides, padding=padding.lower(), use_bias=use_bias,
                         kernel_initializer=kernel_initializer, name=_names("Conv2D", name),
                         input_shape=glassnet_shape(input_shape))
        self.keras_class = "Conv2D"
        self._attach(activation)

    def build(self, input_shape, rng=None):
        self._check_activation_added()
        return super().build(input_shape, rng)


def _pool_arguments(cls_name: str, pool_size: Any, strides: Any, padding: str, data_format: str | None) -> str:
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{cls_name} data_format={data_format!r}: glassnet.keras takes channels_last images")
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{cls_name} padding must be 'valid' or 'same' (as in Keras), got {padding!r}")
    return padding.lower()


class MaxPool2D(gl.MaxPool2D):
    """Keras's ``MaxPooling2D(pool_size=(2, 2), strides=None, padding="valid")`` (strides None: the pool size)."""

    def __init__(self, pool_size: int | tuple[int, int] = (2, 2), strides: int | tuple[int, int] | None = None,
                 padding: str = "valid", *, data_format: str | None = None,
                 input_shape: Sequence[int] | None = None, name: str | None = None):
        padding = _pool_arguments("MaxPooling2D", pool_size, strides, padding, data_format)
        super().__init__(pool_size, strides, padding, name=_names("MaxPooling2D", name),
                         input_shape=glassnet_shape(input_shape))
        self.keras_class = "MaxPooling2D"


class AvgPool2D(gl.AvgPool2D):
    """Keras's ``AveragePooling2D(pool_size=(2, 2), strides=None, padding="valid")``."""

    def __init__(self, pool_size: int | tuple[int, int] = (2, 2), strides: int | tuple[int, int] | None = None,
                 padding: str = "valid", *, data_format: str | None = None,
                 input_shape: Sequence[int] | None = None, name: str | None = None):
        padding = _pool_arguments("AveragePooling2D", pool_size, strides, padding, data_format)
        super().__init__(pool_size, strides, padding, name=_names("AveragePooling2D", name),
                         input_shape=glassnet_shape(input_shape))
        self.keras_class = "AveragePooling2D"


MaxPooling2D = MaxPool2D
AveragePooling2D = AvgPool2D


class Flatten(gl.Flatten):
    """Keras's ``Flatten()``: (N, H, W, C) -> (N, H·W·C) features (glassnet orders them C, H, W)."""

    def __init__(self, *, input_shape: Sequence[int] | None = None, name: str | None = None):
        super().__init__(name=_names("Flatten", name), input_shape=glassnet_shape(input_shape))
        self.keras_class = "Flatten"


class Dropout(gl.Dropout):
    """Keras's ``Dropout(rate, seed=None)``: inverted dropout, as in Keras."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None, *,
                 input_shape: Sequence[int] | None = None, name: str | None = None):
        if noise_shape is not None:
            raise ValueError("glassnet's Dropout draws one mask entry per activation; noise_shape is not available")
        super().__init__(rate, seed=seed, name=_names("Dropout", name), input_shape=glassnet_shape(input_shape))
        self.keras_class = "Dropout"


class BatchNorm(gl.BatchNorm):
    """Keras's ``BatchNormalization(axis=-1, momentum=0.99, epsilon=0.001)`` on the channels (or features).

    Keras's ``momentum`` is the weight of the running statistics, glassnet's the weight of the
    new batch: 0.99 here is glassnet's 0.01. glassnet's running variance is the unbiased one
    (m / (m - 1) times the batch's, as PyTorch), Keras's the batch's own.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, *, input_shape: Sequence[int] | None = None, name: str | None = None):
        if axis not in (-1, 3, 1) or not (center and scale):
            raise ValueError("glassnet's BatchNormalization normalises the channels (axis=-1 for channels-last "
                             "images, the features for vectors) with both gamma and beta")
        if not 0.0 <= float(momentum) <= 1.0:
            raise ValueError(f"BatchNormalization momentum must be in [0, 1] (Keras's convention: the weight of "
                             f"the running statistics, default 0.99), got {momentum!r}")
        super().__init__(momentum=1.0 - float(momentum), eps=epsilon, name=_names("BatchNormalization", name),
                         input_shape=glassnet_shape(input_shape))
        self.keras_class = "BatchNormalization"
        self.keras_momentum = float(momentum)


BatchNormalization = BatchNorm


class LeakyReLU(gl.LeakyReLU):
    """Keras's ``LeakyReLU(negative_slope=0.3)`` (Keras 2 called it ``alpha``)."""

    def __init__(self, negative_slope: float = 0.3, *, alpha: float | None = None,
                 input_shape: Sequence[int] | None = None, name: str | None = None):
        slope = negative_slope if alpha is None else alpha
        super().__init__(alpha=slope, name=_names("LeakyReLU", name), input_shape=glassnet_shape(input_shape))
        self.keras_class = "LeakyReLU"


class ReLU(gl.ReLU):
    """Keras's ``ReLU()`` layer (without max_value / threshold)."""

    def __init__(self, *, input_shape: Sequence[int] | None = None, name: str | None = None):
        super().__init__(name=_names("ReLU", name), input_shape=glassnet_shape(input_shape))
        self.keras_class = "ReLU"


class Softmax(gl.Softmax):
    """Keras's ``Softmax()`` layer over the last axis."""

    def __init__(self, axis: int = -1, *, input_shape: Sequence[int] | None = None, name: str | None = None):
        if axis != -1:
            raise ValueError("glassnet's Softmax normalises the last axis (axis=-1)")
        super().__init__(name=_names("Softmax", name), input_shape=glassnet_shape(input_shape))
        self.keras_class = "Softmax"


def Activation(activation: str, *, input_shape: Sequence[int] | None = None, name: str | None = None) -> Layer:
    """Keras's ``Activation("relu")`` layer: the glassnet activation layer of that name ('relu', 'sigmoid', ...)."""
    layer = activation_layer(activation, _names("Activation", name))
    if layer is None:
        raise ValueError("Activation('linear') changes nothing: leave the layer out")
    if input_shape is not None:
        layer.input_shape = glassnet_shape(input_shape)
    layer.keras_class = "Activation"  # type: ignore[attr-defined]
    return layer


class InputLayer:
    """What ``Input(shape=...)`` returns: the per-sample input shape a ``Sequential`` starts from (not a layer)."""

    def __init__(self, shape: Sequence[int], name: str | None = None):
        if shape is None or any(d is None for d in shape):
            raise ValueError(f"Input(shape={shape!r}): glassnet needs every dimension of a sample (no None)")
        self.shape = tuple(int(d) for d in shape)
        self.name = name or unique_name("input_layer")

    def __repr__(self) -> str:
        return f"<Input shape=(None, {', '.join(map(str, self.shape))}), name={self.name}>"


def Input(shape: Sequence[int] | None = None, batch_size: int | None = None, name: str | None = None,
          **kwargs: Any) -> InputLayer:
    """Keras's ``Input(shape=(28, 28, 1))`` for the start of a ``Sequential`` (channels-last for images)."""
    if shape is None:
        shape = kwargs.pop("batch_shape", (None, None))[1:]
    if kwargs:
        raise TypeError(f"Input() got argument(s) glassnet.keras does not take: {sorted(kwargs)}")
    return InputLayer(shape, name)
