"""PyTorch weights in and out (glassnet.interop): every model checked against PyTorch's own outputs."""
from __future__ import annotations

import pickle
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
safetensors_torch = pytest.importorskip("safetensors.torch")

import glassnet as gn  # noqa: E402
from glassnet import zoo  # noqa: E402
from glassnet.interop import (TORCH_LAYERS, from_torch_module, load_torch_state_dict,  # noqa: E402
                              save_torch_state_dict)

from conftest import randomized, relative_error  # noqa: E402
from glassnet.layers import (AvgPool2D, BatchNorm, BatchNorm1D, BatchNorm2D, Conv2D, Dense, Dropout,  # noqa: E402
                             Flatten, LeakyReLU, MaxPool2D, ReLU, Sigmoid, Softmax, Tanh)

EPS32 = float(np.finfo(np.float32).eps)


class TorchLeNet(nn.Module):
    """LeNet-5 as PyTorch users write it: named attributes, so the state_dict says conv1.weight, fc1.bias, ..."""

    def __init__(self, fc1: int = 120, fc3: bool = True):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, fc1)
        self.fc2 = nn.Linear(fc1, 84)
        self.fc3 = nn.Linear(84, 10) if fc3 else None

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2).flatten(1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def bn_cnn_torch():
    """12 modules, so '10.weight' must come after '2.weight' (natural, not text, order)."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16, momentum=0.2),
                         nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(),
                         nn.Linear(32, 5))


def bn_cnn_glassnet():
    return gn.Sequential([Conv2D(8, 3, padding=1), BatchNorm2D(), ReLU(), MaxPool2D(2),
                          Conv2D(16, 3, stride=2, padding=1, use_bias=False), BatchNorm2D(momentum=0.2), ReLU(),
                          AvgPool2D(2), Flatten(), Dense(32), BatchNorm1D(), ReLU(), Dense(5)],
                         input_shape=(3, 16, 16), seed=1)


def mlp_torch():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.Tanh(), nn.Linear(64, 32), nn.Sigmoid(),
                         nn.Linear(32, 10))


def mlp_glassnet():
    return gn.Sequential([Flatten(), Dense(64), Tanh(), Dense(32), Sigmoid(), Dense(10)], input_shape=(1, 28, 28),
                         seed=2)


# Terms summed into one output along the deepest path (the fan-ins), for a float32 tolerance.
SUMMED = {"lenet": 25 + 150 + 400 + 120 + 84, "bn_cnn": 27 + 72 + 4 + 64 + 32, "mlp": 784 + 64 + 32}
SHAPES = {"lenet": (1, 28, 28), "bn_cnn": (3, 16, 16), "mlp": (1, 28, 28)}


def twins(kind):
    if kind == "lenet":
        return TorchLeNet(), zoo.lenet5(seed=3)
    if kind == "bn_cnn":
        return bn_cnn_torch(), bn_cnn_glassnet()
    return mlp_torch(), mlp_glassnet()


def trained_torch(net, shape, seed=0):
    """A PyTorch net whose BatchNorm statistics are not the initial 0 and 1: a few training-mode passes."""
    torch.manual_seed(seed)
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(16, *shape) * 2 + 0.5)
    return net.eval()


def inputs(shape, n=8, seed=5):
    return np.random.default_rng(seed).standard_normal((n, *shape)).astype(np.float32)


def assert_same_outputs(model, net, x, summed):
    with torch.no_grad():
        want = net.eval()(torch.from_numpy(x)).numpy()
    got = model(x)
    assert got.shape == want.shape
    tolerance = 4 * EPS32 * summed * max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=0, atol=tolerance)


@pytest.mark.parametrize("kind", ["lenet", "bn_cnn", "mlp"])
def test_a_pytorch_state_dict_loads_and_computes_what_pytorch_does(kind, tmp_path):
    torch.manual_seed(0)
    net, model = twins(kind)
    net = trained_torch(net, SHAPES[kind])
    path = tmp_path / "state.safetensors"
    safetensors_torch.save_file(net.state_dict(), str(path))
    x = inputs(SHAPES[kind])
    before = model(x)
    assert load_torch_state_dict(model, path) is model
    assert not np.allclose(model(x), before)  # the weights did change
    assert_same_outputs(model, net, x, SUMMED[kind])
    if kind == "lenet":  # Dense W is (in, out): Linear's weight transposed
        np.testing.assert_array_equal(model.layers[7].params["W"], net.fc1.weight.detach().numpy().T)
    if kind == "bn_cnn":
        np.testing.assert_array_equal(model.layers[5].buffers["running_var"], net[5].running_var.numpy())
        assert not np.allclose(net[5].running_var.numpy(), 1.0)


@pytest.mark.parametrize("kind", ["lenet", "bn_cnn", "mlp"])
def test_glassnet_weights_load_into_pytorch_and_compute_the_same(kind, tmp_path):
    torch.manual_seed(1)
    net, model = twins(kind)
    x = inputs(SHAPES[kind], seed=6)
    if kind == "bn_cnn":  # running statistics moved away from 0 and 1 by glassnet's own training passes
        for seed in range(3):
            model(inputs(SHAPES[kind], 16, seed) * 2 + 0.5, training=True)
    path = tmp_path / "from_glassnet.safetensors"
    prefixes = ["conv1", "conv2", "fc1", "fc2", "fc3"] if kind == "lenet" else None
    save_torch_state_dict(model, path, prefixes=prefixes)
    state = safetensors_torch.load_file(str(path))
    result = net.load_state_dict(state)  # strict: no missing or unexpected key
    assert not result.missing_keys and not result.unexpected_keys
    assert_same_outputs(model, net, x, SUMMED[kind])
    if kind == "bn_cnn":
        assert state["1.num_batches_tracked"].dtype == torch.int64
        np.testing.assert_array_equal(net[10].running_mean.numpy(), model.layers[10].buffers["running_mean"])


def test_from_torch_module_translates_every_listed_layer():
    torch.manual_seed(2)
    net = nn.Sequential(
        nn.Conv2d(3, 6, 3, padding="same"), nn.BatchNorm2d(6, eps=1e-3, momentum=0.05), nn.LeakyReLU(0.2),
        nn.MaxPool2d(2), nn.Conv2d(6, 8, (3, 2), stride=(1, 2), padding=(1, 0)), nn.Tanh(),
        nn.AvgPool2d(3, stride=1, padding=1), nn.Sequential(nn.Dropout(0.3), nn.Flatten()),
        nn.Linear(8 * 6 * 3, 20), nn.BatchNorm1d(20), nn.Sigmoid(), nn.Linear(20, 7), nn.ReLU(), nn.Linear(7, 4),
        nn.Softmax(dim=1))
    net = trained_torch(net, (3, 12, 12))
    model = from_torch_module(net, (3, 12, 12))
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Conv2D, BatchNorm2D, LeakyReLU, MaxPool2D, Conv2D, Tanh, AvgPool2D, Dropout, Flatten, Dense,
                     BatchNorm1D, Sigmoid, Dense, ReLU, Dense, Softmax]
    assert {type(m).__name__ for m in net.modules()} - {"Sequential"} == set(TORCH_LAYERS)
    assert model.layers[1].momentum == 0.05 and model.layers[1].eps == 1e-3
    assert model.layers[2].alpha == pytest.approx(0.2) and model.layers[7].rate == pytest.approx(0.3)
    assert model.layers[4].param_shapes((6, 6, 6))["W"] == (8, 6, 3, 2)
    assert_same_outputs(model, net, inputs((3, 12, 12)), 27 + 54 + 9 + 144 + 20 + 7)


@pytest.mark.parametrize("module, words", [
    (nn.Conv2d(2, 2, 3, groups=2), "groups=2"),
    (nn.Linear(3, 2, bias=False), "bias=False"),
    (nn.MaxPool2d(2, ceil_mode=True), "ceil_mode=True"),
    (nn.AvgPool2d(3, padding=1, count_include_pad=False), "count_include_pad=False"),
    (nn.BatchNorm2d(1, momentum=None), "momentum=None"),
    (nn.Flatten(0), "start_dim=0"),
    (nn.GELU(), "is a GELU"),
])
def test_from_torch_module_names_what_it_cannot_translate(module, words):
    with pytest.raises(ValueError, match="PyTorch module '1'") as error:
        from_torch_module(nn.Sequential(nn.ReLU(), module), (1, 8, 8))
    assert words in str(error.value)


def test_from_torch_module_translates_a_dilated_convolution():
    torch.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=2, dilation=2), nn.ReLU(), nn.Conv2d(4, 3, 3, dilation=(1, 2)),
                        nn.Flatten(), nn.Linear(3 * 10 * 9, 5)).eval()
    model = from_torch_module(net, (2, 12, 13))
    assert tuple(model.layers[0].dilation) == (2, 2) and tuple(model.layers[2].dilation) == (1, 2)
    assert_same_outputs(model, net, inputs((2, 12, 13)), 18 + 36 + 270)


def test_from_torch_module_takes_only_torch_nn_layers():
    class Linear(nn.Module):  # a user's module with a torch.nn name computes something else
        def forward(self, x):
            return 2 * x

    with pytest.raises(ValueError, match="PyTorch module '0' is a .*Linear, not a torch.nn layer"):
        from_torch_module(nn.Sequential(Linear()), (3,))


def test_from_torch_module_wants_a_sequential():
    with pytest.raises(ValueError, match="expects an nn.Sequential, got TorchLeNet"):
        from_torch_module(TorchLeNet(), (1, 28, 28))


# ----------------------------------------------------------------------------- the zoo, both ways
# Every zoo network but vgg16 and vgg16_imagenet (those two: test_interop_big_vgg.py, marked slow).
ZOO = ["perceptron", "mlp", "mlp_keras", "linear_regression", "lenet5", "color_dnn", "color_cnn", "shape_cnn",
       "mnist_cnn", "fashion_cnn", "cifar_net", "vgg_report"]
ZOO_RTOL = 1e-5
"""max |a - b| / max |b| of a batch's logits. The two sides compute the same float32 formulas and differ
only in the order their BLAS / im2col / oneDNN kernels add terms: a K-term sum reordered moves by about
sqrt(K)·u, u = 2^-24 ≈ 6e-8 (K·u at worst); the largest K here, VGG's 3x3 convolutions over 512
channels (4,608 terms), gives about 4e-6 per layer, and per-layer errors do not line up. 1e-5 is
about 170u; the largest seen is 2e-6 (VGG-16, RESULTS.md). A wrong layout or a lost statistic is 1e-2 or more."""


def torch_twin(model):
    """A fresh nn.Sequential of the modules that compute what ``model``'s layers compute (its own random weights)."""
    modules = []
    for layer in model.layers:
        shape = layer.input_shape
        if isinstance(layer, Dense):
            modules.append(nn.Linear(shape[0], layer.units))
        elif isinstance(layer, (Conv2D, MaxPool2D)):
            top, bottom, left, right = layer.pads
            assert (top, left) == (bottom, right), "the zoo pads evenly"
            common = dict(kernel_size=layer.kernel_size, stride=layer.stride, padding=(top, left))
            modules.append(nn.Conv2d(shape[0], layer.filters, bias=layer.use_bias, **common)
                           if isinstance(layer, Conv2D) else nn.MaxPool2d(**common))
        elif isinstance(layer, BatchNorm):
            kind = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            modules.append(kind(shape[0], eps=layer.eps, momentum=layer.momentum))
        else:
            modules.append({ReLU: nn.ReLU, Flatten: nn.Flatten}[type(layer)]())
    return nn.Sequential(*modules)


def assert_same_logits_and_classes(model, net, x):
    with torch.no_grad():
        want = net.eval()(torch.from_numpy(x)).numpy()
    got = model.predict(x)
    error = relative_error(got, want)
    assert error <= ZOO_RTOL, f"relative error {error:.3g} > {ZOO_RTOL:g}"
    if want.shape[1] > 1:
        np.testing.assert_array_equal(got.argmax(axis=1), want.argmax(axis=1))


@pytest.mark.parametrize("name", ZOO)
def test_every_zoo_network_reads_a_random_pytorch_twin(name, tmp_path):
    model = zoo.build(name, seed=0)
    torch.manual_seed(7)
    net = torch_twin(model)
    for module in net.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.normal_(module.bias, 0.0, 0.1)
    net = trained_torch(net, model.input_shape)
    path = tmp_path / f"{name}.safetensors"
    safetensors_torch.save_file(net.state_dict(), str(path))
    load_torch_state_dict(model, path)
    assert_same_logits_and_classes(model, net, inputs(model.input_shape, 17))


@pytest.mark.parametrize("name", ZOO)
def test_every_zoo_network_goes_into_its_pytorch_twin(name, tmp_path):
    model = randomized(zoo.build(name, seed=1), seed=8)
    path = tmp_path / f"{name}.safetensors"
    save_torch_state_dict(model, path)
    net = torch_twin(model)
    net.load_state_dict(safetensors_torch.load_file(str(path)))  # strict: every key, every shape
    assert_same_logits_and_classes(model, net, inputs(model.input_shape, 17, seed=9))


# ----------------------------------------------------------------------------- mismatches
def lenet_state(**changes):
    torch.manual_seed(0)
    return {k: v.clone() for k, v in TorchLeNet(**changes).state_dict().items()}


def load_error(state, tmp_path, model=None):
    path = tmp_path / "bad.safetensors"
    safetensors_torch.save_file(state, str(path))
    model = model or zoo.lenet5(seed=0)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError) as error:
        load_torch_state_dict(model, path)
    for old, now in zip(before, model.get_weights()):  # nothing half-loaded
        np.testing.assert_array_equal(old, now)
    return str(error.value)


