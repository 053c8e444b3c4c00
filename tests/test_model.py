"""Sequential: shape inference, parameter counts, summary, compile, the training step against PyTorch,
softmax + cross-entropy fusion, fit / evaluate / predict, reproducibility, and every bad input."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import torch

import glassnet
from glassnet import (
    BatchNorm,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    losses,
    optimizers,
)
from glassnet.data import DataLoader
from glassnet.layers.base import Layer
from glassnet.training import train_step

from conftest import assert_close


# ---------------------------------------------------------------------------------
# Small models and data
# ---------------------------------------------------------------------------------
def lenet5(seed: int = 0) -> Sequential:
    """LeNet-5 as in the course: 6@5x5 pad 2, pool, 16@5x5, pool, 120, 84, 10."""
    return Sequential([
        Conv2D(6, 5, padding=2), ReLU(), MaxPool2D(2),
        Conv2D(16, 5), ReLU(), MaxPool2D(2),
        Flatten(), Dense(120), ReLU(), Dense(84), ReLU(), Dense(10),
    ], input_shape=(1, 28, 28), seed=seed)


def small_mlp(seed: int = 0, softmax: bool = False, classes: int = 3) -> Sequential:
    layers = [Flatten(), Dense(16), ReLU(), Dense(classes)]
    return Sequential(layers + ([Softmax()] if softmax else []), input_shape=(1, 4, 4), seed=seed)


def blobs(n: int, seed: int = 0, classes: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """n images (1, 4, 4) whose class is which of `classes` fixed patterns they are noisy copies of."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(size=(classes, 1, 4, 4))
    y = rng.integers(0, classes, n)
    x = (centres[y] + 0.3 * rng.normal(size=(n, 1, 4, 4))).astype(np.float32)
    return x, y


def weights_equal(a: Sequential, b: Sequential) -> bool:
    return all(np.array_equal(u, v) for u, v in zip(a.get_weights(), b.get_weights()))


# ---------------------------------------------------------------------------------
# Building and describing
# ---------------------------------------------------------------------------------
def test_shapes_are_inferred_from_the_input_shape_given_once():
    model = lenet5()
    shapes = [layer.output_shape for layer in model.layers]
    assert shapes == [(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10), (16, 5, 5),
                      (400,), (120,), (120,), (84,), (84,), (10,)]
    assert model.layers[7].params["W"].shape == (400, 120)
    assert model.input_shape == (1, 28, 28) and model.output_shape == (10,)

    # The same through add(), with the input shape on the first layer instead.
    added = Sequential(seed=0)
    added.add(Dense(8, input_shape=(5,)))
    added.add(ReLU())
    added.add(Dense(2))
    assert added.input_shape == (5,) and added.layers[2].params["W"].shape == (8, 2)

    # Without any input shape the model builds on its first batch.
    lazy = Sequential([Dense(4), ReLU(), Dense(2)], seed=0)
    assert not lazy.built and lazy.output_shape is None
    assert lazy.forward(np.ones((3, 6), np.float32)).shape == (3, 2)
    assert lazy.input_shape == (6,)


def test_parameter_counts_of_the_course_models():
    assert lenet5().count_params() == 61_706
    mlp = Sequential([Dense(128), ReLU(), Dense(128), ReLU(), Dense(10), Softmax()], input_shape=(784,))
    assert mlp.count_params() == 118_282


def test_summary_prints_a_keras_style_table(capsys):
    lenet5().summary()
    text = capsys.readouterr().out
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    assert "(Conv2D)" in text and "(None, 6, 28, 28)" in text and "(None, 400)" in text
    assert "48,120" in text  # Dense(400 -> 120)
    assert "Total params: 61,706" in text and "Trainable params: 61,706" in text
    assert "Non-trainable params: 0" in text
    mlp = Sequential([Dense(128), ReLU(), Dense(128), ReLU(), Dense(10), Softmax()], input_shape=(784,))
    assert "Total params: 118,282" in mlp.summary_text()
    bn = Sequential([Dense(4), BatchNorm()], input_shape=(3,))
    assert "Non-trainable params: 8" in bn.summary_text()  # running mean and variance


