"""Shared pieces of the speed benchmarks: data, the PyTorch twin of LeNet-5, child processes, memory, timing.

Every benchmark times glassnet and PyTorch on the same job in the same run and prints
both figures and their ratio (glassnet / PyTorch: below 1 means glassnet is faster).
Each framework runs in its own fresh Python process (so neither pays for the other's
threads or memory), the two alternate, and each figure is the median of the repeats.
Both use the same number of threads (``--threads``, default: every core).
"""
from __future__ import annotations

import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Sequence

HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------
def data_dir() -> Path:
    """The folder holding mnist/: $GLASSNET_DATA_DIR, else ../shared/datasets beside the repository."""
    value = os.environ.get("GLASSNET_DATA_DIR")
    candidates = [Path(value)] if value else []
    candidates += [HERE.parent.parent / "shared" / "datasets", HERE.parent / "shared" / "datasets"]
    for path in candidates:
        if (path / "mnist").is_dir():
            return path.resolve()
    sys.exit("MNIST not found: set GLASSNET_DATA_DIR to a folder holding mnist/ (the four IDX .gz files)")


def _idx_bytes(folder: Path, stem: str) -> bytes:
    for name, opener in ((stem + ".gz", gzip.open), (stem, open)):
        path = folder / "mnist" / name
        if path.exists():
            with opener(path, "rb") as handle:
                return handle.read()
    sys.exit(f"{stem}(.gz) not found in {folder / 'mnist'}")


def mnist_arrays(folder: Path, split: str):
    """(x float32 (N, 1, 28, 28) in [0, 1], y int64 (N,)) for split 'train' or 't10k', read with NumPy only."""
    import numpy as np

    raw = _idx_bytes(folder, f"{split}-images-idx3-ubyte")
    n, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    x = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, 1, rows, cols).astype(np.float32) / np.float32(255)
    labels = _idx_bytes(folder, f"{split}-labels-idx1-ubyte")
    return x, np.frombuffer(labels, dtype=np.uint8, offset=8).astype(np.int64)


# ---------------------------------------------------------------------------------
# The same LeNet-5 in both frameworks, starting from the same weights
# ---------------------------------------------------------------------------------
def write_initial_weights(path: Path, seed: int) -> None:
    """Save glassnet's zoo.lenet5(seed) initial weights as .npz (layer order), for both children to start from."""
    import numpy as np

    from glassnet import zoo

    model = zoo.lenet5(seed=seed)
    np.savez(path, *model.get_weights())


def read_weights(path: Path) -> list:
    """The arrays written by ``write_initial_weights``, in order."""
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def glassnet_lenet(weights: list):
    """zoo.lenet5 holding ``weights``, compiled with Adam(1e-3), cross-entropy on logits, accuracy."""
    import glassnet
    from glassnet import zoo

    model = zoo.lenet5(seed=0)
    model.set_weights(weights)
    model.compile(glassnet.optimizers.Adam(lr=1e-3), "cross_entropy", metrics=["accuracy"])
    return model


def torch_lenet(weights: list | None = None):
    """The PyTorch twin of zoo.lenet5 (same layers, 61,706 parameters), holding ``weights`` if given."""
    import torch
    from torch import nn

    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )
    if weights is not None:
        # glassnet order: conv W, b, conv W, b, dense W (in, out), b, ...; torch Linear holds W transposed.
        params = list(model.parameters())
        assert len(params) == len(weights)
        with torch.no_grad():
            for p, w in zip(params, weights):
                p.copy_(torch.from_numpy(w.T.copy() if p.ndim == 2 else w))
    return model


def torch_train_epoch(model, optimizer, batches) -> tuple[float, float]:
    """One training pass over ``batches`` of (x (B, 1, 28, 28), y (B,)) tensors, cross-entropy; (mean loss, accuracy)."""
    from torch.nn import functional

    model.train()
    total, correct, seen = 0.0, 0, 0
    for xb, yb in batches:
        optimizer.zero_grad()
        logits = model(xb)
        loss = functional.cross_entropy(logits, yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(yb)
        correct += int((logits.argmax(1) == yb).sum())
        seen += len(yb)
    return total / seen, correct / seen


# ---------------------------------------------------------------------------------
# Child processes and threads
# ---------------------------------------------------------------------------------
def thread_env(threads: int) -> dict[str, str]:
    """Environment for a child using ``threads`` threads: glassnet's, and every pool PyTorch may start (OpenMP, BLAS)."""
    env = dict(os.environ)
    for name in ("GLASSNET_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    return env


def run_child(script: Path, args: Sequence[str], threads: int, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python script --child args...`` in a fresh interpreter and return the JSON it prints last."""
    done = subprocess.run([sys.executable, str(script), "--child", *args], capture_output=True, text=True,
                          env={**thread_env(threads), **(extra_env or {})}, check=False)
    if done.returncode != 0:
        sys.exit(f"child {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_main(jobs: dict[str, Callable[..., dict]]) -> bool:
    """If this process is a child (``--child NAME ARGS``), run the job, print its JSON, and return True."""
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        print(json.dumps(jobs[sys.argv[2]](*sys.argv[3:])))
        return True
    return False


def set_torch_threads() -> int:
    """Use as many torch threads as the parent asked for (OMP_NUM_THREADS); return the number."""
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    return torch.get_num_threads()


def temp_path(suffix: str) -> Path:
    """A fresh temporary file name (the file is removed by the caller)."""
    handle, name = tempfile.mkstemp(suffix=suffix, prefix="glassnet-bench-")
    os.close(handle)
    return Path(name)


# ---------------------------------------------------------------------------------
# Memory (Linux /proc; ru_maxrss elsewhere)
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

        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024
    return kb / 1024


# ---------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------
def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def machine_line(threads: int) -> str:
    """One line naming the versions and threads, for the record."""
    import platform

    import numpy

    try:
        import torch

        torch_version = torch.__version__
    except ImportError:  # pragma: no cover - the benchmarks need torch
        torch_version = "not installed"
    return (f"python {platform.python_version()}, numpy {numpy.__version__}, torch {torch_version}, "
            f"{os.cpu_count()} cores, {threads} thread(s) per framework")


def load_line() -> str:
    """The 1-minute load average, so a reader can see whether the machine was busy."""
    try:
        return f"load average before: {os.getloadavg()[0]:.2f}"
    except OSError:
        return ""
