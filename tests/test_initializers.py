"""Initializers: fan-in/fan-out as torch.nn.init computes them, and the statistics each formula promises."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from glassnet import initializers
from glassnet.initializers import compute_fans

# Dense weights (in, out) and conv weights (out_channels, in_channels, KH, KW), big enough for statistics.
DENSE_SHAPES = [(784, 100), (120, 84), (300, 10)]
CONV_SHAPES = [(32, 16, 3, 3), (64, 3, 5, 5), (16, 6, 5, 5), (128, 64, 1, 1)]


def _torch_fans(tensor_shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(tensor_shape))


@pytest.mark.parametrize("shape", DENSE_SHAPES)
def test_dense_fans_match_torch_linear(shape):
    fan_in, fan_out = compute_fans(shape)
    assert (fan_in, fan_out) == (shape[0], shape[1])
    # torch.nn.Linear stores its weight transposed: (out, in).
    assert (fan_in, fan_out) == _torch_fans((shape[1], shape[0]))


@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_conv_fans_are_channels_times_kernel_area_like_torch(shape):
    out_channels, in_channels, kh, kw = shape
    fan_in, fan_out = compute_fans(shape)
    assert fan_in == in_channels * kh * kw and fan_out == out_channels * kh * kw
    assert (fan_in, fan_out) == _torch_fans(shape)


def test_fans_of_an_unsupported_rank_are_an_error():
    with pytest.raises(ValueError, match=r"shape \(2, 3, 4\)"):
        compute_fans((2, 3, 4))


def _check_normal(w, std, what):
    """Mean, std and the share beyond 2 std each within 5 standard errors of a normal's."""
    assert w.dtype == np.float32, f"{what} is {w.dtype}"
    n = w.size
    assert abs(float(w.mean())) < 5 * std / math.sqrt(n), f"{what} mean {w.mean():.3g}"
    assert float(w.std()) == pytest.approx(std, rel=5 / math.sqrt(2 * n)), f"{what} std"
    tail = 0.0455  # of a normal sample lies beyond 2 std
    assert np.mean(np.abs(w) > 2 * std) == pytest.approx(tail, abs=5 * math.sqrt(tail * (1 - tail) / n))


def _check_uniform(w, limit, what):
    """All values in [-limit, limit], reaching close to both ends; std = limit / √3 (5 standard errors)."""
    assert w.dtype == np.float32, f"{what} is {w.dtype}"
    assert float(np.abs(w).max()) <= limit * (1 + 1e-6), f"{what} exceeds its bound {limit:.4g}"
    assert float(w.max()) > 0.99 * limit and float(w.min()) < -0.99 * limit
    assert abs(float(w.mean())) < 5 * limit / math.sqrt(3 * w.size)
    # The sample std of a uniform has relative standard error √(0.8 / (4 n)) ≈ 0.45 / √n.
    assert float(w.std()) == pytest.approx(limit / math.sqrt(3), rel=5 * 0.45 / math.sqrt(w.size)), f"{what} std"


def _torch_sample(shape, init):
    """A torch tensor of our layout's torch shape, filled by ``init``, returned in our layout."""
    if len(shape) == 2:
        t = torch.empty(shape[1], shape[0])
        init(t)
        return t.numpy().T
    t = torch.empty(shape)
    init(t)
    return t.numpy()


@pytest.mark.parametrize("shape", DENSE_SHAPES + CONV_SHAPES)
def test_glorot_uniform(shape, rng):
    fan_in, fan_out = compute_fans(shape)
    limit = math.sqrt(6 / (fan_in + fan_out))
    _check_uniform(initializers.glorot_uniform(shape, rng), limit, "glorot_uniform")
    torch.manual_seed(0)
    _check_uniform(_torch_sample(shape, torch.nn.init.xavier_uniform_), limit, "torch xavier_uniform_")


