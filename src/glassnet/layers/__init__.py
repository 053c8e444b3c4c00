"""Layers: each a forward pass and a hand-written backward pass (see ``base.Layer``)."""
from .base import LAYER_CLASSES, Layer, register
from .activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .dense import Dense
from .reshape import Flatten
