"""glassnet's threads: a batch split between threads gives the gradients of the whole batch, reproducibly.

Covered here: the thread setting; slicing; training on 2 threads against 1 thread (gradients,
BatchNorm's statistics, Dropout); bit-for-bit repetition at a fixed thread count (and resume);
training after ``import torch`` giving the same weights as without; a fork-based pool after
training; several Python threads predicting at once; no thread left running after a call.
Speed is not tested here: see benchmarks/.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import glassnet as gn
from glassnet import parallel, sliced_layers
from glassnet.layers import BatchNorm2D, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU

from conftest import assert_close

FLOAT32_EPS = float(np.finfo(np.float32).eps)


@pytest.fixture
def threads():
    """Set glassnet's thread count inside a test; restored afterwards."""
    before = gn.get_num_threads()
    yield gn.set_num_threads
    gn.set_num_threads(before)


def small_cnn(batchnorm: bool = False, dropout: float = 0.0, seed: int = 0) -> gn.Sequential:
    """conv 4@3x3 (+ BatchNorm) + ReLU + pool + (Dropout) + Dense 10 on (1, 10, 10) images."""
    layers = [Conv2D(4, 3, padding=1)]
    if batchnorm:
        layers.append(BatchNorm2D())
    layers += [ReLU(), MaxPool2D(2), Flatten()]
    if dropout:
        layers.append(Dropout(dropout))
    layers += [Dense(10)]
    return gn.Sequential(layers, input_shape=(1, 10, 10), seed=seed)


def toy_data(n: int = 48, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 1, 10, 10), dtype=np.float32), rng.integers(0, 10, n)


def one_step_gradients(model: gn.Sequential, x, y) -> dict[str, np.ndarray]:
    """The gradients of one full-batch step (the update uses SGD with a tiny rate, after the gradients are taken)."""
    model.compile(optimizer=gn.optimizers.SGD(lr=1e-12), loss="cross_entropy")
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    return {key: value.copy() for key, value in model.named_grads().items()}


def sum_tolerance(terms: int) -> float:
    """Relative error allowed between two float32 sums of ``terms`` values added in different groupings."""
    return 4 * terms * FLOAT32_EPS


# ---------------------------------------------------------------------------------
# The setting and the slices
# ---------------------------------------------------------------------------------
def test_thread_setting_defaults_to_the_cores_this_process_may_use(threads, monkeypatch):
    monkeypatch.setattr(parallel, "_num_threads", None)
    monkeypatch.delenv("GLASSNET_NUM_THREADS", raising=False)
    assert gn.get_num_threads() == len(os.sched_getaffinity(0))
    monkeypatch.setattr(parallel, "_num_threads", None)
    monkeypatch.setenv("GLASSNET_NUM_THREADS", "3")
    assert gn.get_num_threads() == 3
    threads(1)
    assert gn.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_thread_setting_refuses_what_is_not_a_positive_integer(bad):
    with pytest.raises(ValueError, match="positive integer"):
        gn.set_num_threads(bad)


