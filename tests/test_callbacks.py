"""Callbacks: progress display, EarlyStopping, ModelCheckpoint, TerminateOnNaN, learning-rate schedules."""
from __future__ import annotations

import io as stdio
import math

import numpy as np
import pytest

import glassnet
from glassnet import Dense, Flatten, ReLU, Sequential, callbacks, optimizers


def blobs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).normal(size=(3, 1, 4, 4))
    y = rng.integers(0, 3, n)
    return (centres[y] + 0.3 * rng.normal(size=(n, 1, 4, 4))).astype(np.float32), y


def make_model(seed: int = 0, lr: float = 0.01) -> Sequential:
    model = Sequential([Flatten(), Dense(8), ReLU(), Dense(3)], input_shape=(1, 4, 4), seed=seed)
    model.compile(optimizers.Adam(lr=lr), "cross_entropy", metrics=["accuracy"])
    return model


class Script(callbacks.Callback):
    """Overwrites logs[key] with scripted per-epoch values (put it before the callback under test)."""

    def __init__(self, key: str, values: list[float]):
        super().__init__()
        self.key, self.values = key, values

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class StateLog(callbacks.Callback):
    """Keeps the weights and optimizer state after every epoch, or every batch (put it before the callback under test)."""

    def __init__(self, every: str = "epoch"):
        super().__init__()
        self.every, self.steps = every, []

    def _keep(self, when: str) -> None:
        if when == self.every:
            self.steps.append((self.model.get_weights(), self.model.optimizer.state_dict()))

    def on_epoch_end(self, epoch, logs=None):
        self._keep("epoch")

    def on_batch_end(self, batch, logs=None):
        self._keep("batch")

    @property
    def weights(self) -> list[list[np.ndarray]]:
        return [weights for weights, _ in self.steps]


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(u, v) for u, v in zip(a, b))


# ---------------------------------------------------------------------------------
# Progress display
# ---------------------------------------------------------------------------------
class FakeTerminal(stdio.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_pipe_writes_one_final_line_per_epoch():
    x, y = blobs(60)
    out = stdio.StringIO()
    make_model().fit(x, y, epochs=2, batch_size=16, validation_split=0.2, verbose=0,
                     callbacks=[callbacks.ProgressBar(1, stream=out)])
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    for line in (lines[1], lines[3]):
        assert line.startswith("3/3 [==============================] - ")
        assert "/step - loss: " in line and " - accuracy: " in line and " - val_loss: " in line
        assert " - val_accuracy: " in line


def test_progress_bar_on_a_terminal_redraws_the_bar_in_place():
    x, y = blobs(64)
    out = FakeTerminal()
    bar = callbacks.ProgressBar(1, stream=out)
    bar.REFRESH_SECONDS = 0.0  # draw on every batch
    make_model().fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[bar])
    text = out.getvalue()
    assert text.count("\r") >= 4 and "ETA: " in text
    assert "\r1/4 [=======>......................] - ETA" in text
    assert text.endswith("\n") and "4/4 [==============================]" in text.splitlines()[-1]


def test_verbose_two_prints_one_line_per_epoch_and_zero_prints_nothing(capsys):
    x, y = blobs(40)
    make_model().fit(x, y, epochs=3, batch_size=16, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[2].startswith("Epoch 3/3 - ") and "loss: " in lines[2]
    make_model().fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert capsys.readouterr().out == ""
    make_model().fit(x, y, epochs=1, batch_size=16)  # verbose=1 is the default, as in Keras
    assert capsys.readouterr().out.startswith("Epoch 1/1\n")


# ---------------------------------------------------------------------------------
# EarlyStopping
# ---------------------------------------------------------------------------------
def test_early_stopping_stops_after_patience_epochs_without_improvement():
    x, y = blobs(40)
    stop = callbacks.EarlyStopping(monitor="loss", patience=2)
    history = make_model().fit(x, y, epochs=10, verbose=0,
                               callbacks=[Script("loss", [5, 4, 4.5, 3.9, 4, 4, 4, 1, 1, 1]), stop])
    # Best at epoch 3 (0-based); epochs 4 and 5 do not improve, so it stops after epoch 5.
    assert history.history["loss"] == [5, 4, 4.5, 3.9, 4, 4]
    assert stop.stopped_epoch == 5 and stop.best_epoch == 3 and stop.best == 3.9


def test_early_stopping_min_delta_and_max_mode():
    x, y = blobs(40)
    stop = callbacks.EarlyStopping(monitor="accuracy", patience=1, min_delta=0.05)
    assert stop.mode == "max"
    history = make_model().fit(x, y, epochs=10, verbose=0,
                               callbacks=[Script("accuracy", [0.5, 0.6, 0.62, 0.7, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]),
                                          stop])
    assert len(history.epoch) == 3  # 0.62 is not 0.05 better than 0.6


def test_early_stopping_restores_the_best_weights():
    x, y = blobs(40)
    weights = StateLog()
    model = make_model()
    model.fit(x, y, epochs=6, verbose=0,
              callbacks=[weights, Script("loss", [3, 2, 1, 2, 2, 2]),
                         callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True)])
    assert len(weights.weights) == 5
    assert same(model.get_weights(), weights.weights[2]) and not same(weights.weights[2], weights.weights[4])


