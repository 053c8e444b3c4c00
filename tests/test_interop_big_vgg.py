"""The zoo's two big VGGs, both ways through PyTorch and through onnxruntime (the other zoo networks: test_interop, test_onnx).

vgg16 (13 conv + BatchNorm, CIFAR, 14.7 M weights) and vgg16_imagenet (the Keras lesson's
VGG-16: 224x224x3, 138,357,544 weights, 553 MB of float32) take a few seconds and a few
gigabytes each, so they are marked slow and use batches of 2.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the round trips compare against PyTorch (pip install -e '.[test]')")
safetensors_torch = pytest.importorskip("safetensors.torch")
ort = pytest.importorskip("onnxruntime", reason="the ONNX check runs the file in onnxruntime (pip install -e '.[onnx]')")

from conftest import relative_error  # noqa: E402
from glassnet import zoo  # noqa: E402
from glassnet.interop import load_torch_state_dict, save_torch_state_dict  # noqa: E402
from glassnet.interop.onnx_export import export_onnx  # noqa: E402
from glassnet.layers import Conv2D, Dense  # noqa: E402
from test_interop import torch_twin, trained_torch  # noqa: E402

U = 2.0**-24  # float32's unit roundoff


def tolerance(model) -> float:
    """max |a - b| / max |b| allowed between two float32 evaluations of ``model`` that add in different orders.

    A reordered K-term sum moves by about sqrt(K)·u; the layers' errors add up at most linearly
    over the L layers with weights, so L·sqrt(K_max)·u, with a factor 4 of margin. For
    vgg16_imagenet (K_max = 25,088, the first Dense; L = 16) that is 1.6e-4; a wrong layout or a
    lost statistic is 1e-2 or more.
    """
    sums = []
    for layer in model.layers:
        if isinstance(layer, Conv2D):
            sums.append(layer.input_shape[0] * int(np.prod(layer.kernel_size)))
        elif isinstance(layer, Dense):
            sums.append(layer.input_shape[0])
    return 4 * len(sums) * math.sqrt(max(sums)) * U


def has_batchnorm(net) -> bool:
    return any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in net.modules())


@pytest.mark.slow
@pytest.mark.parametrize("name", ["vgg16", "vgg16_imagenet"])
def test_the_big_vggs_go_both_ways_through_pytorch_and_run_in_onnxruntime(name, tmp_path):
    model = zoo.build(name, seed=0)
    x = np.random.default_rng(3).standard_normal((2, *model.input_shape)).astype(np.float32)
    rtol = tolerance(model)

    # PyTorch -> glassnet: a random twin's state_dict file gives PyTorch's logits
    torch.manual_seed(11)
    net = torch_twin(model)
    net = trained_torch(net, model.input_shape) if has_batchnorm(net) else net.eval()
    path = tmp_path / "from_torch.safetensors"
    safetensors_torch.save_file(net.state_dict(), str(path))
    load_torch_state_dict(model, path)
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    got = model.predict(x)
    assert relative_error(got, want) <= rtol
    np.testing.assert_array_equal(got.argmax(axis=1), want.argmax(axis=1))
    del net, want

    # glassnet -> PyTorch: the weights written back load strictly into a fresh twin and give glassnet's logits
    path = tmp_path / "to_torch.safetensors"
    save_torch_state_dict(model, path)
    fresh = torch_twin(model)
    fresh.load_state_dict(safetensors_torch.load_file(str(path)))
    with torch.no_grad():
        back = fresh.eval()(torch.from_numpy(x)).numpy()
    assert relative_error(back, got) <= rtol
    del fresh

    # glassnet -> ONNX -> onnxruntime
    onnx_path = export_onnx(model, tmp_path / f"{name}.onnx")
    run = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (onnx_logits,) = run.run(None, {"input": x})
    assert relative_error(onnx_logits, got) <= rtol
    np.testing.assert_array_equal(onnx_logits.argmax(axis=1), got.argmax(axis=1))
