"""Keras's ``Sequential``: glassnet's model with Keras's defaults, layer rows and channels-last edge.

``glassnet.keras.Sequential`` is a ``glassnet.Sequential`` (the same layers, training loop,
threads, save and load) that differs only where Keras and glassnet do:

* ``add`` takes the layers of ``glassnet.keras.layers`` (and glassnet's own) and ``Input``;
  a layer with ``activation=`` brings its activation layer along, after it;
* images are Keras's (N, H, W, C) outside and glassnet's (N, C, H, W) inside: every x given to
  ``fit`` / ``evaluate`` / ``predict`` / ``model(x)`` (validation data too) is transposed on
  the way in, and image outputs on the way out; a sample of rank 3 is an image;
* ``compile("rmsprop")``, ``"adam"``, ``"sgd"`` make Keras's optimizers (Keras's defaults and
  rules, ``glassnet.keras.optimizers``); ``fit`` takes ``batch_size=None`` (32) and
  ``verbose="auto"`` (1), and ``predict`` shows its progress by default, as Keras;
* ``summary`` prints Keras's table: one row per Keras layer, channels-last shapes.

``model.layers`` lists glassnet's layers (a Dense and its ReLU are two); ``keras_layers`` Keras's.
A glassnet DataLoader's batches are glassnet's (N, C, H, W) and pass unchanged.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .. import io as glassnet_io
from ..layers.base import Layer
from ..model import Sequential as GlassnetSequential
from . import losses as keras_losses
from . import optimizers as keras_optimizers
from .layers import InputLayer, glassnet_shape, keras_shape, unique_name

__all__ = ["Sequential", "load_model"]


def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, list, tuple)) or np.isscalar(x)


class Sequential(GlassnetSequential):
    """Keras's ``Sequential(layers=None, name=None)`` over glassnet's layers (see the module's docstring)."""

    def __init__(self, layers: Iterable[Any] | None = None, name: str | None = None, *, seed: int | None = None):
        super().__init__(None, name=name or unique_name("sequential"), seed=seed)
        for layer in layers or []:
            self.add(layer)

    # ------------------------------------------------------------------ building
    def add(self, layer: Any) -> None:
        """Append a Keras layer (with its activation layer, if any), a glassnet layer, or set the input with ``Input``."""
        if isinstance(layer, InputLayer):
            if self.layers:
                raise ValueError(f"{layer!r} must come first: model {self.name!r} already has layers")
            self._input_shape = glassnet_shape(layer.shape)
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a layer of glassnet.keras.layers (or glassnet.layers), "
                            f"got {type(layer).__name__}")
        added = [layer]
        activation = getattr(layer, "keras_activation", None)
        if activation is not None:
            layer.activation_added = True  # type: ignore[attr-defined]
            added.append(activation)
        self._extend(added)

    def build(self, input_shape: Sequence[Any]) -> None:
        """Build for Keras's input shape: (None, H, W, C) or (None, features), the batch axis optional."""
        shape = tuple(input_shape)
        if shape and shape[0] is None:
            shape = shape[1:]
        super().build(glassnet_shape(shape))  # type: ignore[arg-type]

    def _build_glassnet(self, shape: tuple[int, ...]) -> None:
        if not self.built:
            GlassnetSequential.build(self, shape)

    @property
    def keras_layers(self) -> list[Layer]:
        """The layers as Keras lists them: without the activation layers that ``activation=`` added."""
        return [layer for layer in self.layers if getattr(layer, "keras_part_of", None) is None]

    # ------------------------------------------------------------------ the channels-last edge
    def _images_in(self) -> bool:
        return self._input_shape is not None and len(self._input_shape) == 3

    def _to_glassnet(self, x: Any, who: str) -> Any:
        """x (N, H, W, C) -> (N, C, H, W) for an image model, built from x's shape if needed; other x as given."""
        if not _is_array(x):
            return x  # a DataLoader: glassnet's layout
        x = np.asarray(x)
        if not self.built and self.layers and x.ndim >= 2:
            self.build(x.shape[1:])
        if not self._images_in() or x.ndim != 4:
            return x
        C, H, W = self._input_shape  # type: ignore[misc]
        if tuple(x.shape[1:]) != (H, W, C):
            raise ValueError(f"{who}: x has shape {tuple(x.shape)}; model {self.name!r} expects channels-last "
                             f"images (N, {H}, {W}, {C}), as Keras")
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))

    def _check_input(self, x: Any, who: str) -> np.ndarray:
        x = np.asarray(x)
        if self._images_in() and x.ndim == 3:
            C, H, W = self._input_shape  # type: ignore[misc]
            hint = "; add the channel axis, e.g. x[..., None]" if C == 1 and tuple(x.shape[1:]) == (H, W) else ""
            raise ValueError(f"{who}: x has shape {tuple(x.shape)}; model {self.name!r} expects channels-last "
                             f"images (N, {H}, {W}, {C}), as Keras{hint}")
        return super()._check_input(x, who)

    def _images_out(self) -> bool:
        return self.output_shape is not None and len(self.output_shape) == 3

    def _from_glassnet(self, out: np.ndarray) -> np.ndarray:
        """Outputs (N, C, H, W) -> (N, H, W, C) for a model whose output is images; others unchanged."""
        return np.ascontiguousarray(out.transpose(0, 2, 3, 1)) if self._images_out() and out.ndim == 4 else out

    def _targets(self, y: Any) -> Any:
        """Image targets (N, H, W, C) -> (N, C, H, W) for a model whose output is images."""
        if self._images_out() and _is_array(y) and np.ndim(y) == 4:
            return np.ascontiguousarray(np.asarray(y).transpose(0, 3, 1, 2))
        return y

    def _validation(self, data: Any) -> Any:
        if isinstance(data, (tuple, list)) and len(data) in (2, 3):
            return (self._to_glassnet(data[0], "fit validation_data"), self._targets(data[1]), *data[2:])
        return data

    # ------------------------------------------------------------------ Keras's verbs
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                fuse_softmax: bool = True, **options: Any) -> None:
        """Keras's compile: optimizer names make Keras's optimizers, loss names and objects glassnet's losses."""
        for key in ("loss_weights", "weighted_metrics", "run_eagerly", "steps_per_execution", "jit_compile",
                    "auto_scale_loss"):  # Keras's execution options, and two that glassnet accepts only unset
            if key in ("loss_weights", "weighted_metrics") and options.get(key) is not None:
                continue
            options.pop(key, None)
        if options:
            raise TypeError(f"compile() got argument(s) glassnet.keras does not take: {sorted(options)}")
        super().compile(keras_optimizers.get(optimizer), keras_losses.get(loss), metrics, fuse_softmax=fuse_softmax)

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Sequence[Any] | None = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, initial_epoch: int = 0,
            class_weight: dict[int, float] | None = None, sample_weight: Any = None, **options: Any) -> Any:
        """Keras's fit (batch_size None is 32, verbose 'auto' is 1), images channels-last; pass its options by name."""
        _no_steps("fit", options)
        return super().fit(self._to_glassnet(x, "fit"), self._targets(y), 32 if batch_size is None else batch_size,
                           epochs, _verbose(verbose), callbacks, validation_split, self._validation(validation_data),
                           shuffle, initial_epoch, class_weight, sample_weight)

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 return_dict: bool = False, *, sample_weight: Any = None, class_weight: dict[int, float] | None = None,
                 callbacks: Sequence[Any] | None = None, **options: Any) -> Any:
        """Keras's evaluate: the loss (and metrics) as a float, a list or a dict; images channels-last."""
        _no_steps("evaluate", options)
        return super().evaluate(self._to_glassnet(x, "evaluate"), self._targets(y),
                                32 if batch_size is None else batch_size, _verbose(verbose), return_dict,
                                sample_weight=sample_weight, class_weight=class_weight, callbacks=callbacks)

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                callbacks: Sequence[Any] | None = None, **options: Any) -> np.ndarray:
        """Keras's predict: outputs for x, 32 samples at a time; verbose 1 ends with Keras's line '313/313 [===...]'."""
        _no_steps("predict", options)
        batch_size = 32 if batch_size is None else batch_size
        start = time.perf_counter()
        out = super().predict(self._to_glassnet(x, "predict"), batch_size, 0, callbacks)
        if _verbose(verbose):
            steps = math.ceil(len(out) / batch_size)
            seconds = time.perf_counter() - start
            print(f"{steps}/{steps} [{'=' * 30}] - {seconds:.0f}s {_per_step(seconds / steps)}")
        return self._from_glassnet(out)

    def __call__(self, x: Any, training: bool = False) -> np.ndarray:
        """model(x): outputs in inference mode unless ``training=True``, images channels-last in and out."""
        x = self._check_input(self._to_glassnet(x, "model(x)"), "model(x)")
        return self._from_glassnet(self.forward(x, training))

    # ------------------------------------------------------------------ description
    def _keras_rows(self) -> list[tuple[str, str, int]]:
        """(name (KerasClass), output shape as Keras prints it, parameter count) per Keras layer."""
        rows = []
        for layer in self.keras_layers:
            shape = keras_shape(layer.output_shape)
            kind = getattr(layer, "keras_class", type(layer).__name__)
            rows.append((f"{layer.name} ({kind})", str((None, *shape)) if shape else "?", layer.count_params()))
        return rows

    def summary_text(self) -> str:
        """Keras 2's table as the course prints it: 65 characters, columns at 29 and 55, a blank line between rows."""
        width = 65
        trainable = self.count_params()
        non_trainable = sum(int(b.size) for layer in self.layers for b in layer.buffers.values())

        def line(name: str, shape: str, count: str) -> str:
            return ((" " + name).ljust(29) + " " * (name != "" and len(" " + name) >= 29)
                    + shape.ljust(26) + count).rstrip()

        body = "\n\n".join(line(name, shape, str(count)) for name, shape, count in self._keras_rows())
        return "\n".join([f'Model: "{self.name}"', "_" * width, line("Layer (type)", "Output Shape", "Param #"),
                          "=" * width, body, "=" * width, f"Total params: {trainable + non_trainable:,}",
                          f"Trainable params: {trainable:,}", f"Non-trainable params: {non_trainable:,}"])

    def summary(self, print_fn: Callable[[str], Any] | None = None, **options: Any) -> None:
        """Print Keras's table (line_length and the other layout options of Keras are not taken)."""
        self._require_built("summary")
        (print_fn or print)(self.summary_text())

    def _repr_html_(self) -> str | None:
        if not self.built:
            return None
        from ..notebook import summary_html

        non_trainable = sum(int(b.size) for layer in self.layers for b in layer.buffers.values())
        return summary_html(self.name, self._keras_rows(), self.count_params(), non_trainable)


