"""Losses against torch.nn.functional: loss value and dL/dy_pred, float32 in and out."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_close
from glassnet import losses
from glassnet.layers import Softmax
from glassnet.losses import BinaryCrossEntropy, CrossEntropy, MeanSquaredError, softmax_cross_entropy

CONFIGS = [(n, k) for n in (1, 2, 7, 32) for k in (2, 3, 10)]


def _torch_loss_and_grad(fn, y_pred, *args):
    t = torch.tensor(y_pred, requires_grad=True)
    loss = fn(t, *args)
    loss.backward()
    return loss.item(), t.grad.numpy()


def _check(loss_obj, y_pred, y_true, expected_loss, expected_grad):
    value = loss_obj(y_pred, y_true)
    grad = loss_obj.backward()
    assert isinstance(value, float)
    assert grad.shape == y_pred.shape and grad.dtype == y_pred.dtype == np.float32
    assert_close(value, expected_loss, 1e-4, what="loss")
    assert_close(grad, expected_grad, 1e-4, what="gradient")


# -- mean squared error -------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 1), (8, 1), (5, 3), (4, 2, 3, 3)])
def test_mse_matches_torch(shape, rng):
    y_pred = rng.standard_normal(shape).astype(np.float32)
    y_true = rng.standard_normal(shape).astype(np.float32)
    expected = _torch_loss_and_grad(F.mse_loss, y_pred, torch.tensor(y_true))
    _check(MeanSquaredError(), y_pred, y_true, *expected)


def test_mse_accepts_targets_of_shape_n_for_predictions_n_by_1(rng):
    y_pred = rng.standard_normal((6, 1)).astype(np.float32)
    y_true = rng.standard_normal(6)  # float64 targets, as loaded from a CSV
    expected = _torch_loss_and_grad(F.mse_loss, y_pred, torch.tensor(y_true[:, None], dtype=torch.float32))
    _check(MeanSquaredError(), y_pred, y_true, *expected)
    with pytest.raises(ValueError, match=r"y_true has shape \(5,\); expected the shape of y_pred \(6, 1\)"):
        MeanSquaredError()(y_pred, np.zeros(5))


# -- cross-entropy from logits ---------------------------------------------------------
@pytest.mark.parametrize("n,k", CONFIGS)
def test_cross_entropy_from_logits_matches_torch_with_int_and_one_hot_labels(n, k, rng):
    logits = (rng.standard_normal((n, k)) * 3).astype(np.float32)
    labels = rng.integers(0, k, n)
    expected = _torch_loss_and_grad(F.cross_entropy, logits, torch.tensor(labels))
    _check(CrossEntropy(from_logits=True), logits, labels, *expected)
    one_hot = np.eye(k, dtype=np.float32)[labels]
    _check(CrossEntropy(from_logits=True), logits, one_hot, *expected)
    loss, grad = softmax_cross_entropy(logits, labels)
    assert_close(loss, expected[0], 1e-4)
    assert_close(grad, expected[1], 1e-4)


def test_cross_entropy_accepts_soft_labels_and_n_by_1_integer_labels(rng):
    logits = rng.standard_normal((5, 4)).astype(np.float32)
    soft = rng.dirichlet(np.ones(4), 5).astype(np.float32)
    expected = _torch_loss_and_grad(F.cross_entropy, logits, torch.tensor(soft))
    _check(CrossEntropy(), logits, soft, *expected)
    labels = rng.integers(0, 4, (5, 1))
    expected = _torch_loss_and_grad(F.cross_entropy, logits, torch.tensor(labels[:, 0]))
    _check(CrossEntropy(), logits, labels, *expected)


def test_cross_entropy_gradient_is_p_minus_y_over_n(rng):
    logits = rng.standard_normal((9, 5)).astype(np.float32)
    labels = rng.integers(0, 5, 9)
    loss = CrossEntropy()
    loss(logits, labels)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert_close(loss.backward(), (p - np.eye(5)[labels]) / 9, 1e-5)


def test_cross_entropy_is_stable_for_logits_of_1000():
    logits = np.array([[1000, -1000, 0], [-1000, 1000, 1000], [1000, 1000, 1000], [-1000, -1000, 1000]], np.float32)
    labels = np.array([1, 2, 0, 2])
    loss = CrossEntropy(from_logits=True)
    value = loss(logits, labels)
    grad = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad)) and grad.dtype == np.float32
    expected_loss = (2000 + np.log(2) + np.log(3) + 0) / 4
    assert_close(value, expected_loss, 1e-6)
    p = np.array([[1, 0, 0], [0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3], [0, 0, 1]])
    assert_close(grad, (p - np.eye(3)[labels]) / 4, 1e-6)
    torch_expected = _torch_loss_and_grad(F.cross_entropy, logits, torch.tensor(labels))
    assert_close(value, torch_expected[0], 1e-4)
    assert_close(grad, torch_expected[1], 1e-4)


# -- cross-entropy from probabilities (Keras's convention) --------------------------------
@pytest.mark.parametrize("n,k", CONFIGS)
def test_cross_entropy_from_probabilities_matches_torch(n, k, rng):
    probs = rng.dirichlet(np.ones(k), n).astype(np.float32)
    labels = rng.integers(0, k, n)

    def nll_of_probs(p, y):
        return F.nll_loss(torch.log(p), y)

    expected = _torch_loss_and_grad(nll_of_probs, probs, torch.tensor(labels))
    _check(CrossEntropy(from_logits=False), probs, labels, *expected)
    _check(CrossEntropy(from_logits=False), probs, np.eye(k, dtype=np.float32)[labels], *expected)


def test_softmax_then_cross_entropy_on_probabilities_equals_the_fused_gradient(rng):
    """What the model does when it fuses a final Softmax with CrossEntropy(from_logits=False)."""
    logits = rng.standard_normal((16, 10)).astype(np.float32)
    labels = rng.integers(0, 10, 16)
    softmax, on_probs, fused = Softmax(), CrossEntropy(from_logits=False), CrossEntropy(from_logits=True)
    value = on_probs(softmax(logits), labels)
    chained = softmax.backward(on_probs.backward())
    assert_close(fused(logits, labels), value, 1e-5)
    assert_close(chained, fused.backward(), 1e-4)


def test_cross_entropy_on_probabilities_clips_zero_and_one():
    probs = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    loss = CrossEntropy(from_logits=False)
    value = loss(probs, np.array([0, 0]))
    grad = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad)) and grad.dtype == np.float32
    assert_close(value, -np.log(1e-7) / 2, 1e-3)


# -- binary cross-entropy ----------------------------------------------------------------
@pytest.mark.parametrize("shape", [(1,), (7,), (7, 1), (32, 1)])
def test_binary_cross_entropy_matches_torch(shape, rng):
    probs = rng.uniform(0.02, 0.98, shape).astype(np.float32)
    targets = rng.integers(0, 2, shape).astype(np.float32)
    expected = _torch_loss_and_grad(F.binary_cross_entropy, probs, torch.tensor(targets))
    _check(BinaryCrossEntropy(), probs, targets, *expected)
    logits = (rng.standard_normal(shape) * 4).astype(np.float32)
    soft_targets = rng.uniform(0, 1, shape).astype(np.float32)
    expected = _torch_loss_and_grad(F.binary_cross_entropy_with_logits, logits, torch.tensor(soft_targets))
    _check(BinaryCrossEntropy(from_logits=True), logits, soft_targets, *expected)


def test_binary_cross_entropy_is_stable_at_the_extremes():
    logits = np.array([1000, -1000, 80, -80], np.float32)
    targets = np.array([0, 1, 1, 0], np.float32)
    loss = BinaryCrossEntropy(from_logits=True)
    value = loss(logits, targets)
    grad = loss.backward()
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    assert_close(value, 500.0, 1e-6)
    assert_close(grad, np.array([1, -1, 0, 0]) / 4, 1e-6)
    probs = np.array([[0.0], [1.0]], np.float32)
    loss = BinaryCrossEntropy()
    value = loss(probs, np.array([1, 0]))  # int labels (N,) for predictions (N, 1)
    assert np.isfinite(value) and np.all(np.isfinite(loss.backward()))
    assert loss.backward().shape == (2, 1)


def test_binary_cross_entropy_rejects_bad_shapes_and_targets():
    with pytest.raises(ValueError, match=r"expected \(N,\) or \(N, 1\)"):
        BinaryCrossEntropy()(np.full((4, 3), 0.5, np.float32), np.zeros(4))
    with pytest.raises(ValueError, match=r"y_true has shape \(3,\); expected \(4,\)"):
        BinaryCrossEntropy()(np.full(4, 0.5, np.float32), np.zeros(3))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        BinaryCrossEntropy()(np.full(2, 0.5, np.float32), np.array([0, 2]))


# -- label checks, names, protocol -------------------------------------------------------
@pytest.mark.parametrize("from_logits", [True, False])
def test_bad_labels_are_value_errors_that_say_why(from_logits):
    scores = np.full((3, 4), 0.25, np.float32)
    loss = CrossEntropy(from_logits=from_logits)
    with pytest.raises(ValueError, match=r"class indices in \[0, 4\); got \[4\]"):
        loss(scores, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"class indices in \[0, 4\); got \[-1\]"):
        loss(scores, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match="one-hot labels have width 5; expected 4"):
        loss(scores, np.eye(5, dtype=np.float32)[:3])
    with pytest.raises(ValueError, match="got 2 labels for a batch of 3"):
        loss(scores, np.array([0, 1]))
    with pytest.raises(ValueError, match="integer class indices"):
        loss(scores, np.array([0.5, 1, 2]))
    with pytest.raises(ValueError, match=r"expected \(N, K\)"):
        loss(np.zeros(4, np.float32), np.array([0]))


def test_get_by_name():
    assert type(losses.get("mse")) is MeanSquaredError
    assert type(losses.get("mean_squared_error")) is MeanSquaredError
    assert losses.get("cross_entropy").from_logits is True
    assert losses.get("categorical_crossentropy").from_logits is False
    assert losses.get("sparse_categorical_crossentropy").from_logits is False
    assert type(losses.get("binary_crossentropy")) is BinaryCrossEntropy
    mine = CrossEntropy()
    assert losses.get(mine) is mine
    with pytest.raises(ValueError, match="unknown loss 'hinge'.*binary_crossentropy.*mse"):
        losses.get("hinge")
    with pytest.raises(TypeError):
        losses.get(42)


def test_config_round_trip_and_names():
    for loss in (MeanSquaredError(), CrossEntropy(from_logits=False), BinaryCrossEntropy(from_logits=True)):
        rebuilt = losses.LOSS_CLASSES[type(loss).__name__].from_config(loss.get_config())
        assert rebuilt.get_config() == loss.get_config()
        assert isinstance(loss.name, str) and loss.name
    assert CrossEntropy().name == "cross_entropy"


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before forward"):
        CrossEntropy().backward()
