"""The progress bar ``fit`` shows: Keras's bar within an epoch, then one line per epoch with the metrics."""
from __future__ import annotations

import sys
import time
from typing import TextIO

import numpy as np

from .callback_base import Callback
from .i18n import tr
from .notebook import LiveText, kernel_display

__all__ = ["ProgressBar"]


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
    stay readable. In a Jupyter notebook (printing to the cell, no ``stream`` given) each
    epoch is one output redrawn in place, at most ``1 / REFRESH_SECONDS`` times a second.
    ``verbose=2``: one line per epoch, no bar. ``verbose=0``: nothing.
    The words ('Epoch', 'ETA') are in the language in use (i18n: progress:*); the metric names stay the history's keys.
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
        self.display = kernel_display() if self.stream is None and self.verbose == 1 else None
        self.live: LiveText | None = None
        self.dynamic = self.display is not None or bool(isatty and isatty())

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch_start = time.perf_counter()
        self.last_draw = 0.0
        self.seen_steps = 0
        if self.verbose == 1:
            self.header = tr("progress:epoch", epoch=epoch + 1, epochs=self.params.get("epochs", "?"))
            if self.display is not None:
                self.live = LiveText(self.display, self.header)
            else:
                self._write(self.header + "\n")

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
        self._redraw(f"{self._bar(batch + 1, steps)} - {tr('progress:eta')}: {_format_duration(eta)}{_format_logs(logs or {})}")

    def on_epoch_end(self, epoch, logs=None) -> None:
        if self.verbose <= 0:
            return
        elapsed = time.perf_counter() - self.epoch_start
        steps = int(self.params.get("steps") or self.seen_steps or 1)
        timing = f"{_format_duration(elapsed)} {_format_step_time(elapsed / max(self.seen_steps, 1))}"
        if self.verbose == 1:
            line = f"{self._bar(self.seen_steps, steps)} - {timing}{_format_logs(logs or {})}"
            if self.live is not None:
                self.live.update(f"{self.header}\n{line}")
            elif self.dynamic:
                self._write(f"\r{line}\033[K\n")
            else:
                self._write(line + "\n")
        else:
            header = tr("progress:epoch", epoch=epoch + 1, epochs=self.params.get("epochs", "?"))
            self._write(f"{header} - {timing}{_format_logs(logs or {})}\n")

    def _redraw(self, line: str) -> None:
        if self.live is not None:
            self.live.update(f"{self.header}\n{line}")
        else:
            self._write(f"\r{line}\033[K")

    def _write(self, text: str) -> None:
        stream = self._out()
        stream.write(text)
        stream.flush()
