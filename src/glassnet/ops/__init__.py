"""Pure array functions, no state: the math of the course (convolution, pooling).

Layers call these; nothing here knows about layers or models.
"""
from .conv import conv2d_backward, conv2d_forward, output_size, pad2d, resolve_padding
from .pool import avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward

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
