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


from .. import fileio
from .samples import Samples, load_samples

SHIPPED_MODEL = "lenet5_mnist.safetensors"
SHIPPED_SAMPLES = "lenet5_mnist_samples.safetensors"
MAX_FILE_BYTES = 2 << 30
"""2 GiB: the demo reads the whole file into memory, and an image classifier it can run while
someone draws is far smaller (LeNet-5: 0.25 MB, VGG-16: 0.55 GB)."""


def check_regular_file(path: str | os.PathLike, what: str = "model file") -> Path:
    """``path`` if it is a readable regular file of at most MAX_FILE_BYTES; else an error saying what it is (stat only)."""
    return fileio.check_regular_file(path, what, "expected a glassnet .safetensors file", MAX_FILE_BYTES,
                                     "too large for an image classifier to run while you draw", "the demo's limit")


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
    from ..io import load_model, read_metadata
    from .inference import CLASSIFIERS_ONLY, classifier_problem

    path = check_regular_file(path)
    model = load_model(path, compile=False)
    compiled = read_metadata(path).get("compile")
    loss = compiled.get("loss") if isinstance(compiled, dict) else None
    problem = classifier_problem(model, loss.get("class_name") if isinstance(loss, dict) else None)
    if problem is not None:
        raise ValueError(f"model file {path}: {CLASSIFIERS_ONLY}, and this model is not one: {problem}")
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
