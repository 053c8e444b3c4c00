"""Atomic writes: a file appears whole or not at all, with ordinary permissions."""
from __future__ import annotations

import os
import stat

import pytest

from glassnet.fileio import atomic_path, write_atomic


def test_write_atomic_writes_text_and_bytes(tmp_path):
    assert write_atomic(tmp_path / "a.txt", "héllo\n").read_text(encoding="utf-8") == "héllo\n"
    assert write_atomic(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]


def test_new_files_get_the_permissions_open_would_give(tmp_path):
    umask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "figure.png", b"png")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # not mkstemp's 0600


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.safetensors"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new" and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_failure_midway_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "history.json"
    path.write_text("previous")
    with pytest.raises(OSError, match="disk full"):
        with atomic_path(path) as tmp:
            tmp.write_text("half of the new cont")
            raise OSError("disk full")
    assert path.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["history.json"]


def test_an_interrupt_midway_leaves_nothing_behind(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(tmp_path / "big.gz", suffix=".part") as tmp:
            assert tmp.name.endswith(".part") and tmp.parent == tmp_path
            tmp.write_bytes(b"partial")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_missing_parent_folders_are_created(tmp_path):
    assert write_atomic(tmp_path / "runs" / "lenet5" / "report.txt", "ok").read_text() == "ok"
