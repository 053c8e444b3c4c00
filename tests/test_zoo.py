"""The model zoo: every model builds, maps a batch to the right output shape, has the course's parameter count.

Parameter counts are worked out by hand below from the architectures in the course
(conv: out·in·KH·KW + out; Dense: in·out + out; BatchNorm: γ and β, 2 per channel;
running statistics are buffers, not parameters).
"""
from __future__ import annotations

import numpy as np
import pytest

from glassnet import zoo


def conv(c_in: int, c_out: int, k: int) -> int:
    """Weights out·in·k·k plus one bias per filter."""
    return c_out * c_in * k * k + c_out


def dense(n_in: int, n_out: int) -> int:
    """Weights in·out plus one bias per unit."""
    return n_in * n_out + n_out


def bn(channels: int) -> int:
    """γ and β per channel."""
    return 2 * channels


EXPECTED_PARAMS = {
    # 784 -> 10
    "perceptron": dense(784, 10),  # 7,850
    # 784 -> 512 -> 512 -> 10
    "mlp": dense(784, 512) + dense(512, 512) + dense(512, 10),  # 669,706
    # Keras lesson's summary: 100,480 + 16,512 + 1,290
    "mlp_keras": 118_282,
    # one neuron on Boston's 13 features
    "linear_regression": dense(13, 1),  # 14
    # 1x28x28 -conv 6@5 pad 2-> 6x28x28 -pool-> 6x14x14 -conv 16@5-> 16x10x10 -pool-> 16x5x5 = 400
    "lenet5": 61_706,
    # grayscale 784 -> 128 -> 64 -> 6
    "color_dnn": dense(784, 128) + dense(128, 64) + dense(64, 6),  # 109,126
    # 3x28x28 -conv 2@1-> 2x28x28 -pool-> 2x14x14 -conv 3@3-> 3x12x12 -pool-> 3x6x6 = 108
    "color_cnn": conv(3, 2, 1) + conv(2, 3, 3) + dense(108, 32) + bn(32) + dense(32, 6),  # 3,815
    # 1x28x28 -conv 8@3 pad 1-> 8x28x28 -pool-> 8x14x14 -conv 16@3-> 16x12x12 -pool-> 16x6x6 = 576
    "shape_cnn": conv(1, 8, 3) + conv(8, 16, 3) + dense(576, 32) + bn(32) + dense(32, 5),  # 19,941
    # 1x28x28 -conv 8@5-> 8x24x24 -pool-> 8x12x12 -conv 16@5-> 16x8x8 -pool-> 16x4x4 = 256
    "mnist_cnn": conv(1, 8, 5) + conv(8, 16, 5) + dense(256, 32) + bn(32) + dense(32, 10),  # 12,042
    # 1x28x28 -conv 32@3-> 32x26x26 -pool-> 32x13x13 = 5,408
    "fashion_cnn": conv(1, 32, 3) + dense(5408, 128) + dense(128, 10),  # 693,962
    # 3x32x32 -conv 6@5-> 6x28x28 -pool-> 6x14x14 -conv 16@5-> 16x10x10 -pool-> 16x5x5 = 400
    "cifar_net": conv(3, 6, 5) + conv(6, 16, 5) + dense(400, 120) + dense(120, 84) + dense(84, 10),  # 62,006
    # 13 convs 3x3 (+BatchNorm each): 3->64->64, 128x2, 256x3, 512x3, 512x3; after 5 pools 512x1x1
    "vgg16": (conv(3, 64, 3) + conv(64, 64, 3) + conv(64, 128, 3) + conv(128, 128, 3)
              + conv(128, 256, 3) + 2 * conv(256, 256, 3)
              + conv(256, 512, 3) + 2 * conv(512, 512, 3) + 3 * conv(512, 512, 3)
              + bn(64) * 2 + bn(128) * 2 + bn(256) * 3 + bn(512) * 6
              + dense(512, 10)),  # 14,728,266
    # the report's cfg [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M], each conv + BatchNorm; Linear(512, 10)
    "vgg_report": (conv(3, 64, 3) + conv(64, 128, 3) + conv(128, 256, 3) + conv(256, 256, 3)
                   + conv(256, 512, 3) + conv(512, 512, 3) + 2 * conv(512, 512, 3)
                   + bn(64) + bn(128) + bn(256) * 2 + bn(512) * 4
                   + dense(512, 10)),  # 9,231,114
    # the Keras lesson's ImageNet VGG-16: 13 convs, no BatchNorm; 224 / 2^5 = 7, so FC-6 takes 7·7·512 = 25,088
    "vgg16_imagenet": (conv(3, 64, 3) + conv(64, 64, 3) + conv(64, 128, 3) + conv(128, 128, 3)
                       + conv(128, 256, 3) + 2 * conv(256, 256, 3)
                       + conv(256, 512, 3) + 2 * conv(512, 512, 3) + 3 * conv(512, 512, 3)
                       + dense(7 * 7 * 512, 4096) + dense(4096, 4096) + dense(4096, 1000)),
}
HEAVY = {"vgg16", "vgg16_imagenet"}  # tested on their own (tests/test_course_vgg.py for the ImageNet one)

