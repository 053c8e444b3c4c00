"""``glassnet train MODEL``: fit a zoo model to a dataset, save it with its history and figures, print the report."""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import shlex
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import zoo
from ..callbacks import LearningRateScheduler
from ..data import DATASETS, DataLoader, dataset_key, default_augmentation, tail_split
from ..data.boston import select_features
from ..data.errors import DatasetNotFoundError
from ..data.images import convert_channels
from ..fileio import write_atomic
from ..i18n import CATALOGUES, tr
from ..io import load_model
from ..progress import course_log
from .checkpoint import (CHECKPOINT_NAME, RunCheckpoint, checkpoint_run, epochs_text, resume_settings,
                         save_with_metadata)
from .common import (EXIT_OK, CLIError, class_names_of, load_dataset, model_spec, note, one_line, say,
                     short_dataset_message)
from .evaluate import evaluation_report

FALLBACK_DATASET = "shapes"
"""Built-in dataset (generated, no download) used when a model's own dataset cannot be had."""


def _model_channels(spec: zoo.ModelSpec) -> int | None:
    shape = spec.input_shape
    return shape[0] if shape is not None and len(shape) == 3 else None


def _fit_model_to_dataset(model_name: str, spec: zoo.ModelSpec, ds: Any, dataset_name: str, seed: int | None,
                          features: tuple[str, ...] = ()) -> tuple[Any, np.ndarray, np.ndarray, list[str] | None]:
    """Build the zoo model for this dataset (only its columns ``features``, if named); return (model, x_train, x_test, class_names)."""
    x_train, x_test = np.asarray(ds.x_train), np.asarray(ds.x_test)
    if features:
        x_train, x_test = (select_features(x, features, ds.feature_names) for x in (x_train, x_test))
    class_names = class_names_of(ds)
    regression = class_names is None
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
            note(tr("cli:converting", dataset=dataset_name, have=x_train.shape[1], want=channels, model=model_name)
                 + (" (gray = 0.299 R + 0.587 G + 0.114 B)" if channels == 1 else ""))
            x_train, x_test = convert_channels(x_train, channels), convert_channels(x_test, channels)
    # The model's channels are fixed (converted above); its image size and classes follow the dataset.
    kwargs["input_shape"] = tuple(int(d) for d in x_train.shape[1:])
    if class_names is not None:
        kwargs["num_classes"] = len(class_names)
    try:
        model = zoo.build(model_name, **kwargs)
    except ValueError as error:
        raise CLIError(f"model {model_name!r} does not fit dataset {dataset_name!r} "
                       f"(samples of shape {tuple(x_train.shape[1:])}): {one_line(str(error))}") from None
    return model, x_train, x_test, class_names


def _resolve_training_dataset(args: argparse.Namespace, spec: zoo.ModelSpec) -> tuple[str, Any]:
    """The dataset named by --dataset, or the model's own, or the built-in fallback when that cannot be had."""
    if args.dataset is not None:
        name = dataset_key(args.dataset)
        return name, load_dataset(name, args.limit)
    name = spec.dataset
    if name not in DATASETS:  # vgg16_imagenet: glassnet has no ImageNet
        raise CLIError(f"model {args.model!r} was made for {name!r}, which glassnet cannot load; "
                       "train it on another dataset with --dataset NAME (see 'glassnet datasets')")
    try:
        return name, load_dataset(name, args.limit)
    except DatasetNotFoundError as error:  # not found and not downloadable; a corrupted file is still an error
        if spec.task != "classification":
            raise
        note(tr("cli:not_available", name=name, why=short_dataset_message(error)))
        note(tr("cli:fallback", model=args.model, fallback=FALLBACK_DATASET))
        return FALLBACK_DATASET, load_dataset(FALLBACK_DATASET, args.limit)


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


def _write_figures(model: Any, history: Any, splits: list[tuple[str, np.ndarray, np.ndarray]],
                   class_names: Sequence[str] | None, features: Sequence[str], out: Path) -> list[Path]:
    """Draw what ``glassnet.viz`` can draw; return the files written (none if viz is missing).

    ``splits``: [("training", x, y), ("test", x, y)]; a regression model gets the lesson's
    figures for each (``glassnet.viz.regression``), a classifier the test set's.
    """
    try:
        from ..viz import write_training_figures  # loads matplotlib
        from ..viz.regression import write_regression_figures
    except ImportError:
        note("figures skipped: glassnet.viz is not available")
        return []
    if class_names is None:
        written = write_regression_figures(model, history, splits, features, out)
    else:
        _, x_test, y_test = splits[-1]
        written = write_training_figures(model, history, x_test, y_test, class_names, out)
    return [Path(p) for p in (written or [])]


