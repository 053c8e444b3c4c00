"""Weight initializers: each maps (shape, rng) to a float32 array.

Fan-in and fan-out follow the layout conventions:
Dense ``W`` is (in_features, out_features), so fan_in = in, fan_out = out;
Conv2D ``W`` is (out_channels, in_channels, KH, KW), so fan_in = in_channels·KH·KW
and fan_out = out_channels·KH·KW (as in PyTorch).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .backend import DTYPE

Initializer = Callable[[tuple[int, ...], np.random.Generator], np.ndarray]


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a Dense (in, out) or Conv2D (out, in, KH, KW) weight shape."""
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    if len(shape) == 4:
        receptive_field = int(shape[2]) * int(shape[3])
        return int(shape[1]) * receptive_field, int(shape[0]) * receptive_field
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    raise ValueError(f"cannot compute fan-in/fan-out of a weight of shape {shape}; expected rank 2 or 4")


def zeros(shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
    """All zeros (biases)."""
    return np.zeros(shape, dtype=DTYPE)


def ones(shape: tuple[int, ...], rng: np.random.Generator | None = None) -> np.ndarray:
    """All ones (BatchNorm's gamma)."""
    return np.ones(shape, dtype=DTYPE)


def normal(shape: tuple[int, ...], rng: np.random.Generator, std: float = 0.01) -> np.ndarray:
    """N(0, std²), the course's ``0.01 * randn`` default."""
    return (rng.standard_normal(shape) * std).astype(DTYPE)


def glorot_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Xavier/Glorot uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = compute_fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(DTYPE)


def glorot_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Xavier/Glorot normal: N(0, 2 / (fan_in + fan_out))."""
    fan_in, fan_out = compute_fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / (fan_in + fan_out))).astype(DTYPE)


def he_normal(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """MSRA/He normal for ReLU nets: N(0, 2 / fan_in)."""
    fan_in, _ = compute_fans(shape)
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(DTYPE)


def he_uniform(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """MSRA/He uniform: U(-a, a) with a = sqrt(6 / fan_in)."""
    fan_in, _ = compute_fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape).astype(DTYPE)


INITIALIZERS: dict[str, Initializer] = {
    "zeros": zeros,
    "ones": ones,
    "normal": normal,
    "glorot_uniform": glorot_uniform,
    "xavier_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_normal": glorot_normal,
    "he_normal": he_normal,
    "msra": he_normal,
    "he_uniform": he_uniform,
}


def get(name: str) -> Initializer:
    """Look up an initializer by name ('he_normal', 'xavier_uniform', 'msra', ...)."""
    try:
        return INITIALIZERS[name]
    except KeyError:
        raise ValueError(f"unknown initializer {name!r}; expected one of {sorted(INITIALIZERS)}") from None