def test_a_wrong_shape_names_the_layer_and_tensor(tmp_path):
    message = load_error(lenet_state(fc1=100), tmp_path)
    assert "layer 7, Dense 'fc1'" in message and "'fc1.weight' has shape (100, 400)" in message
    assert "expected (120, 400)" in message and "(out_features, in_features)" in message


def test_a_missing_tensor_is_named(tmp_path):
    state = lenet_state()
    del state["fc2.bias"]
    message = load_error(state, tmp_path)
    assert "layer 9, Dense 'fc2'" in message and "tensor 'fc2.bias' of shape (84,) is missing" in message


def test_an_extra_tensor_is_named(tmp_path):
    state = lenet_state()
    state["conv2.scale"] = torch.ones(16)
    message = load_error(state, tmp_path)
    assert "layer 3, Conv2D 'conv2'" in message and "'conv2.scale' is not one of Conv2D's (weight, bias)" in message


def test_an_extra_module_is_named(tmp_path):
    state = lenet_state()
    state["fc4.weight"], state["fc4.bias"] = torch.ones(10, 10), torch.ones(10)
    message = load_error(state, tmp_path)
    assert "module 'fc4' (tensor 'fc4.bias') has no layer" in message
    assert "the file has 6 modules with tensors" in message and "the model has 5 layers with weights" in message


