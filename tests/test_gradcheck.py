"""glassnet.gradcheck on every layer glassnet registers, and on layers that are wrong on purpose.

A new layer class registered in the library without a case in CASES makes
``test_every_registered_layer_passes_gradcheck`` fail: add one when you add a layer.
"""
from __future__ import annotations

import numpy as np
import pytest

import glassnet
from glassnet.gradcheck import GradcheckResult, gradcheck
from glassnet.layers import (
    LAYER_CLASSES,
    AvgPool2D,
    BatchNorm,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    MaxPool2D,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)


class FixedMaskDropout(Dropout):
    """Dropout whose mask is the same on every forward pass, so central differences see one function."""

    def forward(self, x, training=True):
        self.rng = np.random.default_rng(7)
        return super().forward(x, training)


IMAGE = (2, 3, 7, 6)
# name -> list of (layer factory, input shape, gradcheck keyword arguments)
CASES = {
    "Dense": [(lambda: Dense(4), (3, 5), {})],
    "ReLU": [(ReLU, (3, 4), {}), (ReLU, IMAGE, {})],
    "LeakyReLU": [(lambda: LeakyReLU(0.1), (3, 4), {})],
    "Sigmoid": [(Sigmoid, (3, 4), {})],
    "Tanh": [(Tanh, (3, 4), {})],
    "Softmax": [(Softmax, (3, 5), {})],
    "Flatten": [(Flatten, IMAGE, {})],
    "Conv2D": [
        (lambda: Conv2D(4, (3, 2), stride=2, padding=1, impl="im2col"), IMAGE, {}),
        (lambda: Conv2D(2, 3, padding="same", impl="numba"), IMAGE, {}),
        (lambda: Conv2D(2, (2, 4), stride=(1, 3), impl="loops", use_bias=False), IMAGE, {}),
    ],
    "MaxPool2D": [
        (lambda: MaxPool2D(3, 2, 1), IMAGE, {}),
        (lambda: MaxPool2D((2, 3), 1, impl="reference"), IMAGE, {}),
    ],
    "AvgPool2D": [
        (lambda: AvgPool2D(3, 1, 1), IMAGE, {}),
        (lambda: AvgPool2D(2, padding="same", impl="reference"), IMAGE, {}),
    ],
    "BatchNorm": [
        (BatchNorm, (4, 3), {}),
        (BatchNorm, IMAGE, {}),
        (BatchNorm, (4, 3), {"training": False}),
    ],
    "BatchNorm1D": [(BatchNorm1D, (4, 3, 5), {})],
    "BatchNorm2D": [(BatchNorm2D, IMAGE, {}), (BatchNorm2D, IMAGE, {"training": False})],
    "Dropout": [
        (lambda: Dropout(0.5), (3, 4), {"training": False}),
        (lambda: FixedMaskDropout(0.3), (3, 4), {}),
    ],
}

LIBRARY_LAYERS = sorted(name for name, cls in LAYER_CLASSES.items() if cls.__module__.startswith("glassnet."))


@pytest.mark.parametrize("name", LIBRARY_LAYERS)
def test_every_registered_layer_passes_gradcheck(name):
    if name not in CASES:
        pytest.fail(f"layer {name} is registered but has no gradcheck case: add one to CASES in {__file__}")
    for index, (make, shape, kwargs) in enumerate(CASES[name]):
        rng = np.random.default_rng(index)
        x = rng.standard_normal(shape).astype(np.float32)
        layer = make()
        layer.forward(x)  # built in float32, as in training: gradcheck casts a copy to float64
        params_before = {key: value.copy() for key, value in layer.params.items()}
        result = gradcheck(layer, x, **kwargs)
        assert isinstance(result, GradcheckResult)
        assert set(result.errors) == {"x", *layer.params}
        assert result.max_error <= 1e-5
        for key, value in layer.params.items():  # the layer handed in is left as it was
            assert value.dtype == np.float32
            np.testing.assert_array_equal(value, params_before[key])


def test_the_cases_cover_only_real_layers():
    assert set(CASES) <= set(LAYER_CLASSES), set(CASES) - set(LAYER_CLASSES)


def test_gradcheck_is_public_and_builds_an_unbuilt_layer():
    assert glassnet.gradcheck.gradcheck is gradcheck
    layer = Conv2D(3, 3)
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 5)).astype(np.float32)
    result = gradcheck(layer, x)
    assert not layer.built
    assert result.checked == {"x": x.size, "W": 3 * 2 * 3 * 3, "b": 3}
    assert "gradcheck passed" in str(result)


def test_max_checks_samples_a_subset():
    x = np.random.default_rng(0).standard_normal((4, 30)).astype(np.float32)
    result = gradcheck(Dense(20), x, max_checks=25)
    assert result.checked == {"x": 25, "W": 25, "b": 20}


class _WrongBiasGradient(Dense):
    def backward(self, grad):
        dx = super().backward(grad)
        self.grads["b"] = 2 * self.grads["b"]
        return dx


class _WrongInputGradient(ReLU):
    def backward(self, grad):
        return grad  # forgets the mask


class _Float32Inside(Tanh):
    def forward(self, x, training=True):
        return super().forward(x.astype(np.float32), training)


def test_a_wrong_gradient_fails_naming_the_layer_and_the_array():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    with pytest.raises(AssertionError, match=r"(?s)_WrongBiasGradient.*db: relative error .* central difference"):
        gradcheck(_WrongBiasGradient(3), x)
    with pytest.raises(AssertionError, match=r"_WrongInputGradient.*\n.*dx: relative error"):
        gradcheck(_WrongInputGradient(), x)


def test_a_layer_that_drops_to_float32_or_is_random_is_reported():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    with pytest.raises(AssertionError, match="forward returned float32"):
        gradcheck(_Float32Inside(), x)
    with pytest.raises(AssertionError, match="two forward passes .* differ .* training=False"):
        gradcheck(Dropout(0.5), x)
