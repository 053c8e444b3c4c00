"""Model files for the demo: the shipped LeNet-5, and the classifiers the demo agrees to show.

The class names and dataset kept in a model file's metadata are read by
``glassnet.modelfile.read_user_metadata``: the class names label the outputs (else
"0", "1", ...), the dataset picks the preprocessing style and the sample images.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from .. import fileio
from ..io import load_model, read_metadata, save_model
from ..modelfile import read_user_metadata
from .inference import CLASSIFIERS_ONLY, classifier_problem
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


def load_classifier(path: str | os.PathLike) -> tuple[Any, list[str] | None, str]:
    """(model, class names or None, display name) from a glassnet model file."""
    path = check_regular_file(path)
    model = load_model(path, compile=False)
    compiled = read_metadata(path).get("compile")
    loss = compiled.get("loss") if isinstance(compiled, dict) else None
    problem = classifier_problem(model, loss.get("class_name") if isinstance(loss, dict) else None)
    if problem is not None:
        raise ValueError(f"model file {path}: {CLASSIFIERS_ONLY}, and this model is not one: {problem}")
    extra = read_user_metadata(path)
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
    metadata: dict[str, Any] = {"class_names": [str(n) for n in class_names]}
    if dataset is not None:
        metadata["dataset"] = dataset
    save_model(model, path, include_optimizer=False, metadata=metadata)
