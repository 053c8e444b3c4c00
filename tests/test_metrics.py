"""Metrics: accuracy, mae, confusion matrix, per-class accuracy, look-up by name."""
from __future__ import annotations

import numpy as np
import pytest

from glassnet import metrics


def test_accuracy_from_int_labels_one_hot_and_binary_scores(rng):
    scores = rng.normal(size=(200, 7)).astype(np.float32)
    labels = rng.integers(0, 7, 200)
    expected = float(np.mean(scores.argmax(1) == labels))
    assert metrics.accuracy(labels, scores) == pytest.approx(expected)
    assert metrics.accuracy(np.eye(7, dtype=np.float32)[labels], scores) == pytest.approx(expected)
    assert metrics.accuracy(labels.astype(np.float64), scores) == pytest.approx(expected)
    # Binary: one probability per sample, above 0.5 means class 1.
    p = np.array([[0.9], [0.2], [0.6], [0.4]], dtype=np.float32)
    assert metrics.accuracy(np.array([1, 0, 0, 0]), p) == pytest.approx(0.75)
    assert metrics.accuracy(np.array([1, 0, 0, 0]), p[:, 0]) == pytest.approx(0.75)


def test_accuracy_rejects_mismatched_counts():
    with pytest.raises(ValueError, match="labels for 3 predictions"):
        metrics.accuracy(np.array([0, 1]), np.zeros((3, 2)))


def test_mae_on_regression_and_on_class_probabilities(rng):
    pred = rng.normal(size=(50, 1)).astype(np.float32)
    target = rng.normal(size=50)
    assert metrics.mae(target, pred) == pytest.approx(np.abs(pred[:, 0] - target.astype(np.float32)).mean(), rel=1e-6)
    probs = rng.dirichlet(np.ones(4), size=30).astype(np.float32)
    labels = rng.integers(0, 4, 30)
    assert metrics.mae(labels, probs) == pytest.approx(np.abs(probs - np.eye(4)[labels]).mean(), rel=1e-6)
    with pytest.raises(ValueError, match="expected the shape of y_pred"):
        metrics.mae(np.zeros((5, 2)), np.zeros((5, 3)))


def test_confusion_matrix_rows_are_truth_and_counts_match_a_loop(rng):
    truth = rng.integers(0, 5, 300)
    pred = rng.integers(0, 5, 300)
    cm = metrics.confusion_matrix(truth, pred, 5)
    assert cm.dtype == np.int64 and cm.shape == (5, 5)
    loop = np.zeros((5, 5), dtype=np.int64)
    for t, p in zip(truth, pred):
        loop[t, p] += 1
    np.testing.assert_array_equal(cm, loop)
    # Scores are argmax-ed, one-hot truth too; and the count of classes can be inferred.
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(5)[truth], np.eye(5)[pred]), loop)
    assert metrics.confusion_matrix([0, 1, 1], [1, 1, 0]).tolist() == [[0, 1], [1, 1]]


def test_confusion_matrix_rejects_classes_out_of_range():
    with pytest.raises(ValueError, match=r"outside \[0, 3\)"):
        metrics.confusion_matrix([0, 1, 3], [0, 1, 2], num_classes=3)
    with pytest.raises(ValueError, match="same count"):
        metrics.confusion_matrix([0, 1], [0, 1, 2])


def test_per_class_accuracy_is_recall_and_nan_for_unseen_classes():
    truth = np.array([0, 0, 0, 0, 1, 1, 2])
    pred = np.array([0, 0, 1, 2, 1, 0, 2])
    expected = np.array([0.5, 0.5, 1.0, np.nan])
    np.testing.assert_allclose(metrics.per_class_accuracy(truth, pred, 4), expected)
    np.testing.assert_allclose(metrics.per_class_accuracy(metrics.confusion_matrix(truth, pred, 4)), expected)
    with pytest.raises(ValueError, match=r"\(K, K\)"):
        metrics.per_class_accuracy(np.zeros((2, 3)))


def test_get_by_name_gives_the_history_key():
    assert metrics.get("accuracy") == ("accuracy", metrics.accuracy)
    assert metrics.get("acc") == ("accuracy", metrics.accuracy)
    assert metrics.get("MAE") == ("mae", metrics.mae)

    def top_score(y_true, y_pred):
        return 1.0

    assert metrics.get(top_score) == ("top_score", top_score)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        metrics.get("f1")
