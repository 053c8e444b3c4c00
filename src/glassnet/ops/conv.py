"""2-D convolution (cross-correlation, as in every DL framework): which implementation computes it.

Four implementations compute exactly the same sums (the tests check them against each
other and against PyTorch); pick one with ``impl``:

=================  ===========================  ==============================================
impl               module                       role
=================  ===========================  ==============================================
``"loops"``        :mod:`.conv_reference`       the reference: the course's formulas as Python loops
``"numba"``        :mod:`.conv_numba`           teaching variant: the same loops compiled by numba
``"im2col_numpy"`` :mod:`.conv_im2col_reference` im2col + one matrix product in plain NumPy:
                                                the readable reference of the fast path
``"im2col"``       :mod:`.conv_fast`            the fast path (default): the same products, the
                                                copies done by the numba kernels of :mod:`.conv_kernels`;
                                                layers with few filters through :mod:`.conv_direct`,
                                                3x3 layers on many channels through :mod:`.conv_winograd`
=================  ===========================  ==============================================

``"reference"`` and ``"fast"`` are accepted as the names pooling uses too (``ALIASES``);
a layer stores them as ``"loops"`` and ``"im2col"``, so saved models keep one vocabulary.

Every implementation has the same two functions, ``conv2d_forward(x, W, b, stride, pads,
dilation) -> (z, cache)`` and ``conv2d_backward(grad, cache, need_dx) -> (dx, dW, db)``, takes the
unpadded input and does its own padding, and caches what its backward needs in its own
small dataclass (the padded input, the columns, or the input). Only the numba modules
import numba, and only when first used, so ``import glassnet`` stays light.

Shapes: x (N, C, H, W), W (OC, C, KH, KW), b (OC,), z (N, OC, OH, OW) with
OH = (H + 2P - KH) // S + 1, or OH = (H + 2P - D·(KH-1) - 1) // S + 1 with dilation D
(kernel entry (ki, kj) meets input pixel (i·S + ki·D, j·S + kj·D), as in PyTorch; see :mod:`.shapes`).
"""
from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

# The shape and padding helpers live in .shapes; they stay importable from here for code
# (notebooks, scripts) written before that module existed.
from .shapes import OUTPUT_SIZE_FORMULA, Pads, crop2d, output_size, pad2d, resolve_padding  # noqa: F401

IMPLEMENTATIONS = ("loops", "numba", "im2col", "im2col_numpy")
ALIASES = {"reference": "loops", "fast": "im2col"}
"""The names shared with pooling -> this op's own name."""


def implementation(impl: str) -> ModuleType:
    """The module implementing ``impl`` (an alias allowed); numba is imported only when asked for."""
    impl = ALIASES.get(impl, impl)
    if impl == "im2col":
        from . import conv_fast

        return conv_fast
    if impl == "im2col_numpy":
        from . import conv_im2col_reference

        return conv_im2col_reference
    if impl == "loops":
        from . import conv_reference

        return conv_reference
    if impl == "numba":
        from . import conv_numba

        return conv_numba
    raise ValueError(f"unknown conv implementation {impl!r}; expected one of {IMPLEMENTATIONS}")


def conv2d_forward(
    x: np.ndarray,
    W: np.ndarray,
    b: np.ndarray | None,
    stride: tuple[int, int] = (1, 1),
    pads: Pads = (0, 0, 0, 0),
    impl: str = "im2col",
    dilation: tuple[int, int] = (1, 1),
) -> tuple[np.ndarray, Any]:
    """x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or None -> z (N, OC, OH, OW) and the cache for backward."""
    module = implementation(impl)
    x = np.asarray(x)
    if x.dtype != W.dtype:
        x = x.astype(W.dtype)  # e.g. uint8 pixels; the weights decide the precision
    return module.conv2d_forward(x, W, b, stride, pads, (int(dilation[0]), int(dilation[1])))


def conv2d_backward(
    grad: np.ndarray, cache: Any, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None]:
    """grad = dL/dz (N, OC, OH, OW) -> dL/dx (N, C, H, W) or None, dL/dW (OC, C, KH, KW), dL/db (OC,) or None."""
    module = implementation(cache.impl)  # the implementation of the forward pass that made the cache
    return module.conv2d_backward(np.asarray(grad, dtype=cache.W.dtype), cache, need_dx)
