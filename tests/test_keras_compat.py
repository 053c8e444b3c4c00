"""Keras users' lines, fed as they write them (issue 17, item 2): hook names, learning_rate=, weights, metric keys.

Each test feeds one trap a Keras user falls into and asserts what glassnet does now. The
numbers Keras gives were checked by hand with Keras 3.15 (torch backend); Keras is not a
test dependency, so the weighted loss and its gradient are checked against PyTorch.
"""
from __future__ import annotations

import re
import warnings
from collections import Counter

import numpy as np
import pytest
import torch

import glassnet
from conftest import assert_close
from glassnet import Dense, ReLU, Sequential, callbacks, optimizers
from glassnet.callback_base import HOOKS
from glassnet.layers import BatchNorm, Sigmoid
from glassnet.losses import BinaryCrossEntropy, CrossEntropy, MeanSquaredError


def data(n: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.integers(0, 3, n)


def mlp(seed: int = 0, optimizer=None, metrics=("accuracy",), loss="cross_entropy") -> Sequential:
    model = Sequential([Dense(5), ReLU(), Dense(3)], input_shape=(4,), seed=seed)
    model.compile(optimizer or optimizers.SGD(learning_rate=0.1), loss, metrics=list(metrics))
    return model


class CountAll(callbacks.Callback):
    """Counts every hook it receives (defines them all, so it also shows which ones glassnet calls)."""

    def __init__(self):
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.outputs: list[tuple[int, ...]] = []
        self.test_end_logs: list[dict] = []


def _counting(name):
    def hook(self, *args):
        self.calls[name] += 1
        logs = args[-1] if args else None
        if name == "on_predict_batch_end":
            self.outputs.append(logs["outputs"].shape)
        if name == "on_test_end":
            self.test_end_logs.append(dict(logs))
    return hook


for _name in HOOKS - {"on_batch_begin", "on_batch_end"}:
    setattr(CountAll, _name, _counting(_name))


class OldNames(callbacks.Callback):
    """glassnet's (and Keras 2's) on_batch_* only."""

    def __init__(self):
        super().__init__()
        self.begin = self.end = 0

    def on_batch_begin(self, batch, logs=None):
        self.begin += 1

    def on_batch_end(self, batch, logs=None):
        self.end += 1


class BothNames(callbacks.Callback):
    """Both spellings of the batch-end hook: called once per batch, as Keras, through on_train_batch_end."""

    def __init__(self):
        super().__init__()
        self.calls: Counter[str] = Counter()

    def on_batch_end(self, batch, logs=None):
        self.calls["on_batch_end"] += 1

    def on_train_batch_end(self, batch, logs=None):
        self.calls["on_train_batch_end"] += 1


# ---------------------------------------------------------------------------------
# Hooks
# ---------------------------------------------------------------------------------
def test_every_keras_hook_is_called_as_keras_calls_it_in_fit():
    """40 samples, batch 8, 2 epochs, 10 validation samples: Keras 3 makes these very counts."""
    x, y = data()
    counter, old, both = CountAll(), OldNames(), BothNames()
    mlp().fit(x, y, batch_size=8, epochs=2, validation_data=(x[:10], y[:10]), callbacks=[counter, old, both],
              verbose=0)
    assert counter.calls == {
        "on_train_begin": 1, "on_epoch_begin": 2, "on_train_batch_begin": 10, "on_train_batch_end": 10,
        "on_test_begin": 2, "on_test_batch_begin": 4, "on_test_batch_end": 4, "on_test_end": 2,
        "on_epoch_end": 2, "on_train_end": 1,
    }
    assert (old.begin, old.end) == (10, 10)  # the aliases, once per batch
    assert both.calls == {"on_train_batch_end": 10}  # not twice: as Keras, the override is the hook
    assert set(counter.test_end_logs[0]) == {"loss", "accuracy"}  # the validation logs, without 'val_'


def test_evaluate_and_predict_call_their_hooks():
    x, y = data()
    model = mlp()
    counter = CountAll()
    logs = model.evaluate(x, y, batch_size=16, callbacks=[counter], return_dict=True)
    assert counter.calls == {"on_test_begin": 1, "on_test_batch_begin": 3, "on_test_batch_end": 3, "on_test_end": 1}
    assert counter.test_end_logs == [logs]
    counter = CountAll()
    out = model.predict(x, batch_size=16, callbacks=[counter])
    assert counter.calls == {"on_predict_begin": 1, "on_predict_batch_begin": 3, "on_predict_batch_end": 3,
                             "on_predict_end": 1}
    assert counter.outputs == [(16, 3), (16, 3), (8, 3)] and out.shape == (40, 3)
    loader = glassnet.data.DataLoader(x, batch_size=16)
    counter = CountAll()
    np.testing.assert_array_equal(model.predict(loader, callbacks=[counter]), out)
    assert counter.calls["on_predict_batch_end"] == 3


def test_a_hook_glassnet_never_calls_is_warned_about_once_by_name():
    class Typo(callbacks.Callback):
        def on_epoch_ends(self, epoch, logs=None):  # the typo: never called
            raise AssertionError("not a hook")

        def on_train_batch_end(self, batch, logs=None):  # a real hook: no warning for it
            pass

    x, y = data()
    model = mlp()
    with pytest.warns(UserWarning, match=r"Typo defines on_epoch_ends, which glassnet never calls.*on_epoch_end\?"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[Typo()])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once: a second fit with the same class says nothing
        model.fit(x, y, epochs=1, verbose=0, callbacks=[Typo()])

    class TensorFlowOnly(callbacks.Callback):
        def on_run_end(self, logs=None):
            pass

    with pytest.warns(UserWarning, match="TensorFlowOnly defines on_run_end"):
        model.evaluate(x, y, callbacks=[TensorFlowOnly()])


def test_glassnet_s_own_callbacks_define_only_real_hooks():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x, y = data()
        mlp().fit(x, y, epochs=2, verbose=0, validation_split=0.25,
                  callbacks=[callbacks.EarlyStopping(patience=5), callbacks.TerminateOnNaN(),
                             callbacks.ReduceLROnPlateau(), callbacks.StepDecay(1, 0.5)])


# ---------------------------------------------------------------------------------
# learning_rate
# ---------------------------------------------------------------------------------
def test_the_keras_lesson_s_rmsprop_line_trains_and_logs_learning_rate():
    x, y = data()
    model = mlp(optimizer=optimizers.RMSprop(learning_rate=0.005))
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.StepDecay(2, 0.5)])
    assert history.history["learning_rate"] == [0.005, 0.005, 0.0025]  # Keras 3's key
    assert "lr" not in history.history
    assert model.optimizer.learning_rate == model.optimizer.lr == 0.0025


