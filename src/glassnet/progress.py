"""What ``fit`` prints while it trains: Keras's progress bar, or the log lines of one of the course's own programs.

``ProgressBar`` is Keras's bar within an epoch, then one line per epoch with the metrics.
``course_log(name)`` gives the lines the course's training loops printed instead
(``glassnet train --log-format``); each format is copied from the course's documents:

* ``module7``: Module 7's and Module 8's PyTorch loop, after each epoch (``Epoch: 1        Training Loss: 0.674300``).
* ``step8``: step 8's NeuralNet, after each epoch, the epoch counted from 0 and the
  iterations so far counted from 0 as well (its run of 20 epochs of 282 steps ends
  ``epoch=19, total_iteration=5639``), then ``loss_train=…, accuracy_train=…`` and, with
  validation data, ``loss_valid=…, accuracy_valid=…``.
* ``report``: the report's PyTorch loop, ``Epoch: %d Minibatch: %5d loss: %.3f`` every 100
  minibatches (the 1st, 101st, ...) with that minibatch's own loss, and ``Finished Training``.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

import numpy as np

from .callback_base import Callback
from .i18n import tr
from .notebook import LiveText, kernel_display

__all__ = ["ProgressBar", "LOG_FORMATS", "course_log", "Module7Log", "Step8Log", "ReportLog"]


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


# ---------------------------------------------------------------------------------
# The course's own log lines
# ---------------------------------------------------------------------------------
class _CourseLines(Callback):
    """A callback that writes whole lines to ``stream`` (default: sys.stdout at the time of writing)."""

    def __init__(self, stream: TextIO | None = None):
        super().__init__()
        self.stream = stream

    def _line(self, text: str) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        stream.write(text + "\n")
        stream.flush()


class Module7Log(_CourseLines):
    """Module 7's (and Module 8's) line after each epoch: ``Epoch: 1        Training Loss: 0.674300``.

    The course printed ``'Epoch: {} \\tTraining Loss: {:.6f}'``; its documents show the tab as the
    spaces up to the next multiple of 8, and so is it written here. The loss is the epoch's mean over its samples.
    """

    def on_epoch_end(self, epoch, logs=None) -> None:
        self._line(f"Epoch: {epoch + 1} \tTraining Loss: {float((logs or {})['loss']):.6f}".expandtabs(8))


class Step8Log(_CourseLines):
    """Step 8's lines after each epoch: ``epoch=E, total_iteration=T``, ``loss_train=…, accuracy_train=…``, ``loss_valid=…``.

    E counts from 0 and T is the number of steps taken so far minus one (both as step 8 printed
    them); the training loss and accuracy are the epoch's means, the validation line comes
    with validation data. A model without an accuracy metric gets its loss alone.
    """

    def on_train_begin(self, logs=None) -> None:
        self.iterations = int(self.params.get("initial_epoch") or 0) * int(self.params.get("steps") or 0)

    def on_batch_end(self, batch, logs=None) -> None:
        self.iterations += 1

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs or {}
        self._line(f"epoch={epoch}, total_iteration={self.iterations - 1}")
        for split, prefix in (("train", ""), ("valid", "val_")):
            if prefix + "loss" in logs:
                words = f"loss_{split}={float(logs[prefix + 'loss']):.6f}"
                if prefix + "accuracy" in logs:
                    words += f", accuracy_{split}={float(logs[prefix + 'accuracy']):.6f}"
                self._line(words)


class ReportLog(_CourseLines):
    """The report's ``Epoch: %d Minibatch: %5d loss: %.3f`` every ``every`` minibatches, then ``Finished Training``.

    As its loop (``if i % 100 == 0``, i from 0) it prints minibatches 1, 101, 201, ... of each
    epoch, with that minibatch's own loss (``loss.item()``). ``fit`` hands callbacks the epoch's
    running mean; the minibatch's loss is recovered from two running means and the batch sizes.
    """

    def __init__(self, stream: TextIO | None = None, every: int = 100):
        super().__init__(stream)
        self.every = int(every)

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.epoch = epoch
        self.samples, self.mean = 0, 0.0

    def on_batch_end(self, batch, logs=None) -> None:
        logs = logs or {}
        size, mean = int(logs.get("size") or 0), float(logs.get("loss", float("nan")))
        loss = (mean * (self.samples + size) - self.mean * self.samples) / max(size, 1)
        self.samples, self.mean = self.samples + size, mean
        if batch % self.every == 0:
            self._line("Epoch: %d Minibatch: %5d loss: %.3f" % (self.epoch + 1, batch + 1, loss))

    def on_train_end(self, logs=None) -> None:
        self._line("Finished Training")


LOG_FORMATS = ("keras", "module7", "step8", "report")
"""``glassnet train --log-format``: Keras's progress bar, or the lines of the course's Module 7, step 8 or report."""
_COURSE_LOGS = {"module7": Module7Log, "step8": Step8Log, "report": ReportLog}


def course_log(name: str, stream: TextIO | None = None) -> Callback:
    """The callback printing the course's log lines ``name`` ('module7', 'step8', 'report'); pass it to ``fit``."""
    if name not in _COURSE_LOGS:
        raise ValueError(f"unknown log format {name!r}; expected one of {', '.join(_COURSE_LOGS)}")
    return _COURSE_LOGS[name](stream)
