"""Training speed in the settings students live in: 1 and 2 threads, PyTorch imported first, another program busy.

Run:  python benchmarks/bench_threads.py                       (LeNet-5 on MNIST, CIFAR net, the report's VGG)
      python benchmarks/bench_threads.py --models lenet5 --threads 2 --repeat 5
      python benchmarks/bench_threads.py --models vgg --loads idle

For each network, thread count and load, the same training job runs in a fresh process
per framework, the frameworks alternating, ``--repeat`` times (median):

* ``glassnet``       glassnet alone in its process (``GLASSNET_NUM_THREADS``);
* ``glassnet+torch`` glassnet in a process that imported PyTorch and ran one of its ops
  first (the notebook beside a PyTorch course script);
* ``pytorch``        PyTorch 2.x on the CPU (``torch.set_num_threads``);
* ``jax``            JAX with the step under ``jax.jit`` (LeNet-5 only; skipped, saying
  so, when JAX is not installed).

Networks (batch 64, Adam 1e-3, cross-entropy; the loss and accuracy of every batch are
read back, as glassnet's fit does): LeNet-5 on the first ``--steps`` x 64 MNIST training
images; the PyTorch tutorial's CIFAR net and the report's VGG (8 conv 3x3 + BatchNorm +
ReLU, 5 max-pools, Linear(512, 10)) on random 32x32 colour images (speed does not depend
on the pixels). Loads: ``idle``, or ``busy``: one other CPU-bound process (a Python loop)
runs on the machine during the job. Warm-up steps (numba's kernels, PyTorch's and JAX's
first calls) are not timed. Nothing is asserted: the script prints seconds per step and
the ratios.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_common import child_main, data_dir, load_line, median, mnist_arrays, run_child

MODELS = ("lenet5", "cifar", "vgg")
STEPS = {"lenet5": 200, "cifar": 200, "vgg": 8}
WARMUP = {"lenet5": 20, "cifar": 20, "vgg": 2}
BATCH = 64
VGG_REPORT = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


def _data(model: str, folder: str, steps: int):
    """(x float32 (N, C, H, W), y int64 (N,)) for ``steps`` + warm-up batches."""
    import numpy as np

    n = (steps + WARMUP[model]) * BATCH
    if model == "lenet5":
        x, y = mnist_arrays(Path(folder), "train")
        return x[:n], y[:n]
    rng = np.random.default_rng(0)
    return rng.random((n, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, n)


# ---------------------------------------------------------------------------------
# The jobs, one per framework (each runs in its own process)
# ---------------------------------------------------------------------------------
def glassnet_model(model: str):
    import glassnet as gn
    from glassnet import zoo
    from glassnet.layers import BatchNorm2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU

    if model == "lenet5":
        return zoo.lenet5(seed=0)
    if model == "cifar":
        return zoo.cifar_net(seed=0)
    layers = []
    for item in VGG_REPORT:
        layers += [MaxPool2D(2)] if item == "M" else [Conv2D(int(item), 3, padding=1), BatchNorm2D(), ReLU()]
    return gn.Sequential(layers + [Flatten(), Dense(10)], input_shape=(3, 32, 32), seed=0)


def job_glassnet(model: str, folder: str, steps: str, torch_first: str = "0") -> dict:
    if torch_first == "1":
        import torch

        torch.ones(64, 64) @ torch.ones(64, 64)  # starts PyTorch's thread pool, as any real use does
    import glassnet as gn

    steps_n = int(steps)
    x, y = _data(model, folder, steps_n)
    net = glassnet_model(model)
    net.compile(gn.optimizers.Adam(lr=1e-3), "cross_entropy", metrics=["accuracy"])
    warm = WARMUP[model] * BATCH
    net.fit(x[:warm], y[:warm], batch_size=BATCH, shuffle=False, verbose=0)
    start, cpu = time.perf_counter(), time.process_time()
    net.fit(x[warm:], y[warm:], batch_size=BATCH, shuffle=False, verbose=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"step_ms": seconds / steps_n * 1e3, "cpu_ms": cpu / steps_n * 1e3, "threads": gn.get_num_threads()}


def torch_model(model: str):
    from torch import nn

    if model in ("lenet5", "cifar"):
        c, pad = (1, 2) if model == "lenet5" else (3, 0)
        return nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=pad), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )
    layers, channels = [], 3
    for item in VGG_REPORT:
        if item == "M":
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(channels, int(item), 3, padding=1), nn.BatchNorm2d(int(item)), nn.ReLU()]
            channels = int(item)
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(512, 10))


def job_torch(model: str, folder: str, steps: str) -> dict:
    import torch
    from torch.nn import functional

    torch.set_num_threads(int(os.environ["GLASSNET_NUM_THREADS"]))
    steps_n = int(steps)
    x_np, y_np = _data(model, folder, steps_n)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    net = torch_model(model)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

    def train(images, labels) -> None:
        for xb, yb in zip(images.split(BATCH), labels.split(BATCH)):
            optimizer.zero_grad()
            logits = net(xb)
            loss = functional.cross_entropy(logits, yb)
            loss.backward()
            optimizer.step()
            loss.item(), int((logits.argmax(1) == yb).sum())

    warm = WARMUP[model] * BATCH
    train(x[:warm], y[:warm])
    start, cpu = time.perf_counter(), time.process_time()
    train(x[warm:], y[warm:])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"step_ms": seconds / steps_n * 1e3, "cpu_ms": cpu / steps_n * 1e3, "threads": torch.get_num_threads()}


def job_jax(model: str, folder: str, steps: str) -> dict:
    """LeNet-5 in JAX: the same layers, Adam written out, the whole step under jax.jit."""
    import jax
    import jax.numpy as jnp

    steps_n = int(steps)
    x_np, y_np = _data(model, folder, steps_n)
    keys = jax.random.split(jax.random.PRNGKey(0), 5)

    def init(key, shape, fan_in):
        return jax.random.normal(key, shape) * jnp.sqrt(2.0 / fan_in)

    params = {
        "c1": init(keys[0], (6, 1, 5, 5), 25), "b1": jnp.zeros(6), "c2": init(keys[1], (16, 6, 5, 5), 150),
        "b2": jnp.zeros(16), "f1": init(keys[2], (400, 120), 400), "g1": jnp.zeros(120),
        "f2": init(keys[3], (120, 84), 120), "g2": jnp.zeros(84), "f3": init(keys[4], (84, 10), 84), "g3": jnp.zeros(10),
    }

    def conv(x, w, b, pad):
        y = jax.lax.conv_general_dilated(x, w, (1, 1), [(pad, pad), (pad, pad)])
        return y + b.reshape(1, -1, 1, 1)

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def forward(p, x):
        x = pool(jax.nn.relu(conv(x, p["c1"], p["b1"], 2)))
        x = pool(jax.nn.relu(conv(x, p["c2"], p["b2"], 0))).reshape(x.shape[0], -1)
        x = jax.nn.relu(x @ p["f1"] + p["g1"])
        x = jax.nn.relu(x @ p["f2"] + p["g2"])
        return x @ p["f3"] + p["g3"]

    def loss_fn(p, x, y):
        logits = forward(p, x)
        loss = -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], axis=1))
        return loss, logits

    @jax.jit
    def step(p, m, v, t, x, y):
        (loss, logits), g = jax.value_and_grad(loss_fn, has_aux=True)(p, x, y)
        m = jax.tree_util.tree_map(lambda m, g: 0.9 * m + 0.1 * g, m, g)
        v = jax.tree_util.tree_map(lambda v, g: 0.999 * v + 0.001 * g * g, v, g)
        scale = 1e-3 * jnp.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        p = jax.tree_util.tree_map(lambda p, m, v: p - scale * m / (jnp.sqrt(v) + 1e-8), p, m, v)
        return p, m, v, loss, jnp.sum(jnp.argmax(logits, 1) == y)

    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    t = 0

    def train(images, labels):
        nonlocal params, m, v, t
        for i in range(0, len(labels), BATCH):
            t += 1
            params, m, v, loss, correct = step(params, m, v, t, images[i:i + BATCH], labels[i:i + BATCH])
            float(loss), int(correct)

    warm = WARMUP[model] * BATCH
    train(x_np[:warm], y_np[:warm])
    start, cpu = time.perf_counter(), time.process_time()
    train(x_np[warm:], y_np[warm:])
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"step_ms": seconds / steps_n * 1e3, "cpu_ms": cpu / steps_n * 1e3, "threads": int(os.environ["GLASSNET_NUM_THREADS"])}


# ---------------------------------------------------------------------------------
# The parent: alternate the frameworks, with or without a busy neighbour
# ---------------------------------------------------------------------------------
def jax_available() -> bool:
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


def jax_env(threads: int) -> dict[str, str]:
    """XLA's CPU thread pool held to ``threads`` (its default is every core)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    return {"XLA_FLAGS": flags.strip(), "JAX_PLATFORMS": "cpu"}