def test_an_optimizer_given_lr_keeps_the_lr_key():
    """The zoo and the CLI make their optimizers with lr=; their history files keep the 'lr' column."""
    x, y = data()
    history = mlp(optimizer=optimizers.Adam(lr=0.01)).fit(
        x, y, epochs=2, verbose=0, callbacks=[callbacks.ReduceLROnPlateau("loss", patience=1)])
    assert "lr" in history.history and "learning_rate" not in history.history


def test_adamw_by_name_trains_and_survives_save_and_load(tmp_path):
    x, y = data()
    model = mlp(optimizer="adamw")
    assert isinstance(model.optimizer, optimizers.AdamW) and model.optimizer.weight_decay == 0.01
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.safetensors")
    loaded = glassnet.load_model(tmp_path / "m.safetensors")
    assert isinstance(loaded.optimizer, optimizers.AdamW)
    assert loaded.optimizer.state_dict().keys() == model.optimizer.state_dict().keys()


# ---------------------------------------------------------------------------------
# class_weight and sample_weight
# ---------------------------------------------------------------------------------
def torch_weighted_step(model: Sequential, x: np.ndarray, y: np.ndarray, w: np.ndarray):
    """(Σ w_i l_i / N, gradients of W1, b1, W2, b2) of the same two-layer network, computed by PyTorch."""
    params = [torch.tensor(model.layers[i].params[k].copy(), requires_grad=True) for i in (0, 2) for k in ("W", "b")]
    w1, b1, w2, b2 = params
    logits = torch.relu(torch.tensor(x) @ w1 + b1) @ w2 + b2
    per_sample = torch.nn.functional.cross_entropy(logits, torch.tensor(y), reduction="none")
    loss = (torch.tensor(w) * per_sample).sum() / len(x)  # Keras 3: divided by N, not by Σ w
    loss.backward()
    return float(loss.detach()), [p.grad.numpy() for p in params]


def glassnet_params(model: Sequential) -> list[np.ndarray]:
    return [model.layers[i].params[k].copy() for i in (0, 2) for k in ("W", "b")]


