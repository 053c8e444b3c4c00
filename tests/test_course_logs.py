"""The course's own training logs (``glassnet train --log-format module7|step8|report``), line for line.

The lines below are copied from the course's documents (../shared/course beside the project;
the test that reads them there skips where they are not). Each format is a pattern the
printed lines must match, and the course's own numbers put through glassnet's callbacks
must give the course's lines back, character for character.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from glassnet import cli
from glassnet.metrics import RunningMeans
from glassnet.progress import LOG_FORMATS, Module7Log, ReportLog, Step8Log, course_log

COURSE = Path(__file__).resolve().parents[2] / "shared" / "course"

COURSE_LINES = {
    # module7-mlp-and-convolution.md (the perceptron's log; module8-lenet.md prints the same lines)
    "module7": ("module7-mlp-and-convolution.md", ["Epoch: 1        Training Loss: 0.674300",
                                                   "Epoch: 10       Training Loss: 0.302245"]),
    # step8-cnn-from-scratch.md, the colour CNN's last epoch (20 epochs of 282 iterations)
    "step8": ("step8-cnn-from-scratch.md", ["epoch=19, total_iteration=5639",
                                            "loss_train=0.005293, accuracy_train=1.000000",
                                            "loss_valid=0.106723, accuracy_valid=0.968000"]),
    # report-mnist-cifar-vgg.md, the CIFAR net's first epoch and the loop's last line
    "report": ("report-mnist-cifar-vgg.md", ["Epoch: 1 Minibatch:     1 loss: 2.301",
                                             "Epoch: 1 Minibatch:   101 loss: 1.736",
                                             "Finished Training"]),
}

PATTERNS = {
    "module7": [re.compile(r"^Epoch: (\d+) {1,8}Training Loss: \d+\.\d{6}$")],
    "step8": [re.compile(r"^epoch=(\d+), total_iteration=(\d+)$"),
              re.compile(r"^loss_train=\d+\.\d{6}, accuracy_train=[01]\.\d{6}$"),
              re.compile(r"^loss_valid=\d+\.\d{6}, accuracy_valid=[01]\.\d{6}$")],
    "report": [re.compile(r"^Epoch: (\d+) Minibatch: +(\d+) loss: \d+\.\d{3}$"), re.compile(r"^Finished Training$")],
}


def matches(name: str, line: str) -> bool:
    return any(p.match(line) for p in PATTERNS[name])


@pytest.mark.skipif(not COURSE.is_dir(), reason="the course's documents are not beside the project (../shared/course)")
@pytest.mark.parametrize("name", list(COURSE_LINES))
def test_the_lines_here_are_the_courses(name):
    document, lines = COURSE_LINES[name]
    text = (COURSE / document).read_text(encoding="utf-8").splitlines()
    for line in lines:
        assert line in text, f"{line!r} is not a line of {document}"


@pytest.mark.parametrize("name", list(COURSE_LINES))
def test_the_courses_lines_match_the_formats(name):
    assert all(matches(name, line) for line in COURSE_LINES[name][1])


def lines_of(callback) -> list[str]:
    return callback.stream.getvalue().splitlines()


def test_the_courses_numbers_give_the_courses_lines():
    log = Module7Log(io.StringIO())
    log.on_epoch_end(0, {"loss": 0.674300})
    log.on_epoch_end(9, {"loss": 0.302245})
    assert lines_of(log) == COURSE_LINES["module7"][1]

    log = Step8Log(io.StringIO())
    log.set_params({"epochs": 20, "steps": 282, "initial_epoch": 19})
    log.on_train_begin()
    for batch in range(282):
        log.on_batch_end(batch, {})
    log.on_epoch_end(19, {"loss": 0.005293, "accuracy": 1.0, "val_loss": 0.106723, "val_accuracy": 0.968})
    assert lines_of(log) == COURSE_LINES["step8"][1]

    log = ReportLog(io.StringIO())
    log.on_epoch_begin(0)
    means = RunningMeans(["loss"])  # what fit hands its callbacks: the epoch's running mean
    for batch, loss in enumerate([2.301] + [1.9] * 99 + [1.736]):
        means.add(4, [loss])
        log.on_batch_end(batch, {"batch": batch, "size": 4, **means.means()})
    log.on_train_end()
    assert lines_of(log) == COURSE_LINES["report"][1]


def test_report_prints_each_minibatchs_own_loss_with_uneven_batches():
    log = ReportLog(io.StringIO(), every=2)
    log.on_epoch_begin(4)
    means = RunningMeans(["loss"])
    losses, sizes = [3.25, 0.5, 1.125, 7.0, 0.0625], [64, 64, 64, 64, 16]
    for batch, (loss, size) in enumerate(zip(losses, sizes)):
        means.add(size, [loss])
        log.on_batch_end(batch, {"batch": batch, "size": size, **means.means()})
    assert lines_of(log) == ["Epoch: 5 Minibatch:     1 loss: 3.250", "Epoch: 5 Minibatch:     3 loss: 1.125",
                             "Epoch: 5 Minibatch:     5 loss: 0.062"]


def test_unknown_format():
    assert LOG_FORMATS == ("keras", "module7", "step8", "report")
    with pytest.raises(ValueError, match="module7, step8, report"):
        course_log("keras")


def train(capsys, tmp_path, log_format: str, *more: str) -> list[str]:
    status = cli.main(["train", "color_cnn", "--limit", "100", "--epochs", "2", "--batch-size", "8",
                       "--out", str(tmp_path / log_format), "--no-figures", "--log-format", log_format, *more])
    out = capsys.readouterr().out
    assert status == 0, out
    return out.splitlines()


def test_train_prints_module7_lines(capsys, tmp_path):
    lines = [line for line in train(capsys, tmp_path, "module7") if line.startswith("Epoch")]
    assert [PATTERNS["module7"][0].match(line).group(1) for line in lines] == ["1", "2"]
    history = json.loads((tmp_path / "module7" / "history.json").read_text())["history"]
    assert [float(line.split()[-1]) for line in lines] == [round(v, 6) for v in history["loss"]]
    assert not any("ETA" in line or "[====" in line for line in lines)


def test_train_prints_step8_lines(capsys, tmp_path):
    out = train(capsys, tmp_path, "step8", "--validation-split", "0.2")
    lines = [line for line in out if matches("step8", line)]
    # 100 training images, 20 held out: 80 in batches of 8 is 10 steps per epoch
    assert lines[0] == "epoch=0, total_iteration=9" and lines[3] == "epoch=1, total_iteration=19"
    assert [line.split("=")[0] for line in lines] == ["epoch", "loss_train", "loss_valid"] * 2
    history = json.loads((tmp_path / "step8" / "history.json").read_text())["history"]
    assert lines[4] == f"loss_train={history['loss'][1]:.6f}, accuracy_train={history['accuracy'][1]:.6f}"
    assert lines[5] == f"loss_valid={history['val_loss'][1]:.6f}, accuracy_valid={history['val_accuracy'][1]:.6f}"


def test_train_prints_report_lines(capsys, tmp_path):
    out = train(capsys, tmp_path, "report")
    lines = [line for line in out if matches("report", line)]
    # 100 images in batches of 8: 13 minibatches, of which the 1st is printed (every 100th from the 1st)
    assert [line[:28] for line in lines] == ["Epoch: 1 Minibatch:     1 lo", "Epoch: 2 Minibatch:     1 lo",
                                             "Finished Training"]
    assert out.index("Finished Training") < out.index(next(line for line in out if line.startswith("Test Loss")))


def test_quiet_prints_no_log(capsys, tmp_path):
    out = train(capsys, tmp_path, "step8", "--quiet")
    assert not [line for line in out if matches("step8", line)]


def test_help_lists_the_formats(capsys):
    assert cli.main(["train", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--log-format {keras,module7,step8,report}" in text
