"""CIFAR-10, binary version: records of 1 label byte + 3,072 pixel bytes (R, G, B planes of 32x32).

Never the pickled "python version": nothing here unpickles. The loader looks for the
six ``.bin`` files (in ``cifar-10/`` or ``cifar-10/cifar-10-batches-bin/``), else for
``cifar-10-binary.tar.gz``, else downloads the tarball into the cache; the tarball is
checked by SHA-256 and only the expected member names are extracted, each to a path
this module builds itself (no path from inside the archive is ever used).
"""
from __future__ import annotations

import os
import tarfile
from pathlib import Path
from typing import Sequence

import numpy as np

from .dataset import Dataset
from .download import check_sha256, download as download_file, sha256_bytes, sha256_file
from .errors import DatasetError, DatasetNotFoundError, DownloadError
from .paths import CACHE, Place, describe_places, downloads_allowed, how_to_supply, search_places
from .transforms import to_unit_range
from ..fileio import write_atomic

FOLDER = "cifar-10"
BATCH_FOLDER = "cifar-10-batches-bin"
ARCHIVE = "cifar-10-binary.tar.gz"
ARCHIVE_SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_FILES = ("test_batch.bin",)
FILE_SHA256 = {
    "data_batch_1.bin": "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
    "data_batch_2.bin": "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
    "data_batch_3.bin": "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
    "data_batch_4.bin": "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
    "data_batch_5.bin": "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
    "test_batch.bin": "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
}
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
RECORD_BYTES = 1 + 3 * 32 * 32
RECORDS_PER_FILE = 10000


def parse_cifar10_binary(data: bytes, *, name: str = "CIFAR-10 data", hint: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Records -> (images (N, 3, 32, 32) uint8, labels (N,) int64), checking size and label range."""
    fix = f" Fix: {hint}." if hint else ""
    if len(data) == 0 or len(data) % RECORD_BYTES:
        raise DatasetError(
            f"{name} is {len(data)} bytes; expected a positive multiple of {RECORD_BYTES} "
            f"(1 label byte + 3072 pixel bytes per record): the file is truncated or not CIFAR-10 binary.{fix}"
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    if labels.max() >= len(CLASS_NAMES):
        bad = int(np.argmax(labels >= len(CLASS_NAMES)))
        raise DatasetError(
            f"{name}: record {bad} has label {int(labels[bad])}; expected 0..9. The file is corrupted "
            f"or is not the CIFAR-10 binary version (CIFAR-100 has 2 label bytes).{fix}"
        )
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def read_cifar10_binary(
    paths: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    verify: bool = True,
    hint: str = "",
) -> tuple[np.ndarray, np.ndarray]:
    """Read and concatenate binary batch files -> (images (N, 3, 32, 32) uint8, labels (N,) int64).

    With ``verify``, files with an official name must match its SHA-256 and hold 10,000 records.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    images, labels = [], []
    for path in map(Path, paths):
        data = path.read_bytes()
        if verify and path.name in FILE_SHA256:
            check_sha256(sha256_bytes(data), FILE_SHA256[path.name], str(path), hint or "replace it with a good copy")
        x, y = parse_cifar10_binary(data, name=str(path), hint=hint)
        if verify and path.name in FILE_SHA256 and len(y) != RECORDS_PER_FILE:
            raise DatasetError(f"{path} holds {len(y)} records; expected {RECORDS_PER_FILE}. Fix: {hint}.")
        images.append(x)
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels)