@pytest.fixture(params=[1, 3], ids=["1 thread", "3 threads"])
def threads(request):
    before = glassnet.get_num_threads()
    glassnet.set_num_threads(request.param)
    yield request.param
    glassnet.set_num_threads(before)


@pytest.mark.parametrize("how", ["sample_weight", "class_weight"])
def test_weighted_fit_step_matches_pytorch(how, threads):
    """One SGD step with lr = 1 moves each weight by minus its gradient: the weighted gradient PyTorch computes."""
    x, y = data(12, seed=3)
    class_weight = {0: 2.0, 1: 0.25}  # class 2 absent: weight 1, as Keras
    w = (np.random.default_rng(4).uniform(0, 3, 12).astype(np.float32) if how == "sample_weight"
         else np.array([class_weight.get(int(c), 1.0) for c in y], np.float32))
    model = mlp(optimizer=optimizers.SGD(learning_rate=1.0))
    before = glassnet_params(model)
    expected_loss, expected_grads = torch_weighted_step(model, x, y, w)
    weights = {"sample_weight": w} if how == "sample_weight" else {"class_weight": class_weight}
    history = model.fit(x, y, batch_size=12, epochs=1, shuffle=False, verbose=0, **weights)
    assert history.history["loss"][0] == pytest.approx(expected_loss, rel=1e-6)
    unweighted = float(torch.nn.functional.cross_entropy(
        torch.relu(torch.tensor(x) @ torch.tensor(before[0]) + torch.tensor(before[1])) @ torch.tensor(before[2])
        + torch.tensor(before[3]), torch.tensor(y)))
    assert abs(expected_loss - unweighted) > 0.05  # the weights change the loss: the test can fail
    for old, new, grad, name in zip(before, glassnet_params(model), expected_grads, ("W1", "b1", "W2", "b2")):
        assert_close(old - new, grad, 1e-5, what=f"{how} gradient of {name} with {threads} thread(s)")


def test_weighted_loss_over_uneven_batches_is_keras_s_sum_over_n():
    """evaluate in batches of 5, 5, 2: the batch means weighted by batch size give Σ w_i l_i / N, as Keras 3."""
    x, y = data(12, seed=5)
    w = np.random.default_rng(6).uniform(0, 3, 12).astype(np.float32)
    model = mlp()
    expected, _ = torch_weighted_step(model, x, y, w)
    logs = model.evaluate(x, y, batch_size=5, sample_weight=w, return_dict=True)
    assert logs["loss"] == pytest.approx(expected, rel=1e-6)
    per_sample = torch.nn.functional.cross_entropy(torch.tensor(model.predict(x)), torch.tensor(y), reduction="none")
    sum_over_weights = float((torch.tensor(w) * per_sample).sum() / w.sum())
    assert abs(expected - sum_over_weights) > 1e-3  # the other normalisation would be told apart
    accuracy = model.evaluate(x, y, sample_weight=w, return_dict=True)["accuracy"]
    assert accuracy == model.evaluate(x, y, return_dict=True)["accuracy"]  # metrics stay unweighted, as Keras's


@pytest.mark.parametrize("loss_fn, shape", [
    (MeanSquaredError(), (6, 2, 3)), (BinaryCrossEntropy(from_logits=True), (6, 1)), (BinaryCrossEntropy(), (6,)),
    (CrossEntropy(from_logits=False), (6, 4)), (CrossEntropy(), (6, 4))], ids=repr)
