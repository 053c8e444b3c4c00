"""Module 7's figures: "what the computer sees" (a digit, its numbers, its 784-vector) and the shift experiment.

Checked on what is drawn: the numbers written are the pixel values, the vectors' points
are the flattened images, the moved copy is the image moved; the shift curves are the
accuracies of a direct evaluation on images moved by hand (np.pad and slicing, not the
code under test).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import glassnet
from glassnet.layers import Dense, Flatten
from glassnet.viz import commands
from glassnet.viz.flattening import flattened, plot_what_the_computer_sees
from glassnet.viz.samples import pixel_text
from glassnet.viz.shift import DIRECTIONS, move, plot_shift_experiment, shift_accuracies

PIL = pytest.importorskip("PIL.Image")


def digit(rng, h: int = 28, w: int = 28) -> np.ndarray:
    """A (1, H, W) float32 'digit': ink in the middle, exact zeros around it."""
    image = np.zeros((1, h, w), np.float32)
    image[0, 6:-6, 8:-8] = rng.random((h - 12, w - 16)).astype(np.float32)
    return image


def by_hand(x: np.ndarray, pixels: int, direction: str) -> np.ndarray:
    """Images (N, C, H, W) moved by pixels towards direction, zeros filling in: padding and slicing."""
    if pixels == 0:
        return x.copy()
    n, c, h, w = x.shape
    p = pixels
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    top, left = {"right": (p, 0), "left": (p, 2 * p), "down": (0, p), "up": (2 * p, p)}[direction]
    return padded[:, :, top:top + h, left:left + w]


def gid_items(fig, kind: str, prefix: str) -> dict[str, object]:
    found = {}
    for ax in fig.axes:
        items = {"texts": ax.texts, "lines": ax.get_lines(), "images": ax.get_images()}[kind]
        found.update({item.get_gid()[len(prefix):]: item for item in items
                      if (item.get_gid() or "").startswith(prefix)})
    return found


# -- what the computer sees ---------------------------------------------------------
def test_numbers_drawn_are_the_pixel_values_and_the_vector_is_the_flattened_image(tmp_path):
    rng = np.random.default_rng(3)
    image = digit(rng)
    fig = plot_what_the_computer_sees(image, shift=(0, 3), path=tmp_path / "sees.png")
    assert (tmp_path / "sees.png").is_file()
    numbers = gid_items(fig, "texts", "pixel:")
    assert len(numbers) == 784
    for key, t in numbers.items():
        r, c = map(int, key.split(","))
        value = image[0, r, c]
        assert t.get_text() == pixel_text(value, 2)
        assert abs(float(t.get_text()) - value) <= 0.005 + 1e-7
        assert (t.get_text() == "0") == (value == 0)
    lines = gid_items(fig, "lines", "vector")
    np.testing.assert_array_equal(lines[""].get_ydata(), image.reshape(784))  # row 0, then row 1, ...
    np.testing.assert_array_equal(lines[""].get_xdata(), np.arange(784))
    moved = np.zeros_like(image[0])
    moved[:, 3:] = image[0, :, :-3]  # 3 pixels to the right
    np.testing.assert_array_equal(lines[":moved"].get_ydata(), moved.reshape(784))
    pictures = gid_items(fig, "images", "picture")
    np.testing.assert_array_equal(pictures[""].get_array(), image[0])
    np.testing.assert_array_equal(pictures[":moved"].get_array(), moved)
    changed = int(np.count_nonzero(image.reshape(784) != moved.reshape(784)))
    assert f"{changed} of its 784 numbers differ" in "\n".join(ax.get_title() for ax in fig.axes)
    titles = [ax.get_title() for ax in fig.axes]
    assert "What the computer stores: an array of shape (1, 28, 28), 784 numbers" in titles
    assert any("one vector of 784 numbers" in t for t in titles)


def test_integer_pixels_are_written_as_integers_and_moving_down():
    image = np.zeros((8, 8), np.uint8)
    image[2:5, 3:6] = [[255, 7, 0], [12, 200, 1], [0, 0, 99]]
    fig = plot_what_the_computer_sees(image, shift=(2, 0))
    numbers = gid_items(fig, "texts", "pixel:")
    assert numbers["2,3"].get_text() == "255" and numbers["3,5"].get_text() == "1" and numbers["0,0"].get_text() == "0"
    moved = gid_items(fig, "lines", "vector")[":moved"].get_ydata().reshape(8, 8)
    np.testing.assert_array_equal(moved[4:7, 3:6], image[2:5, 3:6])
    assert moved[:4].sum() == 0
    np.testing.assert_array_equal(flattened(image), image.reshape(-1))


def test_bad_images_and_shifts_are_refused():
    with pytest.raises(ValueError, match="one channel"):
        plot_what_the_computer_sees(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match="out of the frame"):
        plot_what_the_computer_sees(np.zeros((8, 8)), shift=(0, 8))


# -- the shift experiment -----------------------------------------------------------
@pytest.mark.parametrize("direction", list(DIRECTIONS))
def test_move_is_a_shift_with_zeros_filling_in(direction):
    x = np.random.default_rng(1).random((3, 2, 9, 7)).astype(np.float32)
    for pixels in (0, 1, 3):
        np.testing.assert_array_equal(move(x, pixels, direction), by_hand(x, pixels, direction))
    with pytest.raises(ValueError, match="direction"):
        move(x, 1, "sideways")


@pytest.fixture(scope="module")
def small_problem():
    """A linear classifier of 10x10 images whose classes are where the ink is (left, middle, right), trained a little."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    x = rng.random((300, 1, 10, 10)).astype(np.float32) * np.float32(0.2)
    for i, label in enumerate(y):
        x[i, 0, 3:7, 1 + 3 * label:4 + 3 * label] += np.float32(1.0)
    model = glassnet.Sequential([Flatten(), Dense(3)], input_shape=(1, 10, 10), seed=0)
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)
    return model, x, y


