"""A glassnet ``Sequential`` as an ONNX graph, for onnxruntime and viewers such as Netron.

    model.export_onnx("lenet5.onnx", class_names=[str(d) for d in range(10)])
    # or: glassnet export runs/lenet5/model.safetensors --onnx lenet5.onnx

One ONNX node per layer, the layer's own name on it, its weights as initializers named
``<layer>.W``, ``<layer>.b``, ...; the input is ``input`` (N, *input_shape) float32 with
the batch dimension N left free, the output ``output`` (N, *output_shape). What each layer
becomes (opset ``ONNX_OPSET``):

    Dense        Gemm(x, W, b)            W is (in, out) as in Z = X @ W + b, so no transpose
    Conv2D       Conv                     pads, strides, dilations written out; 'same' as the
                                          (top, left, bottom, right) zeros glassnet computed
    MaxPool2D    MaxPool                  floor mode; padding never wins a max (as -inf)
    AvgPool2D    AveragePool              count_include_pad=1: the zeros count in the mean
    BatchNorm    BatchNormalization       inference form: running_mean and running_var
    ReLU, LeakyReLU, Sigmoid, Tanh        Relu, LeakyRelu(alpha), Sigmoid, Tanh
    Softmax      Softmax(axis=-1)         over the scores of each sample
    Dropout      Identity                 inference: y = x
    Flatten      Flatten(axis=1)          (N, C, H, W) -> (N, C·H·W)

The model's ``metadata_props`` hold the glassnet version, the model's name and, when
given, its class names (a JSON list). The ``onnx`` package is imported only here, inside
the functions: ``pip install "glassnet[onnx]"``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..backend import DTYPE
from ..fileio import atomic_path
from ..layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, LeakyReLU, MaxPool2D, ReLU, Sigmoid,
                      Softmax, Tanh)
from ..version import __version__

__all__ = ["ONNX_OPSET", "ONNX_LAYERS", "export_onnx", "to_onnx"]

ONNX_OPSET = 17
"""The ONNX operator set every exported graph declares (onnxruntime 1.13 and later read it)."""

ONNX_LAYERS = ("Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "BatchNorm", "BatchNorm1D", "BatchNorm2D", "ReLU",
               "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "Dropout", "Flatten")
"""The glassnet layers ``to_onnx`` exports: every layer of glassnet.layers."""

MAX_PROTOBUF_BYTES = 2**31 - 2**26
"""An ONNX file is one protobuf message, which holds at most 2 GiB: weights beyond ~1.9 GiB are refused."""

_SIMPLE = {ReLU: "Relu", Sigmoid: "Sigmoid", Tanh: "Tanh", Dropout: "Identity"}


def _import_onnx() -> Any:
    """The onnx package (imported here, never when glassnet loads); an ImportError saying how to install it."""
    try:
        import onnx
    except ImportError as error:
        raise ImportError('ONNX export needs the onnx package: pip install "glassnet[onnx]" (or pip install onnx)') \
            from error
    return onnx


def _layer_node(onnx: Any, layer: Any, name: str, x: str, y: str) -> tuple[Any, list[Any]]:
    """(the node ``name`` computing ``layer`` from tensor ``x`` into ``y``, its initializers); ValueError if unknown."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper

    def weights(*keys: tuple[str, np.ndarray]) -> tuple[list[str], list[Any]]:
        names = [f"{name}.{key}" for key, _ in keys]
        arrays = [numpy_helper.from_array(np.ascontiguousarray(a, dtype=DTYPE), name)
                  for name, (_, a) in zip(names, keys)]
        return names, arrays

    def node(op: str, inputs: list[str], **attributes: Any) -> Any:
        return helper.make_node(op, inputs, [y], name=name, **attributes)

    if isinstance(layer, Dense):
        names, init = weights(("W", layer.params["W"]), ("b", layer.params["b"]))
        return node("Gemm", [x, *names]), init
    if isinstance(layer, (Conv2D, MaxPool2D, AvgPool2D)):
        top, bottom, left, right = layer.pads
        window = {"kernel_shape": list(layer.kernel_size), "strides": list(layer.stride),
                  "pads": [top, left, bottom, right]}
        if isinstance(layer, Conv2D):
            keys = [("W", layer.params["W"])] + ([("b", layer.params["b"])] if layer.use_bias else [])
            names, init = weights(*keys)
            dilation = [int(d) for d in getattr(layer, "dilation", (1, 1))]
            return node("Conv", [x, *names], dilations=dilation, **window), init
        if isinstance(layer, MaxPool2D):
            return node("MaxPool", [x], **window), []
        return node("AveragePool", [x], count_include_pad=1, **window), []
    if isinstance(layer, BatchNorm):
        names, init = weights(("gamma", layer.params["gamma"]), ("beta", layer.params["beta"]),
                              ("running_mean", layer.buffers["running_mean"]),
                              ("running_var", layer.buffers["running_var"]))
        return node("BatchNormalization", [x, *names], epsilon=float(layer.eps)), init
    if isinstance(layer, LeakyReLU):
        return node("LeakyRelu", [x], alpha=float(layer.alpha)), []
    if isinstance(layer, Softmax):
        return node("Softmax", [x], axis=-1), []
    if isinstance(layer, Flatten):
        return node("Flatten", [x], axis=1), []
    for cls, op in _SIMPLE.items():
        if isinstance(layer, cls):
            return node(op, [x]), []
    raise ValueError(f"{layer.describe()}: glassnet has no ONNX form for a {type(layer).__name__} layer "
                     f"(exported: {', '.join(ONNX_LAYERS)})")


