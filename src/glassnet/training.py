"""The training loop behind ``Sequential.fit`` / ``evaluate`` / ``predict``.

Everything the user passes is checked before the first weight changes (lengths,
label range, shapes, batch size, empty data, NaN or inf values), so bad input
never leaves a half-trained model. Data is converted to float32 one batch at a
time: a uint8 or float64 dataset is never copied whole (the NaN check, too, reads
a few MB at a time), and ``predict`` holds one batch of activations at a time
whatever the number of images. A DataLoader's batches are checked as they come.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, Iterator, Sequence

import numpy as np

from . import losses as losses_module
from . import parallel
from .backend import DTYPE
from .callbacks import CallbackList, History, ProgressBar, default_callbacks

__all__ = ["fit", "evaluate", "predict", "ArraySource", "LoaderSource", "check_batch_size", "first_non_finite"]


# ---------------------------------------------------------------------------------
# Where batches come from
# ---------------------------------------------------------------------------------
class ArraySource:
    """Batches of in-memory arrays x (N, ...) and y (N, ...), in order or in a given permutation."""

    def __init__(self, x: np.ndarray, y: np.ndarray | None, batch_size: int):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.num_samples = int(x.shape[0])
        self.steps = math.ceil(self.num_samples / batch_size)

    def batches(self, order: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Yield (x batch as float32, y batch) of at most ``batch_size`` samples."""
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
        """Yield (x batch as float32, y batch or None) as the loader gives them, refusing NaN or inf in either."""
        for batch, item in enumerate(self.loader):
            xb, yb = item if isinstance(item, (tuple, list)) else (item, None)
            xb = np.asarray(xb, dtype=DTYPE)
            # Checked here rather than up front: a loader may compute its batches (augmentation).
            where = f"batch {batch + 1} of {self.steps} from the DataLoader"
            check_finite(xb, self.who, "xb", where=where)
            if yb is not None:
                check_finite(np.asarray(yb), self.who, "yb", where=where)
            yield xb, yb


def is_loader(x: Any) -> bool:
    """True for a DataLoader-like object (iterable with a length and a batch size), not an array."""
    return not isinstance(x, (np.ndarray, list, tuple)) and hasattr(x, "__iter__") and hasattr(x, "batch_size")


def check_batch_size(batch_size: Any) -> int:
    """A positive int batch size, or a ValueError saying what was expected."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(
            f"batch_size must be a positive integer (samples per step), got {batch_size!r}; "
            "a batch size larger than the data gives one batch"
        )
    return int(batch_size)


# ---------------------------------------------------------------------------------
# Checking the data before training
# ---------------------------------------------------------------------------------
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
    """y as an array of n targets the model's loss accepts, or a ValueError naming what is wrong."""
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
        k = out[-1]
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


def prepare_arrays(
    model: Any, x: Any, y: Any, who: str, what: str = "y", x_name: str = "x", offset: int = 0
) -> tuple[np.ndarray, np.ndarray | None]:
    """Check x (N, *input_shape) and, if given, y; build the model from x if needed.

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


def _source(model: Any, x: Any, y: Any, batch_size: int, who: str, what: str = "y", x_name: str = "x",
            offset: int = 0):
    """An ArraySource or LoaderSource after checking the data."""
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


# ---------------------------------------------------------------------------------
# One step and one pass
# ---------------------------------------------------------------------------------
class _Totals:
    """Sample-weighted running means of the loss and metrics over an epoch."""

    def __init__(self, names: Sequence[str]):
        self.names = ["loss", *names]
        self.sums = dict.fromkeys(self.names, 0.0)
        self.count = 0

    def add(self, n: int, values: Sequence[float]) -> None:
        self.count += n
        for name, value in zip(self.names, values):
            self.sums[name] += float(value) * n

    def means(self, prefix: str = "") -> dict[str, float]:
        return {prefix + name: total / max(self.count, 1) for name, total in self.sums.items()}


def _outputs_for_metrics(model: Any, trunk: list, out: np.ndarray) -> np.ndarray:
    """The model's real output (probabilities) when the fused step stopped before the last layer."""
    if len(trunk) < len(model.layers):
        return model.layers[-1].forward(out, False)
    return out


