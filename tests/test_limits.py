"""Size bombs and non-finite weights: refused with a clear ValueError before anything big is allocated.

Each bomb is built here (a small model saved by the library, then its architecture or
tensors edited and the checksum recomputed, or a safetensors header written by hand).
Every refusal is checked for its error type, for a message naming the file, the size
declared and the limit, and for bounded memory: the peak of ``tracemalloc`` (which sees
NumPy's arrays) must stay below ``MEMORY_BOUND``. Nothing here measures wall time.
"""
from __future__ import annotations

import cProfile
import json
import os
import pstats
import struct
import tracemalloc

import numpy as np
import pytest

import glassnet
from glassnet import BatchNorm, Conv2D, Dense, Flatten, ReLU, Sequential, cli, io
from glassnet.layers import LAYER_CLASSES
from glassnet.layers.base import MAX_LAYER_WEIGHTS
from glassnet.model import MAX_MODEL_WEIGHTS

from test_io import rewrite  # copies a model file with an edit, checksum recomputed

MEMORY_BOUND = 50 * 1024 * 1024
"""Peak bytes a refusal may allocate: far below any bomb here (the smallest asks for 300 MB)."""


def peak_memory_of_refusal(action, match: str) -> tuple[ValueError, int]:
    """Run action(), expecting a ValueError whose message matches; return it and the peak traced bytes."""
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match) as error:
            action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return error.value, peak


def small_model() -> Sequential:
    """Flatten + Dense(10) on 28×28 images: a 31 kB file."""
    return Sequential([Flatten(), Dense(10)], input_shape=(1, 28, 28), seed=0)


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "small.safetensors"
    small_model().save(path)
    return path


def set_units(units):
    return lambda architecture: architecture["layers"][1]["config"].update(units=units)


# ---------------------------------------------------------------------------------
# Layers and models built in code
# ---------------------------------------------------------------------------------
def test_units_of_ten_to_the_twelve_are_refused_by_the_constructor():
    with pytest.raises(ValueError, match=r"Dense units=1,000,000,000,000 .*limit of 268,435,456 \(MAX_SAMPLE_OUTPUT"):
        Dense(10**12)


def test_filters_of_ten_to_the_nine_are_refused_by_the_constructor():
    with pytest.raises(ValueError, match=r"Conv2D filters=1,000,000,000 with kernel_size 3×3 would have at least "
                                         r"9,000,000,000 weights; the limit is 268,435,456 per layer"):
        Conv2D(10**9, 3)
    with pytest.raises(ValueError, match=r"kernel_size 100000×100000 would have at least 10,000,000,000 weights"):
        Conv2D(1, 100_000)


def test_a_dense_layer_too_big_to_build_is_a_value_error_before_any_allocation():
    error, peak = peak_memory_of_refusal(
        lambda: Sequential([Flatten(), Dense(1_000_000)], input_shape=(1, 28, 28)),
        r"Dense '\w+' would have 785,000,000 weights \(W \(784, 1000000\), b \(1000000,\)\) for input \(784,\); "
        r"the limit is 268,435,456 per layer")
    assert peak < MEMORY_BOUND
    model = Sequential([Flatten(), Dense(1_000_000)])  # no input shape: nothing built yet
    _, peak = peak_memory_of_refusal(lambda: model.build((1, 28, 28)), "785,000,000 weights")
    assert peak < MEMORY_BOUND and not model.built
    with pytest.raises(ValueError, match="does not know its input shape"):
        model.summary()
    _, peak = peak_memory_of_refusal(lambda: Dense(1_000_000)(np.zeros((2, 784), np.float32)), "785,000,000 weights")
    assert peak < MEMORY_BOUND


def test_an_output_too_big_for_one_sample_is_refused():
    # padding 100,000 on a 4×4 image: 200,004 × 200,004 outputs per sample, no weights to speak of
    _, peak = peak_memory_of_refusal(
        lambda: Sequential([Conv2D(1, 1, padding=100_000)], input_shape=(1, 4, 4)),
        r"Conv2D '\w+' would output 40,001,600,016 numbers per sample \(shape \(1, 200004, 200004\)\) "
        r"for input \(1, 4, 4\); the limit is 268,435,456 \(MAX_SAMPLE_OUTPUT")
    assert peak < MEMORY_BOUND


