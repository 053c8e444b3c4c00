"""Every non-conv layer against a PyTorch module holding the same weights.

For many seeded random configurations: same input, same upstream gradient; compare the
forward output and every gradient (input, W, b, gamma, beta) with relative error
<= 1e-4 in float32, and check that nothing turns float32 into float64.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet
from conftest import assert_close
from glassnet.layers import (
    LAYER_CLASSES,
    BatchNorm,
    BatchNorm1D,
    BatchNorm2D,
    Dense,
    Dropout,
    Flatten,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)

SEEDS = range(8)


def _t(a: np.ndarray, grad: bool = False) -> torch.Tensor:
    return torch.tensor(a, requires_grad=grad)


def _run_both(layer, module, x, training=True, rng=None):
    """Forward and backward through our layer and the torch module; return both results."""
    y = layer.forward(x, training=training)
    g = rng.standard_normal(y.shape).astype(np.float32)
    dx = layer.backward(g)
    x_t = _t(x, grad=True)
    y_t = module(x_t)
    y_t.backward(_t(g))
    assert y.dtype == np.float32, f"{layer.describe()} output is {y.dtype}"
    assert dx.dtype == np.float32, f"{layer.describe()} input gradient is {dx.dtype}"
    assert y.shape == tuple(y_t.shape) and dx.shape == x.shape
    assert_close(y, y_t.detach().numpy(), 1e-4, what=f"{layer.describe()} output")
    assert_close(dx, x_t.grad.numpy(), 1e-4, what=f"{layer.describe()} input gradient")
    return y, dx


def _random_input(rng, shape, offset=0.0, scale=1.0):
    return (rng.standard_normal(shape) * scale + offset).astype(np.float32)


# -- Dense -----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_dense_matches_torch_linear(seed):
    rng = np.random.default_rng(seed)
    n, fin, fout = rng.integers(1, 9), rng.integers(1, 21), rng.integers(1, 21)
    layer = Dense(int(fout))
    x = _random_input(rng, (n, fin))
    layer.build((fin,), rng)
    layer.params["b"][...] = rng.standard_normal(fout)
    module = torch.nn.Linear(int(fin), int(fout))
    with torch.no_grad():
        module.weight.copy_(_t(layer.params["W"].T.copy()))
        module.bias.copy_(_t(layer.params["b"]))
    _run_both(layer, module, x, rng=rng)
    for key, expected in (("W", module.weight.grad.numpy().T), ("b", module.bias.grad.numpy())):
        assert layer.grads[key].dtype == np.float32 and layer.grads[key].shape == layer.params[key].shape
        assert_close(layer.grads[key], expected, 1e-4, what=f"Dense d{key}")


def test_dense_first_layer_skips_the_input_gradient(rng):
    layer = Dense(3)
    layer.forward(_random_input(rng, (4, 5)))
    layer.needs_input_grad = False
    assert layer.backward(np.ones((4, 3), np.float32)) is None
    assert layer.grads["W"].shape == (5, 3)


# -- Flatten and activations ---------------------------------------------------------------
ACTIVATION_SHAPES = [(1, 5), (6, 7), (3, 2, 4, 4), (2, 3, 5)]


@pytest.mark.parametrize("shape", ACTIVATION_SHAPES)
@pytest.mark.parametrize(
    "make",
    [
        lambda: (Flatten(), torch.nn.Flatten()),
        lambda: (ReLU(), torch.nn.ReLU()),
        lambda: (LeakyReLU(), torch.nn.LeakyReLU(0.01)),
        lambda: (LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        lambda: (LeakyReLU(alpha=0.5), torch.nn.LeakyReLU(0.5)),
        lambda: (Sigmoid(), torch.nn.Sigmoid()),
        lambda: (Tanh(), torch.nn.Tanh()),
    ],
    ids=["Flatten", "ReLU", "LeakyReLU", "LeakyReLU0.2", "LeakyReLU0.5", "Sigmoid", "Tanh"],
)
def test_elementwise_layers_match_torch(make, shape, rng):
    layer, module = make()
    x = _random_input(rng, shape, scale=3.0)
    _run_both(layer, module, x, rng=rng)


@pytest.mark.parametrize("make", [lambda: (Sigmoid(), torch.nn.Sigmoid()), lambda: (Tanh(), torch.nn.Tanh())],
                         ids=["Sigmoid", "Tanh"])
def test_saturating_activations_have_no_overflow_for_large_inputs(make, rng):
    layer, module = make()
    x = np.array([[-1000.0, -80.0, -20.0, 0.0, 20.0, 80.0, 1000.0]], np.float32)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y, dx = _run_both(layer, module, x, rng=rng)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_matches_torch(seed):
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 9), rng.integers(2, 12)
    x = _random_input(rng, (n, k), scale=rng.uniform(0.5, 10))
    _run_both(Softmax(), torch.nn.Softmax(dim=1), x, rng=rng)


def test_softmax_is_stable_for_large_logits(rng):
    x = np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, 999.0]], np.float32)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y, dx = _run_both(Softmax(), torch.nn.Softmax(dim=1), x, rng=rng)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx))


# -- BatchNorm ------------------------------------------------------------------------------
def _batchnorm_pair(rng, shape, momentum, eps, cls=BatchNorm):
    """Our BatchNorm and the matching torch BatchNorm1d/2d with the same random gamma and beta."""
    layer = cls(momentum=momentum, eps=eps)
    layer.build(shape[1:], rng)
    channels = shape[1]
    layer.params["gamma"][...] = rng.uniform(0.5, 2.0, channels)
    layer.params["beta"][...] = rng.standard_normal(channels)
    torch_cls = torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d
    module = torch_cls(channels, eps=eps, momentum=momentum)
    with torch.no_grad():
        module.weight.copy_(_t(layer.params["gamma"]))
        module.bias.copy_(_t(layer.params["beta"]))
    return layer, module


def _compare_batchnorm_param_grads(layer, module):
    for key, param in (("gamma", module.weight), ("beta", module.bias)):
        assert layer.grads[key].dtype == np.float32 and layer.grads[key].shape == layer.params[key].shape
        assert_close(layer.grads[key], param.grad.numpy(), 1e-4, what=f"BatchNorm d{key}")
        param.grad = None


def _compare_running_stats(layer, module):
    for key in ("running_mean", "running_var"):
        assert layer.buffers[key].dtype == np.float32
        assert_close(layer.buffers[key], getattr(module, key).numpy(), 1e-4, what=f"BatchNorm {key}")


BATCHNORM_SHAPES = [(3, 3), (8, 5), (32, 16), (3, 4, 7), (2, 3, 4, 4), (5, 2, 3, 5), (1, 4, 3, 3)]


@pytest.mark.parametrize("shape", BATCHNORM_SHAPES)
@pytest.mark.parametrize("momentum,eps", [(0.1, 1e-5), (0.3, 1e-3), (1.0, 1e-5)])
def test_batchnorm_matches_torch_in_training_and_inference(shape, momentum, eps, rng):
    layer, module = _batchnorm_pair(rng, shape, momentum, eps)
    module.train()
    for _ in range(4):  # several training steps: batch statistics and running statistics
        x = _random_input(rng, shape, offset=rng.uniform(-3, 3), scale=rng.uniform(0.5, 2))
        _run_both(layer, module, x, training=True, rng=rng)
        _compare_batchnorm_param_grads(layer, module)
        _compare_running_stats(layer, module)
    module.eval()
    for _ in range(2):  # inference: running statistics, and gradients through them
        x = _random_input(rng, shape, offset=1.0, scale=1.5)
        _run_both(layer, module, x, training=False, rng=rng)
        _compare_batchnorm_param_grads(layer, module)
    _compare_running_stats(layer, module)  # inference leaves the running statistics alone


def test_batchnorm_on_two_values_per_channel_passes_almost_no_gradient_to_its_input(rng):
    """With m = 2, x̂ = ±1 whatever x is, so dL/dx is O(eps): compare gamma/beta, bound dx."""
    layer, module = _batchnorm_pair(rng, (2, 4), 0.1, 1e-5)
    x = _random_input(rng, (2, 4), offset=1.0, scale=2.0)
    g = rng.standard_normal((2, 4)).astype(np.float32)
    layer.forward(x)
    dx = layer.backward(g)
    x_t = _t(x, grad=True)
    module(x_t).backward(_t(g))
    _compare_batchnorm_param_grads(layer, module)
    _compare_running_stats(layer, module)
    assert np.abs(dx).max() < 1e-2 * np.abs(g).max()
    assert np.abs(dx - x_t.grad.numpy()).max() < 1e-4 * np.abs(g).max()


def test_batchnorm_training_output_is_normalised_per_channel(rng):
    layer = BatchNorm()
    x = _random_input(rng, (6, 3, 5, 5), offset=4.0, scale=3.0)
    y = layer.forward(x)
    assert np.all(np.abs(y.mean(axis=(0, 2, 3))) < 1e-5)  # gamma=1, beta=0 at creation
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1.0, rtol=1e-3)


def test_batchnorm_default_momentum_follows_torch_convention(rng):
    layer = BatchNorm()
    x = _random_input(rng, (10, 2), offset=5.0)
    layer.forward(x)
    expected_mean = 0.1 * x.mean(axis=0)
    expected_var = 0.9 + 0.1 * x.var(axis=0, ddof=1)  # unbiased batch variance
    assert_close(layer.buffers["running_mean"], expected_mean, 1e-5)
    assert_close(layer.buffers["running_var"], expected_var, 1e-5)


def test_batchnorm_aliases_check_the_rank(rng):
    _compare_aliases = [(BatchNorm1D, (4, 6)), (BatchNorm1D, (4, 3, 5)), (BatchNorm2D, (4, 3, 2, 2))]
    for cls, shape in _compare_aliases:
        layer, module = _batchnorm_pair(rng, shape, 0.1, 1e-5, cls=cls)
        _run_both(layer, module, _random_input(rng, shape), rng=rng)
        _compare_running_stats(layer, module)
    with pytest.raises(ValueError, match=r"BatchNorm2D .*got a sample of shape \(6,\).*expected rank 3"):
        BatchNorm2D().forward(np.zeros((4, 6), np.float32))
    with pytest.raises(ValueError, match="expected rank 1 or 2"):
        BatchNorm1D().forward(np.zeros((4, 3, 2, 2), np.float32))
    with pytest.raises(ValueError, match="expected rank 1 or 2 or 3"):
        BatchNorm().forward(np.zeros((2, 1, 3, 2, 2), np.float32))


def test_batchnorm_errors_and_first_layer(rng):
    with pytest.raises(ValueError, match="more than one value per channel"):
        BatchNorm().forward(np.zeros((1, 4), np.float32))
    BatchNorm().forward(np.zeros((1, 4), np.float32), training=False)  # one sample is fine in inference
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm(momentum=1.5)
    with pytest.raises(ValueError, match="eps"):
        BatchNorm(eps=0)
    layer = BatchNorm()
    layer.forward(_random_input(rng, (4, 3)))
    layer.needs_input_grad = False
    assert layer.backward(np.ones((4, 3), np.float32)) is None
    assert layer.grads["gamma"].shape == (3,)


def test_batchnorm_state_is_params_and_buffers():
    layer = BatchNorm()
    layer.build((3, 8, 8))
    assert set(layer.params) == {"gamma", "beta"} and set(layer.grads) == {"gamma", "beta"}
    assert set(layer.buffers) == {"running_mean", "running_var"}
    assert layer.count_params() == 6
    np.testing.assert_array_equal(layer.params["gamma"], 1)
    np.testing.assert_array_equal(layer.buffers["running_var"], 1)
    assert all(v.dtype == np.float32 for v in (*layer.params.values(), *layer.buffers.values()))


# -- Dropout --------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_drops_the_right_fraction_and_scales_the_rest(rate):
    layer = Dropout(rate, seed=1)
    x = np.ones((100, 10, 10, 10), np.float32)
    y = layer.forward(x, training=True)
    assert y.dtype == np.float32
    dropped = np.mean(y == 0)
    assert abs(dropped - rate) < 0.01  # 100 000 draws: the standard deviation is <= 0.0016
    kept = y[y != 0]
    np.testing.assert_allclose(kept, 1 / (1 - rate), rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.03  # inverted dropout keeps the expectation
    # Same scaling convention as torch's dropout.
    y_torch = torch.nn.functional.dropout(torch.ones(1000), p=rate, training=True).numpy()
    np.testing.assert_allclose(np.unique(y_torch[y_torch != 0]), 1 / (1 - rate), rtol=1e-6)


def test_dropout_backward_uses_the_forward_mask_like_torch(rng):
    layer = Dropout(0.4, seed=7)
    x = _random_input(rng, (8, 3, 4, 4))
    layer.forward(x, training=True)  # an earlier batch: backward must use the latest mask
    y = layer.forward(x, training=True)
    mask = y != 0  # x has no exact zeros
    g = rng.standard_normal(x.shape).astype(np.float32)
    dx = layer.backward(g)
    assert dx.dtype == np.float32
    x_t = _t(x, grad=True)
    y_t = x_t * _t(mask.astype(np.float32)) / (1 - 0.4)
    y_t.backward(_t(g))
    assert_close(y, y_t.detach().numpy(), 1e-6)
    assert_close(dx, x_t.grad.numpy(), 1e-6)
    np.testing.assert_array_equal(dx == 0, ~mask)


def test_dropout_is_identity_in_inference_and_at_rate_zero(rng):
    x = _random_input(rng, (5, 6))
    layer = Dropout(0.5, seed=0)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    g = rng.standard_normal(x.shape).astype(np.float32)
    np.testing.assert_array_equal(layer.backward(g), g)
    zero = Dropout(0.0)
    np.testing.assert_array_equal(zero.forward(x, training=True), x)
    np.testing.assert_array_equal(zero.backward(g), g)


def test_dropout_same_seed_same_masks_different_seed_different_masks():
    x = np.ones((64, 32), np.float32)
    a, b, c = Dropout(0.5, seed=3), Dropout(0.5, seed=3), Dropout(0.5, seed=4)
    for _ in range(3):  # the whole sequence of masks repeats
        ya, yb, yc = a.forward(x), b.forward(x), c.forward(x)
        np.testing.assert_array_equal(ya, yb)
        assert not np.array_equal(ya, yc)
    assert not np.array_equal(a.forward(x), a.forward(x)), "successive batches need fresh masks"
    glassnet.seed(11)
    first = Dropout(0.5).forward(x)
    glassnet.seed(11)
    np.testing.assert_array_equal(Dropout(0.5).forward(x), first)  # global seed -> reproducible too


def test_dropout_rejects_bad_rates():
    for rate in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"rate .*\[0, 1\)"):
            Dropout(rate)


# -- common protocol ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer",
    [Dense(4, kernel_initializer="he_normal"), Flatten(), ReLU(), LeakyReLU(0.3), Sigmoid(), Tanh(), Softmax(),
     BatchNorm(momentum=0.2, eps=1e-3), BatchNorm1D(), BatchNorm2D(), Dropout(0.3, seed=5)],
    ids=lambda layer: type(layer).__name__,
)
def test_config_rebuilds_an_equal_layer(layer):
    config = layer.get_config()
    cls = LAYER_CLASSES[type(layer).__name__]
    rebuilt = cls.from_config(config)
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == config
    assert glassnet.layers.__dict__[type(layer).__name__] is cls
