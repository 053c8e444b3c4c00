"""What every callback is made of: the ``Callback`` hooks, the ``CallbackList`` that calls them, ``Monitor``.

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

Callbacks know the model only through ``self.model``'s methods (``save``, ``get_weights``,
``optimizer`` ...): no callback module imports the model, the training loop or io.
"""
from __future__ import annotations

import math
from typing import Any

__all__ = ["Callback", "CallbackList", "Monitor"]


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
    """Calls the same hook on every callback, in the order given (``fit`` decides it: see ``fit_callbacks``)."""

    def __init__(self, callbacks: list[Callback], model: Any, params: dict[str, Any]):
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be glassnet.callbacks.Callback objects, got {type(cb).__name__}")
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def on_train_begin(self) -> None:
        """Every callback's ``on_train_begin``."""
        for cb in self.callbacks:
            cb.on_train_begin()

    def on_train_end(self) -> None:
        """Every callback's ``on_train_end``."""
        for cb in self.callbacks:
            cb.on_train_end()

    def on_epoch_begin(self, epoch: int) -> None:
        """Every callback's ``on_epoch_begin``."""
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        """Every callback's ``on_epoch_end``, all with the same logs dict (a callback may add 'lr' to it)."""
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int) -> None:
        """Every callback's ``on_batch_begin``."""
        for cb in self.callbacks:
            cb.on_batch_begin(batch)

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> None:
        """Every callback's ``on_batch_end``."""
        for cb in self.callbacks:
            cb.on_batch_end(batch, logs)


def _resolve_mode(mode: str, monitor: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
    return mode


class Monitor(Callback):
    """Shared logic of callbacks that watch one logged value for improvement (EarlyStopping, ReduceLROnPlateau, ...)."""

    def __init__(self, monitor: str, mode: str, min_delta: float):
        super().__init__()
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor)
        self.min_delta = abs(float(min_delta))
        self.best = self._worst()

    def _worst(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    def _check_monitor_available(self) -> None:
        available = self.params.get("metrics")
        if available is not None and self.monitor not in available:
            hint = " (give validation_split or validation_data to get val_ values)" if self.monitor.startswith("val_") else ""
            raise ValueError(
                f"{type(self).__name__} monitors {self.monitor!r}, which this fit does not log{hint}; "
                f"expected one of {list(available)}"
            )

    def _start_watching(self) -> None:
        """At the start of fit: check the monitored value is logged, forget the best value and the wait."""
        self._check_monitor_available()
        self.wait = 0
        self.best = self._worst()

    def _improved(self, value: float) -> bool:
        if value is None or not math.isfinite(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta
