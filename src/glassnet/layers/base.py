"""The layer protocol every glassnet layer follows.

A layer is a small object with two passes:

* ``forward(x, training=True) -> y`` computes the output and caches what the
  backward pass will need; calling the layer, ``layer(x)``, is ``forward(x, training=False)``
  (inference mode, as ``model(x)``), and ``layer(x, training=True)`` is training mode;
* ``backward(grad) -> grad_x`` receives dL/dy, stores dL/dparam in ``grads`` under
  the same keys as ``params``, and returns dL/dx for the layer below.

Shapes are per sample (no batch axis) in ``input_shape`` / ``output_shape``.
Parameters are created lazily by ``build`` from the first input shape, so
``Dense(120)`` needs no input size. ``get_config`` returns the JSON-safe
constructor arguments: with the class name it is all that is needed to rebuild
the layer (see ``glassnet.io``), never pickled code.
"""
from __future__ import annotations

import copy
import itertools
import math
from typing import Any, ClassVar

import numpy as np

from ..backend import global_rng

MAX_LAYER_WEIGHTS = 2**28
"""Most weights (params + buffers) one layer may have: 268,435,456 numbers, 1 GiB as float32.

Chosen generously: the largest layer of the course, VGG-16's first Dense (25088 x 4096,
103 million weights), is 2.6 times smaller. Building a layer needs about four times its
size for a moment (a float64 random draw, the float32 weights, their gradient), so a
larger layer could not be built, let alone trained, on the machines glassnet is taught on.
A size over the limit is refused with a ValueError before anything is allocated.
"""

MAX_SAMPLE_OUTPUT = 2**28
"""Most numbers one sample of a layer's output may hold (1 GiB as float32; VGG-16's largest is 3.2 million)."""

LAYER_CLASSES: dict[str, type["Layer"]] = {}
"""Every layer class by name, for rebuilding models from their JSON config."""

_name_counter = itertools.count(1)


def register(cls: type["Layer"]) -> type["Layer"]:
    """Class decorator: make a layer class known to ``glassnet.io`` by its name."""
    LAYER_CLASSES[cls.__name__] = cls
    return cls


