"""Learning-rate schedules as callbacks: a function of the epoch, a step decay, a cut on a plateau.

Each sets ``model.optimizer.lr`` and logs the rate at the end of the epoch under the name
the optimizer was given it with (``rate_key``): 'learning_rate', as Keras 3 logs it, or 'lr'
for an optimizer made with ``lr=`` (so the zoo's and the CLI's histories keep their 'lr'
column). The rate is saved with the optimizer, so a resumed run continues the same schedule.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from .callback_base import Callback, Monitor

__all__ = ["LearningRateScheduler", "StepDecay", "ReduceLROnPlateau", "rate_key"]


def rate_key(optimizer: Any) -> str:
    """The log key of the learning rate: 'lr' for an optimizer made with lr=, else Keras's 'learning_rate'."""
    return getattr(optimizer, "rate_name", "learning_rate")


def _check_lr(lr: Any, who: str) -> float:
    try:
        value = float(lr)
    except (TypeError, ValueError):
        raise ValueError(f"{who} returned {lr!r}; expected a learning rate (a positive float)") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{who} returned {value}; expected a finite learning rate >= 0")
    return value


class LearningRateScheduler(Callback):
    """Set the optimizer's ``lr`` before each epoch to ``schedule(epoch, lr)``; logs it (see ``rate_key``)."""

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
            logs[rate_key(self.model.optimizer)] = float(self.model.optimizer.lr)


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


class ReduceLROnPlateau(Monitor):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving for ``patience`` epochs."""

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, mode: str = "auto",
                 min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0, verbose: int = 0):
        super().__init__(monitor, mode, min_delta)
        if not 0 < float(factor) < 1:
            raise ValueError(f"ReduceLROnPlateau factor must be in (0, 1), got {factor}")
        self.factor, self.patience, self.cooldown = float(factor), int(patience), int(cooldown)
        self.min_lr, self.verbose = float(min_lr), int(verbose)

    def on_train_begin(self, logs=None) -> None:
        self._start_watching()
        self.cooldown_left = 0

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs[rate_key(optimizer)] = float(optimizer.lr)
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
