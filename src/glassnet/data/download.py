"""Download a file from a list of mirrors, verify it, and only then give it its real name.

The bytes go to a hidden temporary file beside the destination; the file is checked
(length announced by the server, SHA-256, or any ``check`` the caller gives) and
renamed into place only when every check passes. An interrupted or failed download
therefore never leaves a file that looks complete: the temporary file is deleted
on any error, including Ctrl-C.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, Sequence

from .errors import ChecksumError, DatasetError, DownloadError
from ..fileio import atomic_path

ProgressHook = Callable[[int, "int | None"], None]
"""Called as ``progress(bytes_so_far, total_bytes_or_None)`` after every chunk."""

USER_AGENT = "glassnet-data/0.1 (+https://pypi.org/project/glassnet)"


def sha256_bytes(data: bytes | bytearray | memoryview) -> str:
    """Hex SHA-256 of a byte string."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(actual: str, expected: str, what: str, hint: str) -> None:
    """Raise ChecksumError naming ``what`` when the two hex digests differ."""
    if actual.lower() != expected.lower():
        raise ChecksumError(
            f"{what} failed its integrity check: SHA-256 is {actual}, expected {expected} "
            f"(the file is truncated, corrupted or a different version). Fix: {hint}."
        )


def _fetch(url: str, tmp: Path, timeout: float, chunk_size: int, progress: ProgressHook | None,
           max_bytes: int | None = None) -> None:
    """Stream ``url`` into ``tmp``; raise DownloadError when the body is shorter than announced or over max_bytes."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(tmp, "wb") as out:
        length = response.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        if max_bytes is not None and total is not None and total > max_bytes:
            raise DownloadError(f"the server announces {total:,} bytes, more than the limit of {max_bytes:,} "
                                "bytes for this file; nothing was downloaded")
        received = 0
        while True:
            chunk = response.read(chunk_size)
            if not chunk:
                break
            if max_bytes is not None and received + len(chunk) > max_bytes:
                raise DownloadError(f"the server sent more than the limit of {max_bytes:,} bytes for this file "
                                    f"(announced: {'none' if total is None else f'{total:,}'}); stopped there")
            out.write(chunk)
            received += len(chunk)
            if progress is not None:
                progress(received, total)
    if total is not None and received != total:
        raise DownloadError(f"connection ended after {received} of {total} bytes")


def download(
    urls: Sequence[str],
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    check: Callable[[Path], None] | None = None,
    timeout: float = 30.0,
    chunk_size: int = 1 << 20,
    progress: ProgressHook | None = None,
    quiet: bool = True,
    max_bytes: int | None = None,
) -> Path:
    """Fetch the first mirror in ``urls`` that yields a verified file; save it as ``dest``.

    ``sha256`` is the expected digest of the downloaded bytes; ``check(path)`` may run
    any further verification on the temporary file (raise DatasetError to reject it).
    A mirror announcing or sending more than ``max_bytes`` bytes is refused before the excess is
    written. A mirror that fails or serves a bad file is skipped; when all fail, DownloadError
    lists every URL with its reason. Unless ``quiet``, each attempt is announced on
    stderr. Returns ``dest``.
    """
    if not urls:
        raise ValueError("download needs at least one URL")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            failures.append(f"{url}: only http:// and https:// URLs are fetched")
            continue
        try:
            # The file gets its real name only once fetched and verified (even on Ctrl-C).
            with atomic_path(dest, suffix=".part") as tmp:
                if not quiet:
                    print(f"glassnet: downloading {url} -> {dest}", file=sys.stderr, flush=True)
                _fetch(url, tmp, timeout, chunk_size, progress, max_bytes)
                if sha256 is not None:
                    check_sha256(sha256_file(tmp), sha256, f"the file downloaded from {url}",
                                 "the mirror serves a bad copy; try another mirror")
                if check is not None:
                    check(tmp)
            return dest
        except (urllib.error.URLError, http.client.HTTPException, OSError, DatasetError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            failures.append(f"{url}: {type(exc).__name__}: {reason}")
    raise DownloadError(
        f"could not download {dest.name} into {dest.parent}; every mirror failed:\n  - "
        + "\n  - ".join(failures)
    )
