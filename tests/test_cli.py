"""The ``glassnet`` command: exit codes, the course's report format, one-line errors, files written.

Most tests call ``cli.main([...])`` in-process; one runs the installed ``glassnet``
script (or ``python -m glassnet``) as a subprocess. Training runs use ``--limit`` on the
generated 'shapes' set so they take a second or two.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from glassnet import cli, report, zoo
from glassnet.data.images import convert_channels, read_model_input
from glassnet.demo.inference import framing_for
from glassnet.data import DATASETS

CLASS_LINE = re.compile(r"^Test Accuracy of +\S+: +\d+% \(\d+/\d+\)$")
DIGIT_LINE = re.compile(r"^Test Accuracy of +\d+: +\d+% \(\d+/\d+\)$")  # the course's lines, on MNIST
OVERALL = re.compile(r"^Test Accuracy \(Overall\): +(\d+)% \((\d+)/(\d+)\)$")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """main(argv) -> (exit status, stdout, stderr)."""
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_error_line(err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("glassnet: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def check_report(text: str, line_pattern: re.Pattern[str], num_classes: int) -> None:
    """The course's report: 'Test Loss', one line per class, the overall line, counts that add up."""
    lines = text.splitlines()
    assert any(re.match(r"^Test Loss: \d+\.\d{6}$", line) for line in lines)
    per_class = [line for line in lines if line.startswith("Test Accuracy of")]
    assert len(per_class) == num_classes
    for line in per_class:
        assert line_pattern.match(line), line
    overall = [OVERALL.match(line) for line in lines if line.startswith("Test Accuracy (Overall)")]
    assert len(overall) == 1 and overall[0], text
    percent, correct, total = map(int, overall[0].groups())
    counts = [tuple(map(int, re.search(r"\((\d+)/(\d+)\)$", line).groups())) for line in per_class]
    assert sum(c for c, _ in counts) == correct and sum(t for _, t in counts) == total
    assert percent == 100 * correct // total
    assert "Confusion matrix" in text


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A shape_cnn trained one epoch on 300 'shapes' images, saved by 'glassnet train'."""
    out = tmp_path_factory.mktemp("run") / "shape_cnn"
    status = cli.main(["train", "shape_cnn", "--limit", "300", "--epochs", "1", "--out", str(out), "--quiet",
                       "--no-figures"])
    assert status == 0
    return out


# ---------------------------------------------------------------------------------
# help, listings, summary
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"], ["summary"], ["datasets"], ["models"],
                                     ["viz"], ["demo"]])
def test_help_on_every_command(capsys, command):
    status, out, _ = run(capsys, *command, "--help")
    assert status == 0
    assert out.startswith("usage: glassnet")


def test_models_and_datasets_list_everything(capsys):
    status, out, _ = run(capsys, "models")
    assert status == 0 and all(name in out for name in zoo.MODELS)
    status, out, _ = run(capsys, "datasets")
    assert status == 0
    for name in ("mnist", "fashion_mnist", "cifar10", "boston", "colors", "shapes", "shape_colors"):
        assert re.search(rf"^{name} ", out, re.M), name


def test_summary_of_a_zoo_model(capsys):
    status, out, _ = run(capsys, "summary", "lenet5")
    assert status == 0
    assert "Total params: 61,706" in out and "conv1 (Conv2D)" in out


def test_summary_of_a_saved_model(capsys, trained):
    status, out, _ = run(capsys, "summary", str(trained / "model.safetensors"))
    assert status == 0 and "Trainable params: 19,941" in out


# ---------------------------------------------------------------------------------
# errors: one line, status 1 (ours) or 2 (argparse usage)
# ---------------------------------------------------------------------------------
def test_unknown_model(capsys):
    status, out, err = run(capsys, "train", "lenet6")
    assert status == 1 and out == ""
    assert_one_error_line(err, "unknown model 'lenet6'", "lenet5")
    status, _, err = run(capsys, "summary", "lenet6")
    assert status == 1
    assert_one_error_line(err, "unknown model 'lenet6'")


def test_unknown_dataset(capsys):
    status, _, err = run(capsys, "train", "lenet5", "--dataset", "imagenet")
    assert status == 1
    assert_one_error_line(err, "unknown dataset 'imagenet'", "mnist")


def test_missing_files(capsys, tmp_path, trained):
    status, _, err = run(capsys, "evaluate", str(tmp_path / "nothing.safetensors"), "--dataset", "shapes")
    assert status == 1
    assert_one_error_line(err, "not found", "nothing.safetensors")
    status, _, err = run(capsys, "predict", str(trained / "model.safetensors"), str(tmp_path / "nothing.png"))
    assert status == 1
    assert_one_error_line(err, "image not found", "nothing.png")


def test_not_an_image_and_not_a_model(capsys, tmp_path, trained):
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    status, _, err = run(capsys, "predict", str(trained / "model.safetensors"), str(text))
    assert status == 1
    assert_one_error_line(err, "notes.png", "not an image")
    status, _, err = run(capsys, "evaluate", str(text), "--dataset", "shapes")
    assert status == 1
    assert_one_error_line(err, "notes.png")


def test_model_that_does_not_fit_the_dataset(capsys):
    # VGG-16's five 2x2 pools shrink a 28x28 image to 0x0 at the last pool
    status, _, err = run(capsys, "train", "vgg16", "--dataset", "shapes", "--limit", "10")
    assert status == 1
    assert_one_error_line(err, "model 'vgg16' does not fit dataset 'shapes'", "OH = ")
    # a classifier on a regression set and the other way round
    status, _, err = run(capsys, "train", "linear_regression", "--dataset", "shapes")
    assert status == 1
    assert_one_error_line(err, "regression model", "'shapes' is a classification dataset")


def test_saved_model_against_a_dataset_with_other_classes(capsys, trained):
    status, _, err = run(capsys, "evaluate", str(trained / "model.safetensors"), "--dataset", "colors",
                         "--limit", "20")
    assert status == 1
    assert_one_error_line(err, "5 outputs", "6 classes")


def test_summary_of_a_model_file_with_a_huge_layer_is_one_line(capsys, tmp_path):
    from safetensors.numpy import load_file, save_file

    from glassnet import io
    from glassnet.layers import Dense, Flatten
    from glassnet.model import Sequential

    small = tmp_path / "small.safetensors"
    Sequential([Flatten(), Dense(10)], input_shape=(1, 28, 28), seed=0).save(str(small))
    metadata = io.read_header(small)[1]
    architecture = json.loads(metadata["architecture"])
    architecture["layers"][1]["config"]["units"] = 10**12  # 3 PB of weights
    metadata["architecture"] = json.dumps(architecture)
    tensors = load_file(str(small))
    metadata["checksum"] = io._checksum(tensors)  # only the architecture is wrong
    bomb = tmp_path / "bomb.safetensors"
    save_file(tensors, str(bomb), metadata=metadata)
    status, out, err = run(capsys, "summary", str(bomb))
    assert status == 1 and out == ""
    assert_one_error_line(err, "1,000,000,000,000")


@pytest.mark.parametrize("error", [
    MemoryError("Unable to allocate 7.28 TiB for an array with shape (1000000, 2000000) and data type float32"),
    MemoryError(),
    ValueError("Dense units=1,000,000,000,000 would have too many weights\nthe limit is 268,435,456"),
], ids=["numpy-memory-error", "bare-memory-error", "value-error"])
def test_out_of_memory_and_value_errors_are_one_line(capsys, monkeypatch, error):
    def build(*args, **kwargs):
        raise error

    monkeypatch.setattr(zoo, "build", build)
    status, out, err = run(capsys, "summary", "vgg16")
    assert status == 1 and out == ""
    if isinstance(error, MemoryError):
        assert_one_error_line(err, "not enough memory", str(error))
    else:
        assert_one_error_line(err, "Dense units=1,000,000,000,000", "the limit is 268,435,456")


@pytest.mark.parametrize("port", ["99999", "65536", "-1", "eighty"])
def test_demo_port_out_of_range_is_one_error_line(capsys, port):
    status, out, err = run(capsys, "demo", "--port", port)
    assert status == 2 and out == ""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1, err  # argparse's usage line, then this one
    assert errors[0].startswith("glassnet demo: error: argument --port: ")
    assert port in errors[0] and "from 1 to 65535, or 0 for any free port" in errors[0]


def test_demo_port_bounds_are_accepted():
    parser = cli.build_parser()
    assert [parser.parse_args(["demo", "--port", p]).port for p in ("0", "1", "65535")] == [0, 1, 65535]


@pytest.mark.parametrize("argv", [
    ["train"],                                   # MODEL missing
    ["train", "lenet5", "--epochs", "0"],
    ["train", "lenet5", "--optimizer", "lbfgs"],
    ["predict", "model.safetensors"],            # no IMAGE
    ["frobnicate"],
])
def test_usage_errors_exit_2(capsys, argv):
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert "usage: glassnet" in err and "Traceback" not in err


def test_missing_real_dataset_is_one_line(capsys, offline_data_env):
    status, _, err = run(capsys, "evaluate", "whatever.safetensors", "--dataset", "mnist")
    assert status == 1  # the file is checked first
    status, _, err = run(capsys, "train", "lenet5", "--dataset", "mnist", "--limit", "10")
    assert status == 1
    assert_one_error_line(err, "MNIST", "could not be downloaded", "GLASSNET_DATA_DIR")


# ---------------------------------------------------------------------------------
# train / evaluate / predict
# ---------------------------------------------------------------------------------
def test_train_writes_the_run_folder(trained):
    names = {p.name for p in trained.iterdir()}
    assert {"model.safetensors", "history.json", "history.csv", "report.txt"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    run_info = json.loads((trained / "history.json").read_text())
    assert run_info["model"] == "shape_cnn" and run_info["dataset"] == "shapes" and run_info["epochs"] == 1
    assert len(run_info["history"]["loss"]) == 1 and "accuracy" in run_info["history"]
    csv_lines = (trained / "history.csv").read_text().splitlines()
    assert csv_lines[0] == "epoch,loss,accuracy,lr" and csv_lines[1].startswith("1,")  # lr: shape_cnn's schedule
    check_report((trained / "report.txt").read_text(), CLASS_LINE, 5)


def test_train_prints_progress_and_the_report(capsys, tmp_path):
    status, out, _ = run(capsys, "train", "color_cnn", "--limit", "120", "--epochs", "2", "--batch-size", "32",
                         "--validation-split", "0.25", "--out", str(tmp_path / "run"))
    assert status == 0
    assert "Training color_cnn on colors" in out and "Epoch 2/2" in out and "val_loss" in out
    check_report(out, CLASS_LINE, 6)
    files = {p.name for p in (tmp_path / "run").iterdir()}
    assert {"curves.png", "confusion_matrix.png", "kernels.png"} <= files  # drawn by glassnet.viz
    history = json.loads((tmp_path / "run" / "history.json").read_text())["history"]
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}  # lr: color_cnn's cosine schedule


def test_train_with_augmentation_and_channel_conversion(capsys, tmp_path):
    # color_dnn takes grayscale images: the colour set is converted, as the course's ConvertToGray
    status, out, err = run(capsys, "train", "color_dnn", "--limit", "100", "--epochs", "1", "--augment",
                           "--validation-split", "0.2", "--out", str(tmp_path / "run"), "--quiet", "--no-figures")
    assert status == 0
    assert "converting 'colors' images from 3 to 1 channel" in err
    assert "augmented" in out
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert history["augment"] is True and "val_loss" in history["history"]


def test_main_job_falls_back_to_shapes_without_mnist(capsys, tmp_path, offline_data_env):
    status, out, err = run(capsys, "train", "lenet5", "--limit", "100", "--epochs", "1", "--quiet", "--no-figures",
                           "--out", str(tmp_path / "lenet5"))
    assert status == 0
    assert "dataset 'mnist' is not available" in err and "'shapes'" in err
    assert "Training lenet5 on shapes" in out
    check_report(out, CLASS_LINE, 5)


def test_evaluate_prints_the_course_report(capsys, trained):
    status, out, _ = run(capsys, "evaluate", str(trained / "model.safetensors"), "--limit", "300")
    assert status == 0
    assert "on shapes (150 test samples)" in out  # the dataset recorded in the model file
    check_report(out, CLASS_LINE, 5)
    saved = (trained / "report.txt").read_text().strip()
    assert out.strip().endswith(saved)  # same model, same test set: the same report as after training


def test_predict_any_image(capsys, tmp_path, trained):
    big_dark_on_light = tmp_path / "circle.png"
    img = Image.new("RGB", (300, 200), "white")
    ImageDraw.Draw(img).ellipse([80, 30, 220, 170], outline="black", width=12)
    img.save(big_dark_on_light)
    small_gray_jpeg = tmp_path / "line.jpg"
    gray = Image.new("L", (40, 40), 0)
    ImageDraw.Draw(gray).line([(5, 20), (35, 20)], fill=255, width=3)
    gray.save(small_gray_jpeg)
    transparent = tmp_path / "rgba.png"
    Image.new("RGBA", (28, 28), (0, 0, 0, 0)).save(transparent)

    status, out, _ = run(capsys, "predict", str(trained / "model.safetensors"),
                         str(big_dark_on_light), str(small_gray_jpeg), str(transparent))
    assert status == 0
    blocks = out.strip().split("\n" + str(tmp_path))
    assert len(blocks) == 3
    names = list(DATASETS["shapes"].class_names)
    for block in blocks:
        lines = block.strip().splitlines()
        probabilities = {}
        for line in lines[1:]:
            name, value = line.split(":")
            probabilities[name.strip()] = float(value)
        assert sorted(probabilities) == sorted(names)
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert "inverted to light-on-dark" in blocks[0]
    assert "inverted" not in blocks[1]


def test_load_image_converts_to_the_models_input(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 48), (200, 30, 30)).save(path)
    rgb, steps = read_model_input(str(path), (3, 32, 32), framing=framing_for(None, (32, 32)))
    assert rgb.shape == (3, 32, 32) and rgb.dtype == np.float32 and steps == ["resized"]
    assert 0 <= rgb.min() and rgb.max() <= 1 and rgb[0].mean() > rgb[1].mean()
    gray, steps = read_model_input(str(path), (1, 28, 28), invert="no")
    assert gray.shape == (1, 28, 28) and gray.dtype == np.float32
    assert gray.mean() == pytest.approx((0.299 * 200 + 0.587 * 30 + 0.114 * 30) / 255, abs=0.02)


def test_convert_channels_uses_the_course_weights():
    x = np.zeros((2, 3, 4, 4), dtype=np.float32)
    x[:, 0] = 1.0  # pure red
    gray = convert_channels(x, 1)
    assert gray.shape == (2, 1, 4, 4) and gray.dtype == np.float32
    np.testing.assert_allclose(gray, 0.299, rtol=1e-6)
    assert convert_channels(gray, 3).shape == (2, 3, 4, 4)


def test_real_mnist_report_has_the_course_lines(capsys, tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("GLASSNET_DATA_DIR", str(data_dir))
    status, out, _ = run(capsys, "train", "lenet5", "--limit", "600", "--epochs", "1", "--quiet", "--no-figures",
                         "--out", str(tmp_path / "lenet5"))
    assert status == 0 and "Training lenet5 on mnist" in out
    check_report(out, DIGIT_LINE, 10)


# ---------------------------------------------------------------------------------
# the report module
# ---------------------------------------------------------------------------------
def test_report_lines_match_the_course():
    y_true = np.array([0] * 980 + [1] * 3)
    y_pred = y_true.copy()
    y_pred[:17] = 1
    lines = report.accuracy_lines(y_true, y_pred, [str(i) for i in range(3)])
    assert lines[0] == "Test Accuracy of     0: 98% (963/980)"
    assert lines[1] == "Test Accuracy of     1: 100% (3/3)"
    assert lines[2] == "Test Accuracy of     2: N/A (no test examples)"
    assert lines[-1] == "Test Accuracy (Overall): 98% (966/983)"


def test_report_percent_is_truncated_with_integers():
    # 29/100 * 100 is 28.999999999999996 in floating point; the report says 29%
    y_true = np.zeros(100, dtype=np.int64)
    y_pred = np.ones(100, dtype=np.int64)
    y_pred[:29] = 0
    assert report.accuracy_lines(y_true, y_pred, ["0", "1"])[0] == "Test Accuracy of     0: 29% (29/100)"


# ---------------------------------------------------------------------------------
# the installed command
# ---------------------------------------------------------------------------------
def test_the_installed_command(tmp_path):
    script = shutil.which("glassnet")
    base = [script] if script else [sys.executable, "-m", "glassnet"]
    # the script imports glassnet from wherever it was installed; make it the copy under test
    source_root = str(Path(cli.__file__).resolve().parents[2])  # src/, above glassnet/cli/
    pythonpath = os.pathsep.join(p for p in (source_root, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "GLASSNET_OFFLINE": "1", "PYTHONPATH": pythonpath}
    ok = subprocess.run([*base, "summary", "mlp_keras"], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0 and "Total params: 118,282" in ok.stdout
    bad = subprocess.run([*base, "train", "nosuchnet"], capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()]
    assert bad.stderr.startswith("glassnet: error: unknown model 'nosuchnet'")
    module = subprocess.run([sys.executable, "-m", "glassnet", "--version"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert module.returncode == 0 and module.stdout.startswith("glassnet ")


# ---------------------------------------------------------------------------------
# --schedule and --course
# ---------------------------------------------------------------------------------
def test_schedule_none_trains_at_a_constant_rate(capsys, tmp_path):
    status, out, _ = run(capsys, "train", "color_cnn", "--limit", "64", "--epochs", "3", "--schedule", "none",
                         "--out", str(tmp_path / "run"), "--quiet", "--no-figures")
    assert status == 0
    assert "adam lr=0.003 (constant rate)" in out and "cosine" not in out
    run_info = json.loads((tmp_path / "run" / "history.json").read_text())
    assert run_info["schedule"] == "constant"
    assert run_info["history"]["lr"] == [0.003] * 3


def test_the_model_schedule_applies_only_with_its_own_optimizer_and_rate(capsys, tmp_path):
    # color_cnn's own settings fall along a cosine: the rate of epoch 3 of 3 is below that of epoch 1
    status, out, _ = run(capsys, "train", "color_cnn", "--limit", "64", "--epochs", "3",
                         "--out", str(tmp_path / "own"), "--quiet", "--no-figures")
    assert status == 0 and "(cosine schedule)" in out
    lr = json.loads((tmp_path / "own" / "history.json").read_text())["history"]["lr"]
    assert lr[0] == pytest.approx(0.003) and lr[2] < lr[1] < lr[0]
    # another optimizer and rate: constant, and said so
    status, out, _ = run(capsys, "train", "color_cnn", "--limit", "64", "--epochs", "3", "--optimizer", "sgd",
                         "--lr", "0.01", "--out", str(tmp_path / "sgd"), "--quiet", "--no-figures")
    assert status == 0 and "sgd lr=0.01 (constant rate)" in out and "cosine" not in out
    run_info = json.loads((tmp_path / "sgd" / "history.json").read_text())
    assert run_info["schedule"] == "constant" and run_info["history"]["lr"] == [0.01] * 3
    # ... unless cosine is asked for
    status, out, _ = run(capsys, "train", "color_cnn", "--limit", "64", "--epochs", "3", "--optimizer", "sgd",
                         "--lr", "0.01", "--schedule", "cosine", "--out", str(tmp_path / "cos"), "--quiet",
                         "--no-figures")
    assert status == 0 and "sgd lr=0.01 (cosine schedule)" in out
    lr = json.loads((tmp_path / "cos" / "history.json").read_text())["history"]["lr"]
    assert lr[0] == pytest.approx(0.01) and lr[2] < lr[0]


def test_help_states_the_schedule_rule(capsys):
    status, out, _ = run(capsys, "train", "--help")
    text = " ".join(out.split())
    assert status == 0 and "--schedule {none,cosine}" in text and "--course" in text
    assert "a constant rate when --optimizer or --lr changes them" in text


def test_course_preset_for_lenet5(capsys, tmp_path):
    status, out, _ = run(capsys, "train", "lenet5", "--course", "--dataset", "shapes", "--limit", "60",
                         "--epochs", "1", "--out", str(tmp_path / "run"), "--quiet", "--no-figures")
    assert status == 0
    assert "The lesson's settings (--course): Module 8, LeNet-5 on MNIST" in out
    assert "batch size 20, sgd lr=0.01 (constant rate)" in out  # the lesson's, not the zoo's Adam + cosine
    run_info = json.loads((tmp_path / "run" / "history.json").read_text())
    assert (run_info["optimizer"], run_info["lr"], run_info["batch_size"]) == ("sgd", 0.01, 20)
    assert run_info["course"].startswith("Module 8") and run_info["epochs"] == 1  # --epochs still overrides
    assert zoo.COURSE_TRAINING["lenet5"][1].epochs == 100


def test_course_preset_of_a_model_without_one(capsys):
    status, _, err = run(capsys, "train", "vgg16", "--course", "--dataset", "shapes", "--limit", "10")
    assert status == 1
    assert_one_error_line(err, "no lesson settings for 'vgg16'", "lenet5")