def to_onnx(model: Any, class_names: Sequence[str] | None = None, metadata: dict[str, str] | None = None) -> Any:
    """The model as a checked ``onnx.ModelProto``: input (N, *input_shape) float32 -> output (N, *output_shape).

    ``class_names`` (one per output) and ``metadata`` (more string pairs) go into the
    model's ``metadata_props`` beside ``glassnet_version`` and ``model_name``.
    """
    onnx = _import_onnx()
    helper = onnx.helper
    if not model.layers or not model.built:
        raise ValueError(f"model {model.name!r} is not built: give it input_shape=(...) so that its weights exist")
    weight_bytes = sum(a.size * 4 for layer in model.layers for a in (*layer.params.values(), *layer.buffers.values()))
    if weight_bytes > MAX_PROTOBUF_BYTES:
        raise ValueError(f"model {model.name!r} has {weight_bytes / 2**30:.1f} GiB of weights; an ONNX file holds at "
                         "most 2 GiB (one protobuf message), and glassnet does not write ONNX external data")
    outputs = tuple(model.output_shape)
    if class_names is not None:
        class_names = [str(name) for name in class_names]
        if len(outputs) != 1 or len(class_names) != outputs[0]:
            raise ValueError(f"{len(class_names)} class names for model {model.name!r}, whose output per sample is "
                             f"{outputs}: give one name per output")
    nodes, initializers, used = [], [], {"input", "output"}
    x = "input"
    for index, layer in enumerate(model.layers):
        name = layer.name if layer.name not in used else f"{layer.name}_{index}"  # ONNX names are unique
        used.add(name)
        y = "output" if index == len(model.layers) - 1 else name
        node, init = _layer_node(onnx, layer, name, x, y)
        nodes.append(node)
        initializers += init
        x = y
    float32 = onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        nodes, model.name,
        [helper.make_tensor_value_info("input", float32, ["N", *model.input_shape])],
        [helper.make_tensor_value_info("output", float32, ["N", *outputs])],
        initializer=initializers,
        doc_string=f"glassnet Sequential {model.name!r}: {len(model.layers)} layers, N is the batch size")
    opsets = [helper.make_opsetid("", ONNX_OPSET)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="glassnet", producer_version=__version__,
                              doc_string="Exported by glassnet (deep learning in NumPy)")
    proto.ir_version = helper.find_min_ir_version_for(opsets)  # the oldest reader that understands the opset
    props = {"glassnet_version": __version__, "model_name": model.name}
    if class_names is not None:
        props["class_names"] = json.dumps(class_names, ensure_ascii=False)
    props.update({str(k): str(v) for k, v in (metadata or {}).items()})
    helper.set_model_props(proto, props)
    onnx.checker.check_model(proto, full_check=True)  # structure, opset and shape inference
    return proto


def export_onnx(model: Any, path: str | os.PathLike, class_names: Sequence[str] | None = None,
                metadata: dict[str, str] | None = None) -> Path:
    """Write the model to ``path`` as ONNX: input (N, *input_shape) float32 -> output (N, *output_shape); returns path.

    Written atomically: the whole checked file or none. N is any batch size; see ``to_onnx``
    for ``class_names`` and ``metadata``.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    proto = to_onnx(model, class_names, metadata)
    onnx = _import_onnx()
    with atomic_path(path) as tmp:
        onnx.save_model(proto, str(tmp))
    return path