def test_summary_of_a_model_without_input_shape_says_what_to_do():
    with pytest.raises(ValueError, match="input_shape"):
        Sequential([Dense(3)]).summary()


def test_a_shape_that_does_not_fit_is_rejected_when_adding():
    with pytest.raises(ValueError, match="Conv2D"):
        Sequential([Conv2D(4, 5)], input_shape=(1, 3, 3))  # a 5x5 kernel does not fit a 3x3 image
    with pytest.raises(ValueError, match="Dense"):
        Sequential([Dense(3)], input_shape=(1, 4, 4))  # Dense needs a Flatten first
    with pytest.raises(ValueError, match="already in this model"):
        layer = Dense(2)
        Sequential([layer, layer], input_shape=(2,))


def test_first_layer_computes_no_input_gradient(monkeypatch):
    lenet = lenet5()
    assert [layer.needs_input_grad for layer in lenet.layers] == [False] + [True] * 11
    # Below the first trainable layer nothing needs a gradient: Flatten's backward never runs.
    model = small_mlp()
    assert [layer.needs_input_grad for layer in model.layers] == [False, False, True, True]
    monkeypatch.setattr(Flatten, "backward", lambda self, grad: pytest.fail("Flatten.backward ran"))
    x, y = blobs(5)
    out = model.forward(x, training=True)
    assert model.backward(np.ones_like(out)) is None
    assert model.layers[1].grads["W"].shape == (16, 16)
    model.compile("sgd", "cross_entropy")
    model.fit(x, y, verbose=0)


def test_activations_returns_every_layer_output_in_inference_mode():
    model = Sequential([Flatten(), Dense(8), Dropout(0.5), ReLU(), Dense(3), Softmax()], input_shape=(1, 4, 4), seed=1)
    x, _ = blobs(6)
    outs = model.activations(x)
    assert [o.shape for o in outs] == [(6, 16), (6, 8), (6, 8), (6, 8), (6, 3), (6, 3)]
    np.testing.assert_array_equal(outs[1], outs[2])  # dropout is off in inference
    np.testing.assert_array_equal(outs[-1], model.predict(x))
    assert all(o.dtype == np.float32 for o in outs)


def test_get_and_set_weights_round_trip_in_place():
    a, b = small_mlp(seed=1), small_mlp(seed=2)
    assert not weights_equal(a, b)
    w_before = b.layers[1].params["W"]
    b.set_weights(a.get_weights())
    assert weights_equal(a, b) and b.layers[1].params["W"] is w_before  # copied into the same arrays
    with pytest.raises(ValueError, match="got 1 arrays"):
        b.set_weights([np.zeros(3)])
    bad = a.get_weights()
    bad[0] = np.zeros((2, 2), np.float32)
    with pytest.raises(ValueError, match=r"has shape \(16, 16\); got \(2, 2\)"):
        b.set_weights(bad)


# ---------------------------------------------------------------------------------
# compile
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [("sgd", optimizers.SGD), ("adam", optimizers.Adam),
                                       ("rmsprop", optimizers.RMSprop)])
def test_compile_takes_optimizer_names_and_objects(name, cls):
    model = small_mlp()
    model.compile(name, "cross_entropy")
    assert isinstance(model.optimizer, cls)
    opt = cls(lr=0.123)
    model.compile(opt, losses.MeanSquaredError(), metrics=["mae"])
    assert model.optimizer is opt and isinstance(model.loss, losses.MeanSquaredError)
    assert [n for n, _ in model.metrics] == ["mae"]


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy", "cross_entropy"])
def test_compile_takes_the_cross_entropy_names(loss):
    model = small_mlp(softmax=loss != "cross_entropy")
    model.compile("adam", loss, metrics=["accuracy"])
    assert isinstance(model.loss, losses.CrossEntropy)


