"""The IDX file format of MNIST and Fashion-MNIST, read in one vectorised step.

An IDX file is a 4-byte magic number ``0x00 0x00 <type code> <ndim>``, then ``ndim``
big-endian uint32 sizes, then the values in C order (big-endian for multi-byte
types). Labels are ``idx1`` (N,), images ``idx3`` (N, 28, 28), both unsigned bytes.
The whole payload becomes an array with one ``np.frombuffer``: no per-sample loop.

Reading a file is bounded: the header is read first, and the size it declares is
checked against ``MAX_IDX_BYTES`` and against what the file can hold before anything
is allocated; then exactly that many bytes are decompressed, plus one to detect a
longer stream. A gzip "bomb" is therefore refused after reading at most the limit.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .download import check_sha256
from .errors import DatasetError
from ..fileio import write_atomic

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""IDX type code -> element type."""

GZIP_MAGIC = b"\x1f\x8b"

MAX_IDX_BYTES = 64 * 1024 * 1024
"""Largest decompressed IDX file read: 64 MiB. The largest real one (MNIST and Fashion-MNIST
train images, 60,000 x 28 x 28) is 47,040,016 bytes; anything declaring more is refused unread."""

DEFLATE_MAX_RATIO = 1032
"""Most bytes one byte of deflate data can expand to (a 258-byte match coded in 2 bits), so a
gzip file of n bytes cannot hold more than 1032 * n bytes."""

READ_CHUNK = 1 << 18
"""Bytes decompressed per step (256 KiB): zlib's output buffers for one step are all that is held
besides the result."""


def _fix(hint: str) -> str:
    """The ' Fix: ...' sentence ending every error, or nothing."""
    return f" Fix: {hint}." if hint else ""


def _limit_error(name: str, declared: int, limit: int, what: str, hint: str) -> DatasetError:
    """The refusal of a file whose declared or found size exceeds ``limit``."""
    return DatasetError(
        f"{name} {what} {declared:,} bytes, more than the limit of {limit:,} bytes "
        f"(glassnet.data.idx.MAX_IDX_BYTES; the largest real MNIST-style file is 47,040,016 bytes): "
        f"it is not an MNIST-style file, or a decompression bomb; nothing was loaded.{_fix(hint)}"
    )


def read_bytes(path: str | os.PathLike, hint: str = "", max_bytes: int | None = None) -> bytes:
    """Return the file's content (n bytes), decompressed when gzip; refuse more than ``max_bytes`` bytes.

    ``max_bytes`` defaults to ``MAX_IDX_BYTES``; at most that many bytes (+1) are decompressed.
    """
    path = Path(path)
    limit = MAX_IDX_BYTES if max_bytes is None else max_bytes
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        size = os.fstat(raw.fileno()).st_size
        if not compressed and size > limit:
            raise _limit_error(str(path), size, limit, "is", hint)
        with _open_stream(raw, compressed, path, hint) as stream:
            data = _read_exact(stream, limit + 1)  # GzipFile.read(n) decompresses at most n bytes
    if len(data) > limit:
        raise _limit_error(f"{path} (decompressed)", len(data), limit, "holds more than", hint)
    return data


@contextmanager
def _open_stream(raw: io.BufferedIOBase, compressed: bool, path: Path, hint: str) -> Iterator[io.BufferedIOBase]:
    """Yield ``raw`` or its gzip decompression; turn gzip decoding errors into a DatasetError naming ``path``."""
    if not compressed:
        yield raw
        return
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
            yield stream
    except DatasetError:
        raise
    except (EOFError, OSError, zlib.error) as exc:
        raise DatasetError(
            f"{path} is not a complete gzip file ({type(exc).__name__}: {exc}); expected a gzip-"
            f"compressed IDX file. It is truncated or corrupted. Fix: {hint or 'replace it with a good copy'}."
        ) from exc


def _read_exact(stream: io.BufferedIOBase, n: int) -> bytes:
    """Up to ``n`` bytes from ``stream``: fewer only at its end."""
    parts, got = [], 0
    while got < n:
        part = stream.read(min(n - got, READ_CHUNK))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _check_magic(magic: bytes, name: str, ndim: int | None, fix: str) -> tuple[np.dtype, int]:
    """(element type, number of dimensions) from the 4-byte magic number, checked."""
    zero, type_code, dims = int.from_bytes(magic[:2], "big"), magic[2], magic[3]
    if zero != 0 or type_code not in IDX_TYPES:
        raise DatasetError(
            f"{name} has magic number 0x{magic[:4].hex()}; expected 0x0000TTNN with type code TT in "
            f"{{{', '.join(f'{c:02x}' for c in IDX_TYPES)}}}: this is not an IDX file.{fix}"
        )
    if ndim is not None and dims != ndim:
        raise DatasetError(f"{name} has {dims} dimensions; expected {ndim} (magic 0x{magic[:4].hex()}).{fix}")
    return IDX_TYPES[type_code], dims


def _check_shape(sizes: bytes, name: str, tail_shape: Sequence[int] | None, fix: str) -> tuple[int, ...]:
    """The shape from the big-endian uint32 sizes, with its tail checked against ``tail_shape``."""
    shape = tuple(int.from_bytes(sizes[i:i + 4], "big") for i in range(0, len(sizes), 4))
    if tail_shape is not None and shape[1:] != tuple(tail_shape):
        raise DatasetError(f"{name} has shape {shape}; expected (N, {', '.join(map(str, tail_shape))}).{fix}")
    return shape


