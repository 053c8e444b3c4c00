"""Where dataset files are looked for: the data directory, the cache, system folders.

Search order for every dataset (``<sub>`` is ``mnist``, ``fashion-mnist``, ``boston``
or ``cifar-10``):

1. ``$GLASSNET_DATA_DIR/<sub>`` (or the ``data_dir`` argument): your own copies,
   never written to;
2. ``$GLASSNET_CACHE_DIR/<sub>`` (default ``~/.cache/glassnet/<sub>``): downloads
   land here;
3. system folders a package installs (Debian's ``/usr/share/datasets/fashion-mnist``);
4. a download from the public mirrors into the cache, unless downloads are off
   (``download=False`` or ``GLASSNET_OFFLINE=1``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

DATA_DIR_ENV = "GLASSNET_DATA_DIR"
CACHE_DIR_ENV = "GLASSNET_CACHE_DIR"
OFFLINE_ENV = "GLASSNET_OFFLINE"

DATA, CACHE, SYSTEM = "data directory", "cache", "system folder"


@dataclass(frozen=True)
class Place:
    """A folder to search, and which kind of place it is (data directory, cache, system)."""

    folder: Path
    role: str

    def fix_hint(self, path: Path) -> str:
        """How a user repairs a bad file found at ``path`` in this place."""
        if self.role == CACHE:
            return (f"delete {path} so that it is downloaded again, or set {DATA_DIR_ENV} "
                    "to a folder holding a good copy")
        if self.role == SYSTEM:
            return (f"reinstall the package that provides {path}, or set {DATA_DIR_ENV} "
                    "to a folder holding a good copy")
        return (f"replace {path} with a good copy, or point {DATA_DIR_ENV} (or data_dir=) "
                "at another folder")


def resolve_data_dir(override: str | os.PathLike | None = None) -> Path | None:
    """The user's data directory: ``override``, else ``$GLASSNET_DATA_DIR``, else None."""
    value = override if override is not None else os.environ.get(DATA_DIR_ENV)
    return Path(value).expanduser() if value else None


def resolve_cache_dir(override: str | os.PathLike | None = None) -> Path:
    """The download cache: ``override``, else ``$GLASSNET_CACHE_DIR``, else ``~/.cache/glassnet``."""
    value = override if override is not None else os.environ.get(CACHE_DIR_ENV)
    return Path(value).expanduser() if value else Path.home() / ".cache" / "glassnet"


def downloads_allowed(download: bool | None) -> bool:
    """``download`` if given, else True unless ``$GLASSNET_OFFLINE`` is set to a true value."""
    if download is not None:
        return bool(download)
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("", "0", "false", "no")


def search_places(
    sub: str,
    *,
    data_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
    system_dirs: Sequence[str | os.PathLike] = (),
) -> list[Place]:
    """The folders searched for dataset ``sub``, in order: data dir, cache, system folders."""
    places = []
    root = resolve_data_dir(data_dir)
    if root is not None:
        places.append(Place(root / sub, DATA))
    places.append(Place(resolve_cache_dir(cache_dir) / sub, CACHE))
    places.extend(Place(Path(d), SYSTEM) for d in system_dirs)
    return places


def find_file(names: Sequence[str], places: Sequence[Place]) -> tuple[Path, Place] | None:
    """The first existing file among ``names`` (in order of preference) in the first place that has one."""
    for place in places:
        for name in names:
            path = place.folder / name
            if path.is_file():
                return path, place
    return None


def describe_places(places: Sequence[Place]) -> str:
    """One line per searched folder, for 'not found' messages."""
    return "\n".join(f"  - {p.folder} ({p.role}{'' if p.folder.is_dir() else ', does not exist'})"
                     for p in places)


def how_to_supply(sub: str, names: Sequence[str]) -> str:
    """The standard advice for supplying files offline."""
    return (f"To use local copies, put {', '.join(names)} in a folder {sub}/ inside a directory "
            f"and set {DATA_DIR_ENV} to that directory (or pass data_dir=...); "
            f"to download, go online and call again with download=True "
            f"(and {OFFLINE_ENV} unset).")
