"""What every ``glassnet`` sub-command shares: exit statuses, the user-facing error, printing, finding models and datasets."""
from __future__ import annotations

import sys
from typing import Any

from .. import data, zoo
from ..data.errors import DatasetNotFoundError
from ..i18n import tr

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + 2, 128 + 15  # the shell's status for SIGINT, SIGTERM


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status ``status``.

    ``localized``: the message is already in the language in use (from the catalogue), so it
    is printed without the leading sentence glassnet.cli.main puts before other errors.
    """

    def __init__(self, message: str, status: int = EXIT_ERROR, localized: bool = False):
        super().__init__(message)
        self.status = status
        self.localized = localized


def say(message: str = "") -> None:
    """Print a line of the command's result (stdout), at once."""
    print(message, flush=True)


def note(message: str) -> None:
    """Something the user should know that is not the command's result (goes to stderr)."""
    print(f"glassnet: {message}", file=sys.stderr, flush=True)


def one_line(message: str) -> str:
    """Join a multi-line message into one line, leaving out '  - item' list lines (searched folders, mirrors)."""
    lines = [line.strip() for line in message.strip().splitlines()]
    kept = [line for line in lines if line and not line.startswith("- ")] or [line for line in lines if line]
    return " ".join(kept)


def short_dataset_message(error: BaseException) -> str | None:
    """'X was not found locally and could not be downloaded. To use local copies, ...' for a missing dataset."""
    if not isinstance(error, DatasetNotFoundError):
        return None
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    what = lines[0].split(". ")[0].rstrip(".") if lines else "the dataset was not found"
    advice = next((line for line in lines if line.startswith("To use local copies")), "")
    return tr("error:dataset_missing", what=what, advice=advice).strip()


def model_spec(name: str) -> zoo.ModelSpec:
    """The zoo's entry for model ``name``; a CLIError listing the zoo if there is none."""
    if name not in zoo.MODELS:
        raise CLIError(tr("error:unknown_model", name=name, models=", ".join(zoo.MODELS)), localized=True)
    return zoo.MODELS[name]


def load_dataset(name: str, limit: int | None = None) -> Any:
    """Load a registered dataset by name, optionally keeping only its first ``limit`` samples per split."""
    ds: Any = data.load(name)
    if limit:
        ds = LimitedDataset(ds, limit)
    return ds


class LimitedDataset:
    """A view of a dataset keeping the first ``limit`` training and test samples (for quick runs)."""

    def __init__(self, ds: Any, limit: int):
        if limit <= 0:
            raise CLIError(f"--limit must be a positive number of samples, got {limit}")
        self._ds = ds
        self.x_train, self.y_train = ds.x_train[:limit], ds.y_train[:limit]
        test = max(1, limit // 2)
        self.x_test, self.y_test = ds.x_test[:test], ds.y_test[:test]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ds, name)


def class_names_of(ds: Any) -> list[str] | None:
    """The dataset's class names as strings; None for a dataset without them, whose targets are numbers."""
    names = getattr(ds, "class_names", None)
    return [str(c) for c in names] if names else None