def extract_cifar10_archive(archive: str | os.PathLike, dest: str | os.PathLike, *, verify: bool = True) -> Path:
    """Extract the six .bin files (and batches.meta.txt) of ``archive`` into ``dest``; return ``dest``.

    Only members named ``cifar-10-batches-bin/<expected name>`` that are regular files
    are read; everything else in the archive (including any ``..`` or absolute path) is
    ignored. Each file is written under a temporary name and renamed when complete.
    """
    archive, dest = Path(archive), Path(dest)
    wanted = {f"{BATCH_FOLDER}/{n}": n for n in (*TRAIN_FILES, *TEST_FILES, "batches.meta.txt")}
    hint = f"delete {archive} and load again, or put the extracted .bin files in {dest}"
    dest.mkdir(parents=True, exist_ok=True)
    found = set()
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                name = wanted.get(member.name.removeprefix("./"))
                if name is None or not member.isfile():
                    continue
                data = tar.extractfile(member).read()
                if verify and name in FILE_SHA256:
                    check_sha256(sha256_bytes(data), FILE_SHA256[name], f"{archive}:{member.name}", hint)
                write_atomic(dest / name, data)
                found.add(name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetError(f"{archive} could not be read as a .tar.gz ({type(exc).__name__}: {exc}); "
                           f"it is truncated or corrupted. Fix: {hint}.") from exc
    missing = [n for n in (*TRAIN_FILES, *TEST_FILES) if n not in found]
    if missing:
        raise DatasetError(f"{archive} lacks {', '.join(BATCH_FOLDER + '/' + m for m in missing)}; "
                           f"expected the CIFAR-10 binary version. Fix: {hint}.")
    return dest


def _bins_in(folder: Path) -> Path | None:
    """The folder (``folder`` or its cifar-10-batches-bin/) holding all six .bin files, if any."""
    for candidate in (folder, folder / BATCH_FOLDER):
        if all((candidate / n).is_file() for n in (*TRAIN_FILES, *TEST_FILES)):
            return candidate
    return None


def locate_cifar10(
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool | None = None,
    mirrors: Sequence[str] | None = None,
    verify: bool = True,
    timeout: float = 60.0,
) -> tuple[Path, Place]:
    """The folder holding the six .bin files, extracting or downloading the tarball into the cache if needed."""
    places = search_places(FOLDER, data_dir=data_dir, cache_dir=cache_dir)
    cache = next(p for p in places if p.role == CACHE)
    extracted = cache.folder / BATCH_FOLDER
    for place in places:
        folder = _bins_in(place.folder)
        if folder is not None:
            return folder, place
    for place in places:
        archive = place.folder / ARCHIVE
        if archive.is_file():
            if verify:
                check_sha256(sha256_file(archive), ARCHIVE_SHA256, str(archive), place.fix_hint(archive))
            return extract_cifar10_archive(archive, extracted, verify=verify), cache
    attempt = "Downloading is off (download=False or GLASSNET_OFFLINE is set)."
    if downloads_allowed(download):
        urls = [(m if m.endswith("/") else m + "/") + ARCHIVE for m in (mirrors or MIRRORS)]
        try:
            archive = download_file(urls, cache.folder / ARCHIVE, sha256=ARCHIVE_SHA256 if verify else None,
                                    timeout=timeout, quiet=False)
            return extract_cifar10_archive(archive, extracted, verify=verify), cache
        except DownloadError as exc:
            attempt = str(exc)
    raise DatasetNotFoundError(
        f"CIFAR-10 (binary version) was not found. Looked for the six .bin files or {ARCHIVE} in:\n"
        f"{describe_places(places)}\n{attempt}\n"
        + how_to_supply(FOLDER, [*TRAIN_FILES, *TEST_FILES]) + f" ({ARCHIVE} is accepted too.)"
    )


def load_cifar10(
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    download: bool | None = None,
    mirrors: Sequence[str] | None = None,
    raw: bool = False,
    verify: bool = True,
    timeout: float = 60.0,
) -> Dataset:
    """CIFAR-10: 50,000 train / 10,000 test, x (N, 3, 32, 32) float32 in [0, 1] (uint8 if ``raw``), y (N,) int64.

    ``verify=False`` skips the official SHA-256 checks (for small files in the same
    format, as the tests write); the record structure and labels are always checked.
    """
    folder, place = locate_cifar10(data_dir=data_dir, cache_dir=cache_dir, download=download,
                                   mirrors=mirrors, verify=verify, timeout=timeout)
    parts = []
    for names in (TRAIN_FILES, TEST_FILES):
        paths = [folder / n for n in names]
        x, y = read_cifar10_binary(paths, verify=verify, hint=place.fix_hint(folder))
        parts += [x.copy() if raw else to_unit_range(x), y]
    return Dataset("cifar10", *parts, class_names=CLASS_NAMES, input_shape=(3, 32, 32))