def test_cross_entropy_on_probabilities_without_softmax_is_refused_with_a_suggestion():
    model = small_mlp(softmax=False)
    with pytest.raises(ValueError, match="'cross_entropy'.*Softmax"):
        model.compile("adam", "categorical_crossentropy")
    with pytest.raises(ValueError, match="softmax twice.*'categorical_crossentropy'"):
        small_mlp(softmax=True).compile("adam", "cross_entropy")
    binary = Sequential([Dense(1)], input_shape=(3,))
    with pytest.raises(ValueError, match="Sigmoid"):
        binary.compile("adam", "binary_crossentropy")
    binary.add(Sigmoid())
    binary.compile("adam", "binary_crossentropy", metrics=["accuracy"])


def test_compile_rejects_unknown_names():
    model = small_mlp()
    with pytest.raises(ValueError, match="unknown optimizer"):
        model.compile("nadam", "mse")
    with pytest.raises(ValueError, match="unknown loss"):
        model.compile("adam", "hinge")
    with pytest.raises(ValueError, match="unknown metric"):
        model.compile("adam", "mse", metrics=["f1"])
    with pytest.raises(ValueError, match="needs a loss"):
        model.compile("adam")


# ---------------------------------------------------------------------------------
# The training step against PyTorch, and the softmax + cross-entropy fusion
# ---------------------------------------------------------------------------------
def small_cnn(seed: int, softmax: bool) -> Sequential:
    layers = [Conv2D(4, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(), Dense(5)]
    return Sequential(layers + ([Softmax()] if softmax else []), input_shape=(2, 6, 6), seed=seed)


def torch_twin(model: Sequential) -> torch.nn.Sequential:
    conv, dense = model.layers[0], model.layers[4]
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(36, 5))
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(conv.params["W"]))
        net[0].bias.copy_(torch.from_numpy(conv.params["b"]))
        net[4].weight.copy_(torch.from_numpy(dense.params["W"].T.copy()))
        net[4].bias.copy_(torch.from_numpy(dense.params["b"]))
    return net


@pytest.mark.parametrize("softmax, loss_name", [(True, "categorical_crossentropy"), (False, "cross_entropy")])
@pytest.mark.parametrize("one_hot", [False, True])
def test_one_training_step_matches_pytorch(rng, softmax, loss_name, one_hot):
    model = small_cnn(seed=3, softmax=softmax)
    model.compile(optimizers.SGD(lr=0.0), loss_name)
    x = rng.normal(size=(8, 2, 6, 6)).astype(np.float32)
    labels = rng.integers(0, 5, 8)
    y = np.eye(5, dtype=np.float32)[labels] if one_hot else labels
    trunk, loss_fn = model.training_plan()
    loss, _ = train_step(model, trunk, loss_fn, x, y)

    net = torch_twin(model)
    torch_loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(labels))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-5)
    grads = model.named_grads()
    assert_close(grads["0.W"], net[0].weight.grad.numpy(), what="conv dW")
    assert_close(grads["0.b"], net[0].bias.grad.numpy(), what="conv db")
    assert_close(grads["4.W"], net[4].weight.grad.numpy().T, what="dense dW")
    assert_close(grads["4.b"], net[4].bias.grad.numpy(), what="dense db")
    assert all(g.dtype == np.float32 for g in grads.values())


