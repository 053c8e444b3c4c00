"""Running the demo app with uvicorn: on a socket we bind ourselves, in the foreground or a thread."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator

from fastapi import FastAPI

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """True for 127.x.x.x, ::1 and localhost."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free one. OSError says which address failed."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP, not 0: asyncio switches Nagle's algorithm off (TCP_NODELAY) only for
    # sockets that say so, and with Nagle on, a keep-alive response waits ~40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def address_of(sock: socket.socket) -> str:
    """The http:// URL a bound socket serves."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def make_server(app: FastAPI, log_level: str = "warning"):
    """A uvicorn server for ``app`` (no access log; errors only)."""
    import uvicorn

    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off", timeout_graceful_shutdown=2)
    return uvicorn.Server(config)


@dataclass
class RunningServer:
    """A demo server running in a background thread (for tests, benchmarks and notebooks)."""

    url: str
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread."""
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextlib.contextmanager
def serve_in_background(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningServer]:
    """Run ``app`` on (host, port) in a daemon thread; yields once it accepts connections."""
    sock = bind_socket(host, port)
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="glassnet-demo")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the demo server did not start")
        time.sleep(0.01)
    running = RunningServer(address_of(sock), server, thread)
    try:
        yield running
    finally:
        running.stop()
        sock.close()