def test_a_monitor_that_fit_does_not_log_is_an_error_before_training():
    x, y = blobs(40)
    model = make_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="monitors 'val_loss'.*validation_split or validation_data"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.EarlyStopping()])
    assert same(before, model.get_weights())


# ---------------------------------------------------------------------------------
# ModelCheckpoint
# ---------------------------------------------------------------------------------
def test_model_checkpoint_best_only_saves_improvements(tmp_path):
    x, y = blobs(40)
    weights = StateLog()
    path = tmp_path / "best.safetensors"
    checkpoint = callbacks.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    model = make_model()
    model.fit(x, y, epochs=5, validation_split=0.25, verbose=0,
              callbacks=[weights, Script("val_loss", [3, 1, 2, 0.5, 0.7]), checkpoint])
    assert checkpoint.saved == [str(path)] * 3  # epochs 0, 1, 3
    best = glassnet.load_model(path)
    assert same(best.get_weights(), weights.weights[3]) and best.epochs_trained == 4
    assert [p.name for p in tmp_path.iterdir()] == ["best.safetensors"]  # no temporary files left


def test_model_checkpoint_every_epoch_with_a_formatted_name(tmp_path):
    x, y = blobs(40)
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{loss:.2f}.safetensors"),
                                           save_optimizer=False)
    history = make_model().fit(x, y, epochs=3, verbose=0, callbacks=[checkpoint])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"ckpt-{e + 1:02d}-{history.history['loss'][e]:.2f}.safetensors" for e in range(3)]
    loaded = glassnet.load_model(tmp_path / names[0])
    assert loaded.optimizer.state == {}  # saved without optimizer state


