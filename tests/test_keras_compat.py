"""Keras users' lines, fed as they write them (issue 17, item 2): hook names, learning_rate=, weights, metric keys.

Each test feeds one trap a Keras user falls into and asserts what glassnet does now. The
numbers Keras gives were checked by hand with Keras 3.15 (torch backend); Keras is not a
test dependency, so the weighted loss and its gradient are checked against PyTorch.
"""
from __future__ import annotations

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