def test_environment_thread_setting_is_checked(monkeypatch):
    monkeypatch.setattr(parallel, "_num_threads", None)
    monkeypatch.setenv("GLASSNET_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="GLASSNET_NUM_THREADS must be a positive integer"):
        gn.get_num_threads()
    monkeypatch.setattr(parallel, "_num_threads", None)


@pytest.mark.parametrize("n, parts", [(64, 2), (65, 2), (5, 3), (1, 4), (3, 8), (10, 1)])
def test_slices_cover_the_batch_in_order_with_sizes_one_apart(n, parts):
    bounds = parallel.slices(n, parts)
    assert len(bounds) == min(n, parts)
    assert bounds[0].start == 0 and bounds[-1].stop == n
    assert all(a.stop == b.start for a, b in zip(bounds, bounds[1:]))
    sizes = [s.stop - s.start for s in bounds]
    assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 1


# ---------------------------------------------------------------------------------
# Two threads compute what one computes
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n_threads", [2, 3])
def test_gradients_on_several_threads_equal_one_thread(threads, n_threads):
    x, y = toy_data(47)  # not a multiple of the thread count
    threads(1)
    expected = one_step_gradients(small_cnn(), x, y)
    threads(n_threads)
    got = one_step_gradients(small_cnn(), x, y)
    assert got.keys() == expected.keys()
    for key in expected:  # the longest sum: dW of the conv, over N·H·W = 47·10·10 terms
        assert_close(got[key], expected[key], rtol=sum_tolerance(47 * 100), what=key)


def test_the_dense_head_runs_on_the_whole_batch_in_the_calling_thread(threads):
    """Layers from the first flat, small input on (Dense, their activations) run once per batch, in the caller."""
    from glassnet import zoo

    lenet = zoo.lenet5(seed=0)
    assert sliced_layers.head_start(lenet.layers, 2048) == [type(layer).__name__ for layer in lenet.layers].index("Dense")
    assert sliced_layers.head_start(zoo.mlp(seed=0).layers, 2048) == 0  # only a Flatten below the head: no slices at all
    convs = gn.Sequential([Conv2D(2, 3), ReLU()], input_shape=(1, 6, 6), seed=0)
    assert sliced_layers.head_start(convs.layers, 2048) == 2  # no head
    model = small_cnn(dropout=0.5)
    head = model.layers[sliced_layers.head_start(model.layers, 2048)]
    assert isinstance(head, Dropout)
    seen, original = [], head.forward
    head.forward = lambda x, training=True: seen.append((threading.current_thread() is threading.main_thread(), len(x))) or original(x, training)
    threads(2)
    x, y = toy_data(47)
    one_step_gradients(model, x, y)
    assert seen == [(True, 47)]


def test_batchnorm_on_several_threads_uses_the_whole_batch_statistics(threads):
    x, y = toy_data(40)
    threads(1)
    one = small_cnn(batchnorm=True)
    expected = one_step_gradients(one, x, y)
    threads(2)
    two = small_cnn(batchnorm=True)
    got = one_step_gradients(two, x, y)
    for key in expected:
        if key == "0.b":  # a bias before BatchNorm has no effect: its gradient is 0 up to rounding
            scale = np.abs(expected["0.W"]).max()
            assert np.abs(got[key]).max() <= sum_tolerance(40 * 100) * scale
            continue
        assert_close(got[key], expected[key], rtol=sum_tolerance(40 * 100), what=key)
    bn_one, bn_two = one.layers[1], two.layers[1]
    for key in ("running_mean", "running_var"):  # updated once per step, from the whole batch
        assert_close(bn_two.buffers[key], bn_one.buffers[key], rtol=sum_tolerance(40 * 100), what=key)
    # Per-slice statistics would differ far more than rounding: check the test can tell.
    half = small_cnn(batchnorm=True)
    threads(1)
    half_grads = one_step_gradients(half, x[:20], y[:20])
    assert not np.allclose(half_grads["0.W"], expected["0.W"], rtol=1e-2)


def test_training_on_one_and_two_threads_ends_close(threads):
    """A few epochs: the two runs add in different orders but must learn the same thing."""
    x, y = toy_data(96)
    results = {}
    for n in (1, 2):
        threads(n)
        model = small_cnn(batchnorm=True)
        model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
        history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
        results[n] = history.history["loss"]
    assert_close(results[2], results[1], rtol=1e-3, what="loss per epoch")


# ---------------------------------------------------------------------------------
# Repeatable bit for bit
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("n_threads", [1, 2])
def test_same_seed_and_thread_count_train_bit_identical_weights(threads, n_threads):
    threads(n_threads)
    x, y = toy_data(80)
    runs = []
    for _ in range(2):
        model = small_cnn(batchnorm=True, dropout=0.3)
        model.compile(optimizer="adam", loss="cross_entropy")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_resume_on_two_threads_is_exact(threads, tmp_path):
    threads(2)
    x, y = toy_data(64)

    def fresh():
        model = small_cnn(batchnorm=True, dropout=0.3)
        model.compile(optimizer="adam", loss="cross_entropy")
        return model

    straight = fresh()
    straight.fit(x, y, batch_size=16, epochs=3, verbose=0)
    first = fresh()
    first.fit(x, y, batch_size=16, epochs=1, verbose=0)
    first.save(str(tmp_path / "half.safetensors"))
    resumed = gn.load_model(str(tmp_path / "half.safetensors"))
    resumed.fit(x, y, batch_size=16, epochs=3, initial_epoch=resumed.epochs_trained, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_dropout_draws_different_masks_in_each_slice(threads):
    threads(2)
    layer = Dropout(0.5)
    model = gn.Sequential([layer], input_shape=(1000,), seed=0)
    team = parallel.Team(2)
    try:
        sliced = sliced_layers.SlicedLayers(model.layers, team)
        out = sliced.forward(np.ones((2, 1000), np.float32), True)
    finally:
        team.close()
    assert set(np.unique(out)) == {0.0, 2.0}
    assert not np.array_equal(out[0], out[1])


# ---------------------------------------------------------------------------------
# Whatever else runs in the process
# ---------------------------------------------------------------------------------
def test_several_python_threads_predicting_at_once_get_the_answers_of_one(threads):
    threads(2)
    x, y = toy_data(300)
    model = small_cnn(batchnorm=True)
    model.compile(optimizer="adam", loss="cross_entropy")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    expected = model.predict(x, batch_size=64)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: model.predict(x, batch_size=64), range(8)))
    for answer in answers:
        np.testing.assert_array_equal(answer, expected)


