"""Size limits of the dataset readers: decompression bombs, oversized headers and archive members,
non-finite values. Every bomb is built on the fly in tmp_path (a compressed MiB of zeros repeated,
so a 1 GiB bomb is a 1 MB file); memory is measured with tracemalloc, never time."""
from __future__ import annotations

import gzip
import hashlib
import tarfile
import tracemalloc
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from glassnet.data import (
    ChecksumError,
    DatasetError,
    load_cifar10,
    load_mnist,
    read_cifar10_binary,
    read_idx,
    write_idx,
)
from glassnet.data import cifar10 as cifar_module
from glassnet.data import idx as idx_module
from glassnet.data.mnist import FILE_STEMS

MIB = 1 << 20
ZERO_MIB = bytes(MIB)


@contextmanager
def traced() -> Iterator[dict]:
    """Trace Python and NumPy allocations in the block; afterwards ``result['peak']`` is the peak in bytes."""
    tracemalloc.start()
    result: dict = {}
    try:
        yield result
    finally:
        result["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def idx_header(shape: tuple[int, ...], type_code: int = 0x08) -> bytes:
    """The IDX header (magic + big-endian sizes) declaring ``shape``."""
    return bytes([0, 0, type_code, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)


def gzip_bomb(path: Path, head: bytes, zero_mib: int) -> Path:
    """Write a valid gzip file of ``head`` + ``zero_mib`` MiB of zeros without ever holding them.

    After a full flush deflate restarts from scratch, so one MiB of zeros compresses to the
    same ~1 kB every time: the file is that piece repeated (about 1 kB per MiB).
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    piece = compressor.compress(ZERO_MIB) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(ZERO_MIB) + compressor.flush(zlib.Z_FULL_FLUSH) == piece
    last = compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(zero_mib):
        crc = zlib.crc32(ZERO_MIB, crc)
    size = len(head) + zero_mib * MIB
    with open(path, "wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + first)
        for _ in range(zero_mib):
            out.write(piece)
        out.write(last + crc.to_bytes(4, "little") + (size % (1 << 32)).to_bytes(4, "little"))
    return path


def test_the_bomb_helper_writes_a_valid_gzip(tmp_path):
    head = idx_header((3, 28, 28))
    path = gzip_bomb(tmp_path / "b.gz", head, 3)
    assert path.stat().st_size < 5000
    assert gzip.decompress(path.read_bytes()) == head + bytes(3 * MIB)


# ---------------------------------------------------------------------------------
# IDX (MNIST, Fashion-MNIST)
# ---------------------------------------------------------------------------------
def test_header_declaring_more_than_the_limit_is_refused_before_decompressing(tmp_path, monkeypatch):
    monkeypatch.setattr(idx_module, "MAX_IDX_BYTES", MIB)
    head = idx_header((3000, 28, 28))  # 2,352,016 bytes declared, and really there
    path = gzip_bomb(tmp_path / "train-images-idx3-ubyte.gz", head, 3)
    with traced() as memory, pytest.raises(DatasetError) as info:
        read_idx(path, ndim=3, tail_shape=(28, 28), hint="delete it")
    message = str(info.value)
    assert str(path) in message and "(3000, 28, 28)" in message
    assert "2,352,016 bytes" in message and "limit of 1,048,576 bytes" in message
    assert "MAX_IDX_BYTES" in message and "delete it" in message
    assert memory["peak"] < MIB // 2, f"peak {memory['peak']} bytes while refusing a header"


def test_real_size_bomb_of_1_gib_is_refused_by_load_mnist_with_verify(offline_data_env):
    # The case: a small .gz that expands to 1 GiB, with the checksum check on.
    folder = offline_data_env / "data" / "mnist"
    write_fake_idx(folder)
    n = (1 << 30) // 784 + 1
    bomb = gzip_bomb(folder / "train-images-idx3-ubyte.gz", idx_header((n, 28, 28)), 1024)
    assert bomb.stat().st_size < 2 * MIB
    with traced() as memory, pytest.raises(DatasetError) as info:
        load_mnist(data_dir=offline_data_env / "data")
    assert not isinstance(info.value, ChecksumError)
    message = str(info.value)
    assert str(bomb) in message and f"{16 + n * 784:,} bytes" in message
    assert f"limit of {idx_module.MAX_IDX_BYTES:,} bytes" in message
    assert memory["peak"] < 2 * MIB, f"peak {memory['peak']} bytes"


def write_fake_idx(folder: Path, n: int = 4) -> None:
    """The four MNIST files, small and random-free, in ``folder``."""
    for stem in FILE_STEMS:
        shape = (n, 28, 28) if "images" in stem else (n,)
        write_idx(folder / f"{stem}.gz", np.zeros(shape, np.uint8))


@pytest.mark.parametrize("n_images, limit", [(1000, MIB), (60000, None)])
def test_stream_longer_than_its_header_is_refused_after_the_declared_size(tmp_path, monkeypatch, n_images, limit):
    # A header declaring an allowed size, followed by far more data: read the declared size + 1 byte, no more.
    if limit is not None:
        monkeypatch.setattr(idx_module, "MAX_IDX_BYTES", limit)
    head = idx_header((n_images, 28, 28))
    expected = len(head) + n_images * 784
    path = gzip_bomb(tmp_path / "train-images-idx3-ubyte.gz", head, 256)
    with traced() as memory, pytest.raises(DatasetError) as info:
        read_idx(path, ndim=3, tail_shape=(28, 28), sha256="0" * 64)
    assert not isinstance(info.value, ChecksumError)
    message = str(info.value)
    assert str(path) in message and "longer than its header says" in message
    assert f"more than {expected} bytes, expected {expected}" in message
    bound = expected + 4 * idx_module.READ_CHUNK + MIB // 2  # the result + one step's zlib buffers
    assert memory["peak"] < bound, f"peak {memory['peak']} bytes for a {expected}-byte file"


def test_header_declaring_more_than_a_gzip_file_can_hold_is_refused_unallocated(tmp_path):
    head = idx_header((60000, 28, 28))  # allowed, but this 40-byte file cannot expand to 47 MB
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(head + bytes(10), mtime=0))
    with traced() as memory, pytest.raises(DatasetError) as info:
        read_idx(path)
    message = str(info.value)
    assert str(path) in message and "truncated" in message and "47040016 bytes" in message
    assert f"holds at most {1032 * path.stat().st_size}" in message
    assert memory["peak"] < MIB // 2


def test_plain_file_declaring_more_than_the_limit_is_refused(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    n = idx_module.MAX_IDX_BYTES // 784 + 1
    path.write_bytes(idx_header((n, 28, 28)))
    with pytest.raises(DatasetError, match=rf"declares shape \({n}, 28, 28\).*limit of"):
        read_idx(path)


def test_plain_file_larger_than_its_header_is_refused_unread(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    with open(path, "wb") as out:
        out.write(idx_header((10,)) + bytes(10))
        out.truncate(4 << 30)  # 4 GiB, sparse: nothing is written
    with traced() as memory, pytest.raises(DatasetError) as info:
        read_idx(path, ndim=1)
    assert "longer than its header says" in str(info.value) and str(4 << 30) in str(info.value)
    assert memory["peak"] < MIB // 2


def test_read_bytes_decompresses_at_most_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(idx_module, "MAX_IDX_BYTES", MIB)
    path = gzip_bomb(tmp_path / "x.gz", b"", 64)
    with traced() as memory, pytest.raises(DatasetError, match="limit of 1,048,576 bytes"):
        idx_module.read_bytes(path)
    assert memory["peak"] < 2 * MIB + 4 * idx_module.READ_CHUNK, f"peak {memory['peak']} bytes for a 1 MiB limit"
    small = gzip_bomb(tmp_path / "y.gz", b"abc", 0)
    assert idx_module.read_bytes(small) == b"abc"


def test_checksum_still_checked_on_a_bounded_read(tmp_path):
    array = np.arange(5 * 28 * 28, dtype=np.uint8).reshape(5, 28, 28)
    path = write_idx(tmp_path / "a.gz", array)
    digest = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
    np.testing.assert_array_equal(read_idx(path, sha256=digest), array)
    with pytest.raises(ChecksumError, match=digest):
        read_idx(path, sha256="1" * 64)


def test_real_mnist_train_images_read_within_their_own_size(data_dir):
    from glassnet.data.mnist import MNIST

    path = data_dir / "mnist" / "train-images-idx3-ubyte.gz"
    with traced() as memory:
        images = read_idx(path, ndim=3, tail_shape=(28, 28), sha256=MNIST.sha256["train-images-idx3-ubyte"])
    assert images.shape == (60000, 28, 28) and images.nbytes == 47040000
    assert memory["peak"] < 47040016 + 2 * MIB, f"peak {memory['peak']} bytes"


# ---------------------------------------------------------------------------------
# CIFAR-10 binary tarball
# ---------------------------------------------------------------------------------
def tar_header(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    """One 512-byte ustar header declaring ``size`` bytes for ``name`` (the data is up to the caller)."""
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def small_batches() -> list[bytes]:
    """A tar entry (header + data + padding) for each of the six batch files, 3 records each."""
    entries = []
    for i, name in enumerate((*cifar_module.TRAIN_FILES, *cifar_module.TEST_FILES)):
        data = bytes([i % 10]) * (3 * cifar_module.RECORD_BYTES)
        pad = -len(data) % 512
        entries.append(tar_header(f"cifar-10-batches-bin/{name}", len(data)) + data + bytes(pad))
    return entries


def write_tar_gz(path: Path, *entries: bytes) -> Path:
    """A .tar.gz of the given raw tar blocks (possibly lying about their sizes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(b"".join(entries) + bytes(1024), mtime=0))
    return path


@pytest.mark.parametrize("verify", [False, True])
def test_batch_member_declaring_3_gib_is_refused_before_anything_is_written(tmp_path, verify):
    archive = write_tar_gz(tmp_path / "cifar-10-binary.tar.gz",
                           tar_header("cifar-10-batches-bin/data_batch_1.bin", 3 << 30) + bytes(1 << 16))
    dest = tmp_path / "out"
    with traced() as memory, pytest.raises(DatasetError) as info:
        cifar_module.extract_cifar10_archive(archive, dest, verify=verify)
    message = str(info.value)
    assert f"{archive}:cifar-10-batches-bin/data_batch_1.bin declares 3,221,225,472 bytes" in message
    assert "30,730,000" in message and "nothing was extracted" in message
    assert list(dest.iterdir()) == []
    assert memory["peak"] < MIB


def test_oversized_test_batch_after_good_ones_leaves_the_cache_empty(offline_data_env):
    # verify=False (the loader's option for small files in the same format): still no oversized write.
    folder = offline_data_env / "data" / "cifar-10"
    write_tar_gz(folder / "cifar-10-binary.tar.gz", *small_batches()[:5],
                 tar_header("cifar-10-batches-bin/test_batch.bin", 3 << 30) + bytes(1 << 16))
    with pytest.raises(DatasetError, match=r"test_batch\.bin declares 3,221,225,472 bytes"):
        load_cifar10(data_dir=offline_data_env / "data", verify=False)
    extracted = offline_data_env / "cache" / "cifar-10" / "cifar-10-batches-bin"
    assert list(extracted.iterdir()) == []  # not even the five good batches: no half-extraction


@pytest.mark.parametrize("size, expected", [
    (10001 * 3073, "a positive multiple of 3,073 bytes, at most 30,730,000"),
    (3074, "a positive multiple of 3,073 bytes"),
    (0, "a positive multiple of 3,073 bytes"),
])
def test_batch_member_size_must_be_whole_records_up_to_10000(tmp_path, size, expected):
    archive = write_tar_gz(tmp_path / "a.tar.gz", tar_header("cifar-10-batches-bin/data_batch_2.bin", size))
    with pytest.raises(DatasetError, match=f"declares {size:,} bytes in its tar header; expected {expected}"):
        cifar_module.extract_cifar10_archive(archive, tmp_path / "out", verify=False)


def test_with_verify_a_batch_member_must_be_exactly_10000_records(tmp_path):
    archive = write_tar_gz(tmp_path / "a.tar.gz", *small_batches())
    with pytest.raises(DatasetError, match=r"declares 9,219 bytes in its tar header; expected 30,730,000 bytes"):
        cifar_module.extract_cifar10_archive(archive, tmp_path / "out", verify=True)
    assert list((tmp_path / "out").iterdir()) == []


def test_meta_member_is_limited_to_a_few_kilobytes(tmp_path):
    archive = write_tar_gz(tmp_path / "a.tar.gz", tar_header("cifar-10-batches-bin/batches.meta.txt", 1 << 30))
    with pytest.raises(DatasetError, match=r"batches\.meta\.txt declares 1,073,741,824 bytes.*at most 4,096"):
        cifar_module.extract_cifar10_archive(archive, tmp_path / "out", verify=False)


def test_other_member_over_the_archive_limit_is_refused_from_its_header(tmp_path):
    archive = write_tar_gz(tmp_path / "a.tar.gz", tar_header("cifar-10-batches-bin/readme.html", 3 << 30))
    with traced() as memory, pytest.raises(DatasetError) as info:
        cifar_module.extract_cifar10_archive(archive, tmp_path / "out", verify=False)
    assert "readme.html declares 3,221,225,472 bytes" in str(info.value)
    assert f"limit of {cifar_module.MAX_TAR_BYTES:,} bytes" in str(info.value)
    assert memory["peak"] < MIB


def test_tar_stream_decompressing_past_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(cifar_module, "MAX_TAR_BYTES", MIB)
    # Four members of 512 kB zeros (each allowed alone): 2 MB of tar from a 4 kB file.
    junk = [tar_header(f"cifar-10-batches-bin/junk{i}", 512 * 1024) + bytes(512 * 1024) for i in range(4)]
    archive = gzip_bomb(tmp_path / "a.tar.gz", b"".join(junk), 0)
    with traced() as memory, pytest.raises(DatasetError) as info:
        cifar_module.extract_cifar10_archive(archive, tmp_path / "out", verify=False)
    message = str(info.value)
    assert str(archive) in message and "decompresses to more than the limit of 1,048,576 bytes" in message
    assert memory["peak"] < MIB


def test_oversized_extended_tar_header_is_refused_unread(tmp_path):
    archive = write_tar_gz(tmp_path / "a.tar.gz", tar_header("././@PaxHeader", 100 << 20, tarfile.XHDTYPE))
    with traced() as memory, pytest.raises(DatasetError) as info:
        cifar_module.extract_cifar10_archive(archive, tmp_path / "out", verify=False)
    assert "extended header" in str(info.value) and "104,857,600 bytes; expected at most 65,536" in str(info.value)
    assert memory["peak"] < MIB


def test_too_many_tar_entries_are_refused(tmp_path):
    archive = write_tar_gz(tmp_path / "a.tar.gz", *[tar_header(f"x{i}", 0) for i in range(100)])
    with pytest.raises(DatasetError, match="holds more than 64 entries"):
        cifar_module.extract_cifar10_archive(archive, tmp_path / "out", verify=False)


def test_archive_file_over_the_limit_is_refused_before_hashing(offline_data_env, monkeypatch):
    monkeypatch.setattr(cifar_module, "MAX_TAR_BYTES", 100)
    archive = write_tar_gz(offline_data_env / "data" / "cifar-10" / "cifar-10-binary.tar.gz", *small_batches())
    with pytest.raises(DatasetError) as info:
        load_cifar10(data_dir=offline_data_env / "data")
    assert not isinstance(info.value, ChecksumError)
    assert f"{archive} is {archive.stat().st_size:,} bytes, more than the limit of 100 bytes" in str(info.value)


def test_batch_file_larger_than_the_format_allows_is_refused_unread(tmp_path):
    path = tmp_path / "data_batch_1.bin"
    with open(path, "wb") as out:
        out.truncate(4 << 30)  # sparse: nothing is written
    with traced() as memory, pytest.raises(DatasetError) as info:
        read_cifar10_binary(path, verify=False, hint="delete it")
    assert f"{path} is 4,294,967,296 bytes" in str(info.value) and "at most 10,000 records" in str(info.value)
    assert "30,730,000 bytes" in str(info.value) and "delete it" in str(info.value)
    assert memory["peak"] < MIB


def test_small_tarball_still_extracts_after_the_checks(tmp_path):
    archive = write_tar_gz(tmp_path / "a.tar.gz", *small_batches())
    dest = cifar_module.extract_cifar10_archive(archive, tmp_path / "out", verify=False)
    assert sorted(p.name for p in dest.iterdir()) == sorted((*cifar_module.TRAIN_FILES, *cifar_module.TEST_FILES))
    x, y = read_cifar10_binary(dest / "test_batch.bin", verify=False)
    assert x.shape == (3, 3, 32, 32) and y.tolist() == [5, 5, 5]


# ---------------------------------------------------------------------------------
# Boston housing
# ---------------------------------------------------------------------------------
def test_boston_csv_over_the_limit_is_refused_unread(offline_data_env):
    from glassnet.data import load_boston

    path = offline_data_env / "data" / "boston" / "boston_house_prices.csv"
    path.parent.mkdir(parents=True)
    with open(path, "wb") as out:
        out.write(b"CRIM,ZN\n")
        out.truncate(1 << 30)  # sparse 1 GiB
    with traced() as memory, pytest.raises(DatasetError) as info:
        load_boston(data_dir=offline_data_env / "data", verify=False)
    message = str(info.value)
    assert f"{path} is 1,073,741,824 bytes, more than the limit of 1,048,576 bytes" in message
    assert "GLASSNET_DATA_DIR" in message
    assert memory["peak"] < MIB
