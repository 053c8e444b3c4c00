"""Figures: each one drawn headlessly to a PNG, its size and content checked, its inputs left untouched."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet.viz as viz
from glassnet.viz._figure import DPI

PIL = pytest.importorskip("PIL.Image")


def png_size(path: Path) -> tuple[int, int]:
    with PIL.open(path) as im:
        assert im.format == "PNG"
        return im.size


def assert_png_of(fig, path: Path) -> None:
    """The PNG exists and has the figure's size in pixels (inches x DPI), with no temp file left beside it."""
    w, h = fig.get_size_inches()
    assert png_size(path) == (round(w * DPI), round(h * DPI))
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def image_axes(fig):
    """Axes that show an image, in grid order."""
    return [ax for ax in fig.axes if ax.get_images()]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digits(rng, n=12, size=28):
    """Digit-like (N, 1, H, W) float32 images in [0, 1] and labels (N,)."""
    x = np.zeros((n, 1, size, size), np.float32)
    for i in range(n):
        r0, c0 = rng.integers(4, 10, size=2)
        x[i, 0, r0 : r0 + 14, c0 : c0 + 3] = rng.random((14, 3), dtype=np.float32)
    return x, (np.arange(n) % 10).astype(np.int64)


def test_import_glassnet_does_not_load_matplotlib():
    code = "import sys, glassnet, glassnet.viz; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_save_png_rejects_other_suffix_and_leaves_no_temp(tmp_path):
    fig = viz.plot_regression([1, 2], [3, 4], [1, 2], [3, 4])
    with pytest.raises(ValueError, match=r"\.png"):
        viz.save_png(fig, tmp_path / "figure.jpg")
    viz.save_png(fig, tmp_path / "sub" / "figure.png")
    assert_png_of(fig, tmp_path / "sub" / "figure.png")


def test_notebook_display_is_a_png():
    fig = viz.plot_regression([1, 2], [3, 4], [1, 2], [3, 4])
    assert fig._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


# -- samples ----------------------------------------------------------------------
def test_samples_grid_shows_each_image_with_its_label(tmp_path, rng):
    x, y = digits(rng, 12)
    x_before, y_before = x.copy(), y.copy()
    names = [f"c{i}" for i in range(10)]
    fig = viz.plot_samples(x, y, class_names=names, path=tmp_path / "s.png")
    assert_png_of(fig, tmp_path / "s.png")
    axes = image_axes(fig)
    assert len(axes) == 12
    assert [ax.get_title() for ax in axes] == [names[v] for v in y]
    for ax, image in zip(axes, x):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), image[0])
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)


def test_samples_with_predictions_colour_errors_red(rng):
    x, y = digits(rng, 6)
    pred = y.copy()
    pred[[1, 4]] = (pred[[1, 4]] + 1) % 10
    fig = viz.plot_samples(x, y, predictions=pred)
    titles = [ax.title for ax in image_axes(fig)]
    red = [i for i, t in enumerate(titles) if t.get_color() == "tab:red"]
    assert red == [1, 4]
    assert titles[1].get_text() == f"{pred[1]} ({y[1]})"


def test_samples_colour_images_and_bad_shapes(rng):
    x = rng.random((4, 3, 8, 8)).astype(np.float32)
    fig = viz.plot_samples(x)
    assert image_axes(fig)[0].get_images()[0].get_array().shape == (8, 8, 3)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        viz.plot_samples(rng.random((4, 2, 8, 8)))
    with pytest.raises(ValueError, match="labels"):
        viz.plot_samples(x, labels=[1])


def test_image_as_numbers_text_round_trips(rng):
    image = (rng.random((1, 28, 28)) * (rng.random((28, 28)) > 0.6)).astype(np.float32)
    text = viz.image_as_numbers(image)
    header, *rows = text.splitlines()
    assert "(1, 28, 28)" in header and "float32" in header
    assert len(rows) == 28
    values = np.array([[float(v) for v in row.split()] for row in rows])
    np.testing.assert_allclose(values, image[0], atol=0.005 + 1e-7)
    assert viz.image_as_numbers(np.array([[0, 255], [7, 1]], np.uint8)).splitlines()[1:] == ["  0 255", "  7   1"]
    with pytest.raises(ValueError, match="one channel"):
        viz.image_as_numbers(rng.random((3, 4, 4)))