def test_no_thread_is_left_running_after_a_call(threads):
    threads(2)
    x, y = toy_data(64)
    model = small_cnn()
    model.compile(optimizer="adam", loss="cross_entropy")
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    model.predict(x)
    assert not [t for t in threading.enumerate() if t.name.startswith("glassnet-")]
    cpu = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - cpu < 0.25, "some thread kept a core busy after training"


def test_an_error_in_one_slice_reaches_the_caller_and_frees_the_others(threads):
    class FailsOnSecondSlice(ReLU):
        def forward(self, x, training=True):
            if self.sync is not None and self.sync.index == 1:
                raise RuntimeError("slice 1 failed")
            return super().forward(x, training)

    threads(2)
    x, y = toy_data(32)
    model = gn.Sequential([Conv2D(2, 3), BatchNorm2D(), FailsOnSecondSlice(), Flatten(), Dense(10)],
                          input_shape=(1, 10, 10), seed=0)
    model.compile(optimizer="sgd", loss="cross_entropy")
    with pytest.raises(RuntimeError, match="slice 1 failed"):
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert not [t for t in threading.enumerate() if t.name.startswith("glassnet-")]


TRAIN_SCRIPT = textwrap.dedent("""
    import sys
    {first}
    import numpy as np
    import glassnet as gn
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
    gn.set_num_threads(2)
    rng = np.random.default_rng(0)
    x, y = rng.random((96, 1, 12, 12), dtype=np.float32), rng.integers(0, 10, 96)
    model = gn.Sequential([Conv2D(4, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(10)], input_shape=(1, 12, 12), seed=0)
    model.compile(optimizer="adam", loss="cross_entropy")
    model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    np.save(sys.argv[1], np.concatenate([w.ravel() for w in model.get_weights()]))
    {after}
""")


