"""Sequential: a list of layers run forward in order and backward in reverse, with Keras's verbs.

::

    model = Sequential([Conv2D(6, 5, padding=2), ReLU(), MaxPool2D(2), Flatten(), Dense(10)],
                       input_shape=(1, 28, 28), seed=0)
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=5, batch_size=64, validation_split=0.1)
    probabilities = model.predict(x_test)

This module holds what a model is: its layers, shape inference, the two passes, its
weights and its description. What it does with them is in the modules it owns, each of
which imports nothing of this one:

* ``training.py``: ``Sequential`` inherits ``Trainer`` (compile / fit / evaluate /
  predict, as Keras 3's Model inherits its Trainer) and the loop; one training step is
  written out at the top of that module;
* ``io.py``: ``model.save`` writes through ``glassnet.io.save_model``; ``load_model``
  builds a ``Sequential`` from the class this module registers there (``register_model``,
  as layers register in ``LAYER_CLASSES``), so io never imports the model;
* ``architecture.py``: the shape arithmetic that checks layers before they are built;
* ``seeding.py``: every generator derived from one integer, ``model.seed`` (layer ``i``
  is initialised from ``default_rng([seed, 0, i])``; the per-epoch streams are there).

Shapes are given once (``input_shape=`` or the first layer's) and inferred for every
later layer. Calling the model, ``model(x)``, runs it in inference mode (as Keras, and
as calling a layer does); ``model(x, training=True)`` uses batch statistics and dropout.

Imports: model -> training -> (callbacks, batch_sources, training_checks, seeding,
parallel); model -> io -> (safetensors_header, architecture); model -> architecture,
seeding, layers. Nothing imports back.
"""
from __future__ import annotations

import itertools
import math
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from .architecture import MAX_MODEL_WEIGHTS, dry_run, shape_tuple, weight_count
from .backend import DTYPE, global_rng
from .callbacks import History
from .io import register_model, save_model
from .layers.base import Layer
from .seeding import init_rng
from .training import Trainer

__all__ = ["Sequential", "History", "MAX_MODEL_WEIGHTS"]

_model_counter = itertools.count(1)