def _per_step(seconds: float) -> str:
    """Keras's time per step: '3ms/step', '120us/step', '2s/step'."""
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    return f"{seconds * 1e3:.0f}ms/step" if seconds >= 1e-3 else f"{seconds * 1e6:.0f}us/step"


def _verbose(verbose: Any) -> int:
    return 1 if verbose == "auto" else int(verbose)


def _no_steps(who: str, options: dict[str, Any]) -> None:
    """Keras's steps options: glassnet runs whole passes over arrays (None is accepted)."""
    given = {k: v for k, v in options.items() if v is not None}
    known = {"steps", "steps_per_epoch", "validation_steps", "validation_batch_size", "validation_freq"}
    unknown = sorted(set(given) - known)
    if unknown:
        raise TypeError(f"{who}() got unexpected keyword argument(s) {unknown}")
    if given and not (set(given) == {"validation_freq"} and given["validation_freq"] == 1):
        raise ValueError(f"{who}: glassnet.keras runs whole passes over the data; {sorted(given)} are not available")


def load_model(path: str, compile: bool = True) -> Sequential:
    """A model saved by ``model.save(path)`` as a glassnet.keras Sequential (its layers are glassnet's).

    The optimizer comes back as glassnet's class of the same name (PyTorch's ε; see
    ``glassnet.keras.optimizers``), with its state.
    """
    loaded = glassnet_io.load_model(path, compile=compile)
    model = Sequential(name=loaded.name, seed=loaded.seed)
    model._input_shape = loaded.input_shape
    model._extend(loaded.layers)
    for attribute in ("optimizer", "loss", "metrics", "fuse_softmax", "epochs_trained"):
        setattr(model, attribute, getattr(loaded, attribute))
    return model
