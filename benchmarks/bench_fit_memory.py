"""Peak memory of one epoch of LeNet-5 on the full MNIST training set: glassnet's fit vs PyTorch.

Run:  python benchmarks/bench_fit_memory.py        (data from $GLASSNET_DATA_DIR or ../shared/datasets)

Each framework runs in its own fresh Python process, so the figures are independent.
Same job in both: LeNet-5 (conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU,
max-pool 2, flatten, 120, ReLU, 84, ReLU, 10: 61,706 parameters), 60,000 MNIST images
as float32 (N, 1, 28, 28) in [0, 1], batch 64, shuffled, Adam (lr 1e-3), cross-entropy
on logits, one epoch. Printed per framework:

* peak RSS: the largest resident memory of the whole process (Linux VmHWM, reset just
  before training when the kernel allows it, else ``ru_maxrss`` over the process's life);
* loaded: resident memory once the framework is imported and the data loaded;
* first step: what one training step of a throw-away model added. For glassnet this is
  numba's runtime and compiled kernels (loaded from its on-disk cache, or compiled), paid
  once per process whatever the model; for PyTorch its one-time allocations;
* fit added: peak minus the resident memory before fit: the memory training itself needed.

This is a benchmark, not a test: it prints figures and ratios and asserts nothing.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from bench_common import (
    child_main, data_dir, mnist_arrays, peak_mb, reset_peak, rss_mb, run_child, torch_lenet, torch_train_epoch,
)

HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------------
# The two jobs, each run in a child process
# ---------------------------------------------------------------------------------
def job_glassnet(folder: str) -> dict:
    import glassnet
    from glassnet import zoo
    from glassnet.data import load_mnist

    data = load_mnist(data_dir=folder)
    x, y = data.x_train, data.y_train
    loaded = rss_mb()
    throwaway = zoo.lenet5(seed=1)
    throwaway.compile(glassnet.optimizers.Adam(lr=1e-3), "cross_entropy")
    throwaway.fit(x[:64], y[:64], epochs=1, batch_size=64, verbose=0)
    del throwaway
    model = zoo.lenet5(seed=0)
    assert model.count_params() == 61_706
    model.compile(glassnet.optimizers.Adam(lr=1e-3), "cross_entropy", metrics=["accuracy"])
    before = rss_mb()
    exact = reset_peak()
    start = time.perf_counter()
    history = model.fit(x, y, epochs=1, batch_size=64, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    return {"loaded": loaded, "before": before, "peak": peak_mb(), "exact_peak": exact, "seconds": seconds,
            "loss": history.history["loss"][-1], "accuracy": history.history["accuracy"][-1], "samples": len(x)}


def job_torch(folder: str) -> dict:
    import torch

    x, y = mnist_arrays(Path(folder), "train")
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)
    loaded = rss_mb()
    throwaway = torch_lenet()
    torch_train_epoch(throwaway, torch.optim.Adam(throwaway.parameters(), lr=1e-3), [next(iter(loader))])
    del throwaway
    torch.manual_seed(0)
    model = torch_lenet()
    assert sum(p.numel() for p in model.parameters()) == 61_706
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = rss_mb()
    exact = reset_peak()
    start = time.perf_counter()
    loss, accuracy = torch_train_epoch(model, optimizer, loader)
    seconds = time.perf_counter() - start
    return {"loaded": loaded, "before": before, "peak": peak_mb(), "exact_peak": exact, "seconds": seconds,
            "loss": loss, "accuracy": accuracy, "samples": len(x), "threads": torch.get_num_threads()}


JOBS = {"glassnet": job_glassnet, "pytorch": job_torch}


def main() -> None:
    if child_main(JOBS):
        return
    folder = data_dir()
    threads = os.cpu_count() or 1
    print(f"LeNet-5, one epoch of MNIST (60,000 images), batch 64, Adam, {threads} thread(s); data from {folder}")
    results = {name: run_child(HERE / "bench_fit_memory.py", [name, str(folder)], threads) for name in JOBS}
    print(f"{'framework':<10} {'peak RSS':>10} {'loaded':>9} {'first step':>11} {'fit added':>10} {'time':>8} "
          f"{'train loss':>11} {'train acc':>10}")
    for name, r in results.items():
        print(f"{name:<10} {r['peak']:>7.0f} MB {r['loaded']:>6.0f} MB {r['before'] - r['loaded']:>8.0f} MB "
              f"{r['peak'] - r['before']:>7.0f} MB {r['seconds']:>7.1f}s {r['loss']:>11.4f} {r['accuracy']:>10.4f}")
    g, t = results["glassnet"], results["pytorch"]
    print(f"peak RSS ratio pytorch / glassnet: {t['peak'] / g['peak']:.2f}x   "
          f"(memory added by training: {(t['peak'] - t['before']) / max(g['peak'] - g['before'], 1):.2f}x; "
          f"time ratio glassnet / pytorch: {g['seconds'] / t['seconds']:.2f}x)")
    if not (g["exact_peak"] and t["exact_peak"]):
        print("note: the kernel did not allow resetting the peak, so 'peak' includes data loading")


if __name__ == "__main__":
    main()
