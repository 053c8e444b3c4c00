"""How glassnet's numba kernels are compiled: the options shared by every kernel module.

Importing this module imports numba; only the fast kernel modules import it, and only
when a fast path is first used, so ``import glassnet`` stays light.

Every kernel runs on ONE core and releases the GIL. glassnet's threads are its own
(:mod:`glassnet.parallel` splits each batch between them), so numba never starts a
threading layer: no OpenMP pool to fight PyTorch's libgomp or OpenBLAS's threads for
the cores, nothing that breaks after ``fork``, nothing that aborts when several Python
threads call a kernel at once.

To read a kernel by running it: ``NUMBA_DISABLE_JIT=1`` in the environment makes ``njit``
return the plain Python function, so every kernel (conv_kernels, conv_numba, pool_fast,
fused_kernels) can be stepped through in a debugger; ``tests/test_kernels_python.py``
checks it gives the compiled kernels' gradients.
"""
from __future__ import annotations

from typing import Literal, TypedDict


class JitOptions(TypedDict):
    """The keyword arguments of numba.njit glassnet passes (typed, so ``njit(**JIT)`` type-checks)."""

    cache: bool
    nogil: bool
    error_model: Literal["python", "numpy"]


JIT: JitOptions = {"cache": True, "nogil": True, "error_model": "numpy"}
"""numba.njit options of every kernel: cached on disk after the first compilation, GIL released, one core.

``error_model="numpy"``: division by zero gives inf or NaN, as in the NumPy lines the kernels
replace, instead of a check that raises ZeroDivisionError; that check kept LLVM from turning
loops with a division into vector instructions (Adam's update ran 4x slower).
"""
