"""The lesson pages' arithmetic, done by glassnet's own layers: so page and library can never disagree.

Each function takes a request's fields (already parsed as JSON) and returns a JSON-ready
dict; nothing here knows about HTTP (``lesson_routes`` serves them):

* ``conv_lesson``      – ``Conv2D`` forward: the convolution explorer;
* ``pool_lesson``      – ``MaxPool2D`` / ``AvgPool2D`` forward and backward: the pooling explorer;
* ``backprop_lesson``  – ``Conv2D.backward`` (the fast default) beside the course's formulas
  (``impl="loops"``: ``ops/conv_reference.py``, δ_b = Σ δ_in, δ_W = x ⋆ δ_in,
  δ_out = pad(δ_in) ⋆ W^rot180): the backprop explorer;
* ``kernel_lesson``    – Conv2D -> ReLU -> MaxPool2D on a picture (``viz.playground``): the
  kernel playground.

Arrays come in as an image (H×W) or channels (C×H×W) and kernels as KH×KW or OC×C×KH×KW,
and go back in the same nesting. A bad argument is a ``LessonError`` naming the field.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..layers import AvgPool2D, Conv2D, MaxPool2D
from ..ops.shapes import output_size
from .lesson_arrays import (MAX_BACKPROP_CHANNELS, MAX_BACKPROP_KERNEL_SIDE, MAX_BACKPROP_SIDE, MAX_CHANNELS,
                            MAX_IMAGE_SIDE, MAX_KERNEL_SIDE, MAX_PADDING, MAX_POOL_SIDE, MAX_SIDE, MAX_STEP,
                            LessonError, integer_pair, nested_array, shape_text)

IMAGE_NAMES = {2: "H×W", 3: "C×H×W"}
KERNEL_NAMES = {2: "KH×KW", 4: "OC×C×KH×KW"}


def channels(value: Any, field: str, max_side: int = MAX_SIDE, max_channels: int = MAX_CHANNELS
             ) -> tuple[np.ndarray, bool]:
    """An H×W image or C×H×W channels -> (C, H, W) float32, and whether it came as one H×W image."""
    x = nested_array(value, field, (2, 3), IMAGE_NAMES,
                     {2: (max_side, max_side), 3: (max_channels, max_side, max_side)})
    return (x[None], True) if x.ndim == 2 else (x, False)


def filters(value: Any, C: int, max_channels: int = MAX_CHANNELS, max_side: int = MAX_KERNEL_SIDE
            ) -> tuple[np.ndarray, bool]:
    """A KH×KW kernel or OC×C×KH×KW filters for a C-channel input -> (OC, C, KH, KW), and whether it was KH×KW."""
    W = nested_array(value, "kernel", (2, 4), KERNEL_NAMES, {
        2: (max_side, max_side), 4: (max_channels, max_channels, max_side, max_side)})
    if W.ndim == 2:
        if C != 1:
            raise LessonError("kernel", f"a KH×KW kernel fits a 1-channel input, and the input has C = {C} channels: "
                              f"give OC×C×KH×KW filters with C = {C}")
        return W[None, None], True
    if W.shape[1] != C:
        raise LessonError("kernel", f"OC×C×KH×KW = {shape_text(W.shape)} has C = {W.shape[1]} input channels, "
                          f"and the input has {C}")
    return W, False


def biases(value: Any, OC: int) -> np.ndarray:
    """One bias per filter (OC numbers); zeros when not given."""
    if value is None:
        return np.zeros(OC, dtype=np.float32)
    b = nested_array(value, "bias", (1,), {1: "OC"}, {1: (MAX_CHANNELS,)})
    if b.shape[0] != OC:
        raise LessonError("bias", f"expected one number per filter, OC = {OC}, got {b.shape[0]}")
    return b


def _conv_layer(fields: dict[str, Any], x: np.ndarray, W: np.ndarray, b: np.ndarray, impl: str = "im2col") -> Conv2D:
    """A built Conv2D holding W and b, for input x (C, H, W); LessonError when the window does not fit."""
    stride = integer_pair(fields.get("stride", 1), "stride", 1, MAX_STEP)
    padding = integer_pair(fields.get("padding", 0), "padding", 0, MAX_PADDING)
    dilation = integer_pair(fields.get("dilation", 1), "dilation", 1, MAX_STEP)
    OC, _, KH, KW = W.shape
    layer = Conv2D(OC, (KH, KW), stride, padding, dilation=dilation, impl=impl, name="lesson")
    try:
        layer.build(x.shape, rng=np.random.default_rng(0))
    except ValueError as error:  # the window does not fit: the layer's own words, its formula filled in
        raise LessonError("kernel", str(error)) from None
    layer.params["W"][...] = W
    layer.params["b"][...] = b
    return layer


def _backward(layer: Any, grad: np.ndarray) -> np.ndarray:
    """dL/dx through ``layer`` (whose needs_input_grad is left True: never None here)."""
    dx = layer.backward(grad)
    assert dx is not None
    return dx


def _as_given(array: np.ndarray, was_single: bool) -> list[Any]:
    """(1, H, W) -> H×W lists when the request gave one H×W array, else the array's own nesting."""
    return (array[0] if was_single else array).tolist()


