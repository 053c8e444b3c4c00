"""The ``glassnet`` command: train, evaluate, predict with, and describe the course's models.

    glassnet train lenet5 --out runs/lenet5          # the main job
    glassnet evaluate runs/lenet5/model.safetensors --dataset mnist
    glassnet predict runs/lenet5/model.safetensors digit.png
    glassnet summary vgg16
    glassnet datasets
    glassnet models
    glassnet viz curves runs/lenet5/history.json    # figures (glassnet.viz.commands)
    glassnet demo runs/lenet5/model.safetensors     # draw a digit (glassnet.demo.commands)

Errors a user can cause (an unknown name, a missing file, a model that does not fit
a dataset) are printed as one line, ``glassnet: error: ...``, with exit status 1;
argparse's own usage errors exit with status 2. Ctrl-C exits with status 130 and
SIGTERM with 143, after the files being written are cleaned up; ``glassnet train``
keeps the epochs it finished in ``--out``/checkpoint.safetensors and ``--resume``
continues from there.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import report, zoo
from .backend import DTYPE
from .callbacks import Callback
from .fileio import write_atomic

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + 2, 128 + 15  # the shell's status for SIGINT, SIGTERM
CHECKPOINT_NAME = "checkpoint.safetensors"
"""What ``glassnet train`` keeps in --out after every epoch, until the run has finished."""
FALLBACK_DATASET = "shapes"
"""Built-in dataset (generated, no download) used when a model's own dataset cannot be had."""

LUMA = np.array([0.299, 0.587, 0.114], dtype=DTYPE)
"""RGB -> gray weights, as the course's ConvertToGray (ITU-R BT.601)."""


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status ``status``."""

    def __init__(self, message: str, status: int = EXIT_ERROR):
        super().__init__(message)
        self.status = status


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so that files being written are cleaned up as after Ctrl-C."""


# ---------------------------------------------------------------------------------
# Small helpers: printing, atomic files, dataset names
# ---------------------------------------------------------------------------------
def _say(message: str = "") -> None:
    print(message, flush=True)


def _note(message: str) -> None:
    """Something the user should know that is not the command's result (goes to stderr)."""
    print(f"glassnet: {message}", file=sys.stderr, flush=True)


def _dataset_key(name: str) -> str:
    """Accept 'fashion-mnist', 'Fashion_MNIST', 'cifar-10' for the registry's 'fashion_mnist', 'cifar10'."""
    from .data import DATASETS

    key = name.strip().lower().replace("-", "_")
    if key in DATASETS:
        return key
    if key.replace("_", "") in DATASETS:
        return key.replace("_", "")
    raise CLIError(f"unknown dataset {name!r}; expected one of: {', '.join(DATASETS)}")


def _model_spec(name: str) -> zoo.ModelSpec:
    if name not in zoo.MODELS:
        raise CLIError(f"unknown model {name!r}; expected one of: {', '.join(zoo.MODELS)} "
                       "(see 'glassnet models')")
    return zoo.MODELS[name]


def _load_dataset(name: str, limit: int | None = None) -> Any:
    """Load a registered dataset by name, optionally keeping only its first ``limit`` samples per split."""
    from . import data

    ds = data.load(name)
    if limit:
        ds = _LimitedDataset(ds, limit)
    return ds


class _LimitedDataset:
    """A view of a dataset keeping the first ``limit`` training and test samples (for quick runs)."""

    def __init__(self, ds: Any, limit: int):
        if limit <= 0:
            raise CLIError(f"--limit must be a positive number of samples, got {limit}")
        self._ds = ds
        self.x_train, self.y_train = ds.x_train[:limit], ds.y_train[:limit]
        test = max(1, limit // 2)
        self.x_test, self.y_test = ds.x_test[:test], ds.y_test[:test]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ds, name)


def _is_regression(ds: Any) -> bool:
    """A dataset without class names has number targets."""
    return not getattr(ds, "class_names", None)


# ---------------------------------------------------------------------------------
# Fitting data to a model: channels, size, classes
# ---------------------------------------------------------------------------------
def convert_channels(x: np.ndarray, channels: int) -> np.ndarray:
    """(N, C, H, W) -> (N, channels, H, W): RGB -> gray by luminance, gray -> RGB by repeating."""
    have = x.shape[1]
    if have == channels:
        return x
    if have == 3 and channels == 1:
        return np.tensordot(x, LUMA, axes=([1], [0]))[:, None].astype(DTYPE, copy=False)
    if have == 1 and channels == 3:
        return np.repeat(x, 3, axis=1)
    raise CLIError(f"cannot convert {have}-channel images to the {channels} channels the model expects")


def _model_channels(spec: zoo.ModelSpec) -> int | None:
    shape = spec.input_shape
    return shape[0] if shape is not None and len(shape) == 3 else None


