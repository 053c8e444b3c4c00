"""Array transforms of the course: one-hot labels, scaling, standardising, grayscale, splits.

All are pure functions on whole arrays (no per-sample Python loop) and return float32
for floating-point results.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import DTYPE, make_rng

GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=DTYPE)
"""ITU-R BT.601 luma weights for R, G, B: gray = 0.299 R + 0.587 G + 0.114 B."""


def _labels(y: np.ndarray, what: str = "labels") -> np.ndarray:
    """Check that ``y`` is a 1-D array of non-negative integers; return it as int64."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{what} must have shape (N,), got {y.shape}")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"{what} must be whole numbers (class indices), got dtype {y.dtype} with fractions")
    y = y.astype(np.int64, copy=False)
    if y.size and y.min() < 0:
        raise ValueError(f"{what} must be class indices >= 0, found {int(y.min())}")
    return y


def one_hot(y: np.ndarray, num_classes: int | None = None, dtype=DTYPE) -> np.ndarray:
    """Class indices (N,) -> one-hot rows (N, num_classes); num_classes defaults to max(y) + 1."""
    y = _labels(y)
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and y.max() >= num_classes:
        raise ValueError(f"label {int(y.max())} does not fit num_classes={num_classes} (labels must be < num_classes)")
    out = np.zeros((y.shape[0], num_classes), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out


def from_one_hot(y: np.ndarray) -> np.ndarray:
    """One-hot rows or class scores (N, K) -> class indices (N,) int64, by argmax."""
    y = np.asarray(y)
    if y.ndim != 2:
        raise ValueError(f"one-hot labels must have shape (N, num_classes), got {y.shape}")
    return y.argmax(axis=1).astype(np.int64)


def to_unit_range(x: np.ndarray, max_value: float = 255.0) -> np.ndarray:
    """Pixels in [0, max_value] (any shape, e.g. uint8 (N, C, H, W)) -> float32 in [0, 1]."""
    x = np.asarray(x)
    out = np.empty(x.shape, dtype=DTYPE)
    np.divide(x, max_value, out=out, dtype=DTYPE, casting="unsafe")
    return out


def channel_mean_std(x: np.ndarray, eps: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std over every axis but axis 1: (N, C, H, W) or (N, D) -> two (C,) float32 arrays."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"expected (N, C, ...) or (N, D), got shape {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    # Accumulate in float64 for accuracy over millions of pixels; the results are float32.
    mean = x.mean(axis=axes, dtype=np.float64)
    std = x.std(axis=axes, dtype=np.float64)
    return mean.astype(DTYPE), np.maximum(std, eps).astype(DTYPE)


def standardize(x: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None) -> np.ndarray:
    """(x - mean) / std per channel (axis 1): (N, C, H, W) or (N, D) -> same shape, float32.

    Without ``mean`` / ``std`` they are computed from ``x`` (use the training set's
    statistics for the validation and test sets).
    """
    x = np.asarray(x)
    if mean is None or std is None:
        m, s = channel_mean_std(x)
        mean = m if mean is None else mean
        std = s if std is None else std
    mean = np.asarray(mean, dtype=DTYPE)
    std = np.asarray(std, dtype=DTYPE)
    if x.ndim < 2 or mean.shape != (x.shape[1],) or std.shape != (x.shape[1],):
        raise ValueError(
            f"standardize: x has shape {x.shape}, mean {mean.shape}, std {std.shape}; "
            "expected mean and std of shape (C,) for x of shape (N, C, ...)"
        )
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((x.astype(DTYPE, copy=False) - mean.reshape(shape)) / std.reshape(shape)).astype(DTYPE, copy=False)


def to_grayscale(x: np.ndarray) -> np.ndarray:
    """RGB (N, 3, H, W) -> gray (N, 1, H, W) float32 with 0.299 R + 0.587 G + 0.114 B; (N, 1, H, W) passes through."""
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"to_grayscale expects images (N, 3, H, W) or (N, 1, H, W), got {x.shape}")
    if x.shape[1] == 1:
        return x.astype(DTYPE, copy=False)
    return np.einsum("c,nchw->nhw", GRAY_WEIGHTS, x.astype(DTYPE, copy=False))[:, None]


def _check_xy(x: np.ndarray, y: np.ndarray | None) -> None:
    if y is not None and len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}; they must have the same length")


def train_val_split(
    x: np.ndarray,
    y: np.ndarray | None = None,
    val_fraction: float = 0.2,
    *,
    seed: int | np.random.Generator | None = 0,
    stratify: bool = False,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Split (N, ...) arrays into (x_train, y_train, x_val, y_val) with round(N * val_fraction) for validation.

    ``shuffle`` draws the validation samples at random under ``seed``; without it the
    last samples are held out (Keras's ``validation_split``). ``stratify`` keeps every
    class's share the same in both parts (needs integer labels ``y``).
    """
    x = np.asarray(x)
    _check_xy(x, y)
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    n = len(x)
    n_val = int(round(n * val_fraction))
    if n_val == 0 or n_val == n:
        raise ValueError(f"val_fraction={val_fraction} of {n} samples leaves an empty part")
    rng = make_rng(seed)
    if stratify:
        if y is None:
            raise ValueError("stratify=True needs the labels y")
        labels = _labels(np.asarray(y) if np.asarray(y).ndim == 1 else from_one_hot(y), "y for stratify")
        order = rng.permutation(n) if shuffle else np.arange(n)
        # Rank each sample within its class (in shuffled order), then hold out each class's
        # first round(count * val_fraction) samples: the same share from every class.
        sorted_idx = order[np.argsort(labels[order], kind="stable")]
        counts = np.bincount(labels, minlength=int(labels.max()) + 1)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        rank = np.arange(n) - np.repeat(starts, counts)
        per_class_val = np.round(counts * val_fraction).astype(np.int64)
        is_val = rank < np.repeat(per_class_val, counts)
        val_idx = np.sort(sorted_idx[is_val]) if not shuffle else sorted_idx[is_val]
        train_idx = np.sort(sorted_idx[~is_val]) if not shuffle else sorted_idx[~is_val]
        if shuffle:
            val_idx, train_idx = rng.permutation(val_idx), rng.permutation(train_idx)
    else:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train_idx, val_idx = order[: n - n_val], order[n - n_val:]
    y = None if y is None else np.asarray(y)
    return (x[train_idx], None if y is None else y[train_idx], x[val_idx], None if y is None else y[val_idx])


def tail_split(
    x: np.ndarray, y: np.ndarray | None, fraction: float
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """Keras's ``validation_split``: the last ``fraction`` of the samples validate, taken before any shuffling.

    The first floor(N * (1 - fraction)) samples train. Returns (x_train, y_train, x_valid, y_valid).
    """
    x = np.asarray(x)
    _check_xy(x, y)
    n = len(x)
    split_at = int(math.floor(n * (1.0 - fraction)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={fraction} of {n} samples leaves {split_at} for training and "
                         f"{n - split_at} for validation; expected at least one of each")
    y = None if y is None else np.asarray(y)
    return (x[:split_at], None if y is None else y[:split_at], x[split_at:], None if y is None else y[split_at:])


def head_split(
    x: np.ndarray, y: np.ndarray | None, n_valid: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray | None]:
    """The Keras lesson's split: the first ``n_valid`` samples validate, the rest train.

    Returns (x_train, y_train, x_valid, y_valid).
    """
    x = np.asarray(x)
    _check_xy(x, y)
    if not 0 < n_valid < len(x):
        raise ValueError(f"n_valid must be between 1 and {len(x) - 1} for {len(x)} samples, got {n_valid}")
    y = None if y is None else np.asarray(y)
    return (x[n_valid:], None if y is None else y[n_valid:], x[:n_valid], None if y is None else y[:n_valid])