def test_a_training_step_through_winograd_3x3_convolutions_matches_pytorch(rng, monkeypatch):
    """A VGG-like block big enough for ops/conv_winograd.py (32 -> 32 channels, 16 images of 8x8): PyTorch's gradients."""
    from glassnet.ops import blas, conv_winograd

    if not blas.AVAILABLE:
        pytest.skip("NumPy's BLAS is not the ILP64 OpenBLAS that ops/blas.py hands to numba: no Winograd path")
    calls = []
    forward = conv_winograd.forward
    monkeypatch.setattr(conv_winograd, "forward", lambda *a: calls.append(a[0].shape) or forward(*a))
    model = Sequential([Conv2D(32, 3, padding=1), ReLU(), Conv2D(32, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(),
                        Dense(10)], input_shape=(3, 8, 8), seed=2)
    model.compile(optimizers.SGD(lr=0.0), "cross_entropy")
    x = rng.normal(size=(16, 3, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    loss, _ = train_step(model, *model.training_plan(), x, labels)  # one thread: the whole batch, 256 blocks of 2x2
    assert calls, "the 32 -> 32 convolution did not take the Winograd path"
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(32, 32, 3, padding=1),
                              torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(512, 10))
    with torch.no_grad():
        for index, twin in ((0, 0), (2, 2)):
            net[twin].weight.copy_(torch.from_numpy(model.layers[index].params["W"]))
            net[twin].bias.copy_(torch.from_numpy(model.layers[index].params["b"]))
        net[6].weight.copy_(torch.from_numpy(model.layers[6].params["W"].T.copy()))
        net[6].bias.copy_(torch.from_numpy(model.layers[6].params["b"]))
    torch_loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(labels))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-5)
    grads = model.named_grads()
    for key, twin in (("0.W", net[0].weight), ("0.b", net[0].bias), ("2.W", net[2].weight), ("2.b", net[2].bias)):
        assert_close(grads[key], twin.grad.numpy(), what=key)


def test_fused_softmax_cross_entropy_skips_softmax_backward_and_survives_huge_logits(monkeypatch):
    model = Sequential([Dense(3), Softmax()], input_shape=(2,), seed=0)
    model.compile(optimizers.SGD(lr=0.0), "categorical_crossentropy")
    model.layers[0].params["W"][...] = np.array([[1000, -1000, 0], [-1000, 1000, 0]], np.float32)

    def no_softmax_backward(self, grad):
        raise AssertionError("Softmax.backward must not run when the loss is fused")

    monkeypatch.setattr(Softmax, "backward", no_softmax_backward)
    x = np.array([[1, 0], [0, 1], [1, 0], [0.5, 0.5]], np.float32)
    y = np.array([1, 0, 0, 2])
    trunk, loss_fn = model.training_plan()
    loss, _ = train_step(model, trunk, loss_fn, x, y)
    assert np.isfinite(loss) and loss > 100  # two confident mistakes of margin 2000
    # dL/dz = (p - y) / N with p from the stable softmax: one-hot of the argmax (row 4: uniform 1/3).
    p = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], np.float32)
    dz = (p - np.eye(3, dtype=np.float32)[y]) / 4
    grads = model.named_grads()
    assert all(np.isfinite(g).all() for g in grads.values())
    np.testing.assert_allclose(grads["0.W"], x.T @ dz, atol=1e-6)
    np.testing.assert_allclose(grads["0.b"], dz.sum(0), atol=1e-6)
    # predict still returns probabilities.
    np.testing.assert_allclose(model.predict(x).sum(axis=1), 1, rtol=1e-6)


def test_fused_and_unfused_models_train_identically():
    x, y = blobs(120, seed=4)
    a, b = small_mlp(seed=5, softmax=True), small_mlp(seed=5, softmax=False)
    a.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    b.compile("adam", "cross_entropy", metrics=["accuracy"])
    ha = a.fit(x, y, epochs=2, batch_size=16, verbose=0)
    hb = b.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(ha.history[key], hb.history[key], rtol=1e-6)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def test_fuse_softmax_false_runs_softmax_backward_and_gives_the_fused_gradient(monkeypatch):
    x, y = blobs(16, seed=2)
    fused, unfused = small_mlp(seed=6, softmax=True), small_mlp(seed=6, softmax=True)
    fused.compile(optimizers.SGD(lr=0.0), "categorical_crossentropy")
    unfused.compile(optimizers.SGD(lr=0.0), "categorical_crossentropy", fuse_softmax=False)
    trunk, loss_fn = unfused.training_plan()
    assert trunk == unfused.layers and not loss_fn.from_logits
    calls = []
    softmax_backward = Softmax.backward
    monkeypatch.setattr(Softmax, "backward", lambda self, grad: calls.append(1) or softmax_backward(self, grad))
    unfused_loss, _ = train_step(unfused, *unfused.training_plan(), x, y)
    fused_loss, _ = train_step(fused, *fused.training_plan(), x, y)
    assert calls == [1]  # once, in the unfused step only
    assert unfused_loss == pytest.approx(fused_loss, rel=1e-5)
    for name, grad in fused.named_grads().items():
        assert_close(unfused.named_grads()[name], grad, what=name)


