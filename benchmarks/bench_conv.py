"""Conv2D forward and forward+backward for a few layer sizes: glassnet's default path vs torch.nn.Conv2d.

Run:  python benchmarks/bench_conv.py                 (no data needed)
      python benchmarks/bench_conv.py --repeat 7 --threads 2

Layer sizes (batch N, channels C -> OC, image H x W, kernel K, padding P):

* LeNet-5 conv1: N=64, 1 -> 6, 28x28, 5x5, P=2 (the first layer: no dL/dx needed, as in training);
* LeNet-5 conv2: N=64, 6 -> 16, 14x14, 5x5;
* CIFAR-10 net conv1: N=64, 3 -> 6, 32x32, 5x5;
* VGG-style: N=32, 64 -> 64, 32x32, 3x3, P=1.

Each framework runs in its own process with the same inputs, weights and threads; inside
it each operation is warmed up, then timed ``--runs`` times (median). The processes
alternate ``--repeat`` times; printed are the medians, in milliseconds, and the ratio
glassnet / PyTorch. "fwd+bwd" is one forward pass and one backward pass computing
dL/dW, dL/db and (except for the first layer) dL/dx.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench_common import child_main, load_line, machine_line, median, run_child, set_torch_threads

LAYERS = [
    # name, N, C, OC, H, K, P, needs dL/dx
    ("LeNet conv1 (first layer)", 64, 1, 6, 28, 5, 2, False),
    ("LeNet conv2", 64, 6, 16, 14, 5, 0, True),
    ("CIFAR net conv1 3->6 5x5", 64, 3, 6, 32, 5, 0, True),
    ("VGG 3x3 64->64 on 32x32", 32, 64, 64, 32, 3, 1, True),
]


def _problem(index: int):
    import numpy as np

    _, N, C, OC, H, K, P, need_dx = LAYERS[index]
    rng = np.random.default_rng(index)
    x = rng.standard_normal((N, C, H, H), dtype=np.float32)
    W = (rng.standard_normal((OC, C, K, K), dtype=np.float32) * 0.1).astype(np.float32)
    b = rng.standard_normal(OC, dtype=np.float32)
    OH = H + 2 * P - K + 1
    dy = rng.standard_normal((N, OC, OH, OH), dtype=np.float32)
    return x, W, b, dy, P, need_dx


def _median_ms(fn, runs: int) -> float:
    fn()
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return median(times) * 1e3


def job_glassnet(runs: str) -> dict:
    from glassnet.layers import Conv2D

    result = {}
    for index, (name, *_rest) in enumerate(LAYERS):
        x, W, b, dy, P, need_dx = _problem(index)
        layer = Conv2D(W.shape[0], W.shape[2], padding=P)
        layer.build(x.shape[1:])
        layer.params["W"][...] = W
        layer.params["b"][...] = b
        layer.needs_input_grad = need_dx

        def forward():
            layer.forward(x)

        def forward_backward():
            layer.forward(x)
            layer.backward(dy)

        result[name] = (_median_ms(forward, int(runs)), _median_ms(forward_backward, int(runs)))
    return result


def job_torch(runs: str) -> dict:
    import torch

    threads = set_torch_threads()
    result = {}
    for index, (name, *_rest) in enumerate(LAYERS):
        x_np, W, b, dy_np, P, need_dx = _problem(index)
        conv = torch.nn.Conv2d(W.shape[1], W.shape[0], W.shape[2], padding=P)
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(W))
            conv.bias.copy_(torch.from_numpy(b))
        x = torch.from_numpy(x_np).requires_grad_(need_dx)
        dy = torch.from_numpy(dy_np)

        def forward():
            with torch.no_grad():
                conv(x)

        def forward_backward():
            conv.zero_grad(set_to_none=True)
            x.grad = None
            conv(x).backward(dy)

        result[name] = (_median_ms(forward, int(runs)), _median_ms(forward_backward, int(runs)))
    result["threads"] = threads
    return result


def main() -> None:
    if child_main({"glassnet": job_glassnet, "pytorch": job_torch}):
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="processes of each framework (median)")
    parser.add_argument("--runs", type=int, default=20, help="timed calls of each operation in each process")
    parser.add_argument("--threads", type=int, default=None, help="threads per framework (default: every core)")
    args = parser.parse_args()
    threads = args.threads or os.cpu_count() or 1
    print("Conv2D forward and forward+backward, glassnet (impl='im2col') vs torch.nn.Conv2d, float32")
    print(machine_line(threads) + "; " + load_line())
    runs: dict[str, list[dict]] = {"glassnet": [], "pytorch": []}
    for r in range(args.repeat):
        for name in (("glassnet", "pytorch") if r % 2 == 0 else ("pytorch", "glassnet")):
            runs[name].append(run_child(Path(__file__), [name, str(args.runs)], threads))
    print()
    print(f"{'layer':<27} {'fwd g':>8} {'fwd p':>8} {'ratio':>6}   {'fwd+bwd g':>10} {'fwd+bwd p':>10} {'ratio':>6}")
    for name, N, C, OC, H, K, P, _ in LAYERS:
        g = [median([r[name][k] for r in runs["glassnet"]]) for k in (0, 1)]
        t = [median([r[name][k] for r in runs["pytorch"]]) for k in (0, 1)]
        print(f"{name:<27} {g[0]:>6.2f}ms {t[0]:>6.2f}ms {g[0] / t[0]:>5.2f}x   "
              f"{g[1]:>8.2f}ms {t[1]:>8.2f}ms {g[1] / t[1]:>5.2f}x")
    print("(medians in milliseconds; ratio glassnet / PyTorch, below 1: glassnet faster)")


if __name__ == "__main__":
    main()