def test_image_as_numbers_figure_writes_every_pixel(tmp_path, rng):
    image = rng.random((1, 10, 12)).astype(np.float32)
    fig = viz.plot_image_as_numbers(image, path=tmp_path / "n.png")
    assert_png_of(fig, tmp_path / "n.png")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 120
    np.testing.assert_allclose(np.array(texts, float).reshape(10, 12), image[0], atol=0.005 + 1e-7)
    assert "(1, 10, 12)" in ax.get_title()


# -- training curves --------------------------------------------------------------
HISTORY = {
    "loss": [1.0, 0.6, 0.4],
    "accuracy": [0.5, 0.7, 0.8],
    "val_loss": [1.1, 0.7, 0.5],
    "val_accuracy": [0.45, 0.65, 0.75],
}


def check_history_figure(fig):
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "Loss" and acc_ax.get_title() == "Accuracy"
    for ax, key in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        train, valid = ax.get_lines()
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(train.get_ydata(), HISTORY[key])
        np.testing.assert_allclose(valid.get_ydata(), HISTORY[f"val_{key}"])


def test_history_from_dict_object_and_file(tmp_path):
    check_history_figure(viz.plot_history(HISTORY, path=tmp_path / "c.png"))
    assert_png_of(viz.plot_history(HISTORY), tmp_path / "c.png")

    class FakeHistory:
        history = HISTORY

    check_history_figure(viz.plot_history(FakeHistory()))
    saved = tmp_path / "history.json"
    saved.write_text(json.dumps({"history": HISTORY, "epochs": 3}))
    before = sha(saved)
    check_history_figure(viz.plot_history(saved))
    check_history_figure(viz.plot_history(str(saved)))
    assert sha(saved) == before