INPUTS = {
    "linear_regression": (13,),
    "color_cnn": (3, 28, 28),
    "cifar_net": (3, 32, 32),
    "vgg16": (3, 32, 32),
    "vgg_report": (3, 32, 32),
}
OUTPUTS = {"linear_regression": 1, "color_dnn": 6, "color_cnn": 6, "shape_cnn": 5}


def test_the_arithmetic_matches_the_course_numbers():
    assert EXPECTED_PARAMS["lenet5"] == conv(1, 6, 5) + conv(6, 16, 5) + dense(400, 120) + dense(120, 84) + dense(84, 10)
    assert EXPECTED_PARAMS["mlp_keras"] == dense(784, 128) + dense(128, 128) + dense(128, 10)
    assert conv(3, 64, 3) + conv(64, 64, 3) == 38_720  # the well-known VGG-16 first block
    assert EXPECTED_PARAMS["vgg16"] == 14_728_266
    assert EXPECTED_PARAMS["vgg_report"] == 9_231_114
    assert EXPECTED_PARAMS["vgg16_imagenet"] == 138_357_544  # Keras's VGG16(weights=None).count_params()


def test_every_zoo_model_is_listed_and_tested():
    assert set(zoo.MODELS) == set(EXPECTED_PARAMS)


@pytest.mark.parametrize("name", [n for n in EXPECTED_PARAMS if n not in HEAVY])
def test_output_shape_and_parameter_count(name, rng):
    model = zoo.build(name, seed=0)
    assert model.count_params() == EXPECTED_PARAMS[name], f"{name}: {model.count_params():,} parameters"
    shape = INPUTS.get(name, (1, 28, 28))
    assert tuple(model.input_shape) == shape
    x = rng.random((3, *shape), dtype=np.float32)
    y = model.predict(x)
    assert y.shape == (3, OUTPUTS.get(name, 10))
    assert y.dtype == np.float32
    assert np.all(np.isfinite(y))


def test_vgg16_shapes_and_parameter_count(rng):
    model = zoo.vgg16(seed=0)
    assert model.count_params() == EXPECTED_PARAMS["vgg16"]
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    pools = [layer for layer in model.layers if type(layer).__name__ == "MaxPool2D"]
    norms = [layer for layer in model.layers if type(layer).__name__ == "BatchNorm"]
    assert (len(convs), len(pools), len(norms)) == (13, 5, 13)
    assert tuple(pools[-1].output_shape) == (512, 1, 1)
    y = model.predict(rng.random((2, 3, 32, 32), dtype=np.float32))
    assert y.shape == (2, 10) and y.dtype == np.float32


def test_vgg_report_is_the_reports_eight_conv_network():
    model = zoo.vgg_report(seed=0)
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert [c.params["W"].shape[0] for c in convs] == [64, 128, 256, 256, 512, 512, 512, 512]
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[:4] == ["Conv2D", "BatchNorm", "ReLU", "MaxPool2D"] and kinds.count("MaxPool2D") == 5
    assert tuple(model.layers[kinds.index("Flatten")].output_shape) == (512,)  # so nn.Linear(512, 10) fits
    assert model.layers[-1].params["W"].shape == (512, 10)
    # the summary names the count in its header and totals it (BatchNorm's running statistics are not trained)
    assert "9,231,114 parameters" in zoo.get_spec("vgg_report").description
    assert f"Trainable params: {EXPECTED_PARAMS['vgg_report']:,}" in model.summary_text()


def test_vgg16_descriptions_state_their_counts():
    assert f"{EXPECTED_PARAMS['vgg16']:,} parameters" in zoo.get_spec("vgg16").description
    assert f"{EXPECTED_PARAMS['vgg16_imagenet']:,} parameters" in zoo.get_spec("vgg16_imagenet").description
    assert "report's variant" not in (zoo.vgg16.__doc__ or "")


def test_lenet5_layer_shapes_follow_the_course():
    model = zoo.lenet5(seed=0)
    shapes = {layer.name: tuple(layer.output_shape) for layer in model.layers}
    assert shapes["conv1"] == (6, 28, 28)
    assert shapes["pool1"] == (6, 14, 14)
    assert shapes["conv2"] == (16, 10, 10)
    assert shapes["pool2"] == (16, 5, 5)
    assert shapes["fc3"] == (10,)
    assert type(model.layers[1]).__name__ == "ReLU"  # as in the course's LeNet_model.py
    assert type(model.layers[-1]).__name__ == "Dense"  # logits: trained with 'cross_entropy'


