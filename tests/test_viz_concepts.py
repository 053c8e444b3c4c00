"""Concept figures: architecture boxes, one-hot rows, gradient descent; checked on the drawn matplotlib objects."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
import glassnet.viz as viz
from glassnet import zoo
from glassnet.layers import BatchNorm, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU
from glassnet.viz import commands
from glassnet.viz.concepts import describe_layer, shape_text

PIL = pytest.importorskip("PIL.Image")


def boxes(fig) -> dict[str, object]:
    """The layer boxes of an architecture figure by layer name (input box left out), in drawing order."""
    return {p.get_gid()[len("layer:"):]: p for ax in fig.axes for p in ax.patches
            if (p.get_gid() or "").startswith("layer:")}


def texts_by_gid(fig, prefix: str) -> dict[str, str]:
    return {t.get_gid()[len(prefix):]: t.get_text() for ax in fig.axes for t in ax.texts
            if (t.get_gid() or "").startswith(prefix)}


def all_texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# -- architecture -------------------------------------------------------------------
def test_lenet5_boxes_fold_activations_and_write_each_output_shape():
    model = zoo.build("lenet5")
    fig = viz.plot_architecture(model)
    main = [layer for layer in model.layers if not isinstance(layer, ReLU)]
    assert list(boxes(fig)) == [layer.name for layer in main]  # 12 layers, 8 boxes: each ReLU folded
    shapes = texts_by_gid(fig, "shape:")
    assert shapes.pop("input") == "1×28×28"
    # the shape written in a box is the output shape of its last layer (a folded ReLU keeps it)
    for layer in main:
        assert shapes[layer.name] == shape_text(layer.output_shape)
    assert shapes == {"conv1": "6×28×28", "pool1": "6×14×14", "conv2": "16×10×10", "pool2": "16×5×5",
                      "flatten": "400", "fc1": "120", "fc2": "84", "fc3": "10"}
    texts = all_texts(fig)
    assert "conv1: Conv2D 6@5×5 pad 2 + ReLU" in texts
    assert "pool2: MaxPool2D 2×2" in texts and "fc3: Dense 10" in texts
    # grouped by kind: conv boxes share one colour, pools another, dense a third
    colour = {name: tuple(box.get_facecolor()) for name, box in boxes(fig).items()}
    assert colour["conv1"] == colour["conv2"] != colour["pool1"] == colour["pool2"] != colour["fc1"]
    assert colour["fc1"] == colour["fc3"] != colour["conv1"]
    assert "61,706 parameters" in fig.axes[0].get_title()


def test_all_layers_gives_one_box_per_layer():
    model = zoo.build("lenet5")
    fig = viz.plot_architecture(model, fold=False)
    assert list(boxes(fig)) == [layer.name for layer in model.layers]
    shapes = texts_by_gid(fig, "shape:")
    assert all(shapes[layer.name] == shape_text(layer.output_shape) for layer in model.layers)


def test_vgg_blocks_fold_batchnorm_and_relu_into_their_conv():
    model = zoo.build("vgg_report")
    blocks = viz.architecture_blocks(model)
    fig = viz.plot_architecture(model)
    assert len(boxes(fig)) == len(blocks) == sum(
        not isinstance(layer, (BatchNorm, ReLU)) for layer in model.layers)
    convs = [b for b in blocks if b.kind == "conv"]
    assert convs and all([type(x).__name__ for x in b.layers] == ["Conv2D", "BatchNorm", "ReLU"] for b in convs)
    assert [b.kind for b in blocks].count("pool") == 5
    shapes = texts_by_gid(fig, "shape:")
    assert all(shapes[b.name] == shape_text(b.layers[-1].output_shape) for b in blocks)
    assert shapes[blocks[-1].name] == "10"


def test_description_of_strides_pads_and_dropout():
    model = gn.Sequential([Conv2D(4, 3, stride=2, padding=1), ReLU(), MaxPool2D(2, stride=1), Flatten(),
                           Dense(8), Dropout(0.5), Dense(2)], input_shape=(1, 9, 9))
    assert describe_layer(model.layers[0]) == "Conv2D 4@3×3 stride 2 pad 1"
    assert describe_layer(model.layers[2]) == "MaxPool2D 2×2 stride 1"
    assert describe_layer(model.layers[5]) == "Dropout 0.5"
    fig = viz.plot_architecture(model)
    assert len(boxes(fig)) == 5  # ReLU and Dropout folded
    assert any(t.endswith("Dense 8 + Dropout 0.5") for t in all_texts(fig))


def test_unbuilt_model_is_refused():
    with pytest.raises(ValueError, match="input shape"):
        viz.plot_architecture(gn.Sequential([Dense(3)]))


# -- one-hot ------------------------------------------------------------------------
def test_one_hot_cells_are_rows_of_the_identity(tmp_path):
    labels = np.array([5, 0, 4, 1, 9, 2])
    fig = viz.plot_one_hot(labels, 10, path=tmp_path / "oh.png")
    assert (tmp_path / "oh.png").is_file()
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), np.eye(10)[labels])
    cells = np.array([int(t.get_text()) for t in ax.texts]).reshape(len(labels), 10)
    np.testing.assert_array_equal(cells, np.eye(10, dtype=int)[labels])
    assert [t.get_text() for t in ax.get_yticklabels()] == [f"{y}  →" for y in labels]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(i) for i in range(10)]


def test_one_hot_with_class_names_and_bad_labels():
    fig = viz.plot_one_hot([2, 0], class_names=["cat", "dog", "cow"])
    np.testing.assert_array_equal(fig.axes[0].get_images()[0].get_array(), [[0, 0, 1], [1, 0, 0]])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["cow  →", "cat  →"]
    with pytest.raises(ValueError, match="num_classes"):
        viz.plot_one_hot([3], 3)


# -- gradient descent ---------------------------------------------------------------
def steps_line(ax):
    (line,) = [line for line in ax.get_lines() if line.get_gid() == "steps"]
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def test_gradient_descent_points_follow_the_update_rule():
    rates = (0.05, 0.3, 1.05)
    fig = viz.plot_gradient_descent(rates, start=4.0, steps=10)
    axes = [ax for ax in fig.axes if any(line.get_gid() == "steps" for line in ax.get_lines())]
    assert len(axes) == 3
    for ax, rate in zip(axes, rates):
        x, y = steps_line(ax)
        assert len(x) == 11 and x[0] == 4.0
        np.testing.assert_allclose(x[1:], x[:-1] - rate * 2 * x[:-1])  # x_{t+1} = x_t - η f'(x_t), f = x²
        np.testing.assert_allclose(y, x ** 2)  # the points lie on the curve
        assert f"η = {rate:g}" in ax.get_title()
    small, good, large = (np.abs(steps_line(ax)[0]) for ax in axes)
    assert np.all(np.diff(large) > 0) and large[-1] > 4.0  # too large: every step lands farther away
    assert good[-1] < 1e-3 < small[-1] < 4.0
    assert ["too small" in axes[0].get_title(), "good" in axes[1].get_title(),
            "diverges" in axes[2].get_title()] == [True, True, True]


def test_gradient_descent_on_another_curve_and_bad_rates():
    path = viz.gradient_descent_path(1.0, 0.1, 3, gradient=lambda w: 4 * w ** 3)
    expected = [1.0]
    for _ in range(3):
        expected.append(expected[-1] - 0.1 * 4 * expected[-1] ** 3)
    np.testing.assert_allclose(path, expected)
    fig = viz.plot_gradient_descent([0.1], start=1.0, steps=3, loss=lambda w: np.asarray(w) ** 4,
                                    gradient=lambda w: 4 * np.asarray(w) ** 3)
    np.testing.assert_allclose(steps_line(fig.axes[0])[0], expected)
    with pytest.raises(ValueError, match="positive"):
        viz.plot_gradient_descent([0.1, -1])


# -- glassnet viz ... ---------------------------------------------------------------
def run(argv: list[str], out: Path) -> Path:
    parser = argparse.ArgumentParser(prog="glassnet")
    commands.add_viz_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["viz", *argv, "--out", str(out)])
    assert commands.run_viz(args) == 0
    with PIL.open(out) as im:
        assert im.format == "PNG" and im.size[0] > 200
    return out


def test_cli_architecture_from_zoo_name_and_model_file(tmp_path):
    run(["architecture", "lenet5"], tmp_path / "a.png")
    model = zoo.build("mnist_cnn")
    model.save(str(tmp_path / "m.safetensors"))
    run(["architecture", str(tmp_path / "m.safetensors"), "--all-layers"], tmp_path / "b.png")
    with pytest.raises(ValueError, match="neither a model file nor a zoo model"):
        run(["architecture", "no_such_net"], tmp_path / "c.png")


def test_cli_one_hot_and_gradient_descent(tmp_path):
    run(["one-hot", "--labels", "3,1,2", "--classes", "4"], tmp_path / "oh.png")
    run(["gradient-descent", "--rates", "0.1, 1.2", "--steps", "5"], tmp_path / "gd.png")
    with pytest.raises(ValueError, match="numbers"):
        run(["gradient-descent", "--rates", "fast"], tmp_path / "x.png")