def _fit_model_to_dataset(model_name: str, spec: zoo.ModelSpec, ds: Any, dataset_name: str,
                          seed: int | None) -> tuple[Any, np.ndarray, np.ndarray, list[str] | None]:
    """Build the zoo model for this dataset; return (model, x_train, x_test, class_names)."""
    x_train, x_test = np.asarray(ds.x_train), np.asarray(ds.x_test)
    regression = _is_regression(ds)
    if regression != (spec.task == "regression"):
        what = "a regression dataset (its targets are numbers)" if regression else \
            f"a classification dataset ({len(ds.class_names)} classes)"
        raise CLIError(f"model {model_name!r} is a {spec.task} model but {dataset_name!r} is {what}; "
                       f"model {model_name!r} was made for {spec.dataset!r}")
    kwargs: dict[str, Any] = {"seed": seed}
    channels = _model_channels(spec)
    if channels is not None:
        if x_train.ndim != 4:
            raise CLIError(f"model {model_name!r} takes images (N, C, H, W), but dataset {dataset_name!r} "
                           f"has samples of shape {tuple(x_train.shape[1:])}")
        if x_train.shape[1] != channels:
            _note(f"converting {dataset_name!r} images from {x_train.shape[1]} to {channels} channel(s) "
                  f"for {model_name!r}" + (" (gray = 0.299 R + 0.587 G + 0.114 B)" if channels == 1 else ""))
            x_train, x_test = convert_channels(x_train, channels), convert_channels(x_test, channels)
    # The model's channels are fixed (converted above); its image size and classes follow the dataset.
    kwargs["input_shape"] = tuple(int(d) for d in x_train.shape[1:])
    class_names = None if regression else [str(c) for c in ds.class_names]
    if class_names is not None:
        kwargs["num_classes"] = len(class_names)
    try:
        model = zoo.build(model_name, **kwargs)
    except ValueError as error:
        raise CLIError(f"model {model_name!r} does not fit dataset {dataset_name!r} "
                       f"(samples of shape {tuple(x_train.shape[1:])}): {_one_line(str(error))}") from None
    return model, x_train, x_test, class_names


def _adapt_to_model(x: np.ndarray, model: Any, source: str) -> np.ndarray:
    """Make dataset images fit a loaded model's input shape (channels converted); error if they cannot."""
    expected = tuple(model.input_shape)
    if tuple(x.shape[1:]) == expected:
        return x
    if x.ndim == 4 and len(expected) == 3 and x.shape[2:] == expected[1:]:
        _note(f"converting {source} images from {x.shape[1]} to {expected[0]} channel(s)")
        return convert_channels(x, expected[0])
    raise CLIError(f"the model takes samples of shape {expected} but {source} has samples of shape "
                   f"{tuple(x.shape[1:])}")


# ---------------------------------------------------------------------------------
# Evaluation: the course's report
# ---------------------------------------------------------------------------------
def evaluation_report(model: Any, x: np.ndarray, y: np.ndarray, class_names: Sequence[str] | None,
                      batch_size: int = 256) -> tuple[str, dict[str, Any]]:
    """Run the model on test data; return the report text and the numbers behind it."""
    from . import losses, metrics

    outputs = model.predict(x, batch_size=batch_size)
    loss_name = getattr(model, "loss", None)
    loss_fn = losses.get(loss_name if loss_name is not None else ("cross_entropy" if class_names else "mse"))
    test_loss = float(loss_fn(outputs, y))
    if class_names is None:
        text = report.regression_report(test_loss, y, outputs)
        return text, {"test_loss": test_loss}
    y_true = metrics.class_indices(y)
    y_pred = outputs.argmax(axis=1)
    matrix = metrics.confusion_matrix(y_true, y_pred, num_classes=len(class_names))
    text = report.classification_report(test_loss, y_true, y_pred, class_names, matrix)
    numbers = {
        "test_loss": test_loss,
        "test_accuracy": float(np.trace(matrix)) / max(int(matrix.sum()), 1),
        "confusion_matrix": matrix.tolist(),
        "class_names": list(class_names),
    }
    return text, numbers


# ---------------------------------------------------------------------------------
# train
# ---------------------------------------------------------------------------------
def _resolve_training_dataset(args: argparse.Namespace, spec: zoo.ModelSpec) -> tuple[str, Any]:
    """The dataset named by --dataset, or the model's own, or the built-in fallback when that cannot be had."""
    from .data.errors import DatasetNotFoundError

    if args.dataset is not None:
        name = _dataset_key(args.dataset)
        return name, _load_dataset(name, args.limit)
    name = spec.dataset
    try:
        return name, _load_dataset(name, args.limit)
    except DatasetNotFoundError as error:  # not found and not downloadable; a corrupted file is still an error
        if spec.task != "classification":
            raise
        _note(f"dataset {name!r} is not available: {_short_dataset_message(error)}")
        _note(f"so training {args.model} on the built-in {FALLBACK_DATASET!r} dataset instead "
              "(generated here, no download needed)")
        return FALLBACK_DATASET, _load_dataset(FALLBACK_DATASET, args.limit)


