"""The named models of the course, each a function returning an uncompiled ``Sequential``.

Convention: every classifier here ends with a Dense layer of ``num_classes`` raw
scores (logits), not with Softmax, and is trained with the loss ``'cross_entropy'``
(softmax and log fused, as PyTorch's ``nn.CrossEntropyLoss``: stable for any logit).
``model.predict`` therefore returns logits; ``glassnet.layers.activations.softmax``
turns them into probabilities. The regression model ends with one linear neuron and
uses ``'mse'``. Where the course's code put a ReLU after the last layer (its
``Perceptron`` and ``LeNet``), it is left out here: a ReLU on logits clips every
negative score to 0 and only slows training down.

The builders live in ``networks`` (MLPs, LeNet-5, the step-8 nets) and ``vgg`` (the
VGG family). ``MODELS`` maps each name to a ``ModelSpec``: the builder, the dataset it
was made for, a one-line description, and the ``Training`` settings ``glassnet train``
uses by default.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from .. import optimizers
from ..callbacks import Callback, LearningRateScheduler
from ..model import Sequential
from .networks import (
    CIFAR_SHAPE,
    MNIST_SHAPE,
    Shape,
    cifar_net,
    color_cnn,
    color_dnn,
    fashion_cnn,
    LESSON_PRICES,
    LESSON_ROOMS,
    lenet5,
    linear_regression,
    predicted_prices,
    price_lines,
    mlp,
    mlp_keras,
    mnist_cnn,
    perceptron,
    shape_cnn,
)
from .vgg import IMAGENET_SHAPE, VGG16_CONFIG, VGG_REPORT_CONFIG, vgg16, vgg16_imagenet, vgg_features, vgg_report

if TYPE_CHECKING:
    from ..data import Augment

__all__ = [
    "MODELS",
    "ModelSpec",
    "Training",
    "build",
    "get_spec",
    "perceptron",
    "mlp",
    "mlp_keras",
    "linear_regression",
    "LESSON_ROOMS",
    "LESSON_PRICES",
    "predicted_prices",
    "price_lines",
    "COURSE_TRAINING",
    "lenet5",
    "color_dnn",
    "color_cnn",
    "shape_cnn",
    "mnist_cnn",
    "fashion_cnn",
    "cifar_net",
    "vgg_report",
    "vgg16",
    "vgg16_imagenet",
    "vgg_features",
    "VGG_REPORT_CONFIG",
    "VGG16_CONFIG",
    "MNIST_SHAPE",
    "CIFAR_SHAPE",
    "IMAGENET_SHAPE",
]


# ---------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------
def cosine_schedule(base_lr: float, epochs: int) -> Callable[[int, float], float]:
    """lr at the start of epoch e (0-based): base_lr · (1 + cos(π·e / epochs)) / 2, from base_lr down towards 0."""
    def schedule(epoch: int, lr: float) -> float:
        return base_lr * 0.5 * (1.0 + math.cos(math.pi * epoch / max(epochs, 1)))
    return schedule


SCHEDULES = ("constant", "cosine")
"""Learning-rate schedules a ``Training`` can name."""


@dataclass(frozen=True)
class Training:
    """The default training settings of a zoo model (what ``glassnet train`` uses).

    ``schedule`` is 'constant' or 'cosine' (the rate falls from ``lr`` towards 0 along
    half a cosine over the run, set at the start of each epoch). ``optimizer_options``
    are further hyper-parameters of that optimizer, e.g. ``(("alpha", 0.9), ("eps", 1e-7))``
    for Keras's RMSprop. ``augment`` holds ``glassnet.data.Augment`` arguments for the
    training batches, e.g. ``(("flip", True), ("rotate", 180))``; empty means none.
    ``features`` names the dataset's columns the model reads, e.g. ``("RM",)``; empty means all.
    """

    optimizer: str = "adam"
    lr: float = 1e-3
    epochs: int = 5
    batch_size: int = 64
    loss: str = "cross_entropy"
    metrics: tuple[str, ...] = ("accuracy",)
    validation_split: float = 0.0
    schedule: str = "constant"
    optimizer_options: tuple[tuple[str, float], ...] = ()
    augment: tuple[tuple[str, Any], ...] = ()
    features: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; expected one of {SCHEDULES}")

    def make_optimizer(self, name: str | None = None, lr: float | None = None) -> optimizers.Optimizer:
        """The optimizer (its options apply only when ``name`` is this training's own optimizer)."""
        name = self.optimizer if name is None else name
        options = dict(self.optimizer_options) if name == self.optimizer else {}
        return optimizers.get(name, lr=self.lr if lr is None else lr, **options)

    def make_augment(self, seed: int | None = None) -> Augment | None:
        """The augmentation of the training batches (a seeded ``glassnet.data.Augment``), or None."""
        if not self.augment:
            return None
        from ..data import Augment  # the zoo itself needs no data module

        return Augment(**dict(self.augment), seed=seed)

    def make_callbacks(self, epochs: int | None = None, lr: float | None = None) -> list[Callback]:
        """The callbacks that carry out ``schedule`` over ``epochs`` epochs from rate ``lr`` (defaults: these settings')."""
        if self.schedule == "constant":
            return []
        epochs = self.epochs if epochs is None else epochs
        return [LearningRateScheduler(cosine_schedule(self.lr if lr is None else lr, epochs))]


KERAS_RMSPROP: tuple[tuple[str, float], ...] = (("alpha", 0.9), ("eps", 1e-7))
"""Keras's RMSprop defaults (rho 0.9, epsilon 1e-7), as the Keras lessons trained with."""

LINEAR_REGRESSION_LESSON = Training("rmsprop", 5e-3, 101, 16, loss="mse", metrics=("mae",), validation_split=0.3,
                                    optimizer_options=KERAS_RMSPROP, features=("RM",))
"""The Keras lesson's Boston run: RMSprop 0.005, 101 epochs, batch 16, validation_split 0.3, one feature (RM)."""

SYNTHETIC_DATASETS = ("colors", "shapes", "shape_colors")
"""The generated datasets (5,000 training images each): small, so a model needs more epochs on them."""

SYNTHETIC_TRAINING = Training("adam", 3e-3, 10, 32)
"""Training of a model made for a real dataset when it runs on a synthetic one (LeNet-5 on 'shapes': ~95 %)."""


class ModelSpec(NamedTuple):
    """One zoo entry: how to build it, what it was made for, and how to train it by default."""

    builder: Callable[..., Sequential]
    dataset: str
    description: str
    training: Training

    @property
    def task(self) -> str:
        """'regression' when the loss is a regression loss, else 'classification'."""
        return "regression" if self.training.loss in ("mse", "mean_squared_error") else "classification"

    def training_for(self, dataset: str) -> Training:
        """Default training on ``dataset``: the model's own, or SYNTHETIC_TRAINING for a classifier moved to a synthetic set.

        The augmentation stays with the model's own dataset: it encodes what does not
        change that dataset's classes (a turned shape is the same shape, a turned 6 is a 9).
        """
        if dataset == self.dataset:
            return self.training
        if self.task != "classification" or dataset not in SYNTHETIC_DATASETS:
            return replace(self.training, augment=(), features=())  # another table has other columns
        return replace(SYNTHETIC_TRAINING, loss=self.training.loss, metrics=self.training.metrics)

    @property
    def input_shape(self) -> Shape | None:
        """The builder's default per-sample input shape (C, H, W) or (features,)."""
        default = inspect.signature(self.builder).parameters.get("input_shape")
        if default is None or default.default is None:
            return None
        return tuple(default.default)


MODELS: dict[str, ModelSpec] = {
    # Module 7 trained both for 20 epochs with plain SGD, as here, in batches of 20 at a rate of 0.01; batches
    # of 64 at 0.1 take a third of the steps: perceptron 92.4 %, MLP 98.3 %. (The course's exact settings
    # give the perceptron 92.2 % and its training loss, 0.283 against the course's 0.280.)
    "perceptron": ModelSpec(perceptron, "mnist", "Module 7: one Dense layer, 784 -> 10",
                            Training("sgd", 0.1, 20, 64)),
    "mlp": ModelSpec(mlp, "mnist", "Module 7: MLP 784 -> 512 -> 512 -> 10, ReLU",
                     Training("sgd", 0.1, 20, 64)),
    # The Keras lesson: 21 epochs, batch 64, 10,000 of the 60,000 images validate. With a constant rate the
    # validation accuracy wanders (97.4-97.9 % over the last epochs, as in the course); falling along a cosine
    # it settles: 97.8-98.1 % over seeds 0-2 (RESULTS.md).
    "mlp_keras": ModelSpec(mlp_keras, "mnist", "Keras lesson: MLP 784 -> 128 -> 128 -> 10, ReLU",
                           Training("rmsprop", 1e-3, 21, 64, validation_split=1 / 6, schedule="cosine",
                                    optimizer_options=KERAS_RMSPROP)),
    # The Keras lessons' RMSprop is Keras's: rho (alpha) 0.9, eps 1e-7 (PyTorch's defaults are 0.99, 1e-8).
    # The lesson's neuron reads one feature, the average number of rooms (RM); `glassnet train
    # linear_regression --features all` gives it all 13.
    "linear_regression": ModelSpec(linear_regression, "boston", "Keras lesson: one neuron, price = w·rooms + b "
                                   "(Boston housing, feature RM)", LINEAR_REGRESSION_LESSON),
    # All 60,000 images, the rate falling along a cosine: 99.1 % after 10 epochs (the course: 99.01 % after 100).
    "lenet5": ModelSpec(lenet5, "mnist", "Module 8: LeNet-5, conv 6@5x5 pad 2, pool, conv 16@5x5, pool, 120, 84, 10",
                        Training("adam", 1e-3, 10, 64, schedule="cosine")),
    # The step-8 nets on the 5,000 generated images, for the course's 20 epochs: Adam with a cosine schedule
    # learns them in that time where the course's SGD (lr 0.01 / 0.1, batch 16) needed 20-100 epochs: colour
    # DNN ~82 % (the course 81.6 %), colour CNN 99.8-100 % (see color_cnn for its start). The shape CNN
    # over-fits 5,000 images (train loss 0.03, test 94 %); a shape stays the same shape when mirrored or
    # turned, so its training batches are, at random: 96.7-97.6 % over seeds 0-2 (RESULTS.md).
    "color_dnn": ModelSpec(color_dnn, "colors", "Step 8: colour DNN on grayscale, 784 -> 128 -> 64 -> 6",
                           Training("adam", 1e-3, 20, 32, schedule="cosine")),
    "color_cnn": ModelSpec(color_cnn, "colors", "Step 8: colour CNN, conv 2@1x1, conv 3@3x3, FC 32 + BatchNorm, 6",
                           Training("adam", 3e-3, 20, 32, schedule="cosine")),
    "shape_cnn": ModelSpec(shape_cnn, "shapes", "Step 8: shape CNN, conv 8@3x3 pad 1, conv 16@3x3, FC 32 + BatchNorm, 5",
                           Training("adam", 3e-3, 20, 32, schedule="cosine",
                                    augment=(("flip", True), ("rotate", 180.0)))),
    "mnist_cnn": ModelSpec(mnist_cnn, "mnist", "Step 8: MNIST CNN, conv 8@5x5, conv 16@5x5, FC 32 + BatchNorm, 10",
                           Training("adam", 1e-3, 5, 64, schedule="cosine")),
    "fashion_cnn": ModelSpec(fashion_cnn, "fashion_mnist", "Step 8: Fashion-MNIST CNN, conv 32@3x3, pool, FC 128, 10",
                             Training("adam", 1e-3, 10, 64, schedule="cosine")),
    "cifar_net": ModelSpec(cifar_net, "cifar10", "PyTorch tutorial: CIFAR-10 net, conv 6@5x5, conv 16@5x5, 120, 84, 10",
                           Training("adam", 1e-3, 10, 64)),
    # The report's CIFAR-10 runs: the tutorial net with Adam 0.001, batch 64, 10 epochs; VGG in batches of 128
    # on randomly cropped (padding 4) and mirrored images, 10 epochs.
    "vgg_report": ModelSpec(vgg_report, "cifar10", "Report: its VGG for CIFAR-10, 8 conv 3x3 + BatchNorm, 5 max-pools, "
                            "Linear(512, 10); 9,231,114 parameters",
                            Training("adam", 1e-3, 10, 128, augment=(("crop_padding", 4), ("flip", True)))),
    "vgg16": ModelSpec(vgg16, "cifar10", "VGG-16 for CIFAR-10: 13 conv 3x3 + BatchNorm, 5 max-pools, Dense 10; "
                       "14,728,266 parameters",
                       Training("adam", 1e-3, 10, 128, augment=(("crop_padding", 4), ("flip", True)))),
    # The Keras lesson only draws this network; glassnet has no ImageNet, so it is for `glassnet summary` and for
    # looking at kernels and feature maps. Its default training is the VGG paper's (SGD, momentum 0.9, batch 256,
    # weight decay 5e-4, 74 epochs), for whoever gives it a dataset.
    "vgg16_imagenet": ModelSpec(vgg16_imagenet, "imagenet", "Keras lesson: VGG-16 for ImageNet, 224x224x3, 13 conv 3x3, "
                                "FC-4096, FC-4096, FC-1000; 138,357,544 parameters",
                                Training("sgd", 1e-2, 74, 256,
                                         optimizer_options=(("momentum", 0.9), ("weight_decay", 5e-4)))),
}
"""Every zoo model by name."""


_MODULE7 = Training("sgd", 0.01, 20, 20)
COURSE_TRAINING: dict[str, tuple[str, Training]] = {
    "perceptron": ("Module 7, the MNIST perceptron (SGD 0.01, batch 20, 20 epochs)", _MODULE7),
    "mlp": ("Module 7, the MNIST MLP (SGD 0.01, batch 20, 20 epochs)", _MODULE7),
    "mlp_keras": ("Keras lesson, the MNIST MLP (RMSprop, Keras's default rate 0.001, batch 64, 21 epochs, "
                  "10,000 images validate)", replace(MODELS["mlp_keras"].training, schedule="constant")),
    "linear_regression": ("Keras lesson 03, linear regression on Boston housing (RMSprop 0.005, batch 16, "
                          "101 epochs, validation_split 0.3, one feature: rooms)", LINEAR_REGRESSION_LESSON),
    # The lesson's text gives 100 epochs (20 in class, 98 %) but not its optimizer; its log and report are Module 7's
    # training loop's, so that loop's SGD 0.01 in batches of 20 is assumed.
    "lenet5": ("Module 8, LeNet-5 on MNIST (100 epochs; SGD 0.01, batch 20 as Module 7's loop, whose log it prints)",
               replace(_MODULE7, epochs=100)),
    "color_dnn": ("Step 8, the colour DNN (dnn_model: SGD 0.01, batch 16, 100 epochs)", Training("sgd", 0.01, 100, 16)),
    "color_cnn": ("Step 8, the colour CNN (cnn_model: SGD 0.1, batch 16, 20 epochs)", Training("sgd", 0.1, 20, 16)),
}
"""``glassnet train --course``: the lesson each model comes from and that lesson's own settings (constant rate)."""


def get_spec(name: str) -> ModelSpec:
    """The zoo entry for ``name``; KeyError listing the known names if there is none."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; expected one of: {', '.join(MODELS)}") from None


def build(name: str, **kwargs) -> Sequential:
    """Build zoo model ``name``, passing only the keyword arguments its builder accepts."""
    builder = get_spec(name).builder
    accepted = inspect.signature(builder).parameters
    return builder(**{k: v for k, v in kwargs.items() if k in accepted and v is not None})