def conv_lesson(fields: dict[str, Any]) -> dict[str, Any]:
    """{input, kernel, bias?, stride?, padding?, dilation?} -> {output, output_shape}: Conv2D's forward pass."""
    x, _ = channels(fields.get("input"), "input")
    W, single = filters(fields.get("kernel"), x.shape[0])
    layer = _conv_layer(fields, x, W, biases(fields.get("bias"), W.shape[0]))
    z = layer.forward(x[None], training=False)[0]
    output = _as_given(z, single)
    return {"output": output, "output_shape": list(np.shape(output))}


def _gradient(value: Any, output: np.ndarray, single: bool, maps: str) -> np.ndarray:
    """grad_output, shaped like the output as the answer gives it (OH×OW, or ``maps``×OH×OW) -> (1, maps, OH, OW)."""
    expected = output.shape[1:] if single else output.shape
    names = {2: "OH×OW", 3: f"{maps}×OH×OW"}
    g = nested_array(value, "grad_output", (len(expected),), names, {len(expected): expected})
    if g.shape != tuple(expected):
        raise LessonError("grad_output", f"expected the output's shape {names[len(expected)]} = "
                          f"{shape_text(expected)}, got {shape_text(g.shape)}")
    return g.reshape(output.shape)[None]


def backprop_lesson(fields: dict[str, Any]) -> dict[str, Any]:
    """{input, kernel, bias?, stride?, padding?, dilation?, grad_output} -> output and every gradient, twice.

    ``grad_input``, ``grad_kernel``, ``grad_bias``: ``Conv2D.backward`` (the default, fast path);
    ``course``: the same three from the course's formulas (``impl="loops"``); ``agree``: whether
    the two are equal up to float32 rounding.
    """
    x, single_input = channels(fields.get("input"), "input", MAX_BACKPROP_SIDE, MAX_BACKPROP_CHANNELS)
    W, single = filters(fields.get("kernel"), x.shape[0], MAX_BACKPROP_CHANNELS, MAX_BACKPROP_KERNEL_SIDE)
    b = biases(fields.get("bias"), W.shape[0])
    results = {}
    for impl in ("im2col", "loops"):
        layer = _conv_layer(fields, x, W, b, impl)
        z = layer.forward(x[None], training=True)
        dx = _backward(layer, _gradient(fields.get("grad_output"), z[0], single, "OC"))
        results[impl] = (z[0], dx[0], layer.grads["W"], layer.grads["b"])

    def answer(z: np.ndarray, dx: np.ndarray, dW: np.ndarray, db: np.ndarray) -> dict[str, Any]:
        return {"grad_input": _as_given(dx, single_input), "grad_kernel": (dW[0, 0] if single else dW).tolist(),
                "grad_bias": db.tolist()}

    fast, course = results["im2col"], results["loops"]
    scale = max(float(max(np.abs(a).max() for a in course)), 1.0)
    agree = all(np.allclose(f, c, rtol=0, atol=1e-5 * scale) for f, c in zip(fast, course))
    return {"output": _as_given(fast[0], single), **answer(*fast), "course": answer(*course), "agree": agree}


