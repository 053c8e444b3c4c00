"""CIFAR-10 binary version on small files the tests write: record layout, both folder layouts,
the tarball (safe extraction), truncated / corrupted files, checksums, not-found message."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from glassnet.data import ChecksumError, DatasetError, DatasetNotFoundError, load_cifar10, read_cifar10_binary
from glassnet.data import cifar10 as cifar_module


def records(n: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    """n CIFAR-10 binary records: (bytes, images (n, 3, 32, 32) uint8, labels (n,))."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    data = np.concatenate([labels[:, None], images.reshape(n, -1)], axis=1).tobytes()
    return data, images, labels


def write_batches(folder: Path, per_file: int = 3) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Write the six .bin files into ``folder``; return their arrays by file name."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for i, name in enumerate((*cifar_module.TRAIN_FILES, *cifar_module.TEST_FILES)):
        data, x, y = records(per_file + i % 2, seed=i)
        (folder / name).write_bytes(data)
        out[name] = (x, y)
    (folder / "batches.meta.txt").write_text("\n".join(cifar_module.CLASS_NAMES) + "\n")
    return out


def test_record_layout_is_label_then_rgb_planes(tmp_path):
    data, images, labels = records(5, seed=1)
    assert len(data) == 5 * 3073
    (tmp_path / "b.bin").write_bytes(data)
    x, y = read_cifar10_binary(tmp_path / "b.bin", verify=False)
    assert x.shape == (5, 3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.int64
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    # Byte 1 of a record is the top-left red pixel; byte 1 + 1024 the top-left green one.
    assert x[0, 0, 0, 0] == data[1] and x[0, 1, 0, 0] == data[1 + 1024] and x[1, 2, 31, 31] == data[2 * 3073 - 1]


@pytest.mark.parametrize("layout", ["flat", "batches-bin"])
def test_load_from_data_dir_in_either_layout(offline_data_env, layout):
    folder = offline_data_env / "data" / "cifar-10" / ("" if layout == "flat" else "cifar-10-batches-bin")
    arrays = write_batches(folder)
    ds = load_cifar10(data_dir=offline_data_env / "data", verify=False)
    train_x = np.concatenate([arrays[n][0] for n in cifar_module.TRAIN_FILES])
    train_y = np.concatenate([arrays[n][1] for n in cifar_module.TRAIN_FILES])
    assert ds.x_train.shape == (len(train_y), 3, 32, 32) and ds.x_train.dtype == np.float32
    np.testing.assert_array_equal(ds.x_train, train_x.astype(np.float32) / 255)
    np.testing.assert_array_equal(ds.y_train, train_y)
    np.testing.assert_array_equal(ds.y_test, arrays["test_batch.bin"][1])
    assert ds.class_names == ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    assert ds.input_shape == (3, 32, 32)
    raw = load_cifar10(data_dir=offline_data_env / "data", verify=False, raw=True)
    assert raw.x_test.dtype == np.uint8 and np.array_equal(raw.x_test, arrays["test_batch.bin"][0])


def make_tarball(path: Path, source: Path, extra: dict[str, bytes] | None = None) -> None:
    """A cifar-10-binary.tar.gz of the files in ``source`` plus ``extra`` members (name -> bytes)."""
    with tarfile.open(path, "w:gz") as tar:
        for file in sorted(source.iterdir()):
            tar.add(file, arcname=f"cifar-10-batches-bin/{file.name}")
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_tarball_is_extracted_safely_into_the_cache(offline_data_env):
    arrays = write_batches(offline_data_env / "src")
    (offline_data_env / "data" / "cifar-10").mkdir(parents=True)
    hostile = {"../../escaped.txt": b"x", "/tmp/glassnet-absolute-escape.txt": b"x",
               "cifar-10-batches-bin/../../up.bin": b"x", "cifar-10-batches-bin/evil.sh": b"x"}
    make_tarball(offline_data_env / "data" / "cifar-10" / "cifar-10-binary.tar.gz", offline_data_env / "src", hostile)
    ds = load_cifar10(data_dir=offline_data_env / "data", verify=False)
    np.testing.assert_array_equal(ds.y_test, arrays["test_batch.bin"][1])
    extracted = offline_data_env / "cache" / "cifar-10" / "cifar-10-batches-bin"
    assert sorted(p.name for p in extracted.iterdir()) == sorted([*cifar_module.TRAIN_FILES, "test_batch.bin",
                                                                  "batches.meta.txt"])
    assert not (offline_data_env / "escaped.txt").exists() and not (offline_data_env / "up.bin").exists()
    assert not Path("/tmp/glassnet-absolute-escape.txt").exists()
    # Next time the extracted files are used directly.
    (offline_data_env / "data" / "cifar-10" / "cifar-10-binary.tar.gz").unlink()
    assert np.array_equal(load_cifar10(data_dir=offline_data_env / "data", verify=False).y_test, ds.y_test)


def test_tarball_lacking_a_batch_is_an_error(offline_data_env):
    write_batches(offline_data_env / "src")
    (offline_data_env / "src" / "data_batch_3.bin").unlink()
    (offline_data_env / "data" / "cifar-10").mkdir(parents=True)
    make_tarball(offline_data_env / "data" / "cifar-10" / "cifar-10-binary.tar.gz", offline_data_env / "src")
    with pytest.raises(DatasetError, match="lacks cifar-10-batches-bin/data_batch_3.bin"):
        load_cifar10(data_dir=offline_data_env / "data", verify=False)


def test_truncated_tarball_is_an_error_naming_it(offline_data_env):
    write_batches(offline_data_env / "src")
    archive = offline_data_env / "data" / "cifar-10" / "cifar-10-binary.tar.gz"
    archive.parent.mkdir(parents=True)
    make_tarball(archive, offline_data_env / "src")
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(DatasetError, match="cifar-10-binary.tar.gz could not be read"):
        load_cifar10(data_dir=offline_data_env / "data", verify=False)


def test_tarball_with_wrong_checksum_is_rejected(offline_data_env):
    write_batches(offline_data_env / "src")
    archive = offline_data_env / "data" / "cifar-10" / "cifar-10-binary.tar.gz"
    archive.parent.mkdir(parents=True)
    make_tarball(archive, offline_data_env / "src")
    with pytest.raises(ChecksumError, match=cifar_module.ARCHIVE_SHA256):
        load_cifar10(data_dir=offline_data_env / "data")


def test_truncated_batch_file_names_file_and_record_size(offline_data_env):
    write_batches(offline_data_env / "data" / "cifar-10")
    bad = offline_data_env / "data" / "cifar-10" / "data_batch_2.bin"
    bad.write_bytes(bad.read_bytes()[:-10])
    with pytest.raises(DatasetError) as info:
        load_cifar10(data_dir=offline_data_env / "data", verify=False)
    assert str(bad) in str(info.value) and "multiple of 3073" in str(info.value)
    assert "GLASSNET_DATA_DIR" in str(info.value)


def test_label_byte_out_of_range_is_corruption(offline_data_env):
    write_batches(offline_data_env / "data" / "cifar-10")
    bad = offline_data_env / "data" / "cifar-10" / "test_batch.bin"
    data = bytearray(bad.read_bytes())
    data[3073] = 57  # label of record 1
    bad.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match="record 1 has label 57; expected 0..9"):
        load_cifar10(data_dir=offline_data_env / "data", verify=False)


def test_official_file_with_wrong_content_fails_its_checksum(offline_data_env):
    write_batches(offline_data_env / "data" / "cifar-10")
    with pytest.raises(ChecksumError) as info:
        load_cifar10(data_dir=offline_data_env / "data")
    assert "data_batch_1.bin" in str(info.value)
    assert cifar_module.FILE_SHA256["data_batch_1.bin"] in str(info.value)


def test_not_found_says_where_it_looked(offline_data_env):
    with pytest.raises(DatasetNotFoundError) as info:
        load_cifar10(data_dir=offline_data_env / "data")
    message = str(info.value)
    assert str(offline_data_env / "data" / "cifar-10") in message
    assert str(offline_data_env / "cache" / "cifar-10") in message
    assert "cifar-10-binary.tar.gz" in message and "data_batch_1.bin" in message

