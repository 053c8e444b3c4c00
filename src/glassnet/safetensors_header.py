"""Reading a safetensors file's header and checking its layout, before any tensor is read.

A safetensors file is an 8-byte little-endian header length, a JSON header (each tensor's
dtype, shape and byte offsets, plus string ``__metadata__``), then the tensors' bytes one
after the other. ``read_header`` checks all of it against the file's size: the tensors
must tile the data exactly, so a small file cannot declare huge or overlapping tensors.
Each problem is a ``ValueError`` naming the file and what was expected.
"""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from .fileio import check_regular_file

__all__ = ["read_header", "bad_file", "MAX_HEADER_BYTES", "DTYPES"]

MAX_HEADER_BYTES = 100 * 1024 * 1024
"""safetensors' own limit on the JSON header; a larger length means the file is not safetensors."""

DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "I8": np.int8, "I16": np.int16,
          "I32": np.int32, "I64": np.int64, "U8": np.uint8, "U16": np.uint16, "U32": np.uint32,
          "U64": np.uint64, "BOOL": np.bool_}
"""safetensors dtype names -> NumPy types."""


def bad_file(path: Path, problem: str) -> ValueError:
    """The ValueError for a model file that cannot be loaded, naming the file and the problem."""
    return ValueError(f"cannot load model file {path}: {problem}")


def _sniff(head: bytes) -> str:
    """A hint naming the file type from its first bytes, for error messages."""
    if head.startswith(b"PK\x03\x04"):
        return " (it is a zip archive: a PyTorch .pt/.pth file or a Keras .keras file?)"
    if head.startswith(b"\x93NUMPY"):
        return " (it is a NumPy .npy file)"
    if head.startswith(b"\x89HDF"):
        return " (it is an HDF5 file: a Keras .h5 model?)"
    if head[:1] == b"\x80":
        return " (it looks like a pickle, which glassnet never loads)"
    return ""


def read_header(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, str]]:
    """(tensor entries, metadata) of a safetensors file, after checking that its layout is sound."""
    path = check_regular_file(path, "model file", "expected a glassnet model written by model.save()")
    size = path.stat().st_size
    expected = "expected a glassnet model written by model.save() (a .safetensors file)"
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise bad_file(path, f"it is only {size} bytes, too short for a safetensors header; {expected}")
        (header_len,) = struct.unpack("<Q", head)
        if header_len > MAX_HEADER_BYTES or header_len + 8 > size:
            if header_len + 8 > size and header_len <= MAX_HEADER_BYTES:
                problem = (f"its header claims {header_len} bytes but only {size - 8} follow: the file is "
                           f"truncated or not a safetensors file")
            else:
                problem = f"it does not start with a safetensors header{_sniff(head)}"
            raise bad_file(path, f"{problem}; {expected}")
        raw = handle.read(header_len)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise bad_file(path, f"its header is not valid JSON (corrupted file, or not a safetensors file{_sniff(head)}); "
                         f"{expected}") from None
    if not isinstance(header, dict):
        raise bad_file(path, f"its header is not a JSON object; {expected}")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise bad_file(path, "its __metadata__ is not a map of strings (corrupted header)")
    data_size = size - 8 - header_len
    for name, entry in header.items():
        ok = (isinstance(entry, dict) and entry.get("dtype") in DTYPES and isinstance(entry.get("shape"), list)
              and all(isinstance(d, int) and 0 <= d < 2**63 for d in entry["shape"])
              and isinstance(entry.get("data_offsets"), list) and len(entry["data_offsets"]) == 2
              and all(isinstance(o, int) for o in entry["data_offsets"]))
        if not ok:
            raise bad_file(path, f"the header entry for tensor {name!r} is malformed (corrupted header)")
        begin, end = entry["data_offsets"]
        nbytes = _declared_nbytes(entry["shape"], np.dtype(DTYPES[entry["dtype"]]).itemsize)
        if not 0 <= begin <= end or end - begin != nbytes:
            raise bad_file(path, f"tensor {name!r} has offsets {entry['data_offsets']} that do not fit its shape "
                             f"{entry['shape']} (corrupted header)")
    # The tensors must tile the data one after the other, as safetensors writes them: then
    # their sizes add up to the bytes the file really holds, and no two share bytes (which
    # would let a small file declare many copies of one large tensor).
    end_max = 0
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        begin, end = entry["data_offsets"]
        if begin != end_max:
            raise bad_file(path, f"tensor {name!r} starts at byte {begin} of the data, but the tensor before it ends at "
                             f"byte {end_max}; safetensors tensors follow one another (corrupted header)")
        end_max = max(end_max, end)
    if end_max > data_size:
        raise bad_file(path, f"the header describes {end_max} bytes of tensor data but the file holds {data_size}: "
                         "the file is truncated (an interrupted copy or download?)")
    if end_max < data_size:
        raise bad_file(path, f"the file has {data_size - end_max} bytes after its last tensor (corrupted file)")
    return header, metadata


def _declared_nbytes(shape: list[int], itemsize: int) -> int:
    """Bytes of a tensor of this shape (a list of ints from a header), without multiplying huge numbers."""
    if 0 in shape:
        return 0
    nbytes = itemsize
    for dim in shape:
        nbytes *= dim
        if nbytes >= 2**64:  # no file is that big; stop before a long shape list makes a huge integer
            break
    return nbytes