def test_every_loss_weights_its_samples_as_pytorch_computes(loss_fn, shape):
    rng = np.random.default_rng(7)
    w = rng.uniform(0, 3, 6).astype(np.float32)
    if isinstance(loss_fn, MeanSquaredError):
        pred, target = rng.normal(size=shape).astype(np.float32), rng.normal(size=shape).astype(np.float32)
        reference = lambda p: ((p - torch.tensor(target)) ** 2).reshape(6, -1).mean(1)  # noqa: E731
    elif isinstance(loss_fn, BinaryCrossEntropy):
        pred = rng.normal(size=shape).astype(np.float32)
        if not loss_fn.from_logits:
            pred = 1 / (1 + np.exp(-pred))
        target = rng.integers(0, 2, shape).astype(np.float32)
        bce = (torch.nn.functional.binary_cross_entropy_with_logits if loss_fn.from_logits
               else torch.nn.functional.binary_cross_entropy)
        reference = lambda p: bce(p, torch.tensor(target), reduction="none").reshape(6)  # noqa: E731
    else:
        logits = rng.normal(size=shape).astype(np.float32)
        target = rng.integers(0, 4, 6)
        pred = logits if loss_fn.from_logits else np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
        reference = ((lambda p: torch.nn.functional.cross_entropy(p, torch.tensor(target), reduction="none"))
                     if loss_fn.from_logits else
                     (lambda p: -torch.log(p[torch.arange(6), torch.tensor(target)])))
    p = torch.tensor(pred, requires_grad=True)
    expected = (torch.tensor(w) * reference(p)).sum() / 6
    expected.backward()
    assert loss_fn.forward(pred, target, sample_weight=w) == pytest.approx(float(expected.detach()), rel=1e-5)
    assert_close(loss_fn.backward(), p.grad.numpy(), 1e-5, what=repr(loss_fn))
    ones = loss_fn.forward(pred, target, sample_weight=np.ones(6))
    assert ones == pytest.approx(loss_fn.forward(pred, target), rel=1e-6)  # weight 1 changes nothing


def test_validation_split_splits_the_sample_weights_and_class_weight_trains_only():
    x, y = data(20, seed=8)
    w = np.random.default_rng(9).uniform(0, 3, 20).astype(np.float32)
    model = mlp()
    history = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, sample_weight=w, shuffle=False)
    tail = model.evaluate(x[15:], y[15:], sample_weight=w[15:], return_dict=True)
    assert history.history["val_loss"][0] == pytest.approx(tail["loss"], rel=1e-6)
    history = model.fit(x, y, epochs=1, verbose=0, validation_data=(x[15:], y[15:], w[15:]))
    tail = model.evaluate(x[15:], y[15:], sample_weight=w[15:], return_dict=True)
    assert history.history["val_loss"][0] == pytest.approx(tail["loss"], rel=1e-6)
    history = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, class_weight={0: 5.0})
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(x[15:], y[15:], return_dict=True)["loss"],
                                                           rel=1e-6)


def test_class_weight_on_a_data_loader_and_binary_labels():
    x, y = data(16, seed=10)
    yb = (y > 0).astype(np.float32)
    model = Sequential([Dense(1), Sigmoid()], input_shape=(4,), seed=0)
    model.compile(optimizers.SGD(learning_rate=0.1), "binary_crossentropy")
    w = np.where(yb == 1, 3.0, 1.0).astype(np.float32)
    by_sample = model.evaluate(x, yb, sample_weight=w)
    assert model.evaluate(x, yb, class_weight={1: 3.0}) == pytest.approx(by_sample, rel=1e-6)
    assert by_sample != pytest.approx(model.evaluate(x, yb), rel=1e-3)
    loader = glassnet.data.DataLoader(x, yb, batch_size=8, shuffle=False)
    assert model.evaluate(loader, class_weight={1: 3.0}) == pytest.approx(by_sample, rel=1e-6)


def test_bad_weights_are_refused_before_training():
    x, y = data(12)
    model = mlp()
    before = glassnet_params(model)
    with pytest.raises(ValueError, match="not both"):
        model.fit(x, y, verbose=0, class_weight={0: 2.0}, sample_weight=np.ones(12))
    with pytest.raises(ValueError, match=r"sample_weight has shape \(11,\); expected \(12,\)"):
        model.fit(x, y, verbose=0, sample_weight=np.ones(11))
    with pytest.raises(ValueError, match=r"sample_weight\[3\] is -1; expected weights >= 0"):
        model.fit(x, y, verbose=0, sample_weight=np.where(np.arange(12) == 3, -1.0, 1.0))
    with pytest.raises(ValueError, match="sample_weight.*nan"):
        model.fit(x, y, verbose=0, sample_weight=np.where(np.arange(12) == 3, np.nan, 1.0))
    with pytest.raises(ValueError, match=r"class_weight has key 3; expected class indices 0 \.\. 2"):
        model.fit(x, y, verbose=0, class_weight={3: 2.0})
    with pytest.raises(ValueError, match="weight the samples with sample_weight"):
        mlp(loss="mse", metrics=()).fit(x, np.zeros((12, 3), np.float32), verbose=0, class_weight={0: 2.0})
    with pytest.raises(ValueError, match="sample_weight needs arrays"):
        model.fit(glassnet.data.DataLoader(x, y, batch_size=4), verbose=0, sample_weight=np.ones(12))
    for old, new in zip(before, glassnet_params(model)):
        np.testing.assert_array_equal(old, new)


