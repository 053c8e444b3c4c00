"""The trials of a sweep: settings from ``--grid`` words or a TOML file, expanded into one dict per trial.

A grid word is ``NAME=VALUES``: a comma list (``lr=0.01,0.001``, ``optimizer=sgd,adam``) or an
inclusive integer range (``seed=0..4``). Numbers become int or float, ``true``/``false`` bools,
anything else stays text. The trials are the product of every grid line, the first line varying
slowest, times the explicit trials of a TOML file's ``[[trial]]`` tables (a list instead of a grid).

    >>> expand({"model": "color_dnn"}, parse_grid(["lr=0.01,0.001", "seed=0..1"]))[1]
    {'model': 'color_dnn', 'lr': 0.01, 'seed': 1}
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..i18n import tr

TRAIN_OPTIONS: dict[str, type] = {
    "dataset": str, "epochs": int, "batch_size": int, "lr": float, "optimizer": str, "schedule": str,
    "course": bool, "features": str, "seed": int, "validation_split": float, "augment": bool, "limit": int,
}
"""The options of ``glassnet train`` a sweep can set or vary (besides ``model``), by their Python name."""

SWEEP_KEYS = ("model", *TRAIN_OPTIONS)
"""Every setting a trial of a zoo model understands."""

TOML_SWEEP_KEYS = ("out", "workers", "ray", "figures")
"""Top-level keys of a sweep file that describe the sweep itself, not its trials."""

_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")


def option_name(name: str) -> str:
    """'batch-size' / '--batch-size' / 'batch_size' -> 'batch_size' (the Python name of a setting)."""
    return name.strip().lstrip("-").replace("-", "_")


def parse_value(text: str) -> Any:
    """One value of a grid word: int, float, bool ('true'/'false'), or the text itself."""
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_values(text: str) -> list[Any]:
    """'0.01,0.001' -> [0.01, 0.001]; '0..4' -> [0, 1, 2, 3, 4] (inclusive); 'sgd' -> ['sgd']."""
    match = _RANGE.match(text)
    if match:
        first, last = int(match[1]), int(match[2])
        if last < first:
            raise ValueError(tr("sweep:bad_range", text=text))
        return list(range(first, last + 1))
    values = [parse_value(part) for part in text.split(",") if part.strip()]
    if not values:
        raise ValueError(tr("sweep:no_values", text=text))
    return values


def parse_grid(words: Iterable[str]) -> dict[str, list[Any]]:
    """['lr=0.01,0.001', 'seed=0..4'] -> {'lr': [0.01, 0.001], 'seed': [0, 1, 2, 3, 4]} (names as option_name)."""
    grid: dict[str, list[Any]] = {}
    for word in words:
        name, sep, values = word.partition("=")
        if not sep or not name.strip():
            raise ValueError(tr("sweep:bad_grid_word", word=word))
        key = option_name(name)
        if key in grid:
            raise ValueError(tr("sweep:twice", name=key))
        grid[key] = parse_values(values)
    return grid


def _toml_values(key: str, value: Any) -> list[Any]:
    """A [grid] entry of a TOML file: a list, a range string '0..4', or one value."""
    if isinstance(value, list):
        return value
    return parse_values(value) if isinstance(value, str) else [value]


def load_toml(path: str | Path) -> dict[str, Any]:
    """A sweep file -> {'fixed': {...}, 'grid': {...}, 'trials': [...], 'sweep': {out, workers, ray, figures}}.

    Top-level keys are fixed settings of every trial (model, dataset, epochs, ...) or of the sweep
    (out, workers, ray, figures); ``[grid]`` holds the lists to combine; ``[[trial]]`` tables list trials.
    """
    with open(path, "rb") as handle:
        document = tomllib.load(handle)
    document = {option_name(k): v for k, v in document.items()}
    grid = {option_name(k): _toml_values(k, v) for k, v in dict(document.pop("grid", {}) or {}).items()}
    listed = document.pop("trial", document.pop("trials", [])) or []
    if not isinstance(listed, list) or not all(isinstance(t, dict) for t in listed):
        raise ValueError(tr("sweep:bad_trials", path=str(path)))
    sweep = {k: document.pop(k) for k in TOML_SWEEP_KEYS if k in document}
    trials = [{option_name(k): v for k, v in t.items()} for t in listed]
    return {"fixed": document, "grid": grid, "trials": trials, "sweep": sweep}


def expand(fixed: Mapping[str, Any], grid: Mapping[str, Sequence[Any]] | None = None,
           trials: Sequence[Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every trial's settings: ``fixed``, then each listed trial (if any), then each grid combination."""
    grid = dict(grid or {})
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    return [{**fixed, **dict(listed), **combo} for listed in (trials or [{}]) for combo in combos]


def check_settings(settings: Mapping[str, Any], extra: Iterable[str] = ()) -> dict[str, Any]:
    """``settings`` with each train option converted to its type; an unknown name is a ValueError listing the known."""
    known = set(SWEEP_KEYS) | set(extra)
    checked: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in known:
            raise ValueError(tr("sweep:unknown_setting", name=key, known=", ".join(sorted(known))))
        kind = TRAIN_OPTIONS.get(key)
        if kind is bool and isinstance(value, str):
            value = parse_value(value)
        if kind is not None and value is not None:
            try:
                converted = kind(value)
            except (TypeError, ValueError):
                raise ValueError(tr("sweep:bad_setting", name=key, value=repr(value), kind=kind.__name__)) from None
            if kind is int and isinstance(value, float) and converted != value:
                raise ValueError(tr("sweep:bad_setting", name=key, value=repr(value), kind="int"))
            value = converted
        checked[key] = value
    return checked


def settings_key(settings: Mapping[str, Any]) -> str:
    """The identity of a trial: its settings as canonical JSON (sorted keys); the same settings, the same key."""
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"), default=str)


def swept_names(trials: Sequence[Mapping[str, Any]]) -> list[str]:
    """The settings whose value differs between trials, in the order they first appear."""
    names: list[str] = []
    for trial in trials:
        for key in trial:
            if key not in names and len({json.dumps(t.get(key), default=str) for t in trials}) > 1:
                names.append(key)
    return names


def trial_name(settings: Mapping[str, Any], swept: Sequence[str]) -> str:
    """The trial's folder: its swept settings, readable, and a short hash of all of them ('lr=0.01_seed=0-3f2a9c')."""
    digest = hashlib.sha256(settings_key(settings).encode("utf-8")).hexdigest()[:6]
    words = "_".join(f"{k}={settings.get(k)}" for k in swept if k in settings)
    words = re.sub(r"[^A-Za-z0-9=._+-]", "-", words)[:80]
    return f"{words}-{digest}" if words else f"trial-{digest}"
