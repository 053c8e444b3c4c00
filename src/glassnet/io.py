"""Saving and loading models: one .safetensors file, no pickle, written atomically.

The file is a plain safetensors file (https://github.com/huggingface/safetensors):

* tensors ``params/<i>.<key>`` (layer i's weights, e.g. ``params/0.W``),
  ``buffers/<i>.<key>`` (BatchNorm's running statistics) and, optionally,
  ``optimizer/<state>/<i>.<key>`` (Adam's moments and step counts);
* string metadata: ``format`` = "glassnet-model", ``format_version``,
  ``glassnet_version``, ``architecture`` (JSON: layer class names and their
  ``get_config()``, input shape, seed), ``compile`` (JSON: optimizer and loss
  configs, metric names), ``training`` (JSON: epochs trained), ``user`` (JSON: the caller's
  extra facts, e.g. class names and dataset) and ``checksum``
  (SHA-256 over every tensor, so flipped bits in the weights are caught).

Loading reads JSON and raw arrays only: layer classes are looked up by name in
``glassnet.layers.LAYER_CLASSES`` and never imported from a name in the file; the model
class likewise in ``MODEL_CLASSES``, which ``glassnet.model`` fills with ``register_model``
(``Sequential``, the class of every file, whose architecture names no class).
Everything is checked (header, checksum, architecture, every tensor's shape)
before the model is returned, and each problem is a ``ValueError`` naming the file
and what was expected. Sizes are checked before anything is allocated: the tensors
the header declares must fill the file exactly, the architecture may have at most
``MAX_LAYERS`` layers within the size limits of ``glassnet.layers.base``, and every
weight it declares must be a tensor of the same shape in the file. So loading a
file never needs much more memory than the file's size, whatever its header says.
Weights that are NaN or infinite are refused, on saving as on loading.

Saving writes to a temporary file in the same folder, flushes it to disk and
renames it over the target (``os.replace`` is atomic), so a crash mid-save leaves
the previous file intact.

This module never imports the model: ``Sequential.save`` calls ``save_model``, which reads
the model only through its methods, and ``load_model`` builds the registered class. The
header checks are in ``safetensors_header``, the shape arithmetic in ``architecture``.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

from . import losses as losses_module
from . import metrics as metrics_module
from . import optimizers as optimizers_module
from .architecture import dry_run
from .backend import DTYPE
from .fileio import atomic_path
from .layers.base import LAYER_CLASSES
from .safetensors_header import DTYPES, MAX_HEADER_BYTES, read_header
from .safetensors_header import bad_file as _bad
from .version import __version__

__all__ = ["save_model", "load_model", "read_metadata", "read_header", "register_model", "MODEL_CLASSES",
           "FORMAT", "FORMAT_VERSION", "MAX_HEADER_BYTES", "MAX_LAYERS"]

FORMAT = "glassnet-model"
FORMAT_VERSION = 1
MAX_LAYERS = 10_000
"""Most layers a model file may declare: 250 times VGG-16's 39 and more than ResNet-1001's ~3,000.