def test_a_missing_layer_is_named(tmp_path):
    message = load_error(lenet_state(fc3=False), tmp_path)
    assert "layer 11, Dense 'fc3' gets no tensors" in message and "'<module>.weight' of shape (10, 84)" in message
    assert "the file has 4 modules with tensors, conv1, conv2, fc1, fc2" in message


def test_a_missing_middle_layer_shows_as_the_first_shape_that_does_not_fit(tmp_path):
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.Tanh(), nn.Linear(64, 10))
    state = dict(net.state_dict())
    message = load_error(state, tmp_path, mlp_glassnet())
    assert "layer 3, Dense" in message and "'3.weight' has shape (10, 64); expected (32, 64)" in message
    assert "the file has 2 modules with tensors" in message


def test_prefixes_give_the_order_when_names_do_not(tmp_path):
    class Named(nn.Module):  # names whose natural order is not the layers' order
        def __init__(self):
            super().__init__()
            self.stem, self.head = nn.Linear(4, 6), nn.Linear(6, 3)

    torch.manual_seed(0)
    net = Named()
    path = tmp_path / "named.safetensors"
    safetensors_torch.save_file(net.state_dict(), str(path))
    model = gn.Sequential([Dense(6), ReLU(), Dense(3)], input_shape=(4,), seed=0)
    with pytest.raises(ValueError, match="'head.weight' has shape \\(3, 6\\); expected \\(6, 4\\)"):
        load_torch_state_dict(model, path)
    load_torch_state_dict(model, path, prefixes=["stem", "head"])
    np.testing.assert_array_equal(model.layers[2].params["W"], net.head.weight.detach().numpy().T)


