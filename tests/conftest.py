"""Shared test helpers: comparing against PyTorch, finding the real datasets, and hiding them."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

DATA_DIR_VARIABLE = "GLASSNET_DATA_DIR"


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |actual - expected| / max |expected|: the error measured against the result's scale."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-12)
    return float(np.abs(actual - expected).max(initial=0.0)) / scale


def randomized(model, seed=0):
    """The model with non-zero biases, BatchNorm γ, β off 1 and 0, and running statistics moved by training passes."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for key in ("b", "beta"):
            if key in layer.params:
                layer.params[key][...] = rng.normal(0, 0.1, layer.params[key].shape)
        if "gamma" in layer.params:
            layer.params["gamma"][...] = rng.uniform(0.5, 1.5, layer.params["gamma"].shape)
    if any(layer.buffers for layer in model.layers):
        for _ in range(3):
            model(rng.normal(0.5, 2.0, (16, *model.input_shape)).astype(np.float32), training=True)
    return model


def use_fake_viz_datasets(monkeypatch, class_names: tuple[str, ...], **table_fields) -> dict:
    """Tiny datasets in place of the viz commands' loader: 'tiny' images (30 train, 20 test, 1x12x12, 3 classes) and
    'table' rows (40, 3) with y = 3·x₁ + 1; ``table_fields`` are added to the table's. Returns them by name."""
    from types import SimpleNamespace

    from glassnet.viz import commands

    rng = np.random.default_rng(7)
    images = SimpleNamespace(
        x_train=rng.random((30, 1, 12, 12)).astype(np.float32), y_train=rng.integers(0, 3, 30),
        x_test=rng.random((20, 1, 12, 12)).astype(np.float32), y_test=rng.integers(0, 3, 20),
        class_names=class_names,
    )
    x_table = rng.random((40, 3)).astype(np.float32) * np.float32(8)
    table = SimpleNamespace(
        x_train=x_table, y_train=(3 * x_table[:, 1] + 1).astype(np.float32),
        x_test=x_table[:10], y_test=(3 * x_table[:10, 1] + 1).astype(np.float32),
        class_names=(), feature_names=("CRIM", "RM", "AGE"), **table_fields,
    )
    sets = {"tiny": images, "table": table}

    def load_dataset(name: str):
        if name not in sets:
            raise ValueError(f"unknown dataset {name!r}")
        return sets[name]

    monkeypatch.setattr(commands, "load_dataset", load_dataset)
    return sets


def assert_close(actual, expected, rtol: float = 1e-4, what: str = "") -> None:
    """Assert the relative error (see ``relative_error``) is at most ``rtol``."""
    err = relative_error(actual, expected)
    assert err <= rtol, f"{what or 'value'}: relative error {err:.3g} > {rtol:g}"


@pytest.fixture
def data_dir() -> Path:
    """The folder holding mnist/, fashion-mnist/, boston/; skips the test when it is not set."""
    value = os.environ.get(DATA_DIR_VARIABLE)
    if not value or not Path(value).is_dir():
        pytest.skip(
            f"real datasets not available: set {DATA_DIR_VARIABLE} to a folder with mnist/, "
            "fashion-mnist/ and boston/ (CI sets it to ../shared/datasets)"
        )
    return Path(value)


@pytest.fixture
def offline_data_env(monkeypatch, tmp_path) -> Path:
    """No data directory from the environment, an empty cache in tmp_path/cache, downloads off; returns tmp_path."""
    monkeypatch.delenv(DATA_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("GLASSNET_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GLASSNET_OFFLINE", "1")
    return tmp_path


@pytest.fixture
def rng() -> np.random.Generator:
    """A fixed-seed generator so every failure reproduces."""
    return np.random.default_rng(20261122)


@pytest.fixture(autouse=True)
def english_unless_a_test_says_otherwise(monkeypatch):
    """Tests check English text: a Chinese locale on the machine running them must not change it."""
    monkeypatch.setenv("GLASSNET_LANG", "en")
