"""What CPython's GIL costs a training step split in two: LeNet-5 on 1 thread, 2 threads, 2 processes.

Run:  python benchmarks/bench_gil.py                 (--repeat 3, --steps 200)

Why this exists: on this project's 2-core machine glassnet's LeNet-5 step is about 1.3-1.45x
faster on 2 threads than on 1, short of the 1.6x of issue 12, while the CIFAR net and VGG gain
1.5-1.6x. This script measures how much of the gap is the GIL. It runs the same step, word for
word, in three settings:

* ``1 thread``    one slice of 64 images, in the calling thread;
* ``2 threads``   two slices of 32, the second in a glassnet thread (``parallel.Team``): the two
  slices' Python code, between their nogil kernels, takes turns under one GIL;
* ``2 processes`` two slices of 32, the second in a helper process forked at the start. The
  helper shares the weights, its slice and its gradients with this process through shared
  memory, so there is no GIL between the two. Both wait for each other by polling (a nogil loop
  that yields the core at each look): fine for a measurement, not for a library, whose threads
  must not spin between calls.

The step: each slice runs the whole network forward, softmax cross-entropy on its samples
scaled by its share of the batch, and backward, with its own copy of the layers; the slices'
gradients are added in slice order and Adam takes one step from this process. PyTorch's
LeNet-5 step on 1 and 2 threads (``bench_threads.job_torch``) is timed in the same run for
reference. The weights' digest after each run shows the two splits compute the same training,
bit for bit. Each setting runs in its own fresh process, the settings alternate, and each figure
is the median of ``--repeat`` runs of ``--steps`` steps after 20 untimed ones. Linux only
(``fork`` and shared anonymous memory). Nothing is asserted.
"""
from __future__ import annotations

import argparse
import mmap
import os
import sys
import time
from pathlib import Path

from bench_common import child_main, data_dir, load_line, median, mnist_arrays, run_child

BATCH, WARMUP = 64, 20
SETTINGS = {"1 thread": 1, "2 threads": 2, "2 processes": 2}


def _model():
    """zoo.lenet5(seed=0) compiled with Adam(1e-3) and warmed up (kernels loaded), its (layer index, parameter name)
    keys in layer order, and the MNIST arrays."""
    import glassnet as gn
    from glassnet import zoo

    x, y = mnist_arrays(data_dir(), "train")
    net = zoo.lenet5(seed=0)
    net.compile(gn.optimizers.Adam(lr=1e-3), "cross_entropy")
    gn.set_num_threads(1)
    net.fit(x[: 10 * BATCH], y[: 10 * BATCH], batch_size=BATCH, shuffle=False, verbose=0)
    keys = [(i, k) for i, layer in enumerate(net.layers) for k in layer.params]
    return net, keys, x, y


def _slice_step(layers, xb, yb, share: float) -> None:
    """One slice: xb (n, 1, 28, 28) forward through ``layers``, cross-entropy × share, backward (grads left in layers)."""
    import numpy as np
    from glassnet.losses import softmax_cross_entropy

    out = xb
    for layer in layers:
        out = layer.forward(out, True)
    _, grad = softmax_cross_entropy(out, yb)
    grad *= np.float32(share)
    for layer in reversed(layers):
        grad = layer.backward(grad)


def _update(net, keys, grads) -> None:
    """Adam's step on every parameter of ``net`` from ``grads`` (one array per key, in order)."""
    params = {f"{i}.{k}": net.layers[i].params[k] for i, k in keys}
    net.optimizer.step(params, {f"{i}.{k}": g for (i, k), g in zip(keys, grads)})


def _digest(net) -> str:
    """SHA-256 of every weight's bytes, in layer order: equal digests mean bit-identical training."""
    import hashlib

    digest = hashlib.sha256()
    for layer in net.layers:
        for key in sorted(layer.params):
            digest.update(layer.params[key].tobytes())
    return digest.hexdigest()[:16]


def _timed(step, steps: int) -> float:
    """Milliseconds per call of step(b) over batches WARMUP..WARMUP+steps, after WARMUP untimed ones."""
    for b in range(WARMUP):
        step(b)
    start = time.perf_counter()
    for b in range(WARMUP, WARMUP + steps):
        step(b)
    return (time.perf_counter() - start) / steps * 1e3


def job_threads(setting: str, steps: str) -> dict:
    """The step on 1 slice, or on 2 slices in glassnet's threads."""
    from glassnet.parallel import Team, blas_single_thread, slices

    net, keys, x, y = _model()
    n = SETTINGS[setting]
    copies = [[layer.replica() for layer in net.layers] for _ in range(n)]
    team, bounds = Team(n), slices(BATCH, n)

    def step(b: int) -> None:
        xb, yb = x[b * BATCH: (b + 1) * BATCH], y[b * BATCH: (b + 1) * BATCH]
        team.run(lambda k: _slice_step(copies[k], xb[bounds[k]], yb[bounds[k]], (bounds[k].stop - bounds[k].start) / BATCH), n)
        grads = []
        for i, key in keys:
            total = copies[0][i].grads[key].copy()
            for copy in copies[1:]:
                total += copy[i].grads[key]
            grads.append(total)
        _update(net, keys, grads)

    with blas_single_thread():
        ms = _timed(step, int(steps))
    team.close()
    return {"step_ms": ms, "weights": _digest(net)}


