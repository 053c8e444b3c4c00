"""The Keras lesson's ImageNet VGG-16 (224x224x3, 13 conv, FC-4096, FC-4096, FC-1000): its count, summary and maps.

Building it creates 138 million float32 weights (553 MB; about 1.4 GB at the peak,
while the initializer's float64 draws are cast, and 5 s on a 2-core machine), so one
model is built for the whole module and the tests are marked slow.
"""
from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

from glassnet import zoo
from glassnet.cli import main

pytestmark = pytest.mark.slow

# The lesson's figure, block by block: (convolutions, channels) and the 2x2 pool after each block.
BLOCKS = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]


def expected_count() -> int:
    """Conv 3x3: 9·in·out + out; Dense: in·out + out; FC-6 sees Conv-5's 7x7x512 flattened (25,088)."""
    total, c_in = 0, 3
    for convs, c_out in BLOCKS:
        for _ in range(convs):
            total += 9 * c_in * c_out + c_out
            c_in = c_out
    for n_in, n_out in ((7 * 7 * 512, 4096), (4096, 4096), (4096, 1000)):
        total += n_in * n_out + n_out
    return total


def expected_shapes() -> list[tuple[int, ...]]:
    """The output shape (C, H, W) or (features,) of every layer for one 224x224x3 image."""
    shapes, size = [], 224
    for convs, channels in BLOCKS:
        shapes += [(channels, size, size)] * (2 * convs)  # conv, ReLU
        size //= 2
        shapes.append((channels, size, size))  # max-pool
    return shapes + [(25_088,), (4096,), (4096,), (4096,), (4096,), (1000,)]


@pytest.fixture(scope="module")
def vgg():
    return zoo.vgg16_imagenet(seed=0)


def test_the_count_is_the_lessons(vgg):
    assert expected_count() == 138_357_544
    assert vgg.count_params() == expected_count()
    assert sum(type(layer).__name__ == "Conv2D" for layer in vgg.layers) == 13
    assert [layer.params["W"].shape for layer in vgg.layers if type(layer).__name__ == "Dense"] == \
        [(25_088, 4096), (4096, 4096), (4096, 1000)]
    assert all(w.dtype == np.float32 for layer in vgg.layers for w in layer.params.values())


def test_feature_maps_of_one_image_have_the_lessons_shapes(vgg):
    image = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    outputs = vgg.activations(image)
    assert [out.shape[1:] for out in outputs] == expected_shapes()
    assert all(out.shape[0] == 1 and out.dtype == np.float32 for out in outputs)
    assert np.all(outputs[1] >= 0) and np.any(outputs[1] > 0)  # block 1's ReLU maps are not all dark


def test_kernels_and_feature_maps_figures_draw(vgg):
    from glassnet.viz import plot_feature_maps, plot_first_layer_kernels

    kernels = plot_first_layer_kernels(vgg, max_kernels=48)
    titled = [ax.get_title() for ax in kernels.axes if ax.get_title()]
    assert titled[:3] == ["0.0", "0.1", "0.2"] and len(titled) == 48  # 16 filters x 3 channels (R, G, B)
    image = np.random.default_rng(1).random((3, 224, 224), dtype=np.float32)
    maps = plot_feature_maps(vgg, image, max_maps=4)
    labels = [ax.get_ylabel() for ax in maps.axes if ax.get_ylabel()]
    # the input, then every conv, ReLU and pool: 2 x 13 + 5 image-shaped outputs
    assert len(labels) == 1 + 2 * 13 + 5
    assert labels[0] == "input (3, 224, 224)" and labels[-1] == "MaxPool2D 'pool5'\n(512, 7, 7)"


def test_glassnet_summary_prints_the_total_within_bounded_memory(capsys):
    tracemalloc.start()
    try:
        status = main(["summary", "vgg16_imagenet"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    out = capsys.readouterr().out
    assert status == 0
    assert "Total params: 138,357,544" in out and "Non-trainable params: 0" in out
    assert "fc6 (Dense)" in out and "102,764,544" in out and "(None, 512, 7, 7)" in out
    weights = 4 * expected_count()  # 553 MB of float32, which the summary builds
    # the weights plus the largest layer's float64 draw before its cast (FC-6): nothing larger
    assert peak < weights + 8 * 25_088 * 4096 + 2**26, f"peak {peak / 2**20:.0f} MiB"
    assert math.isclose(weights / 2**20, 527.8, abs_tol=0.1)


def test_glassnet_train_says_there_is_no_imagenet(tmp_path, capsys):
    status = main(["train", "vgg16_imagenet", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert status == 1 and "'imagenet', which glassnet cannot load" in err and "--dataset NAME" in err
