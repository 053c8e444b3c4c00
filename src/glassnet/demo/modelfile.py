"""Model files for the demo: the shipped LeNet-5, and class names kept in a model file's metadata.

A glassnet model file keeps the caller's own facts under its ``user`` metadata
(``save_model(..., metadata={...})``, see ``glassnet.io``). The demo reads two of
them, the ones ``glassnet train`` writes too:

* ``class_names``: a list of strings, one per output (e.g. Fashion-MNIST's
  "T-shirt/top", ...); without it the classes are called "0", "1", ...;
* ``dataset``: the dataset the model was trained on (it picks the preprocessing
  style and the sample images).
"""
from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import Any, Sequence


from .samples import Samples, load_samples

SHIPPED_MODEL = "lenet5_mnist.safetensors"
SHIPPED_SAMPLES = "lenet5_mnist_samples.safetensors"


def package_file(name: str) -> Path:
    """Path of a file shipped in the glassnet.demo package."""
    return Path(str(resources.files("glassnet.demo") / name))


def read_extra_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """{"class_names": [...] or None, "dataset": str or None, "model": zoo name or None} from ``user`` metadata."""
    from ..io import read_metadata

    user = read_metadata(path).get("user") or {}
    if not isinstance(user, dict):
        user = {}
    names = user.get("class_names")
    if isinstance(names, str):  # also accept the list written as a JSON string
        try:
            names = json.loads(names)
        except ValueError:
            raise ValueError(f"model file {path}: its class_names metadata is not a list: {names[:80]!r}") from None
    if names is not None and not (isinstance(names, list) and all(isinstance(n, (str, int)) for n in names)):
        raise ValueError(f"model file {path}: class_names must be a list of strings, got {str(names)[:80]}")
    dataset, model = user.get("dataset"), user.get("model")
    return {"class_names": [str(n) for n in names] if names is not None else None,
            "dataset": dataset if isinstance(dataset, str) else None,
            "model": model if isinstance(model, str) else None}


def load_classifier(path: str | os.PathLike) -> tuple[Any, list[str] | None, str]:
    """(model, class names or None, display name) from a glassnet model file."""
    from ..io import load_model

    path = Path(path)
    model = load_model(path, compile=False)
    extra = read_extra_metadata(path)
    name = extra["model"] or path.stem
    if extra["dataset"] is not None:
        name = f"{name} · {extra['dataset']}"
    return model, extra["class_names"], name


def load_shipped() -> tuple[Any, list[str], str, Samples]:
    """The LeNet-5 trained on MNIST that ships with glassnet, its class names, name and sample digits."""
    model, names, _ = load_classifier(package_file(SHIPPED_MODEL))
    return model, names or [str(d) for d in range(10)], "LeNet-5 · MNIST", load_samples(package_file(SHIPPED_SAMPLES))


def save_classifier(
    model: Any, path: str | os.PathLike, class_names: Sequence[str], dataset: str | None = None
) -> None:
    """Save ``model`` without optimizer state, with ``class_names`` (and ``dataset``) in its metadata."""
    from ..io import save_model

    metadata: dict[str, Any] = {"class_names": [str(n) for n in class_names]}
    if dataset is not None:
        metadata["dataset"] = dataset
    save_model(model, path, include_optimizer=False, metadata=metadata)
