"""The largest logit difference per zoo network, for each way a model leaves or enters glassnet.

    python benchmarks/interop_differences.py            # the table in RESULTS.md ("Interop")
    python benchmarks/interop_differences.py --batch 64 --seeds 3

Directions, each on random weights and random input batches (standard normal, float32):

* torch -> glassnet: a PyTorch ``nn.Sequential`` of the same layers with PyTorch's own random
  initialisation (BatchNorm γ, β random, running statistics moved by training passes), saved with
  ``safetensors.torch.save_file(net.state_dict())``, read by ``load_torch_state_dict``;
* glassnet -> torch: a glassnet zoo model (biases and BatchNorm randomised, statistics moved),
  written by ``save_torch_state_dict``, read by ``net.load_state_dict(safetensors.torch.load_file())``;
* glassnet -> onnxruntime: the same kind of glassnet model through ``model.export_onnx``.

Each figure is max |a - b| / max |b| over the batch's logits (b: the side the weights came
from), the largest over the seeds; "classes" says whether every predicted class agreed.
Nothing is timed; it needs torch, onnx and onnxruntime.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime
import safetensors.torch
import torch
from torch import nn

from glassnet import zoo
from glassnet.interop import load_torch_state_dict, save_torch_state_dict
from glassnet.layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, LeakyReLU, MaxPool2D, ReLU,
                             Sigmoid, Softmax, Tanh)

NETWORKS = ["perceptron", "mlp", "mlp_keras", "linear_regression", "lenet5", "color_dnn", "color_cnn", "shape_cnn",
            "mnist_cnn", "fashion_cnn", "cifar_net", "vgg_report", "vgg16"]


def torch_twin(model) -> nn.Sequential:
    """The nn.Sequential computing what the glassnet ``model`` computes, one module per layer (fresh weights)."""
    modules = []
    for layer in model.layers:
        shape = layer.input_shape
        if isinstance(layer, Dense):
            modules.append(nn.Linear(shape[0], layer.units))
        elif isinstance(layer, (Conv2D, MaxPool2D, AvgPool2D)):
            top, bottom, left, right = layer.pads
            if (top, left) != (bottom, right):
                raise ValueError(f"{layer.describe()}: uneven padding {layer.pads} has no torch twin here")
            common = dict(kernel_size=layer.kernel_size, stride=layer.stride, padding=(top, left))
            if isinstance(layer, Conv2D):
                modules.append(nn.Conv2d(shape[0], layer.filters, bias=layer.use_bias,
                                         dilation=tuple(getattr(layer, "dilation", (1, 1))), **common))
            else:
                modules.append((nn.MaxPool2d if isinstance(layer, MaxPool2D) else nn.AvgPool2d)(**common))
        elif isinstance(layer, BatchNorm):
            kind = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            modules.append(kind(shape[0], eps=layer.eps, momentum=layer.momentum))
        elif isinstance(layer, LeakyReLU):
            modules.append(nn.LeakyReLU(layer.alpha))
        elif isinstance(layer, Softmax):
            modules.append(nn.Softmax(dim=-1))
        elif isinstance(layer, Dropout):
            modules.append(nn.Dropout(layer.rate))
        else:
            simple = {ReLU: nn.ReLU, Sigmoid: nn.Sigmoid, Tanh: nn.Tanh, Flatten: nn.Flatten}
            modules.append(simple[type(layer)]())
    return nn.Sequential(*modules)


def random_torch(net: nn.Sequential, input_shape, seed: int) -> nn.Sequential:
    """``net`` with BatchNorm γ, β random and its running statistics moved by three training passes; in eval mode."""
    torch.manual_seed(seed)
    for module in net.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.normal_(module.bias, 0.0, 0.1)
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(16, *input_shape) * 2 + 0.5)
    return net.eval()


def random_glassnet(model, seed: int):
    """``model`` with random biases, BatchNorm γ, β random and its running statistics moved by training passes."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for key in ("b", "beta"):
            if key in layer.params:
                layer.params[key][...] = rng.normal(0, 0.1, layer.params[key].shape)
        if "gamma" in layer.params:
            layer.params["gamma"][...] = rng.uniform(0.5, 1.5, layer.params["gamma"].shape)
    if any(layer.buffers for layer in model.layers):
        for _ in range(3):
            model(rng.normal(0.5, 2.0, (16, *model.input_shape)).astype(np.float32), training=True)
    return model


def difference(got: np.ndarray, want: np.ndarray) -> tuple[float, bool]:
    """(max |got - want| / max |want|, every argmax equal) for two (N, K) logit arrays."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    error = float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-12))
    same = want.shape[1] == 1 or bool((got.argmax(axis=1) == want.argmax(axis=1)).all())
    return error, same


def torch_logits(net: nn.Sequential, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()


def measure(name: str, seed: int, n: int, folder: Path) -> dict[str, tuple[float, bool]]:
    """The three directions for zoo network ``name``: {direction: (relative difference, classes agree)}."""
    x = np.random.default_rng(1000 + seed).standard_normal((n, *zoo.build(name, seed=0).input_shape))
    x = x.astype(np.float32)
    found = {}
    model = zoo.build(name, seed=seed)
    net = random_torch(torch_twin(model), model.input_shape, seed)
    safetensors.torch.save_file(net.state_dict(), str(folder / "torch.safetensors"))
    load_torch_state_dict(model, folder / "torch.safetensors")
    found["torch -> glassnet"] = difference(model.predict(x), torch_logits(net, x))

    model = random_glassnet(zoo.build(name, seed=seed + 100), seed)
    save_torch_state_dict(model, folder / "glassnet.safetensors")
    net = torch_twin(model).eval()
    net.load_state_dict(safetensors.torch.load_file(str(folder / "glassnet.safetensors")))
    want = model.predict(x)
    found["glassnet -> torch"] = difference(torch_logits(net, x), want)

    model.export_onnx(str(folder / "model.onnx"))
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    found["glassnet -> onnxruntime"] = difference(session.run(None, {"input": x})[0], want)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=NETWORKS, choices=list(zoo.MODELS), metavar="MODEL")
    parser.add_argument("--batch", type=int, default=17, help="images per random batch (default 17)")
    parser.add_argument("--seeds", type=int, default=3, help="random models per network and direction (default 3)")
    args = parser.parse_args(argv)
    directions = ["torch -> glassnet", "glassnet -> torch", "glassnet -> onnxruntime"]
    print(f"largest max|a - b| / max|b| of the logits over {args.seeds} random models x a batch of {args.batch}; "
          f"torch {torch.__version__}, onnxruntime {onnxruntime.__version__}")
    print("| network | parameters | " + " | ".join(directions) + " | same classes |")
    print("|---|---:|" + "---:|" * len(directions) + "---|")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models:
            worst = {d: 0.0 for d in directions}
            classes = True
            for seed in range(args.seeds):
                for direction, (error, same) in measure(name, seed, args.batch, Path(tmp)).items():
                    worst[direction] = max(worst[direction], error)
                    classes &= same
            params = zoo.build(name, seed=0).count_params()
            cells = " | ".join(f"{worst[d]:.1e}" for d in directions)
            print(f"| {name} | {params:,} | {cells} | {'yes' if classes else 'NO'} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
