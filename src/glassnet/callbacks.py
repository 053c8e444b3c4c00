"""Callbacks: small objects ``fit`` calls at fixed points of training.

The training loop calls, in this order::

    on_train_begin()
    for each epoch:   on_epoch_begin(epoch)
        for each batch:   on_batch_begin(batch), the step, on_batch_end(batch, logs)   # running means so far
        on_epoch_end(epoch, logs)                         # loss, accuracy, val_loss, ...
    on_train_end()

``epoch`` and ``batch`` count from 0 (messages show them from 1, as Keras does).
A callback reaches the model through ``self.model`` and stops training by setting
``self.model.stop_training = True``. Set in a batch hook, it cuts the epoch short:
``on_epoch_end`` still gets the logs of the batches run, but ``model.epochs_trained``
does not count that epoch. ``self.params`` holds epochs, steps, batch_size, samples,
verbose and the list of log keys ("metrics").
"""
from __future__ import annotations

import math
import sys
import time
import warnings
from typing import Any, Callable, TextIO

import numpy as np

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
]


class Callback:
    """Base class: override the hooks you need; ``self.model`` and ``self.params`` are set by ``fit``."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        """Attach the model being trained."""
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """Receive epochs, steps, batch_size, samples, verbose, metrics (the log keys)."""
        self.params = params

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Called once before the first epoch."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """Called once after the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Called before epoch ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Called after epoch ``epoch`` with its loss, metrics and val_ values."""

    def on_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called before batch ``batch`` (0-based) of the current epoch."""

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called after each training batch; logs hold the epoch's running means so far."""


class CallbackList:
    """Calls the same hook on every callback, in order."""

    def __init__(self, callbacks: list[Callback], model: Any, params: dict[str, Any]):
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be glassnet.callbacks.Callback objects, got {type(cb).__name__}")
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def __getattr__(self, hook: str) -> Callable[..., None]:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args: Any) -> None:
            for cb in self.callbacks:
                getattr(cb, hook)(*args)

        return call


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


def _format_value(value: float) -> str:
    """Keras's number format: 4 decimals, or scientific notation for tiny values."""
    if isinstance(value, (float, np.floating)) and value != 0 and abs(value) < 1e-3:
        return f"{value:.4e}"
    return f"{value:.4f}"


def _format_logs(logs: dict[str, float], skip: tuple[str, ...] = ("batch", "size")) -> str:
    return "".join(f" - {key}: {_format_value(value)}" for key, value in logs.items() if key not in skip)


def _format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _format_step_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class ProgressBar(Callback):
    """Keras-style progress: a bar redrawn within each epoch, then one line per epoch with the metrics.

    ``verbose=1``: on a terminal the bar is redrawn in place (with ``\\r``); when the
    output is a file or a pipe only the final line of each epoch is written, so logs
    stay readable. ``verbose=2``: one line per epoch, no bar. ``verbose=0``: nothing.
    """

    BAR_WIDTH = 30
    REFRESH_SECONDS = 0.1

    def __init__(self, verbose: int = 1, stream: TextIO | None = None):
        super().__init__()
        self.verbose = int(verbose)
        self.stream = stream

    def _out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stdout

    def on_train_begin(self, logs=None) -> None:
        stream = self._out()
        isatty = getattr(stream, "isatty", None)
        self.dynamic = bool(isatty and isatty())

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch_start = time.perf_counter()
        self.last_draw = 0.0
        self.seen_steps = 0
        if self.verbose == 1:
            self._write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}\n")

    def _bar(self, step: int, steps: int) -> str:
        width = len(str(steps))
        if step >= steps:
            bar = "=" * self.BAR_WIDTH
        else:
            filled = self.BAR_WIDTH * step // max(steps, 1)
            bar = ("=" * filled + ">").ljust(self.BAR_WIDTH, ".")
        return f"{step:>{width}}/{steps} [{bar}]"

    def on_batch_end(self, batch, logs=None) -> None:
        self.seen_steps = batch + 1
        if self.verbose != 1 or not self.dynamic:
            return
        now = time.perf_counter()
        steps = int(self.params.get("steps") or 0)
        if now - self.last_draw < self.REFRESH_SECONDS and batch + 1 < steps:
            return
        self.last_draw = now
        elapsed = now - self.epoch_start
        eta = elapsed / (batch + 1) * max(steps - batch - 1, 0)
        self._write(f"\r{self._bar(batch + 1, steps)} - ETA: {_format_duration(eta)}{_format_logs(logs or {})}\033[K")

    def on_epoch_end(self, epoch, logs=None) -> None:
        if self.verbose <= 0:
            return
        elapsed = time.perf_counter() - self.epoch_start
        steps = int(self.params.get("steps") or self.seen_steps or 1)
        timing = f"{_format_duration(elapsed)} {_format_step_time(elapsed / max(self.seen_steps, 1))}"
        if self.verbose == 1:
            prefix = "\r" if self.dynamic else ""
            line = f"{prefix}{self._bar(self.seen_steps, steps)} - {timing}{_format_logs(logs or {})}"
            self._write(line + ("\033[K" if self.dynamic else "") + "\n")
        else:
            self._write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')} - {timing}{_format_logs(logs or {})}\n")

    def _write(self, text: str) -> None:
        stream = self._out()
        stream.write(text)
        stream.flush()


