"""The course's small networks: Module 7's MLPs, the Keras lessons' MLP and neuron, LeNet-5, the step-8 nets.

Each builder returns an uncompiled ``Sequential`` ending in raw scores (logits); see
``glassnet.zoo`` for the convention and the registry.
"""
from __future__ import annotations

import numpy as np

from ..layers import BatchNorm, Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU
from ..model import Sequential

Shape = tuple[int, ...]

MNIST_SHAPE: Shape = (1, 28, 28)
CIFAR_SHAPE: Shape = (3, 32, 32)


# ---------------------------------------------------------------------------------
# MLPs (Module 7 and the Keras lessons)
# ---------------------------------------------------------------------------------
def perceptron(*, num_classes: int = 10, input_shape: Shape = MNIST_SHAPE, seed: int | None = None) -> Sequential:
    """Module 7's single-layer perceptron: (N, 1, 28, 28) -> Flatten -> Dense(10) logits."""
    return Sequential([Flatten(name="flatten"), Dense(num_classes, name="fc1")], input_shape=input_shape, seed=seed)


def mlp(*, num_classes: int = 10, input_shape: Shape = MNIST_SHAPE, seed: int | None = None) -> Sequential:
    """Module 7's MLP: 784 -> 512 -> ReLU -> 512 -> ReLU -> 10 logits."""
    layers: list[Layer] = [
        Flatten(name="flatten"),
        Dense(512, name="fc1"), ReLU(name="relu1"),
        Dense(512, name="fc2"), ReLU(name="relu2"),
        Dense(num_classes, name="fc3"),
    ]
    return Sequential(layers, input_shape=input_shape, seed=seed)


def mlp_keras(*, num_classes: int = 10, input_shape: Shape = MNIST_SHAPE, seed: int | None = None) -> Sequential:
    """The Keras lesson's MNIST MLP: 784 -> 128 -> ReLU -> 128 -> ReLU -> 10 logits (118,282 parameters)."""
    layers: list[Layer] = [
        Flatten(name="flatten"),
        Dense(128, name="dense"), ReLU(name="relu"),
        Dense(128, name="dense_1"), ReLU(name="relu_1"),
        Dense(num_classes, name="dense_2"),
    ]
    return Sequential(layers, input_shape=input_shape, seed=seed)


def linear_regression(*, num_features: int = 13, input_shape: Shape | None = None,
                      seed: int | None = None) -> Sequential:
    """The Keras lesson's single neuron y' = x·w + b: (N, num_features) -> (N, 1)."""
    shape = tuple(input_shape) if input_shape is not None else (int(num_features),)
    return Sequential([Dense(1, name="dense")], input_shape=shape, seed=seed)


LESSON_ROOMS = (3, 4, 5, 6, 7)
"""The numbers of rooms the Keras lesson asks its one-feature (rooms) neuron to price."""
LESSON_PRICES = (11.0, 14.4, 17.9, 21.3, 24.8)
"""The prices ($1000s) the lesson printed for them after 101 epochs."""


def predicted_prices(model: Sequential, rooms: tuple[float, ...] = LESSON_ROOMS) -> np.ndarray:
    """Prices (len(rooms),) in $1000s that a one-feature (rooms) model predicts for each number of rooms."""
    return np.asarray(model.predict(np.asarray(rooms, dtype=np.float32).reshape(-1, 1)), dtype=np.float64).ravel()


def price_lines(rooms: tuple[float, ...], prices: np.ndarray) -> list[str]:
    """The lesson's lines 'Predicted price of a home with 3 rooms: $11.0K' (its int(y * 10) / 10, a truncation)."""
    return [f"Predicted price of a home with {r:g} rooms: ${int(float(p) * 10) / 10}K" for r, p in zip(rooms, prices)]


# ---------------------------------------------------------------------------------
# LeNet-5 (Module 8) and the PyTorch CIFAR-10 tutorial net
# ---------------------------------------------------------------------------------
def _lenet_layers(num_classes: int, first_padding: int) -> list[Layer]:
    return [
        Conv2D(6, 5, padding=first_padding, name="conv1"), ReLU(name="relu1"), MaxPool2D(2, name="pool1"),
        Conv2D(16, 5, name="conv2"), ReLU(name="relu2"), MaxPool2D(2, name="pool2"),
        Flatten(name="flatten"),
        Dense(120, name="fc1"), ReLU(name="relu3"),
        Dense(84, name="fc2"), ReLU(name="relu4"),
        Dense(num_classes, name="fc3"),
    ]


def lenet5(*, num_classes: int = 10, input_shape: Shape = MNIST_SHAPE, seed: int | None = None) -> Sequential:
    """LeNet-5 (Module 8), ReLU as in the course's LeNet_model.py: (N, 1, 28, 28) -> (N, 10) logits.

    conv 6@5x5 pad 2 -> 6x28x28, max-pool 2 -> 6x14x14, conv 16@5x5 -> 16x10x10,
    max-pool 2 -> 16x5x5 = 400, then 120, 84, 10: 61,706 parameters.
    """
    return Sequential(_lenet_layers(num_classes, first_padding=2), input_shape=input_shape, seed=seed)


def cifar_net(*, num_classes: int = 10, input_shape: Shape = CIFAR_SHAPE, seed: int | None = None) -> Sequential:
    """The PyTorch CIFAR-10 tutorial net: (N, 3, 32, 32) -> conv 6@5x5, pool, conv 16@5x5, pool, 120, 84, 10."""
    return Sequential(_lenet_layers(num_classes, first_padding=0), input_shape=input_shape, seed=seed)


