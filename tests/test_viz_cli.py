"""``glassnet viz KIND ...``: each kind draws its PNG from files, which stay byte-for-byte unchanged."""
from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import use_fake_viz_datasets
from glassnet.viz import commands

PIL = pytest.importorskip("PIL.Image")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="glassnet")
    commands.add_viz_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["viz", *argv])


def draw(argv: list[str]):
    """The figure a `glassnet viz ...` command line draws (without writing it)."""
    args = parse(argv)
    return commands.DRAWERS[args.kind](args)


def run(argv: list[str], out: Path) -> Path:
    args = parse([*argv, "--out", str(out)])
    assert commands.run_viz(args) == 0
    with PIL.open(out) as im:
        assert im.format == "PNG" and im.size[0] > 200
    return out


def image_axes(fig):
    return [ax for ax in fig.axes if ax.get_images()]


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def fake_data(monkeypatch):
    """Tiny image and table datasets in place of glassnet.data.load."""
    return use_fake_viz_datasets(monkeypatch, ("cat", "dog", "cow"))


@pytest.fixture
def cnn_file(tmp_path) -> Path:
    import glassnet
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU

    model = glassnet.Sequential(
        [Conv2D(5, 3, input_shape=(1, 12, 12)), ReLU(), MaxPool2D(2), Flatten(), Dense(3)], seed=1
    )
    path = tmp_path / "cnn.safetensors"
    model.save(str(path))
    return path


def test_samples_and_numbers(tmp_path, fake_data, capsys):
    fig = draw(["samples", "--dataset", "tiny", "--count", "7", "--start", "2"])
    axes = image_axes(fig)
    assert len(axes) == 7
    assert [ax.get_title() for ax in axes] == [("cat", "dog", "cow")[v] for v in fake_data["tiny"].y_train[2:9]]
    run(["samples", "--dataset", "tiny"], tmp_path / "s.png")
    capsys.readouterr()

    run(["numbers", "--dataset", "tiny", "--index", "3"], tmp_path / "n.png")
    printed = capsys.readouterr().out.splitlines()
    assert "(1, 12, 12)" in printed[0] and len(printed) == 1 + 12 + 1  # header, 12 rows, 'wrote ...'
    with pytest.raises(ValueError, match="outside"):
        draw(["numbers", "--dataset", "tiny", "--index", "30"])


def test_kernels_and_feature_maps_from_a_model_file(tmp_path, fake_data, cnn_file):
    import glassnet

    before = sha(cnn_file)
    w = glassnet.load_model(str(cnn_file)).layers[0].params["W"]
    axes = image_axes(draw(["kernels", str(cnn_file)]))
    assert len(axes) == 5
    for ax, kernel in zip(axes, w[:, 0]):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), kernel)
    run(["kernels", str(cnn_file)], tmp_path / "k.png")

    fig = draw(["feature-maps", str(cnn_file), "--dataset", "tiny", "--index", "4", "--max-maps", "3"])
    assert len(image_axes(fig)) == 1 + 3 * 3  # the input, then conv, relu, pool rows of 3 maps
    np.testing.assert_array_equal(image_axes(fig)[0].get_images()[0].get_array(), fake_data["tiny"].x_test[4, 0])
    picture = tmp_path / "digit.png"
    PIL.fromarray((np.arange(400).reshape(20, 20) % 256).astype(np.uint8)).save(picture)
    picture_sha = sha(picture)
    run(["feature-maps", str(cnn_file), "--image", str(picture)], tmp_path / "fm.png")
    assert sha(picture) == picture_sha and sha(cnn_file) == before


