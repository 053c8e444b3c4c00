"""glassnet sweep: grids of small training runs, serially, in worker processes and through Ray.

The trials are the colour DNN (or a tiny network built by a function here) on 200 generated
'colors' images for 2 epochs: a fraction of a second each. Every trial trains on one thread,
so the same settings give the same numbers whichever way the trial ran; these tests compare
them bit for bit. Ctrl-C is sent for real (SIGINT to a subprocess's process group) while one
trial waits at a known point (a file it creates says it is there).
"""
from __future__ import annotations

import json
import math
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

import glassnet as gn
from glassnet import cli, zoo
from glassnet.callbacks import Callback, LearningRateScheduler
from glassnet.layers import Dense, Flatten, ReLU
from glassnet.sweep import load_toml, parse_grid
from glassnet.sweep.grid import TRAIN_OPTIONS, expand, settings_key, swept_names
from glassnet.sweep.results import mean_std

SMALL = {"limit": 200, "epochs": 2, "batch_size": 32}
GRID = {"lr": [0.01, 0.003], "seed": [0, 1]}  # 4 trials of color_dnn


def tiny_net(seed=0, input_shape=(3, 28, 28), num_classes=6, hidden=16):
    """A small MLP (N, C, H, W) -> (N, num_classes); hidden=0 fails, as a broken setting would."""
    if hidden < 1:
        raise ValueError(f"hidden must be at least 1, got {hidden}")
    return gn.Sequential([Flatten(), Dense(hidden), ReLU(), Dense(num_classes)], input_shape=input_shape, seed=seed)


def rows_by_settings(result) -> dict[str, dict]:
    """The result's rows by their settings without the runner's trace (key = settings)."""
    return {row["key"]: row for row in result.rows}