# ---------------------------------------------------------------------------------
# Metric keys, BatchNorm momentum
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["acc", "accuracy"])
def test_metric_keys_are_the_names_the_user_gave(name, tmp_path):
    x, y = data()
    model = mlp(metrics=[name])
    history = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25)
    assert list(history.history) == ["loss", name, "val_loss", f"val_{name}"]
    assert list(model.evaluate(x, y, return_dict=True)) == ["loss", name]
    model.save(tmp_path / "m.safetensors")
    assert [key for key, _ in glassnet.load_model(tmp_path / "m.safetensors").metrics] == [name]


def test_batchnorm_with_keras_momentum_warns_naming_both_conventions():
    with pytest.warns(UserWarning, match=r"momentum=0\.99.*weight of the NEW batch.*Keras.*glassnet's momentum=0\.01"):
        BatchNorm(momentum=0.99)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        BatchNorm(momentum=0.1)
        BatchNorm(momentum=0.5)


# =================================================================================
# glassnet.keras: the Keras names themselves (issue 17, item 1)
# =================================================================================
import glassnet.keras as keras  # noqa: E402
from glassnet.keras import layers as kl  # noqa: E402
from glassnet.keras.datasets import boston_housing, cifar10, fashion_mnist, mnist  # noqa: E402


def keras_cnn(**conv) -> keras.Sequential:
    return keras.Sequential([
        kl.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 3), **conv),
        kl.MaxPooling2D(),
        kl.Flatten(),
        kl.Dense(5, activation="softmax"),
    ], seed=0)


def images(n: int = 6, shape=(8, 8, 3), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, *shape), dtype=np.float32), rng.integers(0, 5, n)


def test_the_layer_lines_that_failed_now_build_glassnet_layers():
    """Conv2D(strides=2), Dense(activation=), LeakyReLU(negative_slope=), MaxPooling2D, BatchNormalization."""
    model = keras.Sequential([
        kl.Conv2D(6, (3, 3), strides=2, padding="same", activation="relu", input_shape=(28, 28, 1)),
        kl.BatchNormalization(),
        kl.LeakyReLU(negative_slope=0.2),
        kl.MaxPooling2D(pool_size=(2, 2)),
        kl.AveragePooling2D(),
        kl.Flatten(),
        kl.Dropout(0.25),
        kl.Dense(128, activation="relu"),
        kl.Activation("tanh"),
        kl.Dense(10, activation="softmax"),
    ])
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [kl.Conv2D, glassnet.layers.ReLU, kl.BatchNormalization, kl.LeakyReLU, kl.MaxPooling2D,
                     kl.AveragePooling2D, kl.Flatten, kl.Dropout, kl.Dense, glassnet.layers.ReLU,
                     glassnet.layers.Tanh, kl.Dense, glassnet.layers.Softmax]
    assert all(isinstance(layer, glassnet.layers.Layer) for layer in model.layers)  # glassnet's own layers
    conv, _, bn, leaky = model.layers[:4]
    assert conv.stride == (2, 2) and conv.padding == "same" and conv.input_shape == (1, 28, 28)
    assert conv.output_shape == (6, 14, 14)
    assert bn.momentum == pytest.approx(0.01) and bn.eps == 1e-3  # Keras's 0.99 and epsilon, converted
    assert leaky.alpha == 0.2
    assert [layer.output_shape for layer in model.keras_layers] == [
        (6, 14, 14), (6, 14, 14), (6, 14, 14), (6, 7, 7), (6, 3, 3), (54,), (54,), (128,), (128,), (10,)]


def test_keras_defaults_where_they_differ_from_glassnet_s():
    assert kl.LeakyReLU().alpha == 0.3  # Keras's slope; glassnet's own is PyTorch's 0.01
    assert kl.Conv2D(2, 3).kernel_initializer == "glorot_uniform"  # Keras's; glassnet's Conv2D starts He
    assert kl.MaxPooling2D().stride == (2, 2) and kl.Conv2D(2, 3).padding == "valid"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras's momentum is converted: no warning about conventions
        assert kl.BatchNormalization(momentum=0.9).momentum == pytest.approx(0.1)


