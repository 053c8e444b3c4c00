"""How glassnet's numba kernels are compiled and run: the options shared by every kernel module.

Importing this module imports numba; only the fast kernel modules import it, and only
when a fast path is first used, so ``import glassnet`` stays light.

Threads: the big kernels (im2col, col2im, pooling) split their outer ``prange`` loop
between the cores; the small element-wise ones run on one core (a parallel launch would
cost more than it saves, and parallel kernels take about three times longer to compile).
numba's OpenMP threads are told to sleep, not spin, between kernels
(``OMP_WAIT_POLICY=PASSIVE``, unless set already): NumPy's BLAS keeps threads of its own
spinning after each matrix product, and two pools spinning for two cores slowed training
down 10-50 times whenever anything else ran on the machine. Waking a sleeping thread
costs a few microseconds per kernel.
"""
from __future__ import annotations

import os

PARALLEL = os.environ.get("GLASSNET_NUMBA_PARALLEL", "1") != "0"
"""Run the big kernels' ``prange`` loops on all cores (GLASSNET_NUMBA_PARALLEL=0: one core, compiled afresh)."""

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when numba starts its threads, i.e. later

JIT = dict(cache=PARALLEL, nogil=True, parallel=PARALLEL)
"""numba.njit options of the big kernels: cached on disk after the first compilation, GIL released, parallel.

numba's disk cache tells entries apart by signature and bytecode, not by ``parallel``: a
one-core build would load the parallel machine code cached by an earlier run (and the
other way round), so the one-core build is not cached.
"""

JIT_SERIAL = dict(cache=True, nogil=True)
"""numba.njit options of the small element-wise kernels: one core."""
