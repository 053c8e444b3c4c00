"""IDX reading and the MNIST-style loaders on small files the tests write: structure checks,
truncated / corrupted / wrong-checksum files, the search order, and the offline message."""
from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import numpy as np
import pytest

from glassnet.data import (
    ChecksumError,
    DatasetError,
    DatasetNotFoundError,
    load_fashion_mnist,
    load_mnist,
    parse_idx,
    read_idx,
    write_idx,
)
from glassnet.data import mnist as mnist_module
from glassnet.data.mnist import FILE_STEMS


def write_fake_idx_set(folder: Path, n_train: int = 12, n_test: int = 6, seed: int = 0, gz: bool = True) -> dict:
    """Write the four MNIST files with random content into ``folder``; return the arrays."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for stem, array in arrays.items():
        write_idx(folder / (stem + (".gz" if gz else "")), array)
    return arrays


# ---------------------------------------------------------------------------------
# The IDX format
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_write_then_read_round_trips_every_idx_type(tmp_path, dtype, suffix):
    array = (np.arange(2 * 3 * 5) * 7 - 20).astype(dtype).reshape(2, 3, 5)
    path = write_idx(tmp_path / f"a-idx3{suffix}", array)
    back = read_idx(path, ndim=3, tail_shape=(3, 5))
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_header_is_big_endian_with_magic_2051_for_images(tmp_path):
    path = write_idx(tmp_path / "x", np.zeros((3, 28, 28), np.uint8), compress=False)
    data = path.read_bytes()
    assert int.from_bytes(data[:4], "big") == 2051
    assert [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(3)] == [3, 28, 28]
    assert len(data) == 16 + 3 * 784


def test_truncated_idx_names_file_and_expected_size(tmp_path):
    path = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((10, 28, 28), np.uint8), compress=False)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DatasetError) as info:
        read_idx(path, ndim=3, tail_shape=(28, 28), hint="delete it")
    message = str(info.value)
    assert str(path) in message and "truncated" in message
    assert str(16 + 10 * 784) in message and "delete it" in message


def test_idx_longer_than_header_says_is_rejected():
    data = bytes([0, 0, 8, 1]) + (3).to_bytes(4, "big") + b"\x01\x02\x03\x04"
    with pytest.raises(DatasetError, match="longer than its header"):
        parse_idx(data, name="labels")


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"\x00\x00", "at least a 4-byte header"),
        (b"PK\x03\x04rest", "not an IDX file"),
        (bytes([0, 0, 0x42, 1]) + bytes(8), "not an IDX file"),
        (bytes([0, 0, 8, 3]) + bytes(4), "shorter than its"),
    ],
)
def test_bad_headers_are_clear_errors(data, expected):
    with pytest.raises(DatasetError, match=expected):
        parse_idx(data, name="some file")


def test_wrong_dimensions_and_image_size_are_rejected(tmp_path):
    labels = write_idx(tmp_path / "labels", np.zeros(5, np.uint8))
    with pytest.raises(DatasetError, match="has 1 dimensions; expected 3"):
        read_idx(labels, ndim=3)
    small = write_idx(tmp_path / "images", np.zeros((5, 14, 14), np.uint8))
    with pytest.raises(DatasetError, match=r"shape \(5, 14, 14\); expected \(N, 28, 28\)"):
        read_idx(small, ndim=3, tail_shape=(28, 28))


def test_truncated_and_corrupted_gzip_name_the_file(tmp_path):
    images = (np.arange(4 * 784) % 251).astype(np.uint8).reshape(4, 28, 28)
    path = write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images)
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(DatasetError, match=r"t10k-images-idx3-ubyte\.gz is not a complete gzip file"):
        read_idx(path)
    corrupted = bytearray(good)
    corrupted[len(good) // 2] ^= 0xFF
    path.write_bytes(bytes(corrupted))
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte.gz"):
        read_idx(path)


def test_checksum_is_of_the_decompressed_bytes(tmp_path):
    array = np.arange(30, dtype=np.uint8)
    plain = write_idx(tmp_path / "a", array, compress=False)
    import hashlib

    digest = hashlib.sha256(plain.read_bytes()).hexdigest()
    # Two different gzip encodings of the same content both pass.
    for level in (1, 9):
        gz = tmp_path / f"a{level}.gz"
        gz.write_bytes(gzip.compress(plain.read_bytes(), compresslevel=level, mtime=level))
        np.testing.assert_array_equal(read_idx(gz, sha256=digest), array)
    with pytest.raises(ChecksumError, match=digest):
        read_idx(plain, sha256="0" * 64)


# ---------------------------------------------------------------------------------
# The MNIST / Fashion-MNIST loaders on small written files
# ---------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_from_data_dir_returns_nchw_float32(offline_data_env, gz):
    arrays = write_fake_idx_set(offline_data_env / "data" / "mnist", gz=gz)
    ds = load_mnist(data_dir=offline_data_env / "data", verify=False)
    assert ds.x_train.shape == (12, 1, 28, 28) and ds.x_test.shape == (6, 1, 28, 28)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    np.testing.assert_array_equal(ds.x_train[:, 0], arrays["train-images-idx3-ubyte"].astype(np.float32) / 255)
    np.testing.assert_array_equal(ds.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert ds.input_shape == (1, 28, 28) and ds.class_names == tuple("0123456789")
    raw = load_mnist(data_dir=offline_data_env / "data", verify=False, raw=True)
    assert raw.x_train.dtype == np.uint8 and raw.x_train.flags.writeable
    np.testing.assert_array_equal(raw.x_train[:, 0], arrays["train-images-idx3-ubyte"])


def test_data_dir_comes_from_the_environment_variable(offline_data_env, monkeypatch):
    write_fake_idx_set(offline_data_env / "mine" / "fashion-mnist", n_train=3, n_test=2)
    monkeypatch.setenv("GLASSNET_DATA_DIR", str(offline_data_env / "mine"))
    ds = load_fashion_mnist(verify=False)
    assert len(ds.x_train) == 3 and ds.class_names[9] == "Ankle boot"


def test_search_order_data_dir_then_cache_then_system(offline_data_env, monkeypatch):
    write_fake_idx_set(offline_data_env / "data" / "fashion-mnist", n_train=1, n_test=1)
    write_fake_idx_set(offline_data_env / "cache" / "fashion-mnist", n_train=2, n_test=1)
    write_fake_idx_set(offline_data_env / "system", n_train=3, n_test=1)
    system_dirs = (str(offline_data_env / "system"),)
    monkeypatch.setattr(mnist_module, "FASHION_MNIST",
                        dataclasses.replace(mnist_module.FASHION_MNIST, system_dirs=system_dirs))
    assert len(mnist_module.load_fashion_mnist(data_dir=offline_data_env / "data", verify=False).x_train) == 1
    assert len(mnist_module.load_fashion_mnist(verify=False).x_train) == 2
    for stem in FILE_STEMS:
        (offline_data_env / "cache" / "fashion-mnist" / f"{stem}.gz").unlink()
    assert len(mnist_module.load_fashion_mnist(verify=False).x_train) == 3


def test_debian_folder_is_searched_for_fashion_mnist():
    assert "/usr/share/datasets/fashion-mnist" in mnist_module.FASHION_MNIST.system_dirs


def test_wrong_checksum_names_file_expected_hash_and_fix(offline_data_env):
    write_fake_idx_set(offline_data_env / "data" / "mnist")
    with pytest.raises(ChecksumError) as info:
        load_mnist(data_dir=offline_data_env / "data")  # verify=True: the official SHA-256 cannot match
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message
    assert mnist_module.MNIST.sha256["train-images-idx3-ubyte"] in message
    assert "GLASSNET_DATA_DIR" in message


def test_corrupted_file_in_cache_says_delete_it(offline_data_env):
    arrays = write_fake_idx_set(offline_data_env / "cache" / "mnist")
    bad = offline_data_env / "cache" / "mnist" / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:-6])  # cut the gzip trailer
    with pytest.raises(DatasetError) as info:
        load_mnist(verify=False)
    assert str(bad) in str(info.value) and f"delete {bad}" in str(info.value)
    assert arrays  # the loader raised: nothing was returned half-loaded


def test_images_and_labels_of_different_lengths_are_rejected(offline_data_env):
    write_fake_idx_set(offline_data_env / "data" / "mnist")
    write_idx(offline_data_env / "data" / "mnist" / "train-labels-idx1-ubyte.gz", np.zeros(11, np.uint8))
    with pytest.raises(DatasetError, match="12 images but .* 11 labels"):
        load_mnist(data_dir=offline_data_env / "data", verify=False)


def test_label_out_of_range_is_rejected(offline_data_env):
    write_fake_idx_set(offline_data_env / "data" / "mnist")
    write_idx(offline_data_env / "data" / "mnist" / "t10k-labels-idx1-ubyte.gz", np.full(6, 10, np.uint8))
    with pytest.raises(DatasetError, match="label 10; expected 0..9"):
        load_mnist(data_dir=offline_data_env / "data", verify=False)


def test_offline_without_files_says_where_it_looked_and_how_to_supply(offline_data_env):
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(data_dir=offline_data_env / "nowhere")
    message = str(info.value)
    assert str(offline_data_env / "nowhere" / "mnist") in message
    assert str(offline_data_env / "cache" / "mnist") in message
    assert "GLASSNET_DATA_DIR" in message and "train-images-idx3-ubyte.gz" in message
    assert "Downloading is off" in message
    assert isinstance(info.value, FileNotFoundError)


def test_download_false_wins_over_environment(offline_data_env, monkeypatch):
    monkeypatch.delenv("GLASSNET_OFFLINE")
    with pytest.raises(DatasetNotFoundError, match="Downloading is off"):
        load_mnist(data_dir=offline_data_env / "nowhere", download=False)