def test_a_model_over_the_total_limit_is_refused_before_its_first_layers_are_built():
    # Each Dense is just under MAX_LAYER_WEIGHTS (2**28): 5 of them are over MAX_MODEL_WEIGHTS (2**30).
    width = 2**14
    layers = [Dense(width - 1) for _ in range(5)]
    assert (width - 1) * width <= MAX_LAYER_WEIGHTS and 5 * (width - 1) * width > MAX_MODEL_WEIGHTS
    _, peak = peak_memory_of_refusal(lambda: Sequential(layers, input_shape=(width,)),
                                     r"the model would have [\d,]+ weights; the limit is 1,073,741,824 per model")
    assert peak < MEMORY_BOUND
    assert not any(layer.built for layer in layers)


def test_declared_weight_shapes_are_the_built_ones_for_every_layer_class():
    """The size checks trust param_shapes / buffer_shapes: they must describe what build creates."""
    examples = {
        "Dense": (Dense(5), (3,)), "Conv2D": (Conv2D(4, 3, use_bias=False), (2, 6, 6)),
        "BatchNorm": (BatchNorm(), (3, 4, 4)), "BatchNorm1D": (glassnet.BatchNorm1D(), (3,)),
        "BatchNorm2D": (glassnet.BatchNorm2D(), (3, 4, 4)), "Flatten": (Flatten(), (2, 3)),
        "ReLU": (ReLU(), (3,)), "LeakyReLU": (glassnet.LeakyReLU(), (3,)), "Sigmoid": (glassnet.Sigmoid(), (3,)),
        "Tanh": (glassnet.Tanh(), (3,)), "Softmax": (glassnet.Softmax(), (3,)),
        "MaxPool2D": (glassnet.MaxPool2D(2), (1, 4, 4)), "AvgPool2D": (glassnet.AvgPool2D(2), (1, 4, 4)),
        "Dropout": (glassnet.Dropout(0.5), (3,)),
    }
    assert set(examples) == set(LAYER_CLASSES), "add the new layer class to this test"
    for name, (layer, shape) in examples.items():
        declared = (layer.param_shapes(shape), layer.buffer_shapes(shape))
        layer.build(shape, np.random.default_rng(0))
        built = ({k: v.shape for k, v in layer.params.items()}, {k: v.shape for k, v in layer.buffers.items()})
        assert declared == built, name


# ---------------------------------------------------------------------------------
# Model files
# ---------------------------------------------------------------------------------
def test_a_small_file_declaring_dense_of_a_million_units_is_refused_before_allocating(small_file, tmp_path):
    bomb = tmp_path / "bomb.safetensors"
    rewrite(small_file, bomb, architecture_edit=set_units(1_000_000))
    assert bomb.stat().st_size < 40_000
    error, peak = peak_memory_of_refusal(lambda: glassnet.load_model(bomb),
                                         r"its architecture cannot be built: Dense '\w+' would have 785,000,000 "
                                         r"weights .*the limit is 268,435,456 per layer")
    assert str(bomb) in str(error) and peak < MEMORY_BOUND


def test_a_layer_under_the_limit_but_bigger_than_the_file_is_refused_before_allocating(small_file, tmp_path):
    # 78 million weights (314 MB) are allowed, but the file holds a (784, 10) tensor: the format says no.
    bomb = tmp_path / "bomb.safetensors"
    rewrite(small_file, bomb, architecture_edit=set_units(100_000))
    error, peak = peak_memory_of_refusal(
        lambda: glassnet.load_model(bomb),
        r"Dense '\w+' \(layer 1\) weight 'W' has shape \(784, 10\) in the file, but the architecture needs "
        r"\(784, 100000\)")
    assert str(bomb) in str(error) and peak < MEMORY_BOUND


