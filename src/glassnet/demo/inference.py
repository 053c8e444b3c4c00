"""The demo's view of a model: what it is (``describe``) and what it does with a drawing (``run``).

``style_for`` / ``framing_for`` say how a dataset's images were framed; ``glassnet predict``
and ``glassnet viz`` frame image files with them too.

Nothing here knows about HTTP: ``DemoModel.run`` takes a grid of ink values and returns
a JSON-ready dict, so it can be tested and timed on its own (see
benchmarks/bench_demo_latency.py).
"""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np

from ..data import dataset_key
from ..data.images import Framing
from ..layers.activations import softmax
from .encode import encode_maps
from .preprocess import MNIST_STYLE, STYLES, Style, blank_reason, image_size, preprocess_drawing, to_model_input

NOT_SCORES = {
    "Sigmoid": "independent values in (0, 1), one per output",
    "Tanh": "values in (-1, 1)",
    "ReLU": "values clipped at 0",
    "LeakyReLU": "rectified values",
}
"""Last layers whose outputs are neither class scores (logits) nor class probabilities."""
NOT_CLASSIFICATION_LOSSES = {"MeanSquaredError": "mean squared error (a regression)",
                             "BinaryCrossEntropy": "binary cross-entropy (independent yes/no outputs)"}
"""Losses a model file may record that say its outputs are not one probability per class."""
CLASSIFIERS_ONLY = "the demo shows classifiers (a probability for each of at least 2 classes)"


def style_for(dataset: str | None) -> Style:
    """How the images of ``dataset`` (any spelling of a registered name) were framed; MNIST's for any other."""
    try:
        return STYLES.get(dataset_key(dataset or ""), MNIST_STYLE)
    except ValueError:
        return MNIST_STYLE


def framing_for(dataset: str | None, size: tuple[int, int]) -> Framing:
    """A framing of gray (H, W) images in [0, 1] to ``size`` (height, width) as ``dataset``'s images were made."""
    style = style_for(dataset)

    def frame(image: np.ndarray) -> tuple[np.ndarray, str]:
        return preprocess_drawing(image, size, style=style, max_value=1.0), style.describe(size)

    return frame


def classifier_problem(model: Any, loss: str | None = None) -> str | None:
    """Why ``model`` (trained with the loss class named ``loss``) is not a K >= 2 class classifier, or None."""
    last = list(model.layers)[-1]
    shape = tuple(last.output_shape)
    if len(shape) != 1:
        return f"its last layer, {last.describe()}, outputs per-sample shape {shape}; expected class scores (K,)"
    if shape[0] < 2:
        return (f"it has {shape[0]} output, and a classifier needs a score for each of at least 2 classes (a model "
                f"with one sigmoid output would be shown as a single class at 100 %; give it Dense(2) and "
                f"cross-entropy)")
    kind = type(last).__name__
    if kind in NOT_SCORES:
        return f"its last layer is {kind}, whose outputs are {NOT_SCORES[kind]}: not class scores (Dense) or " \
               f"probabilities (Softmax)"
    if loss in NOT_CLASSIFICATION_LOSSES:
        return f"it was trained with {NOT_CLASSIFICATION_LOSSES[loss]}, so its outputs are not class probabilities"
    return None


def _window(layer: Any, input_shape: tuple[int, ...]) -> dict[str, list[int]] | None:
    """For a conv or pooling layer: its window {kernel, stride, pad (top, left)} (and dilation if not 1); else None."""
    config = layer.get_config()
    if "kernel_size" not in config and "pool_size" not in config:
        return None
    from ..backend import pair
    from ..ops.shapes import resolve_padding

    kernel = pair(config.get("kernel_size", config.get("pool_size")), "kernel_size")
    stride = pair(config.get("stride", config.get("strides")) or kernel, "stride")
    padding = config.get("padding", 0)
    dilation = pair(config.get("dilation", 1), "dilation")
    top, _, left, _ = resolve_padding(padding, kernel, stride, (int(input_shape[-2]), int(input_shape[-1])), dilation)
    window = {"kernel": list(kernel), "stride": list(stride), "pad": [top, left]}
    return window if dilation == (1, 1) else {**window, "dilation": list(dilation)}


