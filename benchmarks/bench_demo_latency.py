"""How long the demo takes to answer one drawing: the 20 ms budget of issue 8.

Run:  python benchmarks/bench_demo_latency.py [--runs 300]

Uses the shipped LeNet-5 and a 112 x 112 drawing of a 7, the grid the page sends.
Prints the median and 95th percentile, in milliseconds, of

* preprocess: crop, area-resize to 20 x 20, centre of mass into 28 x 28 (NumPy);
* activations: the model's forward pass keeping every layer's output (batch of 1);
* encode: every output as 8-bit base64 with per-map ranges;
* one prediction with all activations (``DemoModel.run``: the three above, the budget);
* HTTP round trip: POST /api/predict to a uvicorn server on 127.0.0.1, JSON in and out
  (JSON parsing, validation, the worker thread and the response included);

and, when PyTorch is installed, the same LeNet-5 forward pass with every intermediate
output in torch (batch of 1, one thread, same weights), as a ratio. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable

import numpy as np

from glassnet.demo.encode import encode_maps
from glassnet.demo.inference import DemoModel
from glassnet.demo.modelfile import load_shipped
from glassnet.demo.preprocess import preprocess_drawing

BUDGET_MS = 20.0


def seven(size: int = 112) -> np.ndarray:
    """A thick 7 on a size x size canvas, ink 0..255."""
    canvas = np.zeros((size, size), dtype=np.float32)
    s = size / 112
    canvas[int(22 * s):int(30 * s), int(28 * s):int(82 * s)] = 255
    for row in range(int(30 * s), int(95 * s)):
        col = int(82 * s - (row - 30 * s) * 0.45)
        canvas[row, max(0, col - int(4 * s)):col + int(4 * s)] = 255
    return canvas


def timings(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per call over ``runs`` calls, after 10 warm-up calls."""
    for _ in range(10):
        fn()
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1e3)
    return out


def summary(name: str, ms: list[float]) -> float:
    """Print 'name: median, p95' and return the median."""
    median = statistics.median(ms)
    p95 = float(np.percentile(ms, 95))
    print(f"{name:<44} median {median:7.3f} ms   p95 {p95:7.3f} ms")
    return median


def torch_lenet_ms(model, image: np.ndarray, runs: int) -> float | None:
    """Median ms of torch's LeNet-5 forward keeping every output, with glassnet's weights; None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    conv1, conv2 = model.layers[0], model.layers[3]
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    net = [torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
           torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
           torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(),
           torch.nn.Linear(84, 10)]
    with torch.no_grad():
        for module, layer in ((net[0], conv1), (net[3], conv2)):
            module.weight.copy_(torch.from_numpy(layer.params["W"]))
            module.bias.copy_(torch.from_numpy(layer.params["b"]))
        for module, layer in zip((net[7], net[9], net[11]), dense):
            module.weight.copy_(torch.from_numpy(layer.params["W"].T.copy()))
            module.bias.copy_(torch.from_numpy(layer.params["b"]))
    x = torch.from_numpy(image[None, None].copy())

    def forward():
        with torch.no_grad():
            out, outputs = x, []
            for module in net:
                out = module(out)
                outputs.append(out)
            return outputs

    reference = forward()[-1].numpy()
    ours = model.activations(image[None, None])[-1]
    assert np.allclose(reference, ours, atol=1e-4), "torch and glassnet disagree: the weights were not copied right"
    return statistics.median(timings(forward, runs))


def main() -> None:
    """Time every stage and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()

    model, names, name, samples = load_shipped()
    demo = DemoModel(model, names, name=name)
    drawing = seven()
    image = preprocess_drawing(drawing)
    outputs = model.activations(image[None, None])
    print(f"{name}: drawing {drawing.shape[0]} x {drawing.shape[1]} -> prediction "
          f"{demo.run(drawing)['prediction']['label']}; {args.runs} runs each\n")

    summary("preprocess (NumPy)", timings(lambda: preprocess_drawing(drawing), args.runs))
    forward_ms = summary("activations (forward, every layer)", timings(lambda: model.activations(image[None, None]), args.runs))
    summary("encode every layer (uint8 base64)", timings(lambda: [encode_maps(o[0]) for o in outputs], args.runs))
    total = summary("one prediction with all activations", timings(lambda: demo.run(drawing), args.runs))

    import httpx

    from glassnet.demo.running import serve_in_background
    from glassnet.demo.server import create_app

    body = {"pixels": drawing.astype(int).tolist()}
    with serve_in_background(create_app(demo, samples=samples)) as server, httpx.Client(base_url=server.url) as http:
        round_trip = summary("HTTP round trip (POST /api/predict)",
                             timings(lambda: http.post("/api/predict", json=body).raise_for_status(), args.runs // 3))

    print(f"\none prediction with all activations: {total:.2f} ms = {total / BUDGET_MS:.0%} of the "
          f"{BUDGET_MS:.0f} ms budget; over HTTP {round_trip:.2f} ms")
    torch_ms = torch_lenet_ms(model, image, args.runs)
    if torch_ms is not None:
        print(f"forward with every output, batch 1: glassnet {forward_ms:.3f} ms, PyTorch {torch_ms:.3f} ms "
              f"(glassnet / torch = {forward_ms / torch_ms:.2f})")


if __name__ == "__main__":
    main()