def _history_csv(history: dict[str, list[float]]) -> str:
    keys = list(history)
    rows = max((len(v) for v in history.values()), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for i in range(rows):
        writer.writerow([i + 1, *(_csv_number(history[k][i]) if i < len(history[k]) else "" for k in keys)])
    return out.getvalue()


def _csv_number(value: Any) -> str:
    value = float(value)
    return repr(value) if math.isfinite(value) else str(value)


def _save_model(model: Any, path: Path, metadata: dict[str, Any]) -> None:
    """Save the model (atomically, by glassnet.io) with the class names and dataset in its metadata."""
    from .io import save_model

    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(model, path, metadata=metadata)


def _write_figures(model: Any, history: Any, x_test: np.ndarray, y_test: np.ndarray,
                   class_names: Sequence[str] | None, out: Path) -> list[Path]:
    """Draw what ``glassnet.viz`` can draw; return the files written (none if viz is missing)."""
    try:
        from .viz import write_training_figures
    except ImportError:
        _note("figures skipped: glassnet.viz.write_training_figures is not available")
        return []
    written = write_training_figures(model, history, x_test, y_test, class_names, out)
    return [Path(p) for p in (written or [])]


def _json_history(history: dict[str, list[float]]) -> dict[str, list[float | str]]:
    """The history with NaN and infinities as strings ('nan', 'inf'), which JSON cannot hold as numbers."""
    return {k: [float(v) if math.isfinite(v) else str(float(v)) for v in vs] for k, vs in history.items()}


class _RunCheckpoint(Callback):
    """At the end of every epoch, save the model, its optimizer state and the run so far (settings, history)."""

    def __init__(self, path: Path, metadata: dict[str, Any], run: dict[str, Any],
                 history: dict[str, list[float]], seconds: float):
        super().__init__()
        self.path, self.metadata, self.run = path, metadata, run
        self.history = {k: list(v) for k, v in history.items()}
        self.seconds_before, self.start = seconds, time.perf_counter()
        self.epoch: int | None = None
        """The epoch (0-based) in progress and not yet saved, else None."""

    def seconds(self) -> float:
        """Training time of the whole run so far, resumed parts included."""
        return self.seconds_before + time.perf_counter() - self.start

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self.epoch = epoch

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if self.model.epochs_trained != epoch + 1:  # cut short by a batch hook: fit does not count it, nor do we
            return
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        run = {**self.run, "history": _json_history(self.history), "train_seconds": round(self.seconds(), 3)}
        _save_model(self.model, self.path, {**self.metadata, "run": run})
        self.epoch = None


_RUN_KEYS = ("model", "dataset", "limit", "epochs", "batch_size", "lr", "optimizer", "validation_split", "seed",
             "augment_option")
"""The settings a checkpoint records (with 'history' and 'train_seconds')."""


def _checkpoint_run(path: Path) -> dict[str, Any] | None:
    """The run recorded in a checkpoint ({'model', 'epochs', ..., 'epochs_trained'}), or None if it cannot be read."""
    from .io import read_metadata

    try:
        meta = read_metadata(path)
        run = dict(meta["user"]["run"])
        run["epochs_trained"] = int(meta["training"]["epochs_trained"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return run if all(key in run for key in _RUN_KEYS) else None


def _epochs_text(count: int) -> str:
    return "epoch 1" if count == 1 else f"epochs 1-{count}"


_RESUMED_OPTIONS = (("dataset", "--dataset"), ("batch_size", "--batch-size"), ("lr", "--lr"),
                    ("optimizer", "--optimizer"), ("seed", "--seed"), ("validation_split", "--validation-split"),
                    ("limit", "--limit"))
"""Options whose value a resumed run takes from its checkpoint (another value would change the run)."""


def _resume_settings(args: argparse.Namespace, checkpoint: Path) -> dict[str, Any]:
    """The settings of the unfinished run in ``checkpoint``; error if there is none or the options contradict it."""
    if not checkpoint.is_file():
        raise CLIError(f"nothing to resume: {checkpoint} does not exist (glassnet train writes it after every "
                       "epoch and removes it when the run has finished)")
    run = _checkpoint_run(checkpoint)
    if run is None:
        from .io import read_metadata

        read_metadata(checkpoint)  # raises the reason a model file cannot be read, if there is one
        raise CLIError(f"{checkpoint} is a model file but not a checkpoint of 'glassnet train'; expected the run's "
                       "settings in its metadata")
    if run["model"] != args.model:
        raise CLIError(f"{checkpoint} is a run of model {run['model']!r}, not {args.model!r}; resume it with "
                       f"'glassnet train {run['model']} --out {shlex.quote(str(checkpoint.parent))} --resume'")
    for key, option in _RESUMED_OPTIONS:
        given = getattr(args, key)
        if key == "dataset" and given is not None:
            given = _dataset_key(given)
        if given is not None and given != run[key]:
            was = "not given" if run[key] is None else run[key]
            raise CLIError(f"{option} {getattr(args, key)} differs from the run being resumed ({was}); "
                           f"leave {option} out to resume it as it was started")
    if args.augment and not run.get("augment_option"):
        raise CLIError("--augment differs from the run being resumed (started without it); leave it out to resume")
    if args.epochs is not None and args.epochs < run["epochs_trained"]:
        raise CLIError(f"--epochs {args.epochs} is fewer than the {run['epochs_trained']} epochs the checkpoint "
                       f"already holds; expected at least {run['epochs_trained']}")
    return run


def cmd_train(args: argparse.Namespace) -> int:
    """glassnet train MODEL [--dataset NAME] ...: fit, save, draw, report; --resume continues an interrupted run."""
    spec = _model_spec(args.model)
    out = Path(args.out) if args.out else Path("runs") / args.model
    checkpoint = out / CHECKPOINT_NAME
    resumed: dict[str, Any] | None = None
    if args.resume:
        resumed = _resume_settings(args, checkpoint)
        dataset_name = resumed["dataset"]
        ds = _load_dataset(dataset_name, resumed["limit"])
        epochs = resumed["epochs"] if args.epochs is None else args.epochs
        batch_size, lr, optimizer_name = resumed["batch_size"], resumed["lr"], resumed["optimizer"]
        validation_split, seed, augment_option = resumed["validation_split"], resumed["seed"], resumed["augment_option"]
        defaults = spec.training_for(dataset_name)
    else:
        if checkpoint.exists():
            run = _checkpoint_run(checkpoint)
            what = f" ({_epochs_text(run['epochs_trained'])} of {run['epochs']} of {run['model']})" if run else ""
            raise CLIError(f"{out} holds an unfinished run{what}: add --resume to continue it, or delete {checkpoint} "
                           "to start again")
        out.mkdir(parents=True, exist_ok=True)  # fail now, not after training, if it cannot be made
        dataset_name, ds = _resolve_training_dataset(args, spec)
        defaults = spec.training_for(dataset_name)
        epochs = defaults.epochs if args.epochs is None else args.epochs
        batch_size = defaults.batch_size if args.batch_size is None else args.batch_size
        lr = defaults.lr if args.lr is None else args.lr
        optimizer_name = defaults.optimizer if args.optimizer is None else args.optimizer
        validation_split = defaults.validation_split if args.validation_split is None else args.validation_split
        seed = 0 if args.seed is None else args.seed
        augment_option = bool(args.augment)
    if epochs < 1 or batch_size < 1:
        raise CLIError(f"--epochs and --batch-size must be at least 1 (got {epochs} and {batch_size})")
    if not 0.0 <= validation_split < 1.0:
        raise CLIError(f"--validation-split must be in [0, 1), got {validation_split}")
    if lr <= 0:
        raise CLIError(f"--lr must be positive, got {lr}")

    model, x_train, x_test, class_names = _fit_model_to_dataset(args.model, spec, ds, dataset_name, seed)
    metadata = {"model": args.model, "dataset": dataset_name, "class_names": class_names}
    history_before: dict[str, list[float]] = {}
    seconds_before = 0.0
    if resumed is not None:
        from .io import load_model

        fresh_shape = tuple(model.input_shape)
        model = load_model(checkpoint)
        if tuple(model.input_shape) != fresh_shape:
            raise CLIError(f"{checkpoint} holds a model for samples of shape {tuple(model.input_shape)}, but "
                           f"{dataset_name!r} now gives {fresh_shape}; expected the run's own model")
        if not model.compiled:
            raise CLIError(f"{checkpoint} has no optimizer settings; expected a checkpoint written by glassnet train")
        history_before = {k: [float(v) for v in vs] for k, vs in dict(resumed.get("history") or {}).items()}
        seconds_before = float(resumed.get("train_seconds") or 0.0)
    else:
        model.compile(optimizer=defaults.make_optimizer(optimizer_name, lr), loss=defaults.loss,
                      metrics=list(defaults.metrics))
    callbacks = defaults.make_callbacks(epochs, lr)  # the model's learning-rate schedule, if any
    augment = None if augment_option else defaults.make_augment(seed)  # --augment: the usual crop and flip
    augmented = bool(augment_option or augment is not None)
    settings = {"model": args.model, "dataset": dataset_name, "limit": resumed["limit"] if resumed else args.limit,
                "epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": optimizer_name,
                "validation_split": validation_split, "seed": seed, "augment_option": augment_option}
    saver = _RunCheckpoint(checkpoint, metadata, settings, history_before, seconds_before)
    callbacks.append(saver)  # last: the schedule has put 'lr' in the logs
    done = model.epochs_trained
    _say(f"Training {args.model} on {dataset_name}: {len(x_train)} training samples, {len(x_test)} test samples, "
         f"{epochs} epoch(s), batch size {batch_size}, {optimizer_name} lr={lr:g}"
         + (f" ({defaults.schedule})" if len(callbacks) > 1 else "")
         + (f", validation split {validation_split:g}" if validation_split else "")
         + (", augmented" if augmented else "")
         + (f"; resuming after {_epochs_text(done)}" if resumed is not None else ""))
    resume_command = f"glassnet train {args.model} --out {shlex.quote(str(out))} --resume"
    try:
        verbose = 0 if args.quiet else 1
        if done < epochs:
            fit = dict(epochs=epochs, verbose=verbose, callbacks=callbacks, initial_epoch=done)
            if augmented:
                _fit_augmented(model, dataset_name, x_train, ds.y_train, batch_size, validation_split, seed, augment,
                               **fit)
            else:
                model.fit(x_train, ds.y_train, batch_size=batch_size, validation_split=validation_split, shuffle=True,
                          **fit)
        seconds = saver.seconds()
        _say(f"Trained in {seconds:.1f} s" + (" (all parts of the run)" if resumed is not None else ""))
        history_dict = saver.history
        text, numbers = evaluation_report(model, x_test, ds.y_test, class_names)
        _save_model(model, out / "model.safetensors", metadata)
        run = {
            "model": args.model, "dataset": dataset_name, "epochs": epochs, "batch_size": batch_size,
            "optimizer": optimizer_name, "lr": lr, "validation_split": validation_split, "seed": seed,
            "augment": augmented, "train_seconds": round(seconds, 3), "history": history_dict,
            **{k: v for k, v in numbers.items() if k != "class_names"},
        }
        write_atomic(out / "history.json", json.dumps(run, indent=2) + "\n")
        write_atomic(out / "history.csv", _history_csv(history_dict))
        write_atomic(out / "report.txt", text + "\n")
        figures = [] if args.no_figures else _write_figures(model, history_dict, x_test, ds.y_test, class_names, out)
    except KeyboardInterrupt as error:
        if sys.stdout.isatty():
            print(file=sys.stdout, flush=True)  # end the progress bar's line
        kept = (_checkpoint_run(checkpoint) or {}).get("epochs_trained", 0)  # what the file on disk holds
        if saver.epoch is not None:
            where = f"in epoch {saver.epoch + 1} of {epochs}"
        elif model.epochs_trained < epochs:
            where = f"before epoch {model.epochs_trained + 1} of {epochs}"
        else:
            where = "after the last epoch"
        if not kept:
            raise type(error)(f"{where}, before any epoch had finished: nothing was kept") from None
        raise type(error)(f"{where}; {checkpoint} keeps {_epochs_text(kept)}; to resume: {resume_command}") from None
    checkpoint.unlink(missing_ok=True)  # the run is finished: model.safetensors holds everything it held
    _say(f"Wrote {out}/: model.safetensors, history.json, history.csv, report.txt"
         + (f", {len(figures)} figure(s) ({', '.join(sorted(p.name for p in figures))})" if figures else ""))
    _say("")
    _say(text)
    return EXIT_OK


def _history_dict(history: Any) -> dict[str, list[float]]:
    values = getattr(history, "history", history)
    if not isinstance(values, dict):
        raise TypeError(f"fit returned {type(history).__name__}; expected a History with a .history dict")
    return values


def _fit_augmented(model: Any, dataset_name: str, x: np.ndarray, y: np.ndarray, batch_size: int,
                   validation_split: float, seed: int | None, augment: Any = None, **fit: Any) -> Any:
    """Fit on augmented batches (``augment``, else randomly cropped and, except for digits, mirrored); validation data stays as it is.

    ``fit``: the other arguments of ``model.fit`` (epochs, initial_epoch, callbacks, verbose).
    """
    from .data import DataLoader, default_augmentation

    if x.ndim != 4:
        raise CLIError(f"--augment works on images; dataset {dataset_name!r} has samples of shape {x.shape[1:]}")
    validation_data = None
    if validation_split:  # as Keras and fit(validation_split=): the last fraction, before shuffling
        split_at = int(math.floor(len(x) * (1.0 - validation_split)))
        if not 0 < split_at < len(x):
            raise CLIError(f"--validation-split {validation_split:g} of {len(x)} samples leaves no training "
                           "or no validation samples")
        x, y, validation_data = x[:split_at], y[:split_at], (x[split_at:], y[split_at:])
    if augment is None:
        augment = default_augmentation(dataset_name, x.shape[1:], seed=seed)
    loader = DataLoader(x, y, batch_size=batch_size, shuffle=True, seed=seed, augment=augment)
    return model.fit(loader, validation_data=validation_data, **fit)


# ---------------------------------------------------------------------------------
# evaluate / predict / summary / datasets / models
# ---------------------------------------------------------------------------------
def _load_model_file(path: str) -> tuple[Any, dict[str, str]]:
    """Load a saved model and its metadata; FileNotFoundError names the path."""
    from . import io as glassnet_io

    if not Path(path).is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    model = glassnet_io.load_model(path)
    user = glassnet_io.read_metadata(path).get("user")
    return model, dict(user) if isinstance(user, dict) else {}


def _class_names_from(metadata: dict[str, Any]) -> list[str] | None:
    names = metadata.get("class_names")
    return [str(n) for n in names] if isinstance(names, list) and names else None


def cmd_evaluate(args: argparse.Namespace) -> int:
    """glassnet evaluate MODEL_FILE [--dataset NAME]: the course's report on the test set."""
    model, metadata = _load_model_file(args.model_file)
    name = args.dataset or metadata.get("dataset")
    if not name:
        raise CLIError("the model file does not record its dataset; pass --dataset NAME")
    key = _dataset_key(name)
    ds = _load_dataset(key, args.limit)
    x_test = _adapt_to_model(np.asarray(ds.x_test), model, f"dataset {key!r}")
    class_names = None if _is_regression(ds) else [str(c) for c in ds.class_names]
    outputs = tuple(model.output_shape)
    if class_names is not None and outputs != (len(class_names),):
        raise CLIError(f"the model has {outputs[0]} outputs but dataset {key!r} has {len(class_names)} classes")
    _say(f"Evaluating {args.model_file} on {key} ({len(x_test)} test samples)")
    text, _ = evaluation_report(model, x_test, ds.y_test, class_names)
    _say("")
    _say(text)
    return EXIT_OK


def load_image(path: str, shape: tuple[int, int, int], invert: str = "auto", frame: str = "auto",
               dataset: str | None = None) -> tuple[np.ndarray, list[str]]:
    """Read a PNG/JPEG of any size and mode as (C, H, W) float32 in [0, 1]; also return what was done to it.

    RGB models get the picture resized to H x W. 1-channel models (light strokes on
    black, as MNIST) get it in gray; with ``invert='auto'`` a light background (border
    brighter than mid-gray) is inverted, and with ``frame='auto'`` the ink is cropped,
    scaled and centred the way the training images were made (``glassnet.demo.preprocess``).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    channels, height, width = shape
    if not Path(path).is_file():
        raise FileNotFoundError(f"image not found: {path}")
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode in ("RGBA", "LA", "P", "PA"):  # transparent drawings: put them on white paper
                img = img.convert("RGBA")
                img = Image.alpha_composite(Image.new("RGBA", img.size, (255, 255, 255, 255)), img)
            img = img.convert("L" if channels == 1 else "RGB")
            if channels != 1 or frame == "resize":
                img = img.resize((width, height), Image.Resampling.LANCZOS)
            array = np.asarray(img, dtype=DTYPE) / DTYPE(255.0)
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise CLIError(f"{path} is not an image Pillow can read (PNG or JPEG expected)") from None
    if channels != 1:
        return np.clip(array.transpose(2, 0, 1), 0, 1).astype(DTYPE, copy=False), ["resized"]
    steps = []
    border = np.concatenate([array[0], array[-1], array[:, 0], array[:, -1]])
    if invert == "yes" or (invert == "auto" and float(border.mean()) > 0.5):
        array = 1 - array
        steps.append("inverted to light-on-dark")
    if frame == "resize":
        steps.insert(0, "resized")
    else:
        from .demo.preprocess import MNIST_STYLE, STYLES, preprocess_drawing

        style = STYLES.get(dataset or "", MNIST_STYLE)
        array = preprocess_drawing(array, (height, width), style=style, max_value=1.0)
        steps.append(style.describe((height, width)))
    return np.clip(array, 0, 1).astype(DTYPE, copy=False)[None], steps


def cmd_predict(args: argparse.Namespace) -> int:
    """glassnet predict MODEL_FILE IMAGE...: class probabilities for each image."""
    from .layers.activations import softmax

    model, metadata = _load_model_file(args.model_file)
    shape = tuple(model.input_shape)
    if len(shape) != 3:
        raise CLIError(f"the model takes samples of shape {shape}, not images")
    class_names = _class_names_from(metadata)
    for path in args.images:
        image, steps = load_image(path, shape, args.invert, args.frame, metadata.get("dataset"))
        scores = model.predict(image[None])[0]
        probabilities = softmax(scores.astype(np.float64))
        names = class_names if class_names and len(class_names) == len(probabilities) else \
            [str(i) for i in range(len(probabilities))]
        best = int(probabilities.argmax())
        _say(f"{path}: {names[best]} ({100 * probabilities[best]:.1f}%)   [{'; '.join(steps)}]")
        order = np.argsort(-probabilities) if args.sort else range(len(probabilities))
        width = max(len(n) for n in names)
        for i in order:
            _say(f"  {names[i]:>{width}}: {probabilities[i]:.4f}")
    return EXIT_OK


def cmd_summary(args: argparse.Namespace) -> int:
    """glassnet summary MODEL: the layer table of a zoo model or a saved model file."""
    if args.model in zoo.MODELS:
        model = zoo.build(args.model)
        _say(f"{args.model}: {zoo.MODELS[args.model].description}")
    elif Path(args.model).is_file():
        model, _ = _load_model_file(args.model)
    else:
        if args.model.endswith(".safetensors") or os.sep in args.model:
            raise FileNotFoundError(f"model file not found: {args.model}")
        _model_spec(args.model)  # raises the unknown-model error
        return EXIT_ERROR
    _say(model.summary_text())
    return EXIT_OK


def cmd_datasets(args: argparse.Namespace) -> int:
    """glassnet datasets: every dataset the loaders know, its shape and classes."""
    from .data import DATASETS

    width = max(len(n) for n in DATASETS)
    for name, info in DATASETS.items():
        shape = "x".join(map(str, info.input_shape))
        kind = f"{len(info.class_names)} classes" if info.class_names else info.task
        source = "files: $GLASSNET_DATA_DIR/ or download" if info.needs_files else "generated, no download"
        _say(f"{name:<{width}}  {info.description}")
        _say(f"{'':<{width}}  input {shape}, {kind}; {source}")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    """glassnet models: the model zoo, with each model's dataset and default training."""
    width = max(len(n) for n in zoo.MODELS)
    for name, spec in zoo.MODELS.items():
        t = spec.training
        _say(f"{name:<{width}}  {spec.description}")
        _say(f"{'':<{width}}  dataset {spec.dataset}; {t.optimizer} lr={t.lr:g}, {t.epochs} epoch(s), "
             f"batch {t.batch_size}, loss {t.loss}")
    return EXIT_OK


# ---------------------------------------------------------------------------------
# The parser and main
# ---------------------------------------------------------------------------------
def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``glassnet`` command and its sub-commands."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="Train, evaluate and inspect the course's neural networks (glassnet: deep learning in NumPy).",
        epilog="Datasets are looked for in $GLASSNET_DATA_DIR, then the download cache. "
               "Run 'glassnet COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("train", help="train a zoo model and print the course's test report",
                       description="Train a zoo model on a dataset, write the model, its history and figures "
                                   "to --out, and print the course's test report.")
    p.add_argument("model", metavar="MODEL", help="zoo model name (see 'glassnet models'), e.g. lenet5")
    p.add_argument("--dataset", metavar="NAME",
                   help="dataset name (see 'glassnet datasets'); default: the model's own dataset, or the "
                        f"built-in {FALLBACK_DATASET!r} set when that cannot be had")
    p.add_argument("--epochs", type=_positive_int, help="passes over the training set (default: the model's)")
    p.add_argument("--batch-size", type=_positive_int, help="samples per gradient step (default: the model's)")
    p.add_argument("--lr", type=float, help="learning rate (default: the model's)")
    p.add_argument("--optimizer", choices=["sgd", "adagrad", "rmsprop", "adam"],
                   help="optimizer (default: the model's)")
    p.add_argument("--seed", type=int, help="random seed for weights and shuffling (default: 0)")
    p.add_argument("--validation-split", type=float, metavar="FRACTION",
                   help="fraction of the training set held out for validation (default: the model's)")
    p.add_argument("--augment", action="store_true",
                   help="random crops (and flips for CIFAR-10) of the training images")
    p.add_argument("--out", metavar="DIR", help="output folder (default: runs/MODEL)")
    p.add_argument("--limit", type=_positive_int, metavar="N",
                   help="use only the first N training and N/2 test samples (quick tries, tests)")
    p.add_argument("--no-figures", action="store_true", help="do not draw figures")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--resume", action="store_true",
                   help=f"continue the unfinished run in --out from its {CHECKPOINT_NAME} (written after every "
                        "epoch, removed when the run finishes) up to --epochs (default: the number first asked for); "
                        "the other settings come from the checkpoint")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="print the course's test report for a saved model",
                       description="Test a saved model: test loss, accuracy per class and overall, "
                                   "confusion matrix.")
    p.add_argument("model_file", metavar="MODEL_FILE", help="a model saved by 'glassnet train' (.safetensors)")
    p.add_argument("--dataset", metavar="NAME", help="dataset to test on (default: the one it was trained on)")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="use only the first N/2 test samples")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="class probabilities for image files",
                       description="Classify PNG or JPEG images (any size, colour or gray): each is converted "
                                   "to the model's input (gray or RGB, resized, scaled to [0, 1]).")
    p.add_argument("model_file", metavar="MODEL_FILE", help="a model saved by 'glassnet train'")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="image files")
    p.add_argument("--invert", choices=["auto", "yes", "no"], default="auto",
                   help="for 1-channel models: invert dark-on-light images (default: auto, when the border is light)")
    p.add_argument("--frame", choices=["auto", "resize"], default="auto",
                   help="for 1-channel models: 'auto' crops the ink and centres it as the training images "
                        "(MNIST: 20x20 box, centre of mass); 'resize' just resizes the whole picture")
    p.add_argument("--sort", action="store_true", help="list classes from most to least likely")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("summary", help="layer table of a zoo model or a saved model",
                       description="Print each layer's output shape and parameter count.")
    p.add_argument("model", metavar="MODEL", help="zoo model name or model file")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("datasets", help="list the datasets", description="List the datasets glassnet can load.")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("models", help="list the model zoo", description="List the zoo's models.")
    p.set_defaults(func=cmd_models)

    try:
        from .viz.commands import add_viz_parser, run_viz
    except ImportError:
        pass
    else:
        viz = add_viz_parser(sub)
        if viz is not None and viz.get_default("func") is None:
            viz.set_defaults(func=run_viz)
    try:
        from .demo.commands import add_demo_parser
    except ImportError:
        pass
    else:
        add_demo_parser(sub)
    from .bench import add_bench_parser  # 'glassnet bench': the course's conv comparison (sets func=run_bench)

    add_bench_parser(sub)
    return parser


