"""Where the batches of ``fit`` / ``evaluate`` / ``predict`` come from: arrays or a DataLoader, checked first.

Data is converted to float32 one batch at a time: a uint8 or float64 dataset is never
copied whole. A DataLoader's batches are checked for NaN and inf as they come, since a
loader may compute them (augmentation). A source may weight its samples (``sample_weight``,
``class_weight``): ``weighted_batches`` then yields each batch's weights as well.
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from .backend import DTYPE
from .data.transforms import tail_split
from .training_checks import check_class_weight, check_finite, check_sample_weight, check_targets, class_weights_of

__all__ = ["ArraySource", "LoaderSource", "is_loader", "prepare_arrays", "make_source", "split_validation",
           "validation_source"]


def _weights(yb: Any, sample_weight: np.ndarray | None, class_weight: dict[int, float] | None) -> np.ndarray | None:
    """The weights (B,) of one batch: its part of sample_weight, or its labels' class weights, or None."""
    if sample_weight is not None:
        return sample_weight
    if class_weight is not None and yb is not None:
        return class_weights_of(yb, class_weight)
    return None


class ArraySource:
    """Batches of in-memory arrays x (N, ...) and y (N, ...), in order or in a given permutation.

    ``weights`` (N,) or ``class_weight`` ({class: weight}) weight the samples (not both).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray | None, batch_size: int, weights: np.ndarray | None = None,
                 class_weight: dict[int, float] | None = None):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.weights, self.class_weight = weights, class_weight
        self.num_samples = int(x.shape[0])
        self.steps = math.ceil(self.num_samples / batch_size)

    def batches(self, order: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Yield (x batch (B, ...) as float32, y batch (B, ...)) of at most ``batch_size`` samples."""
        for xb, yb, _ in self.weighted_batches(order):
            yield xb, yb

    def weighted_batches(self, order: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, Any, np.ndarray | None]]:
        """Yield (x batch (B, ...) as float32, y batch (B, ...), weights (B,) float32 or None when unweighted)."""
        for start in range(0, self.num_samples, self.batch_size):
            index = slice(start, start + self.batch_size) if order is None else order[start:start + self.batch_size]
            yb = None if self.y is None else self.y[index]
            wb = _weights(yb, None if self.weights is None else self.weights[index], self.class_weight)
            yield np.asarray(self.x[index], dtype=DTYPE), yb, wb


class LoaderSource:
    """Batches from a glassnet DataLoader (anything iterable yielding (x, y) or x, with a length)."""

    def __init__(self, loader: Any, who: str = "fit", class_weight: dict[int, float] | None = None):
        self.loader, self.who, self.class_weight = loader, who, class_weight
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

    def weighted_batches(self, order: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, Any, np.ndarray | None]]:
        """Yield (x batch, y batch, class weights of the batch (B,) or None) as ``batches`` does."""
        for xb, yb in self.batches(order):
            yield xb, yb, _weights(yb, None, self.class_weight)


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
                offset: int = 0, sample_weight: Any = None, class_weight: Any = None) -> ArraySource | LoaderSource:
    """An ArraySource for arrays x (N, ...), y (N, ...) or a LoaderSource for a DataLoader x, after checking the data.

    ``sample_weight`` (N,) or ``class_weight`` ({class index: weight}) weight the loss, as in Keras (not both).
    """
    if sample_weight is not None and class_weight is not None:
        raise ValueError(f"{who}: give class_weight or sample_weight, not both (as Keras); to combine them, "
                         "multiply each sample's weight by its class's and pass sample_weight")
    if is_loader(x):
        if y is not None:
            raise ValueError(f"{who}: x is a DataLoader, which yields its own labels; do not pass y as well")
        if sample_weight is not None:
            raise ValueError(f"{who}: sample_weight needs arrays x, y; a DataLoader's samples can be weighted "
                             "by class with class_weight")
        if len(x) == 0:
            raise ValueError(f"{who}: the DataLoader is empty (0 batches); expected at least one sample")
        data_x, data_y = getattr(x, "x", None), getattr(x, "y", None)
        if isinstance(data_x, np.ndarray):
            prepare_arrays(model, data_x, data_y, who, "loader.y", "loader.x")
        return LoaderSource(x, who, _class_weight(model, class_weight, who))
    if y is None:
        raise ValueError(f"{who}: y (the labels) is missing; pass fit(x, y, ...) or a DataLoader as x")
    x, y = prepare_arrays(model, x, y, who, what, x_name, offset)
    weights = None if sample_weight is None else check_sample_weight(sample_weight, x.shape[0], who)
    return ArraySource(x, y, batch_size, weights, _class_weight(model, class_weight, who))


def _class_weight(model: Any, class_weight: Any, who: str) -> dict[int, float] | None:
    """class_weight checked against the model (built by now), or None."""
    return None if class_weight is None else check_class_weight(class_weight, model, who)


def split_validation(model: Any, x: Any, y: Any, validation_split: float, batch_size: int,
                     sample_weight: Any = None) -> tuple[np.ndarray, np.ndarray | None, Any, ArraySource | LoaderSource]:
    """(x_train, y_train, w_train, validation source): as Keras, the LAST fraction of x (N, ...), y (N, ...), before shuffling.

    ``sample_weight`` (N,) is split the same way (w_train is None without it), so val_loss is weighted too.
    """
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
    w_train = w_valid = None
    if sample_weight is not None:
        w_all = check_sample_weight(sample_weight, x_all.shape[0], "fit")
        w_train, w_valid = w_all[:len(x_train)], w_all[len(x_train):]
    source = make_source(model, x_valid, y_valid, batch_size, "fit validation_split", offset=len(x_train),
                         sample_weight=w_valid)
    return x_train, y_train, w_train, source


def validation_source(model: Any, validation_data: Any, batch_size: int) -> ArraySource | LoaderSource:
    """The source of ``fit``'s validation_data: a DataLoader, (x_val, y_val) or (x_val, y_val, sample_weight_val)."""
    if is_loader(validation_data):
        return make_source(model, validation_data, None, batch_size, "fit validation_data")
    if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
        weights = validation_data[2] if len(validation_data) == 3 else None
        return make_source(model, validation_data[0], validation_data[1], batch_size, "fit validation_data",
                           "y_val", "x_val", sample_weight=weights)
    raise ValueError("validation_data must be a pair (x_val, y_val), a triple (x_val, y_val, sample_weight_val) "
                     "or a DataLoader")
