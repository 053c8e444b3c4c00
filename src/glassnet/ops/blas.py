"""NumPy's own matrix product (OpenBLAS ``sgemm``), callable from numba kernels without the GIL.

Why: with two threads, every return from a kernel to Python must take CPython's GIL back,
and when the other thread holds it that wait costs tens of microseconds (a sleeping core
woken up). The fast convolution called im2col, a NumPy product and a reorder for each small
group of images: about 90 such hand-overs per slice per LeNet-5 step, a third of the step.
Calling the same sgemm NumPy calls from inside one numba kernel makes the whole
convolution one call: one hand-over.

This finds the OpenBLAS library NumPy loaded (through threadpoolctl, which also holds it to
one thread while glassnet computes), checks it is the 64-bit-integer build pip's NumPy
wheels ship, and gives its ``cblas_sgemm`` to LLVM under a fixed name, so the kernels
compiled against it can be cached on disk and still link in the next process. Anything
else (NumPy on MKL or on a 32-bit-integer OpenBLAS, ``NUMBA_DISABLE_JIT=1``): ``AVAILABLE``
is False and the convolution keeps its Python loop around ``@`` (same numbers up to float32
rounding, more hand-overs).
"""
from __future__ import annotations

import ctypes
import os
from typing import Any

SYMBOL = "glassnet_cblas_sgemm_ilp64"
"""The name the kernels call sgemm by (LLVM resolves it to NumPy's function in each process)."""

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
"""CBLAS's constants."""


def _numpy_openblas() -> Any | None:
    """(library, symbol prefix, suffix) of the ILP64 OpenBLAS NumPy uses, or None."""
    try:
        from threadpoolctl import ThreadpoolController

        controllers = ThreadpoolController().select(internal_api="openblas").lib_controllers
    except Exception:  # threadpoolctl missing or failing: keep the Python loop
        return None
    for controller in controllers:
        try:
            library = ctypes.CDLL(controller.filepath)
        except OSError:
            continue
        for prefix in ("scipy_", ""):
            for suffix in ("64_", "_64", ""):
                config = getattr(library, f"{prefix}openblas_get_config{suffix}", None)
                sgemm = getattr(library, f"{prefix}cblas_sgemm{suffix}", None)
                if config is None or sgemm is None:
                    continue
                config.restype = ctypes.c_char_p
                if b"USE64BITINT" in (config() or b""):
                    return sgemm
    return None


def _register() -> bool:
    if os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"):
        return False  # plain-Python kernels cannot call a C function pointer
    sgemm = _numpy_openblas()
    if sgemm is None:
        return False
    import llvmlite.binding

    llvmlite.binding.add_symbol(SYMBOL, ctypes.cast(sgemm, ctypes.c_void_p).value)
    return True


AVAILABLE = _register()
"""True when the kernels of ``conv_fused`` can call NumPy's sgemm."""