def test_playground_and_conv_relu_pool_from_an_image_file(tmp_path):
    picture = tmp_path / "photo.png"
    rgb = np.random.default_rng(3).integers(0, 256, (40, 50, 3)).astype(np.uint8)
    PIL.fromarray(rgb).save(picture)
    before = sha(picture)
    fig = draw(["playground", "--image", str(picture)])
    assert len(image_axes(fig)) == 9 and "(3, 40, 50)" in fig.get_suptitle()
    run(["playground"], tmp_path / "play.png")
    titles = [ax.get_title() for ax in image_axes(draw(["conv-relu-pool", "--image", str(picture), "--size", "32"]))]
    assert titles[0].endswith("(3, 32, 32)") and titles[3].endswith("(1, 15, 15)")
    run(["conv-relu-pool", "--image", str(picture), "--kernel", "emboss"], tmp_path / "crp.png")
    assert sha(picture) == before


def test_conv_relu_pool_unknown_kernel_lists_only_what_the_command_takes():
    with pytest.raises(ValueError) as error:
        draw(["conv-relu-pool", "--kernel", "sobel"])
    message = str(error.value)
    assert "unknown kernel 'sobel'" in message and "Sobel-x, emboss" in message
    assert "array" not in message  # a command line gives a name, not an array
    assert image_axes(draw(["conv-relu-pool", "--kernel", "SOBEL-Y"]))  # names are matched in any case


def test_curves_from_history_json_and_csv(tmp_path):
    history = tmp_path / "history.json"
    history.write_text(json.dumps({"model": "x", "history": {"loss": [2.0, 1.0], "val_loss": [2.5, 1.5]}}))
    csv_file = tmp_path / "history.csv"
    csv_file.write_text("epoch,loss,accuracy\n1,2.0,0.5\n2,1.0,0.75\n")
    before = sha(history), sha(csv_file)
    fig = draw(["curves", str(history)])
    np.testing.assert_allclose(fig.axes[0].get_lines()[1].get_ydata(), [2.5, 1.5])
    fig = draw(["curves", str(csv_file)])
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Accuracy"]
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), [0.5, 0.75])
    run(["curves", str(history)], tmp_path / "curves.png")
    assert (sha(history), sha(csv_file)) == before


def test_confusion_per_class_and_predictions(tmp_path, fake_data, cnn_file):
    import glassnet

    ds = fake_data["tiny"]
    model = glassnet.load_model(str(cnn_file))
    y_pred = model.predict(ds.x_test).argmax(axis=1)
    fig = draw(["confusion", str(cnn_file), "--dataset", "tiny"])
    counts = np.array([int(t.get_text()) for t in fig.axes[0].texts]).reshape(3, 3)
    assert counts.sum() == len(ds.x_test) == 20
    assert np.trace(counts) == int((y_pred == ds.y_test).sum())
    run(["confusion", str(cnn_file), "--dataset", "tiny"], tmp_path / "cm.png")
    limited = draw(["confusion", str(cnn_file), "--dataset", "tiny", "--limit", "8"])
    assert sum(int(t.get_text()) for t in limited.axes[0].texts) == 8

    run(["per-class", str(cnn_file), "--dataset", "tiny"], tmp_path / "pc.png")
    fig = draw(["predictions", str(cnn_file), "--dataset", "tiny", "--count", "6", "--errors-first"])
    wrong = int((y_pred != ds.y_test).sum())
    colours = [ax.title.get_color() for ax in image_axes(fig)]
    assert colours == ["tab:red"] * min(wrong, 6) + ["tab:green"] * (6 - min(wrong, 6))
    with pytest.raises(ValueError, match="pass --dataset"):
        draw(["confusion", str(cnn_file)])
    with pytest.raises(ValueError, match="unknown dataset"):
        draw(["confusion", str(cnn_file), "--dataset", "nope"])


def test_probabilities_of_a_dataset_sample_and_of_an_image_file(tmp_path, fake_data, cnn_file):
    import glassnet

    ds = fake_data["tiny"]
    model = glassnet.load_model(str(cnn_file))
    scores = model.predict(ds.x_test[5:6])[0].astype(np.float64)
    expected = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    fig = draw(["probabilities", str(cnn_file), "--dataset", "tiny", "--index", "5"])
    bars = fig.axes[1].patches
    np.testing.assert_allclose([b.get_width() for b in bars], expected, rtol=1e-6)
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["cat", "dog", "cow"]
    picture = tmp_path / "digit.png"
    PIL.fromarray(np.zeros((28, 28), np.uint8)).save(picture)
    run(["probabilities", str(cnn_file), str(picture)], tmp_path / "prob.png")


