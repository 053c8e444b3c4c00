"""``glassnet bench``: the course's comparison of the ways to compute a convolution, on one input.

The course (step 8) times its convolution three ways on the same batch: plain Python
loops, the same loops compiled by numba, and im2col (one matrix multiply). This command
does the same with glassnet's implementations, adding the NumPy-only version of im2col
so the gain of each step can be seen:

    loops         Python loops, the readable reference (ops/conv_reference.py)
    numba         the same loops compiled by numba (ops/conv_numba.py)
    im2col_numpy  windows unrolled into a matrix with NumPy, one product for the batch
    im2col        the same with numba kernels for the copies (the default everywhere)

Every implementation gets the same x, W and b; the outputs (and gradients, with
``--backward``) are compared with the first one timed (the loops reference). Printed: the
time of one call (median of ``--repeat``; the first call of each, which compiles numba
kernels, is not timed), the speed-up over the loops, and the largest difference from
the reference relative to its largest value (float32 rounding: about 1e-7 to 1e-6).
"""
from __future__ import annotations

import argparse
import functools
import statistics
import time
from typing import Any, Callable

import numpy as np

from .backend import DTYPE
from .ops import conv as conv_ops

ORDER = ("loops", "numba", "im2col_numpy", "im2col")
DESCRIPTIONS = {
    "loops": "Python loops (reference)",
    "numba": "loops compiled by numba",
    "im2col_numpy": "im2col, NumPy copies",
    "im2col": "im2col, numba copies (default)",
}


def add_bench_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the 'bench' sub-command to an argparse sub-parser collection; returns its parser."""
    p = subparsers.add_parser(
        "bench", help="time the convolution implementations (loops, numba, im2col) on one input",
        description="Time one convolution computed by each of glassnet's implementations on the same input, "
                    "as the course's step 8 does, and print the speed-ups over the Python loops.")
    p.add_argument("--batch", type=int, default=64, help="images N (default 64)")
    p.add_argument("--channels", type=int, default=3, help="input channels C (default 3)")
    p.add_argument("--size", type=int, default=28, help="image height = width (default 28)")
    p.add_argument("--filters", type=int, default=8, help="output channels OC (default 8)")
    p.add_argument("--kernel", type=int, default=3, help="kernel height = width (default 3)")
    p.add_argument("--stride", type=int, default=1)
    p.add_argument("--padding", type=int, default=0)
    p.add_argument("--repeat", type=int, default=10, help="timed calls of each fast implementation (default 10)")
    p.add_argument("--loops-repeat", type=int, default=1,
                   help="timed calls of the slow Python loops (default 1; each takes seconds)")
    p.add_argument("--backward", action="store_true", help="time forward + backward (dL/dx, dL/dW, dL/db)")
    p.add_argument("--skip-loops", action="store_true", help="leave out the Python loops (speed-ups over numba)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_bench)
    return p


def _positive(args: argparse.Namespace) -> None:
    for name in ("batch", "channels", "size", "filters", "kernel", "stride", "repeat", "loops_repeat"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    if args.padding < 0:
        raise ValueError(f"--padding must not be negative, got {args.padding}")
    if args.size + 2 * args.padding < args.kernel:
        raise ValueError(f"the {args.kernel}x{args.kernel} kernel does not fit a {args.size}x{args.size} image "
                         f"with padding {args.padding}: OH = (H + 2P - KH) // S + 1 would be < 1")


def _time(fn: Callable[[], Any], repeat: int) -> float:
    """Median seconds of ``repeat`` calls of fn (call it once before, untimed: numba compiles on the first call)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _run_once(impl: str, x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: tuple[int, int],
              pads: tuple[int, int, int, int], dy: np.ndarray | None) -> tuple[np.ndarray, ...]:
    y, cache = conv_ops.conv2d_forward(x, W, b, stride, pads, impl)
    if dy is None:
        return (y,)
    dx, dW, db = conv_ops.conv2d_backward(dy, cache)
    return tuple(a for a in (y, dx, dW, db) if a is not None)


def run_bench(args: argparse.Namespace) -> int:
    """Time every convolution implementation on one random input; print times and speed-ups; return 0."""
    _positive(args)
    rng = np.random.default_rng(args.seed)
    N, C, S, OC, K, P = args.batch, args.channels, args.size, args.filters, args.kernel, args.padding
    x = rng.standard_normal((N, C, S, S)).astype(DTYPE)
    W = (rng.standard_normal((OC, C, K, K)) * 0.1).astype(DTYPE)
    b = rng.standard_normal(OC).astype(DTYPE)
    stride, pads = (args.stride, args.stride), (P, P, P, P)
    OH = (S + 2 * P - K) // args.stride + 1
    dy = rng.standard_normal((N, OC, OH, OH)).astype(DTYPE) if args.backward else None
    what = "forward + backward" if args.backward else "forward"
    print(f"Conv2D {what}: x ({N}, {C}, {S}, {S}), W ({OC}, {C}, {K}, {K}), stride {args.stride}, "
          f"padding {P} -> y ({N}, {OC}, {OH}, {OH}); float32, median of the timed calls")
    impls = [impl for impl in ORDER if not (args.skip_loops and impl == "loops")]
    reference = None
    base = None
    print(f"{'implementation':<14} {'':<31} {'time per call':>14} {'speed-up':>10}   largest difference from {impls[0]}")
    for impl in impls:
        repeat = args.loops_repeat if impl == "loops" else args.repeat
        outputs = _run_once(impl, x, W, b, stride, pads, dy)  # untimed: compiles numba kernels, gives the result
        seconds = _time(functools.partial(_run_once, impl, x, W, b, stride, pads, dy), repeat)
        if reference is None or base is None:
            reference, base = outputs, seconds
        diff = max(_relative_difference(a, r) for a, r in zip(outputs, reference))
        print(f"{impl:<14} {DESCRIPTIONS[impl]:<31} {_format_seconds(seconds):>14} {base / seconds:>9.1f}x   {diff:.1e}")
    return 0


def _relative_difference(a: np.ndarray, reference: np.ndarray) -> float:
    """max |a - reference| / max |reference| (0 for empty arrays): float32 rounding shows as ~1e-7."""
    if not a.size:
        return 0.0
    scale = float(np.abs(reference).max()) or 1.0
    return float(np.abs(a - reference).max()) / scale


def _format_seconds(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} us"


def main(argv: list[str] | None = None) -> int:
    """``python -m glassnet.bench [options]``: the same as ``glassnet bench``."""
    parser = argparse.ArgumentParser(prog="glassnet bench")
    sub = parser.add_subparsers(dest="command")
    add_bench_parser(sub)
    args = parser.parse_args(["bench", *(argv if argv is not None else __import__("sys").argv[1:])])
    return run_bench(args)


if __name__ == "__main__":
    raise SystemExit(main())
