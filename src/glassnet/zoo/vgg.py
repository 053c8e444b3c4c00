"""The course's VGG networks: the report's 8-conv VGG, VGG-16 for CIFAR-10, and the Keras lesson's ImageNet VGG-16.

A configuration lists the output channels of each 3x3 convolution (padding 1, so the
size is kept) and 'M' for a 2x2 max-pool (the size halved). Parameter counts, worked
out by hand in tests/test_zoo.py and tests/test_course_vgg.py:

    vgg_report      8 conv + BatchNorm, Linear(512, 10)            9,231,114
    vgg16          13 conv + BatchNorm, Linear(512, 10)           14,728,266
    vgg16_imagenet 13 conv, FC-4096, FC-4096, FC-1000            138,357,544
"""
from __future__ import annotations

from typing import Sequence

from ..layers import BatchNorm, Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU
from ..model import Sequential
from .networks import CIFAR_SHAPE, Shape

IMAGENET_SHAPE: Shape = (3, 224, 224)

VGG_REPORT_CONFIG: tuple[int | str, ...] = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")
"""The report's ``cfg`` (report-mnist-cifar-vgg.md, "VGG16对CIFAR10分类"): 8 convolutions, 5 max-pools."""

VGG16_CONFIG: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M",
)
"""VGG-16's 13 convolutions in five blocks (Simonyan and Zisserman's configuration D); 'M' is a 2x2 max-pool."""


def vgg_features(config: Sequence[int | str], *, batch_norm: bool) -> list[Layer]:
    """The layers of a VGG configuration: conv 3x3 pad 1 [+ BatchNorm] + ReLU per number, MaxPool2D(2) per 'M'.

    (N, C, H, W) -> (N, last channels, H / 2^pools, W / 2^pools). Layers are named by
    block and position: conv3_2 is the second convolution of the third block.
    """
    layers: list[Layer] = []
    block, index = 1, 1
    for item in config:
        if item == "M":
            layers.append(MaxPool2D(2, name=f"pool{block}"))
            block, index = block + 1, 1
            continue
        suffix = f"{block}_{index}"
        layers.append(Conv2D(int(item), 3, padding=1, name=f"conv{suffix}"))
        if batch_norm:
            layers.append(BatchNorm(name=f"bn{suffix}"))
        layers.append(ReLU(name=f"relu{suffix}"))
        index += 1
    return layers


def vgg_report(*, num_classes: int = 10, input_shape: Shape = CIFAR_SHAPE, seed: int | None = None) -> Sequential:
    """The report's VGG for CIFAR-10: (N, 3, 32, 32) -> 8 conv 3x3 + BatchNorm + ReLU, 5 max-pools -> (N, 10) logits.

    Channels 64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M as in its ``cfg``; after
    five pools a 32x32 image is 512x1x1, and ``nn.Linear(512, 10)`` is the classifier.
    The report's trailing ``AvgPool2d(kernel_size=1, stride=1)`` changes nothing and is
    left out. 9,231,114 parameters.
    """
    layers = [*vgg_features(VGG_REPORT_CONFIG, batch_norm=True),
              Flatten(name="flatten"), Dense(num_classes, name="classifier")]
    return Sequential(layers, input_shape=input_shape, seed=seed)


def vgg16(*, num_classes: int = 10, input_shape: Shape = CIFAR_SHAPE, seed: int | None = None) -> Sequential:
    """VGG-16 for CIFAR-10: (N, 3, 32, 32) -> 13 conv 3x3 + BatchNorm + ReLU, 5 max-pools -> Dense(512 -> 10) logits.

    VGG-16's convolutions (two blocks of 2, three of 3) in the report's recipe: each
    followed by BatchNorm and ReLU, and after five pools (512x1x1) one Linear(512, 10)
    instead of the ImageNet network's three FC layers. The report's own network is
    shallower, 8 convolutions: ``vgg_report``. 14,728,266 parameters.
    """
    layers = [*vgg_features(VGG16_CONFIG, batch_norm=True),
              Flatten(name="flatten"), Dense(num_classes, name="classifier")]
    return Sequential(layers, input_shape=input_shape, seed=seed)


def vgg16_imagenet(*, num_classes: int = 1000, input_shape: Shape = IMAGENET_SHAPE,
                   seed: int | None = None) -> Sequential:
    """The Keras lesson's VGG-16: (N, 3, 224, 224) -> 13 conv 3x3 + ReLU -> 512x7x7 -> FC-4096, FC-4096, FC-1000 logits.

    No BatchNorm, as in the original. Flattened, Conv-5's 7x7x512 maps are 25,088
    numbers; FC-6 alone has 25,088 x 4,096 + 4,096 = 102,764,544 parameters, the whole
    network 138,357,544 (553 MB of float32). It is here to be looked at (its summary,
    its kernels, the feature maps of one image); FC-8 gives the raw scores the lesson's
    final SoftMax turns into probabilities.
    """
    layers = [
        *vgg_features(VGG16_CONFIG, batch_norm=False),
        Flatten(name="flatten"),
        Dense(4096, name="fc6"), ReLU(name="relu6"),
        Dense(4096, name="fc7"), ReLU(name="relu7"),
        Dense(num_classes, name="fc8"),
    ]
    return Sequential(layers, input_shape=input_shape, seed=seed)