def _metric_values(model: Any, y_true: np.ndarray, y_pred: np.ndarray) -> list[float]:
    return [fn(y_true, y_pred) for _, fn in model.metrics]


def train_step(
    model: Any, trunk: list, loss_fn: Any, xb: np.ndarray, yb: np.ndarray, sliced: "Sliced | None" = None
) -> tuple[float, np.ndarray]:
    """Forward, loss, backward in reverse, optimizer step; returns (batch loss, trunk output).

    With ``sliced`` (several threads), forward and backward run on slices of the batch at
    once (see :mod:`glassnet.parallel`); the loss and the optimizer step are the same.
    """
    layers = sliced.get(trunk) if sliced is not None and xb.shape[0] > 1 else None
    if layers is not None:
        out = layers.forward(xb, True)
    else:
        out = xb
        for layer in trunk:
            out = layer.forward(out, True)
    loss = loss_fn.forward(out, yb)
    grad = loss_fn.backward()
    if layers is not None:
        layers.backward(grad, model.backward_start)
        layers.step(model.optimizer)  # the slices' gradients summed, then the update, shared by the threads
        return loss, out
    for layer in reversed(trunk[model.backward_start:]):  # nothing below the first trainable layer
        grad = layer.backward(grad)
    model.optimizer.step(model.named_params(), model.named_grads())
    return loss, out


class Sliced:
    """The thread team of one fit / evaluate / predict call and its copies of the layers, made on first need."""

    def __init__(self, team: parallel.Team):
        self.team = team
        self._copies: dict[tuple[int, int], parallel.SlicedLayers] = {}

    def get(self, layers: list) -> "parallel.SlicedLayers | None":
        """``layers`` split across the team's threads (None with one thread)."""
        if self.team.size < 2:
            return None
        key = (id(layers[0]), len(layers))
        if key not in self._copies:
            self._copies[key] = parallel.SlicedLayers(layers, self.team)
        return self._copies[key]

    def forward(self, layers: list, xb: np.ndarray) -> np.ndarray:
        """Inference forward of one batch (N, ...) through ``layers``, split across the threads when N > 1."""
        sliced = self.get(layers) if xb.shape[0] > 1 else None
        if sliced is not None:
            return sliced.forward(xb, False)
        out = xb
        for layer in layers:
            out = layer.forward(out, False)
        return out


def _threads():
    """The context of one glassnet call: BLAS on one thread, and a Sliced over a team of get_num_threads() threads."""
    from contextlib import ExitStack

    parallel.keep_freed_memory()
    stack = ExitStack()
    stack.enter_context(parallel.blas_single_thread())
    team = stack.enter_context(parallel.Team(parallel.get_num_threads()))
    return stack, Sliced(team)


def _evaluate_source(model: Any, source: Any, trunk: list, loss_fn: Any, sliced: Sliced) -> dict[str, float]:
    """Mean loss and metrics over all batches of ``source``, in inference mode."""
    totals = _Totals([name for name, _ in model.metrics])
    for xb, yb in source.batches():
        if not model.built:
            model.build(xb.shape[1:])
        out = sliced.forward(trunk, xb)
        loss = loss_fn.forward(out, yb)
        values = [loss]
        if model.metrics:
            values += _metric_values(model, yb, _outputs_for_metrics(model, trunk, out))
        totals.add(xb.shape[0], values)
    return totals.means()


def _seed_layer_generators(model: Any) -> None:
    """Give every layer with its own generator (Dropout) a fresh one derived from (seed, epoch, layer)."""
    from .model import LAYER_STREAM

    for index, layer in enumerate(model.layers):
        if isinstance(getattr(layer, "rng", None), np.random.Generator):
            own = getattr(layer, "seed", None)
            key = [model.seed, LAYER_STREAM, model.epochs_trained, index]
            if isinstance(own, (int, np.integer)) and own >= 0:
                key.append(int(own))
            layer.rng = np.random.default_rng(key)