def _course(model_name: str, spec: zoo.ModelSpec, dataset_name: str) -> tuple[str, zoo.Training]:
    """--course: (the lesson, its settings) for ``model_name``; its one-feature choice only on the model's own dataset."""
    if model_name not in zoo.COURSE_TRAINING:
        raise CLIError(f"--course: glassnet has no lesson settings for {model_name!r}; models with them: "
                       f"{', '.join(zoo.COURSE_TRAINING)}")
    lesson, training = zoo.COURSE_TRAINING[model_name]
    return lesson, training if dataset_name == spec.dataset else replace(training, features=())


def _schedule(choice: str | None, defaults: zoo.Training, optimizer_name: str, lr: float) -> str:
    """--schedule if given ('none': a constant rate), else the model's schedule with its own optimizer and rate, else constant."""
    if choice is not None:
        return "constant" if choice == "none" else choice
    return defaults.schedule if (optimizer_name, lr) == (defaults.optimizer, defaults.lr) else "constant"


def _features(option: str | None, defaults: zoo.Training, ds: Any, dataset_name: str) -> tuple[str, ...]:
    """The columns to train on: --features ('all' or NAME,NAME), else the model's (linear_regression: RM); () = all."""
    if option is None:
        return tuple(defaults.features)
    chosen = () if option.strip().lower() == "all" else tuple(n.strip() for n in option.split(",") if n.strip())
    names = tuple(getattr(ds, "feature_names", ()) or ())
    unknown = [n for n in chosen if n not in names]
    if unknown:
        raise CLIError(f"--features: dataset {dataset_name!r} has no feature {unknown[0]!r}; expected 'all' or "
                       f"names among {', '.join(names) if names else '(none: its samples are not a table)'}")
    return chosen


def _check_resumed(args: argparse.Namespace, run: dict[str, Any]) -> None:
    """Error if --schedule, --features or --course contradict the run being resumed."""
    given = {"--schedule": args.schedule and ("constant" if args.schedule == "none" else args.schedule),
             "--features": args.features, "--course": args.course or None}
    recorded = {"--schedule": run.get("schedule"), "--features": ",".join(run.get("features") or ()) or "all",
                "--course": bool(run.get("course")) or None}
    for option, value in given.items():
        if value is not None and recorded[option] is not None and value != recorded[option]:
            raise CLIError(f"{option} differs from the run being resumed; leave it out to resume it as it was started")