def run_script(body: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-c", body, *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_training_after_import_torch_gives_the_same_weights_as_without(tmp_path):
    pytest.importorskip("torch")
    plain, after_torch = tmp_path / "plain.npy", tmp_path / "torch.npy"
    run_script(TRAIN_SCRIPT.format(first="", after=""), str(plain))
    run_script(TRAIN_SCRIPT.format(first="import torch; torch.ones(3) @ torch.ones(3)", after=""), str(after_torch))
    np.testing.assert_array_equal(np.load(after_torch), np.load(plain))


def test_a_fork_based_pool_after_training_runs_its_tasks(tmp_path):
    after = textwrap.dedent("""
        import multiprocessing
        def guess(i):
            return int(model.predict(x[i:i + 8]).argmax(axis=1).sum())
        with multiprocessing.get_context("fork").Pool(2) as pool:
            got = pool.map(guess, range(0, 96, 8))
        assert got == [guess(i) for i in range(0, 96, 8)], got
        print("pool ok")
    """)
    done = run_script(TRAIN_SCRIPT.format(first="", after=after), str(tmp_path / "w.npy"), timeout=120)
    assert "pool ok" in done.stdout


def test_numba_never_starts_a_threading_layer(tmp_path):
    body = TRAIN_SCRIPT.format(first="", after=textwrap.dedent("""
        import numba
        model.predict(x)
        try:
            layer = numba.threading_layer()
        except ValueError:
            layer = None
        print("layer", layer)
    """))
    done = run_script(body, str(tmp_path / "w.npy"))
    assert "layer None" in done.stdout


def test_blas_runs_one_thread_inside_glassnet_calls_and_is_restored_after(threads):
    from threadpoolctl import threadpool_info

    seen = []

    class BlasSpy(ReLU):
        def forward(self, x, training=True):
            seen.append({lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"})
            return super().forward(x, training)

    before = {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    threads(2)
    model = gn.Sequential([Flatten(), Dense(8), BlasSpy(), Dense(3)], input_shape=(1, 4, 4), seed=0)
    model.predict(np.ones((6, 1, 4, 4), np.float32))
    controlled = {library.filepath for library in parallel._blas_controllers()}
    assert controlled, "threadpoolctl found no BLAS library (NumPy's should be there)"
    assert seen and all(threads_by_lib[path] == 1 for threads_by_lib in seen for path in controlled)
    after = {lib["filepath"]: lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    assert {path: after[path] for path in before} == before


def test_update_shared_by_the_threads_equals_the_update_in_one_thread(threads, monkeypatch):
    """Big models split the optimizer's work between the threads: the same numbers as one thread doing it."""
    threads(2)
    x, y = toy_data(64)
    weights = []
    for minimum in (10**12, 0):  # never shared / always shared
        monkeypatch.setattr(sliced_layers.SlicedLayers, "THREADED_UPDATE_MIN", minimum)
        monkeypatch.setattr(sliced_layers.SlicedLayers, "SPLIT_MIN", 8)
        model = small_cnn(batchnorm=True)
        model.compile(optimizer="adam", loss="cross_entropy")
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_predict_on_two_threads_equals_one_thread_bit_for_bit(threads):
    """predict runs whole batches side by side, one per thread: the same sums as one thread."""
    x, y = toy_data(150)
    model = small_cnn(batchnorm=True)
    model.compile(optimizer="adam", loss="cross_entropy")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    results = {}
    for n in (1, 2, 3):
        threads(n)
        results[n] = model.predict(x, batch_size=16)  # 10 batches: groups of n, the last shorter
    np.testing.assert_array_equal(results[2], results[1])
    np.testing.assert_array_equal(results[3], results[1])


def test_predict_hooks_see_every_batch_once_in_order_on_two_threads(threads):
    from glassnet.callbacks import Callback

    class Log(Callback):
        def __init__(self):
            super().__init__()
            self.events = []

        def on_predict_batch_begin(self, batch, logs=None):
            self.events.append(("begin", batch))

        def on_predict_batch_end(self, batch, logs=None):
            self.events.append(("end", batch, logs["outputs"].shape[0]))

    threads(2)
    x, _ = toy_data(40)
    log = Log()
    small_cnn().predict(x, batch_size=16, callbacks=[log])
    assert [e for e in log.events if e[0] == "end"] == [("end", 0, 16), ("end", 1, 16), ("end", 2, 8)]
    assert sorted(e[1] for e in log.events if e[0] == "begin") == [0, 1, 2]
    for batch in range(3):  # each batch begins before it ends
        assert log.events.index(("begin", batch)) < [e[:2] for e in log.events].index(("end", batch))


def test_evaluate_on_two_threads_equals_one_thread_bit_for_bit(threads):
    """evaluate (and fit's validation pass) also runs whole batches side by side."""
    x, y = toy_data(150)
    model = small_cnn(batchnorm=True)
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    results = {}
    for n in (1, 2, 3):
        threads(n)
        results[n] = model.evaluate(x, y, batch_size=16, return_dict=True)
    assert results[2] == results[1] and results[3] == results[1]