def _resolve_mode(mode: str, monitor: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
    return mode


class _Monitor(Callback):
    """Shared logic of callbacks that watch one logged value for improvement."""

    def __init__(self, monitor: str, mode: str, min_delta: float):
        super().__init__()
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor)
        self.min_delta = abs(float(min_delta))
        self.best = math.inf if self.mode == "min" else -math.inf

    def _check_monitor_available(self) -> None:
        available = self.params.get("metrics")
        if available is not None and self.monitor not in available:
            hint = " (give validation_split or validation_data to get val_ values)" if self.monitor.startswith("val_") else ""
            raise ValueError(
                f"{type(self).__name__} monitors {self.monitor!r}, which this fit does not log{hint}; "
                f"expected one of {list(available)}"
            )

    def _improved(self, value: float) -> bool:
        if value is None or not math.isfinite(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
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
        self._check_monitor_available()
        self.wait = 0
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        self.best = math.inf if self.mode == "min" else -math.inf
        if self.baseline is not None:
            self.best = float(self.baseline)

    def on_epoch_end(self, epoch, logs=None) -> None:
        value = (logs or {}).get(self.monitor)
        if self._improved(value):
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
                print(f"Restoring the weights of epoch {self.best_epoch + 1} ({self.monitor} = {self.best:.4f})")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(_Monitor):
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
        from .io import save_model  # io imports the model module; import here to keep layers acyclic

        logs = logs or {}
        if self.save_best_only:
            value = logs.get(self.monitor)
            if not self._improved(value):
                return
            self.best = float(value)
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if not all(np.isfinite(w).all() for w in self.model.get_weights()):
            # save_model refuses such weights; training goes on (TerminateOnNaN is the way to stop it).
            warnings.warn(f"ModelCheckpoint: epoch {epoch + 1} not saved to {path}: the weights hold NaN or inf "
                          "(training diverged; add TerminateOnNaN to stop at the last good step)", stacklevel=2)
            return
        save_model(self.model, path, include_optimizer=self.save_optimizer)
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
        if loss is not None and not math.isfinite(loss):
            problem = f"invalid loss ({loss})"
        else:  # a finite loss can still give an update that overflows
            problem = self._non_finite_weight()
            if problem is None:
                self._keep()
                self._good_step = (self.epoch, batch)
                return
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
        from .training import first_non_finite  # training imports this module

        for layer in self.model.layers:
            for store in (layer.params, layer.buffers):
                for key, value in store.items():
                    found = first_non_finite(value)
                    if found is not None:
                        return f"weight {key!r} of {layer.describe()} became {found[1]} in the update"
        return None


def _check_lr(lr: Any, who: str) -> float:
    try:
        value = float(lr)
    except (TypeError, ValueError):
        raise ValueError(f"{who} returned {lr!r}; expected a learning rate (a positive float)") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{who} returned {value}; expected a finite learning rate >= 0")
    return value


class LearningRateScheduler(Callback):
    """Set the optimizer's ``lr`` before each epoch to ``schedule(epoch, lr)``; logs it as 'lr'."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError("LearningRateScheduler needs a function schedule(epoch, lr) -> lr")
        self.schedule = schedule
        self.verbose = int(verbose)

    def on_epoch_begin(self, epoch, logs=None) -> None:
        optimizer = self.model.optimizer
        lr = _check_lr(self.schedule(epoch, float(optimizer.lr)), f"schedule({epoch}, lr)")
        optimizer.lr = lr
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate = {lr:.6g}")

    def on_epoch_end(self, epoch, logs=None) -> None:
        if logs is not None:
            logs["lr"] = float(self.model.optimizer.lr)


class StepDecay(LearningRateScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (PyTorch's StepLR).

    The rule is applied to the current rate (lr · gamma at epochs step_size, 2·step_size, ...),
    so a run resumed from a saved model (which stores the rate) continues the same schedule.
    """

    def __init__(self, step_size: int, gamma: float = 0.1, verbose: int = 0):
        if int(step_size) <= 0:
            raise ValueError(f"StepDecay step_size must be a positive number of epochs, got {step_size}")
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(self._rule, verbose)

    def _rule(self, epoch: int, lr: float) -> float:
        return lr * self.gamma if epoch > 0 and epoch % self.step_size == 0 else lr


class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving for ``patience`` epochs."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        verbose: int = 0,
    ):
        super().__init__(monitor, mode, min_delta)
        if not 0 < float(factor) < 1:
            raise ValueError(f"ReduceLROnPlateau factor must be in (0, 1), got {factor}")
        self.factor, self.patience, self.cooldown = float(factor), int(patience), int(cooldown)
        self.min_lr, self.verbose = float(min_lr), int(verbose)

    def on_train_begin(self, logs=None) -> None:
        self._check_monitor_available()
        self.wait, self.cooldown_left = 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["lr"] = float(optimizer.lr)
        value = logs.get(self.monitor)
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if self._improved(value):
            self.best, self.wait = float(value), 0
            return
        if self.cooldown_left > 0:
            return
        self.wait += 1
        if self.wait >= self.patience:
            new_lr = max(float(optimizer.lr) * self.factor, self.min_lr)
            if new_lr < float(optimizer.lr):
                optimizer.lr = new_lr
                if self.verbose:
                    print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr:.6g}")
            self.cooldown_left, self.wait = self.cooldown, 0


def default_callbacks(callbacks: list[Callback] | None, verbose: int) -> tuple[History, list[Callback]]:
    """History first, the user's callbacks, then a ProgressBar when verbose > 0 (unless one is given)."""
    callbacks = list(callbacks or [])
    history = History()
    if verbose and not any(isinstance(cb, ProgressBar) for cb in callbacks):
        callbacks.append(ProgressBar(verbose))
    return history, [history, *callbacks]

