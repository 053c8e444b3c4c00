"""Inference on the 10,000 MNIST test images with LeNet-5: glassnet's predict vs PyTorch, same weights.

Run:  python benchmarks/bench_inference.py              (data from $GLASSNET_DATA_DIR or ../shared/datasets)
      python benchmarks/bench_inference.py --batch 128 1000 --repeat 5 --threads 2

Both frameworks load the same LeNet-5 weights (glassnet's seeded initialisation, copied
into torch; trained or not, the work is the same) and compute the logits of all 10,000
test images, ``--batch`` images at a time: glassnet ``model.predict(x, batch_size=B)``,
torch ``model(x_batch)`` under ``torch.inference_mode()`` with the batches concatenated.
Each framework runs in its own process; inside it one untimed pass warms up (numba
kernels loaded), then the pass is timed ``--passes`` times and the median kept; the two
processes alternate ``--repeat`` times and the median of their medians is printed, with
the ratio glassnet / PyTorch and the largest difference between the two sets of logits.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from bench_common import (
    child_main, data_dir, glassnet_lenet, load_line, machine_line, median, mnist_arrays, read_weights, run_child,
    set_torch_threads, temp_path, torch_lenet, write_initial_weights,
)


def job_glassnet(folder: str, weights_path: str, batch: str, passes: str, out_path: str) -> dict:
    import numpy as np

    x, _ = mnist_arrays(Path(folder), "t10k")
    model = glassnet_lenet(read_weights(Path(weights_path)))
    batch_size = int(batch)
    model.predict(x, batch_size=batch_size)  # warm-up
    times = []
    for _ in range(int(passes)):
        start = time.perf_counter()
        logits = model.predict(x, batch_size=batch_size)
        times.append(time.perf_counter() - start)
    np.save(out_path, logits)
    return {"seconds": median(times)}


def job_torch(folder: str, weights_path: str, batch: str, passes: str, out_path: str) -> dict:
    import numpy as np
    import torch

    threads = set_torch_threads()
    x_np, _ = mnist_arrays(Path(folder), "t10k")
    x = torch.from_numpy(x_np)
    model = torch_lenet(read_weights(Path(weights_path))).eval()
    batch_size = int(batch)

    def predict() -> torch.Tensor:
        with torch.inference_mode():
            return torch.cat([model(xb) for xb in x.split(batch_size)])

    predict()  # warm-up
    times = []
    for _ in range(int(passes)):
        start = time.perf_counter()
        logits = predict()
        times.append(time.perf_counter() - start)
    np.save(out_path, logits.numpy())
    return {"seconds": median(times), "threads": threads}


def main() -> None:
    if child_main({"glassnet": job_glassnet, "pytorch": job_torch}):
        return
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[128, 1000], help="batch sizes (default: 128 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="processes of each framework per batch size")
    parser.add_argument("--passes", type=int, default=5, help="timed passes over the test set in each process")
    parser.add_argument("--threads", type=int, default=None, help="threads per framework (default: every core)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the shared weights")
    args = parser.parse_args()
    threads = args.threads or os.cpu_count() or 1
    folder = data_dir()
    print(f"LeNet-5 logits of the 10,000 MNIST test images, same weights; data from {folder}")
    print(machine_line(threads) + "; " + load_line())
    weights, out_g, out_t = temp_path(".npz"), temp_path(".npy"), temp_path(".npy")
    rows = []
    try:
        write_initial_weights(weights, args.seed)
        for batch in args.batch:
            seconds: dict[str, list[float]] = {"glassnet": [], "pytorch": []}
            for r in range(args.repeat):
                order = ("glassnet", "pytorch") if r % 2 == 0 else ("pytorch", "glassnet")
                for name in order:
                    out = out_g if name == "glassnet" else out_t
                    result = run_child(Path(__file__), [name, str(folder), str(weights), str(batch),
                                                        str(args.passes), str(out)], threads)
                    seconds[name].append(result["seconds"])
            diff = float(np.abs(np.load(out_g) - np.load(out_t)).max())
            agree = float(np.mean(np.load(out_g).argmax(1) == np.load(out_t).argmax(1)))
            rows.append((batch, median(seconds["glassnet"]), median(seconds["pytorch"]), diff, agree))
    finally:
        for path in (weights, out_g, out_t):
            path.unlink(missing_ok=True)
    print()
    print(f"{'batch':>5} {'glassnet':>10} {'pytorch':>10} {'ratio g/p':>10} {'images/s g':>11} {'images/s p':>11} "
          f"{'max |logit diff|':>17} {'same class':>11}")
    for batch, g, t, diff, agree in rows:
        print(f"{batch:>5} {g * 1e3:>8.1f}ms {t * 1e3:>8.1f}ms {g / t:>9.2f}x {10000 / g:>11,.0f} {10000 / t:>11,.0f} "
              f"{diff:>17.2e} {agree:>10.2%}")
    print("(medians; ratio below 1: glassnet faster)")


if __name__ == "__main__":
    main()