@register_model
class Sequential(Trainer):
    """A stack of layers; ``compile`` / ``fit`` / ``evaluate`` / ``predict`` (from ``Trainer``) and ``summary`` as in Keras."""

    def __init__(
        self,
        layers: Iterable[Layer] | None = None,
        *,
        input_shape: Sequence[int] | None = None,
        name: str | None = None,
        seed: int | None = None,
    ):
        super().__init__()
        self.name = name or f"sequential_{next(_model_counter)}"
        self.seed = int(seed) if seed is not None else int(global_rng().integers(2**63))
        """The one integer all of this model's randomness is derived from (see ``glassnet.seeding``)."""
        self.layers: list[Layer] = []
        self._input_shape: tuple[int, ...] | None = shape_tuple(input_shape, "input_shape")
        self._extend(layers or [])

    # ------------------------------------------------------------------ building
    def add(self, layer: Layer) -> None:
        """Append a layer; if the input shape is known it is built at once (its shape inferred)."""
        self._extend([layer])

    def _extend(self, layers: Iterable[Layer]) -> None:
        """Append layers: check them all (shapes, sizes) before building any, in time linear in their number."""
        layers = list(layers)
        in_model = {id(layer) for layer in self.layers}
        for layer in layers:
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential.add expects a glassnet Layer, got {type(layer).__name__}")
            if id(layer) in in_model:
                raise ValueError(f"{layer.describe()} is already in this model; "
                                 "create a new layer instead of reusing it")
            in_model.add(id(layer))
        first_shape = layers[0].input_shape if layers else None
        if not self.layers and first_shape is not None:
            if self._input_shape is not None and tuple(first_shape) != self._input_shape:
                raise ValueError(
                    f"{layers[0].describe()} was given input_shape={tuple(first_shape)} but the model "
                    f"input_shape={self._input_shape}; give the input shape once"
                )
            self._input_shape = tuple(int(d) for d in first_shape)
        if self._input_shape is not None:
            shape = self.layers[-1].output_shape if self.layers else self._input_shape
            assert shape is not None  # the layers already in the model are built
            dry_run(layers, shape, sum(weight_count(layer) for layer in self.layers))
            for layer in layers:
                self._build_layer(len(self.layers), layer, shape)
                self.layers.append(layer)
                shape = layer.output_shape
                assert shape is not None  # it was just built
        else:
            self.layers.extend(layers)
        self._set_gradient_flags()

    def build(self, input_shape: Sequence[int]) -> None:
        """Build every layer for per-sample ``input_shape`` (C, H, W) or (features,)."""
        shape = shape_tuple(input_shape, "input_shape")
        if shape is None:
            raise ValueError(f"model {self.name!r}: build needs an input shape, e.g. (1, 28, 28)")
        if self.built:
            if shape != self._input_shape:
                raise ValueError(f"model {self.name!r} is built for input {self._input_shape}; got {shape}")
            return
        dry_run(self.layers, shape)  # raise on a shape that does not fit before anything is created
        self._input_shape = shape
        for index, layer in enumerate(self.layers):
            self._build_layer(index, layer, shape)
            shape = layer.output_shape
            assert shape is not None  # it was just built
        self._set_gradient_flags()

    @property
    def backward_start(self) -> int:
        """Index of the first layer with parameters: the backward pass stops there (0 if none has any)."""
        return next((i for i, layer in enumerate(self.layers) if layer.params), 0)

    def _set_gradient_flags(self) -> None:
        """No dL/dx below the first trainable layer: nothing there needs it (saves a matmul per step)."""
        start = self.backward_start if self.built else 0
        for index, layer in enumerate(self.layers):
            layer.needs_input_grad = index > start

    def _build_layer(self, index: int, layer: Layer, shape: tuple[int, ...]) -> None:
        if layer.built:
            if layer.input_shape != tuple(shape):
                raise ValueError(
                    f"{layer.describe()} was already built for input {layer.input_shape}; at position {index} "
                    f"of model {self.name!r} it receives {tuple(shape)}"
                )
            return
        layer.build(shape, init_rng(self.seed, index))

    @property
    def built(self) -> bool:
        """True once every layer has its parameters."""
        return bool(self.layers) and all(layer.built for layer in self.layers)

    @property
    def input_shape(self) -> tuple[int, ...] | None:
        """Per-sample input shape, e.g. (1, 28, 28); None until known."""
        return self._input_shape

    @property
    def output_shape(self) -> tuple[int, ...] | None:
        """Per-sample output shape, e.g. (10,); None until built."""
        return self.layers[-1].output_shape if self.built else None

    def _require_built(self, what: str) -> None:
        if not self.layers:
            raise ValueError(f"{what}: model {self.name!r} has no layers; add some with model.add(layer)")
        if not self.built:
            raise ValueError(
                f"{what}: model {self.name!r} does not know its input shape yet; give input_shape=(...) to "
                "Sequential or the first layer, or call model.build(input_shape)"
            )

    # ------------------------------------------------------------------ the two passes
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, *input_shape) -> (N, *output_shape); ``training=True`` uses batch statistics and dropout."""
        x = np.asarray(x, dtype=DTYPE)
        if not self.built:
            self.build(x.shape[1:])
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, *input_shape) -> (N, *output_shape), in inference mode unless ``training=True`` (as a layer call)."""
        return self.forward(x, training)

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        """dL/doutput (N, *output_shape) -> fills every layer's ``grads``, in reverse order.

        The pass stops at the first layer with parameters (``backward_start``), which
        computes no dL/dx: below it nothing is trainable, so None is returned.
        """
        out: np.ndarray | None = grad
        for layer in reversed(self.layers[self.backward_start:]):
            assert out is not None  # only the first trainable layer returns None, and it runs last
            out = layer.backward(out)
        return out

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's output for a batch x (N, *input_shape), in inference mode: one array per layer."""
        self._require_built("activations")
        out = self._check_input(x, "activations").astype(DTYPE, copy=False)
        outputs = []
        for layer in self.layers:
            out = layer.forward(out, False)
            outputs.append(out)
        return outputs

    def _check_input(self, x: Any, who: str) -> np.ndarray:
        """x as an array (N, *input_shape) of numbers, or a ValueError saying what shape was expected."""
        x = np.asarray(x)
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
            raise ValueError(f"{who}: x must hold numbers; got an array of dtype {x.dtype}")
        expected = self._input_shape
        if expected == (1,) and x.ndim == 1:
            x = x.reshape(-1, 1)  # a list of numbers for a one-feature model (the course's regression)
        if expected is not None and (x.ndim < 1 or tuple(x.shape[1:]) != expected):
            dims = ", ".join(map(str, expected))
            hint = ""
            if tuple(x.shape) == expected:
                hint = "; for one sample add the batch axis, e.g. x[None]"
            elif x.ndim >= 1 and len(expected) >= 2 and tuple(x.shape[1:]) == expected[1:] and expected[0] == 1:
                hint = "; add the channel axis, e.g. x[:, None] or x.reshape(-1, " + dims + ")"
            elif x.ndim >= 2 and math.prod(x.shape[1:]) == math.prod(expected):
                hint = f"; reshape it with x.reshape(-1, {dims})"
            raise ValueError(
                f"{who}: x has shape {tuple(x.shape)}; model {self.name!r} expects (N, {dims}), "
                f"N samples of shape {expected}{hint}"
            )
        return x

    # ------------------------------------------------------------------ weights
    def named_params(self) -> dict[str, np.ndarray]:
        """Every trainable array by stable name "<layer index>.<key>" (the optimizer's keys)."""
        return {f"{i}.{key}": value for i, layer in enumerate(self.layers) for key, value in layer.params.items()}

    def named_grads(self) -> dict[str, np.ndarray | None]:
        """The gradients of the last backward pass, same keys as ``named_params``."""
        return {f"{i}.{key}": layer.grads.get(key) for i, layer in enumerate(self.layers) for key in layer.params}

    def named_buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable state (BatchNorm running statistics) by "<layer index>.<key>"."""
        return {f"{i}.{key}": value for i, layer in enumerate(self.layers) for key, value in layer.buffers.items()}

    def _weight_slots(self) -> list[tuple[Layer, dict[str, np.ndarray], str]]:
        return [(layer, store, key) for layer in self.layers
                for store in (layer.params, layer.buffers) for key in store]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's params then buffers, in layer order (Keras's get_weights)."""
        return [store[key].copy() for _, store, key in self._weight_slots()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy arrays from ``get_weights()`` order into the model, in place (shapes must match)."""
        slots = self._weight_slots()
        weights = list(weights)
        if len(weights) != len(slots):
            raise ValueError(f"set_weights: got {len(weights)} arrays; model {self.name!r} has {len(slots)}")
        for (layer, store, key), value in zip(slots, weights):
            value = np.asarray(value)
            if value.shape != store[key].shape:
                raise ValueError(
                    f"set_weights: {layer.describe()} {key!r} has shape {store[key].shape}; got {value.shape}"
                )
        for (_, store, key), value in zip(slots, weights):
            np.copyto(store[key], np.asarray(value), casting="same_kind")

    def count_params(self) -> int:
        """Number of trainable scalars."""
        return sum(layer.count_params() for layer in self.layers)

    # ------------------------------------------------------------------ description
    def summary(self, print_fn: Callable[[str], Any] | None = None) -> None:
        """Print a Keras-style table: layer (type), output shape, parameter count, and the totals."""
        self._require_built("summary")
        (print_fn or print)(self.summary_text())

    def summary_text(self) -> str:
        """The table ``summary`` prints, as a string."""
        rows = [(f"{layer.name} ({type(layer).__name__})", str((None, *(layer.output_shape or ()))),
                 f"{layer.count_params():,}") for layer in self.layers]
        w1 = max([29, *(len(r[0]) + 2 for r in rows)])
        w2 = max([26, *(len(r[1]) + 2 for r in rows)])
        w3 = max([10, *(len(r[2]) + 1 for r in rows)])
        width = 1 + w1 + w2 + w3
        trainable = self.count_params()
        non_trainable = sum(int(b.size) for layer in self.layers for b in layer.buffers.values())
        lines = [f'Model: "{self.name}"', "_" * width,
                 " " + "Layer (type)".ljust(w1) + "Output Shape".ljust(w2) + "Param #".ljust(w3), "=" * width]
        lines += [" " + a.ljust(w1) + b.ljust(w2) + c.ljust(w3) for a, b, c in rows]
        lines += ["=" * width, f"Total params: {trainable + non_trainable:,}", f"Trainable params: {trainable:,}",
                  f"Non-trainable params: {non_trainable:,}", "_" * width]
        return "\n".join(line.rstrip() for line in lines)

    def _repr_html_(self) -> str | None:
        """The summary table as HTML, which Jupyter shows for a built model (None: plain repr)."""
        if not self.built:
            return None
        from .notebook import summary_html

        rows = [(f"{layer.name} ({type(layer).__name__})", str((None, *(layer.output_shape or ()))), layer.count_params())
                for layer in self.layers]
        non_trainable = sum(int(b.size) for layer in self.layers for b in layer.buffers.values())
        return summary_html(self.name, rows, self.count_params(), non_trainable)

    def get_config(self) -> dict[str, Any]:
        """JSON-safe architecture: name, seed, input shape and each layer's class name and config."""
        return {
            "name": self.name,
            "seed": self.seed,
            "input_shape": list(self._input_shape) if self._input_shape is not None else None,
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()} for layer in self.layers],
        }

    def save(self, path: str, include_optimizer: bool = True, metadata: dict[str, Any] | None = None) -> None:
        """Write one .safetensors file: weights, architecture, compile settings, optimizer state (atomic)."""
        save_model(self, path, include_optimizer=include_optimizer, metadata=metadata)

    def export_onnx(self, path: str, class_names: Sequence[str] | None = None,
                    metadata: dict[str, str] | None = None) -> Any:
        """Write the model as ONNX, input (N, *input_shape) float32 -> output (N, *output_shape); returns the path.

        See ``glassnet.interop.onnx_export``. Needs the onnx package (``pip install "glassnet[onnx]"``);
        ``class_names`` (one per output) and ``metadata`` go into the file's metadata_props.
        """
        from .interop.onnx_export import export_onnx  # imports onnx only when called

        return export_onnx(self, path, class_names, metadata)

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], input_shape={self._input_shape}, name={self.name!r})"

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

