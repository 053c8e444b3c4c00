"""The checks ``compile``, ``fit``, ``evaluate`` and ``predict`` run before the first weight changes.

Bad input never leaves a half-trained model: lengths, label range, shapes, batch size,
epochs, and NaN or inf values are each refused with a ValueError that names the
argument, the first bad sample and what was expected. The NaN check reads a few MB at a
time, so a uint8 or float64 dataset is never copied whole.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from . import losses as losses_module
from .backend import DTYPE
from .layers.activations import Sigmoid, Softmax
from .layers.base import Layer

__all__ = ["CHECK_BYTES", "first_non_finite", "check_finite", "check_targets", "check_batch_size",
           "check_epochs", "check_fit_options", "check_loss_fits", "check_sample_weight", "check_class_weight",
           "class_weights_of"]

CHECK_BYTES = 4 << 20
"""The NaN check reads this many bytes of data at a time, so it needs about as little memory."""


def first_non_finite(a: np.ndarray) -> tuple[tuple[int, ...], float] | None:
    """(index, value) of the first NaN or ±inf in a (N, ...) once cast to float32, or None; reads a few MB at a time."""
    if not np.issubdtype(a.dtype, np.floating):
        return None  # integers and booleans are always finite, in float32 too
    if a.ndim == 0:
        a = a.reshape(1)
    itemsize = max(a.itemsize, np.dtype(DTYPE).itemsize)  # float16 chunks are copied to float32
    rows = max(1, CHECK_BYTES // max(1, itemsize * math.prod(a.shape[1:])))
    for start in range(0, a.shape[0], rows):
        chunk = a[start:start + rows]
        with np.errstate(over="ignore"):  # 1e300 in float64 becomes inf in float32: that is what we look for
            finite = np.isfinite(chunk.astype(DTYPE, copy=False))
        if not finite.all():
            first = np.unravel_index(int(np.argmin(finite)), chunk.shape)  # argmin: the first False
            index = (start + int(first[0]), *map(int, first[1:]))
            return index, float(chunk[first])
    return None


def check_finite(a: np.ndarray, who: str, name: str, offset: int = 0, where: str = "") -> None:
    """A ValueError naming ``name``, the first bad sample and its value if a (N, ...) holds NaN or ±inf.

    ``offset`` is added to the sample index (a part of a larger array); ``where`` says
    which batch ``a`` is, when it is one batch rather than the whole dataset.
    """
    found = first_non_finite(a)
    if found is None:
        return
    index, value = found
    index = (index[0] + offset, *index[1:])
    cell = f"{name}[{', '.join(map(str, index))}]"
    shown = f"{value}" if not math.isfinite(value) else f"{value:g}, which is inf in float32 (the model's type)"
    if where:
        place, hint = f"sample {index[0]} of {where}", "Check the data the loader reads and what it computes from it"
    else:
        place, hint = f"sample {index[0]}", f"Find the bad samples with ~np.isfinite({name}).reshape(len({name}), -1).all(axis=1)"
    raise ValueError(
        f"{who}: {cell} is {shown} ({place}); expected finite numbers only: one NaN or inf makes every weight "
        f"NaN after a single step. {hint}"
    )


def check_targets(model: Any, y: Any, n: int, what: str = "y", who: str = "fit", offset: int = 0) -> np.ndarray:
    """y as an array of n targets (n,) or (n, K) the model's loss accepts, or a ValueError naming what is wrong."""
    y = np.asarray(y)
    if y.ndim == 0:
        raise ValueError(f"{what} is a single value; expected one label per sample ({n} of them)")
    if y.shape[0] != n:
        raise ValueError(f"x has {n} samples but {what} has {y.shape[0]}; expected one label per sample")
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == np.bool_):
        raise ValueError(f"{what} must hold numbers (class indices or one-hot rows); got dtype {y.dtype}")
    check_finite(y, who, what, offset)
    out = model.output_shape
    loss = model.loss
    if isinstance(loss, losses_module.CrossEntropy):
        _check_class_labels(y, n, out[-1], what)
    elif isinstance(loss, losses_module.BinaryCrossEntropy):
        if y.size != n:
            raise ValueError(f"{what} has shape {y.shape}; binary cross-entropy expects ({n},) or ({n}, 1) targets")
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(f"{what}: binary targets must lie in [0, 1]; got values in [{y.min()}, {y.max()}]")
    elif isinstance(loss, losses_module.MeanSquaredError):
        if tuple(y.shape[1:]) != tuple(out) and not (y.ndim == 1 and math.prod(out) == 1):
            raise ValueError(f"{what} has shape {y.shape}; the model outputs (N, {', '.join(map(str, out))}), "
                             "so expected targets of that shape")
    return y


