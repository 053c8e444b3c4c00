"""The ``glassnet`` command: train, evaluate, predict with, and describe the course's models.

    glassnet train lenet5 --out runs/lenet5          # the main job
    glassnet evaluate runs/lenet5/model.safetensors --dataset mnist
    glassnet predict runs/lenet5/model.safetensors digit.png
    glassnet summary vgg16
    glassnet import-torch lenet.safetensors --model lenet5 --out lenet5.safetensors   # PyTorch weights
    glassnet export lenet5.safetensors --onnx lenet5.onnx   # ONNX (onnxruntime, Netron); --torch: a state_dict
    glassnet datasets
    glassnet models
    glassnet viz curves runs/lenet5/history.json    # figures (glassnet.viz.commands)
    glassnet demo runs/lenet5/model.safetensors     # draw a digit (glassnet.demo.commands)

The package: ``parser`` (the sub-commands and their options), ``train`` and
``checkpoint``, ``evaluate``, ``predict``, ``import_torch``, ``export``, ``listing`` (summary, datasets, models),
``common`` (exit statuses, errors, printing); here, ``main``.

Errors a user can cause (an unknown name, a missing file, a model that does not fit
a dataset) are printed as one line, ``glassnet: error: ...``, with exit status 1;
argparse's own usage errors exit with status 2. Ctrl-C exits with status 130 and
SIGTERM with 143, after the files being written are cleaned up; ``glassnet train``
keeps the epochs it finished in ``--out``/checkpoint.safetensors and ``--resume``
continues from there.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ..data.errors import DatasetError
from ..i18n import set_language, tr
from .checkpoint import CHECKPOINT_NAME
from .common import (EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_TERMINATED, EXIT_USAGE, CLIError, one_line,
                     short_dataset_message)
from .help_text import language_in
from .parser import build_parser

__all__ = ["CHECKPOINT_NAME", "CLIError", "Terminated", "build_parser", "main"]


class Terminated(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM, so that files being written are cleaned up as after Ctrl-C."""


def _expected_errors() -> tuple[type[BaseException], ...]:
    """The errors a user can cause, printed as one line instead of a traceback."""
    return CLIError, ValueError, KeyError, OSError, MemoryError, OverflowError, DatasetError


def _leading_sentence(error: BaseException) -> str:
    """The catalogue's first words for this kind of error ('' in English, whose messages say it themselves)."""
    if getattr(error, "localized", False):
        return ""
    for kind in type(error).__mro__:
        if f"error:{kind.__name__}" in _ERROR_KEYS:
            return tr(f"error:{kind.__name__}")
    return ""


_ERROR_KEYS = {f"error:{name}" for name in ("CLIError", "ValueError", "KeyError", "FileNotFoundError", "OSError",
                                              "MemoryError", "DatasetError")}


def _error_line(error: BaseException) -> str:
    """What went wrong, in one line, led by the sentence of its kind in the language in use."""
    return _leading_sentence(error) + _error_detail(error)


def _error_detail(error: BaseException) -> str:
    """What went wrong, in one line."""
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    if isinstance(error, OSError) and error.filename and error.strerror:
        message = f"{error.strerror}: {error.filename}"  # rather than "[Errno 2] No such file ..."
    if isinstance(error, MemoryError):  # numpy: "Unable to allocate 7.28 TiB for an array with shape ..."
        message = f"not enough memory: {message}" if message else "not enough memory"
    return short_dataset_message(error) or one_line(str(message)) or type(error).__name__


def _raise_terminated(signum: int, frame: Any) -> None:
    """SIGTERM handler: unwind the main thread as Ctrl-C does (a second SIGTERM meanwhile is ignored)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated()


def _run(args: argparse.Namespace) -> int:
    """Run the sub-command; SIGTERM becomes a Terminated exception while it runs (main thread only)."""
    if getattr(args, "lang", None):  # --lang: this command's language, the one before it restored afterwards
        before = set_language(args.lang)
        try:
            return _run(argparse.Namespace(**{**vars(args), "lang": None}))
        finally:
            set_language(before)
    if threading.current_thread() is not threading.main_thread():
        return int(args.func(args) or EXIT_OK)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return int(args.func(args) or EXIT_OK)
    finally:
        signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``glassnet`` command with ``argv`` (default: sys.argv[1:]); return the exit status.

    ``--lang`` is read first, so that the help and argparse's texts are in that language too.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = language_in(argv)
    if lang is None:
        return _main(argv)
    before = set_language(lang)
    try:
        return _main(argv)
    finally:
        set_language(before)


def _main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code) if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        return _run(args)
    except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM (Terminated): the files being written are cleaned up
        what = tr("error:terminated") if isinstance(error, Terminated) else tr("error:interrupted")
        detail = str(error)
        print(f"glassnet: {what}" + (f" {detail}" if detail else ""), file=sys.stderr, flush=True)
        return EXIT_TERMINATED if isinstance(error, Terminated) else EXIT_INTERRUPTED
    except BrokenPipeError:  # 'glassnet ... | head': the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except _expected_errors() as error:
        print(f"glassnet: {tr('error:prefix')}{_error_line(error)}", file=sys.stderr)
        return getattr(error, "status", EXIT_ERROR)