class Layer:
    """Base class: ``forward``, ``backward``, and ``params`` / ``grads`` dicts with the same keys."""

    sync: Any = None
    """None, or (in a copy made for one of glassnet's threads) the handle that sums across the batch's slices."""

    expected_rank: ClassVar[int | None] = None
    """Rank of one sample this layer accepts (3 for C,H,W images), or None for any."""

    def __init__(self, *, name: str | None = None, input_shape: tuple[int, ...] | None = None):
        self.name = name or f"{type(self).__name__.lower()}_{next(_name_counter)}"
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        """Non-trainable state saved with the model (BatchNorm's running statistics)."""
        self.input_shape: tuple[int, ...] | None = tuple(input_shape) if input_shape else None
        self.output_shape: tuple[int, ...] | None = None
        self.built = False
        self.needs_input_grad = True
        """False for the first layer of a model: its backward may skip computing dL/dx."""

    # -- building -----------------------------------------------------------------
    def build(self, input_shape: tuple[int, ...], rng: np.random.Generator | None = None) -> tuple[int, ...]:
        """Create the parameters for per-sample ``input_shape``; return the per-sample output shape."""
        input_shape = tuple(int(d) for d in input_shape)
        self.check_sample_shape(input_shape)
        output_shape = self.compute_output_shape(input_shape)
        self.check_size(input_shape)  # before create_params allocates anything
        self.create_params(input_shape, rng if rng is not None else global_rng())
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.input_shape, self.output_shape, self.built = input_shape, output_shape, True
        return output_shape

    def create_params(self, input_shape: tuple[int, ...], rng: np.random.Generator) -> None:
        """Fill ``self.params`` (and ``self.buffers``) for this input shape; default: none."""

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Per-sample output shape for a per-sample input shape; default: unchanged."""
        return input_shape

    def param_shapes(self, input_shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        """Shape of each array ``create_params`` puts in ``params`` for this input shape; default: none."""
        return {}

    def buffer_shapes(self, input_shape: tuple[int, ...]) -> dict[str, tuple[int, ...]]:
        """Shape of each array ``create_params`` puts in ``buffers`` for this input shape; default: none."""
        return {}

    def check_size(self, input_shape: tuple[int, ...]) -> int:
        """Number of weights ``build`` would create for per-sample ``input_shape``; ValueError over the limits.

        Shape arithmetic only: nothing is allocated, so a layer too big to build is
        refused before it can exhaust the memory.
        """
        shapes = {**self.param_shapes(input_shape), **self.buffer_shapes(input_shape)}
        weights = sum(math.prod(shape) for shape in shapes.values())
        if weights > MAX_LAYER_WEIGHTS:
            listed = ", ".join(f"{key} {shape}" for key, shape in shapes.items())
            raise ValueError(
                f"{self.describe()} would have {weights:,} weights ({listed}) for input {tuple(input_shape)}; "
                f"the limit is {MAX_LAYER_WEIGHTS:,} per layer (MAX_LAYER_WEIGHTS, 1 GiB of float32)"
            )
        output_shape = self.compute_output_shape(input_shape)
        if math.prod(output_shape) > MAX_SAMPLE_OUTPUT:
            raise ValueError(
                f"{self.describe()} would output {math.prod(output_shape):,} numbers per sample "
                f"(shape {output_shape}) for input {tuple(input_shape)}; "
                f"the limit is {MAX_SAMPLE_OUTPUT:,} (MAX_SAMPLE_OUTPUT, 1 GiB of float32)"
            )
        return weights

    def ensure_built(self, x: np.ndarray) -> None:
        """Build from ``x`` (N, ...) on first use; afterwards check that its shape still fits."""
        if x.ndim < 1:
            raise ValueError(f"{self.describe()} got a scalar; expected a batch of shape (N, ...)")
        if not self.built:
            self.build(x.shape[1:])
        elif tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(
                f"{self.describe()} got input of shape {tuple(x.shape)}; "
                f"expected (N, {', '.join(map(str, self.input_shape or ()))})"
            )

    def check_sample_shape(self, input_shape: tuple[int, ...]) -> None:
        """Raise ValueError if one sample of this shape cannot go through the layer."""
        if self.expected_rank is not None and len(input_shape) != self.expected_rank:
            raise ValueError(
                f"{self.describe()} got a sample of shape {input_shape} (rank {len(input_shape)}); "
                f"expected rank {self.expected_rank}{self.shape_hint()}"
            )

    def shape_hint(self) -> str:
        """Extra words for shape errors, e.g. ' (C, H, W)'."""
        return ""

    # -- the two passes -----------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = True) -> np.ndarray:
        """(N, *input_shape) -> (N, *output_shape)."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        """dL/dy (N, *output_shape) -> dL/dx (N, *input_shape); fills ``self.grads``; None when ``needs_input_grad`` is False."""
        raise NotImplementedError

    def replica(self) -> "Layer":
        """A copy for one thread: the same ``params`` and ``buffers`` (shared arrays), its own activations and ``grads``."""
        twin = copy.copy(self)
        twin.grads = {key: np.zeros_like(value) for key, value in self.grads.items()}
        return twin

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """(N, *input_shape) -> (N, *output_shape) in inference mode unless ``training=True``, as Keras and ``model(x)``.

        Only BatchNorm (running statistics instead of the batch's) and Dropout (no mask)
        differ between the modes. ``forward(x)`` keeps its own default, training mode: the
        loop and the gradient check call it to cache what ``backward`` needs.
        """
        return self.forward(x, training)

    # -- description and serialisation -------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """JSON-safe constructor arguments that rebuild this layer (without its weights)."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Layer":
        """Rebuild a layer from ``get_config()`` output."""
        return cls(**config)

    def count_params(self) -> int:
        """Number of trainable scalars."""
        return int(sum(p.size for p in self.params.values()))

    def describe(self) -> str:
        """Name used in messages: ``Conv2D 'conv2d_3'``."""
        return f"{type(self).__name__} '{self.name}'"

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"