def test_regression_line_and_all_features(tmp_path, fake_data):
    import glassnet
    from glassnet.layers import Dense

    one = glassnet.Sequential([Dense(1, input_shape=(1,))], seed=0)
    one.layers[0].params["W"][...] = 3
    one.layers[0].params["b"][...] = 1
    one_file = tmp_path / "line.safetensors"
    one.save(str(one_file))
    fig = draw(["regression", str(one_file), "--dataset", "table"])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Average Number of Rooms"
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], fake_data["table"].x_train[:, 1])
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), 3 * line.get_xdata() + 1, rtol=1e-5)
    run(["regression", str(one_file), "--dataset", "table", "--feature", "AGE"], tmp_path / "r.png")

    every = glassnet.Sequential([Dense(1, input_shape=(3,))], seed=0)
    every_file = tmp_path / "all.safetensors"
    every.save(str(every_file))
    fig = draw(["regression", str(every_file), "--dataset", "table"])
    assert fig.axes[0].get_xlabel() == "true value"
    with pytest.raises(ValueError, match="no feature"):
        draw(["regression", str(one_file), "--dataset", "table", "--feature", "PRICE"])


def test_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="model file not found"):
        draw(["kernels", str(tmp_path / "none.safetensors")])
    with pytest.raises(FileNotFoundError, match="history file not found"):
        draw(["curves", str(tmp_path / "none.json")])
    with pytest.raises(FileNotFoundError, match="image file not found"):
        draw(["playground", "--image", str(tmp_path / "none.png")])
    with pytest.raises(SystemExit):
        parse(["unknown-kind"])


def test_glassnet_command_has_viz(tmp_path):
    cli = pytest.importorskip("glassnet.cli")
    out = tmp_path / "p.png"
    assert cli.main(["viz", "conv-relu-pool", "--out", str(out)]) == 0
    assert out.is_file()
    assert cli.main(["viz", "curves", str(tmp_path / "missing.json")]) == 1


def test_real_mnist_samples_and_numbers(tmp_path, data_dir, capsys):
    """Through glassnet.data.load: the course's (1, 28, 28) digit as floats in [0, 1]."""
    fig = draw(["samples", "--dataset", "mnist", "--count", "10"])
    assert len(image_axes(fig)) == 10
    assert [ax.get_title() for ax in image_axes(fig)][:3] == ["5", "0", "4"]  # MNIST's first training labels
    run(["numbers", "--dataset", "MNIST"], tmp_path / "numbers.png")
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith("shape (1, 28, 28), dtype float32, min 0.00, max 1.00")
    assert len(image_axes(draw(["samples", "--dataset", "fashion-mnist", "--count", "4"]))) == 4


def test_dataset_and_class_names_come_from_the_model_file(tmp_path, fake_data):
    import glassnet
    from glassnet import io as glassnet_io
    from glassnet.layers import Conv2D, Dense, Flatten

    model = glassnet.Sequential([Conv2D(2, 3, input_shape=(1, 12, 12)), Flatten(), Dense(3)], seed=2)
    path = tmp_path / "named.safetensors"
    try:
        glassnet_io.save_model(model, str(path), metadata={"dataset": "tiny", "class_names": '["x", "y", "z"]'})
    except TypeError:
        pytest.skip("glassnet.io.save_model takes no metadata")
    fig = draw(["confusion", str(path)])  # no --dataset: the one saved with the model
    assert sum(int(t.get_text()) for t in fig.axes[0].texts) == len(fake_data["tiny"].x_test)
    picture = tmp_path / "digit.png"
    PIL.fromarray(np.full((12, 12), 30, np.uint8)).save(picture)
    fig = draw(["probabilities", str(path), str(picture)])
    assert [t.get_text() for t in fig.axes[-1].get_yticklabels()] == ["x", "y", "z"]
