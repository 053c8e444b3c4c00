"""ONNX export (glassnet.interop.onnx_export): every zoo network and every layer, run in onnxruntime.

The tolerance. onnxruntime computes the same float32 formulas as glassnet, but its
convolutions and matrix products add their terms in another order (its own blocked
kernels against glassnet's im2col + BLAS), so the results differ by rounding only. One
float32 rounding is at most u = 2^-24 ≈ 6e-8 of the value; a sum of K products rounded
in a different order differs by about sqrt(K)·u of its size (random-walk rounding, the
worst case K·u): for the largest sums here, VGG's 3x3 convolutions over 512 channels
(K = 4,608), about 68u ≈ 4e-6, and those per-layer errors do not line up from layer to
layer. The logits are compared as max |a - b| / max |b| over the batch (an elementwise
relative error is meaningless for a logit near 0), and must be ≤ RTOL = 1e-5 ≈ 170u; the
largest seen is 2e-6 (VGG-16, RESULTS.md). A real mistake (a transposed weight, a pad on the
wrong side, a BatchNorm without its running statistics) moves logits by 1e-2 or more.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="ONNX export tests need onnx: pip install -e '.[test]'")
ort = pytest.importorskip("onnxruntime", reason="ONNX export tests need onnxruntime: pip install -e '.[test]'")

import glassnet as gn  # noqa: E402
from glassnet import zoo  # noqa: E402
from glassnet.cli import main  # noqa: E402
from glassnet.interop import ONNX_LAYERS, ONNX_OPSET, export_onnx, onnx_export, to_onnx  # noqa: E402
from glassnet.layers import (LAYER_CLASSES, AvgPool2D, BatchNorm1D, BatchNorm2D, Conv2D, Dense,  # noqa: E402
                             Dropout, Flatten, Layer, LeakyReLU, MaxPool2D, ReLU, Sigmoid, Softmax, Tanh)

from conftest import randomized, relative_error  # noqa: E402

RTOL = 1e-5
BATCHES = (1, 3, 17)
ZOO = ["perceptron", "mlp", "mlp_keras", "linear_regression", "lenet5", "color_dnn", "color_cnn", "shape_cnn",
       "mnist_cnn", "fashion_cnn", "cifar_net", "vgg_report"]
"""Every zoo network but vgg16 and vgg16_imagenet (those two: test_interop_big_vgg.py, marked slow)."""


def session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def batch(shape, n, seed):
    return np.random.default_rng(seed).standard_normal((n, *shape)).astype(np.float32)


def assert_runs_the_same(model, path, batches=BATCHES):
    run = session(path)
    for n in batches:
        x = batch(model.input_shape, n, seed=n)
        want = model(x)
        (got,) = run.run(None, {"input": x})
        assert got.shape == want.shape == (n, *model.output_shape)
        error = relative_error(got, want)
        assert error <= RTOL, f"batch of {n}: relative error {error:.3g} > {RTOL:g}"
        if want.shape[1] > 1:
            np.testing.assert_array_equal(got.argmax(axis=1), model.predict(x).argmax(axis=1))


@pytest.mark.parametrize("name", ZOO)
def test_every_zoo_network_computes_the_same_in_onnxruntime(name, tmp_path):
    model = randomized(zoo.build(name, seed=1))
    path = tmp_path / f"{name}.onnx"
    assert export_onnx(model, path) == path
    assert_runs_the_same(model, path)


def every_layer_model():
    """Every glassnet layer, with the settings the export must get right (asymmetric 'same' pads, padded pools)."""
    return gn.Sequential([
        Conv2D(6, 4, padding="same"),                 # even kernel: one row more below, one column more right
        BatchNorm2D(eps=1e-3), LeakyReLU(0.2),
        MaxPool2D(3, stride=2, padding=1),            # overlapping windows, padding that never wins the max
        Conv2D(8, (3, 2), stride=(2, 1), padding=(1, 0), use_bias=False), Tanh(),
        Conv2D(8, 3, stride=2, padding="same"), Sigmoid(),  # stride 2 'same': ceil(H / 2) rows
        AvgPool2D(2, stride=1, padding=1),            # the padding zeros count in the mean
        Dropout(0.4), Flatten(), Dense(20), BatchNorm1D(), ReLU(), Dense(5), Softmax(),
    ], input_shape=(3, 15, 13), seed=3)


def test_every_layer_kind_is_exported_and_computes_the_same(tmp_path):
    model = randomized(every_layer_model(), seed=4)
    path = export_onnx(model, tmp_path / "every.onnx")
    graph = onnx.load(str(path)).graph
    assert [node.op_type for node in graph.node] == [
        "Conv", "BatchNormalization", "LeakyRelu", "MaxPool", "Conv", "Tanh", "Conv", "Sigmoid", "AveragePool",
        "Identity", "Flatten", "Gemm", "BatchNormalization", "Relu", "Gemm", "Softmax"]
    assert [node.name for node in graph.node] == [layer.name for layer in model.layers]
    attributes = {node.name: {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
                  for node in graph.node}
    first, second, pool, avg = model.layers[0].name, model.layers[4].name, model.layers[3].name, model.layers[8].name
    assert attributes[first]["pads"] == [1, 1, 2, 2] and attributes[first]["dilations"] == [1, 1]
    assert attributes[second]["strides"] == [2, 1] and attributes[second]["kernel_shape"] == [3, 2]
    assert len(graph.node[4].input) == 2  # no bias
    assert attributes[pool]["pads"] == [1, 1, 1, 1] and attributes[avg]["count_include_pad"] == 1
    assert attributes[model.layers[1].name]["epsilon"] == pytest.approx(1e-3)
    assert attributes[model.layers[2].name]["alpha"] == pytest.approx(0.2)
    assert_runs_the_same(model, path)


def test_batchnorm_over_channels_of_sequences_is_exported(tmp_path):
    model = randomized(gn.Sequential([BatchNorm1D(), Flatten(), Dense(3)], input_shape=(4, 6), seed=6))  # (N, C, L)
    assert_runs_the_same(model, export_onnx(model, tmp_path / "bn_sequence.onnx"))


def test_every_layer_glassnet_has_is_exported():
    own = {name for name, cls in LAYER_CLASSES.items() if cls.__module__.startswith("glassnet.layers")}
    assert own <= set(ONNX_LAYERS), f"layers without an ONNX form: {sorted(own - set(ONNX_LAYERS))}"


def test_a_dilated_convolution_keeps_its_dilation(tmp_path):
    model = randomized(gn.Sequential([Conv2D(4, 3, padding=2, dilation=2), ReLU(),
                                      Conv2D(3, 3, padding="same", dilation=(1, 2)), Flatten(), Dense(4)],
                                     input_shape=(2, 12, 11), seed=5))
    path = export_onnx(model, tmp_path / "dilated.onnx")
    nodes = onnx.load(str(path)).graph.node
    dilations = [onnx.helper.get_attribute_value(a) for a in nodes[0].attribute if a.name == "dilations"]
    assert dilations == [[2, 2]]
    assert_runs_the_same(model, path)


# ----------------------------------------------------------------------------- the file itself
def test_the_file_states_its_opset_batch_dimension_and_metadata(tmp_path):
    model = zoo.lenet5(seed=0)
    names = [f"digit {d}" for d in range(9)] + ["九"]
    path = model.export_onnx(str(tmp_path / "lenet5.onnx"), class_names=names, metadata={"dataset": "mnist"})
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", ONNX_OPSET)]
    assert proto.producer_name == "glassnet" and proto.producer_version == gn.__version__
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["glassnet_version"] == gn.__version__ and props["dataset"] == "mnist"
    assert json.loads(props["class_names"]) == names and props["model_name"] == model.name
    (given,), (taken,) = proto.graph.input, proto.graph.output
    assert [d.dim_param or d.dim_value for d in given.type.tensor_type.shape.dim] == ["N", 1, 28, 28]
    assert [d.dim_param or d.dim_value for d in taken.type.tensor_type.shape.dim] == ["N", 10]
    assert {i.name for i in proto.graph.initializer} == {f"{layer.name}.{k}" for layer in model.layers
                                                        for k in layer.params}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lenet5.onnx"]  # no temporary file left


def test_layers_with_one_name_get_distinct_node_names(tmp_path):
    model = gn.Sequential([Dense(4, name="same"), ReLU(name="same"), Dense(2, name="output")], input_shape=(3,),
                          seed=0)
    proto = to_onnx(model)
    assert [node.name for node in proto.graph.node] == ["same", "same_1", "output_2"]
    assert [node.output[0] for node in proto.graph.node] == ["same", "same_1", "output"]


def test_what_cannot_be_exported_is_named(tmp_path, monkeypatch):
    class Scale(Layer):
        def forward(self, x, training=True):
            self.ensure_built(x)
            return 2 * x

    with pytest.raises(ValueError, match="Scale 'times_two': glassnet has no ONNX form for a Scale layer"):
        to_onnx(gn.Sequential([Dense(3), Scale(name="times_two")], input_shape=(2,), seed=0))
    with pytest.raises(ValueError, match="is not built"):
        to_onnx(gn.Sequential([Dense(3)]))
    with pytest.raises(ValueError, match="3 class names .* output per sample is \\(10,\\)"):
        to_onnx(zoo.lenet5(seed=0), class_names=["a", "b", "c"])
    monkeypatch.setattr(onnx_export, "MAX_PROTOBUF_BYTES", 1000)
    with pytest.raises(ValueError, match="an ONNX file holds at most 2 GiB"):
        export_onnx(zoo.lenet5(seed=0), tmp_path / "big.onnx")
    assert not list(tmp_path.iterdir())


def test_without_onnx_the_export_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    model = zoo.lenet5(seed=0)
    model.save(str(tmp_path / "m.safetensors"))
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match='pip install "glassnet\\[onnx\\]"'):
        model.export_onnx(str(tmp_path / "m.onnx"))
    assert main(["export", str(tmp_path / "m.safetensors"), "--onnx", str(tmp_path / "m.onnx")]) == 1
    assert 'ONNX export needs the onnx package: pip install "glassnet[onnx]"' in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


def test_glassnet_imports_onnx_only_when_exporting():
    code = ("import sys, glassnet, glassnet.interop, glassnet.cli\n"
            "print('onnx' in sys.modules, 'onnxruntime' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


# ----------------------------------------------------------------------------- the command
def test_glassnet_export_writes_onnx_with_the_files_class_names(tmp_path, capsys):
    model = randomized(zoo.shape_cnn(seed=2))
    classes = ["circle", "rectangle", "triangle", "diamond", "line"]
    source = tmp_path / "shape_cnn.safetensors"
    model.save(str(source), metadata={"class_names": classes, "dataset": "shapes", "model": "shape_cnn"})
    out, state = tmp_path / "shape_cnn.onnx", tmp_path / "state.safetensors"
    assert main(["export", str(source), "--onnx", str(out), "--torch", str(state)]) == 0
    printed = capsys.readouterr().out
    assert f"-> {out}: ONNX opset {ONNX_OPSET}, input (N, 1, 28, 28) float32" in printed
    assert "5 class names in its metadata" in printed and f"-> {state}: a PyTorch state_dict" in printed
    props = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert json.loads(props["class_names"]) == classes
    assert props["dataset"] == "shapes" and props["model"] == "shape_cnn"
    assert_runs_the_same(gn.load_model(str(source)), out)
    import safetensors.numpy

    weights = safetensors.numpy.load_file(str(state))
    np.testing.assert_array_equal(weights["7.weight"], model.layers[7].params["W"].T)  # Linear's (out, in)
    np.testing.assert_array_equal(weights["8.running_var"], model.layers[8].buffers["running_var"])


def test_glassnet_export_errors_are_one_line_in_the_language(tmp_path, capsys):
    source = tmp_path / "m.safetensors"
    zoo.perceptron(seed=0).save(str(source))
    assert main(["export", str(source)]) == 1
    assert "say what to write: --onnx OUT.onnx, --torch OUT.safetensors, or both" in capsys.readouterr().err
    assert main(["export", str(source), "--onnx", str(tmp_path / "m.pt")]) == 1
    assert "an ONNX file ends in .onnx" in capsys.readouterr().err
    assert main(["export", str(source), "--torch", str(tmp_path / "m.pt")]) == 1
    assert "never writes a pickle" in capsys.readouterr().err
    assert main(["export", str(source), "--onnx", str(tmp_path / "no" / "m.onnx")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["--lang", "zh", "export", str(source)]) == 1
    assert "请指定要写出的文件" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.safetensors"), "--onnx", str(tmp_path / "m.onnx")]) == 1
    assert "missing.safetensors" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.safetensors"]
    assert main(["export", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: glassnet export")
    assert main(["--lang", "zh", "export", "--help"]) == 0
    assert "要写出的 ONNX 文件" in capsys.readouterr().out