def test_summary_prints_keras_s_rows_and_channels_last_shapes(capsys):
    model = keras_cnn()
    model.summary()
    out = capsys.readouterr().out
    assert " conv2d" in out and "(Conv2D)" in out and "(None, 6, 6, 4)" in out  # (H, W, C), not (4, 6, 6)
    assert "(MaxPooling2D)" in out and "(None, 3, 3, 4)" in out
    assert "ReLU" not in out and "Softmax" not in out  # activation= is part of its layer's row
    assert "Total params: 297" in out  # 4·(3·3·3 + 1) + 36·5 + 5
    html = model._repr_html_()
    assert "(None, 3, 3, 4)" in html and "(Dense)" in html


def test_channels_last_images_are_transposed_at_the_edge_only():
    model = keras_cnn()
    x, y = images()
    glassnet_twin = Sequential([glassnet.layers.Conv2D(4, 3), ReLU(), glassnet.layers.MaxPool2D(2),
                                glassnet.layers.Flatten(), Dense(5), glassnet.layers.Softmax()],
                               input_shape=(3, 8, 8))
    glassnet_twin.set_weights(model.get_weights())
    expected = glassnet_twin.predict(x.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(model(x), expected, rtol=1e-6)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, batch_size=4, validation_data=(x[:2], y[:2]), verbose=0)
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert set(model.evaluate(x, y, return_dict=True, verbose=0)) == {"loss", "accuracy"}
    with pytest.raises(ValueError, match=r"channels-last images \(N, 8, 8, 3\), as Keras"):
        model.predict(x.transpose(0, 3, 1, 2), verbose=0)
    with pytest.raises(ValueError, match=r"add the channel axis"):
        keras_cnn_gray = keras.Sequential([kl.Conv2D(2, 3, input_shape=(8, 8, 1))])
        keras_cnn_gray.predict(np.zeros((2, 8, 8)), verbose=0)


def test_an_image_output_comes_back_channels_last_and_image_targets_go_in():
    model = keras.Sequential([keras.Input(shape=(6, 6, 2)), kl.Conv2D(3, 3, padding="same")])
    x = np.random.default_rng(0).random((4, 6, 6, 2), dtype=np.float32)
    assert model.predict(x, verbose=0).shape == (4, 6, 6, 3) and model(x).shape == (4, 6, 6, 3)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    loss = model.fit(x, np.zeros((4, 6, 6, 3), np.float32), epochs=3, verbose=0).history["loss"]
    assert loss[-1] < loss[0]


def test_an_unbuilt_model_builds_from_channels_last_data():
    model = keras.Sequential([kl.Conv2D(2, 3), kl.Flatten(), kl.Dense(3, activation="softmax")])
    x, _ = images(4, (7, 7, 1))
    assert model.predict(x, verbose=0).shape == (4, 3)
    assert model.input_shape == (1, 7, 7)  # glassnet's own per-sample shape, inside


def test_activation_argument_outside_glassnet_keras_sequential_is_refused():
    with pytest.raises(TypeError, match="only glassnet.keras.Sequential adds"):
        Sequential([kl.Dense(3, activation="relu")], input_shape=(4,))
    Sequential([kl.Dense(3), ReLU()], input_shape=(4,))  # without activation= it is a glassnet Dense


def test_names_are_keras_s():
    model = keras.Sequential([kl.Dense(2, input_shape=(3,)), kl.Dense(2), kl.BatchNormalization()])
    names = [layer.name for layer in model.keras_layers]
    assert re.fullmatch(r"dense(_\d+)?", names[0]) and re.fullmatch(r"dense_\d+", names[1])
    assert re.fullmatch(r"batch_normalization(_\d+)?", names[2])
    assert re.fullmatch(r"sequential(_\d+)?", model.name)


