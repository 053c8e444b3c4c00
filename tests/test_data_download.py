"""Downloads against a local HTTP server on 127.0.0.1: mirrors, verification, truncated bodies,
interruptions (no complete-looking file may remain), and the loaders' download-into-cache path."""
from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from glassnet.data import DatasetNotFoundError, DownloadError, download, load_mnist, write_idx
from glassnet.data.mnist import FILE_STEMS


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes``: path -> (bytes, mode); mode 'ok', 'nolength', 'truncate' or 'nolength-truncate'."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        route = self.server.routes.get(self.path)
        self.server.hits.append(self.path)
        if route is None:
            self.send_error(404, "no such file")
            return
        body, mode = route
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if not mode.startswith("nolength"):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode in ("ok", "nolength"):
            self.wfile.write(body)
        else:  # send half, then drop the connection
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def server():
    """A threaded HTTP server on 127.0.0.1 (random port) with an editable route table."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes, httpd.hits = {}, []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def leftovers(folder: Path) -> list[str]:
    """Every file in ``folder`` (temporary ones included)."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


PAYLOAD = bytes(range(256)) * 400
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def test_download_verifies_and_renames(server, tmp_path):
    server.routes["/f.bin"] = (PAYLOAD, "ok")
    seen = []
    path = download([server.url + "/f.bin"], tmp_path / "f.bin", sha256=PAYLOAD_SHA, chunk_size=4096,
                    progress=lambda got, total: seen.append((got, total)))
    assert path.read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == ["f.bin"]
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD)) and len(seen) > 1


def test_falls_back_to_the_next_mirror(server, tmp_path):
    server.routes["/b/f.bin"] = (PAYLOAD, "ok")
    path = download([server.url + "/a/f.bin", server.url + "/b/f.bin"], tmp_path / "f.bin", sha256=PAYLOAD_SHA)
    assert path.read_bytes() == PAYLOAD and server.hits == ["/a/f.bin", "/b/f.bin"]


@pytest.mark.parametrize("mode", ["truncate", "nolength-truncate"])
def test_connection_dropped_midway_leaves_no_file(server, tmp_path, mode):
    server.routes["/f.bin"] = (PAYLOAD, mode)
    with pytest.raises(DownloadError) as info:
        download([server.url + "/f.bin"], tmp_path / "f.bin", sha256=PAYLOAD_SHA, timeout=5)
    message = str(info.value)
    assert server.url + "/f.bin" in message and "f.bin" in message
    assert ("of 102400 bytes" in message) if mode == "truncate" else ("SHA-256" in message)
    assert leftovers(tmp_path) == []


def test_wrong_checksum_from_every_mirror_leaves_no_file(server, tmp_path):
    server.routes["/f.bin"] = (PAYLOAD[:-1] + b"X", "ok")
    with pytest.raises(DownloadError, match=PAYLOAD_SHA):
        download([server.url + "/f.bin", server.url + "/missing"], tmp_path / "f.bin", sha256=PAYLOAD_SHA)
    assert leftovers(tmp_path) == []


def test_interrupt_during_download_leaves_no_file(server, tmp_path):
    server.routes["/f.bin"] = (PAYLOAD, "ok")

    def interrupt(got, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        download([server.url + "/f.bin"], tmp_path / "f.bin", chunk_size=1024, progress=interrupt)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", ["ok", "nolength"])
def test_body_over_max_bytes_is_refused_and_leaves_no_file(server, tmp_path, mode):
    server.routes["/big.bin"] = (PAYLOAD, mode)
    with pytest.raises(DownloadError) as info:
        download([server.url + "/big.bin"], tmp_path / "big.bin", max_bytes=50_000, chunk_size=4096)
    message = str(info.value)
    assert "big.bin" in message and "limit of 50,000 bytes" in message
    if mode == "ok":  # refused on the announced length, before reading the body
        assert f"announces {len(PAYLOAD):,} bytes" in message
    else:
        assert "sent more than the limit" in message
    assert leftovers(tmp_path) == []
    # Exactly at the limit is accepted.
    path = download([server.url + "/big.bin"], tmp_path / "big.bin", max_bytes=len(PAYLOAD), chunk_size=4096)
    assert path.read_bytes() == PAYLOAD


def test_existing_good_file_is_not_replaced_by_a_failed_download(server, tmp_path):
    (tmp_path / "f.bin").write_bytes(b"old")
    server.routes["/f.bin"] = (PAYLOAD, "truncate")
    with pytest.raises(DownloadError):
        download([server.url + "/f.bin"], tmp_path / "f.bin", timeout=5)
    assert (tmp_path / "f.bin").read_bytes() == b"old" and leftovers(tmp_path) == ["f.bin"]


def test_only_http_urls_are_fetched(tmp_path):
    (tmp_path / "src").write_bytes(b"x")
    with pytest.raises(DownloadError, match="only http"):
        download([(tmp_path / "src").as_uri()], tmp_path / "dest")


def serve_fake_mnist(server, tmp_path) -> dict:
    """Put four small MNIST files on the server under /mnist/; return their arrays."""
    rng = np.random.default_rng(3)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (8, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 8, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 4, dtype=np.uint8),
    }
    (tmp_path / "srv").mkdir(exist_ok=True)
    for stem, array in arrays.items():
        path = write_idx(tmp_path / "srv" / f"{stem}.gz", array)
        server.routes[f"/mnist/{stem}.gz"] = (path.read_bytes(), "ok")
    return arrays


