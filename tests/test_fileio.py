"""Atomic writes: a file appears whole or not at all, with ordinary permissions."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from glassnet import fileio
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


# ---------------------------------------------------------------------------------
# temporary files of killed writers
# ---------------------------------------------------------------------------------
def _dead_pid() -> int:
    """The PID of a process that has exited and been reaped (so no process has it now)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                           text=True, check=True, timeout=60)
    pid = int(child.stdout)
    for _ in range(100):  # the PID may be handed out again; look for one that stays free
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                                 text=True, check=True, timeout=60).stdout)
    pytest.skip("no free PID found")


def _temporary_of(path, pid: int, host: str | None = None, suffix: str = ".tmp"):
    """A temporary file of ``path`` named as a writer with ``pid`` on ``host`` would name it, holding 1 kB."""
    tmp = path.parent / f".{path.name}.{pid}@{host or fileio._host_tag()}.0123abcd{suffix}"
    tmp.write_bytes(b"x" * 1024)
    return tmp


def test_temporary_names_record_the_writer(tmp_path):
    with atomic_path(tmp_path / "model.safetensors") as tmp:
        assert tmp.name.startswith(f".model.safetensors.{os.getpid()}@{fileio._host_tag()}.")
        assert tmp.name.endswith(".tmp") and tmp.exists()
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o600  # nobody else reads a half-written file
        tmp.write_bytes(b"new")


@pytest.mark.skipif(os.name != "posix", reason="PIDs are checked on POSIX only")
def test_a_killed_writers_temporary_is_removed_by_the_next_save_and_a_live_ones_kept(tmp_path):
    target = tmp_path / "model.safetensors"
    dead = _temporary_of(target, _dead_pid())
    live = _temporary_of(target, os.getppid())  # pytest's parent: alive, maybe writing this very file
    write_atomic(target, b"weights")
    assert target.read_bytes() == b"weights"
    assert not dead.exists()
    assert live.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "model.safetensors"])


@pytest.mark.skipif(os.name != "posix", reason="PIDs are checked on POSIX only")
def test_only_the_same_targets_temporaries_are_removed(tmp_path):
    pid = _dead_pid()
    others = [
        _temporary_of(tmp_path / "model.safetensors.bak", pid),    # another target whose name extends ours
        _temporary_of(tmp_path / "history.json", pid),             # another file in the folder
        _temporary_of(tmp_path / "model.safetensors", pid, suffix=".part"),  # another kind of temporary
    ]
    (tmp_path / "model.safetensors.notes").write_text("the user's file")
    ours = _temporary_of(tmp_path / "model.safetensors", pid)
    write_atomic(tmp_path / "model.safetensors", b"weights")
    assert not ours.exists()
    assert all(p.exists() for p in others)
    assert (tmp_path / "model.safetensors.notes").read_text() == "the user's file"


def test_old_temporaries_are_removed_whoever_wrote_them(tmp_path):
    target = tmp_path / "big.gz"
    hour_ago = time.time() - fileio.STALE_AFTER_SECONDS - 60
    other_host = _temporary_of(target, os.getpid(), host="another-computer", suffix=".part")
    reused_pid = _temporary_of(target, os.getpid(), suffix=".part")  # alive now, but the file is old
    legacy = tmp_path / ".big.gz.k2j4_x9a.part"                      # mkstemp's name, no PID
    legacy.write_bytes(b"x")
    recent_other_host = _temporary_of(target, 1, host="another-computer-2", suffix=".part")
    for p in (other_host, reused_pid, legacy):
        os.utime(p, (hour_ago, hour_ago))
    removed = fileio.remove_stale_temporaries(target, suffix=".part")
    assert sorted(removed) == sorted([other_host, reused_pid, legacy])
    assert recent_other_host.exists()  # its writer may be busy on the other computer


def test_the_current_writers_own_temporary_survives_a_concurrent_cleanup(tmp_path):
    target = tmp_path / "report.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("half")
        assert fileio.remove_stale_temporaries(target) == []
        write_atomic(target, "another writer, same process")
        assert tmp.exists()
        tmp.write_text("whole")
    assert target.read_text() == "whole"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
