"""What every example shares: its command-line options, training a zoo model with its defaults, the course's report.

Training here is exactly what ``glassnet train MODEL`` does: the zoo model's default
optimizer, learning rate, schedule and batch size (``glassnet.zoo.MODELS[name].training``),
so a figure printed by an example is the figure the command line reproduces.
"""
from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from glassnet import data, losses, metrics, report, zoo

QUICK_TRAIN, QUICK_TEST = 512, 256
"""Samples kept by --quick: enough to run every line of an example in a second or two."""


def parse_args(doc: str | None, epochs: int) -> argparse.Namespace:
    """--epochs (default: the course's), --seed, --quick; the example's docstring is its --help."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=None, help=f"passes over the training set (default: {epochs})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights and of the batch order (default: 0)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a tiny run ({QUICK_TRAIN} training samples, 1 epoch) to check that the example works")
    args = parser.parse_args()
    if args.epochs is None:
        args.epochs = 1 if args.quick else epochs
    if args.epochs < 1:
        parser.error(f"--epochs must be at least 1, got {args.epochs}")
    return args


def load(name: str, quick: bool = False) -> data.Dataset:
    """Dataset ``name`` (see glassnet.data.DATASETS); with ``quick`` only its first samples."""
    ds = data.load(name)
    return shrink(ds) if quick else ds


def shrink(ds: data.Dataset, n_train: int = QUICK_TRAIN, n_test: int = QUICK_TEST) -> data.Dataset:
    """The first n_train training and n_test test samples of ``ds``."""
    from dataclasses import replace

    return replace(ds, x_train=ds.x_train[:n_train], y_train=ds.y_train[:n_train],
                   x_test=ds.x_test[:n_test], y_test=ds.y_test[:n_test])


def train(name: str, x: np.ndarray, y: np.ndarray, *, epochs: int, seed: int, num_classes: int | None = None,
          validation_data: tuple[np.ndarray, np.ndarray] | None = None, verbose: int = 2,
          label: str | None = None) -> tuple[Any, Any, float]:
    """Build zoo model ``name`` for samples x (N, ...) and fit it with its default training; (model, history, seconds).

    ``label`` is what the run is called in its first line when the zoo's name would mislead
    (the shapes DNN is built from color_dnn's layers).
    """
    settings = zoo.get_spec(name).training
    kwargs: dict[str, Any] = {"seed": seed, "input_shape": tuple(x.shape[1:])}
    if num_classes is not None:
        kwargs["num_classes"] = num_classes
    model = zoo.build(name, **kwargs)
    model.compile(optimizer=settings.make_optimizer(), loss=settings.loss, metrics=list(settings.metrics))
    callbacks = settings.make_callbacks(epochs)
    augment = settings.make_augment(seed)
    print(f"{label or name}: {model.count_params():,} parameters; {settings.optimizer} lr={settings.lr:g} ({settings.schedule})"
          f"{', augmented ' + repr(augment) if augment else ''}, batch size {settings.batch_size}, {epochs} epoch(s), "
          f"{len(x):,} training samples")
    start = time.perf_counter()
    if augment is None:
        history = model.fit(x, y, epochs=epochs, batch_size=settings.batch_size, verbose=verbose,
                            validation_split=0.0 if validation_data is not None else settings.validation_split,
                            validation_data=validation_data, callbacks=callbacks)
    else:  # new random flips / turns of every batch, drawn by the loader
        loader = data.DataLoader(x, y, batch_size=settings.batch_size, shuffle=True, seed=seed, augment=augment)
        history = model.fit(loader, epochs=epochs, verbose=verbose, validation_data=validation_data,
                            callbacks=callbacks)
    return model, history, time.perf_counter() - start


def course_report(model: Any, x: np.ndarray, y: np.ndarray, class_names: tuple[str, ...] | list[str]) -> tuple[str, float]:
    """The course's report on test images x (N, ...) with labels y (N,); also returns the accuracy in [0, 1]."""
    logits = model.predict(x, batch_size=256)
    test_loss = float(losses.get("cross_entropy")(logits, y))
    y_pred = logits.argmax(axis=1)
    matrix = metrics.confusion_matrix(y, y_pred, num_classes=len(class_names))
    text = report.classification_report(test_loss, y, y_pred, [str(c) for c in class_names], matrix)
    return text, float(np.trace(matrix)) / len(y)


def result(experiment: str, figure: str, course: str, epochs: int, seconds: float, seed: int) -> None:
    """One summary line per result, the same in every example (RESULTS.md is built from these)."""
    print(f"RESULT {experiment}: {figure} | course: {course} | {epochs} epoch(s), {seconds:.1f} s, seed {seed}",
          flush=True)