def assert_same_trials(a, b) -> None:
    """Two sweeps of the same grid: every trial has the same test numbers, history and weights."""
    rows_a, rows_b = rows_by_settings(a), rows_by_settings(b)
    assert sorted(rows_a) == sorted(rows_b) and len(rows_a) == 4
    for key, row in rows_a.items():
        other = rows_b[key]
        assert row["status"] == other["status"] == "ok", (row.get("error"), other.get("error"))
        for name in ("test_loss", "test_accuracy", "final_loss", "best_accuracy"):
            assert row[name] == other[name], f"{name} of {key}: {row[name]} != {other[name]}"
        assert row["history"] == other["history"]
        weights_a = load_file(str(a.out / "trials" / row["trial"] / "model.safetensors"))
        weights_b = load_file(str(b.out / "trials" / other["trial"] / "model.safetensors"))
        assert sorted(weights_a) == sorted(weights_b)
        for name in weights_a:
            assert np.array_equal(weights_a[name], weights_b[name]), f"{name} of {key} differs"


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory):
    """The 4-trial color_dnn sweep run one trial after another in this process (workers=1)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GLASSNET_LANG", "en")
        return gn.sweep("color_dnn", grid=GRID, out=tmp_path_factory.mktemp("serial"), workers=1, quiet=True,
                        figures=False, **SMALL)


# ------------------------------------------------------------------------------------------
# the grid
# ------------------------------------------------------------------------------------------
def test_grid_words_lists_ranges_and_their_errors():
    grid = parse_grid(["lr=0.01,0.001", "seed=0..4", "optimizer=sgd,adam", "batch-size=16", "augment=true,false"])
    assert grid == {"lr": [0.01, 0.001], "seed": [0, 1, 2, 3, 4], "optimizer": ["sgd", "adam"],
                    "batch_size": [16], "augment": [True, False]}
    assert isinstance(grid["seed"][0], int) and isinstance(grid["lr"][0], float)
    trials = expand({"model": "lenet5"}, parse_grid(["lr=0.1,0.2", "seed=0..2"]))
    assert [(t["lr"], t["seed"]) for t in trials] == [(0.1, 0), (0.1, 1), (0.1, 2), (0.2, 0), (0.2, 1), (0.2, 2)]
    assert swept_names(trials) == ["lr", "seed"]
    assert settings_key({"b": 1, "a": 2}) == settings_key({"a": 2, "b": 1})
    for words, message in ((["lr"], "not NAME=VALUES"), (["seed=4..1"], "ends before it starts"),
                           (["lr=,"], "no values"), (["lr=1", "lr=2"], "swept twice")):
        with pytest.raises(ValueError, match=message):
            parse_grid(words)


def test_a_toml_file_gives_fixed_settings_a_grid_and_a_list_of_trials(tmp_path):
    path = tmp_path / "sweep.toml"
    path.write_text(textwrap.dedent("""
        model = "color_dnn"
        epochs = 3
        out = "runs/x"
        workers = 2
        [grid]
        seed = "0..2"
        [[trial]]
        optimizer = "sgd"
        lr = 0.01
        [[trial]]
        optimizer = "adam"
        lr = 0.001
    """))
    sweep = load_toml(path)
    assert sweep["fixed"] == {"model": "color_dnn", "epochs": 3}
    assert sweep["sweep"] == {"out": "runs/x", "workers": 2}
    trials = expand(sweep["fixed"], sweep["grid"], sweep["trials"])
    assert len(trials) == 6 and trials[0] == {"model": "color_dnn", "epochs": 3, "optimizer": "sgd", "lr": 0.01,
                                              "seed": 0}
    assert swept_names(trials) == ["optimizer", "lr", "seed"]


def test_the_sweep_knows_every_option_of_glassnet_train():
    train = cli.build_parser()._subparsers._group_actions[0].choices["train"]
    # how a run prints (quiet, log_format) and where it goes are not settings of the experiment
    dests = {a.dest for a in train._actions} - {"help", "model", "out", "no_figures", "quiet", "log_format", "resume"}
    assert dests == set(TRAIN_OPTIONS)


def test_an_unknown_setting_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(ValueError, match="unknown setting 'hidden'"):
        gn.sweep("color_dnn", grid={"hidden": [8, 16]}, out=tmp_path, workers=1, quiet=True)
    with pytest.raises(ValueError, match="epochs=2.5 is not a valid int"):
        gn.sweep("color_dnn", epochs=2.5, out=tmp_path, workers=1, quiet=True)
    assert not (tmp_path / "sweep.json").exists()


# ------------------------------------------------------------------------------------------
# the same trials, serially, in worker processes, through Ray
# ------------------------------------------------------------------------------------------
def test_a_serial_sweep_records_every_trial_and_summarises_over_seeds(serial_sweep):
    result = serial_sweep
    assert [r["status"] for r in result.rows] == ["ok"] * 4 and result.swept == ["lr", "seed"]
    saved = json.loads((result.out / "sweep.json").read_text())
    assert [r["key"] for r in saved["trials"]] == [r["key"] for r in result.rows]
    row = result.rows[0]
    assert row["settings"] == {"model": "color_dnn", **SMALL, "lr": 0.01, "seed": 0}
    assert row["runner"] == "serial" and row["glassnet_version"] == gn.__version__
    assert row["final_loss"] == row["history"]["loss"][-1] and row["best_accuracy"] == max(row["history"]["accuracy"])
    assert 0.0 <= row["test_accuracy"] <= 1.0 and row["epochs_run"] == 2 and row["seconds"] > 0
    trial = result.out / "trials" / row["trial"]
    assert {"model.safetensors", "history.json", "report.txt", "log.txt"} <= {p.name for p in trial.iterdir()}
    header = (result.out / "sweep.csv").read_text().splitlines()[0].split(",")
    assert header[:8] == ["trial", "status", "model", "limit", "epochs", "batch_size", "lr", "seed"]
    assert "test_accuracy" in header and "history" not in header
    # the summary: one line per rate, mean ± std over seeds 0 and 1, in %
    lines = result.summary.splitlines()
    assert lines[0].split()[:3] == ["lr", "trials", "seeds"] and len(lines) == 4
    for line, lr in zip(lines[2:], (0.01, 0.003)):
        accuracies = [r["test_accuracy"] for r in result.rows if r["settings"]["lr"] == lr]
        mean, std = mean_std(accuracies)
        assert line.split()[:3] == [str(lr), "2", "0,1"]
        assert f"{100 * mean:.2f} ± {100 * std:.2f} %" in line
    assert (result.out / "summary.txt").read_text() == result.summary + "\n"


def test_local_workers_give_the_same_trials_as_a_serial_run(serial_sweep, tmp_path):
    local = gn.sweep("color_dnn", grid=GRID, out=tmp_path, workers=2, quiet=True, **SMALL)
    assert {r["runner"] for r in local.rows} == {"local"}
    assert_same_trials(serial_sweep, local)
    assert sorted(p.name for p in local.figures) == ["sweep_curves.png", "sweep_lr.png"]
    assert all(p.stat().st_size > 10_000 for p in local.figures)


def test_ray_tasks_give_the_same_trials_as_a_serial_run(serial_sweep, tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install -e '.[ray]')")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        through_ray = gn.sweep("color_dnn", grid=GRID, out=tmp_path, ray=True, quiet=True, figures=False, **SMALL)
    finally:
        ray.shutdown()
    assert {r["runner"] for r in through_ray.rows} == {"ray"}
    assert_same_trials(serial_sweep, through_ray)


def test_ray_without_ray_installed_says_how_to_install_it(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    status = cli.main(["sweep", "color_dnn", "--limit", "200", "--epochs", "1", "--ray", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1 and len(err.splitlines()) == 1
    assert "--ray needs Ray, which is not installed" in err and 'pip install "glassnet[ray]"' in err


# ------------------------------------------------------------------------------------------
# resuming, failing, interrupting
# ------------------------------------------------------------------------------------------
def test_a_rerun_skips_finished_trials_and_a_failing_trial_does_not_stop_the_others(tmp_path, capsys):
    first = gn.sweep(tiny_net, dataset="colors", grid={"hidden": [8, 0], "seed": [0, 1]}, out=tmp_path, workers=2,
                     figures=False, **SMALL)
    out = capsys.readouterr().out
    failed = [r for r in first.rows if r["status"] == "failed"]
    assert [r["settings"]["hidden"] for r in failed] == [0, 0]
    assert all(r["error"] == "ValueError: hidden must be at least 1, got 0" for r in failed)
    assert [r["status"] for r in first.rows if r["settings"]["hidden"] == 8] == ["ok", "ok"]
    assert "FAILED: ValueError: hidden must be at least 1" in out and "2 trial(s) failed" in out
    log = (tmp_path / "trials" / failed[0]["trial"] / "log.txt").read_text()
    assert "Traceback" in log and "hidden must be at least 1" in log
    assert first.rows[0]["settings"]["model"] == f"{__name__}:tiny_net"

    # again, with more seeds: the two finished trials are kept as they were, the failed ones tried again
    second = gn.sweep(tiny_net, dataset="colors", grid={"hidden": [8, 0], "seed": [0, 1, 2]}, out=tmp_path,
                      workers=1, figures=False, **SMALL)
    out = capsys.readouterr().out
    assert second.skipped == 2 and "skipping 2 trial(s) already finished" in out
    kept = {r["key"]: r for r in first.rows if r["status"] == "ok"}
    for row in second.rows:
        if row["key"] in kept:
            assert row == kept[row["key"]]  # not run again: the same row, same time stamp
        else:
            assert row["runner"] == "serial"
    assert len(second.rows) == 6 and sum(r["status"] == "ok" for r in second.rows) == 3


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (as Ctrl-C does) at the first batch of epoch ``epoch`` (0-based)."""

    def __init__(self, epoch: int):
        super().__init__()
        self.stop_epoch, self.epoch = epoch, -1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if self.epoch == self.stop_epoch:
            raise KeyboardInterrupt


