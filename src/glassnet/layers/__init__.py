"""Layers: each a forward pass and a hand-written backward pass (see ``base.Layer``)."""
from .base import LAYER_CLASSES, Layer, register
from .activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .dense import Dense
from .reshape import Flatten
from .conv import Conv2D
from .pooling import AvgPool2D, MaxPool2D
from .window import WindowLayer, use_implementation
from .normalization import BatchNorm, BatchNorm1D, BatchNorm2D
from .dropout import Dropout
