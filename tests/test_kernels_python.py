"""Every numba kernel also runs as plain Python: ``NUMBA_DISABLE_JIT=1`` (the way to step through one).

With that variable set, numba's ``njit`` returns the Python function unchanged, so a
debugger can step through the index arithmetic of ``ops/conv_kernels.py``,
``ops/pool_fast.py``, ``ops/conv_numba.py`` and ``ops/fused_kernels.py`` line by line; the
``uint64`` index casts then make NumPy uint64 scalars. Here one training step of a small
dilated conv + ReLU + max-pool + BatchNorm + numba-conv + avg-pool + dense model runs in a
subprocess with the variable set and in one without, and both give the same gradients and
the same updated weights, up to float32 rounding (sums are grouped differently).
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from conftest import assert_close

STEP = r"""
import sys
import numpy as np
import numba
from glassnet import optimizers
from glassnet.layers import AvgPool2D, BatchNorm2D, Conv2D, Dense, Flatten, MaxPool2D, ReLU
from glassnet.ops import conv_kernels, fused_kernels, pool_fast

python_mode = bool(numba.config.DISABLE_JIT)
kernels = [conv_kernels.im2col_rows, conv_kernels.nchw_to_rows, pool_fast._max_forward, fused_kernels.relu_forward]
assert all(type(k).__name__ == "function" for k in kernels) == python_mode, "kernels compiled: " + str(not python_mode)

rng = np.random.default_rng(0)
layers = [Conv2D(4, 3, padding=(2, 1), dilation=(2, 1)), ReLU(), MaxPool2D(2), BatchNorm2D(),
          Conv2D(3, 2, impl="numba"), AvgPool2D(2, stride=1), Flatten(), Dense(5)]
shape = (1, 8, 8)
for layer in layers:
    shape = layer.build(shape, rng=rng)
x = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
grad = rng.standard_normal((4, 5)).astype(np.float32)  # dL/d(output) of some loss

out = {}
for layer in layers:
    x = layer.forward(x, True)
out["y"] = x
for i in reversed(range(len(layers))):
    layers[i].needs_input_grad = i > 0
    grad = layers[i].backward(grad)
params = {f"{i}.{k}": v for i, layer in enumerate(layers) for k, v in layer.params.items()}
grads = {f"{i}.{k}": v for i, layer in enumerate(layers) for k, v in layer.grads.items()}
out.update({"grad " + key: value.copy() for key, value in grads.items()})
optimizers.Adam(lr=0.01).step(params, grads)  # the one-pass Adam kernel
out.update({"new " + key: value for key, value in params.items()})
np.savez(sys.argv[1], **out)
"""


def _one_step(path, disable_jit: bool) -> dict[str, np.ndarray]:
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_DISABLE_JIT"}
    if disable_jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    subprocess.run([sys.executable, "-c", STEP, str(path)], check=True, timeout=300, env=env)
    with np.load(path) as saved:
        return dict(saved)


def test_numba_disable_jit_runs_every_kernel_as_python_with_the_same_gradients(tmp_path):
    compiled = _one_step(tmp_path / "compiled.npz", disable_jit=False)
    python = _one_step(tmp_path / "python.npz", disable_jit=True)
    assert compiled.keys() == python.keys()
    assert {"grad 0.W", "grad 0.b", "grad 3.gamma", "grad 4.W", "grad 7.W", "new 0.W"} <= set(compiled)
    for key in compiled:
        assert python[key].dtype == compiled[key].dtype == np.float32, key
        assert_close(python[key], compiled[key], rtol=1e-5, what=key)