def test_calling_a_layer_or_a_model_runs_in_inference_mode_unless_training_is_passed():
    model = dropout_bn_model(seed=3)
    x, _ = blobs(8)
    inference = model.predict(x)
    np.testing.assert_array_equal(model(x), inference)
    out = x.reshape(8, -1)
    for layer in model.layers[1:]:  # after Flatten, layer by layer
        out = layer(out)
    np.testing.assert_array_equal(out, inference)
    dropout = Dropout(0.5, seed=0)
    ones = np.ones((4, 10), np.float32)
    np.testing.assert_array_equal(dropout(ones), ones)
    assert not np.array_equal(dropout(ones, training=True), ones)
    assert not np.array_equal(model(x, training=True), inference)


# ---------------------------------------------------------------------------------
# fit / evaluate / predict
# ---------------------------------------------------------------------------------
def test_fit_returns_history_with_per_epoch_metrics_and_learns():
    x, y = blobs(300, seed=1)
    model = small_mlp(seed=0, softmax=True)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy", "mae"])
    history = model.fit(x, y, epochs=5, batch_size=32, validation_split=0.2, verbose=0)
    assert list(history.history) == ["loss", "accuracy", "mae", "val_loss", "val_accuracy", "val_mae"]
    assert all(len(v) == 5 for v in history.history.values())
    assert history.epoch == [0, 1, 2, 3, 4] and model.history is history
    assert history.params["epochs"] == 5 and history.params["steps"] == 8 and history.params["samples"] == 240
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.8
    assert model.epochs_trained == 5