def cmd_train(args: argparse.Namespace) -> int:
    """glassnet train MODEL [--dataset NAME] ...: fit, save, draw, report; --resume continues an interrupted run."""
    spec = model_spec(args.model)
    out = Path(args.out) if args.out else Path("runs") / args.model
    checkpoint = out / CHECKPOINT_NAME
    resumed: dict[str, Any] | None = None
    if args.resume:
        resumed = resume_settings(args, checkpoint)
        dataset_name = resumed["dataset"]
        ds = load_dataset(dataset_name, resumed["limit"])
        epochs = resumed["epochs"] if args.epochs is None else args.epochs
        batch_size, lr, optimizer_name = resumed["batch_size"], resumed["lr"], resumed["optimizer"]
        validation_split, seed, augment_option = resumed["validation_split"], resumed["seed"], resumed["augment_option"]
        _check_resumed(args, resumed)
        lesson = resumed.get("course")
        defaults = _course(args.model, spec, dataset_name)[1] if lesson else spec.training_for(dataset_name)
        schedule = resumed.get("schedule") or defaults.schedule  # checkpoints before --schedule: the model's
        features = tuple(resumed.get("features") or ())
    else:
        if checkpoint.exists():
            run = checkpoint_run(checkpoint)
            what = f" ({epochs_text(run['epochs_trained'])} of {run['epochs']} of {run['model']})" if run else ""
            raise CLIError(tr("error:unfinished_run", out=out, what=what, checkpoint=checkpoint), localized=True)
        out.mkdir(parents=True, exist_ok=True)  # fail now, not after training, if it cannot be made
        dataset_name, ds = _resolve_training_dataset(args, spec)
        lesson, defaults = _course(args.model, spec, dataset_name) if args.course else \
            (None, spec.training_for(dataset_name))
        epochs = defaults.epochs if args.epochs is None else args.epochs
        batch_size = defaults.batch_size if args.batch_size is None else args.batch_size
        lr = defaults.lr if args.lr is None else args.lr
        optimizer_name = defaults.optimizer if args.optimizer is None else args.optimizer
        validation_split = defaults.validation_split if args.validation_split is None else args.validation_split
        seed = 0 if args.seed is None else args.seed
        augment_option = bool(args.augment)
        schedule = _schedule(args.schedule, defaults, optimizer_name, lr)
        features = _features(args.features, defaults, ds, dataset_name)
    if epochs < 1 or batch_size < 1:
        raise CLIError(f"--epochs and --batch-size must be at least 1 (got {epochs} and {batch_size})")
    if not 0.0 <= validation_split < 1.0:
        raise CLIError(f"--validation-split must be in [0, 1), got {validation_split}")
    if lr <= 0:
        raise CLIError(f"--lr must be positive, got {lr}")

    model, x_train, x_test, class_names = _fit_model_to_dataset(args.model, spec, ds, dataset_name, seed, features)
    metadata = {"model": args.model, "dataset": dataset_name, "class_names": class_names,
                **({"features": list(features)} if features else {})}
    history_before: dict[str, list[float]] = {}
    seconds_before = 0.0
    if resumed is not None:
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
    # the schedule; a constant rate is kept by a schedule too, so that every history has its 'lr' column
    callbacks = replace(defaults, schedule=schedule).make_callbacks(epochs, lr) or \
        [LearningRateScheduler(lambda epoch, rate: rate)]
    augment = None if augment_option else defaults.make_augment(seed)  # --augment: the usual crop and flip
    augmented = bool(augment_option or augment is not None)
    settings = {"model": args.model, "dataset": dataset_name, "limit": resumed["limit"] if resumed else args.limit,
                "epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": optimizer_name,
                "validation_split": validation_split, "seed": seed, "augment_option": augment_option,
                "schedule": schedule, "features": list(features), "course": lesson}
    saver = RunCheckpoint(checkpoint, metadata, settings, history_before, seconds_before)
    callbacks.append(saver)  # last: the schedule has put 'lr' in the logs
    done = model.epochs_trained
    if lesson:  # the catalogue's course:MODEL in the language in use (its English is the zoo's text)
        say(tr("cli:course", lesson=tr(f"course:{args.model}") if f"course:{args.model}" in CATALOGUES["en"] else lesson))
    table = tuple(getattr(ds, "feature_names", ()) or ())
    say(tr("cli:training", model=args.model, dataset=dataset_name, train=len(x_train), test=len(x_test), epochs=epochs,
           batch=batch_size, optimizer=optimizer_name, lr=f"{lr:g}")
        + tr("cli:training.cosine" if schedule == "cosine" else "cli:training.constant")
        + (tr("cli:training.features", names=", ".join(features)) if features else
           tr("cli:training.all_features", count=len(table)) if table else "")
        + (tr("cli:training.validation", split=f"{validation_split:g}") if validation_split else "")
        + (tr("cli:training.augmented") if augmented else "")
        + (tr("cli:training.resuming", done=epochs_text(done)) if resumed is not None else ""))
    resume_command = f"glassnet train {args.model} --out {shlex.quote(str(out))} --resume"
    try:
        log_format = getattr(args, "log_format", "keras")
        verbose = 0 if args.quiet or log_format != "keras" else 1
        if log_format != "keras" and not args.quiet:
            callbacks.append(course_log(log_format))  # the course's own lines instead of the bar
        if done < epochs:
            fit = dict(epochs=epochs, verbose=verbose, callbacks=callbacks, initial_epoch=done)
            if augmented:
                _fit_augmented(model, dataset_name, x_train, ds.y_train, batch_size, validation_split, seed, augment,
                               **fit)
            else:
                model.fit(x_train, ds.y_train, batch_size=batch_size, validation_split=validation_split, shuffle=True,
                          **fit)
        seconds = saver.seconds()
        say(tr("cli:trained", seconds=f"{seconds:.1f}") + (tr("cli:trained.all_parts") if resumed is not None else ""))
        history_dict = saver.history
        text, numbers = evaluation_report(model, x_test, ds.y_test, class_names)
        if features == ("RM",):  # the lesson's question: the price of a home with 3..7 rooms
            prices = zoo.predicted_prices(model)
            numbers["predicted_prices"] = {f"{r:g}": float(p) for r, p in zip(zoo.LESSON_ROOMS, prices)}
            text += ("\n\n" + tr("cli:lesson_prices", prices=" ".join(f"${p}K" for p in zoo.LESSON_PRICES))
                     + "\n" + "\n".join(zoo.price_lines(zoo.LESSON_ROOMS, prices)))
        save_with_metadata(model, out / "model.safetensors", metadata)
        run = {
            "model": args.model, "dataset": dataset_name, "epochs": epochs, "batch_size": batch_size,
            "optimizer": optimizer_name, "lr": lr, "schedule": schedule, "validation_split": validation_split,
            "seed": seed, "features": list(features) or "all", "course": lesson,
            "augment": augmented, "train_seconds": round(seconds, 3), "history": history_dict,
            **{k: v for k, v in numbers.items() if k != "class_names"},
        }
        write_atomic(out / "history.json", json.dumps(run, indent=2) + "\n")
        write_atomic(out / "history.csv", _history_csv(history_dict))
        write_atomic(out / "report.txt", text + "\n")
        splits = [("training", x_train, ds.y_train), ("test", x_test, ds.y_test)]
        figures = [] if args.no_figures else _write_figures(model, history_dict, splits, class_names,
                                                            features or table, out)
    except KeyboardInterrupt as error:
        if sys.stdout.isatty():
            print(file=sys.stdout, flush=True)  # end the progress bar's line
        kept = (checkpoint_run(checkpoint) or {}).get("epochs_trained", 0)  # what the file on disk holds
        if saver.epoch is not None:
            where = f"in epoch {saver.epoch + 1} of {epochs}"
        elif model.epochs_trained < epochs:
            where = f"before epoch {model.epochs_trained + 1} of {epochs}"
        else:
            where = "after the last epoch"
        if not kept:
            raise type(error)(f"{where}, before any epoch had finished: nothing was kept") from None
        raise type(error)(f"{where}; {checkpoint} keeps {epochs_text(kept)}; to resume: {resume_command}") from None
    checkpoint.unlink(missing_ok=True)  # the run is finished: model.safetensors holds everything it held
    say(tr("cli:wrote_run", out=out)
        + (tr("cli:wrote_run.figures", count=len(figures), names=", ".join(sorted(p.name for p in figures)))
           if figures else ""))
    say("")
    say(text)
    return EXIT_OK


