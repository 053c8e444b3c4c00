"""Non-finite numbers and epochs that train nothing: refused before the first step, with the fix in the message.

Covered here: NaN / ±inf in x (first, middle and last sample), in float targets, in
validation data and in a DataLoader's batches, for fit, evaluate and predict; the check's
memory (a few MB, not the size of the data); TerminateOnNaN leaving the weights and the
optimizer state of the last good step, with one or two threads; fit(epochs, initial_epoch)
that would train no epoch.
"""
from __future__ import annotations

import io as stdio
import re
import tracemalloc

import numpy as np
import pytest

import glassnet as gn
from glassnet import Dense, Flatten, ReLU, Sequential, callbacks, optimizers
from glassnet.data import DataLoader

from test_callbacks import StateLog  # the weights and optimizer state after every batch


def classifier(seed: int = 0) -> Sequential:
    model = Sequential([Flatten(), Dense(8), ReLU(), Dense(3)], input_shape=(1, 4, 4), seed=seed)
    model.compile(optimizers.Adam(lr=0.01), "cross_entropy", metrics=["accuracy"])
    return model


def regressor(seed: int = 0, lr: float = 0.01, outputs: int = 1) -> Sequential:
    model = Sequential([Dense(8), ReLU(), Dense(outputs)], input_shape=(4,), seed=seed)
    model.compile(optimizers.Adam(lr=lr), "mse")
    return model


def images(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 1, 4, 4)).astype(np.float32), rng.integers(0, 3, n)


def table(n: int, seed: int = 0, outputs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 4)).astype(np.float32), rng.normal(size=(n, outputs)).astype(np.float32)


def same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


def refused(model: Sequential, call, match: str) -> str:
    """Run call, which must raise a ValueError matching ``match`` and leave the model as it was."""
    before = model.get_weights()
    with pytest.raises(ValueError, match=match) as error:
        call()
    assert same(model.get_weights(), before)
    assert model.optimizer.state == {} and model.epochs_trained == 0
    return str(error.value)


# ---------------------------------------------------------------------------------
# Arrays: x, y, validation data
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", [0, 17, 39])  # first, middle, last
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_pixel_in_x_is_refused_naming_the_sample_and_value(sample, bad):
    x, y = images(40)
    x[sample, 0, 2, 3] = bad
    model = classifier()
    expected = re.escape(f"x[{sample}, 0, 2, 3] is {bad} (sample {sample})")
    message = refused(model, lambda: model.fit(x, y, batch_size=8, verbose=0), "^fit: " + expected)
    assert "finite" in message and "np.isfinite(x)" in message  # what was expected, and how to find the others
    refused(model, lambda: model.evaluate(x, y), "^evaluate: " + expected)
    refused(model, lambda: model.predict(x), "^predict: " + expected)


def test_the_first_bad_sample_is_named_when_there_are_several():
    x, y = images(40)
    x[30, 0, 0, 0] = np.nan
    x[12, 0, 3, 3] = np.inf
    x[12, 0, 1, 0] = -np.inf  # earlier in sample 12 than the +inf
    refused(classifier(), lambda: classifier().fit(x, y, verbose=0), re.escape("x[12, 0, 1, 0] is -inf (sample 12)"))


def test_a_float64_value_too_large_for_float32_is_refused():
    x, y = images(10)
    x64 = x.astype(np.float64)
    x64[4, 0, 0, 1] = 1e300  # finite in float64, inf once the model converts the batch to float32
    model = classifier()
    refused(model, lambda: model.fit(x64, y, verbose=0), r"x\[4, 0, 0, 1\] is 1e\+300, which is inf in float32")


def test_integer_and_finite_data_train_as_before():
    x, y = images(32)
    model = classifier()
    model.fit(np.round(x * 50).astype(np.int16), y, epochs=1, verbose=0)
    model.fit(x, y, epochs=1, verbose=0)
    assert model.epochs_trained == 2


@pytest.mark.parametrize("sample", [0, 25, 49])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_regression_target_is_refused(sample, bad):
    x, y = table(50)
    y[sample, 0] = bad
    model = regressor()
    expected = re.escape(f"y[{sample}, 0] is {bad} (sample {sample})")
    refused(model, lambda: model.fit(x, y, batch_size=8, verbose=0), "^fit: " + expected)
    refused(model, lambda: model.evaluate(x, y), "^evaluate: " + expected)
    refused(model, lambda: model.fit(x, y[:, 0], verbose=0), re.escape(f"y[{sample}] is {bad}"))  # targets (N,)


