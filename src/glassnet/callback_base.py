"""What every callback is made of: the ``Callback`` hooks, the ``CallbackList`` that calls them, ``Monitor``.

The hooks have Keras's names. ``fit`` calls, in this order::

    on_train_begin()
    for each epoch:   on_epoch_begin(epoch)
        for each batch:   on_train_batch_begin(batch), the step, on_train_batch_end(batch, logs)  # running means
        with validation data:  on_test_begin(), on_test_batch_begin/end(batch, logs) per batch, on_test_end(logs)
        on_epoch_end(epoch, logs)                         # loss, accuracy, val_loss, ...
    on_train_end()

``evaluate(..., callbacks=...)`` calls on_test_begin, on_test_batch_begin/end and
on_test_end; ``predict(..., callbacks=...)`` on_predict_begin, on_predict_batch_begin/end
(logs {'outputs': the batch's outputs}) and on_predict_end. ``on_batch_begin`` /
``on_batch_end`` (glassnet's older names, also Keras's) are aliases: the default
``on_train_batch_*`` calls them, so a callback defining either name is called once per
batch. A callback defining an ``on_*`` method that is none of these hooks (a typo, or a
hook of another library) gets a warning naming it, once per class and method.

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

import difflib
import math
import warnings
from typing import Any

__all__ = ["Callback", "CallbackList", "Monitor", "HOOKS"]

HOOKS = frozenset({
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin",
    "on_test_batch_end", "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end",
})
"""Every hook glassnet calls (Keras 3's set)."""

_warned: set[tuple[type, str]] = set()  # (callback class, method) already warned about


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
        """Called before training batch ``batch`` (0-based) of the current epoch, by ``on_train_batch_begin``."""

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called after each training batch, by ``on_train_batch_end``; logs hold the epoch's running means so far."""

    def on_train_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called before training batch ``batch``; by default calls ``on_batch_begin`` (as Keras)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called after training batch ``batch``; by default calls ``on_batch_end`` (as Keras)."""
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs: dict[str, float] | None = None) -> None:
        """Called before ``evaluate``, and before the validation pass of each epoch of ``fit``."""

    def on_test_end(self, logs: dict[str, float] | None = None) -> None:
        """Called after ``evaluate`` or a validation pass, with its loss and metrics (no val_ prefix)."""

    def on_test_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called before each batch of ``evaluate`` or of a validation pass."""

    def on_test_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called after each batch of ``evaluate`` or of a validation pass; logs hold the running means."""

    def on_predict_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called before ``predict``."""

    def on_predict_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called after ``predict``."""

    def on_predict_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before each batch of ``predict``."""

    def on_predict_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after each batch of ``predict``; logs {'outputs': the batch's outputs (B, *output_shape)}."""


def warn_unknown_hooks(callback: Callback) -> None:
    """Warn, once per class and method, about an ``on_*`` method of ``callback`` that glassnet never calls."""
    cls = type(callback)
    for name in dir(cls):
        if not name.startswith("on_") or name in HOOKS or (cls, name) in _warned or not callable(getattr(cls, name)):
            continue
        _warned.add((cls, name))
        close = difflib.get_close_matches(name, sorted(HOOKS), n=1)
        hint = f"; did you mean {close[0]}?" if close else f"; the hooks are {', '.join(sorted(HOOKS))}"
        warnings.warn(f"callback {cls.__name__} defines {name}, which glassnet never calls (it is not a Keras "
                      f"callback hook){hint}", stacklevel=4)


class CallbackList:
    """Calls the same hook on every callback, in the order given (``fit`` decides it: see ``fit_callbacks``)."""

    def __init__(self, callbacks: list[Callback], model: Any, params: dict[str, Any]):
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be glassnet.callbacks.Callback objects, got {type(cb).__name__}")
            warn_unknown_hooks(cb)
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def call(self, hook: str, *args: Any) -> None:
        """Every callback's ``hook(*args)``, e.g. ``call("on_test_batch_end", batch, logs)``."""
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self) -> None:
        """Every callback's ``on_train_begin``."""
        self.call("on_train_begin")

    def on_train_end(self) -> None:
        """Every callback's ``on_train_end``."""
        self.call("on_train_end")

    def on_epoch_begin(self, epoch: int) -> None:
        """Every callback's ``on_epoch_begin``."""
        self.call("on_epoch_begin", epoch)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        """Every callback's ``on_epoch_end``, all with the same logs dict (a callback may add the learning rate to it)."""
        self.call("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch: int) -> None:
        """Every callback's ``on_train_batch_begin`` (which calls ``on_batch_begin`` unless overridden)."""
        self.call("on_train_batch_begin", batch, {})

    def on_batch_end(self, batch: int, logs: dict[str, float]) -> None:
        """Every callback's ``on_train_batch_end`` (which calls ``on_batch_end`` unless overridden)."""
        self.call("on_train_batch_end", batch, logs)


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
