"""Keras's callbacks: History, EarlyStopping, ModelCheckpoint, TerminateOnNaN, and the order ``fit`` runs them in.

What a callback is and when each hook runs: ``glassnet.callback_base``. The progress bar
is in ``glassnet.progress``, the learning-rate schedules in ``glassnet.lr_schedules``; all
are importable from here (``glassnet.callbacks.StepDecay``). Callbacks reach the model
only through ``self.model``: ``ModelCheckpoint`` saves with ``self.model.save(...)``, so
this module imports neither the model nor io.
"""
from __future__ import annotations

import math
import sys
import warnings
from typing import TextIO

import numpy as np

from .callback_base import Callback, CallbackList, Monitor
from .lr_schedules import LearningRateScheduler, ReduceLROnPlateau, StepDecay
from .progress import ProgressBar
from .training_checks import first_non_finite

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "ProgressBar",
    "EarlyStopping",
    "ModelCheckpoint",
    "TerminateOnNaN",
    "LearningRateScheduler",
    "StepDecay",
    "ReduceLROnPlateau",
    "fit_callbacks",
]


class History(Callback):
    """Records each epoch's logs: ``history.history['val_loss']`` is a list with one value per epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None) -> None:
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epoch)}, keys=[{keys}])"


class EarlyStopping(Monitor):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights=True`` the model ends training with the weights of its
    best epoch (kept as a copy in memory).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        baseline: float | None = None,
        verbose: int = 0,
    ):
        super().__init__(monitor, mode, min_delta)
        if int(patience) < 0:
            raise ValueError(f"EarlyStopping patience must be >= 0, got {patience}")
        self.patience = int(patience)
        self.restore_best_weights = bool(restore_best_weights)
        self.baseline = baseline
        self.verbose = int(verbose)

    def on_train_begin(self, logs=None) -> None:
        self._start_watching()
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        if self.baseline is not None:
            self.best = float(self.baseline)

    def on_epoch_end(self, epoch, logs=None) -> None:
        value = (logs or {}).get(self.monitor)
        if value is not None and self._improved(value):
            self.best, self.best_epoch, self.wait = float(value), epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:  # as Keras: stop after `patience` epochs without improvement
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: early stopping ({self.monitor} did not improve for {self.wait} epochs)")

    def on_train_end(self, logs=None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring the weights of epoch {(self.best_epoch or 0) + 1} ({self.monitor} = {self.best:.4f})")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Monitor):
    """Save the model after each epoch (or only when ``monitor`` improves, with ``save_best_only``).

    ``filepath`` may hold fields filled from the epoch (1-based) and the logs, e.g.
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``. Saves are atomic (see
    ``glassnet.io``): a crash during a save leaves the previous file intact.
    """

    def __init__(
        self,
        filepath: str,
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
        save_optimizer: bool = True,
        verbose: int = 0,
    ):
        super().__init__(monitor, mode, 0.0)
        self.filepath = str(filepath)
        self.save_best_only = bool(save_best_only)
        self.save_optimizer = bool(save_optimizer)
        self.verbose = int(verbose)
        self.saved: list[str] = []

    def on_train_begin(self, logs=None) -> None:
        if self.save_best_only:
            self._check_monitor_available()

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs or {}
        if self.save_best_only:
            value = logs.get(self.monitor)
            if not self._improved(value):
                return
            self.best = float(value)
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if not all(np.isfinite(w).all() for w in self.model.get_weights()):
            # model.save refuses such weights; training goes on (TerminateOnNaN is the way to stop it).
            warnings.warn(f"ModelCheckpoint: epoch {epoch + 1} not saved to {path}: the weights hold NaN or inf "
                          "(training diverged; add TerminateOnNaN to stop at the last good step)", stacklevel=2)
            return
        self.model.save(path, include_optimizer=self.save_optimizer)
        self.saved.append(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved model to {path}")


class TerminateOnNaN(Callback):
    """Stop training at the first NaN or infinite loss (or weight), and keep the weights of the last good step.

    Unlike Keras's, which stops after the bad update is applied, this callback keeps a
    copy of the weights (params and buffers) and of the optimizer state after every
    good step (finite loss, finite weights after the update), and puts it back when a
    step goes wrong: the model ends as it was after its last good step. The epoch it
    stopped in is cut short, so
    ``model.epochs_trained`` does not count it. The copy costs memory the size of the
    weights and optimizer state, and one copy per step, only while this callback is used.
    """

    def __init__(self, stream: TextIO | None = None):
        super().__init__()
        self.stream = stream
        self.message: str | None = None
        self.stopped_at: tuple[int, int] | None = None
        """(epoch, batch), 0-based, where the loss became invalid; None if it never did."""

    def on_train_begin(self, logs=None) -> None:
        self.message, self.stopped_at, self.epoch = None, None, 0
        self._good: tuple[list[np.ndarray], dict[str, np.ndarray]] | None = None
        self._good_step: tuple[int, int] | None = None  # (epoch, batch) of the copy; None: from before this fit
        if self.model.built:
            self._keep()

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch = epoch

    def on_batch_begin(self, batch, logs=None) -> None:
        if self._good is None:  # the model is built by now, even when fit builds it from the first batch
            self._keep()

    def _keep(self) -> None:
        self._good = (self.model.get_weights(), self.model.optimizer.state_dict())

    def on_batch_end(self, batch, logs=None) -> None:
        loss = (logs or {}).get("loss")
        problem: str | None
        if loss is not None and not math.isfinite(loss):
            problem = f"invalid loss ({loss})"
        else:  # a finite loss can still give an update that overflows
            problem = self._non_finite_weight()
            if problem is None:
                self._keep()
                self._good_step = (self.epoch, batch)
                return
        assert self._good is not None  # kept in on_train_begin or on the first batch
        weights, optimizer_state = self._good
        self.model.set_weights(weights)
        self.model.optimizer.load_state_dict(optimizer_state)
        self.stopped_at = (self.epoch, batch)
        if self._good_step is None:
            kept = "the weights it had before this fit"
        else:
            kept = f"the weights of its last good step (epoch {self._good_step[0] + 1}, batch {self._good_step[1] + 1})"
        self.message = (
            f"TerminateOnNaN: {problem} at epoch {self.epoch + 1}, batch {batch + 1}; terminating training. "
            f"The model keeps {kept} and its optimizer state; epoch {self.epoch + 1} is not counted in "
            f"epochs_trained (now {self.model.epochs_trained}). Try a smaller learning rate, or check the data"
        )
        stream = self.stream if self.stream is not None else sys.stdout
        stream.write("\n" + self.message + "\n")
        stream.flush()
        self.model.stop_training = True

    def _non_finite_weight(self) -> str | None:
        """What went wrong with the first NaN or inf weight (params and buffers), or None when all are finite."""
        for layer in self.model.layers:
            for store in (layer.params, layer.buffers):
                for key, value in store.items():
                    found = first_non_finite(value)
                    if found is not None:
                        return f"weight {key!r} of {layer.describe()} became {found[1]} in the update"
        return None


def fit_callbacks(callbacks: list[Callback] | None, verbose: int) -> tuple[History, list[Callback]]:
    """(the History of this fit, every callback in the order ``fit`` calls them).

    The one place the order is decided: the user's callbacks first, in their order (they
    may add the learning rate to the logs), then History, then the progress bar (the user's own, or one
    made here when verbose > 0), so both record and print the logs the others completed.
    """
    callbacks = list(callbacks or [])
    bars = [cb for cb in callbacks if isinstance(cb, ProgressBar)]
    if verbose and not bars:
        bars = [ProgressBar(verbose)]
    history = History()
    return history, [*(cb for cb in callbacks if not isinstance(cb, ProgressBar)), history, *bars]