def test_shift_accuracies_equal_a_direct_evaluation(small_problem):
    model, x, y = small_problem
    shifts = (0, 1, 2, 3)
    table = shift_accuracies(model, x, y, shifts)
    assert table.shape == (4, 4)
    for i, pixels in enumerate(shifts):
        for j, direction in enumerate(DIRECTIONS):
            predicted = model.predict(by_hand(x, pixels, direction)).argmax(axis=1)
            assert table[i, j] == np.mean(predicted == y)
    assert table[0, 0] > 0.9 and np.all(table[0] == table[0, 0])  # unmoved: the same in every direction
    assert table[3, 0] < table[0, 0]  # moved 3 to the right, the middle column reads as the right one


def test_shift_figure_draws_the_means_in_percent_and_writes_them(small_problem, tmp_path):
    model, x, y = small_problem
    shifts = (0, 2, 4)
    tables = {"linear": shift_accuracies(model, x, y, shifts), "again": shift_accuracies(model, x[:100], y[:100], shifts)}
    fig = plot_shift_experiment(tables, shifts, x[0], path=tmp_path / "shift.png")
    assert (tmp_path / "shift.png").is_file()
    curves = gid_items(fig, "lines", "curve:")
    assert set(curves) == {"linear", "again"}
    for name, table in tables.items():
        np.testing.assert_array_equal(curves[name].get_xdata(), shifts)
        np.testing.assert_allclose(curves[name].get_ydata(), 100 * table.mean(axis=1))
        written = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == f"value:{name}"]
        assert written == [f"{v:.1f}" for v in 100 * table.mean(axis=1)]
    examples = gid_items(fig, "images", "example:")
    assert sorted(map(int, examples)) == list(shifts)
    np.testing.assert_array_equal(examples["4"].get_array(), by_hand(x[:1], 4, "right")[0, 0])
    assert fig.axes[-1].get_ylim() == (0, 105)
    with pytest.raises(ValueError, match="one row per shift"):
        plot_shift_experiment({"bad": np.zeros((2, 4))}, shifts)


