"""Stopping 'glassnet train' midway: Ctrl-C keeps the finished epochs, --resume finishes the run as if
nothing had happened, and SIGTERM (even during a save) leaves no temporary file behind.

Ctrl-C is simulated in-process by a callback raising KeyboardInterrupt, and for real by
sending SIGINT / SIGTERM to a subprocess that waits at a known point (a file it creates
says it is there), so nothing depends on timing. Runs use a few hundred generated
'shapes' or 'colors' images, offline.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from glassnet import cli, zoo
from glassnet.callbacks import Callback
from glassnet.io import load_model, read_metadata

SHAPES = ["shape_cnn", "--limit", "160", "--batch-size", "32", "--quiet", "--no-figures"]  # augmented, cosine
COLORS = ["color_cnn", "--limit", "120", "--batch-size", "16", "--validation-split", "0.25", "--quiet",
          "--no-figures"]  # validation split, BatchNorm


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """main(argv) -> (exit status, stdout, stderr)."""
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def weights(path: Path) -> dict[str, np.ndarray]:
    """Every tensor of a saved model: weights, BatchNorm statistics, optimizer state."""
    return load_file(str(path))


def assert_same_weights(actual: Path, expected: Path) -> None:
    a, b = weights(actual), weights(expected)
    assert sorted(a) == sorted(b)
    assert any(name.startswith("optimizer/") for name in a)
    for name in a:
        assert np.array_equal(a[name], b[name]), f"{name} differs from the uninterrupted run's"


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def checkpoint_epochs(folder: Path) -> tuple[int, dict]:
    """(epochs_trained, the recorded run) of folder/checkpoint.safetensors."""
    meta = read_metadata(folder / cli.CHECKPOINT_NAME)
    return meta["training"]["epochs_trained"], meta["user"]["run"]


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (as Ctrl-C does) at batch ``batch`` of epoch ``epoch`` (both 0-based)."""

    def __init__(self, epoch: int, batch: int):
        super().__init__()
        self.stop_epoch, self.stop_batch, self.epoch = epoch, batch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == (self.stop_epoch, self.stop_batch):
            raise KeyboardInterrupt


def add_callback(monkeypatch, callback: Callback) -> None:
    """Make 'glassnet train' use ``callback`` too (before its own checkpoint, as a schedule would be)."""
    make_callbacks = zoo.Training.make_callbacks
    monkeypatch.setattr(zoo.Training, "make_callbacks",
                        lambda self, *a, **k: [*make_callbacks(self, *a, **k), callback])


@pytest.mark.parametrize("argv", [SHAPES, COLORS], ids=["shape_cnn-augmented", "color_cnn-validation"])
def test_ctrl_c_keeps_the_finished_epochs_and_resume_equals_an_uninterrupted_run(
        capsys, monkeypatch, tmp_path, offline_data_env, argv):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    assert run(capsys, "train", *argv, "--epochs", "4", "--out", str(whole))[0] == 0

    with monkeypatch.context() as patch:
        add_callback(patch, InterruptAt(epoch=2, batch=1))
        status, _, err = run(capsys, "train", *argv, "--epochs", "4", "--out", str(parts))
    assert status == 130
    checkpoint = parts / cli.CHECKPOINT_NAME
    assert err.splitlines() == [
        f"glassnet: interrupted in epoch 3 of 4; {checkpoint} keeps epochs 1-2; "
        f"to resume: glassnet train {argv[0]} --out {parts} --resume"]
    epochs_trained, recorded = checkpoint_epochs(parts)
    assert epochs_trained == 2 and recorded["epochs"] == 4
    assert all(len(values) == 2 for values in recorded["history"].values())
    assert load_model(checkpoint).epochs_trained == 2
    assert sorted(p.name for p in parts.iterdir()) == [cli.CHECKPOINT_NAME]  # no final files, no temporaries

    status, out, _ = run(capsys, "train", argv[0], "--out", str(parts), "--resume", "--quiet", "--no-figures")
    assert status == 0 and "resuming after epochs 1-2" in out
    assert_same_weights(parts / "model.safetensors", whole / "model.safetensors")
    got, expected = (json.loads((d / "history.json").read_text()) for d in (parts, whole))
    assert got["history"] == expected["history"]  # all four epochs, the same numbers
    assert got["test_accuracy"] == expected["test_accuracy"] and got["epochs"] == 4
    assert (parts / "report.txt").read_text() == (whole / "report.txt").read_text()
    assert not checkpoint.exists()  # the run is finished
    assert sorted(p.name for p in parts.iterdir()) == sorted(p.name for p in whole.iterdir())