# ---------------------------------------------------------------------------------
# The step-8 networks (colour, shape, MNIST and Fashion-MNIST experiments)
# ---------------------------------------------------------------------------------
def color_dnn(*, num_classes: int = 6, input_shape: Shape = MNIST_SHAPE, seed: int | None = None) -> Sequential:
    """Step 8's colour DNN on grayscale images: 784 -> 128 -> ReLU -> 64 -> ReLU -> 6 logits."""
    layers: list[Layer] = [
        Flatten(name="flatten"),
        Dense(128, kernel_initializer="he_normal", name="f1"), ReLU(name="relu1"),
        Dense(64, kernel_initializer="he_normal", name="f2"), ReLU(name="relu2"),
        Dense(num_classes, kernel_initializer="he_normal", name="f3"),
    ]
    return Sequential(layers, input_shape=input_shape, seed=seed)


def _fc_bn_head(num_classes: int, hidden: int = 32, index: int = 3) -> list[Layer]:
    """Step 8's classifier head: Flatten, FC hidden, BatchNorm, ReLU, FC num_classes."""
    return [
        Flatten(name="flatten"),
        Dense(hidden, kernel_initializer="he_normal", name=f"f{index}"),
        BatchNorm(name=f"bn{index}"), ReLU(name=f"relu{index}"),
        Dense(num_classes, kernel_initializer="he_normal", name=f"f{index + 1}"),
    ]


def color_cnn(*, num_classes: int = 6, input_shape: Shape = (3, 28, 28), seed: int | None = None) -> Sequential:
    """Step 8's colour CNN (table 18-1): conv 2@1x1, ReLU, pool, conv 3@3x3, ReLU, pool, FC 32+BN+ReLU, 6.

    The two 1x1 filters start with non-negative weights (He-normal magnitudes), see
    ``_start_alive_on_colours``.
    """
    first = Conv2D(2, 1, name="c1")
    layers: list[Layer] = [
        first, ReLU(name="relu1"), MaxPool2D(2, name="p1"),
        Conv2D(3, 3, name="c2"), ReLU(name="relu2"), MaxPool2D(2, name="p2"),
        *_fc_bn_head(num_classes),
    ]
    model = Sequential(layers, input_shape=input_shape, seed=seed)
    _start_alive_on_colours(first)
    return model


def _start_alive_on_colours(conv: Conv2D) -> None:
    """Make a built first conv layer's weights non-negative (W <- |W|), biases staying 0.

    Why: the colour CNN's input pixels are black (0, 0, 0) or a saturated colour, all
    channels >= 0. A 1x1 filter w with zero bias fires for colour c only if w·c > 0;
    with He's zero-mean weights each colour is silent in one filter with probability
    1/2, so in both of the two filters with probability 1/4. A colour silent in both
    looks like the black background, and the ReLUs pass no gradient for it, so it is
    never learnt: with seeds 0, 3, 4 and 7 of 8 one or two colours were lost (50-84 %
    test accuracy, the others 99-100 %). Non-negative weights make every colour fire
    both filters from the first step while black stays at 0; training then separates
    the colours (all 8 seeds 99.8-100 % in 20 epochs).
    """
    if conv.built:
        np.abs(conv.params["W"], out=conv.params["W"])


def shape_cnn(*, num_classes: int = 5, input_shape: Shape = MNIST_SHAPE, seed: int | None = None) -> Sequential:
    """Step 8's shape CNN: conv 8@3x3 pad 1, ReLU, pool, conv 16@3x3, ReLU, pool, FC 32+BN+ReLU, 5."""
    layers: list[Layer] = [
        Conv2D(8, 3, padding=1, name="c1"), ReLU(name="relu1"), MaxPool2D(2, name="p1"),
        Conv2D(16, 3, name="c2"), ReLU(name="relu2"), MaxPool2D(2, name="p2"),
        *_fc_bn_head(num_classes),
    ]
    return Sequential(layers, input_shape=input_shape, seed=seed)


def mnist_cnn(*, num_classes: int = 10, input_shape: Shape = MNIST_SHAPE, seed: int | None = None) -> Sequential:
    """Step 8's MNIST CNN: conv 8@5x5, ReLU, pool, conv 16@5x5, ReLU, pool, FC 32+BN+ReLU, 10."""
    layers: list[Layer] = [
        Conv2D(8, 5, name="c1"), ReLU(name="relu1"), MaxPool2D(2, name="p1"),
        Conv2D(16, 5, name="c2"), ReLU(name="relu2"), MaxPool2D(2, name="p2"),
        *_fc_bn_head(num_classes),
    ]
    return Sequential(layers, input_shape=input_shape, seed=seed)


def fashion_cnn(*, num_classes: int = 10, input_shape: Shape = MNIST_SHAPE, seed: int | None = None) -> Sequential:
    """Step 8's Fashion-MNIST CNN: conv 32@3x3, ReLU, pool, FC 128, ReLU, 10."""
    layers: list[Layer] = [
        Conv2D(32, 3, name="c1"), ReLU(name="relu1"), MaxPool2D(2, name="p1"),
        Flatten(name="flatten"),
        Dense(128, name="f2"), ReLU(name="relu2"),
        Dense(num_classes, name="f3"),
    ]
    return Sequential(layers, input_shape=input_shape, seed=seed)
