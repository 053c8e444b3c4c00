"""One trial of a sweep: train with its settings, write its folder, return its row.

A zoo model's trial is ``glassnet train MODEL --out FOLDER`` with the trial's options (the
same code, so the same files: model.safetensors, history.json, report.txt, log.txt here
holding what it printed). A trial interrupted earlier left ``checkpoint.safetensors`` and is
continued from it (``--resume``). A user's model-building function gets the keyword
arguments it names among ``seed``, ``input_shape``, ``num_classes`` and the trial's own
settings, and is trained by ``fit`` on the named dataset.

Every trial trains on one glassnet thread, wherever it runs (here, a worker process, a Ray
task): the same settings give the same numbers, bit for bit.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import inspect
import json
import math
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import optimizers, parallel, zoo
from ..callbacks import LearningRateScheduler
from ..data import dataset_key
from ..fileio import write_atomic
from ..version import __version__
from .grid import TRAIN_OPTIONS

LOG_NAME = "log.txt"
"""What a trial printed (the training's lines, a failure's traceback), in its folder."""

_LOWER_IS_BETTER = ("loss", "mae", "mse", "error")


def init_worker() -> None:
    """Set up a worker process: one glassnet thread; Ctrl-C is the parent's to handle (it ends the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["GLASSNET_NUM_THREADS"] = "1"
    parallel.set_num_threads(1)