@pytest.mark.parametrize("edit, match", [
    (set_units(10**12), r"layer 1 \(Dense\) has a bad config .*Dense units=1,000,000,000,000 is more outputs per "
                        r"sample than the limit of 268,435,456"),
    (lambda a: a["layers"].insert(0, {"class_name": "Conv2D", "config": {"filters": 10**9, "kernel_size": [3, 3]}}),
     r"layer 0 \(Conv2D\) has a bad config .*filters=1,000,000,000 with kernel_size 3×3 would have at least "
     r"9,000,000,000 weights; the limit is 268,435,456"),
])
def test_sizes_too_big_for_any_input_are_refused_from_a_file(small_file, tmp_path, edit, match):
    bomb = tmp_path / "bomb.safetensors"
    rewrite(small_file, bomb, architecture_edit=edit)
    error, peak = peak_memory_of_refusal(lambda: glassnet.load_model(bomb), match)
    assert str(bomb) in str(error) and peak < MEMORY_BOUND


def many_relu_file(source, target, n_layers: int) -> None:
    """The small model with n_layers ReLU layers appended to its architecture (no weights needed)."""
    relu = {"class_name": "ReLU", "config": {}}
    rewrite(source, target, architecture_edit=lambda a: a["layers"].extend(dict(relu) for _ in range(n_layers)))


def test_a_file_of_twenty_thousand_layers_is_refused_by_the_layer_limit(small_file, tmp_path):
    bomb = tmp_path / "deep.safetensors"
    many_relu_file(small_file, bomb, 20_000)
    assert bomb.stat().st_size < 1_500_000
    error, peak = peak_memory_of_refusal(lambda: glassnet.load_model(bomb),
                                         r"declares 20,002 layers; the limit is 10,000 \(glassnet.io.MAX_LAYERS\)")
    assert str(bomb) in str(error) and peak < MEMORY_BOUND