class BusyNeighbour:
    """One other CPU-bound process (a pure Python loop) for the duration of a ``with`` block."""

    def __enter__(self):
        self.process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()


def main() -> None:
    if child_main({"glassnet": job_glassnet, "pytorch": job_torch, "jax": job_jax}):
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default: 1 2)")
    parser.add_argument("--loads", nargs="+", choices=("idle", "busy"), default=["idle", "busy"])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each framework per setting (median)")
    parser.add_argument("--steps", type=int, default=None, help="timed training steps (default: lenet5/cifar 200, vgg 8)")
    args = parser.parse_args()

    folder = str(data_dir()) if "lenet5" in args.models else ""
    print(f"Training steps of batch {BATCH}, Adam; each framework in its own process, alternating, "
          f"median of {args.repeat}; {load_line()}")
    if not jax_available():
        print("jax: not installed, its column is skipped (pip install 'jax[cpu]' to add it)")
    results: dict[tuple, float] = {}
    for model in args.models:
        steps = str(args.steps or STEPS[model])
        frameworks = ["glassnet", "glassnet+torch", "pytorch"] + (["jax"] if model == "lenet5" and jax_available() else [])
        for threads in args.threads:
            for load in args.loads:
                runs: dict[str, list[float]] = {name: [] for name in frameworks}
                for r in range(args.repeat):
                    order = frameworks if r % 2 == 0 else frameworks[::-1]
                    for name in order:
                        job = name.split("+")[0]
                        child_args = [job, model, folder, steps] + (["1"] if name == "glassnet+torch" else [])
                        extra = jax_env(threads) if job == "jax" else {}
                        if load == "busy":
                            with BusyNeighbour():
                                out = run_child(Path(__file__), child_args, threads, extra)
                        else:
                            out = run_child(Path(__file__), child_args, threads, extra)
                        runs[name].append(out["step_ms"])
                        print(f"  {model} {threads}T {load}: {name:<15} {out['step_ms']:8.2f} ms/step "
                              f"(CPU {out['cpu_ms']:.2f} ms)", flush=True)
                for name in frameworks:
                    results[(model, threads, load, name)] = median(runs[name])

    print()
    print(f"{'network':<8} {'threads':>7} {'load':<5} " + " ".join(f"{n:>15}" for n in
          ("glassnet", "glassnet+torch", "pytorch", "jax")) + f" {'g/pytorch':>10} {'g+t/g':>7} {'g/jax':>7}")
    for model in args.models:
        for threads in args.threads:
            for load in args.loads:
                row = [results.get((model, threads, load, n)) for n in ("glassnet", "glassnet+torch", "pytorch", "jax")]
                cells = " ".join(f"{v:>12.2f} ms" if v is not None else f"{'-':>15}" for v in row)
                g, gt, p, j = row
                print(f"{model:<8} {threads:>7} {load:<5} {cells} {g / p:>9.2f}x {gt / g:>6.2f}x "
                      + (f"{g / j:>6.2f}x" if j else f"{'-':>7}"))
    print()
    for model in args.models:
        if 1 in args.threads and 2 in args.threads and "idle" in args.loads:
            for name in ("glassnet", "pytorch"):
                one, two = results[(model, 1, "idle", name)], results[(model, 2, "idle", name)]
                print(f"{model}: {name} 2 threads are {one / two:.2f}x faster than 1")
        if "idle" in args.loads and "busy" in args.loads:
            for threads in args.threads:
                slow = {n: results[(model, threads, "busy", n)] / results[(model, threads, "idle", n)]
                        for n in ("glassnet", "pytorch")}
                print(f"{model} {threads}T with a busy neighbour: glassnet {slow['glassnet']:.2f}x its idle time, "
                      f"pytorch {slow['pytorch']:.2f}x")
    print("(ms per training step, medians; ratios below 1: glassnet faster; g+t/g: glassnet after import torch "
          "against glassnet alone)")


if __name__ == "__main__":
    main()
