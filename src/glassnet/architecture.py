"""A stack of layers checked by shape arithmetic alone: do the shapes fit, how many weights, within the limits.

Nothing is allocated here, so a model (or a model file) too big to build is refused
before it can exhaust the memory. ``glassnet.model`` checks layers before building them
and ``glassnet.io`` checks the architecture a file declares before reading its weights.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .layers.base import Layer

__all__ = ["MAX_MODEL_WEIGHTS", "dry_run", "shape_tuple", "weight_count"]

MAX_MODEL_WEIGHTS = 2**30
"""Most weights (params + buffers) a model may have: 4 GiB as float32, eight times VGG-16's 138 million."""


def shape_tuple(shape: Sequence[int] | int | None, what: str) -> tuple[int, ...] | None:
    """A per-sample shape such as (1, 28, 28) as a tuple of positive ints (None stays None), or a ValueError."""
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        result = tuple(int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a tuple of positive ints like (1, 28, 28), got {shape!r}") from None
    if not result or any(d <= 0 for d in result):
        raise ValueError(f"{what} must be a tuple of positive ints like (1, 28, 28), got {shape!r}")
    return result


def weight_count(layer: Layer) -> int:
    """Number of numbers in a built layer's params and buffers (0 if not built)."""
    return sum(int(a.size) for store in (layer.params, layer.buffers) for a in store.values())


def dry_run(layers: Sequence[Layer], shape: tuple[int, ...], weights: int = 0) -> int:
    """Check that per-sample ``shape`` flows through ``layers`` within the size limits; return the weight count.

    Shape arithmetic only, no parameters created. ``weights``: the weights of the layers
    before these, counted against ``MAX_MODEL_WEIGHTS`` with theirs.
    """
    for layer in layers:
        if layer.built:
            if layer.input_shape != tuple(shape):
                raise ValueError(f"{layer.describe()} was already built for input {layer.input_shape}; "
                                 f"here it receives {tuple(shape)}")
            weights += weight_count(layer)
            assert layer.output_shape is not None  # a built layer knows it
            shape = layer.output_shape
            continue
        layer.check_sample_shape(tuple(shape))
        weights += layer.check_size(tuple(shape))
        if weights > MAX_MODEL_WEIGHTS:
            raise ValueError(
                f"with {layer.describe()} the model would have {weights:,} weights; the limit is "
                f"{MAX_MODEL_WEIGHTS:,} per model (MAX_MODEL_WEIGHTS, 4 GiB of float32)"
            )
        shape = layer.compute_output_shape(tuple(shape))
    return weights