Each layer is a Python object of a few kB, built before its weights are read, so
without a limit a 100 MB header could ask for millions of them.
"""

_write_file = safetensors.numpy.save_file
"""The function that writes the bytes (a seam: tests make it fail halfway to check atomicity)."""

_OPTIMIZER_CLASSES = {cls.__name__: cls for cls in optimizers_module.OPTIMIZERS.values()}

MODEL_CLASSES: dict[str, type] = {}
"""Model classes by name, filled by ``register_model``; ``load_model`` builds the one a file names."""


def register_model(cls: type) -> type:
    """Class decorator: make a model class known to ``load_model`` by its name (as layers are by ``register``)."""
    MODEL_CLASSES[cls.__name__] = cls
    return cls


# ---------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------
def _checksum(tensors: dict[str, np.ndarray]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes() if array.ndim == 0 else array.data.cast("B"))
    return digest.hexdigest()


def _compile_config(model: Any) -> dict[str, Any] | None:
    if not model.compiled:
        return None
    known = []
    for name, fn in model.metrics:
        if metrics_module.METRICS.get(name) is fn:
            known.append(name)
        else:
            warnings.warn(f"metric {name!r} is a custom function; it is not saved with the model", stacklevel=3)
    return {
        "optimizer": {"class_name": type(model.optimizer).__name__, "config": model.optimizer.get_config()},
        "loss": {"class_name": type(model.loss).__name__, "config": model.loss.get_config()},
        "metrics": known,
        "fuse_softmax": bool(model.fuse_softmax),
    }


def save_model(model: Any, path: str | os.PathLike, include_optimizer: bool = True,
               metadata: dict[str, Any] | None = None) -> None:
    """Write weights, architecture, compile settings and (optionally) optimizer state to one file, atomically.

    ``metadata``: extra JSON-safe facts (e.g. class_names, dataset) kept under ``user``,
    read back as ``read_metadata(path)["user"]``.
    """
    model._require_built("save_model")
    if metadata is not None and not isinstance(metadata, dict):
        raise ValueError(f"save_model: metadata must be a dict of JSON-safe values, got {type(metadata).__name__}")
    try:
        user = json.dumps(metadata or {}, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"save_model: metadata must be JSON-safe (str, numbers, lists, dicts): {error}") from None
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot save model to {path}: folder {path.parent} does not exist")
    for index, layer in enumerate(model.layers):
        for key, array in {**layer.params, **layer.buffers}.items():
            problem = _non_finite(array)
            if problem:
                left = f"; {path} is left as it was" if path.exists() else ""
                raise ValueError(f"cannot save model to {path}: {layer.describe()} (layer {index}) weight {key!r} "
                                 f"holds {problem}, so the model cannot predict anything (did training diverge? "
                                 f"try a smaller learning rate); nothing was written{left}")
    tensors: dict[str, np.ndarray] = {}
    for name, array in model.named_params().items():
        tensors[f"params/{name}"] = np.ascontiguousarray(array)
    for name, array in model.named_buffers().items():
        tensors[f"buffers/{name}"] = np.ascontiguousarray(array)
    if include_optimizer and model.optimizer is not None:
        for name, array in model.optimizer.state_dict().items():
            tensors[f"optimizer/{name}"] = np.ascontiguousarray(array)
    header = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "glassnet_version": __version__,
        "architecture": json.dumps(model.get_config()),
        "compile": json.dumps(_compile_config(model)),
        "training": json.dumps({"epochs_trained": int(model.epochs_trained),
                                "optimizer_state": bool(include_optimizer and model.optimizer is not None)}),
        "checksum": _checksum(tensors),
        "user": user,
    }
    _atomic_save(tensors, header, path)


def _non_finite(array: np.ndarray) -> str | None:
    """'2 NaN and 1 infinite values (of 30)' if the array (any shape) holds any, else None."""
    # min and max are NaN if any value is, and ±inf if any value is: no temporary array of
    # flags, which for a big layer would cost a quarter of its size.
    if array.size == 0 or (math.isfinite(array.min()) and math.isfinite(array.max())):
        return None
    nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    return f"{nan:,} NaN and {inf:,} infinite values (of {array.size:,})"


def _atomic_save(tensors: dict[str, np.ndarray], metadata: dict[str, str], path: Path) -> None:
    """Write to a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    with atomic_path(path) as tmp:
        _write_file(tensors, str(tmp), metadata=metadata)


