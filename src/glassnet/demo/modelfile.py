"""Model files for the demo: the shipped LeNet-5, and class names kept in a model file's metadata.

A glassnet model file (see ``glassnet.io``) may carry extra string metadata. The
demo reads two entries, the same ones ``glassnet train`` writes:

* ``class_names``: a JSON list of strings, one per output (e.g. Fashion-MNIST's
  "T-shirt/top", ...); without it the classes are called "0", "1", ...;
* ``dataset``: the dataset the model was trained on (shown on the page).
"""
from __future__ import annotations

import inspect
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .samples import Samples, load_samples

SHIPPED_MODEL = "lenet5_mnist.safetensors"
SHIPPED_SAMPLES = "lenet5_mnist_samples.safetensors"


def package_file(name: str) -> Path:
    """Path of a file shipped in the glassnet.demo package."""
    return Path(str(resources.files("glassnet.demo") / name))


def read_extra_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """{"class_names": [...] or None, "dataset": str or None} from a model file's metadata."""
    from ..io import read_header

    _, metadata = read_header(path)
    names = None
    raw = metadata.get("class_names")
    if raw and raw != "null":
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise ValueError(f"model file {path}: its class_names metadata is not JSON: {raw[:80]!r}") from None
        if not isinstance(parsed, list) or not all(isinstance(n, (str, int)) for n in parsed):
            raise ValueError(f"model file {path}: class_names must be a JSON list of strings, got {raw[:80]!r}")
        names = [str(n) for n in parsed]
    return {"class_names": names, "dataset": metadata.get("dataset")}


def load_classifier(path: str | os.PathLike) -> tuple[Any, list[str] | None, str]:
    """(model, class names or None, display name) from a glassnet model file."""
    from ..io import load_model

    path = Path(path)
    model = load_model(path, compile=False)
    extra = read_extra_metadata(path)
    name = path.stem if extra["dataset"] is None else f"{path.stem} ({extra['dataset']})"
    return model, extra["class_names"], name


def load_shipped() -> tuple[Any, list[str], str, Samples]:
    """The LeNet-5 trained on MNIST that ships with glassnet, its class names, name and sample digits."""
    model, names, _ = load_classifier(package_file(SHIPPED_MODEL))
    return model, names or [str(d) for d in range(10)], "LeNet-5 · MNIST", load_samples(package_file(SHIPPED_SAMPLES))


def save_classifier(
    model: Any, path: str | os.PathLike, class_names: Sequence[str], dataset: str | None = None
) -> None:
    """Save ``model`` without optimizer state, with ``class_names`` (and ``dataset``) in its metadata."""
    from .. import io

    extra = {"class_names": json.dumps([str(n) for n in class_names])}
    if dataset is not None:
        extra["dataset"] = dataset
    if "metadata" in inspect.signature(io.save_model).parameters:
        io.save_model(model, path, include_optimizer=False, metadata=extra)
        return
    # This glassnet's save_model takes no extra metadata: save, then add the entries
    # (load_model ignores metadata keys it does not know; the checksum covers tensors only).
    from safetensors.numpy import load_file, save_file

    io.save_model(model, path, include_optimizer=False)
    _, metadata = io.read_header(path)
    tensors = load_file(str(path))
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(tmp), metadata={**metadata, **extra})
    os.replace(tmp, path)
