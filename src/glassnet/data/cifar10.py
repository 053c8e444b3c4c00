"""CIFAR-10, binary version: records of 1 label byte + 3,072 pixel bytes (R, G, B planes of 32x32).

Never the pickled "python version": nothing here unpickles. The loader looks for the
six ``.bin`` files (in ``cifar-10/`` or ``cifar-10/cifar-10-batches-bin/``), else for
``cifar-10-binary.tar.gz``, else downloads the tarball into the cache; the tarball is
checked by SHA-256 and only the expected member names are extracted, each to a path
this module builds itself (no path from inside the archive is ever used).
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import BinaryIO, Sequence

import numpy as np

from .dataset import Dataset
from .download import check_sha256, download as download_file, sha256_bytes, sha256_file
from .errors import DatasetError, DatasetNotFoundError, DownloadError
from .paths import CACHE, Place, describe_places, downloads_allowed, how_to_supply, search_places
from .transforms import to_unit_range

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
BATCH_BYTES = RECORDS_PER_FILE * RECORD_BYTES
"""30,730,000: the size of every official batch file, and the most any batch file may hold."""
META_MAX_BYTES = 4096
"""batches.meta.txt holds the ten class names (61 bytes in the official archive)."""
MAX_TAR_BYTES = 256 * 1024 * 1024
"""Most bytes read from the tarball, compressed or decompressed: 256 MiB. The official archive
is 170,052,171 bytes and its tar about 184.4 MB (six batch files of 30,730,000 bytes)."""
MAX_TAR_MEMBERS = 64
"""Most archive entries read (the official archive has 9)."""
MAX_TAR_HEADER_BYTES = 64 * 1024
"""Largest extended tar header (pax, GNU long name) read: tarfile holds one whole in memory."""
READ_CHUNK = 1 << 20


def _fix(hint: str) -> str:
    """The ' Fix: ...' sentence ending an error, or nothing."""
    return f" Fix: {hint}." if hint else ""


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
        size = path.stat().st_size
        if size > BATCH_BYTES:
            raise DatasetError(
                f"{path} is {size:,} bytes; a CIFAR-10 binary batch file holds at most {RECORDS_PER_FILE:,} "
                f"records of {RECORD_BYTES:,} bytes = {BATCH_BYTES:,} bytes. It was not read.{_fix(hint)}"
            )
        data = path.read_bytes()
        if verify and path.name in FILE_SHA256:
            check_sha256(sha256_bytes(data), FILE_SHA256[path.name], str(path), hint or "replace it with a good copy")
        x, y = parse_cifar10_binary(data, name=str(path), hint=hint)
        if verify and path.name in FILE_SHA256 and len(y) != RECORDS_PER_FILE:
            raise DatasetError(f"{path} holds {len(y)} records; expected {RECORDS_PER_FILE}. Fix: {hint}.")
        images.append(x)
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels)


class _BoundedReader:
    """A read-only stream giving at most ``limit`` bytes of ``stream``; reading more is a DatasetError."""

    def __init__(self, stream: BinaryIO | gzip.GzipFile, limit: int, what: str, hint: str):
        self.stream, self.limit, self.what, self.hint, self.count = stream, limit, what, hint, 0

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all that is allowed if ``n`` < 0); the byte past the limit raises."""
        room = self.limit + 1 - self.count
        data = self.stream.read(room if n is None or n < 0 else min(n, room))
        self.count += len(data)
        if self.count > self.limit:
            raise DatasetError(
                f"{self.what} decompresses to more than the limit of {self.limit:,} bytes "
                f"(glassnet.data.cifar10.MAX_TAR_BYTES; the official tar is about 184.4 MB): it is not the "
                f"CIFAR-10 binary archive, or a decompression bomb; nothing was extracted. Fix: {self.hint}."
            )
        return data


class _RefusedHeader(Exception):
    """A tar header refused before tarfile processes it (converted to a DatasetError naming the archive)."""


class _CheckedTarInfo(tarfile.TarInfo):
    """A TarInfo refusing an oversized extended header or a sparse entry before tarfile reads it into memory."""

    def _proc_member(self, tar):  # tarfile's hook, called before an extended header's content is read
        if self.type == tarfile.GNUTYPE_SPARSE:  # its chain of extension blocks is unbounded
            raise _RefusedHeader(f"entry {self.name!r} is a GNU sparse file; the CIFAR-10 archive has none")
        if self.type in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME,
                         tarfile.GNUTYPE_LONGLINK) and self.size > MAX_TAR_HEADER_BYTES:
            raise _RefusedHeader(f"its extended header {self.name!r} (type {self.type!r}) declares "
                                 f"{self.size:,} bytes; expected at most {MAX_TAR_HEADER_BYTES:,}")
        return super()._proc_member(tar)


def _member_size_problem(name: str, size: int, verify: bool) -> str | None:
    """What is wrong with the size a tar header declares for member ``name``, or None."""
    if name not in FILE_SHA256:
        return None if size <= META_MAX_BYTES else f"at most {META_MAX_BYTES:,} bytes (the ten class names)"
    if verify and size != BATCH_BYTES:
        return f"{BATCH_BYTES:,} bytes ({RECORDS_PER_FILE:,} records of {RECORD_BYTES:,} bytes)"
    if not 0 < size <= BATCH_BYTES or size % RECORD_BYTES:
        return (f"a positive multiple of {RECORD_BYTES:,} bytes, at most {BATCH_BYTES:,} "
                f"({RECORDS_PER_FILE:,} records of {RECORD_BYTES:,} bytes)")
    return None