class DemoModel:
    """A built glassnet image classifier, its class names, and the steps from drawing to activations."""

    def __init__(
        self, model: Any, class_names: Sequence[str] | None = None, name: str = "model", style: Style = MNIST_STYLE
    ):
        self.model = model
        self.name = name
        self.style = style
        layers = list(model.layers)
        if not layers or not all(layer.built for layer in layers):
            raise ValueError(f"the demo needs a built model (every layer's shapes known); '{name}' is not built")
        self.input_shape: tuple[int, ...] = tuple(int(d) for d in layers[0].input_shape)
        self.image_size = image_size(self.input_shape)
        compiled_loss = getattr(model, "loss", None)
        problem = classifier_problem(model, type(compiled_loss).__name__ if compiled_loss is not None else None)
        if problem is not None:
            raise ValueError(f"{CLASSIFIERS_ONLY}, and '{name}' is not one: {problem}")
        num_classes = int(layers[-1].output_shape[0])
        names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(num_classes)]
        if len(names) != num_classes:
            raise ValueError(f"'{name}' has {num_classes} outputs but {len(names)} class names were given: {names}")
        self.class_names = names
        self.ends_with_softmax = type(layers[-1]).__name__ == "Softmax"

    @property
    def layers(self) -> list[Any]:
        """The model's layers, in order."""
        return list(self.model.layers)

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary: name, input shape, class names, every layer (and every conv layer's kernels)."""
        layers = []
        shape = self.input_shape
        for layer in self.layers:
            info: dict[str, Any] = {
                "name": layer.name,
                "type": type(layer).__name__,
                "input_shape": list(shape),
                "output_shape": [int(d) for d in layer.output_shape],
                "parameters": layer.count_params(),
            }
            window = _window(layer, shape)
            if window is not None:
                info["window"] = window
            weights = layer.params.get("W")
            if weights is not None and weights.ndim == 4:
                # (OC, C, KH, KW): one map per (out, in) pair, each scaled on its own.
                oc, c, kh, kw = weights.shape
                info["kernels"] = encode_maps(weights.reshape(oc * c, kh, kw))
                info["kernels"]["shape"] = [oc, c, kh, kw]
            layers.append(info)
            shape = tuple(int(d) for d in layer.output_shape)
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "image_size": list(self.image_size),
            "classes": self.class_names,
            "preprocessing": self.style.describe(self.image_size),
            "parameters": int(sum(layer.count_params() for layer in self.layers)),
            "layers": layers,
        }

    def forward(self, image: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """(H, W) preprocessed image -> (probabilities (K,), every layer's output for this one sample)."""
        outputs = self.model.activations(to_model_input(image, self.input_shape))
        scores = outputs[-1][0]
        probabilities = scores if self.ends_with_softmax else softmax(scores[None, :])[0]
        return probabilities, [out[0] for out in outputs]

    def run(self, pixels: np.ndarray, with_activations: bool = True) -> dict[str, Any]:
        """(H, W) ink values in [0, 255] -> JSON-ready prediction, preprocessed input and activations.

        A blank drawing (``blank_reason``) gets ``empty``, a ``notice`` saying why, and no
        ``prediction``; the network's output on it is still returned, for the page to show.
        """
        start = time.perf_counter()
        blank = blank_reason(pixels)
        image = preprocess_drawing(pixels, self.image_size, style=self.style)
        preprocessed = time.perf_counter()
        probabilities, outputs = self.forward(image)
        result: dict[str, Any] = {"empty": blank is not None}
        if blank is None:
            best = int(np.argmax(probabilities))
            result["prediction"] = {
                "index": best,
                "label": self.class_names[best],
                "probability": float(probabilities[best]),
            }
        else:
            result["notice"] = f"{blank}: there is nothing to recognise, so no prediction is made"
        result["probabilities"] = [float(p) for p in probabilities]
        result["input"] = encode_maps(image[None], value_range=(0.0, 1.0))
        if with_activations:
            result["activations"] = [
                {"layer": layer.name, "type": type(layer).__name__, **encode_maps(out)}
                for layer, out in zip(self.layers, outputs)
            ]
        done = time.perf_counter()
        result["timing_ms"] = {
            "preprocess": round((preprocessed - start) * 1e3, 3),
            "model_and_encoding": round((done - preprocessed) * 1e3, 3),
        }
        return result
