"""The array-module seam and the float32 policy.

Every array glassnet creates goes through this module, so that one place decides
the array library (NumPy today; CuPy could slot in behind ``get_array_module``)
and the floating-point type (float32: what PyTorch uses, half the memory and
twice the BLAS speed of float64).
"""
from __future__ import annotations

from typing import Any

import numpy as np

DTYPE = np.float32
"""The floating-point type of every parameter, activation and gradient."""

_global_rng = np.random.default_rng()


def get_array_module(x: Any = None):
    """Return the array module that owns ``x`` (always NumPy for now)."""
    return np


def as_float(x: Any) -> np.ndarray:
    """Return ``x`` as a float32 array of the same shape, copying only if needed."""
    return np.asarray(x, dtype=DTYPE)


def seed(value: int) -> None:
    """Reset glassnet's global random generator (weight init, dropout, shuffling)."""
    global _global_rng
    _global_rng = np.random.default_rng(value)


def global_rng() -> np.random.Generator:
    """Return the generator used wherever no explicit ``rng`` or ``seed`` is given."""
    return _global_rng


def make_rng(seed_or_rng: int | np.random.Generator | None) -> np.random.Generator:
    """Turn a seed, a generator or None (use the global generator's stream) into a generator."""
    if isinstance(seed_or_rng, np.random.Generator):
        return seed_or_rng
    if seed_or_rng is None:
        return np.random.default_rng(_global_rng.integers(2**63))
    return np.random.default_rng(seed_or_rng)


def fusable(*arrays: np.ndarray) -> bool:
    """True when glassnet's one-pass numba kernels apply: float32/float64, C-contiguous, all of one dtype."""
    first = arrays[0]
    return first.dtype in (np.float32, np.float64) and all(
        a.dtype == first.dtype and a.flags.c_contiguous for a in arrays
    )


def pair(value: int | tuple[int, int] | list[int], what: str = "value") -> tuple[int, int]:
    """Normalise an int or a 2-sequence to a (height, width) tuple of ints."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return int(value[0]), int(value[1])
    raise ValueError(f"{what} must be an int or a pair (h, w), got {value!r}")