def job_processes(setting: str, steps: str) -> dict:
    """The step on 2 slices, the second in a forked helper process sharing memory with this one."""
    import numpy as np
    from numba import njit, types

    from glassnet.parallel import blas_single_thread

    sched_yield = types.ExternalFunction("sched_yield", types.int32())

    @njit(nogil=True)
    def wait_until(flags, index, value):  # pragma: no cover - compiled
        while flags[index] < value:
            sched_yield()

    def shared(shape, dtype):
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        return np.frombuffer(mmap.mmap(-1, max(size, 8), flags=mmap.MAP_SHARED), dtype, int(np.prod(shape))).reshape(shape)

    net, keys, x, y = _model()
    half = BATCH // 2
    flags = shared((3,), np.int64)  # [step posted, step done, stop]
    x_half, y_half = shared((half, 1, 28, 28), np.float32), shared((half,), np.int64)
    weights = [shared(net.layers[i].params[k].shape, np.float32) for i, k in keys]
    helper_grads = [shared(w.shape, np.float32) for w in weights]
    for (i, k), w in zip(keys, weights):  # the model's weights live in shared memory from now on
        w[...] = net.layers[i].params[k]
        net.layers[i].params[k] = w
    wait_until(flags, 0, 0)  # compiled before the fork, once
    mine = [layer.replica() for layer in net.layers]
    pid = os.fork()
    if pid == 0:  # the helper: the second half of every batch, until told to stop
        theirs = [layer.replica() for layer in net.layers]
        with blas_single_thread():
            posted = 0
            while True:
                posted += 1
                wait_until(flags, 0, posted)
                if flags[2]:
                    os._exit(0)
                _slice_step(theirs, x_half, y_half, 0.5)
                for (i, k), g in zip(keys, helper_grads):
                    g[...] = theirs[i].grads[k]
                flags[1] = posted

    def step(b: int) -> None:
        xb, yb = x[b * BATCH: (b + 1) * BATCH], y[b * BATCH: (b + 1) * BATCH]
        x_half[...], y_half[...] = xb[half:], yb[half:]
        flags[0] = b + 1
        _slice_step(mine, xb[:half], yb[:half], 0.5)
        wait_until(flags, 1, b + 1)
        _update(net, keys, [mine[i].grads[k] + g for (i, k), g in zip(keys, helper_grads)])

    try:
        with blas_single_thread():
            ms = _timed(step, int(steps))
    finally:
        flags[2] = 1
        flags[0] = WARMUP + int(steps) + 1
        os.waitpid(pid, 0)
    return {"step_ms": ms, "weights": _digest(net)}


def job_torch(threads: str, steps: str) -> dict:
    """PyTorch's LeNet-5 training step (bench_threads.job_torch) on the thread count the parent set."""
    from bench_threads import job_torch as torch_steps

    return torch_steps("lenet5", str(data_dir()), steps)


def main() -> None:
    if child_main({"threads": job_threads, "processes": job_processes, "torch": job_torch}):
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each setting (median)")
    parser.add_argument("--steps", type=int, default=200, help="timed training steps per run")
    args = parser.parse_args()
    if not hasattr(os, "fork"):
        sys.exit("bench_gil.py needs os.fork (Linux, macOS); nothing measured")
    try:
        import torch  # noqa: F401
        runs_torch = True
    except ImportError:
        print("torch: not installed, its rows are skipped")
        runs_torch = False
    print(f"LeNet-5 training step, batch {BATCH}, Adam; each setting in its own process, alternating, "
          f"median of {args.repeat}; {load_line()}")
    jobs = [(name, "processes" if "process" in name else "threads", threads) for name, threads in SETTINGS.items()]
    if runs_torch:
        jobs += [("pytorch 1 thread", "torch", 1), ("pytorch 2 threads", "torch", 2)]
    runs: dict[str, list[float]] = {name: [] for name, _, _ in jobs}
    digests: dict[str, set[str]] = {name: set() for name in SETTINGS}
    for r in range(args.repeat):
        for name, job, threads in (jobs if r % 2 == 0 else jobs[::-1]):
            what = str(threads) if job == "torch" else name
            out = run_child(Path(__file__), [job, what, str(args.steps)], threads)
            runs[name].append(out["step_ms"])
            if "weights" in out:
                digests[name].add(out["weights"])
            print(f"  {name:<18} {out['step_ms']:7.2f} ms/step", flush=True)
    result = {name: median(values) for name, values in runs.items()}
    print()
    same = digests["2 threads"] == digests["2 processes"] and len(digests["2 threads"]) == 1
    print(f"weights after the run: 2 threads and 2 processes {'bit-identical' if same else 'DIFFERENT'} "
          f"({', '.join(f'{name} {sorted(d)}' for name, d in digests.items())})")
    one = result["1 thread"]
    for name in SETTINGS:
        print(f"glassnet {name:<12} {result[name]:7.2f} ms/step   {one / result[name]:.2f}x the speed of 1 thread")
    if runs_torch:
        p1, p2 = result["pytorch 1 thread"], result["pytorch 2 threads"]
        print(f"pytorch  1 thread     {p1:7.2f} ms/step")
        print(f"pytorch  2 threads    {p2:7.2f} ms/step   {p1 / p2:.2f}x the speed of 1 thread")
        print(f"glassnet 2 threads / pytorch 2 threads: {result['2 threads'] / p2:.2f}x; "
              f"glassnet 2 processes / pytorch 2 threads: {result['2 processes'] / p2:.2f}x")


if __name__ == "__main__":
    main()
