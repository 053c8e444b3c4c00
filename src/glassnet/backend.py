"""The float32 policy, glassnet's random streams, and two small helpers every layer uses.

* ``DTYPE``: float32 for every parameter, activation and gradient (what PyTorch uses: half
  the memory and twice the BLAS speed of float64); ``as_float`` converts to it.
* ``seed`` / ``make_rng``: the global random generator and how a seed, a generator or None
  becomes one.
* ``fusable``: when an array may go through glassnet's one-pass numba kernels;
  ``pair``: an int or an (h, w) pair as an (h, w) tuple.

There is no array-module seam, on purpose. glassnet once promised one here
(``get_array_module``, so that CuPy could slot in later), but nothing called it and
the layers, ops, losses and optimizers call ``np.`` directly. A seam would only be real if
a GPU array could go down the same path, and it cannot: the engine (``parallel.py``) cuts
each batch between CPU threads, runs numba kernels compiled for NumPy arrays, and holds
NumPy's BLAS to one thread with threadpoolctl. A CuPy array fits none of these; a GPU
would need a different engine, not a different module name. So the code says ``np.`` where
it means NumPy, which is also what a student reads beside the course's formulas.
"""
from __future__ import annotations

from typing import Any

import numpy as np

DTYPE = np.float32
"""The floating-point type of every parameter, activation and gradient."""

_global_rng = np.random.default_rng()


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
