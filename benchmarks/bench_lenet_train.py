"""One MNIST training epoch of LeNet-5: glassnet's fit vs a plain PyTorch loop, time, accuracy and peak memory.

Run:  python benchmarks/bench_lenet_train.py            (data from $GLASSNET_DATA_DIR or ../shared/datasets)
      python benchmarks/bench_lenet_train.py --batch 64 --repeat 5 --threads 2

The same job in both frameworks, each in a fresh process, alternating, ``--repeat`` times:

* LeNet-5 (zoo.lenet5: conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2,
  120, 84, 10; 61,706 parameters), starting from the SAME initial weights (glassnet's
  seeded initialisation, copied into torch);
* the 60,000 MNIST training images in memory as float32 (N, 1, 28, 28) in [0, 1];
* one epoch, shuffled, Adam(lr=1e-3), cross-entropy on logits; both compute the loss and
  the accuracy of every batch (glassnet's fit does; the torch loop does it by hand);
* torch takes its batches by indexing the in-memory tensors with a random permutation
  (faster than a DataLoader, which collates sample by sample).

Not timed, the same in both: loading the data; a warm-up of 20 batches on a throwaway
copy of the model (for glassnet this loads the numba kernels, compiled on the first run
ever and cached on disk); the test-set evaluation after the epoch.

Printed per batch size: median epoch time of each (wall clock; and processor time, steadier
on a busy machine for one thread), the ratio glassnet / PyTorch, the test accuracy after
the epoch (median over repeats), and peak memory (resident set, VmHWM) during the timed
epoch. Nothing is asserted.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_common import (
    child_main, data_dir, glassnet_lenet, load_line, machine_line, median, mnist_arrays, peak_mb, read_weights,
    reset_peak, rss_mb, run_child, set_torch_threads, temp_path, torch_lenet, torch_train_epoch,
    write_initial_weights,
)

WARMUP_BATCHES = 20


def job_glassnet(folder: str, weights_path: str, batch: str, epochs: str) -> dict:
    import numpy as np

    batch_size, n_epochs = int(batch), int(epochs)
    x, y = mnist_arrays(Path(folder), "train")
    x_test, y_test = mnist_arrays(Path(folder), "t10k")
    weights = read_weights(Path(weights_path))

    warm = glassnet_lenet(weights)
    warm.fit(x[:WARMUP_BATCHES * batch_size], y[:WARMUP_BATCHES * batch_size], batch_size=batch_size, verbose=0)
    del warm

    model = glassnet_lenet(weights)
    before = rss_mb()
    exact = reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    history = model.fit(x, y, batch_size=batch_size, epochs=n_epochs, shuffle=True, verbose=0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = peak_mb()
    predicted = model.predict(x_test, batch_size=1000).argmax(axis=1)
    return {"seconds": seconds, "cpu": cpu, "peak": peak, "before": before, "exact_peak": exact,
            "train_loss": history.history["loss"][-1], "train_acc": history.history["accuracy"][-1],
            "test_acc": float(np.mean(predicted == y_test))}


def job_torch(folder: str, weights_path: str, batch: str, epochs: str) -> dict:
    import torch

    threads = set_torch_threads()
    batch_size, n_epochs = int(batch), int(epochs)
    x_np, y_np = mnist_arrays(Path(folder), "train")
    x_test_np, y_test_np = mnist_arrays(Path(folder), "t10k")
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    weights = read_weights(Path(weights_path))
    generator = torch.Generator().manual_seed(0)

    def train(model, optimizer, images, labels) -> tuple[float, float]:
        order = torch.randperm(len(labels), generator=generator)
        return torch_train_epoch(model, optimizer, ((images[i], labels[i]) for i in order.split(batch_size)))

    warm = torch_lenet(weights)
    train(warm, torch.optim.Adam(warm.parameters(), lr=1e-3), x[:WARMUP_BATCHES * batch_size],
          y[:WARMUP_BATCHES * batch_size])
    del warm

    model = torch_lenet(weights)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = rss_mb()
    exact = reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n_epochs):
        loss, acc = train(model, optimizer, x, y)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = peak_mb()
    model.eval()
    with torch.inference_mode():
        predicted = torch.cat([model(xb).argmax(1) for xb in torch.from_numpy(x_test_np).split(1000)])
    return {"seconds": seconds, "cpu": cpu, "peak": peak, "before": before, "exact_peak": exact, "train_loss": loss,
            "train_acc": acc, "test_acc": float((predicted.numpy() == y_test_np).mean()), "threads": threads}


def main() -> None:
    if child_main({"glassnet": job_glassnet, "pytorch": job_torch}):
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[64, 128], help="batch sizes (default: 64 128)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each framework per batch size (median)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=None, help="threads per framework (default: every core)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shared initial weights")
    args = parser.parse_args()
    import os

    threads = args.threads or os.cpu_count() or 1
    folder = data_dir()
    print(f"LeNet-5 on MNIST (60,000 images), {args.epochs} epoch(s), Adam, same initial weights; data from {folder}")
    print(machine_line(threads) + "; " + load_line())
    weights = temp_path(".npz")
    try:
        write_initial_weights(weights, args.seed)
        rows = []
        for batch in args.batch:
            runs: dict[str, list[dict]] = {"glassnet": [], "pytorch": []}
            for r in range(args.repeat):
                order = ("glassnet", "pytorch") if r % 2 == 0 else ("pytorch", "glassnet")
                for name in order:
                    result = run_child(Path(__file__), [name, str(folder), str(weights), str(batch), str(args.epochs)],
                                       threads)
                    runs[name].append(result)
                    print(f"  batch {batch} run {r + 1}: {name:<8} {result['seconds']:6.2f} s (CPU {result['cpu']:6.2f} s)  "
                          f"test acc {result['test_acc']:.4f}  peak {result['peak']:.0f} MB", flush=True)
            rows.append((batch, runs))
    finally:
        weights.unlink(missing_ok=True)

    print()
    print(f"{'batch':>5} {'glassnet':>10} {'pytorch':>10} {'ratio g/p':>10} {'CPU g':>8} {'CPU p':>8} {'ratio':>6} "
          f"{'test acc g':>11} {'test acc p':>11} {'peak MB g':>10} {'peak MB p':>10}")
    for batch, runs in rows:
        g = {k: median([r[k] for r in runs["glassnet"]]) for k in ("seconds", "cpu", "test_acc", "peak")}
        t = {k: median([r[k] for r in runs["pytorch"]]) for k in ("seconds", "cpu", "test_acc", "peak")}
        print(f"{batch:>5} {g['seconds']:>9.2f}s {t['seconds']:>9.2f}s {g['seconds'] / t['seconds']:>9.2f}x "
              f"{g['cpu']:>7.2f}s {t['cpu']:>7.2f}s {g['cpu'] / t['cpu']:>5.2f}x "
              f"{g['test_acc']:>11.4f} {t['test_acc']:>11.4f} {g['peak']:>10.0f} {t['peak']:>10.0f}")
    print("(medians over the repeats; ratio below 1: glassnet faster; CPU = processor time of all threads, "
          "which spinning idle threads inflate;\n peak = resident memory during the timed epoch)")
    if not all(r["exact_peak"] for _, runs in rows for rs in runs.values() for r in rs):
        print("note: the kernel did not allow resetting the peak, so 'peak' includes data loading")


if __name__ == "__main__":
    main()