def test_validation_split_holds_out_the_last_fraction_before_shuffling():
    x, y = blobs(100, seed=2)
    model = small_mlp(seed=0)
    model.compile("sgd", "cross_entropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=1, batch_size=10, validation_split=0.3, verbose=0)
    assert history.params["samples"] == 70
    expected = model.evaluate(x[70:], y[70:], return_dict=True)
    assert history.history["val_loss"][0] == pytest.approx(expected["loss"], rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(expected["accuracy"])


def test_validation_data_and_one_hot_labels_give_the_same_history_as_int_labels():
    x, y = blobs(90, seed=3)
    xv, yv = blobs(30, seed=4)
    histories = []
    for one_hot in (False, True):
        model = small_mlp(seed=7)
        model.compile("rmsprop", "cross_entropy", metrics=["accuracy"])
        enc = (lambda labels: np.eye(3, dtype=np.float32)[labels]) if one_hot else (lambda labels: labels)
        histories.append(model.fit(x, enc(y), epochs=2, batch_size=16, validation_data=(xv, enc(yv)),
                                   verbose=0).history)
    assert histories[0].keys() == histories[1].keys()
    # Int labels sum a batch's log-probabilities in float64, one-hot in float32: 16 terms of float32 rounding.
    for key in histories[0]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=4 * 16 * np.finfo(np.float32).eps)


def test_fit_takes_a_data_loader():
    x, y = blobs(100, seed=5)
    model = small_mlp(seed=1)
    model.compile("adam", "cross_entropy", metrics=["accuracy"])
    history = model.fit(DataLoader(x, y, batch_size=20, shuffle=True, seed=0), epochs=3, verbose=0,
                        validation_data=DataLoader(x[:30], y[:30], batch_size=7))
    assert history.params["steps"] == 5 and len(history.history["val_loss"]) == 3
    with pytest.raises(ValueError, match="do not pass y"):
        model.fit(DataLoader(x, y), y, verbose=0)
    with pytest.raises(ValueError, match="validation_split needs arrays"):
        model.fit(DataLoader(x, y), validation_split=0.2, verbose=0)


def test_shuffle_false_visits_samples_in_order():
    seen = []

    class Spy(Layer):
        def forward(self, x, training=True):
            self.ensure_built(x)
            if training:
                seen.append(x[:, 0].copy())
            return x

        def backward(self, grad):
            return grad

    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    model = Sequential([Spy(), Dense(1)], input_shape=(1,), seed=0)
    model.compile("sgd", "mse")
    model.fit(x, x, epochs=1, batch_size=4, shuffle=False, verbose=0)
    np.testing.assert_array_equal(np.concatenate(seen), np.arange(10))
    seen.clear()
    model.fit(x, x, epochs=1, batch_size=4, shuffle=True, verbose=0)
    order = np.concatenate(seen)
    assert sorted(order) == list(range(10)) and list(order) != list(range(10))


def test_regression_on_a_list_of_numbers_as_in_the_course():
    rng = np.random.default_rng(0)
    x = rng.uniform(3, 9, 200)
    y = 9.1 * x - 34.7 + rng.normal(0, 0.5, 200)
    model = Sequential([Dense(1)], input_shape=(1,), seed=0)
    model.compile(optimizers.SGD(lr=0.02), "mse", metrics=["mae"])
    model.fit((x - 6) / 2, y, epochs=60, batch_size=16, verbose=0)
    pred = model.predict((np.array([3, 4, 5, 6, 7]) - 6) / 2)
    assert pred.shape == (5, 1)
    np.testing.assert_allclose(pred[:, 0], 9.1 * np.arange(3, 8) - 34.7, atol=1.0)


def test_evaluate_returns_loss_then_metrics_like_keras():
    x, y = blobs(50, seed=6)
    model = small_mlp()
    model.compile("adam", "cross_entropy")
    assert isinstance(model.evaluate(x, y), float)
    model.compile("adam", "cross_entropy", metrics=["accuracy"])
    loss, acc = model.evaluate(x, y, batch_size=7)
    logs = model.evaluate(x, y, return_dict=True)
    assert logs == {"loss": pytest.approx(loss), "accuracy": pytest.approx(acc)}
    expected = losses.CrossEntropy(from_logits=True)(model.predict(x), y)
    assert loss == pytest.approx(expected, rel=1e-5)
    assert acc == pytest.approx(np.mean(model.predict(x).argmax(1) == y))


def test_predict_is_batched_and_holds_one_batch_of_activations_at_a_time():
    sizes = []

    class BatchSpy(Layer):
        def forward(self, x, training=True):
            self.ensure_built(x)
            sizes.append(x.shape[0])
            return x

    model = Sequential([BatchSpy(), Flatten(), Dense(256), ReLU(), Dense(10)], input_shape=(1, 28, 28), seed=0)
    x = np.random.default_rng(0).random((10_000, 1, 28, 28), dtype=np.float32)
    model.predict(x[:10])  # warm-up: first-call allocations are not part of the measure
    sizes.clear()
    tracemalloc.start()
    out = model.predict(x, batch_size=100)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert out.shape == (10_000, 10) and out.dtype == np.float32
    # Each batch of 100 may be split between glassnet's threads: every image passes once.
    assert max(sizes) <= 100 and sum(sizes) == 10_000
    # The full activation of Dense(256) for 10,000 images would be 10 MB; we allow the
    # 0.4 MB result plus a handful of 100-image batches (~0.3 MB each for the input).
    assert peak < 3_000_000, f"predict peaked at {peak / 1e6:.1f} MB of NumPy allocations"
    # Another batch split may group the BLAS sums differently: float32 rounding over 784 + 256 terms.
    assert_close(out[:50], model.forward(x[:50]), rtol=4 * (784 + 256) * float(np.finfo(np.float32).eps))


# ---------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------
def dropout_bn_model(seed: int | None) -> Sequential:
    return Sequential([Flatten(), Dense(16), BatchNorm(), ReLU(), Dropout(0.3), Dense(3)],
                      input_shape=(1, 4, 4), seed=seed)


def test_same_seed_gives_bit_identical_weights_and_history():
    x, y = blobs(100, seed=8)
    runs = []
    for seed in (11, 11, 12):
        model = dropout_bn_model(seed)
        model.compile("adam", "cross_entropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
        runs.append((model, history.history))
    assert weights_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]
    assert not weights_equal(runs[0][0], runs[2][0])


def test_global_seed_makes_models_without_a_seed_reproducible():
    glassnet.seed(123)
    a = dropout_bn_model(None)
    glassnet.seed(123)
    b = dropout_bn_model(None)
    assert a.seed == b.seed and weights_equal(a, b)


# ---------------------------------------------------------------------------------
# Bad input: a clear error, and the model is left untouched
# ---------------------------------------------------------------------------------
def untouched_after(model: Sequential, call, match: str, error=ValueError) -> None:
    before = model.get_weights()
    with pytest.raises(error, match=match):
        call()
    assert all(np.array_equal(u, v) for u, v in zip(before, model.get_weights()))
    assert model.optimizer.state == {} and model.epochs_trained == 0


@pytest.fixture
def compiled():
    model = small_mlp(seed=0)
    model.compile("adam", "cross_entropy", metrics=["accuracy"])
    return model


def test_x_and_y_of_different_lengths(compiled):
    x, y = blobs(20)
    untouched_after(compiled, lambda: compiled.fit(x, y[:19], verbose=0), "x has 20 samples but y has 19")
    untouched_after(compiled, lambda: compiled.fit(x, y[:19], validation_split=0.2, verbose=0),
                    "x has 20 samples but y has 19")
    untouched_after(compiled, lambda: compiled.evaluate(x, y[:5]), "x has 20 samples but y has 5")


def test_labels_outside_the_number_of_classes(compiled):
    x, y = blobs(20)
    y[13] = 3  # the model has 3 outputs: classes 0, 1, 2
    untouched_after(compiled, lambda: compiled.fit(x, y, verbose=0), r"\[0, 3\).*found 3 at sample 13")
    y[13] = -1
    untouched_after(compiled, lambda: compiled.fit(x, y, verbose=0), r"class indices in \[0, 3\)")
    untouched_after(compiled, lambda: compiled.fit(x, np.eye(4)[y], verbose=0), "4 columns.*3 classes")
    untouched_after(compiled, lambda: compiled.fit(x, y + 0.5, verbose=0), "integer class indices")
    xv, yv = blobs(5)
    yv[0] = 7
    untouched_after(compiled, lambda: compiled.fit(x, np.abs(y), validation_data=(xv, yv), verbose=0),
                    "y_val: labels must be class indices")


def test_an_empty_dataset(compiled):
    empty_x, empty_y = np.zeros((0, 1, 4, 4), np.float32), np.zeros(0, np.int64)
    untouched_after(compiled, lambda: compiled.fit(empty_x, empty_y, verbose=0), "dataset is empty")
    untouched_after(compiled, lambda: compiled.predict(empty_x), "dataset is empty")
    untouched_after(compiled, lambda: compiled.evaluate(empty_x, empty_y), "dataset is empty")


@pytest.mark.parametrize("batch_size", [0, -5, 2.5, True])
def test_batch_size_zero_or_negative(compiled, batch_size):
    x, y = blobs(20)
    untouched_after(compiled, lambda: compiled.fit(x, y, batch_size=batch_size, verbose=0),
                    "batch_size must be a positive integer")
    untouched_after(compiled, lambda: compiled.predict(x, batch_size=batch_size), "batch_size must be")


def test_a_batch_size_larger_than_the_data_means_one_batch(compiled):
    x, y = blobs(20)
    history = compiled.fit(x, y, batch_size=1000, epochs=2, verbose=0)
    assert history.params["steps"] == 1
    assert compiled.predict(x, batch_size=1000).shape == (20, 3)


def test_predict_on_images_of_the_wrong_shape_names_the_expected_shape():
    model = lenet5()
    with pytest.raises(ValueError, match=r"\(5, 28, 28\).*expects \(N, 1, 28, 28\).*channel axis"):
        model.predict(np.zeros((5, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"expects \(N, 1, 28, 28\).*batch axis"):
        model.predict(np.zeros((1, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"\(2, 1, 32, 32\).*expects \(N, 1, 28, 28\)"):
        model.predict(np.zeros((2, 1, 32, 32), np.float32))
    with pytest.raises(ValueError, match=r"reshape"):
        model.predict(np.zeros((2, 784), np.float32))


def test_other_misuse_is_explained(compiled):
    x, y = blobs(20)
    with pytest.raises(RuntimeError, match="compile"):
        small_mlp().fit(x, y, verbose=0)
    untouched_after(compiled, lambda: compiled.fit(x, verbose=0), "labels.*missing")
    untouched_after(compiled, lambda: compiled.fit(x, y, validation_split=1.0, verbose=0), "validation_split")
    untouched_after(compiled, lambda: compiled.fit(x[:2], y[:2], validation_split=0.6, verbose=0),
                    "leaves 0 for training")
    untouched_after(compiled, lambda: compiled.fit(x, y, verbose=3), "verbose must be")
    untouched_after(compiled, lambda: compiled.fit(x, y, validation_data=x, verbose=0), "pair")
    untouched_after(compiled, lambda: compiled.fit(np.array(["a"] * 20), y, verbose=0), "numbers")


# ---------------------------------------------------------------------------------
# End to end: a small CNN learns through fit
# ---------------------------------------------------------------------------------
def bars(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n noisy 12x12 images of one bar: horizontal, vertical, diagonal or anti-diagonal (4 classes)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(0, 0.3, size=(n, 1, 12, 12)).astype(np.float32)
    t = np.arange(-3, 4)
    for i, label in enumerate(y):
        r, c = rng.integers(4, 8, 2)
        rows, cols = [(r + 0 * t, c + t), (r + t, c + 0 * t), (r + t, c + t), (r + t, c - t)][label]
        x[i, 0, rows, cols] += 1.0
    return x, y


def test_a_small_cnn_learns_through_fit():
    x, y = bars(480, seed=0)
    x_test, y_test = bars(200, seed=1)
    model = Sequential([
        Conv2D(8, 3, padding=1), ReLU(), MaxPool2D(2),
        Conv2D(16, 3), ReLU(), MaxPool2D(2),
        Flatten(), Dense(32), ReLU(), Dense(4), Softmax(),
    ], input_shape=(1, 12, 12), seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, validation_split=0.2, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test)
    assert accuracy > 0.9, f"test accuracy {accuracy:.3f} (chance is 0.25); history {history.history}"
    assert history.history["val_accuracy"][-1] > 0.85


@pytest.mark.slow
def test_lenet5_learns_real_mnist(data_dir):
    from glassnet.data import load_mnist

    data = load_mnist(data_dir=data_dir)
    model = lenet5(seed=0)
    model.compile("adam", "cross_entropy", metrics=["accuracy"])
    model.fit(data.x_train[:2000], data.y_train[:2000], epochs=2, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(data.x_test[:1000], data.y_test[:1000])
    assert accuracy > 0.85
