"""Pure array functions, no state: the math of the course (convolution, pooling).

Layers call these; nothing here knows about layers or models. Each op has a readable
reference and a fast path, in files named that way (``conv.py`` and ``pool.py`` list them):

    shapes.py                 output size, 'same' padding, pad2d / crop2d (imports nothing of glassnet)
    conv.py                   picks the conv implementation (``impl``)
      conv_reference.py         "loops": the course's formulas as Python loops (the reference)
      conv_numba.py             "numba": the same loops compiled by numba (teaching variant)
      conv_im2col_reference.py  "im2col_numpy": im2col + one matrix product in NumPy
      conv_fast.py              "im2col": the same products, copies by numba (the default)
      conv_kernels.py           the numba kernels of conv_fast
    pool.py                   picks the pooling implementation (``impl``)
      pool_reference.py         "reference": one Python loop iteration per output pixel
      pool_numpy.py             "numpy": one strided slice per window offset (teaching variant)
      pool_fast.py              "fast": the reference's loops compiled by numba (the default)
    fused_kernels.py          one-pass numba kernels of ReLU, BatchNorm and Adam
    jit.py                    the numba options every kernel shares

To step through any numba kernel as plain Python, run with ``NUMBA_DISABLE_JIT=1``.
"""
from .conv import conv2d_backward, conv2d_forward
from .pool import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward
from .shapes import output_size, pad2d, resolve_padding

__all__ = [
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "conv2d_backward",
    "conv2d_forward",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "output_size",
    "pad2d",
    "resolve_padding",
]