def _seed_loader_generators(model: Any, loader: Any) -> None:
    """Re-seed a DataLoader's (and its Augment's) generator from (model seed, epoch[, own seed]).

    A loader's order then depends on the epoch number alone, not on how many epochs
    it has already served, so a resumed run sees the same batches as an unbroken one.
    """
    from .model import LOADER_STREAM

    for tag, owner in enumerate((loader, getattr(loader, "augment", None))):
        if isinstance(getattr(owner, "rng", None), np.random.Generator):
            own = getattr(owner, "seed", None)
            key = [model.seed, LOADER_STREAM, model.epochs_trained, tag]
            if isinstance(own, (int, np.integer)) and own >= 0:
                key.append(int(own))
            owner.rng = np.random.default_rng(key)


def _shuffle_order(model: Any, n: int) -> np.ndarray:
    """The permutation for the model's next epoch, from (seed, epochs_trained) alone."""
    from .model import SHUFFLE_STREAM

    return np.random.default_rng([model.seed, SHUFFLE_STREAM, model.epochs_trained]).permutation(n)


# ---------------------------------------------------------------------------------
# The verbs
# ---------------------------------------------------------------------------------
def fit(
    model: Any,
    x: Any,
    y: Any = None,
    *,
    batch_size: int = 32,
    epochs: int = 1,
    verbose: int = 1,
    callbacks: Sequence[Any] | None = None,
    validation_split: float = 0.0,
    validation_data: Any = None,
    shuffle: bool = True,
    initial_epoch: int = 0,
) -> History:
    """Train ``model`` (see ``Sequential.fit``); every argument is checked before the first step."""
    if not model.compiled:
        raise RuntimeError(f"model {model.name!r} is not compiled; call model.compile(optimizer, loss) before fit")
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

    val_source = None
    if validation_split:
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
        # Keras takes the LAST fraction of the data, before any shuffling.
        split_at = int(math.floor(x_all.shape[0] * (1.0 - validation_split)))
        if split_at == 0 or split_at == x_all.shape[0]:
            raise ValueError(f"validation_split={validation_split} of {x_all.shape[0]} samples leaves "
                             f"{split_at} for training and {x_all.shape[0] - split_at} for validation; "
                             "expected at least one of each")
        x, y = x_all[:split_at], y_all[:split_at]
        val_source = _source(model, x_all[split_at:], y_all[split_at:], batch_size, "fit validation_split",
                             offset=split_at)
    train_source = _source(model, x, y, batch_size, "fit")
    if validation_data is not None:
        if is_loader(validation_data):
            val_source = _source(model, validation_data, None, batch_size, "fit validation_data")
        else:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise ValueError("validation_data must be a pair (x_val, y_val) or a DataLoader")
            val_source = _source(model, validation_data[0], validation_data[1], batch_size,
                                 "fit validation_data", "y_val", "x_val")

    trunk, loss_fn = model.training_plan()
    metric_names = [name for name, _ in model.metrics]
    log_keys = ["loss", *metric_names]
    if val_source is not None:
        log_keys += ["val_" + key for key in log_keys]
    callbacks = list(callbacks or [])
    history, all_callbacks = default_callbacks(callbacks, verbose)
    # The user's callbacks first (they may add 'lr' to the logs), then History and the progress bar.
    ordered = [cb for cb in all_callbacks if cb is not history and not isinstance(cb, ProgressBar)]
    ordered += [history] + [cb for cb in all_callbacks if isinstance(cb, ProgressBar)]
    params = {"epochs": int(epochs), "steps": train_source.steps, "batch_size": batch_size,
              "samples": train_source.num_samples, "verbose": verbose, "metrics": log_keys,
              "initial_epoch": int(initial_epoch)}
    hooks = CallbackList(ordered, model, params)
    history.params = params

    model.stop_training = False
    stack, sliced = _threads()
    with stack:
        _fit_epochs(model, hooks, train_source, val_source, trunk, loss_fn, metric_names, sliced,
                    int(initial_epoch), int(epochs), shuffle)
    model.history = history
    return history


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