def pool_lesson(fields: dict[str, Any]) -> dict[str, Any]:
    """{input, mode, size, stride?, grad_output?} -> {output, grad_input?, max_at? | share?}: a pooling layer both ways.

    With grad_output, each output's own route is given too, found by the layer's backward
    pass of that one δ alone: ``max_at`` [row, column] of the input its δ goes to (max), or
    ``share``, the δ / (KH·KW) each input of its window gets (avg).
    """
    x, single = channels(fields.get("input"), "input", MAX_POOL_SIDE)
    mode = fields.get("mode")
    if mode not in ("max", "avg"):
        raise LessonError("mode", f"expected 'max' or 'avg', got {mode!r}")
    size = integer_pair(fields.get("size"), "size", 1, MAX_KERNEL_SIDE)
    stride = integer_pair(fields["stride"], "stride", 1, MAX_STEP) if fields.get("stride") is not None else size
    kind = MaxPool2D if mode == "max" else AvgPool2D
    layer = kind(size, stride, name="lesson")
    try:
        layer.build(x.shape)
    except ValueError as error:  # the window does not fit: the layer's own words, its formula filled in
        raise LessonError("size", str(error)) from None
    y = layer.forward(x[None], training=True)
    C, H, W = x.shape
    OH, OW = y.shape[2:]
    output = _as_given(y[0], single)
    answer: dict[str, Any] = {"output": output, "output_shape": list(np.shape(output))}
    if fields.get("grad_output") is None:
        return answer
    grad = _gradient(fields["grad_output"], y[0], single, "C")
    answer["grad_input"] = _as_given(_backward(layer, grad)[0], single)
    # Each output's δ alone, through the same layer: one copy of the channel per output pixel.
    unit = np.eye(OH * OW, dtype=np.float32).reshape(OH * OW, 1, OH, OW)
    i, j = np.arange(OH)[:, None], np.arange(OW)[None, :]
    routes = []
    for c in range(C):
        alone = kind(size, stride, name="lesson")
        alone.forward(np.repeat(x[None, c:c + 1], OH * OW, axis=0), training=True)
        if mode == "max":  # where a δ of 1 from output (i, j) arrives
            arrived = _backward(alone, unit)[:, 0].reshape(OH * OW, H * W)
            routes.append(np.stack(np.unravel_index(arrived.argmax(axis=1), (H, W)), axis=1).reshape(OH, OW, 2))
        else:  # what the first input of output (i, j)'s window gets of that output's δ
            shares = _backward(alone, unit * grad[0, c].reshape(-1, 1, 1, 1))[:, 0].reshape(OH, OW, H, W)
            routes.append(shares[i, j, i * stride[0], j * stride[1]])
    answer["max_at" if mode == "max" else "share"] = _as_given(np.stack(routes), single)
    return answer


def kernel_lesson(fields: dict[str, Any]) -> dict[str, Any]:
    """{image (H×W or C×H×W, 0..255), kernel (K×K, K odd), pool?, padding?} -> {conv, relu, pool}: step 8's figure.

    The picture is scaled to [0, 1]; the kernel is applied to the mean of its channels
    (``viz.playground.apply_kernels``: one Conv2D filter, W[0, c] = kernel / C), then ReLU,
    then max-pooling pool×pool with stride pool (``viz.playground.conv_relu_pool``).
    """
    from ..viz.playground import conv_relu_pool  # matplotlib's Figure comes with it: imported on first use

    image, _ = channels(fields.get("image"), "image", MAX_IMAGE_SIDE)
    kernel = nested_array(fields.get("kernel"), "kernel", (2,), {2: "K×K"}, {2: (MAX_KERNEL_SIDE, MAX_KERNEL_SIDE)})
    if kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        raise LessonError("kernel", "expected a square kernel of odd side (3×3, 5×5, ...), got "
                          f"{shape_text(kernel.shape)}")
    pool = integer_pair(fields.get("pool", 2), "pool", 1, MAX_STEP)
    padding = integer_pair(fields.get("padding", 0), "padding", 0, MAX_PADDING)
    if pool[0] != pool[1] or padding[0] != padding[1]:
        raise LessonError("pool" if pool[0] != pool[1] else "padding", "expected one integer for both sides")
    C, H, W = image.shape
    K = kernel.shape[0]
    sides = [output_size(n, K, 1, padding[0], padding[0]) for n in (H, W)]
    if min(sides) < pool[0]:
        raise LessonError("kernel", f"the {K}×{K} kernel leaves a {shape_text(sides)} map for the {H}×{W} picture, "
                          f"too small for {pool[0]}×{pool[0]} pooling")
    steps = dict(conv_relu_pool(image / np.float32(255), kernel, pool[0], padding[0]))
    return {name: steps[step][0].tolist() for name, step in (("conv", "conv"), ("relu", "ReLU"), ("pool", "max-pool"))}
