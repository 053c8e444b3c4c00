"""The demo's NumPy parts: MNIST-style preprocessing of a drawing, feature-map encoding, DemoModel."""
from __future__ import annotations

import numpy as np
import pytest

from glassnet import Conv2D, ReLU, zoo
from glassnet.model import Sequential
from glassnet.demo.encode import decode_maps, encode_maps
from glassnet.demo.inference import DemoModel
from glassnet.demo.modelfile import SHIPPED_SAMPLES, package_file
from glassnet.demo.preprocess import (
    FASHION_MNIST_STYLE,
    area_weights,
    center_of_mass,
    ink_bounding_box,
    preprocess_drawing,
    resize_area,
    to_model_input,
)
from glassnet.demo.samples import load_samples
from glassnet.layers.activations import softmax


@pytest.fixture(scope="module")
def samples():
    return load_samples(package_file(SHIPPED_SAMPLES))


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Each pixel becomes a factor x factor block (what drawing a digit big does)."""
    return np.kron(image, np.ones((factor, factor), dtype=image.dtype))


# ---------------------------------------------------------------------------------
# resizing
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n_in,n_out", [(5, 2), (2, 5), (112, 20), (7, 7), (1, 20), (20, 3)])
def test_area_weights_average_what_each_output_pixel_covers(n_in, n_out):
    weights = area_weights(n_in, n_out)
    assert weights.shape == (n_out, n_in) and weights.dtype == np.float32
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)
    assert (weights >= 0).all()


def test_area_weights_known_values():
    np.testing.assert_allclose(area_weights(5, 2), [[0.4, 0.4, 0.2, 0, 0], [0, 0, 0.2, 0.4, 0.4]], atol=1e-7)
    np.testing.assert_allclose(area_weights(4, 2), [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]], atol=1e-7)


def test_resize_area_of_blocks_is_exact(rng):
    image = rng.random((7, 9)).astype(np.float32)
    np.testing.assert_allclose(resize_area(upscale(image, 4), 7, 9), image, atol=1e-6)


# ---------------------------------------------------------------------------------
# preprocess_drawing
# ---------------------------------------------------------------------------------
def test_a_big_copy_of_an_mnist_digit_comes_back_unchanged(samples):
    # MNIST digits already fit 20x20 and are centred by mass: preprocessing must give them back.
    for image in samples.images:
        for factor in (4, 10):
            out = preprocess_drawing(upscale(image, factor))
            assert out.dtype == np.float32 and out.shape == (28, 28)
            error = np.abs(out - image / np.float32(255))
            assert error.max() < 0.05 and error.mean() < 1e-3  # at most a faint edge pixel under INK_THRESHOLD


def test_position_and_size_of_the_drawing_do_not_matter(samples):
    image = samples.images[7]
    reference = preprocess_drawing(upscale(image, 4))
    for factor, top, left in [(3, 0, 0), (5, 100, 30), (8, 2, 50)]:
        canvas = np.zeros((280, 280), dtype=np.uint8)
        big = upscale(image, factor)
        canvas[top:top + big.shape[0], left:left + big.shape[1]] = big
        assert np.abs(preprocess_drawing(canvas) - reference).max() < 0.06


def test_stroke_is_fitted_to_20_pixels_and_centred_by_mass():
    canvas = np.zeros((112, 112), dtype=np.float32)
    canvas[10:90, 70:78] = 255          # a tall bar: a "1"
    canvas[10:20, 40:78] = 128          # with a fainter flag: mass is not at the box centre
    out = preprocess_drawing(canvas)
    rows, cols = ink_bounding_box(out)
    assert max(rows.stop - rows.start, cols.stop - cols.start) == 20
    com = center_of_mass(out)
    assert abs(com[0] - 14) <= 0.5 and abs(com[1] - 14) <= 0.5
    assert out.max() == pytest.approx(1.0) and out.min() == 0.0


def test_thin_faint_strokes_are_stretched_to_full_ink():
    canvas = np.zeros((140, 140))
    canvas[20:120, 60:61] = 40
    assert preprocess_drawing(canvas).max() == pytest.approx(1.0)


def test_blank_and_noise_only_drawings_give_zeros():
    assert not preprocess_drawing(np.zeros((112, 112))).any()
    assert not preprocess_drawing(np.full((50, 60), 255 * 0.04)).any()


def test_other_field_sizes_scale_the_box():
    canvas = np.zeros((100, 100))
    canvas[10:90, 45:55] = 255
    out = preprocess_drawing(canvas, (32, 32))
    rows, _ = ink_bounding_box(out)
    assert out.shape == (32, 32) and rows.stop - rows.start == round(32 * 20 / 28)


def test_fashion_style_fills_the_field_and_keeps_intensity():
    canvas = np.zeros((112, 112))
    canvas[8:100, 30:80] = 100
    out = preprocess_drawing(canvas, style=FASHION_MNIST_STYLE)
    rows, cols = ink_bounding_box(out)
    assert rows.stop - rows.start == 28
    assert abs((cols.start + cols.stop) / 2 - 14) <= 0.5
    assert out.max() == pytest.approx(100 / 255, rel=1e-5)


def test_a_drawing_must_be_two_dimensional():
    with pytest.raises(ValueError, match=r"2-D grid \(H, W\)"):
        preprocess_drawing(np.zeros((1, 28, 28)))


def test_to_model_input_fits_channels_and_flat_inputs(rng):
    image = rng.random((28, 28)).astype(np.float32)
    assert to_model_input(image, (1, 28, 28)).shape == (1, 1, 28, 28)
    rgb = to_model_input(image, (3, 28, 28))
    assert rgb.shape == (1, 3, 28, 28) and rgb.dtype == np.float32 and (rgb[0, 2] == image).all()
    assert to_model_input(image, (784,)).shape == (1, 784)


# ---------------------------------------------------------------------------------
# encoding
# ---------------------------------------------------------------------------------
def test_encode_decode_round_trip_within_one_grey_level(rng):
    maps = rng.normal(size=(6, 14, 14)).astype(np.float32)
    maps[3] = 2.5                                       # a constant map
    encoded = encode_maps(maps)
    assert encoded["shape"] == [6, 14, 14] and len(encoded["min"]) == 6
    decoded = decode_maps(encoded)
    span = maps.reshape(6, -1).max(axis=1) - maps.reshape(6, -1).min(axis=1)
    assert decoded.dtype == np.float32
    assert (np.abs(decoded - maps).reshape(6, -1).max(axis=1) <= span / 255 / 2 + 1e-6).all()
    assert (decoded[3] == 2.5).all()


def test_vectors_and_fixed_ranges():
    vector = np.array([-1, 0, 3], dtype=np.float32)
    encoded = encode_maps(vector)
    assert encoded["min"] == [-1.0] and encoded["max"] == [3.0]
    np.testing.assert_allclose(decode_maps(encoded), vector, atol=4 / 255)
    fixed = encode_maps(np.array([[[0.0, 0.5, 1.0]]], dtype=np.float32), value_range=(0.0, 1.0))
    assert fixed["min"] == [0.0] and fixed["max"] == [1.0]


# ---------------------------------------------------------------------------------
# DemoModel
# ---------------------------------------------------------------------------------
def test_demo_model_run_matches_the_model_layer_by_layer():
    model = zoo.lenet5(seed=3)
    demo = DemoModel(model, name="lenet5")
    canvas = np.zeros((112, 112))
    canvas[20:90, 50:60] = 255
    result = demo.run(canvas)
    image = preprocess_drawing(canvas)
    outputs = model.activations(image[None, None])
    np.testing.assert_allclose(result["probabilities"], softmax(outputs[-1])[0], rtol=1e-5, atol=1e-7)
    assert result["prediction"]["index"] == int(np.argmax(outputs[-1]))
    assert [a["layer"] for a in result["activations"]] == [layer.name for layer in model.layers]
    for encoded, expected in zip(result["activations"], outputs):
        decoded = decode_maps(encoded)
        scale = float(np.ptp(expected)) or 1.0
        assert np.abs(decoded - expected[0]).max() <= scale / 255
    assert not result["empty"]
    assert demo.run(np.zeros((28, 28)))["empty"]


def test_describe_gives_windows_and_first_kernels():
    model = zoo.lenet5(seed=3)
    info = DemoModel(model).describe()
    conv1 = info["layers"][0]
    assert conv1["window"] == {"kernel": [5, 5], "stride": [1, 1], "pad": [2, 2]}
    assert conv1["kernels"]["shape"] == [6, 1, 5, 5]
    weights = model.layers[0].params["W"]
    span = float(np.ptp(weights))
    assert np.abs(decode_maps({**conv1["kernels"], "shape": [6, 5, 5]}) - weights[:, 0]).max() <= span / 255
    pool = next(layer for layer in info["layers"] if layer["type"] == "MaxPool2D")
    assert pool["window"] == {"kernel": [2, 2], "stride": [2, 2], "pad": [0, 0]}
    assert info["parameters"] == 61706 and info["classes"] == [str(d) for d in range(10)]


def test_demo_model_rejects_what_it_cannot_show():
    with pytest.raises(ValueError, match="3 class names"):
        DemoModel(zoo.lenet5(seed=0), ["a", "b", "c"])
    with pytest.raises(ValueError, match="class scores"):
        DemoModel(Sequential([Conv2D(2, 3), ReLU()], input_shape=(1, 28, 28), seed=0))