def test_a_nan_in_one_hot_labels_is_refused():
    x, y = images(20)
    one_hot = np.eye(3, dtype=np.float32)[y]
    one_hot[6, 1] = np.nan
    model = classifier()
    refused(model, lambda: model.fit(x, one_hot, verbose=0), re.escape("y[6, 1] is nan (sample 6)"))


def test_non_finite_validation_data_is_refused_before_the_first_step():
    x, y = table(40)
    x_val, y_val = table(10, seed=1)
    model = regressor()
    bad_x = x_val.copy()
    bad_x[9, 2] = np.nan
    refused(model, lambda: model.fit(x, y, validation_data=(bad_x, y_val), verbose=0),
            "^" + re.escape("fit validation_data: x_val[9, 2] is nan (sample 9)"))
    bad_y = y_val.copy()
    bad_y[3, 0] = -np.inf
    refused(model, lambda: model.fit(x, y, validation_data=(x_val, bad_y), verbose=0),
            "^" + re.escape("fit validation_data: y_val[3, 0] is -inf (sample 3)"))


def test_validation_split_names_the_sample_by_its_index_in_x():
    x, y = table(40)
    x[37, 1] = np.inf  # in the last 25 %: the validation part, samples 30..39
    model = regressor()
    refused(model, lambda: model.fit(x, y, validation_split=0.25, verbose=0),
            "^" + re.escape("fit validation_split: x[37, 1] is inf (sample 37)"))
    x[37, 1] = 0.0
    x[3, 0] = np.nan
    refused(model, lambda: model.fit(x, y, validation_split=0.25, verbose=0), "^" + re.escape("fit: x[3, 0] is nan"))


# ---------------------------------------------------------------------------------
# DataLoaders: their arrays up front, and every batch as it comes
# ---------------------------------------------------------------------------------
def test_a_data_loader_over_arrays_is_checked_before_the_first_step():
    x, y = images(40)
    x[22, 0, 1, 1] = np.nan
    model = classifier()
    loader = DataLoader(x, y, batch_size=8, shuffle=True, seed=0)
    refused(model, lambda: model.fit(loader, verbose=0), "^" + re.escape("fit: loader.x[22, 0, 1, 1] is nan"))
    refused(model, lambda: model.evaluate(loader), "^" + re.escape("evaluate: loader.x[22, 0, 1, 1] is nan"))


class Batches:
    """A loader without arrays behind it (as one computing its batches): yields the given (xb, yb) pairs."""

    def __init__(self, pairs):
        self.pairs, self.batch_size = pairs, len(pairs[0][0])

    def __len__(self):
        return len(self.pairs)

    def __iter__(self):
        return iter(self.pairs)


@pytest.mark.parametrize("where", ["x", "y"])
def test_a_bad_loader_batch_is_refused_before_its_step(where):
    x, y = table(32)
    pairs = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)]
    bad = pairs[2][0 if where == "x" else 1].copy()
    bad[5, 0] = np.nan
    pairs[2] = (bad, pairs[2][1]) if where == "x" else (pairs[2][0], bad)
    model, log = regressor(), StateLog("batch")
    with pytest.raises(ValueError, match="^" + re.escape(f"fit: {where}b[5, 0] is nan (sample 5 of batch 3 of 4 "
                                                         "from the DataLoader)")):
        model.fit(Batches(pairs), epochs=2, verbose=0, callbacks=[log])
    assert len(log.weights) == 2 and same(model.get_weights(), log.weights[-1])  # batch 3 made no step
    assert model.epochs_trained == 0 and int(model.optimizer.state["0.W"]["step"]) == 2


def test_predict_refuses_a_bad_loader_batch():
    x, _ = table(16)
    x[12, 3] = np.inf
    model = regressor()
    with pytest.raises(ValueError, match="^" + re.escape("predict: xb[4, 3] is inf (sample 4 of batch 2 of 2")):
        model.predict(Batches([(x[:8], None), (x[8:], None)]))