def test_an_interrupted_trial_is_continued_from_its_checkpoint_and_ends_as_if_uninterrupted(
        serial_sweep, monkeypatch, tmp_path):
    make_callbacks, calls = zoo.Training.make_callbacks, []

    def interrupting(self, *args, **kwargs):  # the third trial is interrupted in its second epoch
        calls.append(1)
        own = make_callbacks(self, *args, **kwargs) or [LearningRateScheduler(lambda epoch, rate: rate)]
        return [*own, *([InterruptAt(1)] if len(calls) == 3 else [])]

    with monkeypatch.context() as patch:
        patch.setattr(zoo.Training, "make_callbacks", interrupting)
        with pytest.raises(KeyboardInterrupt, match="after 2 of 4 trials; .*sweep.json keeps the finished ones"):
            gn.sweep("color_dnn", grid=GRID, out=tmp_path, workers=1, quiet=True, figures=False, **SMALL)
    saved = json.loads((tmp_path / "sweep.json").read_text())["trials"]
    assert [r["status"] for r in saved] == ["ok", "ok"]
    cut = tmp_path / "trials" / serial_sweep.rows[2]["trial"]
    assert (cut / cli.CHECKPOINT_NAME).exists() and not (cut / "model.safetensors").exists()

    resumed = gn.sweep("color_dnn", grid=GRID, out=tmp_path, workers=1, quiet=True, figures=False, **SMALL)
    assert resumed.skipped == 2 and not (cut / cli.CHECKPOINT_NAME).exists()
    assert_same_trials(serial_sweep, resumed)  # the continued trial ends bit-identical to the uninterrupted one


