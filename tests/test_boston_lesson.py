"""The Keras Boston-housing lesson from the command line: one neuron on rooms, its prices, its figures.

``glassnet train linear_regression`` must train on one feature (RM) with the lesson's
RMSprop 0.005, batch 16, 101 epochs, validation_split 0.3; print the prices of homes with
3..7 rooms near the lesson's $11.0K .. $24.8K; and draw price against rooms (x 3..9,
y 0..60) with the loss curves on y 0..300. ``--features all`` is the 13-feature model,
drawn as predicted against true. The figures are caught as they are saved and read back.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from glassnet import cli, zoo
from glassnet.io import load_model
from glassnet.viz import curves, regression

pytestmark = pytest.mark.skipif(
    not (Path(os.environ.get("GLASSNET_DATA_DIR", "/nonexistent")) / "boston").is_dir(),
    reason="needs the real Boston housing CSV: set GLASSNET_DATA_DIR to a folder holding boston/",
)
PRICE = re.compile(r"^Predicted price of a home with (\d) rooms: \$(\d+\.\d)K$")


def train(tmp_path_factory, *options: str) -> tuple[str, Path, dict]:
    """Run 'glassnet train linear_regression OPTIONS'; (stdout, out folder, {file name: Figure} as saved)."""
    out = tmp_path_factory.mktemp("boston") / "run"
    figures: dict[str, object] = {}

    def catch(finish):
        def finish_and_keep(fig, path):
            if path is not None:
                figures[Path(path).name] = fig
            return finish(fig, path)
        return finish_and_keep

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(regression, "finish", catch(regression.finish))
        mp.setattr(curves, "finish", catch(curves.finish))
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            status = cli.main(["train", "linear_regression", "--out", str(out), "--quiet", *options])
    assert status == 0
    return stdout.getvalue(), out, figures


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    return train(tmp_path_factory)


@pytest.fixture(scope="module")
def all_features(tmp_path_factory):
    return train(tmp_path_factory, "--features", "all")


def test_the_default_run_is_the_lesson(lesson):
    out, folder, _ = lesson
    assert "rmsprop lr=0.005 (constant rate), feature(s) RM, validation split 0.3" in out
    assert "101 epoch(s), batch size 16" in out
    run = json.loads((folder / "history.json").read_text())
    assert run["features"] == ["RM"] and len(run["history"]["loss"]) == 101
    assert tuple(load_model(folder / "model.safetensors").input_shape) == (1,)


def test_five_prices_within_2k_of_the_lesson(lesson):
    out, folder, _ = lesson
    prices = [PRICE.match(line).groups() for line in out.splitlines() if PRICE.match(line)]
    assert [int(r) for r, _ in prices] == [3, 4, 5, 6, 7]
    for (_, price), course in zip(prices, zoo.LESSON_PRICES):
        assert abs(float(price) - course) <= 2.0, (price, course)
    # the printed prices are the saved model's, truncated to $0.1K as the lesson prints them
    model = load_model(folder / "model.safetensors")
    expected = [int(p * 10) / 10 for p in zoo.predicted_prices(model)]
    assert [float(p) for _, p in prices] == expected
    assert "Predicted price of a home with 7 rooms" in (folder / "report.txt").read_text()


def test_price_against_rooms_figure(lesson):
    _, folder, figures = lesson
    assert (folder / "regression_training.png").is_file() and (folder / "regression_test.png").is_file()
    model = load_model(folder / "model.safetensors")
    w, b = (float(p.reshape(-1)[0]) for p in model.get_weights())
    for name, title in (("regression_training.png", "Training Dataset"), ("regression_test.png", "Test Dataset")):
        ax = figures[name].axes[0]
        assert ax.get_xlim() == pytest.approx((3, 9)) and ax.get_ylim() == pytest.approx((0, 60))
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Ground Truth", "Model Predictions"]
        assert ax.get_xlabel() == "Average Number of Rooms" and ax.get_title() == title
        x, y = (np.asarray(a, dtype=np.float64) for a in ax.get_lines()[0].get_data())
        assert x[0] == pytest.approx(3) and x[-1] == pytest.approx(9)
        assert np.polyfit(x, y, 1) == pytest.approx([w, b], abs=1e-4)  # the line is the neuron
    points = figures["regression_training.png"].axes[0].collections[0].get_offsets()
    assert len(points) == 404  # every training sample, as the lesson's scatter


def test_loss_curve_is_not_flattened(lesson, all_features):
    for _, folder, figures in (lesson, all_features):
        loss = figures["curves.png"].axes[0]
        assert loss.get_title() == "Loss" and loss.get_ylim() == pytest.approx((0, 300))
        history = json.loads((folder / "history.json").read_text())["history"]
        assert max(history["loss"][-10:]) < 300  # the end of the run lies inside the panel
    assert json.loads((all_features[1] / "history.json").read_text())["history"]["loss"][0] > 1000


def test_all_13_features_is_drawn_as_predicted_against_true(all_features):
    out, folder, figures = all_features
    assert "all 13 features" in out and "Predicted price of a home" not in out
    assert tuple(load_model(folder / "model.safetensors").input_shape) == (13,)
    assert not list(folder.glob("regression_*.png"))
    ax = figures["predicted_vs_true_test.png"].axes[0]
    assert "predicted against true (13 features)" in ax.get_title()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("True price [$K]", "Predicted price [$K]")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Ground Truth" not in labels and "perfect prediction (predicted = true)" in labels


def test_course_preset_names_the_lesson(tmp_path_factory):
    out, folder, _ = train(tmp_path_factory, "--course", "--no-figures")
    assert "Keras lesson 03, linear regression on Boston housing" in out
    run = json.loads((folder / "history.json").read_text())
    assert (run["optimizer"], run["lr"], run["batch_size"], run["epochs"], run["validation_split"]) == \
        ("rmsprop", 0.005, 16, 101, 0.3)
    assert run["schedule"] == "constant" and run["features"] == ["RM"]


def test_evaluate_gives_the_one_feature_model_its_one_column(lesson, capsys):
    """The model file records features=["RM"]: 'glassnet evaluate' picks that column of the 13."""
    _, out, _ = lesson
    assert cli.main(["evaluate", str(out / "model.safetensors")]) == 0
    text = capsys.readouterr().out
    assert "Test Loss (MSE)" in text and "102" in text