def load_builder(reference: str) -> Callable[..., Any]:
    """'my_nets.py:build' (a file) or 'package.module:build' (importable) -> the function it names."""
    where, _, name = reference.rpartition(":")
    if where.endswith(".py"):
        path = Path(where).resolve()
        spec = importlib.util.spec_from_file_location(f"glassnet_sweep_models_{path.stem}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = sys.modules.get(spec.name)
        if module is None or getattr(module, "__file__", None) != str(path):
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    builder = module
    for part in name.split("."):
        builder = getattr(builder, part)
    if not callable(builder):
        raise TypeError(f"{reference} is not a function")
    return builder


def builder_parameters(builder: Callable[..., Any]) -> list[str]:
    """The keyword arguments a model-building function accepts."""
    return [p.name for p in inspect.signature(builder).parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _train_arguments(settings: Mapping[str, Any], folder: Path, resume: bool) -> argparse.Namespace:
    """The arguments 'glassnet train' would parse for these settings (quiet, no figures, into ``folder``)."""
    options = {name: (False if kind is bool else None) for name, kind in TRAIN_OPTIONS.items()}
    options.update({k: v for k, v in settings.items() if k in TRAIN_OPTIONS and v is not None})
    if resume:  # the run's settings come from its checkpoint; repeating them is allowed, changing them is not
        options["course"] = False
    return argparse.Namespace(model=settings["model"], out=str(folder), no_figures=True, quiet=True, resume=resume,
                              lang=None, **options)


def _train_zoo_model(settings: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """'glassnet train' for this trial (continued from its checkpoint if one is there); returns its history.json."""
    from ..cli.checkpoint import CHECKPOINT_NAME  # the command's code, loaded only when a trial runs
    from ..cli.train import cmd_train
    for stale in ("history.json", "model.safetensors"):  # a failed try's leftovers are not this run's
        (folder / stale).unlink(missing_ok=True)
    cmd_train(_train_arguments(settings, folder, resume=(folder / CHECKPOINT_NAME).exists()))
    return json.loads((folder / "history.json").read_text(encoding="utf-8"))


def _train_built_model(builder: Callable[..., Any], settings: Mapping[str, Any], folder: Path) -> dict[str, Any]:
    """Build with the user's function, fit on the settings' dataset, evaluate, save; returns history.json's dict."""
    from ..cli.checkpoint import json_history, save_with_metadata
    from ..cli.common import class_names_of, load_dataset
    from ..cli.evaluate import evaluation_report
    if not settings.get("dataset"):
        raise ValueError("a model-building function needs a dataset: give --dataset NAME (or dataset=...)")
    name = dataset_key(str(settings["dataset"]))
    ds = load_dataset(name, settings.get("limit"))
    x_train, x_test = np.asarray(ds.x_train), np.asarray(ds.x_test)
    class_names = class_names_of(ds)
    seed = int(settings.get("seed") or 0)
    given = {"seed": seed, "input_shape": tuple(int(d) for d in x_train.shape[1:]),
             **({"num_classes": len(class_names)} if class_names else {}), **settings}
    accepted = builder_parameters(builder)
    model = builder(**{k: v for k, v in given.items() if k in accepted})
    training = zoo.SYNTHETIC_TRAINING if class_names else zoo.LINEAR_REGRESSION_LESSON
    epochs = int(settings.get("epochs") or training.epochs)
    lr = float(settings.get("lr") or training.lr)
    if not model.compiled:
        model.compile(optimizer=optimizers.get(str(settings.get("optimizer") or training.optimizer), lr=lr),
                      loss="cross_entropy" if class_names else "mse", metrics=["accuracy" if class_names else "mae"])
    callbacks = [LearningRateScheduler(zoo.cosine_schedule(lr, epochs) if settings.get("schedule") == "cosine"
                                       else (lambda epoch, rate: rate))]
    start = time.perf_counter()
    history = model.fit(x_train, ds.y_train, epochs=epochs, batch_size=int(settings.get("batch_size") or 32),
                        validation_split=float(settings.get("validation_split") or 0.0), shuffle=True, verbose=0,
                        callbacks=callbacks)
    seconds = time.perf_counter() - start
    _, numbers = evaluation_report(model, x_test, ds.y_test, class_names)
    save_with_metadata(model, folder / "model.safetensors", {"model": settings["model"], "dataset": name,
                                                             "class_names": class_names})
    run = {**dict(settings), "train_seconds": round(seconds, 3), "history": json_history(history.history),
           **{k: v for k, v in numbers.items() if k != "class_names"}}
    write_atomic(folder / "history.json", json.dumps(run, indent=2) + "\n")
    return run


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def summarize(run: Mapping[str, Any]) -> dict[str, Any]:
    """A finished run's numbers: its test_* results, final_<metric> and best_<metric> of every history column."""
    numbers = {k: float(v) for k, v in run.items() if k.startswith("test_") and isinstance(v, (int, float))}
    history = {k: [_number(x) for x in vs] for k, vs in dict(run.get("history") or {}).items() if k != "lr"}
    for key, values in history.items():
        finite = [v for v in values if math.isfinite(v)]
        if not values:
            continue
        numbers[f"final_{key}"] = values[-1]
        if finite:
            lower = any(word in key for word in _LOWER_IS_BETTER)
            numbers[f"best_{key}"] = min(finite) if lower else max(finite)
    numbers["epochs_run"] = max((len(v) for v in history.values()), default=0)
    numbers["train_seconds"] = _number(run.get("train_seconds"))
    return numbers


def run_trial(task: Mapping[str, Any]) -> dict[str, Any]:
    """Run one trial ``task`` ({'settings', 'folder', 'key', 'name', 'builder'}) on one thread; return its row.

    A failure is recorded in the row (status 'failed', the error in one line; the traceback in
    the folder's log.txt); only KeyboardInterrupt goes up.
    """
    from ..cli.common import one_line

    settings, folder = dict(task["settings"]), Path(task["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    threads = parallel.get_num_threads()
    parallel.set_num_threads(1)
    row: dict[str, Any] = {"trial": task["name"], "key": task["key"], "status": "ok", "error": "",
                           "settings": settings, "glassnet_version": __version__}
    start = time.perf_counter()
    try:
        with open(folder / LOG_NAME, "a", encoding="utf-8") as log, \
                contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            try:
                builder = task.get("builder")
                if builder is None and ":" in str(settings["model"]):
                    builder = load_builder(str(settings["model"]))
                run = _train_built_model(builder, settings, folder) if builder is not None \
                    else _train_zoo_model(settings, folder)
                row.update(summarize(run), history=run.get("history") or {})
            except Exception as error:  # noqa: BLE001 - any failure of the trial is its result
                traceback.print_exc()
                row.update(status="failed", error=f"{type(error).__name__}: {one_line(str(error))}"[:500])
    finally:
        parallel.set_num_threads(threads)
    row["seconds"] = round(time.perf_counter() - start, 3)
    row["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    return row


def failed_row(task: Mapping[str, Any], error: BaseException) -> dict[str, Any]:
    """The row of a trial whose worker could not report (it died, or its result could not be sent)."""
    from ..cli.common import one_line

    return {"trial": task["name"], "key": task["key"], "status": "failed", "settings": dict(task["settings"]),
            "error": f"{type(error).__name__}: {one_line(str(error)) or 'the worker ended'}"[:500],
            "glassnet_version": __version__, "seconds": math.nan, "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