def _fit_epochs(model, hooks, train_source, val_source, trunk, loss_fn, metric_names, sliced, initial_epoch, epochs,
                shuffle) -> None:
    """The epochs of ``fit``, from on_train_begin to on_train_end.

    An epoch that a callback stops from a batch hook (TerminateOnNaN, or any callback
    setting ``model.stop_training`` in ``on_batch_begin`` / ``on_batch_end``) is cut short:
    its logs still reach ``on_epoch_end`` (and History), but ``model.epochs_trained`` does
    not count it, so a resumed ``fit`` starts that epoch again from its beginning.
    """
    hooks.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        _seed_layer_generators(model)
        loader = getattr(train_source, "loader", None)
        if loader is not None:
            _seed_loader_generators(model, loader)
        hooks.on_epoch_begin(epoch)
        order = _shuffle_order(model, train_source.num_samples) if (shuffle and isinstance(train_source, ArraySource)) else None
        totals = _Totals(metric_names)
        cut_short = False
        for batch, (xb, yb) in enumerate(train_source.batches(order)):
            if yb is None:
                raise ValueError("fit: the DataLoader yields no labels; build it as DataLoader(x, y, ...)")
            if not model.built:  # a loader without .x: build from the first batch, with the model's seed
                model.build(xb.shape[1:])
            hooks.on_batch_begin(batch)
            loss, out = train_step(model, trunk, loss_fn, xb, yb, sliced)
            values = [loss]
            if model.metrics:
                values += _metric_values(model, yb, _outputs_for_metrics(model, trunk, out))
            totals.add(xb.shape[0], values)
            hooks.on_batch_end(batch, {"batch": batch, "size": int(xb.shape[0]), **totals.means()})
            if model.stop_training:
                cut_short = True
                break
        logs = totals.means()
        if val_source is not None:
            logs.update({"val_" + key: value for key, value in _evaluate_source(model, val_source, trunk, loss_fn, sliced).items()})
        if not cut_short:
            model.epochs_trained += 1
        hooks.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    hooks.on_train_end()


def evaluate(model: Any, x: Any, y: Any = None, *, batch_size: int = 32, verbose: int = 0) -> dict[str, float]:
    """{'loss': ..., '<metric>': ...} over x, y in inference mode, ``batch_size`` samples at a time."""
    if not model.compiled:
        raise RuntimeError(f"model {model.name!r} is not compiled; call model.compile(optimizer, loss) first")
    batch_size = check_batch_size(batch_size)
    source = _source(model, x, y, batch_size, "evaluate")
    trunk, loss_fn = model.training_plan()
    stack, sliced = _threads()
    with stack:
        logs = _evaluate_source(model, source, trunk, loss_fn, sliced)
    if verbose:
        print(" - ".join(f"{key}: {value:.4f}" for key, value in logs.items()))
    return logs


def predict(model: Any, x: Any, *, batch_size: int = 128, verbose: int = 0) -> np.ndarray:
    """Outputs (N, *output_shape): one batch of activations alive at a time, written into one result array."""
    batch_size = check_batch_size(batch_size)
    stack, sliced = _threads()
    with stack:
        if is_loader(x):
            parts = [model_forward(model, xb, sliced) for xb, _ in LoaderSource(x, "predict").batches()]
            if not parts:
                raise ValueError("predict: the DataLoader is empty; expected at least one sample")
            return np.concatenate(parts)
        x, _ = prepare_arrays(model, x, None, "predict")
        source = ArraySource(x, None, batch_size)
        result = np.empty((source.num_samples, *model.output_shape), dtype=DTYPE)
        for step, (xb, _) in enumerate(source.batches()):
            start = step * batch_size
            result[start:start + xb.shape[0]] = model_forward(model, xb, sliced)
            if verbose:
                print(f"\r{step + 1}/{source.steps}", end="", flush=True)
        if verbose:
            print()
        return result


def model_forward(model: Any, xb: np.ndarray, sliced: Sliced) -> np.ndarray:
    """Inference forward pass of one batch (N, *input_shape) -> (N, *output_shape)."""
    out = np.asarray(xb, dtype=DTYPE)
    if not model.built:
        model.build(out.shape[1:])
    return sliced.forward(model.layers, out)
