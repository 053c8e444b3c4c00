"""``glassnet evaluate MODEL_FILE``: the course's test report (loss, accuracy per class, confusion matrix)."""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import losses, metrics, report
from ..data import dataset_key
from ..data.boston import select_features
from ..data.images import fit_to_input
from ..modelfile import load_model_file
from ..i18n import tr
from .common import EXIT_OK, CLIError, class_names_of, load_dataset, note, say


def evaluation_report(model: Any, x: np.ndarray, y: np.ndarray, class_names: Sequence[str] | None,
                      batch_size: int = 256) -> tuple[str, dict[str, Any]]:
    """Run the model on test data x (N, ...), y (N,); return the report text and the numbers behind it."""
    outputs = model.predict(x, batch_size=batch_size)
    loss_name = getattr(model, "loss", None)
    loss_fn = losses.get(loss_name if loss_name is not None else ("cross_entropy" if class_names else "mse"))
    test_loss = float(loss_fn(outputs, y))
    if class_names is None:
        text = report.regression_report(test_loss, y, outputs)
        return text, {"test_loss": test_loss}
    y_true = metrics.class_indices(y)
    y_pred = outputs.argmax(axis=1)
    matrix = metrics.confusion_matrix(y_true, y_pred, num_classes=len(class_names))
    text = report.classification_report(test_loss, y_true, y_pred, class_names, matrix)
    numbers = {
        "test_loss": test_loss,
        "test_accuracy": float(np.trace(matrix)) / max(int(matrix.sum()), 1),
        "confusion_matrix": matrix.tolist(),
        "class_names": list(class_names),
    }
    return text, numbers


def cmd_evaluate(args: argparse.Namespace) -> int:
    """glassnet evaluate MODEL_FILE [--dataset NAME]: the course's report on the test set."""
    model, metadata = load_model_file(args.model_file)
    name = args.dataset or metadata.get("dataset")
    if not name:
        raise CLIError(tr("error:no_dataset_recorded"), localized=True)
    key = dataset_key(name)
    ds = load_dataset(key, args.limit)
    x_test = np.asarray(ds.x_test)
    if metadata.get("features") and getattr(ds, "feature_names", None):  # e.g. Boston's one-feature lesson: RM
        x_test = select_features(x_test, metadata["features"], ds.feature_names)
    fitted = fit_to_input(x_test, model.input_shape or (), f"dataset {key!r}")
    if fitted is not x_test:
        note(f"converting dataset {key!r} images from {x_test.shape[1]} to {fitted.shape[1]} channel(s)")
    x_test = fitted
    class_names = class_names_of(ds)
    outputs = model.output_shape or ()
    if class_names is not None and outputs != (len(class_names),):
        raise CLIError(f"the model has {outputs[0]} outputs but dataset {key!r} has {len(class_names)} classes")
    say(tr("cli:evaluating", model=args.model_file, dataset=key, count=len(x_test)))
    text, _ = evaluation_report(model, x_test, ds.y_test, class_names)
    say("")
    say(text)
    return EXIT_OK
