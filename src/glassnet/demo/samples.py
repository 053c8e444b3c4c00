"""Sample images for the page's one-click buttons, kept in a safetensors file (never a pickle)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..fileio import atomic_path


@dataclass(frozen=True)
class Samples:
    """``images`` (N, H, W) uint8 ink 0..255 and their class indices ``labels`` (N,)."""

    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if self.images.ndim != 3 or self.images.dtype != np.uint8:
            raise ValueError(f"sample images must be uint8 (N, H, W); got {self.images.dtype} {self.images.shape}")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError(f"expected {self.images.shape[0]} sample labels, got shape {self.labels.shape}")

    def to_json(self, class_names: list[str]) -> list[dict[str, Any]]:
        """[{"label", "name", "pixels"}] with pixels as lists of ints, ready for /api/predict."""
        if self.labels.size and not 0 <= int(self.labels.min()) <= int(self.labels.max()) < len(class_names):
            raise ValueError(f"sample labels {sorted(set(self.labels.tolist()))} do not fit {len(class_names)} classes")
        return [
            {"label": int(label), "name": class_names[int(label)], "pixels": image.tolist()}
            for image, label in zip(self.images, self.labels)
        ]


def save_samples(path: str | os.PathLike, samples: Samples) -> Path:
    """Write ``samples`` as safetensors tensors 'images' and 'labels' (temporary name, then rename)."""
    from safetensors.numpy import save_file

    path = Path(path)
    with atomic_path(path) as tmp:
        save_file({"images": np.ascontiguousarray(samples.images), "labels": samples.labels.astype(np.int64)}, str(tmp))
    return path


def load_samples(path: str | os.PathLike) -> Samples:
    """Read a file written by ``save_samples``; a missing tensor is a ValueError naming the file."""
    from safetensors.numpy import load_file

    tensors = load_file(str(path))
    missing = {"images", "labels"} - tensors.keys()
    if missing:
        raise ValueError(f"{path} is not a samples file: it lacks the tensors {sorted(missing)} (expected images, labels)")
    return Samples(images=tensors["images"], labels=tensors["labels"])
