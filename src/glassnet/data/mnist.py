"""MNIST and Fashion-MNIST: four IDX files each, found locally or downloaded, then verified.

Integrity is the SHA-256 of the *decompressed* IDX bytes, so any gzip of the right
content is accepted (Debian recompresses Fashion-MNIST: its .gz bytes differ from
upstream, the IDX bytes do not). Each file may be stored as ``<name>.gz`` or ``<name>``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .download import download as download_file
from .errors import DatasetError, DatasetNotFoundError, DownloadError
from . import idx
from .paths import CACHE, Place, describe_places, downloads_allowed, find_file, how_to_supply, search_places
from .transforms import to_unit_range

FILE_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class IdxSource:
    """Where one IDX dataset lives and how it is verified."""

    name: str
    title: str
    folder: str
    class_names: tuple[str, ...]
    sha256: dict[str, str]
    mirrors: tuple[str, ...]
    system_dirs: tuple[str, ...] = ()


MNIST = IdxSource(
    name="mnist",
    title="MNIST",
    folder="mnist",
    class_names=tuple(str(d) for d in range(10)),
    sha256={
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
)

FASHION_MNIST = IdxSource(
    name="fashion_mnist",
    title="Fashion-MNIST",
    folder="fashion-mnist",
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    sha256={
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    ),
    # Debian's package dataset-fashion-mnist installs the four .gz files here.
    system_dirs=("/usr/share/datasets/fashion-mnist",),
)


def _shape_of(stem: str) -> tuple[int, tuple[int, ...]]:
    """(ndim, tail shape) expected for an images or labels file."""
    return (3, (28, 28)) if "images" in stem else (1, ())


def locate_idx_file(
    source: IdxSource,
    stem: str,
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool | None = None,
    mirrors: tuple[str, ...] | list[str] | None = None,
    verify: bool = True,
    timeout: float = 30.0,
) -> tuple[Path, Place]:
    """Find ``stem`` (.gz or plain) in the data dir, cache or system folders, else download it into the cache."""
    places = search_places(source.folder, data_dir=data_dir, cache_dir=cache_dir, system_dirs=source.system_dirs)
    found = find_file([stem + ".gz", stem], places)
    if found is not None:
        return found
    cache = next(p for p in places if p.role == CACHE)
    attempt = "Downloading is off (download=False or GLASSNET_OFFLINE is set)."
    if downloads_allowed(download):
        dest = cache.folder / (stem + ".gz")
        ndim, tail = _shape_of(stem)
        expected = source.sha256[stem] if verify else None

        def check(path: Path) -> None:
            idx.read_idx(path, ndim=ndim, tail_shape=tail, sha256=expected, hint="the mirror served a bad file")

        urls = [m if m.endswith("/") else m + "/" for m in (mirrors or source.mirrors)]
        try:
            # A real .gz is smaller than what it expands to, so the IDX limit bounds the download too.
            path = download_file([u + stem + ".gz" for u in urls], dest, check=check, timeout=timeout,
                                 quiet=False, max_bytes=idx.MAX_IDX_BYTES)
            return path, cache
        except DownloadError as exc:
            attempt = str(exc)
    raise DatasetNotFoundError(
        f"{source.title} file {stem}(.gz) was not found. Looked in:\n{describe_places(places)}\n"
        f"{attempt}\n{how_to_supply(source.folder, [s + '.gz' for s in FILE_STEMS])}"
    )


def load_idx_dataset(
    source: IdxSource,
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool | None = None,
    mirrors: tuple[str, ...] | list[str] | None = None,
    raw: bool = False,
    verify: bool = True,
    timeout: float = 30.0,
) -> Dataset:
    """Load an MNIST-like dataset: x (N, 1, 28, 28) float32 in [0, 1] (uint8 if ``raw``), y (N,) int64."""
    arrays = {}
    for stem in FILE_STEMS:
        path, place = locate_idx_file(source, stem, data_dir=data_dir, cache_dir=cache_dir, download=download,
                                      mirrors=mirrors, verify=verify, timeout=timeout)
        ndim, tail = _shape_of(stem)
        arrays[stem] = (idx.read_idx(path, ndim=ndim, tail_shape=tail, hint=place.fix_hint(path),
                                 sha256=source.sha256[stem] if verify else None), path, place)
    parts = []
    for split in ("train", "t10k"):
        images, image_path, _ = arrays[f"{split}-images-idx3-ubyte"]
        labels, label_path, place = arrays[f"{split}-labels-idx1-ubyte"]
        if len(images) != len(labels):
            raise DatasetError(
                f"{image_path} holds {len(images)} images but {label_path} holds {len(labels)} labels; "
                f"expected the same number. Fix: {place.fix_hint(label_path)}."
            )
        if labels.size and labels.max() >= len(source.class_names):
            raise DatasetError(
                f"{label_path} contains label {int(labels.max())}; expected 0..{len(source.class_names) - 1}. "
                f"Fix: {place.fix_hint(label_path)}."
            )
        x = images[:, None]
        parts += [x.copy() if raw else to_unit_range(x), labels.astype(np.int64)]
    x_train, y_train, x_test, y_test = parts
    return Dataset(source.name, x_train, y_train, x_test, y_test, class_names=source.class_names,
                   input_shape=(1, 28, 28))


def load_mnist(
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool | None = None,
    mirrors: tuple[str, ...] | list[str] | None = None,
    raw: bool = False,
    verify: bool = True,
    timeout: float = 30.0,
) -> Dataset:
    """MNIST digits: 60,000 train / 10,000 test, x (N, 1, 28, 28) float32 in [0, 1] (uint8 if ``raw``), y (N,) int64."""
    return load_idx_dataset(MNIST, data_dir=data_dir, cache_dir=cache_dir, download=download, mirrors=mirrors,
                            raw=raw, verify=verify, timeout=timeout)


def load_fashion_mnist(
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool | None = None,
    mirrors: tuple[str, ...] | list[str] | None = None,
    raw: bool = False,
    verify: bool = True,
    timeout: float = 30.0,
) -> Dataset:
    """Fashion-MNIST: 60,000 train / 10,000 test clothing images, same shapes and options as ``load_mnist``."""
    return load_idx_dataset(FASHION_MNIST, data_dir=data_dir, cache_dir=cache_dir, download=download,
                            mirrors=mirrors, raw=raw, verify=verify, timeout=timeout)