# -- glassnet viz what-the-computer-sees / shift ------------------------------------
def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="glassnet")
    commands.add_viz_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["viz", *argv])


@pytest.fixture
def fake_mnist(monkeypatch):
    rng = np.random.default_rng(5)
    ds = SimpleNamespace(x_train=np.stack([digit(rng) for _ in range(96)]), y_train=rng.integers(0, 10, 96),
                         x_test=np.stack([digit(rng) for _ in range(40)]), y_test=rng.integers(0, 10, 40),
                         class_names=tuple(str(i) for i in range(10)))
    monkeypatch.setattr(commands, "load_dataset", lambda name: ds)
    return ds


def test_cli_what_the_computer_sees(fake_mnist, tmp_path):
    args = parse(["what-the-computer-sees", "--index", "4", "--right", "2", "--down", "1",
                  "--out", str(tmp_path / "s.png")])
    assert commands.run_viz(args) == 0 and (tmp_path / "s.png").is_file()
    fig = commands.DRAWERS["what-the-computer-sees"](args)
    np.testing.assert_array_equal(gid_items(fig, "lines", "vector")[""].get_ydata(), fake_mnist.x_train[4].ravel())
    moved = gid_items(fig, "images", "picture")[":moved"].get_array()
    np.testing.assert_array_equal(moved[1:, 2:], fake_mnist.x_train[4, 0, :-1, :-2])
    label = fake_mnist.y_train[4]
    assert f"a {label} as a grid of numbers" in fig._suptitle.get_text()


def test_cli_shift_trains_both_models_and_prints_what_it_draws(fake_mnist, tmp_path, capsys):
    args = parse(["shift", "--epochs", "1", "--limit", "64", "--shifts", "0,2,4", "--out", str(tmp_path / "x.png")])
    fig = commands.DRAWERS["shift"](args)
    out = capsys.readouterr().out
    assert "Training mlp for 1 epoch(s) on 64 mnist training images" in out
    assert "Training lenet5 for 1 epoch(s)" in out
    curves = gid_items(fig, "lines", "curve:")
    assert set(curves) == {"MLP (mlp)", "CNN (lenet5)"}
    rows = [line.split() for line in out.splitlines() if line.endswith("%") and " px " in line]
    assert [row[0] for row in rows] == ["0", "2", "4"]
    printed = np.array([[float(row[2]), float(row[4])] for row in rows])
    drawn = np.array([curves["MLP (mlp)"].get_ydata(), curves["CNN (lenet5)"].get_ydata()]).T
    np.testing.assert_allclose(printed, drawn, atol=0.005 + 1e-9)
    assert "models trained here: 1 epoch(s) on 64 unmoved mnist training images" in fig.axes[-1].get_title()


def test_cli_shift_with_model_files_measures_those_models(fake_mnist, tmp_path, capsys):
    paths = {}
    for kind, layers in (("mlp", [Flatten(), Dense(10)]), ("cnn", [Flatten(), Dense(16), Dense(10)])):
        model = glassnet.Sequential(layers, input_shape=(1, 28, 28), seed=2)
        paths[kind] = tmp_path / f"{kind}.safetensors"
        model.save(str(paths[kind]))
    args = parse(["shift", "--mlp", str(paths["mlp"]), "--cnn", str(paths["cnn"]), "--shifts", "0 1"])
    fig = commands.DRAWERS["shift"](args)
    assert "Training" not in capsys.readouterr().out
    curves = gid_items(fig, "lines", "curve:")
    for kind, path in paths.items():
        model = glassnet.io.load_model(str(path))
        label = next(name for name in curves if name.startswith(kind.upper()))
        expected = [np.mean([np.mean(model.predict(by_hand(fake_mnist.x_test, p, d)).argmax(1) == fake_mnist.y_test)
                             for d in DIRECTIONS]) * 100 for p in (0, 1)]
        np.testing.assert_allclose(curves[label].get_ydata(), expected)
    assert "trained here" not in fig.axes[-1].get_title()