@pytest.mark.parametrize("shape", DENSE_SHAPES + CONV_SHAPES)
def test_glorot_normal(shape, rng):
    fan_in, fan_out = compute_fans(shape)
    std = math.sqrt(2 / (fan_in + fan_out))
    _check_normal(initializers.glorot_normal(shape, rng), std, "glorot_normal")
    torch.manual_seed(0)
    _check_normal(_torch_sample(shape, torch.nn.init.xavier_normal_), std, "torch xavier_normal_")


@pytest.mark.parametrize("shape", DENSE_SHAPES + CONV_SHAPES)
def test_he_normal_msra(shape, rng):
    fan_in, _ = compute_fans(shape)
    std = math.sqrt(2 / fan_in)
    _check_normal(initializers.he_normal(shape, rng), std, "he_normal")
    _check_normal(initializers.get("msra")(shape, rng), std, "msra")
    torch.manual_seed(0)
    kaiming = lambda t: torch.nn.init.kaiming_normal_(t, mode="fan_in", nonlinearity="relu")  # noqa: E731
    _check_normal(_torch_sample(shape, kaiming), std, "torch kaiming_normal_")


@pytest.mark.parametrize("shape", DENSE_SHAPES + CONV_SHAPES)
def test_he_uniform(shape, rng):
    fan_in, _ = compute_fans(shape)
    limit = math.sqrt(6 / fan_in)
    _check_uniform(initializers.he_uniform(shape, rng), limit, "he_uniform")
    torch.manual_seed(0)
    kaiming = lambda t: torch.nn.init.kaiming_uniform_(t, a=0, mode="fan_in", nonlinearity="relu")  # noqa: E731
    _check_uniform(_torch_sample(shape, kaiming), limit, "torch kaiming_uniform_")


def test_normal_is_the_courses_0_01_randn(rng):
    _check_normal(initializers.normal((200, 300), rng), 0.01, "normal")
    _check_normal(initializers.normal((200, 300), rng, std=0.5), 0.5, "normal std=0.5")


def test_zeros_and_ones():
    for shape in [(5,), (3, 4), (2, 3, 3, 3)]:
        z, o = initializers.zeros(shape), initializers.ones(shape)
        assert z.shape == o.shape == shape and z.dtype == o.dtype == np.float32
        assert not z.any() and np.all(o == 1)


@pytest.mark.parametrize("name", sorted(initializers.INITIALIZERS))
def test_every_initializer_is_float32_reproducible_and_shaped(name):
    init = initializers.get(name)
    shape = (8, 3, 3, 3)
    a = init(shape, np.random.default_rng(5))
    b = init(shape, np.random.default_rng(5))
    assert a.shape == shape and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)


def test_aliases_and_unknown_names():
    assert initializers.get("xavier_uniform") is initializers.glorot_uniform
    assert initializers.get("xavier_normal") is initializers.glorot_normal
    assert initializers.get("msra") is initializers.he_normal
    with pytest.raises(ValueError, match="unknown initializer 'lecun'.*glorot_uniform"):
        initializers.get("lecun")


def test_layers_initialise_with_the_right_fans(rng):
    from glassnet.layers import Conv2D, Dense

    dense = Dense(200, kernel_initializer="he_uniform")
    dense.build((500,), rng)
    _check_uniform(dense.params["W"], math.sqrt(6 / 500), "Dense he_uniform W")
    conv = Conv2D(64, 5, kernel_initializer="he_normal")
    conv.build((16, 28, 28), rng)
    assert conv.params["W"].shape == (64, 16, 5, 5)
    _check_normal(conv.params["W"], math.sqrt(2 / (16 * 5 * 5)), "Conv2D he_normal W")
    conv = Conv2D(32, 3, kernel_initializer="glorot_uniform")
    conv.build((20, 8, 8), rng)
    _check_uniform(conv.params["W"], math.sqrt(6 / (20 * 9 + 32 * 9)), "Conv2D glorot_uniform W")
