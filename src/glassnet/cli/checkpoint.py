"""The checkpoint of ``glassnet train``: saved after every epoch, read back by ``--resume``."""
from __future__ import annotations

import argparse
import math
import shlex
import time
from pathlib import Path
from typing import Any

from ..callbacks import Callback
from ..data import dataset_key
from ..i18n import tr
from ..io import read_metadata, save_model
from .common import CLIError

CHECKPOINT_NAME = "checkpoint.safetensors"
"""What ``glassnet train`` keeps in --out after every epoch, until the run has finished."""

RUN_KEYS = ("model", "dataset", "limit", "epochs", "batch_size", "lr", "optimizer", "validation_split", "seed",
            "augment_option")
"""The settings a checkpoint records (with 'history' and 'train_seconds')."""

RESUMED_OPTIONS = (("dataset", "--dataset"), ("batch_size", "--batch-size"), ("lr", "--lr"),
                   ("optimizer", "--optimizer"), ("seed", "--seed"), ("validation_split", "--validation-split"),
                   ("limit", "--limit"))
"""Options whose value a resumed run takes from its checkpoint (another value would change the run)."""


def save_with_metadata(model: Any, path: Path, metadata: dict[str, Any]) -> None:
    """Save the model (atomically, by glassnet.io) with the class names and dataset in its metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(model, path, metadata=metadata)


def json_history(history: dict[str, list[float]]) -> dict[str, list[float | str]]:
    """The history with NaN and infinities as strings ('nan', 'inf'), which JSON cannot hold as numbers."""
    return {k: [float(v) if math.isfinite(v) else str(float(v)) for v in vs] for k, vs in history.items()}


class RunCheckpoint(Callback):
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
        run = {**self.run, "history": json_history(self.history), "train_seconds": round(self.seconds(), 3)}
        save_with_metadata(self.model, self.path, {**self.metadata, "run": run})
        self.epoch = None


def checkpoint_run(path: Path) -> dict[str, Any] | None:
    """The run recorded in a checkpoint ({'model', 'epochs', ..., 'epochs_trained'}), or None if it cannot be read."""
    try:
        meta = read_metadata(path)
        run = dict(meta["user"]["run"])
        run["epochs_trained"] = int(meta["training"]["epochs_trained"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return run if all(key in run for key in RUN_KEYS) else None


def epochs_text(count: int) -> str:
    """'epoch 1' or 'epochs 1-3': the epochs a checkpoint holds."""
    return "epoch 1" if count == 1 else f"epochs 1-{count}"


def resume_settings(args: argparse.Namespace, checkpoint: Path) -> dict[str, Any]:
    """The settings of the unfinished run in ``checkpoint``; error if there is none or the options contradict it."""
    if not checkpoint.is_file():
        raise CLIError(tr("error:nothing_to_resume", checkpoint=checkpoint), localized=True)
    run = checkpoint_run(checkpoint)
    if run is None:
        read_metadata(checkpoint)  # raises the reason a model file cannot be read, if there is one
        raise CLIError(f"{checkpoint} is a model file but not a checkpoint of 'glassnet train'; expected the run's "
                       "settings in its metadata")
    if run["model"] != args.model:
        raise CLIError(f"{checkpoint} is a run of model {run['model']!r}, not {args.model!r}; resume it with "
                       f"'glassnet train {run['model']} --out {shlex.quote(str(checkpoint.parent))} --resume'")
    for key, option in RESUMED_OPTIONS:
        given = getattr(args, key)
        if key == "dataset" and given is not None:
            given = dataset_key(given)
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
