"""A PyTorch ``state_dict`` in a safetensors file <-> a glassnet ``Sequential``'s weights, never through pickle.

PyTorch names each tensor ``<module>.<tensor>``: ``0.weight`` in an ``nn.Sequential``,
``fc1.bias`` in a module with attributes, ``features.3.running_var`` when nested. The
modules that hold tensors are matched, in order, to the glassnet layers that hold
weights (the others, ReLU, pooling, Flatten, Dropout, hold none on either side):

    glassnet Dense      W (in, out), b        <- Linear     weight (out, in) transposed, bias
    glassnet Conv2D     W (OC, C, KH, KW), b  <- Conv2d     weight, bias (the same layout)
    glassnet BatchNorm  gamma, beta,          <- BatchNorm  weight, bias,
                        running_mean/var                    running_mean/var (num_batches_tracked ignored)

A safetensors file does not keep the order the tensors were written in, so the modules
are taken in the order of their names, numbers compared as numbers (``2`` before ``10``);
``prefixes=[...]`` gives another order. Every name, dtype and shape is checked against
the model from the file's header before a tensor is read, and the model is changed only
when all of them fit.
"""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import safetensors
import safetensors.numpy

from ..backend import DTYPE
from ..fileio import atomic_path
from ..io import FORMAT as GLASSNET_FORMAT
from ..layers import BatchNorm, Conv2D, Dense
from ..safetensors_header import MAX_HEADER_BYTES, read_header
from ..version import __version__

__all__ = ["load_torch_state_dict", "save_torch_state_dict", "set_torch_state", "to_torch_state_dict", "torch_slots",
           "PICKLE_SUFFIXES"]

PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle")
"""File endings PyTorch and friends use for pickles: refused before a byte is read."""

FLOAT_DTYPES = ("F16", "F32", "F64")
COUNTER = "num_batches_tracked"
"""BatchNorm's step counter in PyTorch: glassnet has none, so it is skipped on reading and written as 0."""

Slot = tuple[str, str, str, bool]
"""(PyTorch tensor suffix, 'params' or 'buffers', glassnet key, transposed)."""


def torch_slots(layer: Any) -> list[Slot]:
    """The tensors PyTorch keeps for the module matching ``layer``, in state_dict order; [] for a weightless layer."""
    if isinstance(layer, Dense):
        return [("weight", "params", "W", True), ("bias", "params", "b", False)]
    if isinstance(layer, Conv2D):
        return [("weight", "params", "W", False)] + ([("bias", "params", "b", False)] if layer.use_bias else [])
    if isinstance(layer, BatchNorm):
        return [("weight", "params", "gamma", False), ("bias", "params", "beta", False),
                ("running_mean", "buffers", "running_mean", False), ("running_var", "buffers", "running_var", False)]
    if layer.params or layer.buffers:
        raise ValueError(f"{layer.describe()} has weights {sorted({**layer.params, **layer.buffers})} but no known "
                         "PyTorch counterpart (known: Dense = Linear, Conv2D = Conv2d, BatchNorm = BatchNorm1d/2d)")
    return []