def _check_class_labels(y: np.ndarray, n: int, k: int, what: str) -> None:
    """ValueError unless y is n class indices in [0, k) ((n,) or (n, 1)) or n one-hot rows (n, k)."""
    labels = y[:, 0] if (y.ndim == 2 and y.shape[1] == 1 and k != 1) else y
    if labels.ndim == 1:
        if not np.issubdtype(labels.dtype, np.integer):
            if not (np.issubdtype(labels.dtype, np.floating) and np.all(np.mod(labels, 1) == 0)):
                raise ValueError(f"{what}: labels of shape ({n},) must be integer class indices in [0, {k}); "
                                 f"got non-integer values of dtype {labels.dtype}")
        bad = np.flatnonzero((labels < 0) | (labels >= k))
        if bad.size:
            raise ValueError(
                f"{what}: labels must be class indices in [0, {k}) (the model outputs {k} classes); "
                f"found {labels[bad[0]].item()!r} at sample {bad[0]} ({bad.size} labels out of range)"
            )
    elif labels.ndim == 2:
        if labels.shape[1] != k:
            raise ValueError(f"{what}: one-hot labels have {labels.shape[1]} columns; the model outputs {k} "
                             f"classes, so expected ({n}, {k})")
    else:
        raise ValueError(f"{what} has shape {y.shape}; expected ({n},) class indices or ({n}, {k}) one-hot")


