"""Size limits of the dataset readers: decompression bombs, oversized headers and archive members,
non-finite values. Every bomb is built on the fly in tmp_path (a compressed MiB of zeros repeated,
so a 1 GiB bomb is a 1 MB file); memory is measured with tracemalloc, never time."""
from __future__ import annotations

import gzip
import tracemalloc
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from glassnet.data import ChecksumError, DatasetError, load_mnist, read_idx, write_idx
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
    digest = __import__("hashlib").sha256(gzip.decompress(path.read_bytes())).hexdigest()
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
