"""The IDX file format of MNIST and Fashion-MNIST, read in one vectorised step.

An IDX file is a 4-byte magic number ``0x00 0x00 <type code> <ndim>``, then ``ndim``
big-endian uint32 sizes, then the values in C order (big-endian for multi-byte
types). Labels are ``idx1`` (N,), images ``idx3`` (N, 28, 28), both unsigned bytes.
The whole payload becomes an array with one ``np.frombuffer``: no per-sample loop.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from .download import check_sha256, sha256_bytes
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


def read_bytes(path: str | os.PathLike, hint: str = "") -> bytes:
    """Return the file's content, decompressed when it is gzip (recognised by its magic bytes)."""
    path = Path(path)
    data = path.read_bytes()
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise DatasetError(
            f"{path} is not a complete gzip file ({type(exc).__name__}: {exc}); expected a gzip-"
            f"compressed IDX file. It is truncated or corrupted. Fix: {hint or 'replace it with a good copy'}."
        ) from exc


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
    fix = f" Fix: {hint}." if hint else ""
    if len(data) < 4:
        raise DatasetError(f"{name} is {len(data)} bytes long; an IDX file has at least a 4-byte header.{fix}")
    zero, type_code, dims = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or type_code not in IDX_TYPES:
        raise DatasetError(
            f"{name} has magic number 0x{data[:4].hex()}; expected 0x0000TTNN with type code TT in "
            f"{{{', '.join(f'{c:02x}' for c in IDX_TYPES)}}}: this is not an IDX file.{fix}"
        )
    if ndim is not None and dims != ndim:
        raise DatasetError(f"{name} has {dims} dimensions; expected {ndim} (magic 0x{data[:4].hex()}).{fix}")
    header = 4 + 4 * dims
    if len(data) < header:
        raise DatasetError(f"{name} is {len(data)} bytes, shorter than its {header}-byte header.{fix}")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=dims, offset=4))
    if tail_shape is not None and shape[1:] != tuple(tail_shape):
        raise DatasetError(f"{name} has shape {shape}; expected (N, {', '.join(map(str, tail_shape))}).{fix}")
    dtype = IDX_TYPES[type_code]
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "longer than its header says"
        raise DatasetError(
            f"{name} is {kind}: {len(data)} bytes, expected {expected} "
            f"({header}-byte header + {shape} values of {dtype.itemsize} byte(s)).{fix}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array if dtype.isnative or dtype.itemsize == 1 else array.astype(dtype.newbyteorder("="))


def read_idx(
    path: str | os.PathLike,
    *,
    ndim: int | None = None,
    tail_shape: Sequence[int] | None = None,
    sha256: str | None = None,
    hint: str = "",
) -> np.ndarray:
    """Read an IDX file (plain or .gz) into an array, checking SHA-256 of the decompressed bytes if given."""
    path = Path(path)
    data = read_bytes(path, hint)
    if sha256 is not None:
        check_sha256(sha256_bytes(data), sha256, f"{path} (decompressed)", hint or "replace it with a good copy")
    return parse_idx(data, name=str(path), ndim=ndim, tail_shape=tail_shape, hint=hint)


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