def check_archive_size(archive: str | os.PathLike, hint: str) -> None:
    """Raise DatasetError if the tarball's file is larger than ``MAX_TAR_BYTES`` (checked before hashing it)."""
    size = os.path.getsize(archive)
    if size > MAX_TAR_BYTES:
        raise DatasetError(f"{archive} is {size:,} bytes, more than the limit of {MAX_TAR_BYTES:,} bytes "
                           f"(glassnet.data.cifar10.MAX_TAR_BYTES; the official archive is 170,052,171 bytes). "
                           f"Fix: {hint}.")


def extract_cifar10_archive(archive: str | os.PathLike, dest: str | os.PathLike, *, verify: bool = True) -> Path:
    """Extract the six .bin files (and batches.meta.txt) of ``archive`` into ``dest``; return ``dest``.

    Only members named ``cifar-10-batches-bin/<expected name>`` that are regular files
    are read; everything else in the archive (including any ``..`` or absolute path) is
    ignored. Each member's size, as its tar header declares it, is checked against the
    CIFAR-10 binary format before any of it is read (exactly 30,730,000 bytes per batch
    with ``verify``, a whole number of records up to that without), and at most
    ``MAX_TAR_BYTES`` are decompressed. Files are extracted into a temporary folder inside
    ``dest`` and moved into ``dest`` only when the whole archive has passed.
    """
    archive, dest = Path(archive), Path(dest)
    wanted = {f"{BATCH_FOLDER}/{n}": n for n in (*TRAIN_FILES, *TEST_FILES, "batches.meta.txt")}
    hint = f"delete {archive} and load again, or put the extracted .bin files in {dest}"
    check_archive_size(archive, hint)
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extracting-", dir=dest))
    found = set()
    try:
        try:
            with open(archive, "rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as unzipped, \
                    tarfile.open(fileobj=_BoundedReader(unzipped, MAX_TAR_BYTES, str(archive), hint),  # type: ignore[call-overload]  # typeshed's fileobj protocol wants write/seek too; mode "r|" only reads
                                 mode="r|", tarinfo=_CheckedTarInfo) as tar:
                for count, member in enumerate(tar, start=1):
                    if count > MAX_TAR_MEMBERS:
                        raise DatasetError(f"{archive} holds more than {MAX_TAR_MEMBERS} entries; the CIFAR-10 "
                                           f"binary archive has 9. Nothing was extracted. Fix: {hint}.")
                    name = wanted.get(member.name.removeprefix("./"))
                    if name is None or not member.isfile():
                        if member.size > MAX_TAR_BYTES:  # refused now, not after decompressing up to the limit
                            raise DatasetError(
                                f"{archive}:{member.name} declares {member.size:,} bytes in its tar header, more "
                                f"than the limit of {MAX_TAR_BYTES:,} bytes for the whole archive (glassnet.data."
                                f"cifar10.MAX_TAR_BYTES); nothing was extracted. Fix: {hint}."
                            )
                        continue
                    problem = _member_size_problem(name, member.size, verify)
                    if problem is not None:
                        raise DatasetError(
                            f"{archive}:{member.name} declares {member.size:,} bytes in its tar header; expected "
                            f"{problem}. The archive is corrupted, not CIFAR-10 binary, or hostile; nothing "
                            f"was extracted. Fix: {hint}."
                        )
                    _extract_member(tar.extractfile(member), staging / name,
                                    FILE_SHA256.get(name) if verify else None, f"{archive}:{member.name}", hint)
                    found.add(name)
        except _RefusedHeader as exc:
            raise DatasetError(f"{archive}: {exc}. The archive is corrupted or hostile; nothing was extracted. "
                               f"Fix: {hint}.") from None
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise DatasetError(f"{archive} could not be read as a .tar.gz ({type(exc).__name__}: {exc}); "
                               f"it is truncated or corrupted. Fix: {hint}.") from exc
        missing = [n for n in (*TRAIN_FILES, *TEST_FILES) if n not in found]
        if missing:
            raise DatasetError(f"{archive} lacks {', '.join(BATCH_FOLDER + '/' + m for m in missing)}; "
                               f"expected the CIFAR-10 binary version. Fix: {hint}.")
        for name in found:
            os.replace(staging / name, dest / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _extract_member(source: BinaryIO, target: Path, sha256: str | None, what: str, hint: str) -> None:
    """Copy one archive member to ``target`` in chunks, checking its SHA-256 if given, and flush it to disk."""
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        for chunk in iter(lambda: source.read(READ_CHUNK), b""):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if sha256 is not None:
        check_sha256(digest.hexdigest(), sha256, what, hint)


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
            check_archive_size(archive, place.fix_hint(archive))
            if verify:
                check_sha256(sha256_file(archive), ARCHIVE_SHA256, str(archive), place.fix_hint(archive))
            return extract_cifar10_archive(archive, extracted, verify=verify), cache
    attempt = "Downloading is off (download=False or GLASSNET_OFFLINE is set)."
    if downloads_allowed(download):
        urls = [(m if m.endswith("/") else m + "/") + ARCHIVE for m in (mirrors or MIRRORS)]
        try:
            archive = download_file(urls, cache.folder / ARCHIVE, sha256=ARCHIVE_SHA256 if verify else None,
                                    timeout=timeout, quiet=False, max_bytes=MAX_TAR_BYTES)
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
    x_train, y_train, x_test, y_test = parts
    return Dataset("cifar10", x_train, y_train, x_test, y_test, class_names=CLASS_NAMES, input_shape=(3, 32, 32))