def test_ctrl_c_before_the_first_epoch_ends_says_nothing_was_kept(capsys, monkeypatch, tmp_path, offline_data_env):
    add_callback(monkeypatch, InterruptAt(epoch=0, batch=0))
    status, _, err = run(capsys, "train", *SHAPES, "--epochs", "2", "--out", str(tmp_path / "run"))
    assert status == 130
    assert err.splitlines() == ["glassnet: interrupted in epoch 1 of 2, before any epoch had finished: "
                                "nothing was kept"]
    assert list((tmp_path / "run").iterdir()) == []


def test_resume_can_go_on_to_more_epochs(capsys, monkeypatch, tmp_path, offline_data_env):
    with monkeypatch.context() as patch:
        add_callback(patch, InterruptAt(epoch=1, batch=0))
        assert run(capsys, "train", *SHAPES, "--epochs", "2", "--out", str(tmp_path))[0] == 130
    status, out, _ = run(capsys, "train", "shape_cnn", "--out", str(tmp_path), "--resume", "--epochs", "3")
    assert status == 0 and "3 epoch(s)" in out and "resuming after epoch 1" in out
    assert "Epoch 1/3" not in out and "Epoch 2/3" in out and "Epoch 3/3" in out  # epoch 2 had not finished
    assert len(json.loads((tmp_path / "history.json").read_text())["history"]["loss"]) == 3
    assert load_model(tmp_path / "model.safetensors").epochs_trained == 3


def test_resume_errors_are_one_line(capsys, monkeypatch, tmp_path, offline_data_env):
    status, _, err = run(capsys, "train", "shape_cnn", "--out", str(tmp_path), "--resume")
    assert status == 1 and len(err.splitlines()) == 1
    assert err.startswith("glassnet: error: nothing to resume:") and cli.CHECKPOINT_NAME in err

    with monkeypatch.context() as patch:
        add_callback(patch, InterruptAt(epoch=1, batch=0))
        assert run(capsys, "train", *SHAPES, "--epochs", "3", "--out", str(tmp_path))[0] == 130
    cases = [
        (["train", "shape_cnn", "--limit", "160", "--out", str(tmp_path)],     # forgot --resume
         ["holds an unfinished run (epoch 1 of 3 of shape_cnn)", "add --resume"]),
        (["train", "lenet5", "--out", str(tmp_path), "--resume"],
         ["run of model 'shape_cnn', not 'lenet5'", "glassnet train shape_cnn"]),
        (["train", "shape_cnn", "--out", str(tmp_path), "--resume", "--batch-size", "64"],
         ["--batch-size 64 differs from the run being resumed (32)"]),
        (["train", "shape_cnn", "--out", str(tmp_path), "--resume", "--dataset", "colors"],
         ["--dataset colors differs", "(shapes)"]),
    ]
    for argv, fragments in cases:
        status, _, err = run(capsys, *argv)
        assert status == 1 and len(err.splitlines()) == 1, err
        assert err.startswith("glassnet: error: ") and all(f in err for f in fragments), err
    assert checkpoint_epochs(tmp_path)[0] == 1  # none of them touched the checkpoint

    not_a_checkpoint = tmp_path / "other"
    not_a_checkpoint.mkdir()
    load_model(tmp_path / cli.CHECKPOINT_NAME).save(str(not_a_checkpoint / cli.CHECKPOINT_NAME))  # no run recorded
    status, _, err = run(capsys, "train", "shape_cnn", "--out", str(not_a_checkpoint), "--resume")
    assert status == 1 and len(err.splitlines()) == 1
    assert "is a model file but not a checkpoint of 'glassnet train'" in err