def test_history_without_validation_or_accuracy(tmp_path):
    fig = viz.plot_history({"loss": [3.0, 2.0, 1.5, 1.2]})
    assert len(fig.axes) == 1 and len(fig.axes[0].get_lines()) == 1
    with pytest.raises(ValueError, match="per-epoch"):
        viz.plot_history({"note": "nothing to plot"})
    with pytest.raises(FileNotFoundError):
        viz.plot_history(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        viz.plot_history(tmp_path / "bad.json")


# -- evaluation -------------------------------------------------------------------
def test_confusion_matrix_annotations_sum_to_test_set_size(tmp_path, rng):
    from glassnet.metrics import confusion_matrix

    y_true = rng.integers(0, 10, 500)
    y_pred = np.where(rng.random(500) < 0.8, y_true, rng.integers(0, 10, 500))
    cm = confusion_matrix(y_true, y_pred, 10)
    cm_before = cm.copy()
    names = [f"class {i}" for i in range(10)]
    fig = viz.plot_confusion_matrix(cm, names, path=tmp_path / "cm.png")
    assert_png_of(fig, tmp_path / "cm.png")
    ax = fig.axes[0]
    numbers = np.array([int(t.get_text()) for t in ax.texts]).reshape(10, 10)
    np.testing.assert_array_equal(numbers, cm)
    assert numbers.sum() == 500
    assert ax.get_xlabel() == "Predicted" and ax.get_ylabel() == "Truth"
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    np.testing.assert_array_equal(cm, cm_before)
    with pytest.raises(ValueError, match="square"):
        viz.plot_confusion_matrix(np.zeros((2, 3), int))
    with pytest.raises(ValueError, match="class names"):
        viz.plot_confusion_matrix(cm, names[:3])


def test_per_class_accuracy_bars(tmp_path):
    cm = np.array([[8, 2, 0], [1, 3, 0], [0, 0, 0]])
    fig = viz.plot_per_class_accuracy(cm, ["a", "b", "c"], path=tmp_path / "pca.png")
    assert_png_of(fig, tmp_path / "pca.png")
    ax = fig.axes[0]
    np.testing.assert_allclose([p.get_height() for p in ax.patches], [80, 75, 0])
    assert [t.get_text() for t in ax.texts] == ["8/10", "3/4", "0/0"]
    assert "11/14" in ax.get_title()


def test_predictions_grid_marks_errors_red(tmp_path, rng):
    x, y = digits(rng, 10)
    pred = y.copy()
    pred[[0, 7]] = 3 - (y[[0, 7]] == 3)
    fig = viz.plot_predictions(x, y, pred, [str(i) for i in range(10)], path=tmp_path / "p.png")
    assert_png_of(fig, tmp_path / "p.png")
    axes = image_axes(fig)
    assert len(axes) == 10
    red = [i for i, ax in enumerate(axes) if ax.title.get_color() == "tab:red"]
    assert red == [0, 7]
    assert "2 of 10 wrong" in fig.get_suptitle()
    first = viz.plot_predictions(x, y, pred, errors_first=True, max_images=4)
    assert [ax.title.get_color() for ax in image_axes(first)] == ["tab:red", "tab:red", "tab:green", "tab:green"]
    with pytest.raises(ValueError, match="equal counts"):
        viz.plot_predictions(x, y[:3], pred)


def test_probabilities_bars_equal_the_probabilities(tmp_path, rng):
    probs = rng.dirichlet(np.ones(10)).astype(np.float32)
    image = rng.random((1, 28, 28)).astype(np.float32)
    fig = viz.plot_probabilities(probs, [f"d{i}" for i in range(10)], image=image, true_label=2,
                                 path=tmp_path / "pr.png")
    assert_png_of(fig, tmp_path / "pr.png")
    bars_ax = fig.axes[1]
    np.testing.assert_allclose([p.get_width() for p in bars_ax.patches], probs, rtol=1e-6)
    assert f"d{int(np.argmax(probs))}" in bars_ax.get_title()
    assert len(viz.plot_probabilities(probs).axes) == 1


FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def text_boxes(fig):
    """(text, window bounding box) of every visible title, tick label and annotation of ``fig``, drawn."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [fig._suptitle] if fig._suptitle is not None else []
    for ax in fig.axes:
        texts += [ax.title, *ax.texts]
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            low, high = min(low, high), max(low, high)  # ticks past the limits are not drawn
            texts += [tick.label1 for tick in axis.get_major_ticks() if low <= tick.get_loc() <= high]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_visible() and t.get_text()]


def assert_texts_apart_and_inside(fig):
    """No two texts of ``fig`` overlap, and none runs past the figure's edge."""
    boxes = text_boxes(fig)
    width, height = fig.canvas.get_width_height()
    for i, (text, box) in enumerate(boxes):
        assert box.x0 >= -0.5 and box.y0 >= -0.5 and box.x1 <= width + 0.5 and box.y1 <= height + 0.5, \
            f"{text!r} runs out of the figure: {box}"
        for other, other_box in boxes[i + 1:]:
            assert not box.overlaps(other_box), f"{text!r} overlaps {other!r}"


@pytest.mark.parametrize("names", [FASHION, [f"a rather long class name {i}" for i in range(10)]],
                         ids=["fashion", "longer"])
def test_probabilities_long_class_names_do_not_overlap(names):
    probs = np.full(10, 0.01)
    probs[0] = 0.91  # predicted T-shirt/top, truly an ankle boot: both long names in titles
    assert_texts_apart_and_inside(viz.plot_probabilities(probs, names, image=np.zeros((1, 28, 28)), true_label=9))
    assert_texts_apart_and_inside(viz.plot_probabilities(probs, names))


def test_long_titles_stay_inside_with_the_keras_lessons_big_titles():
    # The course's Keras code sets plt.rcParams["axes.titlesize"] = 16 (and labels to 14); a student who ran it in
    # the same notebook still gets titles wrapped to their panels.
    import matplotlib

    names = [f"a rather long class name {i}" for i in range(10)]
    probs = np.full(10, 0.01)
    probs[0] = 0.91
    with matplotlib.rc_context({"axes.titlesize": 16, "axes.labelsize": 14}):
        assert_texts_apart_and_inside(viz.plot_probabilities(probs, names, image=np.zeros((1, 28, 28)), true_label=9))


def test_predictions_long_class_names_do_not_overlap():
    y = np.arange(16) % 10
    fig = viz.plot_predictions(np.zeros((16, 1, 28, 28)), y, 9 - y, FASHION)
    assert_texts_apart_and_inside(fig)
    assert fig.axes[0].get_title().replace("\n", " ") == "Ankle boot (T-shirt/top)"  # wrapped, not cut


def test_regression_points_and_line(tmp_path, rng):
    x, y = rng.normal(6, 0.7, 50), rng.normal(22, 8, 50)
    x_line = np.linspace(9, 3, 10)
    y_line = 3.4 * x_line - 0.7
    fig = viz.plot_regression(x, y, x_line, y_line, title="Training Dataset", path=tmp_path / "r.png")
    assert_png_of(fig, tmp_path / "r.png")
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), np.c_[x, y])
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), x_line[::-1])
    np.testing.assert_allclose(line.get_ydata(), y_line[::-1])
    with pytest.raises(ValueError, match="one y per x"):
        viz.plot_regression(x, y[:3], x_line, y_line)