# ---------------------------------------------------------------------------------
# TerminateOnNaN
# ---------------------------------------------------------------------------------
class Poison(callbacks.Callback):
    """Turns the weights of the first Dense layer into NaN before batch `batch` of epoch `epoch` (0-based)."""

    def __init__(self, epoch: int, batch: int):
        super().__init__()
        self.at = (epoch, batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.model.layers[1].params["W"][...] = np.nan


def test_terminate_on_nan_stops_naming_the_epoch_and_batch_and_keeps_the_last_good_weights():
    x, y = blobs(40)
    out = stdio.StringIO()
    nan = callbacks.TerminateOnNaN(stream=out)
    batches, log = [], StateLog("batch")

    class Count(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            batches.append(batch)

    model = make_model()
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[Poison(1, 2), log, nan, Count()])
    assert nan.stopped_at == (1, 2)
    assert "epoch 2, batch 3" in out.getvalue() and "nan" in out.getvalue()
    assert "last good step (epoch 2, batch 2)" in out.getvalue()
    assert len(history.epoch) == 2 and math.isnan(history.history["loss"][1])
    assert batches == [0, 1, 2, 3, 4, 0, 1, 2]  # training stopped right after the bad batch
    # The weights and Adam's state of the step before the bad one (the 7th step), not the NaN ones.
    weights, state = log.steps[6]
    assert same(model.get_weights(), weights) and not np.isnan(model.get_weights()[0]).any()
    assert model.optimizer.state_dict().keys() == state.keys()
    assert same(list(model.optimizer.state_dict().values()), list(state.values()))
    assert int(model.optimizer.state["1.W"]["step"]) == 7
    assert model.epochs_trained == 1  # the cut-short second epoch is not counted


def test_terminate_on_nan_in_the_last_batch_of_an_epoch_does_not_count_that_epoch():
    x, y = blobs(40)
    model = make_model()
    nan = callbacks.TerminateOnNaN(stream=stdio.StringIO())
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[Poison(0, 4), nan])
    assert nan.stopped_at == (0, 4) and len(history.epoch) == 1
    assert model.epochs_trained == 0 and int(model.optimizer.state["1.W"]["step"]) == 4


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow TerminateOnNaN is there to catch
def test_terminate_on_nan_prints_to_stdout_by_default(capsys):
    x, y = blobs(20)
    model = make_model(lr=1e30)  # Adam moves each weight by about lr: the second batch overflows
    model.fit(x, y, epochs=3, batch_size=4, shuffle=False, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    printed = capsys.readouterr().out
    assert "invalid loss (" in printed and "at epoch 1, batch 2" in printed
    assert "not counted in epochs_trained (now 0)" in printed
    assert model.epochs_trained == 0 and np.isfinite(np.concatenate([w.ravel() for w in model.get_weights()])).all()


# ---------------------------------------------------------------------------------
# Learning-rate schedules
# ---------------------------------------------------------------------------------
class LrLog(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.lrs = []

    def on_batch_end(self, batch, logs=None):
        self.lrs.append(self.model.optimizer.lr)


def test_learning_rate_scheduler_sets_the_rate_before_each_epoch():
    x, y = blobs(32)
    log = LrLog()
    model = make_model(lr=0.1)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0,
                        callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch), log])
    assert log.lrs == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert history.history["lr"] == [0.1, 0.05, 0.025]
    with pytest.raises(ValueError, match="learning rate"):
        model.fit(x, y, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: "fast")])


def test_step_decay_multiplies_the_rate_every_step_size_epochs():
    x, y = blobs(16)
    model = make_model(lr=1.0)
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[callbacks.StepDecay(2, gamma=0.5)])
    assert history.history["lr"] == [1.0, 1.0, 0.5, 0.5, 0.25]


def test_reduce_lr_on_plateau():
    x, y = blobs(16)
    model = make_model(lr=1.0)
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0,
                        callbacks=[Script("loss", [5, 4, 4, 4, 4, 4]),
                                   callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2)])
    # The logged lr is the one each epoch trained with; it is halved at the end of epochs 3 and 5
    # (0-based), each the second epoch in a row without improvement.
    assert history.history["lr"] == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5]
    assert model.optimizer.lr == 0.25


def test_a_callback_can_stop_training_with_stop_training():
    x, y = blobs(40)

    class StopAfterTwo(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    history = make_model().fit(x, y, epochs=10, verbose=0, callbacks=[StopAfterTwo()])
    assert history.epoch == [0, 1]


def test_callbacks_must_be_callback_objects():
    x, y = blobs(8)
    with pytest.raises(TypeError, match="Callback"):
        make_model().fit(x, y, verbose=0, callbacks=[print])


def test_model_checkpoint_skips_a_diverged_epoch_with_a_warning_and_keeps_the_last_file(tmp_path):
    """save_model refuses NaN weights; the checkpoint says so and training is not interrupted by it."""
    from glassnet.callbacks import Callback, ModelCheckpoint

    class Diverge(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.layers[-1].params["b"][0] = np.nan

    x = np.random.default_rng(0).random((32, 4), dtype=np.float32)
    y = np.arange(32) % 3
    model = glassnet.Sequential([glassnet.Dense(3)], input_shape=(4,), seed=0)
    model.compile("sgd", "cross_entropy")
    path = tmp_path / "last.safetensors"
    checkpoint = ModelCheckpoint(str(path))
    with pytest.warns(UserWarning, match="epoch 2 not saved .* NaN or inf"):
        model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[Diverge(), checkpoint])
    assert checkpoint.saved == [str(path)]
    assert np.isfinite(glassnet.load_model(str(path)).get_weights()[-1]).all()
