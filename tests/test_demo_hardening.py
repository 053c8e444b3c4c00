"""The demo server against slow, idle, greedy and vanishing clients, bad models and odd model paths.

Servers run on 127.0.0.1 (an ephemeral port) in a thread, with small limits so that a
deadline passes in a second; every wait is bounded and every test stops its server.
The clients are raw sockets: a slowloris sending one header byte every 0.5 s, a body
that trickles, connections that are never used, a reader that never reads, a client that
hangs up mid-body. Ctrl+C is sent to a real ``glassnet demo`` process.
"""
from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import tracemalloc

import httpx
import pytest

from glassnet import Dense, Flatten, Sigmoid, Softmax
from glassnet.demo import modelfile
from glassnet.demo.commands import load_demo
from glassnet.demo.inference import DemoModel
from glassnet.demo.modelfile import load_classifier, load_shipped, save_classifier
from glassnet.demo.running import (
    KEEP_ALIVE_TIMEOUT, MAX_CONNECTIONS, MAX_HEADER_BYTES, GuardedH11Protocol, Limits, make_server, serve_in_background,
)
from glassnet.demo.server import create_app
from glassnet.model import Sequential

PREDICT_HEAD = (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n")
GIVE_UP = 30.0
"""Seconds any wait below gives up after: far beyond the 1 s deadlines under test."""


@pytest.fixture(scope="module")
def app():
    model, names, name, samples = load_shipped()
    return create_app(model, names, samples, name=name)


class Lines(logging.Handler):
    """Every line the server's log would print (tracebacks included), kept in a list."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.extend(self.format(record).splitlines())


@contextlib.contextmanager
def serving(app, **limits):
    """(running server, its log lines) with ``limits``; the log handler goes on after uvicorn configures logging."""
    with serve_in_background(app, limits=Limits(**limits)) as running:
        lines = Lines()
        logger = logging.getLogger("uvicorn")
        logger.addHandler(lines)
        try:
            yield running, lines.lines
        finally:
            logger.removeHandler(lines)


def address(running) -> tuple[str, int]:
    host, port = running.url.split("//")[1].strip("/").rsplit(":", 1)
    return host, int(port)


def closed_by_server(sock: socket.socket, trickle: bytes = b"", every: float = 0.5) -> bytes | None:
    """Send ``trickle`` one byte per ``every`` s until the server closes: all it sent, or None if it never did."""
    received, position, deadline = b"", 0, time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        try:
            if position < len(trickle):
                sock.send(trickle[position:position + 1])
                position += 1
            readable, _, _ = select.select([sock], [], [], every)
            if readable:
                chunk = sock.recv(65536)
                if not chunk:
                    return received
                received += chunk
        except (ConnectionResetError, BrokenPipeError):
            return received
    return None


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + GIVE_UP
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def connect(running, timeout: float = GIVE_UP) -> socket.socket:
    return socket.create_connection(address(running), timeout=timeout)


def assert_serves(running) -> None:
    assert httpx.get(running.url + "api/model", timeout=GIVE_UP).status_code == 200


# ---------------------------------------------------------------------------------
# the limits used by `glassnet demo`
# ---------------------------------------------------------------------------------
def test_the_default_limits_reach_uvicorn(app):
    config = make_server(app).config
    assert issubclass(config.http, GuardedH11Protocol) and config.http.limits == Limits()
    assert config.timeout_keep_alive == KEEP_ALIVE_TIMEOUT and config.limit_concurrency == MAX_CONNECTIONS
    assert config.h11_max_incomplete_event_size == MAX_HEADER_BYTES
    limits = Limits()
    assert limits.keep_alive_timeout < limits.header_timeout < limits.body_timeout
    assert limits.max_connections < limits.max_open_connections


# ---------------------------------------------------------------------------------
# slow and idle clients
# ---------------------------------------------------------------------------------
def test_a_slowloris_client_is_disconnected(app):
    with serving(app, header_timeout=1.0) as (running, log), connect(running) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        received = closed_by_server(sock, b"Host: 127.0.0.1\r\nX-Slow: " + b"a" * 200)
        assert received is not None, "the server kept a connection whose headers never ended"
        assert received == b"" or received.startswith(b"HTTP/1.1 408 "), received[:80]
        wait_for(lambda: any("headers were not complete" in line for line in log), "the log line")
        assert len(log) == 1 and "127.0.0.1" in log[0], log
        assert_serves(running)


def test_a_body_that_trickles_is_cut_off_with_one_log_line(app):
    with serving(app, body_timeout=1.0) as (running, log), connect(running) as sock:
        sock.sendall(PREDICT_HEAD + b'{"pixels": [')
        assert closed_by_server(sock, b"[0, 0, 0, 0, 0, 0, 0, 0, " * 40) is not None, "the slow body was never cut off"
        wait_for(lambda: log, "the log line")
        time.sleep(0.3)  # nothing more may follow
        assert len(log) == 1 and "too slow" in log[0] and "POST /api/predict" in log[0], log
        assert_serves(running)


def test_a_connection_that_sends_nothing_is_closed_without_a_log_line(app):
    # Browsers open spare connections they may never use: closing them is routine, not worth a line.
    with serving(app, header_timeout=1.0, keep_alive_timeout=30) as (running, log), connect(running) as sock:
        assert closed_by_server(sock) == b""
        assert log == []


def test_an_idle_keep_alive_connection_is_closed(app):
    with serving(app, keep_alive_timeout=1) as (running, log), connect(running) as sock:
        sock.sendall(b"GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        received = closed_by_server(sock)
        assert received is not None and received.startswith(b"HTTP/1.1 200 "), (received or b"")[:80]
        assert log == []


def test_a_client_that_never_reads_its_answer_is_dropped(app):
    with serving(app, send_timeout=1.0) as (running, log):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(GIVE_UP)
        with sock:
            sock.connect(address(running))
            # 200 pipelined requests for the samples (~60 kB each): far more than the socket buffers hold.
            sock.sendall(b"GET /api/samples HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 200)
            connections = running.server.server_state.connections
            wait_for(lambda: connections, "the server to accept the connection")
            wait_for(lambda: not connections, "the server to drop the connection")
        assert len(log) == 1 and "unread" in log[0], log
        assert_serves(running)


def test_too_large_headers_get_400(app):
    with serving(app) as (running, log), connect(running) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + b"c" * (MAX_HEADER_BYTES + 1024) + b"\r\n\r\n")
        received = closed_by_server(sock)
        assert received is not None and received.startswith(b"HTTP/1.1 400 "), (received or b"")[:80]
        assert_serves(running)


# ---------------------------------------------------------------------------------
# too many connections
# ---------------------------------------------------------------------------------
def test_the_connection_limits(app):
    with serving(app, max_connections=3, max_open_connections=4, header_timeout=60) as (running, log):
        connections = running.server.server_state.connections
        held = [connect(running) for _ in range(4)]
        try:
            for sock in held:
                sock.sendall(b"GET / HTTP/1.1\r\n")  # a request begun, never finished
            wait_for(lambda: len(connections) == 4, "4 open connections")
            # Over max_open_connections: closed at once, unread and unanswered.
            with connect(running) as extra:
                extra.sendall(b"GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                assert closed_by_server(extra) == b""
            # At max_connections: answered 503 at once.
            held.pop().close()
            wait_for(lambda: len(connections) == 3, "3 open connections")
            with connect(running) as extra:
                extra.sendall(b"GET /api/model HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                received = closed_by_server(extra)
                assert received is not None and received.startswith(b"HTTP/1.1 503 "), (received or b"")[:80]
        finally:
            for sock in held:
                sock.close()
        wait_for(lambda: not connections, "the held connections to close")
        assert_serves(running)


# ---------------------------------------------------------------------------------
# clients that hang up
# ---------------------------------------------------------------------------------
def test_each_hang_up_mid_body_logs_exactly_one_line(app):
    with serving(app) as (running, log):
        for _ in range(10):
            with connect(running) as sock:
                sock.sendall(PREDICT_HEAD + b'{"pixels": [[0, 0')
        wait_for(lambda: len(log) >= 10, "10 log lines")
        time.sleep(0.3)  # a traceback would come with its line, not later
        assert len(log) == 10, "\n".join(log)
        for line in log:
            assert line.startswith("WARNING: 127.0.0.1:") and "hung up before sending the whole body" in line
            assert "POST /api/predict, 17 of 1000 bytes received" in line
        assert_serves(running)


def test_ctrl_c_with_open_connections_stops_with_one_line():
    process = subprocess.Popen([sys.executable, "-m", "glassnet.demo.commands", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    sockets = []
    try:
        line = process.stdout.readline()
        assert " at http://127.0.0.1:" in line, line
        host, port = line.split(" at http://")[1].split("/")[0].split(":")
        with httpx.Client(base_url=f"http://{host}:{port}", timeout=GIVE_UP) as http:
            assert http.get("/api/model").status_code == 200  # leaves an idle keep-alive connection
            for request in (b"GET / HTTP/1.1\r\nHost: 127", PREDICT_HEAD + b'{"pixels": [[0'):
                sockets.append(socket.create_connection((host, int(port)), timeout=GIVE_UP))
                sockets[-1].sendall(request)  # one in its headers, one in its body
            time.sleep(0.5)  # let the server read them
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=GIVE_UP)
    finally:
        for sock in sockets:
            sock.close()
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert err.splitlines() == ["glassnet demo: stopped"], err
    assert out == ""


# ---------------------------------------------------------------------------------
# models the demo must refuse
# ---------------------------------------------------------------------------------
def small_model(*last, outputs: int = 10) -> Sequential:
    return Sequential([Flatten(), Dense(outputs), *last], input_shape=(1, 28, 28), seed=0)


def test_a_one_output_model_is_refused_at_start_up_in_one_line(tmp_path):
    path = tmp_path / "one.safetensors"
    save_classifier(small_model(Sigmoid(), outputs=1), path, ["yes"])
    process = subprocess.run([sys.executable, "-m", "glassnet.demo.commands", str(path), "--port", "0"],
                             capture_output=True, text=True, timeout=120)
    assert process.returncode == 1 and process.stdout == ""
    lines = process.stderr.splitlines()
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith(f"glassnet demo: error: model file {path}: the demo shows classifiers")
    assert "1 output" in lines[0] and "at least 2 classes" in lines[0]


@pytest.mark.parametrize("model,words", [
    (small_model(outputs=1), "1 output"),
    (small_model(Softmax(), outputs=1), "1 output"),
    (small_model(Sigmoid()), "last layer is Sigmoid"),
])
def test_models_that_are_not_classifiers_are_refused(model, words):
    with pytest.raises(ValueError, match="the demo shows classifiers") as error:
        DemoModel(model, name="m")
    assert words in str(error.value) and "\n" not in str(error.value)


def test_a_model_trained_as_a_regression_is_refused(tmp_path):
    model = small_model()
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path / "regression.safetensors"
    save_classifier(model, path, [str(d) for d in range(10)])
    with pytest.raises(ValueError, match="mean squared error"):
        load_demo(str(path), None)


def test_classifiers_are_still_served(tmp_path):
    for model in (small_model(), small_model(Softmax()), small_model(outputs=2)):
        assert len(DemoModel(model).class_names) == model.layers[-1].output_shape[0]


# ---------------------------------------------------------------------------------
# model paths that are not model files: each says what it is, nothing is read
# ---------------------------------------------------------------------------------
def load_in_thread(path) -> BaseException:
    """The error loading ``path`` raises, from a thread given GIVE_UP seconds (a read of a FIFO would block)."""
    outcome: list[BaseException] = []

    def load():
        try:
            load_classifier(path)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.append(error)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(GIVE_UP)
    assert not thread.is_alive(), f"loading {path} did not return"
    assert outcome, f"loading {path} succeeded"
    return outcome[0]


def test_a_directory_says_it_is_a_directory(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    save_classifier(small_model(), folder / "model.safetensors", [str(d) for d in range(10)])
    error = load_in_thread(folder)
    assert isinstance(error, IsADirectoryError)
    assert str(error) == (f"model file {folder} is a directory; expected a glassnet .safetensors file "
                          "(it holds model.safetensors)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_fifo_says_it_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    error = load_in_thread(fifo)
    assert isinstance(error, ValueError) and "is a named pipe (FIFO), not a regular file" in str(error)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero on this system")
def test_a_symlink_to_dev_zero_is_refused_without_reading_it(tmp_path):
    link = tmp_path / "model.safetensors"
    link.symlink_to("/dev/zero")
    tracemalloc.start()
    try:
        error = load_in_thread(link)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(error, ValueError)
    assert "(a symbolic link to /dev/zero) is a character device, not a regular file" in str(error)
    assert peak < 1 << 20, f"{peak} bytes allocated while refusing /dev/zero"


def test_a_dangling_symlink_and_a_missing_file_say_so(tmp_path):
    link = tmp_path / "model.safetensors"
    link.symlink_to(tmp_path / "gone.safetensors")
    assert "is a symbolic link to" in str(load_in_thread(link)) and "which does not exist" in str(load_in_thread(link))
    missing = tmp_path / "missing.safetensors"
    error = load_in_thread(missing)
    assert isinstance(error, FileNotFoundError) and str(error).startswith(f"model file {missing} does not exist")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(modelfile, "MAX_FILE_BYTES", 4096)
    path = tmp_path / "big.safetensors"
    path.write_bytes(b"\0" * 8192)
    error = load_in_thread(path)
    assert isinstance(error, ValueError) and "8,192 bytes, over the demo's limit of 4,096" in str(error)


def test_a_samples_path_that_is_a_directory_says_so(tmp_path):
    folder = tmp_path / "samples.safetensors"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="samples file .* is a directory"):
        load_demo(None, str(folder))