def test_num_classes_and_input_shape_are_arguments():
    model = zoo.lenet5(num_classes=5, input_shape=(1, 32, 32), seed=0)
    assert tuple(model.output_shape) == (5,)
    assert tuple(model.layers[5].output_shape) == (16, 6, 6)  # 32 -> 32 -> 16 -> 12 -> 6


def test_same_seed_same_weights_and_builders_are_uncompiled():
    a, b = zoo.mnist_cnn(seed=3), zoo.mnist_cnn(seed=3)
    for la, lb in zip(a.layers, b.layers):
        for key in la.params:
            np.testing.assert_array_equal(la.params[key], lb.params[key])
    assert getattr(a, "optimizer", None) is None


def test_registry_entries_are_consistent():
    for name, spec in zoo.MODELS.items():
        assert spec.description and spec.dataset
        assert spec.training.epochs >= 1 and spec.training.batch_size >= 1 and spec.training.lr > 0
        assert spec.task == ("regression" if name == "linear_regression" else "classification")


def test_unknown_model_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="lenet5"):
        zoo.get_spec("lenet6")


def test_a_model_that_cannot_take_the_input_says_so():
    with pytest.raises(ValueError):
        zoo.vgg16(input_shape=(3, 16, 16), seed=0)  # five 2x2 pools shrink 16 to 0


def test_color_cnn_starts_with_every_colour_lighting_both_filters():
    # Non-negative 1x1 weights: each of the six colours (and no black pixel) fires both filters at the start.
    for seed in range(4):
        c1 = zoo.color_cnn(seed=seed).layers[0]
        w, b = c1.params["W"][:, :, 0, 0], c1.params["b"]
        assert np.all(w >= 0) and np.all(b == 0) and w.dtype == np.float32
        colours = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [1, 0, 1]], dtype=np.float32)
        assert np.all(colours @ w.T + b > 0)
    assert not np.array_equal(zoo.color_cnn(seed=0).layers[0].params["W"], zoo.color_cnn(seed=1).layers[0].params["W"])


def test_training_builds_its_optimizer_with_its_options():
    keras_rmsprop = zoo.Training("rmsprop", 1e-3, optimizer_options=(("alpha", 0.9), ("eps", 1e-7)))
    opt = keras_rmsprop.make_optimizer()
    assert (type(opt).__name__, opt.lr, opt.alpha, opt.eps) == ("RMSprop", 1e-3, 0.9, 1e-7)
    assert keras_rmsprop.make_optimizer(lr=0.01).lr == 0.01
    # another optimizer named on the command line does not get RMSprop's options
    assert type(keras_rmsprop.make_optimizer("adam")).__name__ == "Adam"


def test_cosine_schedule_falls_from_lr_towards_zero():
    training = zoo.Training("adam", 0.004, epochs=4, schedule="cosine")
    (callback,) = training.make_callbacks()
    rates = [callback.schedule(epoch, 123.0) for epoch in range(4)]
    assert rates == pytest.approx([0.004, 0.002 * (1 + np.cos(np.pi / 4)), 0.002, 0.002 * (1 - np.cos(np.pi / 4))])
    assert training.make_callbacks(epochs=2)[0].schedule(1, 0.0) == pytest.approx(0.002)  # over the epochs run
    assert zoo.Training().make_callbacks() == []
    with pytest.raises(ValueError, match="schedule"):
        zoo.Training(schedule="linear")


def test_default_training_reaches_the_lr_the_schedule_says():
    model = zoo.build("color_cnn", seed=0)
    training = zoo.Training("adam", 0.01, epochs=2, batch_size=8, schedule="cosine")
    model.compile(optimizer=training.make_optimizer(), loss="cross_entropy")
    x = np.random.default_rng(0).random((16, 3, 28, 28), dtype=np.float32)
    history = model.fit(x, np.arange(16) % 6, epochs=2, batch_size=8, verbose=0, callbacks=training.make_callbacks())
    assert history.history["lr"] == pytest.approx([0.01, 0.005])


def test_augmentation_stays_with_the_models_own_dataset():
    spec = zoo.ModelSpec(zoo.shape_cnn, "shapes", "test", zoo.Training(augment=(("flip", True), ("rotate", 180.0))))
    assert spec.training_for("shapes").make_augment(seed=0).rotate == 180.0
    assert spec.training_for("mnist").make_augment(seed=0) is None  # a turned 6 is a 9
    assert spec.training_for("colors").augment == ()