def test_a_glassnet_model_file_is_sent_to_load_model(tmp_path):
    model = zoo.lenet5(seed=0)
    model.save(str(tmp_path / "m.safetensors"))
    with pytest.raises(ValueError, match="glassnet model file, not a PyTorch state_dict"):
        load_torch_state_dict(zoo.lenet5(seed=1), tmp_path / "m.safetensors")


# ----------------------------------------------------------------------------- pickles
@pytest.mark.parametrize("name", ["lenet.pt", "lenet.pth", "disguised.safetensors"])
def test_a_pytorch_pickle_is_refused_with_the_recipe(name, tmp_path, monkeypatch):
    path = tmp_path / name
    torch.save(TorchLeNet().state_dict(), str(path))  # a real PyTorch pickle (a zip holding data.pkl)
    for module in ("pickle", "torch"):  # and, with them forbidden, it is never unpickled
        monkeypatch.setattr(sys.modules[module], "load", lambda *a, **k: pytest.fail("unpickled"))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    monkeypatch.setattr(pickle, "Unpickler", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(ValueError) as error:
        load_torch_state_dict(zoo.lenet5(seed=0), path)
    message = str(error.value)
    assert "never unpickles" in message
    assert "import torch, safetensors.torch;\n" in message
    assert f"safetensors.torch.save_file(torch.load({str(path)!r}, weights_only=True), " in message
    assert "model.state_dict()" in message


def test_a_safetensors_file_whose_header_length_starts_with_0x80_is_no_pickle(tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4))
    path = tmp_path / "small.safetensors"
    safetensors_torch.save_file(net.state_dict(), str(path))
    assert path.read_bytes()[:1] == b"\x80"  # 128 header bytes: the first byte of a pickle too
    model = gn.Sequential([Dense(4)], input_shape=(3,), seed=0)
    load_torch_state_dict(model, path)
    assert_same_outputs(model, net, inputs((3,)), 3)