# ---------------------------------------------------------------------------------
# Memory: the check reads a few MB at a time
# ---------------------------------------------------------------------------------
def test_the_check_does_not_allocate_the_size_of_the_data():
    x = np.zeros((50_000, 1, 16, 16), dtype=np.float32)  # 51 MB
    y = np.zeros(len(x), dtype=np.int64)
    x[-1, 0, 15, 15] = np.nan  # the very last value: the whole array is read
    model = Sequential([Flatten(), Dense(3)], input_shape=(1, 16, 16), seed=0)
    model.compile("sgd", "cross_entropy")
    tracemalloc.start()
    try:
        np.isfinite(x).all()  # the naive check, to show tracemalloc sees NumPy's arrays
        _, naive_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with pytest.raises(ValueError, match=re.escape("x[49999, 0, 15, 15] is nan")):
            model.fit(x, y, batch_size=64, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert naive_peak > 12_000_000  # one byte per value
    assert peak < 4_000_000, f"checking 51 MB of x peaked at {peak / 1e6:.1f} MB"


# ---------------------------------------------------------------------------------
# TerminateOnNaN: the weights of the last good step
# ---------------------------------------------------------------------------------
@pytest.fixture
def threads():
    before = gn.get_num_threads()
    yield gn.set_num_threads
    gn.set_num_threads(before)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the overflow TerminateOnNaN is there to catch
@pytest.mark.parametrize("n_threads", [1, 2])
def test_a_huge_learning_rate_leaves_the_weights_of_the_last_good_step(threads, n_threads):
    threads(n_threads)
    x, y = table(64)
    model, log, out = regressor(lr=1e18), StateLog("batch"), stdio.StringIO()
    nan = callbacks.TerminateOnNaN(stream=out)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[log, nan])
    # Step 1's update makes the weights ~1e18; step 2's outputs overflow float32 in the loss.
    assert nan.stopped_at == (0, 1) and len(log.steps) == 2
    assert not np.isfinite(history.history["loss"][0])
    weights, state = log.steps[0]
    assert same(model.get_weights(), weights)
    assert model.optimizer.state_dict().keys() == state.keys()
    assert same(list(model.optimizer.state_dict().values()), list(state.values()))
    assert model.epochs_trained == 0
    assert "invalid loss (inf) at epoch 1, batch 2" in out.getvalue()
    assert "keeps the weights of its last good step (epoch 1, batch 1)" in out.getvalue()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_an_update_that_overflows_with_a_finite_loss_is_undone():
    x, y = table(32)
    model = regressor()
    model.compile(optimizers.SGD(lr=1e300), "mse")  # lr * gradient is inf in float32 from the first step
    before, out = model.get_weights(), stdio.StringIO()
    nan = callbacks.TerminateOnNaN(stream=out)
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[nan])
    assert np.isfinite(history.history["loss"][0])  # the loss of step 1 was computed before the update
    assert nan.stopped_at == (0, 0) and same(model.get_weights(), before) and model.optimizer.state == {}
    assert re.search(r"weight 'W' of Dense '\w+' became -?(inf|nan) in the update at epoch 1, batch 1", out.getvalue())
    assert "keeps the weights it had before this fit" in out.getvalue()


def test_terminate_on_nan_does_not_change_finite_training():
    x, y = images(48)
    plain, watched = classifier(seed=3), classifier(seed=3)
    first = plain.fit(x, y, epochs=2, batch_size=8, verbose=0)
    second = watched.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert same(plain.get_weights(), watched.get_weights()) and first.history == second.history
    assert watched.epochs_trained == 2


# ---------------------------------------------------------------------------------
# epochs / initial_epoch (Keras's convention: epochs is the index of the last epoch)
# ---------------------------------------------------------------------------------
def test_epochs_below_initial_epoch_is_refused_with_the_fix():
    x, y = images(16)
    model = classifier()
    message = refused(model, lambda: model.fit(x, y, epochs=3, initial_epoch=5, verbose=0),
                      re.escape("fit(epochs=3, initial_epoch=5) would train no epoch"))
    assert "epochs is the index of the last epoch" in message and "pass epochs=5+N" in message


@pytest.fixture
def after_two_epochs():
    """(x, y, a classifier trained 2 epochs on them, a copy of its weights)."""
    x, y = images(16)
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0)
    return x, y, model, model.get_weights()


def test_resuming_with_the_number_of_extra_epochs_is_refused_then_done_right(after_two_epochs):
    x, y, model, weights = after_two_epochs
    with pytest.raises(ValueError, match=r"initial_epoch=2\) would train no epoch.*epochs=2\+N"):
        model.fit(x, y, epochs=1, initial_epoch=model.epochs_trained, verbose=0)
    assert same(model.get_weights(), weights) and model.epochs_trained == 2
    history = model.fit(x, y, epochs=2 + 1, initial_epoch=model.epochs_trained, verbose=0)
    assert history.epoch == [2] and model.epochs_trained == 3


def test_epochs_equal_to_initial_epoch_warns_and_trains_nothing(after_two_epochs):
    # Legitimate when a resume script finds its training already done, so a warning, not an error.
    x, y, model, weights = after_two_epochs
    with pytest.warns(UserWarning, match=r"fit\(epochs=2, initial_epoch=2\) trains no epoch.*epochs=2\+N"):
        history = model.fit(x, y, epochs=2, initial_epoch=2, verbose=0)
    assert history.epoch == [] and same(model.get_weights(), weights) and model.epochs_trained == 2