# ---------------------------------------------------------------------------------
# real signals to a real process
# ---------------------------------------------------------------------------------
# Runs 'glassnet train' (cli.main) with a hook that creates the file READY at a known point
# and then waits there (at most a minute) for the test's signal.
SCRIPT = textwrap.dedent('''
    import os, sys, time
    from pathlib import Path
    from glassnet import cli, io, zoo
    from glassnet.callbacks import Callback

    READY, WHERE = Path(sys.argv[1]), sys.argv[2]

    def wait_for_the_signal():
        READY.write_text(str(os.getpid()))
        for _ in range(1200):
            time.sleep(0.05)
        sys.exit("no signal came")

    class WaitInEpoch2(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
        def on_batch_end(self, batch, logs=None):
            if WHERE == "epoch" and self.epoch == 1 and batch == 1:
                wait_for_the_signal()

    make_callbacks = zoo.Training.make_callbacks
    zoo.Training.make_callbacks = lambda self, *a, **k: [*make_callbacks(self, *a, **k), WaitInEpoch2()]

    write_file, saves = io._write_file, []
    def write_half_then_wait(tensors, path, metadata=None):
        saves.append(path)
        if WHERE == "save" and len(saves) == 2:  # the checkpoint of epoch 2
            Path(path).write_bytes(b"half of a checkpoint")
            wait_for_the_signal()
        return write_file(tensors, path, metadata=metadata)
    io._write_file = write_half_then_wait

    sys.exit(cli.main(sys.argv[3:]))
''')


def start_and_signal(tmp_path: Path, where: str, argv: list[str], signum: int,
                     check_waiting=None) -> subprocess.CompletedProcess:
    """Run SCRIPT, wait until it is at ``where``, send ``signum``; the finished process."""
    script, ready = tmp_path / "train_and_wait.py", tmp_path / "ready"
    script.write_text(SCRIPT)
    source_root = str(Path(cli.__file__).resolve().parents[2])  # src/, above glassnet/cli/
    env = {**os.environ, "GLASSNET_OFFLINE": "1", "GLASSNET_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join(p for p in (source_root, os.environ.get("PYTHONPATH")) if p)}
    env.pop("GLASSNET_DATA_DIR", None)
    process = subprocess.Popen([sys.executable, str(script), str(ready), where, *argv], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(1200):  # at most about two minutes
            if ready.exists() or process.poll() is not None:
                break
            time.sleep(0.1)
        assert ready.exists(), f"the run never reached the {where}: {process.communicate(timeout=60)}"
        if check_waiting is not None:
            check_waiting()
        process.send_signal(signum)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_sigint_keeps_the_finished_epochs_and_resume_equals_an_uninterrupted_run(
        capsys, tmp_path, offline_data_env):
    parts, whole = tmp_path / "parts", tmp_path / "whole"
    done = start_and_signal(tmp_path, "epoch", ["train", *SHAPES, "--epochs", "3", "--out", str(parts)],
                            signal.SIGINT)
    checkpoint = parts / cli.CHECKPOINT_NAME
    assert done.returncode == 130, done.stderr
    assert done.stderr.splitlines() == [
        f"glassnet: interrupted in epoch 2 of 3; {checkpoint} keeps epoch 1; "
        f"to resume: glassnet train shape_cnn --out {parts} --resume"]
    assert checkpoint_epochs(parts)[0] == 1
    assert sorted(p.name for p in parts.iterdir()) == [cli.CHECKPOINT_NAME]

    assert run(capsys, "train", "shape_cnn", "--out", str(parts), "--resume")[0] == 0
    assert run(capsys, "train", *SHAPES, "--epochs", "3", "--out", str(whole))[0] == 0
    assert_same_weights(parts / "model.safetensors", whole / "model.safetensors")


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or os.name != "posix", reason="needs POSIX signals")
def test_sigterm_during_a_save_leaves_no_temporary_and_the_previous_checkpoint(tmp_path, offline_data_env):
    out = tmp_path / "run"

    def a_temporary_is_being_written():
        assert [name for name in temporaries(out) if name.startswith(f".{cli.CHECKPOINT_NAME}.")], temporaries(out)

    done = start_and_signal(tmp_path, "save", ["train", *SHAPES, "--epochs", "3", "--out", str(out)],
                            signal.SIGTERM, check_waiting=a_temporary_is_being_written)
    assert done.returncode == 143, done.stderr
    assert done.stderr.splitlines() == [
        f"glassnet: terminated in epoch 2 of 3; {out / cli.CHECKPOINT_NAME} keeps epoch 1; "
        f"to resume: glassnet train shape_cnn --out {out} --resume"]
    assert temporaries(out) == []
    assert sorted(p.name for p in out.iterdir()) == [cli.CHECKPOINT_NAME]
    assert load_model(out / cli.CHECKPOINT_NAME).epochs_trained == 1  # whole, and the one of epoch 1