def test_loader_downloads_into_cache_then_works_offline(server, tmp_path, monkeypatch):
    monkeypatch.delenv("GLASSNET_DATA_DIR", raising=False)
    monkeypatch.delenv("GLASSNET_OFFLINE", raising=False)
    arrays = serve_fake_mnist(server, tmp_path)
    cache = tmp_path / "cache"
    ds = load_mnist(cache_dir=cache, mirrors=[server.url + "/nothing-here", server.url + "/mnist"], verify=False)
    np.testing.assert_array_equal(ds.y_train, arrays["train-labels-idx1-ubyte"])
    assert leftovers(cache / "mnist") == sorted(f"{s}.gz" for s in FILE_STEMS)
    hits = len(server.hits)
    again = load_mnist(cache_dir=cache, download=False, verify=False)  # from the cache, no request
    np.testing.assert_array_equal(again.x_test, ds.x_test)
    assert len(server.hits) == hits


def test_loader_download_failure_explains_everything(server, tmp_path, monkeypatch):
    monkeypatch.delenv("GLASSNET_DATA_DIR", raising=False)
    monkeypatch.delenv("GLASSNET_OFFLINE", raising=False)
    serve_fake_mnist(server, tmp_path)
    body, _ = server.routes["/mnist/train-images-idx3-ubyte.gz"]
    server.routes["/mnist/train-images-idx3-ubyte.gz"] = (body, "truncate")
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(cache_dir=tmp_path / "cache", mirrors=[server.url + "/mnist/"], verify=False, timeout=5)
    message = str(info.value)
    assert "every mirror failed" in message and "/mnist/train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "cache" / "mnist") in message and "GLASSNET_DATA_DIR" in message
    assert "train-images-idx3-ubyte.gz" not in leftovers(tmp_path / "cache" / "mnist")
    assert not any(name.endswith(".part") for name in leftovers(tmp_path / "cache" / "mnist"))


def test_loader_rejects_a_mirror_serving_wrong_content(server, tmp_path, monkeypatch):
    monkeypatch.delenv("GLASSNET_DATA_DIR", raising=False)
    serve_fake_mnist(server, tmp_path)  # random content: the official SHA-256 cannot match
    with pytest.raises(DatasetNotFoundError, match="failed its integrity check"):
        load_mnist(cache_dir=tmp_path / "cache", mirrors=[server.url + "/mnist/"], download=True, timeout=5)
    assert leftovers(tmp_path / "cache" / "mnist") == []


def test_loader_refuses_a_mirror_serving_a_gzip_bomb(server, tmp_path, monkeypatch):
    monkeypatch.delenv("GLASSNET_DATA_DIR", raising=False)
    serve_fake_mnist(server, tmp_path)
    # A valid IDX header declaring 100,000 images (78 MB, over the limit), then zeros: an 8 kB .gz.
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (100_000, 28, 28))
    body = gzip.compress(header + bytes(8 << 20), compresslevel=9, mtime=0)
    server.routes["/mnist/train-images-idx3-ubyte.gz"] = (body, "ok")
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(cache_dir=tmp_path / "cache", mirrors=[server.url + "/mnist/"], download=True, timeout=5)
    message = str(info.value)
    assert "every mirror failed" in message and "/mnist/train-images-idx3-ubyte.gz" in message
    assert f"{16 + 100_000 * 784:,} bytes" in message and "limit of 67,108,864 bytes" in message
    assert leftovers(tmp_path / "cache" / "mnist") == []


def test_real_mnist_downloaded_from_local_mirror_with_official_checksums(server, tmp_path, monkeypatch, data_dir):
    """The whole online path with the real files: served locally, verified by their published SHA-256."""
    monkeypatch.delenv("GLASSNET_DATA_DIR", raising=False)
    for stem in FILE_STEMS:
        server.routes[f"/mirror/{stem}.gz"] = ((data_dir / "mnist" / f"{stem}.gz").read_bytes(), "ok")
    ds = load_mnist(cache_dir=tmp_path / "cache", mirrors=[server.url + "/mirror"], download=True)
    assert ds.x_train.shape == (60000, 1, 28, 28) and ds.y_test.shape == (10000,)
    assert os.path.getsize(tmp_path / "cache" / "mnist" / "train-images-idx3-ubyte.gz") == \
        os.path.getsize(data_dir / "mnist" / "train-images-idx3-ubyte.gz")
