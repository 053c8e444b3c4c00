"""Peak memory of one epoch of LeNet-5 on the full MNIST training set: glassnet's fit vs PyTorch.

Run:  python benchmarks/bench_fit_memory.py        (data from $GLASSNET_DATA_DIR or ../shared/datasets)

Each framework runs in its own fresh Python process, so the figures are independent.
Same job in both: LeNet-5 (conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU,
max-pool 2, flatten, 120, ReLU, 84, ReLU, 10: 61,706 parameters), 60,000 MNIST images
as float32 (N, 1, 28, 28) in [0, 1], batch 64, shuffled, Adam (lr 1e-3), cross-entropy
on logits, one epoch. Printed per framework:

* peak RSS: the largest resident memory of the whole process (Linux VmHWM, reset just
  before training when the kernel allows it, else ``ru_maxrss`` over the process's life);
* before fit: resident memory once the framework is imported and the data loaded;
* fit added: the difference, the memory training itself needed.

This is a benchmark, not a test: it prints figures and ratios and asserts nothing.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder holding mnist/: $GLASSNET_DATA_DIR, else ../shared/datasets beside the repository."""
    value = os.environ.get("GLASSNET_DATA_DIR")
    candidates = [Path(value)] if value else []
    candidates += [HERE.parent.parent / "shared" / "datasets", HERE.parent / ".." / "shared" / "datasets"]
    for path in candidates:
        if (path / "mnist").is_dir():
            return path.resolve()
    sys.exit("MNIST not found: set GLASSNET_DATA_DIR to a folder holding mnist/ (the four IDX .gz files)")


# ---------------------------------------------------------------------------------
# Memory readings (Linux /proc; ru_maxrss elsewhere)
# ---------------------------------------------------------------------------------
def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    """Current resident memory of this process, in MB."""
    kb = _status_kb("VmRSS")
    if kb is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return kb / 1024


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) to the current RSS; False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    """Peak resident memory of this process, in MB (since the last reset_peak, if it worked)."""
    kb = _status_kb("VmHWM")
    if kb is None:
        import resource

        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KB on Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024
    return kb / 1024


def read_idx_images(path: Path):
    """A gzipped IDX image file -> uint8 (N, 1, 28, 28) (a tiny reader, for the PyTorch process)."""
    import numpy as np

    raw = gzip.decompress(path.read_bytes())
    n, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, 1, rows, cols)


def read_idx_labels(path: Path):
    """A gzipped IDX label file -> int64 (N,)."""
    import numpy as np

    raw = gzip.decompress(path.read_bytes())
    return np.frombuffer(raw, dtype=np.uint8, offset=8).astype(np.int64)


# ---------------------------------------------------------------------------------
# The two jobs, each run in a child process
# ---------------------------------------------------------------------------------
def job_glassnet(folder: Path) -> dict:
    import glassnet
    from glassnet import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential
    from glassnet.data import load_mnist

    data = load_mnist(data_dir=folder)
    x, y = data.x_train, data.y_train
    model = Sequential([
        Conv2D(6, 5, padding=2), ReLU(), MaxPool2D(2),
        Conv2D(16, 5), ReLU(), MaxPool2D(2),
        Flatten(), Dense(120), ReLU(), Dense(84), ReLU(), Dense(10),
    ], input_shape=(1, 28, 28), seed=0)
    assert model.count_params() == 61_706
    model.compile(glassnet.optimizers.Adam(lr=1e-3), "cross_entropy", metrics=["accuracy"])
    before = rss_mb()
    exact = reset_peak()
    start = time.perf_counter()
    history = model.fit(x, y, epochs=1, batch_size=64, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    return {"before": before, "peak": peak_mb(), "exact_peak": exact, "seconds": seconds,
            "loss": history.history["loss"][-1], "accuracy": history.history["accuracy"][-1], "samples": len(x)}


def job_torch(folder: Path) -> dict:
    import numpy as np
    import torch
    from torch import nn

    torch.manual_seed(0)
    x = (read_idx_images(folder / "mnist" / "train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    y = read_idx_labels(folder / "mnist" / "train-labels-idx1-ubyte.gz")
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    assert sum(p.numel() for p in model.parameters()) == 61_706
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    before = rss_mb()
    exact = reset_peak()
    start = time.perf_counter()
    total, correct, seen = 0.0, 0, 0
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
        correct += int((logits.argmax(1) == yb).sum())
        seen += len(yb)
    seconds = time.perf_counter() - start
    return {"before": before, "peak": peak_mb(), "exact_peak": exact, "seconds": seconds,
            "loss": total / seen, "accuracy": correct / seen, "samples": seen,
            "threads": torch.get_num_threads()}


JOBS = {"glassnet": job_glassnet, "pytorch": job_torch}


def run_child(name: str, folder: Path) -> dict:
    """Run one job in a fresh interpreter and return its JSON result."""
    done = subprocess.run([sys.executable, __file__, "--child", name, str(folder)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the {name} job failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(JOBS[sys.argv[2]](Path(sys.argv[3]))))
        return
    folder = data_dir()
    print(f"LeNet-5, one epoch of MNIST (60,000 images), batch 64, Adam; data from {folder}")
    results = {name: run_child(name, folder) for name in JOBS}
    print(f"{'framework':<10} {'peak RSS':>10} {'before fit':>11} {'fit added':>10} {'time':>8} "
          f"{'train loss':>11} {'train acc':>10}")
    for name, r in results.items():
        print(f"{name:<10} {r['peak']:>7.0f} MB {r['before']:>8.0f} MB {r['peak'] - r['before']:>7.0f} MB "
              f"{r['seconds']:>7.1f}s {r['loss']:>11.4f} {r['accuracy']:>10.4f}")
    g, t = results["glassnet"], results["pytorch"]
    print(f"peak RSS ratio pytorch / glassnet: {t['peak'] / g['peak']:.2f}x   "
          f"(memory added by training: {(t['peak'] - t['before']) / max(g['peak'] - g['before'], 1):.2f}x; "
          f"time ratio glassnet / pytorch: {g['seconds'] / t['seconds']:.2f}x)")
    if not (g["exact_peak"] and t["exact_peak"]):
        print("note: the kernel did not allow resetting the peak, so 'peak' includes data loading")


if __name__ == "__main__":
    main()