def test_compile_names_make_keras_s_optimizers_with_keras_s_defaults():
    model = keras.Sequential([kl.Dense(3, activation="softmax", input_shape=(4,))])
    for name, cls in [("rmsprop", keras.optimizers.RMSprop), ("adam", keras.optimizers.Adam),
                      ("sgd", keras.optimizers.SGD), ("adamw", keras.optimizers.AdamW)]:
        model.compile(name, "categorical_crossentropy")
        assert type(model.optimizer) is cls
    rms, adam, sgd, adamw = (keras.optimizers.RMSprop(), keras.optimizers.Adam(), keras.optimizers.SGD(),
                             keras.optimizers.AdamW())
    assert (rms.learning_rate, rms.rho, rms.epsilon, rms.momentum, rms.centered) == (0.001, 0.9, 1e-7, 0.0, False)
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.01, 0.0, False)
    assert (adamw.learning_rate, adamw.weight_decay, adamw.epsilon) == (0.001, 0.004, 1e-7)
    with pytest.raises(ValueError, match="does not implement"):
        keras.optimizers.Adam(clipnorm=1.0)
    with pytest.raises(TypeError, match="lr_typo"):
        keras.optimizers.Adam(lr_typo=1.0)


def keras_rule(name: str, theta: np.ndarray, grads: list[np.ndarray], **kw) -> np.ndarray:
    """Keras 3's update rules (keras/src/optimizers/*.py) written out in float64, for a few steps."""
    lr, theta = kw.get("learning_rate", 0.01), theta.astype(np.float64).copy()
    wd = kw.get("weight_decay") or 0.0
    s = a = m = v = b = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        theta -= theta * wd * lr  # decoupled weight decay, before the step
        if name == "rmsprop":
            rho, eps, mu = kw.get("rho", 0.9), kw.get("epsilon", 1e-7), kw.get("momentum", 0.0)
            s = rho * s + (1 - rho) * g**2
            denominator = s + eps
            if kw.get("centered"):
                a = rho * a + (1 - rho) * g
                denominator = s - a**2 + eps
            increment = lr * g / np.sqrt(denominator)
            if mu:
                b = mu * b + increment
                theta -= b
            else:
                theta -= increment
        elif name in ("adam", "adamw"):
            b1, b2, eps = kw.get("beta_1", 0.9), kw.get("beta_2", 0.999), kw.get("epsilon", 1e-7)
            alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            m = m + (g - m) * (1 - b1)
            v = v + (g**2 - v) * (1 - b2)
            theta -= m * alpha / (np.sqrt(v) + eps)
        elif name == "sgd":
            mu = kw.get("momentum", 0.0)
            if mu:
                m = mu * m - lr * g
                theta += mu * m - lr * g if kw.get("nesterov") else m
            else:
                theta -= lr * g
    return theta


