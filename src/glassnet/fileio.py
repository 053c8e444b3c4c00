"""Atomic file writes: every file glassnet writes appears whole or not at all.

A writer fills a temporary file beside the target; only when it has finished is the
temporary file flushed to disk and renamed over the target (``os.replace`` is atomic on
POSIX and Windows). A crash, a full disk or a failed check midway leaves the previous
file untouched and no temporary file behind.

A writer killed outright (SIGKILL, power loss) cannot delete its temporary file, so the
name records who wrote it: ``.NAME.PID@HOST.RANDOM.tmp``. The next write of the same
target removes such leftovers when their writer is certainly gone: the process ``PID``
no longer exists on this host, or the file has not been touched for an hour (no save
pauses that long; this also covers a PID reused by another program, writers on another
host sharing the folder, and the ``.NAME.RANDOM.tmp`` names earlier versions used). A live
writer's temporary file is never removed.
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

STALE_AFTER_SECONDS = 3600.0
"""A temporary file untouched for this long belongs to no live writer, whatever its PID says."""


def _default_mode(path: Path) -> int:
    """The existing file's permissions, else what a plain ``open`` would give under the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_directory(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (POSIX only; a no-op elsewhere)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _host_tag() -> str:
    """This computer's name as it can appear in a file name (letters, digits, '-'; at most 32)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32]


def _temporary_pattern(path: Path, suffix: str) -> re.Pattern[str]:
    """Names of this target's temporary files: groups pid and host, or neither for the old random-only names."""
    return re.compile(re.escape(f".{path.name}.")
                      + r"(?:(?P<pid>\d+)@(?P<host>[A-Za-z0-9-]*)\.[0-9a-f]{8}|[a-z0-9_]{8})"
                      + re.escape(suffix) + r"\Z")


def _process_exists(pid: int) -> bool:
    """Whether process ``pid`` exists on this computer (True when that cannot be told)."""
    if os.name != "posix":
        return True  # os.kill(pid, 0) would send CTRL_C_EVENT on Windows; rely on the age rule there
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists but belongs to another user
        return True
    return True


def remove_stale_temporaries(path: str | os.PathLike[str], suffix: str = ".tmp") -> list[Path]:
    """Delete temporary files of ``path`` (by ``atomic_path``) whose writer is gone; return what was deleted."""
    path = Path(path)
    pattern = _temporary_pattern(path, suffix)
    host, now = _host_tag(), time.time()
    removed: list[Path] = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            writer_gone = match["pid"] is not None and match["host"] == host and not _process_exists(int(match["pid"]))
            if writer_gone or age > STALE_AFTER_SECONDS:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone meanwhile, or not ours to delete: cleaning up is best effort
            continue
    return removed


def _create_temporary(path: Path, suffix: str) -> Path:
    """Create an empty, new file ``.NAME.PID@HOST.RANDOM<suffix>`` beside ``path`` (mode 0600, as mkstemp)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    prefix = f".{path.name}.{os.getpid()}@{_host_tag()}."
    for _ in range(100):
        tmp = path.parent / f"{prefix}{secrets.token_hex(4)}{suffix}"
        try:
            os.close(os.open(tmp, flags, 0o600))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"could not create a temporary file beside {path}: 100 names were taken")


@contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``, on error delete it.

    The body writes the whole file to the yielded path (and may check it, raising to
    reject it). The file gets the permissions ``path`` already had, or the usual ones
    for a new file (``mkstemp`` alone would leave 0600). Temporary files of ``path`` left
    by killed writers are removed first (see the module's docstring).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path, suffix)
    tmp = _create_temporary(path, suffix)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode(path))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # gone already after a successful rename
    _fsync_directory(path.parent)


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (str as UTF-8) to ``path`` atomically; return the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


_KINDS = [(stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]


def check_regular_file(path: str | os.PathLike[str], what: str, expected: str, max_bytes: int | None = None,
                       why_limit: str = "", limit_name: str = "the limit") -> Path:
    """``path`` if it is a readable regular file (of at most ``max_bytes``); else an error saying what it is.

    Only ``stat`` is used, never ``open``: a FIFO would block the reader and /dev/zero never ends.
    ``expected`` ends each message ("expected a glassnet .safetensors file").
    """
    path = Path(path)
    try:
        info = path.stat()  # follows symbolic links: what matters is what they point to
    except FileNotFoundError:
        if path.is_symlink():
            raise FileNotFoundError(f"{what} {path} is a symbolic link to {os.readlink(path)}, which does not "
                                    f"exist; {expected}") from None
        raise FileNotFoundError(f"{what} {path} does not exist; {expected}") from None
    except OSError as error:
        raise OSError(f"{what} {path} cannot be examined ({error.strerror or error}); {expected}") from None
    target = f" (a symbolic link to {os.path.realpath(path)})" if path.is_symlink() else ""
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(f"{what} {path}{target} is a directory; {expected}{_files_in(path)}")
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise ValueError(f"{what} {path}{target} is {kind}, not a regular file; {expected}")
    if max_bytes is not None and info.st_size > max_bytes:
        raise ValueError(f"{what} {path}{target} is {info.st_size:,} bytes, over {limit_name} of {max_bytes:,}"
                         + (f": {why_limit}" if why_limit else ""))
    if not os.access(path, os.R_OK):
        raise PermissionError(f"{what} {path}{target} cannot be read (permission denied)")
    return path


def _files_in(folder: Path, limit: int = 3, scan: int = 1000) -> str:
    """'; it holds a.safetensors, b.safetensors' for the first few such files among ``scan`` entries, or ''."""
    found: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for index, entry in enumerate(entries):
                if index >= scan or len(found) >= limit:
                    break
                if entry.name.endswith(".safetensors"):
                    found.append(entry.name)
    except OSError:
        return ""
    return f" (it holds {', '.join(sorted(found))})" if found else ""
