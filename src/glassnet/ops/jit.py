"""How glassnet's numba kernels are compiled: the options shared by every kernel module.

Importing this module imports numba; only the fast kernel modules import it, and only
when a fast path is first used, so ``import glassnet`` stays light.
"""
from __future__ import annotations

import os

PARALLEL = os.environ.get("GLASSNET_NUMBA_PARALLEL", "1") != "0"
"""Run each kernel's ``prange`` loop on all cores (set GLASSNET_NUMBA_PARALLEL=0 for one core)."""

JIT = dict(cache=True, nogil=True, parallel=PARALLEL)
"""numba.njit options: cached on disk after the first compilation, GIL released, parallel loops."""