def _fit_augmented(model: Any, dataset_name: str, x: np.ndarray, y: np.ndarray, batch_size: int,
                   validation_split: float, seed: int | None, augment: Any = None, **fit: Any) -> Any:
    """Fit on augmented batches (``augment``, else randomly cropped and, except for digits, mirrored); validation data stays as it is.

    ``fit``: the other arguments of ``model.fit`` (epochs, initial_epoch, callbacks, verbose).
    """
    if x.ndim != 4:
        raise CLIError(f"--augment works on images; dataset {dataset_name!r} has samples of shape {x.shape[1:]}")
    validation_data = None
    if validation_split:  # as Keras and fit(validation_split=): the last fraction, before shuffling
        try:
            x, y_train, x_valid, y_valid = tail_split(x, y, validation_split)
        except ValueError:
            raise CLIError(f"--validation-split {validation_split:g} of {len(x)} samples leaves no training "
                           "or no validation samples") from None
        assert y_train is not None  # split from y
        y, validation_data = y_train, (x_valid, y_valid)
    if augment is None:
        augment = default_augmentation(dataset_name, x.shape[1:], seed=seed)
    loader = DataLoader(x, y, batch_size=batch_size, shuffle=True, seed=seed, augment=augment)
    return model.fit(loader, validation_data=validation_data, **fit)