def _size_error(name: str, found: int, expected: int, header: int, shape: tuple, dtype: np.dtype,
                fix: str, more: bool = False) -> DatasetError:
    """A file whose length is not the one its header declares."""
    kind = "truncated" if found < expected else "longer than its header says"
    return DatasetError(
        f"{name} is {kind}: {'more than ' if more else ''}{found} bytes, expected {expected} "
        f"({header}-byte header + {shape} values of {dtype.itemsize} byte(s)).{fix}"
    )


def parse_idx(
    data: bytes,
    *,
    name: str = "IDX data",
    ndim: int | None = None,
    tail_shape: Sequence[int] | None = None,
    hint: str = "",
) -> np.ndarray:
    """Parse IDX bytes into a read-only native-endian array of shape (d0, d1, ...).

    ``ndim`` and ``tail_shape`` (the sizes after the first) are checked when given;
    every mismatch is a DatasetError naming ``name``, what was found and what was expected.
    """
    fix = _fix(hint)
    if len(data) < 4:
        raise DatasetError(f"{name} is {len(data)} bytes long; an IDX file has at least a 4-byte header.{fix}")
    dtype, dims = _check_magic(data[:4], name, ndim, fix)
    header = 4 + 4 * dims
    if len(data) < header:
        raise DatasetError(f"{name} is {len(data)} bytes, shorter than its {header}-byte header.{fix}")
    shape = _check_shape(bytes(data[4:header]), name, tail_shape, fix)
    expected = header + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        raise _size_error(name, len(data), expected, header, shape, dtype, fix)
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array if dtype.isnative or dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def read_idx(
    path: str | os.PathLike,
    *,
    ndim: int | None = None,
    tail_shape: Sequence[int] | None = None,
    sha256: str | None = None,
    hint: str = "",
    max_bytes: int | None = None,
) -> np.ndarray:
    """Read an IDX file (plain or .gz) into an array (d0, d1, ...), checking SHA-256 of the decompressed bytes if given.

    The size the header declares must be at most ``max_bytes`` (default ``MAX_IDX_BYTES``)
    and fit in the file; only that many bytes (+1) are ever decompressed, so memory stays
    at the declared size. Every failure is a DatasetError naming the file; nothing is returned
    half-read.
    """
    path = Path(path)
    limit = MAX_IDX_BYTES if max_bytes is None else max_bytes
    fix = _fix(hint)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        size = os.fstat(raw.fileno()).st_size
        name = f"{path} (decompressed)" if compressed else str(path)
        with _open_stream(raw, compressed, path, hint) as stream:
            magic = _read_exact(stream, 4)
            if len(magic) < 4:
                raise DatasetError(f"{name} is {len(magic)} bytes long; an IDX file has at least a 4-byte header.{fix}")
            dtype, dims = _check_magic(magic, name, ndim, fix)
            header = 4 + 4 * dims
            sizes = _read_exact(stream, header - 4)
            if len(sizes) < header - 4:
                raise DatasetError(f"{name} is {4 + len(sizes)} bytes, shorter than its {header}-byte header.{fix}")
            shape = _check_shape(sizes, name, tail_shape, fix)
            expected = header + math.prod(shape) * dtype.itemsize
            # Every size is checked before the payload is allocated or decompressed.
            if expected > limit:
                what = f"declares shape {shape} of {dtype.itemsize}-byte values:"
                raise _limit_error(name, expected, limit, what, hint)
            if not compressed and size != expected:
                raise _size_error(name, size, expected, header, shape, dtype, fix)
            if compressed and expected > DEFLATE_MAX_RATIO * size:
                raise DatasetError(
                    f"{name} is truncated: its header declares {expected} bytes, but a {size}-byte gzip "
                    f"file holds at most {DEFLATE_MAX_RATIO * size} ({header}-byte header + {shape} values "
                    f"of {dtype.itemsize} byte(s)).{fix}"
                )
            payload = np.empty(expected - header, dtype=np.uint8)
            digest = hashlib.sha256(magic + sizes) if sha256 is not None else None
            view, done = payload.data, 0
            while done < len(payload):
                got = stream.readinto(view[done:done + READ_CHUNK])
                if not got:
                    break
                if digest is not None:
                    digest.update(view[done:done + got])
                done += got
            if done < len(payload):
                raise _size_error(name, header + done, expected, header, shape, dtype, fix)
            if stream.read(1):  # also makes gzip check its CRC and length trailer
                raise _size_error(name, expected, expected, header, shape, dtype, fix, more=True)
    if digest is not None and sha256 is not None:
        check_sha256(digest.hexdigest(), sha256, f"{path} (decompressed)", hint or "replace it with a good copy")
    array = payload.view(dtype).reshape(shape)
    return array if dtype.isnative or dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (gzip if ``compress`` or the name ends in .gz); for tests and exports."""
    path = Path(path)
    array = np.asarray(array)
    codes = {dt.newbyteorder("=").str[1:]: code for code, dt in IDX_TYPES.items()}
    key = array.dtype.newbyteorder("=").str[1:]
    if key not in codes:
        raise ValueError(f"IDX cannot store dtype {array.dtype}; "
                         "expected one of uint8, int8, int16, int32, float32, float64")
    code = codes[key]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_TYPES[code]).tobytes()
    if compress if compress is not None else path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    return write_atomic(path, payload)