def test_a_file_of_ten_thousand_layers_loads_with_bounded_memory(small_file, tmp_path):
    path = tmp_path / "deep.safetensors"
    many_relu_file(small_file, path, io.MAX_LAYERS - 2)
    tracemalloc.start()
    try:
        model = glassnet.load_model(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(model.layers) == io.MAX_LAYERS and model.output_shape == (10,)
    assert peak < MEMORY_BOUND


def count_calls(action) -> int:
    """Python function calls made by action() (generator steps count too), as cProfile counts them."""
    profile = cProfile.Profile()
    profile.runcall(action)
    return pstats.Stats(profile).total_calls


def test_load_work_grows_linearly_with_the_number_of_layers(small_file, tmp_path):
    # Loading was quadratic (each added layer compared with all before it): doubling the
    # layers quadrupled the work. Function calls are counted rather than time measured.
    calls = {}
    glassnet.load_model(small_file)  # first-use imports and caches out of the way
    for n in (1000, 2000):
        path = tmp_path / f"deep{n}.safetensors"
        many_relu_file(small_file, path, n)
        calls[n] = count_calls(lambda: glassnet.load_model(path))
    assert calls[2000] < 2.2 * calls[1000], calls


def header_file(path, tensors: dict[str, dict], data: bytes, metadata: dict[str, str]) -> None:
    """A safetensors file written by hand: 8-byte header length, JSON header, data."""
    header = json.dumps({"__metadata__": metadata, **tensors}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)


def test_tensors_sharing_the_same_bytes_are_refused(small_file, tmp_path):
    # 1,000 tensors all pointing at the same 31 kB would make 31 MB of copies: not what safetensors writes.
    _, metadata = io.read_header(small_file)
    entry = {"dtype": "F32", "shape": [784, 10], "data_offsets": [0, 31360]}
    tensors = {f"optimizer/m/{i}.W": entry for i in range(1000)}
    bomb = tmp_path / "shared.safetensors"
    header_file(bomb, tensors, bytes(31360), metadata)
    error, peak = peak_memory_of_refusal(lambda: glassnet.load_model(bomb),
                                         r"starts at byte 0 of the data, but the tensor before it ends at byte 31360")
    assert str(bomb) in str(error) and peak < MEMORY_BOUND


def test_a_shape_with_a_hundred_thousand_huge_dimensions_is_refused_at_once(small_file, tmp_path):
    _, metadata = io.read_header(small_file)
    bomb = tmp_path / "long_shape.safetensors"
    header_file(bomb, {"params/1.W": {"dtype": "F32", "shape": [2**62] * 100_000, "data_offsets": [0, 4]}},
                bytes(4), metadata)
    error, peak = peak_memory_of_refusal(lambda: glassnet.load_model(bomb), "do not fit its shape")
    assert str(bomb) in str(error) and peak < MEMORY_BOUND


def test_glassnet_summary_of_a_bomb_prints_one_error_line(small_file, tmp_path, capsys):
    bomb = tmp_path / "bomb.safetensors"
    rewrite(small_file, bomb, architecture_edit=set_units(1_000_000))
    status = cli.main(["summary", str(bomb)])
    err = capsys.readouterr().err
    assert status != 0 and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith(f"glassnet: error: cannot load model file {bomb}")
    assert "785,000,000 weights" in err and "268,435,456" in err


# ---------------------------------------------------------------------------------
# NaN and infinity
# ---------------------------------------------------------------------------------
def poison(tensors) -> None:
    tensors["params/1.W"] = tensors["params/1.W"].copy()
    tensors["params/1.W"][3, 4] = np.nan
    tensors["params/1.W"][5, 6] = -np.inf


def test_a_file_with_nan_and_inf_weights_is_refused(small_file, tmp_path):
    bad = tmp_path / "nan.safetensors"
    rewrite(small_file, bad, tensors_edit=poison)
    with pytest.raises(ValueError, match=r"Dense '\w+' \(layer 1\) weight 'W' \(tensor 'params/1.W'\) holds 1 NaN and "
                                         r"1 infinite values \(of 7,840\); a model with non-finite weights") as error:
        glassnet.load_model(bad)
    assert str(bad) in str(error.value)


def test_a_file_with_an_infinite_buffer_is_refused(tmp_path):
    path, bad = tmp_path / "bn.safetensors", tmp_path / "bad.safetensors"
    Sequential([BatchNorm()], input_shape=(3,), seed=0).save(path)
    rewrite(path, bad, tensors_edit=lambda t: t.update({"buffers/0.running_var": np.array([1, np.inf, 1], np.float32)}))
    with pytest.raises(ValueError, match=r"BatchNorm '\w+' \(layer 0\) weight 'running_var' \(tensor "
                                         r"'buffers/0.running_var'\) holds 0 NaN and 1 infinite values"):
        glassnet.load_model(bad)


def test_saving_nan_weights_is_refused_and_leaves_the_previous_file_intact(tmp_path):
    model = small_model()
    path = tmp_path / "model.safetensors"
    model.save(path)
    before = path.read_bytes()
    model.layers[1].params["b"][2] = np.nan
    with pytest.raises(ValueError, match=rf"cannot save model to {path}: Dense '\w+' \(layer 1\) weight 'b' holds "
                                         rf"1 NaN and 0 infinite values \(of 10\).*nothing was written; {path} is "
                                         "left as it was"):
        model.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.safetensors"]
    assert np.isfinite(glassnet.load_model(path).layers[1].params["b"]).all()


def test_saving_an_infinite_buffer_to_a_new_path_writes_nothing(tmp_path):
    model = Sequential([Dense(3), BatchNorm()], input_shape=(2,), seed=0)
    model.layers[1].buffers["running_mean"][0] = np.inf
    with pytest.raises(ValueError, match=r"BatchNorm '\w+' \(layer 1\) weight 'running_mean' holds 0 NaN and 1 "
                                         r"infinite values.*nothing was written$"):
        model.save(tmp_path / "new.safetensors")
    assert os.listdir(tmp_path) == []