NETS = '''
import os, time
import glassnet as gn
from glassnet.layers import Dense, Flatten, ReLU


def net(seed=0, input_shape=(3, 28, 28), num_classes=6):
    if os.environ.get("HANG_SEED") == str(seed):  # wait here until killed, saying so
        with open(os.environ["HANG_FILE"], "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)
    return gn.Sequential([Flatten(), Dense(8), ReLU(), Dense(num_classes)], input_shape=input_shape, seed=seed)
'''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_ends_the_workers_keeps_finished_trials_and_exits_130_or_143(tmp_path, how):
    nets, out, hang = tmp_path / "nets.py", tmp_path / "sweep", tmp_path / "hanging"
    nets.write_text(NETS)
    argv = [sys.executable, "-m", "glassnet", "sweep", f"{nets}:net", "--dataset", "colors", "--limit", "200",
            "--epochs", "2", "--grid", "seed=0..3", "--workers", "2", "--no-figures", "--out", str(out)]
    env = {**os.environ, "GLASSNET_LANG": "en", "HANG_SEED": "2", "HANG_FILE": str(hang)}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # seeds 0, 1, 3 done, seed 2 waiting in a worker
            rows = json.loads((out / "sweep.json").read_text())["trials"] if (out / "sweep.json").exists() else []
            if hang.exists() and hang.read_text() and len(rows) == 3:
                break
            assert process.poll() is None, process.communicate()
            time.sleep(0.2)
        else:
            pytest.fail("the sweep did not reach its waiting trial")
        worker = int(hang.read_text())
        if how == "ctrl-c":
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole process group
        else:
            process.send_signal(signal.SIGTERM)  # 'kill PID': the sweep's own process only
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    what, status = ("interrupted", 130) if how == "ctrl-c" else ("terminated", 143)
    assert process.returncode == status
    assert err.strip().splitlines()[-1] == (f"glassnet: {what} after 3 of 4 trials; {out / 'sweep.json'} keeps "
                                            "the finished ones; run the same command again to continue")
    for _ in range(50):
        if not _alive(worker):
            break
        time.sleep(0.1)
    assert not _alive(worker), "the worker running the interrupted trial is still alive"
    saved = json.loads((out / "sweep.json").read_text())["trials"]
    assert sorted(r["settings"]["seed"] for r in saved) == [0, 1, 3] and {r["status"] for r in saved} == {"ok"}
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left

    rerun = subprocess.run(argv[:-2] + ["--workers", "1", "--out", str(out)], env={**env, "HANG_SEED": ""},
                           capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "skipping 3 trial(s) already finished" in rerun.stdout and "[4/4] seed=2: test_accuracy" in rerun.stdout
    saved = json.loads((out / "sweep.json").read_text())["trials"]
    assert sorted(r["settings"]["seed"] for r in saved) == [0, 1, 2, 3] and {r["status"] for r in saved} == {"ok"}


def test_the_command_reads_a_sweep_file_and_prints_the_table(capsys, tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(textwrap.dedent(f"""
        model = "color_dnn"
        limit = 200
        epochs = 1
        out = "{tmp_path / 'from-file'}"
        [grid]
        optimizer = ["sgd", "adam"]
    """))
    status = cli.main(["sweep", "--config", str(config), "--grid", "seed=0..1", "--workers", "1", "--no-figures"])
    out = capsys.readouterr().out
    assert status == 0
    table = out[out.index("optimizer  trials"):].splitlines()
    assert table[0].split() == ["optimizer", "trials", "seeds", "test_accuracy", "(mean", "±", "std)", "time/trial",
                                "failed"]
    assert [line.split()[:3] for line in table[2:4]] == [["sgd", "2", "0,1"], ["adam", "2", "0,1"]]
    rows = json.loads((tmp_path / "from-file" / "sweep.json").read_text())["trials"]
    assert len(rows) == 4 and all(r["settings"]["epochs"] == 1 for r in rows)
    assert not math.isnan(rows[0]["test_loss"])