def _natural(prefix: str) -> tuple:
    """Sort key of a module name: '2' before '10', numbers before names at the same depth."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in prefix.split("."))


def _split(name: str) -> tuple[str, str]:
    prefix, _, suffix = name.rpartition(".")
    return prefix, suffix


def _torch_name(prefix: str, suffix: str) -> str:
    return f"{prefix}.{suffix}" if prefix else suffix


def _shape(shape: Sequence[int]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _torch_shape(array: np.ndarray, transposed: bool) -> tuple[int, ...]:
    return tuple(reversed(array.shape)) if transposed else tuple(array.shape)


def _weighted_layers(model: Any) -> list[tuple[int, Any, list[Slot]]]:
    if not model.built:
        raise ValueError(f"model {model.name!r} is not built: give it input_shape=(...) so that its weights exist")
    found = [(index, layer, torch_slots(layer)) for index, layer in enumerate(model.layers)]
    return [item for item in found if item[2]]


def set_torch_state(model: Any, tensors: dict[str, tuple[tuple[int, ...], str]], read: Callable[[str], np.ndarray],
                    source: str, prefixes: Sequence[str] | None = None) -> Any:
    """Copy a state_dict into ``model``: ``tensors`` maps each name to (shape, safetensors dtype), ``read`` gives its array.

    Everything is checked from names, shapes and dtypes alone; the first layer and tensor
    that do not fit raise a ValueError naming both, and the model is left as it was.
    """
    layers = _weighted_layers(model)
    groups: dict[str, dict[str, tuple[tuple[int, ...], str]]] = {}
    for name, entry in tensors.items():
        prefix, suffix = _split(name)
        groups.setdefault(prefix, {})[suffix] = entry
    order = sorted(groups, key=_natural) if prefixes is None else [str(p) for p in prefixes]
    if prefixes is not None:
        unknown = [p for p in order if p not in groups]
        if unknown:
            raise ValueError(f"{source}: prefixes names module {unknown[0]!r}, which holds no tensor (modules with "
                             f"tensors: {', '.join(sorted(groups, key=_natural))})")
        left_out = [p for p in groups if p not in order]
        order += sorted(left_out, key=_natural)  # reported below as modules no layer takes
    count = ""
    if len(order) != len(layers):
        count = (f" (the file has {len(order)} modules with tensors, {', '.join(order)}; the model has "
                 f"{len(layers)} layers with weights, {', '.join(layer.name for _, layer, _ in layers)})")

    def fail(message: str) -> ValueError:
        return ValueError(f"{source} does not fit model {model.name!r}: {message}{count}")

    plan: list[tuple[np.ndarray, str, bool]] = []  # (the model's array, tensor name, transposed)
    for position in range(max(len(order), len(layers))):
        if position >= len(layers):
            prefix = order[position]
            first = _torch_name(prefix, sorted(groups[prefix])[0])
            raise fail(f"module {prefix!r} (tensor {first!r}) has no layer to go to: the model's layers with "
                       "weights are all taken")
        index, layer, slots = layers[position]
        where = f"layer {index}, {layer.describe()}"
        if position >= len(order):
            suffix, store, key, transposed = slots[0]
            shape = _torch_shape(getattr(layer, store)[key], transposed)
            raise fail(f"{where} gets no tensors: the file has no module left for it (expected a tensor "
                       f"'<module>.{suffix}' of shape {_shape(shape)})")
        prefix, group = order[position], groups[order[position]]
        expected = {suffix for suffix, *_ in slots} | ({COUNTER} if isinstance(layer, BatchNorm) else set())
        for suffix in sorted(group, key=lambda s: (s not in expected, s)):
            if suffix not in expected:
                raise fail(f"{where} <- module {prefix!r}: tensor {_torch_name(prefix, suffix)!r} is not one of "
                           f"{type(layer).__name__}'s ({', '.join(s for s, *_ in slots)})")
        for suffix, store, key, transposed in slots:
            name = _torch_name(prefix, suffix)
            target = getattr(layer, store)[key]
            want = _torch_shape(target, transposed)
            if suffix not in group:
                raise fail(f"{where} <- module {prefix!r}: tensor {name!r} of shape {_shape(want)} is missing")
            shape, dtype = group[suffix]
            if tuple(shape) != want:
                layout = " (PyTorch's Linear.weight is (out_features, in_features))" if transposed else ""
                raise fail(f"{where} <- module {prefix!r}: tensor {name!r} has shape {_shape(shape)}; expected "
                           f"{_shape(want)}{layout}")
            if dtype not in FLOAT_DTYPES:
                raise fail(f"{where} <- module {prefix!r}: tensor {name!r} has dtype {dtype}; expected a float "
                           f"({', '.join(FLOAT_DTYPES)})")
            plan.append((target, name, transposed))
    arrays = []
    for _target, name, transposed in plan:
        array = np.asarray(read(name)).astype(DTYPE)
        if not np.isfinite(array).all():
            raise ValueError(f"{source}: tensor {name!r} holds NaN or infinite values; the model was left as it was")
        arrays.append(array.T if transposed else array)
    for (target, _, _), array in zip(plan, arrays):
        np.copyto(target, array)
    return model


def _refuse_pickle(path: Path) -> None:
    """A ValueError with the two lines of PyTorch that re-save a pickle as safetensors; nothing is unpickled."""
    head = b""
    if path.suffix.lower() not in PICKLE_SUFFIXES and path.is_file():
        with open(path, "rb") as handle:
            head = handle.read(9)
    # A safetensors file's JSON header starts at byte 8; its first byte, a length, may well be 0x80.
    pickled = head[8:9] != b"{" and (head.startswith(b"PK\x03\x04") or head[:1] == b"\x80")
    if path.suffix.lower() in PICKLE_SUFFIXES or pickled:
        raise ValueError(
            f"{path} is a PyTorch pickle file, and glassnet never unpickles anything (unpickling runs whatever code "
            f"the file holds). Re-save its weights as safetensors in PyTorch, then use that file:\n"
            f"    import torch, safetensors.torch;\n"
            f"    safetensors.torch.save_file(torch.load({str(path)!r}, weights_only=True), "
            f"{str(path.with_suffix('.safetensors'))!r})\n"
            f"(if the file holds a whole model, not a state_dict, save model.state_dict() instead)")


def _refuse_bfloat16(path: Path) -> None:
    """A ValueError saying how to convert if the file holds bfloat16 tensors (which ``read_header`` calls malformed)."""
    try:
        with open(path, "rb") as handle:
            length = struct.unpack("<Q", handle.read(8))[0]
            header = json.loads(handle.read(length)) if length <= MAX_HEADER_BYTES else {}
        name = next(key for key, entry in header.items() if isinstance(entry, dict) and entry.get("dtype") == "BF16")
    except (OSError, ValueError, struct.error, StopIteration, AttributeError, RecursionError):
        return
    raise ValueError(f"{path}: tensor {name!r} is bfloat16, which NumPy cannot hold; save float32 copies in PyTorch: "
                     "safetensors.torch.save_file({k: v.float() for k, v in net.state_dict().items()}, path)")


def load_torch_state_dict(model: Any, path: str | os.PathLike, prefixes: Sequence[str] | None = None) -> Any:
    """Fill ``model``'s weights from a file of ``safetensors.torch.save_file(module.state_dict(), path)``; returns the model.

    Linear weights (out, in) become Dense W (in, out); conv weights (OC, C, KH, KW) and
    BatchNorm's weight, bias, running_mean and running_var are copied as they are.
    ``prefixes``: the PyTorch module names in the order of the model's layers with weights
    (default: the file's module names in natural order, ``2`` before ``10``).
    """
    path = Path(path)
    _refuse_pickle(path)
    source = f"PyTorch weights {path}"
    try:
        header, metadata = read_header(path)
    except ValueError as error:
        _refuse_bfloat16(path)
        message = str(error).replace("cannot load model file", "cannot read PyTorch weights file").replace(
            "expected a glassnet model written by model.save()",
            "expected a state_dict written by safetensors.torch.save_file()")
        raise ValueError(message) from None
    if metadata.get("format") == GLASSNET_FORMAT:
        raise ValueError(f"{path} is a glassnet model file, not a PyTorch state_dict: load it with "
                         "glassnet.load_model(path)")
    tensors = {name: (tuple(entry["shape"]), entry["dtype"]) for name, entry in header.items()}
    with safetensors.safe_open(str(path), framework="numpy") as handle:
        return set_torch_state(model, tensors, handle.get_tensor, source, prefixes)


def to_torch_state_dict(model: Any, prefixes: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """The model's weights as a PyTorch state_dict {name: array}: Dense W (in, out) written as weight (out, in).

    ``prefixes``: one PyTorch module name per layer with weights (default: the layer's index
    in the model, as the keys of an ``nn.Sequential`` of the same layers).
    """
    layers = _weighted_layers(model)
    if prefixes is None:
        prefixes = [str(index) for index, _, _ in layers]
    prefixes = [str(p) for p in prefixes]
    if len(prefixes) != len(layers):
        raise ValueError(f"prefixes has {len(prefixes)} names; model {model.name!r} has {len(layers)} layers with "
                         f"weights ({', '.join(layer.name for _, layer, _ in layers)})")
    if len(set(prefixes)) != len(prefixes):
        raise ValueError(f"prefixes must be distinct module names; got {prefixes}")
    state: dict[str, np.ndarray] = {}
    for prefix, (_, layer, slots) in zip(prefixes, layers):
        for suffix, store, key, transposed in slots:
            array = getattr(layer, store)[key]
            state[_torch_name(prefix, suffix)] = np.ascontiguousarray(array.T if transposed else array)
        if isinstance(layer, BatchNorm):
            state[_torch_name(prefix, COUNTER)] = np.zeros((), dtype=np.int64)
    return state


def save_torch_state_dict(model: Any, path: str | os.PathLike, prefixes: Sequence[str] | None = None) -> None:
    """Write the model's weights as a state_dict PyTorch reads: ``load_state_dict(safetensors.torch.load_file(path))``.

    Keys are ``<prefix>.weight`` etc., the prefix one per layer with weights (default: the
    layer's index, as in an ``nn.Sequential`` of the same layers). Written atomically.
    """
    path = Path(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ValueError(f"{path}: glassnet writes safetensors, never a pickle; name the file *.safetensors")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
    state = to_torch_state_dict(model, prefixes)
    with atomic_path(path) as tmp:
        safetensors.numpy.save_file(state, str(tmp), metadata={"format": "pt", "written_by": f"glassnet {__version__}"})