@pytest.mark.parametrize("name, kwargs", [
    ("rmsprop", dict(learning_rate=0.005)),
    ("rmsprop", dict(learning_rate=0.01, rho=0.8, momentum=0.5, centered=True, epsilon=1e-3, weight_decay=0.1)),
    ("adam", dict(learning_rate=0.01)),
    ("adam", dict(learning_rate=0.02, beta_1=0.8, beta_2=0.9, epsilon=1e-2, weight_decay=0.05)),
    ("adamw", dict(learning_rate=0.01)),
    ("sgd", dict(learning_rate=0.1, momentum=0.9)),
    ("sgd", dict(learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
])
def test_keras_optimizers_follow_keras_s_update_rules(name, kwargs):
    """The rules Keras writes, with tiny gradients where √(s + ε) and √s + ε part ways, and large ones."""
    rng = np.random.default_rng(3)
    theta = rng.normal(size=(4, 5)).astype(np.float32)
    grads = [(rng.normal(size=(4, 5)) * scale).astype(np.float32) for scale in (1e-4, 1.0, 1e-3, 3.0, 1e-5)]
    cls = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam, "adamw": keras.optimizers.AdamW,
           "sgd": keras.optimizers.SGD}[name]
    optimizer = cls(**kwargs)
    params = {"0.W": theta.copy()}
    for g in grads:
        optimizer.step(params, {"0.W": g})
    if name == "adamw":
        kwargs = {"weight_decay": 0.004, **kwargs}
    assert_close(params["0.W"], keras_rule(name, theta, grads, **kwargs), rtol=2e-5, what=name)


def test_keras_optimizers_save_and_load_as_glassnet_s(tmp_path):
    model = keras.Sequential([kl.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(keras.optimizers.RMSprop(learning_rate=0.005), "categorical_crossentropy", metrics=["acc"])
    x, y = data()
    model.fit(x, keras.utils.to_categorical(y), epochs=1, verbose=0)
    model.save(tmp_path / "m.safetensors")
    loaded = keras.load_model(str(tmp_path / "m.safetensors"))
    assert isinstance(loaded, keras.Sequential) and type(loaded.optimizer) is optimizers.RMSprop
    assert loaded.optimizer.alpha == 0.9 and loaded.optimizer.lr == 0.005
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.optimizer.state_dict().keys() == model.optimizer.state_dict().keys()


def test_to_categorical_is_tf_keras_s():
    one_hot = keras.utils.to_categorical([9, 0, 3])
    assert one_hot.dtype == np.float32 and one_hot.shape == (3, 10) and one_hot[0, 9] == 1 and one_hot.sum() == 3
    assert keras.utils.to_categorical(np.array([[1], [2]]), num_classes=4).shape == (2, 4)
    with pytest.raises(ValueError, match="0..3"):
        keras.utils.to_categorical([4], num_classes=4)


def test_set_random_seed_repeats_a_model_s_training():
    def run():
        keras.utils.set_random_seed(42)
        model = keras.Sequential([kl.Dense(4, activation="relu", input_shape=(4,)), kl.Dropout(0.5),
                                  kl.Dense(3, activation="softmax")])
        model.compile("rmsprop", "sparse_categorical_crossentropy")
        x, y = data()
        return model.fit(x, y, epochs=2, verbose=0).history["loss"]

    assert run() == run()


def test_keras_losses_are_glassnet_s():
    assert keras.losses.CategoricalCrossentropy().get_config() == {"from_logits": False}
    assert keras.losses.SparseCategoricalCrossentropy(from_logits=True).from_logits
    assert isinstance(keras.losses.MeanSquaredError(), glassnet.losses.MeanSquaredError)
    assert isinstance(keras.losses.BinaryCrossentropy(), BinaryCrossEntropy)


def test_fit_takes_keras_s_none_and_auto(capsys):
    model = keras.Sequential([kl.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # optimizer: Keras's 'rmsprop'
    x, y = data()
    model.fit(x, y, batch_size=None, epochs=1)
    out = capsys.readouterr().out
    assert "2/2 [" in out  # 40 samples in Keras's default 32 a batch
    model.predict(x)
    assert re.search(r"^2/2 \[=+\] - \d+s \d+[mu]?s/step$", capsys.readouterr().out.strip())


# ---------------------------------------------------------------------------------
# glassnet.keras.datasets: Keras's shapes, dtypes and splits
# ---------------------------------------------------------------------------------
def test_boston_housing_is_keras_s_split_in_float64(data_dir):
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    assert x_train.shape == (404, 13) and x_test.shape == (102, 13) and y_train.shape == (404,)
    assert x_train.dtype == y_train.dtype == np.float64
    assert x_train[0, 0] == 1.23247 and y_train[0] == 15.2  # the lesson's printed first row
    (x_train_10, _), (x_test_10, _) = boston_housing.load_data(test_split=0.1)
    assert len(x_train_10) == 455 and len(x_test_10) == 51


@pytest.mark.parametrize("module", [mnist, fashion_mnist], ids=["mnist", "fashion_mnist"])
def test_mnist_and_fashion_mnist_are_keras_s_uint8_arrays(data_dir, module):
    (x_train, y_train), (x_test, y_test) = module.load_data()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8 and y_test.shape == (10000,)
    assert x_train.max() == 255 and set(np.unique(y_train)) == set(range(10))
    if module is fashion_mnist:
        assert list(y_train[:9]) == [9, 0, 0, 3, 0, 2, 7, 2, 5]  # the lesson's printed labels


def test_cifar10_is_channels_last_uint8_with_labels_n_by_1(offline_data_env, monkeypatch):
    from functools import partial

    import test_data_cifar10 as writer

    from glassnet.data import cifar10 as cifar10_files

    folder = offline_data_env / "data" / "cifar-10"
    folder.mkdir(parents=True)
    arrays = writer.write_batches(folder)
    monkeypatch.setenv("GLASSNET_DATA_DIR", str(offline_data_env / "data"))
    monkeypatch.setattr(cifar10, "load_cifar10", partial(cifar10.load_cifar10, verify=False))  # small test files
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    train = [arrays[name] for name in cifar10_files.TRAIN_FILES]
    n_train = sum(len(y) for _, y in train)
    assert x_train.shape == (n_train, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (n_train, 1) and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, np.concatenate([x for x, _ in train]).transpose(0, 2, 3, 1))
    images_nchw, labels = arrays["test_batch.bin"]
    np.testing.assert_array_equal(x_test, images_nchw.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_test[:, 0], labels)