def test_bfloat16_weights_are_refused_with_the_conversion(tmp_path):
    path = tmp_path / "bf16.safetensors"
    safetensors_torch.save_file(nn.Sequential(nn.Linear(3, 4)).to(torch.bfloat16).state_dict(), str(path))
    with pytest.raises(ValueError, match="tensor '0.(weight|bias)' is bfloat16.*v.float\\(\\)"):
        load_torch_state_dict(gn.Sequential([Dense(4)], input_shape=(3,), seed=0), path)


def test_glassnet_never_writes_a_pickle(tmp_path):
    with pytest.raises(ValueError, match="never a pickle"):
        save_torch_state_dict(zoo.lenet5(seed=0), tmp_path / "out.pt")
    assert not (tmp_path / "out.pt").exists()


# ----------------------------------------------------------------------------- the command
def test_import_torch_writes_a_model_the_demo_and_predict_take(tmp_path, capsys):
    from PIL import Image, ImageDraw

    from glassnet.cli import main
    from glassnet.demo.modelfile import load_classifier
    from glassnet.modelfile import load_model_file

    torch.manual_seed(4)
    net = TorchLeNet().eval()
    state = tmp_path / "lenet.safetensors"
    safetensors_torch.save_file(net.state_dict(), str(state))
    out = tmp_path / "model.safetensors"
    assert main(["import-torch", str(state), "--model", "lenet5", "--out", str(out)]) == 0
    model, names, title = load_classifier(out)
    assert names == [str(d) for d in range(10)] and title == "lenet5 · mnist"
    x = inputs((1, 28, 28), 16)
    assert_same_outputs(model, net, x, SUMMED["lenet"])
    loaded, metadata = load_model_file(out)
    assert metadata["dataset"] == "mnist" and loaded.compiled
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy().argmax(axis=1)
    np.testing.assert_array_equal(loaded.predict(x).argmax(axis=1), want)

    image = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(image).line([(14, 4), (14, 24)], fill=255, width=3)
    image.save(tmp_path / "one.png")
    capsys.readouterr()
    assert main(["predict", str(out), str(tmp_path / "one.png")]) == 0
    assert "one.png" in capsys.readouterr().out

    pt = tmp_path / "lenet.pt"
    torch.save(net.state_dict(), str(pt))
    assert main(["import-torch", str(pt), "--model", "lenet5", "--out", str(tmp_path / "x.safetensors")]) == 1
    err = capsys.readouterr().err
    assert "never unpickles" in err and "safetensors.torch.save_file" in err
    assert not (tmp_path / "x.safetensors").exists()


def test_glassnet_itself_does_not_import_torch():
    import subprocess

    code = "import sys, glassnet, glassnet.interop, glassnet.cli; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