# -- convolution playground --------------------------------------------------------
def correlate_valid(grey: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Reference cross-correlation (H, W) x (KH, KW) -> (H-KH+1, W-KW+1), in float64."""
    windows = np.lib.stride_tricks.sliding_window_view(grey.astype(np.float64), kernel.shape)
    return np.einsum("ijab,ab->ij", windows, kernel.astype(np.float64))


def test_classic_kernels_are_the_course_nine_in_order():
    names = list(viz.CLASSIC_KERNELS)
    assert names == ["sharpen", "vertical edge", "surround", "Sobel-y", "identity",
                     "horizontal edge", "blur", "Sobel-x", "emboss"]
    np.testing.assert_array_equal(viz.CLASSIC_KERNELS["Sobel-x"], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(viz.CLASSIC_KERNELS["Sobel-y"], viz.CLASSIC_KERNELS["Sobel-x"].T)
    assert all(k.shape == (3, 3) and k.dtype == np.float32 for k in viz.CLASSIC_KERNELS.values())


def test_test_picture_is_a_colour_float32_scene():
    picture = viz.test_picture(64)
    assert picture.shape == (3, 64, 64) and picture.dtype == np.float32
    assert 0 <= picture.min() < picture.max() <= 1
    np.testing.assert_array_equal(picture, viz.test_picture(64))  # the same every time


def test_playground_panels_are_conv2d_of_the_image(tmp_path, rng):
    image = rng.random((3, 20, 24)).astype(np.float32)
    before = image.copy()
    fig = viz.plot_kernel_playground(image, path=tmp_path / "play.png")
    assert_png_of(fig, tmp_path / "play.png")
    axes = image_axes(fig)
    assert [ax.get_title() for ax in axes] == list(viz.CLASSIC_KERNELS)
    grey = image.mean(axis=0)
    for ax, kernel in zip(axes, viz.CLASSIC_KERNELS.values()):
        shown = ax.get_images()[0].get_array()
        assert shown.shape == (18, 22)
        np.testing.assert_allclose(shown, correlate_valid(grey, kernel), atol=1e-5)
    identity = axes[4].get_images()[0].get_array()
    np.testing.assert_allclose(identity, grey[1:-1, 1:-1], atol=1e-6)
    np.testing.assert_array_equal(image, before)


def test_playground_default_picture_and_own_kernels():
    fig = viz.plot_kernel_playground()
    assert len(image_axes(fig)) == 9 and "(3, 128, 128)" in fig.get_suptitle()
    two = viz.plot_kernel_playground(np.ones((8, 8), np.float32), {"a": np.eye(3), "b": -np.eye(3)})
    assert [ax.get_title() for ax in image_axes(two)] == ["a", "b"]
    with pytest.raises(ValueError, match="KH = KW odd"):
        viz.apply_kernels(np.ones((1, 8, 8)), np.ones((1, 2, 2)))


def test_playground_takes_a_5x5_kernel_beside_the_3x3_ones(rng):
    image = rng.random((1, 16, 20)).astype(np.float32)
    box5 = np.full((5, 5), 1 / 25, np.float32)
    fig = viz.plot_kernel_playground(image, {"Sobel-x": viz.CLASSIC_KERNELS["Sobel-x"], "box 5x5": box5})
    sobel, box = (ax.get_images()[0].get_array() for ax in image_axes(fig))
    assert sobel.shape == (14, 18) and box.shape == (12, 16)  # H - KH + 1 for each kernel
    np.testing.assert_allclose(sobel, correlate_valid(image[0], viz.CLASSIC_KERNELS["Sobel-x"]), atol=1e-5)
    np.testing.assert_allclose(box, correlate_valid(image[0], box5), atol=1e-5)
    assert fig.get_suptitle().startswith("3x3 and 5x5 kernels")
    with pytest.raises(ValueError, match="KH = KW odd"):
        viz.plot_kernel_playground(image, {"even": np.ones((4, 4))})


def test_conv_relu_pool_titles_carry_each_shape(tmp_path, rng):
    x, _ = digits(rng, 1)
    before = x.copy()
    fig = viz.plot_conv_relu_pool(x[0], path=tmp_path / "crp.png")
    assert_png_of(fig, tmp_path / "crp.png")
    axes = image_axes(fig)
    titles = [ax.get_title() for ax in axes]
    assert len(axes) == 4
    for title, word, shape in zip(titles, ["source", "conv", "ReLU", "max-pool"],
                                  ["(1, 28, 28)", "(1, 26, 26)", "(1, 26, 26)", "(1, 13, 13)"]):
        assert title.startswith(word) and title.endswith(shape), title
    conv, relu, pool = (ax.get_images()[0].get_array() for ax in axes[1:])
    np.testing.assert_allclose(conv, correlate_valid(x[0, 0], viz.CLASSIC_KERNELS["Sobel-x"]), atol=1e-5)
    np.testing.assert_array_equal(relu, np.maximum(conv, 0))
    np.testing.assert_array_equal(pool, relu.reshape(13, 2, 13, 2).max(axis=(1, 3)))
    np.testing.assert_array_equal(x, before)
    same = viz.plot_conv_relu_pool(x[0], kernel="blur", padding=1)
    assert [ax.get_title()[-11:] for ax in image_axes(same)][1:] == ["(1, 28, 28)", "(1, 28, 28)", "(1, 14, 14)"]
    with pytest.raises(ValueError, match="unknown kernel"):
        viz.plot_conv_relu_pool(x[0], kernel="laplace")


# -- what a trained CNN learned ------------------------------------------------------
def small_cnn(seed=0, channels=1, classes=3):
    import glassnet
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU

    return glassnet.Sequential(
        [Conv2D(6, 3, input_shape=(channels, 12, 12)), ReLU(), MaxPool2D(2),
         Conv2D(4, 3), ReLU(), Flatten(), Dense(classes)],
        seed=seed,
    )


def params_snapshot(model):
    return [(layer.name, key, value.copy()) for layer in model.layers for key, value in layer.params.items()]


def assert_params_unchanged(model, snapshot):
    now = params_snapshot(model)
    assert [(n, k) for n, k, _ in now] == [(n, k) for n, k, _ in snapshot]
    for (_, _, a), (_, _, b) in zip(now, snapshot):
        np.testing.assert_array_equal(a, b)


def test_kernels_shown_equal_the_weights(tmp_path, rng):
    w = rng.standard_normal((6, 1, 5, 5)).astype(np.float32)
    fig = viz.plot_kernels(w, path=tmp_path / "k.png")
    assert_png_of(fig, tmp_path / "k.png")
    axes = image_axes(fig)
    assert len(axes) == 6
    for ax, kernel in zip(axes, w[:, 0]):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), kernel)
    rgb = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    axes = image_axes(viz.plot_kernels(rgb))
    assert len(axes) == 12  # one row per filter, one column per input channel
    np.testing.assert_array_equal(axes[5].get_images()[0].get_array(), rgb[1, 2])
    with pytest.raises(ValueError, match=r"\(O, I, KH, KW\)"):
        viz.plot_kernels(w[0])


def test_first_layer_kernels_are_the_models_weights(tmp_path):
    model = small_cnn()
    snapshot = params_snapshot(model)
    fig = viz.plot_first_layer_kernels(model, path=tmp_path / "kernels.png")
    assert_png_of(fig, tmp_path / "kernels.png")
    w = model.layers[0].params["W"]
    axes = image_axes(fig)
    assert len(axes) == w.shape[0] == 6
    for ax, kernel in zip(axes, w[:, 0]):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), kernel)
    assert_params_unchanged(model, snapshot)


def test_first_layer_kernels_need_a_conv_layer():
    import glassnet
    from glassnet.layers import Dense, Flatten

    mlp = glassnet.Sequential([Flatten(input_shape=(1, 4, 4)), Dense(3)], seed=0)
    with pytest.raises(ValueError, match="no convolution layer"):
        viz.plot_first_layer_kernels(mlp)


def test_feature_maps_rows_are_the_image_shaped_activations(tmp_path, rng):
    model = small_cnn()
    snapshot = params_snapshot(model)
    x = rng.random((1, 1, 12, 12)).astype(np.float32)
    before = x.copy()
    fig = viz.plot_feature_maps(model, x, max_maps=5, path=tmp_path / "fm.png")
    assert_png_of(fig, tmp_path / "fm.png")
    activations = [a for a in model.activations(x) if a.ndim == 4]
    assert len(activations) == 5  # conv, relu, pool, conv, relu
    axes = np.array(fig.axes).reshape(6, 5)  # input row + one row per activation, 5 columns
    np.testing.assert_array_equal(axes[0, 0].get_images()[0].get_array(), x[0, 0])
    for row, act in zip(axes[1:], activations):
        shown = [ax.get_images()[0].get_array() for ax in row if ax.get_images()]
        assert len(shown) == min(5, act.shape[1])
        for c, image in enumerate(shown):
            np.testing.assert_array_equal(image, act[0, c])
    labels = [axes[r, 0].get_ylabel() for r in range(6)]
    assert labels[0] == "input (1, 12, 12)"
    assert labels[1].startswith("Conv2D") and labels[1].endswith("(6, 10, 10)")
    assert labels[3].startswith("MaxPool2D") and labels[3].endswith("(6, 5, 5)")
    np.testing.assert_array_equal(x, before)
    assert_params_unchanged(model, snapshot)
    with pytest.raises(ValueError, match=r"\(1, C, H, W\)"):
        viz.plot_feature_maps(model, np.zeros((2, 1, 12, 12), np.float32))


def test_write_training_figures(tmp_path, rng):
    model = small_cnn()
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
    x = rng.random((48, 1, 12, 12)).astype(np.float32)
    y = rng.integers(0, 3, 48)
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    snapshot = params_snapshot(model)
    x_before, y_before = x.copy(), y.copy()
    written = viz.write_training_figures(model, history, x, y, ["a", "b", "c"], tmp_path / "run")
    assert sorted(p.name for p in written) == ["confusion_matrix.png", "curves.png", "kernels.png"]
    for path in written:
        assert png_size(path)[0] > 300
    assert_params_unchanged(model, snapshot)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
    # the confusion matrix counts the whole test set, as the model predicts it
    from glassnet.viz.training import predicted_classes

    predicted = predicted_classes(model, x)
    np.testing.assert_array_equal(predicted, model.predict(x).argmax(axis=1))


def test_write_training_figures_regression_skips_the_confusion_matrix(tmp_path, rng):
    import glassnet
    from glassnet.layers import Dense

    model = glassnet.Sequential([Dense(1, input_shape=(1,))], seed=0)
    x = rng.random((10, 1)).astype(np.float32)
    written = viz.write_training_figures(model, {"loss": [2.0, 1.0]}, x, x[:, 0] * 2, None, tmp_path)
    assert [p.name for p in written] == ["curves.png"]


@pytest.mark.parametrize("rate_key", ["lr", "learning_rate"])
def test_history_plot_leaves_the_learning_rate_out_whatever_its_spelling(rate_key):
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.8], rate_key: [0.01, 0.001]}
    fig = viz.plot_history(history)
    titles = [ax.get_title().lower() for ax in fig.axes]
    assert len(fig.axes) == 2, titles  # loss and accuracy only
    assert not any("learning" in t or "lr" == t for t in titles)