# ---------------------------------------------------------------------------------
# Reading and checking
# ---------------------------------------------------------------------------------
def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The glassnet metadata of a model file (architecture, compile, training as parsed JSON)."""
    path = Path(path)
    _, metadata = read_header(path)
    return _parse_metadata(path, metadata)


def _parse_metadata(path: Path, metadata: dict[str, str]) -> dict[str, Any]:
    if metadata.get("format") != FORMAT:
        raise _bad(path, f"it is a safetensors file but not a glassnet model (metadata format is "
                         f"{metadata.get('format')!r}; expected {FORMAT!r}): weights from another library need "
                         "a model built in code and set_weights()")
    try:
        version = int(metadata.get("format_version", ""))
    except ValueError:
        raise _bad(path, f"format_version {metadata.get('format_version')!r} is not a number") from None
    if version > FORMAT_VERSION:
        raise _bad(path, f"it uses format version {version}, newer than this glassnet "
                         f"reads ({FORMAT_VERSION}); upgrade glassnet")
    parsed: dict[str, Any] = {"format_version": version, "glassnet_version": metadata.get("glassnet_version")}
    for key in ("architecture", "compile", "training", "user"):
        try:
            parsed[key] = json.loads(metadata.get(key, "null"))
        except (ValueError, RecursionError):
            raise _bad(path, f"its {key!r} metadata is not valid JSON (corrupted header)") from None
    if "checksum" not in metadata:
        raise _bad(path, "its metadata has no checksum (corrupted header)")
    parsed["checksum"] = metadata["checksum"]
    return parsed


def _build_model(path: Path, architecture: Any, header: dict[str, Any]):
    """A model (``Sequential``) from the architecture JSON, using only the registered model and layer classes.

    Nothing big is allocated before the sizes the architecture declares are checked
    against the limits and against the tensors in the file's ``header`` (``_check_declared_sizes``).
    """
    if not isinstance(architecture, dict) or not isinstance(architecture.get("layers"), list):
        raise _bad(path, "its architecture is not {'layers': [...], ...}")
    if len(architecture["layers"]) > MAX_LAYERS:
        raise _bad(path, f"its architecture declares {len(architecture['layers']):,} layers; the limit is "
                         f"{MAX_LAYERS:,} (glassnet.io.MAX_LAYERS)")
    layers = []
    for index, item in enumerate(architecture["layers"]):
        if not (isinstance(item, dict) and isinstance(item.get("class_name"), str)
                and isinstance(item.get("config"), dict)):
            raise _bad(path, f"layer {index} of the architecture is not {{'class_name': ..., 'config': {{...}}}}")
        cls = LAYER_CLASSES.get(item["class_name"])
        if cls is None:
            raise _bad(path, f"layer {index} has class {item['class_name']!r}, which glassnet does not know "
                             f"(known: {sorted(LAYER_CLASSES)}); glassnet never imports classes named in a file")
        try:
            layers.append(cls.from_config(dict(item["config"])))
        except (TypeError, ValueError) as error:
            raise _bad(path, f"layer {index} ({item['class_name']}) has a bad config {item['config']}: {error}") from None
    input_shape = architecture.get("input_shape")
    if not (isinstance(input_shape, list) and input_shape and all(isinstance(d, int) and d > 0 for d in input_shape)):
        raise _bad(path, f"its architecture has input_shape {input_shape!r}; expected a list of positive ints")
    seed = architecture.get("seed")
    if seed is not None and not (isinstance(seed, int) and 0 <= seed < 2**64):
        raise _bad(path, f"its architecture has seed {seed!r}; expected a non-negative int")
    class_name = architecture.get("class_name", "Sequential")
    model_class = MODEL_CLASSES.get(class_name) if isinstance(class_name, str) else None
    if model_class is None:
        raise _bad(path, f"its architecture names the model class {class_name!r}, which glassnet does not know "
                         f"(known: {sorted(MODEL_CLASSES)})")
    name = architecture.get("name")
    _check_declared_sizes(path, layers, tuple(input_shape), header)
    try:
        return model_class(layers, input_shape=tuple(input_shape), seed=seed,
                           name=name if isinstance(name, str) else None)
    except (TypeError, ValueError) as error:
        raise _bad(path, f"its architecture does not fit together: {error}") from None


def _check_declared_sizes(path: Path, layers: list, input_shape: tuple[int, ...], header: dict[str, Any]) -> None:
    """Check, by shape arithmetic alone, the layers' sizes against the limits and their weights against the file.

    Every weight the architecture needs must be a float tensor of the same shape in the
    file, and the file may hold no other weights. ``read_header`` has checked that
    those tensors' bytes are in the file, so building the model then allocates about
    what the file holds, however large the architecture claims to be.
    """
    try:
        dry_run(layers, input_shape)  # shapes fit, each layer and the model within the size limits
    except ValueError as error:
        raise _bad(path, f"its architecture cannot be built: {error}") from None
    needed: dict[str, tuple[int, str, tuple[int, ...]]] = {}  # tensor name -> (layer index, key, shape)
    shape = input_shape
    for index, layer in enumerate(layers):
        for kind, shapes in (("params", layer.param_shapes(shape)), ("buffers", layer.buffer_shapes(shape))):
            for key, weight_shape in shapes.items():
                needed[f"{kind}/{index}.{key}"] = (index, key, tuple(weight_shape))
        shape = layer.compute_output_shape(shape)
    missing = [name for name in needed if name not in header]
    if missing:
        index, key, _ = needed[missing[0]]
        raise _bad(path, f"it has no tensor {missing[0]!r} ({layers[index].describe()} {key!r}), which its "
                         f"architecture needs ({len(missing)} missing)")
    extra = sorted(name for name in header if name.startswith(("params/", "buffers/")) and name not in needed)
    if extra:
        raise _bad(path, f"it holds tensor {extra[0]!r}, which no layer of its architecture has "
                         "(weights that do not match the architecture)")
    for name, (index, key, weight_shape) in needed.items():
        entry = header[name]
        if tuple(entry["shape"]) != weight_shape:
            raise _bad(path, f"{layers[index].describe()} (layer {index}) weight {key!r} has shape "
                             f"{tuple(entry['shape'])} in the file, but the architecture needs {weight_shape}")
        dtype = np.dtype(DTYPES[entry["dtype"]])
        if not np.issubdtype(dtype, np.floating):
            raise _bad(path, f"{layers[index].describe()} weight {key!r} has dtype {dtype}; expected float32")


def _compile_objects(path: Path, config: Any):
    """(optimizer, loss, metric names, fuse_softmax) from the compile JSON, or None if none or unknown classes."""
    if config is None:
        return None
    try:
        opt_cfg, loss_cfg, metric_names = config["optimizer"], config["loss"], list(config.get("metrics", []))
        opt_cls = _OPTIMIZER_CLASSES.get(opt_cfg["class_name"])
        loss_cls = losses_module.LOSS_CLASSES.get(loss_cfg["class_name"])
        if opt_cls is None or loss_cls is None:
            warnings.warn(f"{path}: optimizer {opt_cfg['class_name']!r} or loss {loss_cfg['class_name']!r} is not "
                          "a glassnet class; the model is loaded uncompiled", stacklevel=3)
            return None
        optimizer = opt_cls.from_config(dict(opt_cfg["config"]))
        loss = loss_cls.from_config(dict(loss_cfg["config"]))
        metric_names = [m for m in metric_names if isinstance(m, str) and m in metrics_module.METRICS]
        fuse_softmax = config.get("fuse_softmax", True)  # files written before the switch existed fused
        if not isinstance(fuse_softmax, bool):
            raise ValueError(f"fuse_softmax is {fuse_softmax!r}; expected true or false")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _bad(path, f"its compile settings are malformed ({type(error).__name__}: {error})") from None
    return optimizer, loss, metric_names, fuse_softmax


def load_model(path: str | os.PathLike, compile: bool = True):
    """Rebuild a model saved by ``save_model``: architecture, weights, and (if saved) compile + optimizer state."""
    path = Path(path)
    header, raw_metadata = read_header(path)
    meta = _parse_metadata(path, raw_metadata)
    model = _build_model(path, meta["architecture"], header)

    try:
        tensors = safetensors.numpy.load_file(str(path))
    except Exception as error:  # safetensors raises its own error types
        raise _bad(path, f"safetensors could not read it ({error}); the file is corrupted") from None
    if _checksum(tensors) != meta["checksum"]:
        raise _bad(path, "the checksum of its tensors does not match the one recorded when it was saved: "
                         "the file is corrupted")

    # _build_model checked that the file has exactly these tensors, with these shapes.
    slots: dict[str, tuple[dict[str, np.ndarray], str]] = {}
    for index, layer in enumerate(model.layers):
        for kind, store in (("params", layer.params), ("buffers", layer.buffers)):
            for key in store:
                name = f"{kind}/{index}.{key}"
                problem = _non_finite(tensors[name])
                if problem:
                    raise _bad(path, f"{layer.describe()} (layer {index}) weight {key!r} (tensor {name!r}) holds "
                                     f"{problem}; a model with non-finite weights cannot predict anything "
                                     "(was it saved after training diverged?)")
                slots[name] = (store, key)

    compiled = _compile_objects(path, meta["compile"]) if compile else None
    optimizer_state = {name[len("optimizer/"):]: array for name, array in tensors.items()
                       if name.startswith("optimizer/")}
    unknown = [name for name in tensors if not name.startswith(("params/", "buffers/", "optimizer/"))]
    if unknown:
        raise _bad(path, f"it holds tensor {unknown[0]!r}, which is not a glassnet weight or optimizer state")
    params = model.named_params()
    for flat_key, array in optimizer_state.items():
        state_name, _, param_key = flat_key.partition("/")
        if param_key not in params:
            raise _bad(path, f"optimizer state {flat_key!r} refers to parameter {param_key!r}, which the "
                             "architecture does not have")
        if state_name != "step" and array.shape != params[param_key].shape:
            raise _bad(path, f"optimizer state {flat_key!r} has shape {array.shape}; parameter {param_key!r} "
                             f"has shape {params[param_key].shape}")

    training = meta["training"] if isinstance(meta["training"], dict) else {}
    epochs_trained = training.get("epochs_trained", 0)
    if not (isinstance(epochs_trained, int) and epochs_trained >= 0):
        raise _bad(path, f"its epochs_trained {epochs_trained!r} is not a non-negative int")

    # All checks passed: fill the model.
    for name, (store, key) in slots.items():
        np.copyto(store[key], tensors[name].astype(DTYPE, copy=False))
    model.epochs_trained = epochs_trained
    if compiled is not None:
        optimizer, loss, metric_names, fuse_softmax = compiled
        try:
            model.compile(optimizer, loss, metric_names, fuse_softmax=fuse_softmax)
            if optimizer_state:
                optimizer.load_state_dict(optimizer_state)
        except (TypeError, ValueError) as error:
            raise _bad(path, f"its compile settings do not fit the model: {error}") from None
    return model
