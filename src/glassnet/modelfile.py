"""A model file with what its writer recorded beside the weights: class names, dataset, model name.

A glassnet model file keeps the caller's own facts under its ``user`` metadata
(``save_model(..., metadata={...})``, see ``glassnet.io``). ``glassnet train`` writes
three of them, which the ``glassnet`` command, its figures and the demo read back:

* ``class_names``: a list of strings, one per output (e.g. Fashion-MNIST's
  "T-shirt/top", ...); the list written as a JSON string is accepted too;
* ``dataset``: the dataset the model was trained on;
* ``model``: the zoo name of the network.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .io import load_model, read_metadata
from .model import Sequential


def read_user_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """{"class_names", "dataset", "model", "features" (the table columns it was trained on, or None)} of a model file."""
    user = read_metadata(path).get("user") or {}
    if not isinstance(user, dict):
        user = {}
    names = user.get("class_names")
    if isinstance(names, str):
        try:
            names = json.loads(names)
        except ValueError:
            raise ValueError(f"model file {path}: its class_names metadata is not a list: {names[:80]!r}") from None
    if names is not None and not (isinstance(names, list) and all(isinstance(n, (str, int)) for n in names)):
        raise ValueError(f"model file {path}: class_names must be a list of strings, got {str(names)[:80]}")
    dataset, model, features = user.get("dataset"), user.get("model"), user.get("features")
    if features is not None and not (isinstance(features, list) and all(isinstance(f, str) for f in features)):
        features = None  # written by something else than glassnet train: the model takes the dataset's columns
    return {"class_names": [str(n) for n in names] if names is not None else None,
            "dataset": dataset if isinstance(dataset, str) else None,
            "model": model if isinstance(model, str) else None,
            "features": features}


def load_model_file(path: str | os.PathLike, compile: bool = True) -> tuple[Sequential, dict[str, Any]]:
    """(model, ``read_user_metadata(path)``) of a saved model; FileNotFoundError names a path that is no file."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    return load_model(path, compile=compile), read_user_metadata(path)