def check_batch_size(batch_size: Any) -> int:
    """A positive int batch size, or a ValueError saying what was expected."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(
            f"batch_size must be a positive integer (samples per step), got {batch_size!r}; "
            "a batch size larger than the data gives one batch"
        )
    return int(batch_size)


def check_epochs(epochs: int, initial_epoch: int) -> None:
    """ValueError when ``fit`` would train no epoch because epochs < initial_epoch; a warning when they are equal."""
    # Keras's convention, kept so that Keras code runs unchanged; Keras itself says nothing.
    convention = (f"as in Keras, epochs is the index of the last epoch, not a count: fit trains epochs "
                  f"initial_epoch+1 .. epochs. To train N more epochs after initial_epoch={initial_epoch}, "
                  f"pass epochs={initial_epoch}+N")
    if epochs < initial_epoch:
        raise ValueError(f"fit(epochs={epochs}, initial_epoch={initial_epoch}) would train no epoch: {convention}")
    if epochs == initial_epoch:  # legitimate when a resume script finds the training already done
        warnings.warn(f"fit(epochs={epochs}, initial_epoch={initial_epoch}) trains no epoch: {convention}",
                      stacklevel=4)


def check_fit_options(batch_size: Any, epochs: Any, initial_epoch: Any, verbose: Any, validation_split: Any,
                      validation_data: Any) -> int:
    """Check ``fit``'s scalar arguments (ValueError naming the bad one); return the batch size as an int."""
    batch_size = check_batch_size(batch_size)
    for name, value in (("epochs", epochs), ("initial_epoch", initial_epoch)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    check_epochs(int(epochs), int(initial_epoch))
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0 (quiet), 1 (progress bar) or 2 (one line per epoch), got {verbose!r}")
    if not (isinstance(validation_split, (int, float)) and 0.0 <= validation_split < 1.0):
        raise ValueError(f"validation_split must be a fraction in [0, 1), got {validation_split!r}")
    if validation_split and validation_data is not None:
        raise ValueError("give either validation_split or validation_data, not both")
    return batch_size


def check_loss_fits(loss: losses_module.Loss, last: Layer) -> None:
    """ValueError when the loss expects probabilities the last layer does not give, or gets them twice."""
    if isinstance(loss, losses_module.CrossEntropy) and not loss.from_logits and not isinstance(last, Softmax):
        raise ValueError(
            f"loss {loss.name!r} expects probabilities, but the last layer {last.describe()} is not Softmax, so "
            "the outputs are raw scores (logits); use loss='cross_entropy' (softmax built into the loss) "
            "or add a Softmax layer at the end"
        )
    if isinstance(loss, losses_module.CrossEntropy) and loss.from_logits and isinstance(last, Softmax):
        raise ValueError(
            f"loss 'cross_entropy' takes logits and applies softmax itself, but the last layer {last.describe()} "
            "already is Softmax (softmax twice trains badly); use loss='categorical_crossentropy' with the "
            "Softmax layer, or remove the Softmax layer"
        )
    if isinstance(loss, losses_module.BinaryCrossEntropy) and not loss.from_logits and not isinstance(last, Sigmoid):
        raise ValueError(
            f"loss 'binary_crossentropy' expects probabilities, but the last layer {last.describe()} is not "
            "Sigmoid; add a Sigmoid layer or use BinaryCrossEntropy(from_logits=True)"
        )


def check_sample_weight(w: Any, n: int, who: str = "fit", name: str = "sample_weight") -> np.ndarray:
    """sample_weight as float32 (n,) (from (n,) or (n, 1)): finite numbers >= 0, or a ValueError naming the problem."""
    w = np.asarray(w)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"{who}: {name} has shape {w.shape}; expected ({n},), one weight per sample")
    if not (np.issubdtype(w.dtype, np.number) or w.dtype == np.bool_):
        raise ValueError(f"{who}: {name} must hold numbers; got dtype {w.dtype}")
    check_finite(w, who, name)
    w = w.astype(DTYPE)
    if w.size and w.min() < 0:
        first = int(np.argmin(w >= 0))
        raise ValueError(f"{who}: {name}[{first}] is {w[first]:g}; expected weights >= 0 (0 leaves a sample out)")
    return w


def check_class_weight(class_weight: Any, model: Any, who: str = "fit") -> dict[int, float]:
    """class_weight as {class index: weight}, checked against the model's classes; ValueError naming what is wrong."""
    if not isinstance(class_weight, dict):
        raise ValueError(f"{who}: class_weight must be a dict {{class index: weight}}, got {type(class_weight).__name__}")
    loss = model.loss
    if isinstance(loss, losses_module.CrossEntropy):
        k = model.output_shape[-1] if model.built else math.inf  # a loader without .x builds the model later
    elif isinstance(loss, losses_module.BinaryCrossEntropy):
        k = 2
    else:
        raise ValueError(f"{who}: class_weight needs class labels, and loss {loss.name!r} has none; "
                         "weight the samples with sample_weight instead")
    checked = {}
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or not 0 <= key < k:
            raise ValueError(f"{who}: class_weight has key {key!r}; expected class indices 0 .. {k - 1} "
                             f"(the model has {k} classes)")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
                math.isfinite(value) and value >= 0):
            raise ValueError(f"{who}: class_weight[{key}] is {value!r}; expected a finite weight >= 0")
        checked[int(key)] = float(value)
    return checked


def class_weights_of(y: np.ndarray, class_weight: dict[int, float]) -> np.ndarray:
    """Per-sample weights (N,) float32 of labels y (N,), (N, 1) or one-hot (N, K), as Keras: a class not in the dict weighs 1."""
    y = np.asarray(y)
    if y.ndim == 2:
        y = y[:, 0] if y.shape[1] == 1 else y.argmax(axis=1)
    classes = np.rint(y).astype(np.int64)
    table = np.ones(int(classes.max(initial=0)) + 1, dtype=DTYPE)
    for key, value in class_weight.items():
        if key < table.size:
            table[key] = value
    return table[classes]
