"""Figures of the course, drawn headlessly with matplotlib (PNG files, or inline in a notebook).

Every ``plot_*`` function takes plain arrays (or a model where the figure is about
one), returns a matplotlib ``Figure`` and, given ``path=``, also writes it as a PNG
(atomically). Nothing here opens a window or changes what it is given.

matplotlib is imported on first use, so ``import glassnet`` stays fast.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "plot_samples": "samples",
    "image_as_numbers": "samples",
    "plot_image_as_numbers": "samples",
    "CLASSIC_KERNELS": "playground",
    "apply_kernels": "playground",
    "plot_kernel_playground": "playground",
    "conv_relu_pool": "playground",
    "plot_conv_relu_pool": "playground",
    "test_picture": "picture",
    "plot_kernels": "learned",
    "plot_first_layer_kernels": "learned",
    "plot_feature_maps": "learned",
    "first_conv_layer": "learned",
    "load_history": "curves",
    "plot_history": "curves",
    "plot_confusion_matrix": "evaluation",
    "plot_per_class_accuracy": "evaluation",
    "plot_predictions": "evaluation",
    "plot_probabilities": "evaluation",
    "plot_regression": "regression",
    "write_training_figures": "training",
    "plot_architecture": "concepts",
    "architecture_blocks": "concepts",
    "plot_one_hot": "concepts",
    "plot_gradient_descent": "concepts",
    "gradient_descent_path": "concepts",
    "plot_what_the_computer_sees": "flattening",
    "plot_shift_experiment": "shift",
    "shift_accuracies": "shift",
    "save_png": "_figure",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'glassnet.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
