"""The loaders against the real files (found through GLASSNET_DATA_DIR; skipped without it):
MNIST and Fashion-MNIST shapes, dtypes, per-class counts and checksums; Boston's Keras split
and the first training row the course prints."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from glassnet.data import load, load_boston, load_fashion_mnist, load_mnist, read_idx
from glassnet.data.mnist import FASHION_MNIST, FILE_STEMS, MNIST

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def _load(loader, data_dir: Path, **kwargs):
    return loader(data_dir=data_dir, download=False, **kwargs)


def test_mnist_shapes_dtypes_counts(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_CACHE_DIR", str(tmp_path))
    ds = _load(load_mnist, data_dir)
    assert ds.x_train.shape == (60000, 1, 28, 28) and ds.x_test.shape == (10000, 1, 28, 28)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert 0.0 == ds.x_train.min() and ds.x_train.max() == 1.0
    assert abs(float(ds.x_train.mean()) - 0.1307) < 1e-3  # the mean every MNIST tutorial normalises by
    assert np.bincount(ds.y_train).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(ds.y_test).tolist() == MNIST_TEST_COUNTS
    assert ds.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    held = ds.hold_out(10000)  # the Keras lesson: (50000, 28, 28), (10000, 28, 28), (10000, 28, 28)
    assert held.x_train.shape[0] == 50000 and held.x_valid.shape[0] == 10000 and held.x_test.shape[0] == 10000
    np.testing.assert_array_equal(held.y_valid, ds.y_train[:10000])


def test_fashion_mnist_shapes_counts_and_first_labels(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_CACHE_DIR", str(tmp_path))
    ds = _load(load_fashion_mnist, data_dir, raw=True)
    assert ds.x_train.shape == (60000, 1, 28, 28) and ds.x_train.dtype == np.uint8
    assert np.bincount(ds.y_train).tolist() == [6000] * 10
    assert np.bincount(ds.y_test).tolist() == [1000] * 10
    assert ds.y_train[:9].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5]  # printed in the Keras lesson
    assert ds.class_names[9] == "Ankle boot"


def readme_checksums(data_dir: Path) -> dict[tuple[str, str], str] | None:
    """The SHA-256 table of the datasets README, as {(dataset folder, file stem): digest}."""
    readme = data_dir / "README.md"
    if not readme.is_file():
        return None
    table = {}
    for stem, m, f in re.findall(r"^\|\s*([\w-]+-ubyte)\s*\|\s*([0-9a-f]{64})\s*\|\s*([0-9a-f]{64})\s*\|",
                                 readme.read_text(), flags=re.M):
        table[("mnist", stem)], table[("fashion-mnist", stem)] = m, f
    return table


@pytest.mark.parametrize("source", [MNIST, FASHION_MNIST], ids=["mnist", "fashion-mnist"])
def test_checksums_of_real_files(data_dir, source):
    documented = readme_checksums(data_dir)
    for stem in FILE_STEMS:
        if documented:
            assert source.sha256[stem] == documented[(source.folder, stem)]
        # read_idx raises ChecksumError on any mismatch of the decompressed bytes.
        array = read_idx(data_dir / source.folder / f"{stem}.gz", sha256=source.sha256[stem])
        assert array.shape[0] == (60000 if stem.startswith("train") else 10000)


def test_boston_split_and_the_first_row_the_course_prints(data_dir):
    ds = _load(load_boston, data_dir)
    assert ds.x_train.shape == (404, 13) and ds.x_test.shape == (102, 13)
    assert ds.y_train.shape == (404,) and ds.y_test.shape == (102,)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.float32
    # keras-course.md, 03-01-01: print("Input features: ", X_train[0]) and the target.
    printed = """[  1.23247   0.        8.14      0.        0.538     6.142    91.7
   3.9769    4.      307.       21.      396.9      18.72   ]"""
    assert str(ds.x_train[0]) == printed
    expected = np.array([1.23247, 0.0, 8.14, 0.0, 0.538, 6.142, 91.7, 3.9769, 4.0, 307.0, 21.0, 396.9, 18.72])
    np.testing.assert_array_equal(ds.x_train[0], expected.astype(np.float32))
    assert ds.y_train[0] == np.float32(15.2) and str(ds.y_train[0]) == "15.2"
    assert ds.feature_names[5] == "RM"
    # Train and test together are the 506 rows, each exactly once.
    rows = np.concatenate([np.c_[ds.x_train, ds.y_train], np.c_[ds.x_test, ds.y_test]])
    assert len(np.unique(rows, axis=0)) == 506


def test_registry_loads_real_data_through_the_environment(data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSNET_DATA_DIR", str(data_dir))
    monkeypatch.setenv("GLASSNET_CACHE_DIR", str(tmp_path))
    ds = load("Fashion-MNIST", download=False, raw=True)
    assert ds.name == "fashion_mnist" and ds.num_classes == 10
    assert load("boston", download=False).input_shape == (13,)
