"""Where the batches of ``fit`` / ``evaluate`` / ``predict`` come from: arrays or a DataLoader, checked first.

Data is converted to float32 one batch at a time: a uint8 or float64 dataset is never
copied whole. A DataLoader's batches are checked for NaN and inf as they come, since a
loader may compute them (augmentation).
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from .backend import DTYPE
from .data.transforms import tail_split
from .training_checks import check_finite, check_targets

__all__ = ["ArraySource", "LoaderSource", "is_loader", "prepare_arrays", "make_source", "split_validation"]


class ArraySource:
    """Batches of in-memory arrays x (N, ...) and y (N, ...), in order or in a given permutation."""

    def __init__(self, x: np.ndarray, y: np.ndarray | None, batch_size: int):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.num_samples = int(x.shape[0])
        self.steps = math.ceil(self.num_samples / batch_size)

    def batches(self, order: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Yield (x batch (B, ...) as float32, y batch (B, ...)) of at most ``batch_size`` samples."""
        for start in range(0, self.num_samples, self.batch_size):
            index = slice(start, start + self.batch_size) if order is None else order[start:start + self.batch_size]
            yb = None if self.y is None else self.y[index]
            yield np.asarray(self.x[index], dtype=DTYPE), yb


class LoaderSource:
    """Batches from a glassnet DataLoader (anything iterable yielding (x, y) or x, with a length)."""

    def __init__(self, loader: Any, who: str = "fit"):
        self.loader, self.who = loader, who
        self.steps = len(loader)
        self.num_samples = getattr(loader, "num_samples", None)
        self.batch_size = getattr(loader, "batch_size", None)

    def batches(self, order: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Yield (x batch (B, ...) as float32, y batch or None) as the loader gives them, refusing NaN or inf."""
        for batch, item in enumerate(self.loader):
            xb, yb = item if isinstance(item, (tuple, list)) else (item, None)
            xb = np.asarray(xb, dtype=DTYPE)
            where = f"batch {batch + 1} of {self.steps} from the DataLoader"
            check_finite(xb, self.who, "xb", where=where)
            if yb is not None:
                check_finite(np.asarray(yb), self.who, "yb", where=where)
            yield xb, yb


def is_loader(x: Any) -> bool:
    """True for a DataLoader-like object (iterable with a length and a batch size), not an array."""
    return not isinstance(x, (np.ndarray, list, tuple)) and hasattr(x, "__iter__") and hasattr(x, "batch_size")


def prepare_arrays(
    model: Any, x: Any, y: Any, who: str, what: str = "y", x_name: str = "x", offset: int = 0
) -> tuple[np.ndarray, np.ndarray | None]:
    """Check x (N, *input_shape) and, if given, y (N, ...); build the model from x if needed.

    ``x_name`` and ``what`` name x and y in messages; ``offset`` is the index of x's first
    sample in the array the user passed (the validation part of ``validation_split``).
    """
    x = np.asarray(x)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"{who}: the dataset is empty (x has shape {tuple(x.shape)}); expected at least one sample")
    if not model.built:
        if not model.layers:
            raise ValueError(f"{who}: model {model.name!r} has no layers; add some with model.add(layer)")
        model.build((1,) if x.ndim == 1 else x.shape[1:])
    x = model._check_input(x, who)
    check_finite(x, who, x_name, offset)
    if y is not None:
        y = check_targets(model, y, x.shape[0], what, who, offset)
    return x, y


def make_source(model: Any, x: Any, y: Any, batch_size: int, who: str, what: str = "y", x_name: str = "x",
                offset: int = 0) -> ArraySource | LoaderSource:
    """An ArraySource for arrays x (N, ...), y (N, ...) or a LoaderSource for a DataLoader x, after checking the data."""
    if is_loader(x):
        if y is not None:
            raise ValueError(f"{who}: x is a DataLoader, which yields its own labels; do not pass y as well")
        if len(x) == 0:
            raise ValueError(f"{who}: the DataLoader is empty (0 batches); expected at least one sample")
        data_x, data_y = getattr(x, "x", None), getattr(x, "y", None)
        if isinstance(data_x, np.ndarray):
            prepare_arrays(model, data_x, data_y, who, "loader.y", "loader.x")
        return LoaderSource(x, who)
    if y is None:
        raise ValueError(f"{who}: y (the labels) is missing; pass fit(x, y, ...) or a DataLoader as x")
    x, y = prepare_arrays(model, x, y, who, what, x_name, offset)
    return ArraySource(x, y, batch_size)


def split_validation(model: Any, x: Any, y: Any, validation_split: float,
                     batch_size: int) -> tuple[np.ndarray, np.ndarray, ArraySource]:
    """(x_train, y_train, validation source): as Keras, the LAST fraction of x (N, ...), y (N, ...), before shuffling."""
    if is_loader(x):
        raise ValueError("validation_split needs arrays; with a DataLoader pass validation_data=(x_val, y_val)")
    if y is None:
        raise ValueError("fit: y (the labels) is missing; pass fit(x, y, ...) or a DataLoader as x")
    x_all, y_all = np.asarray(x), np.asarray(y)
    if x_all.ndim == 0 or x_all.shape[0] == 0:
        raise ValueError(f"fit: the dataset is empty (x has shape {tuple(x_all.shape)}); expected at least one sample")
    if y_all.ndim == 0 or y_all.shape[0] != x_all.shape[0]:
        n_y = y_all.shape[0] if y_all.ndim else "a single value"
        raise ValueError(f"x has {x_all.shape[0]} samples but y has {n_y}; expected one label per sample")
    x_train, y_train, x_valid, y_valid = tail_split(x_all, y_all, validation_split)
    source = make_source(model, x_valid, y_valid, batch_size, "fit validation_split", offset=len(x_train))
    return x_train, y_train, source