def _one_line(message: str) -> str:
    """Join a multi-line message into one line, leaving out '  - item' list lines (searched folders, mirrors)."""
    lines = [line.strip() for line in message.strip().splitlines()]
    kept = [line for line in lines if line and not line.startswith("- ")] or [line for line in lines if line]
    return " ".join(kept)


def _short_dataset_message(error: BaseException) -> str | None:
    """'X was not found locally and could not be downloaded. To use local copies, ...' for a missing dataset."""
    from .data.errors import DatasetNotFoundError

    if not isinstance(error, DatasetNotFoundError):
        return None
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    what = lines[0].split(". ")[0].rstrip(".") if lines else "the dataset was not found"
    advice = next((line for line in lines if line.startswith("To use local copies")), "")
    return f"{what} locally, and it could not be downloaded. {advice}".strip()


def _expected_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [CLIError, ValueError, KeyError, OSError, MemoryError, OverflowError]
    try:
        from .data.errors import DatasetError
        errors.append(DatasetError)
    except ImportError:
        pass
    return tuple(errors)


def _error_line(error: BaseException) -> str:
    """What went wrong, in one line."""
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    if isinstance(error, OSError) and error.filename and error.strerror:
        message = f"{error.strerror}: {error.filename}"  # rather than "[Errno 2] No such file ..."
    if isinstance(error, MemoryError):  # numpy: "Unable to allocate 7.28 TiB for an array with shape ..."
        message = f"not enough memory: {message}" if message else "not enough memory"
    return _short_dataset_message(error) or _one_line(str(message)) or type(error).__name__


def _raise_terminated(signum: int, frame: Any) -> None:
    """SIGTERM handler: unwind the main thread as Ctrl-C does (a second SIGTERM meanwhile is ignored)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def _run(args: argparse.Namespace) -> int:
    """Run the sub-command; SIGTERM becomes a Terminated exception while it runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return int(args.func(args) or EXIT_OK)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return int(args.func(args) or EXIT_OK)
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``glassnet`` command with ``argv`` (default: sys.argv[1:]); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code) if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        return _run(args)
    except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM (Terminated): the files being written are cleaned up
        what = "terminated" if isinstance(error, Terminated) else "interrupted"
        detail = str(error)
        print(f"glassnet: {what}" + (f" {detail}" if detail else ""), file=sys.stderr, flush=True)
        return EXIT_TERMINATED if isinstance(error, Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:  # 'glassnet ... | head': the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except _expected_errors() as error:
        print(f"glassnet: error: {_error_line(error)}", file=sys.stderr)
        return getattr(error, "status", EXIT_ERROR)


if __name__ == "__main__":
    sys.exit(main())
