"""Running the demo app with uvicorn: on a socket we bind ourselves, in the foreground or a thread.

The server is meant for a classroom: ``--host 0.0.0.0`` on a school network, where one
pupil's broken (or mischievous) client must not take the page away from the others.
uvicorn bounds idle keep-alive connections and the header size, but not the time a
client may take to send its request: a client sending one header byte a second keeps a
connection (and with enough of them, every file descriptor) forever. ``GuardedH11Protocol``
adds the missing deadlines to uvicorn's h11 protocol; ``Limits`` holds every bound.
"""
from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator

import h11
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

KEEP_ALIVE_TIMEOUT = 5
"""Seconds an idle keep-alive connection stays open (uvicorn's default): the page sends its next
drawing well within it while someone draws, and a browser reopens a closed one in a millisecond."""
HEADER_TIMEOUT = 10.0
"""Seconds from a connection's opening (or its previous response) to the end of the request's
headers. A browser sends its 1-2 kB of headers at once; only a stalled or slowloris client
takes longer."""
BODY_TIMEOUT = 30.0
"""Seconds from the end of the headers to the end of the body: the 1 MiB body limit at 35 kB/s,
slower than any school network; the page's drawings are about 40 kB."""
SEND_TIMEOUT = 30.0
"""Seconds a client may leave the answer unread (the server's send buffer full) before the connection
is dropped: a client that never reads would otherwise hold its request forever."""
MAX_CONNECTIONS = 256
"""Open connections at which a new request gets 503 at once (uvicorn's limit_concurrency): a class
of 40 with the 6 connections a browser opens to one server at most is 240."""
MAX_OPEN_CONNECTIONS = 512
"""Connections beyond this are closed unread as soon as they are accepted: under a flood the server
keeps its file descriptors (usually 1024 per process) and memory, and recovers once it stops."""
MAX_HEADER_BYTES = 16 * 1024
"""Largest request line + headers (h11's default; larger gets 400): 4-8x a browser's usual
headers, leaving room for cookies other local apps set for the same host."""
GRACEFUL_SHUTDOWN = 2
"""Seconds Ctrl+C waits for predictions in progress (a few ms each) before stopping anyway."""

CLOSE_REASON = "glassnet.close_reason"
"""Scope key where the protocol says why it closed a connection under a running request."""
STOPPING = "the server is stopping"

_TIMEOUT_TEXT = b"the request's headers did not arrive in time\n"
REQUEST_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                            b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_TIMEOUT_TEXT), _TIMEOUT_TEXT))

log = logging.getLogger("uvicorn.error")
"""uvicorn's own logger: its lines and the demo's share one format on stderr."""


@dataclass(frozen=True)
class Limits:
    """Every time and size bound of the demo server (see the module constants for the reasons)."""

    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT
    header_timeout: float = HEADER_TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    send_timeout: float = SEND_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    max_open_connections: int = MAX_OPEN_CONNECTIONS
    max_header_bytes: int = MAX_HEADER_BYTES
    graceful_shutdown: float = GRACEFUL_SHUTDOWN


class BoundedHeadConnection(h11.Connection):
    """h11's server connection, refusing a request whose line and headers exceed ``max_head_bytes``.

    h11 bounds only a head still incomplete in its buffer: one that arrives whole, in a
    single read of up to 256 kB, would pass. Raising h11's own error makes uvicorn answer
    400 and close, as it does for any malformed request.
    """

    def __init__(self, max_head_bytes: int):
        super().__init__(h11.SERVER, max_incomplete_event_size=max_head_bytes)
        self.max_head_bytes = max_head_bytes

    def next_event(self) -> Any:
        """The next h11 event; RemoteProtocolError for a request head over the limit."""
        event = super().next_event()
        if isinstance(event, h11.Request):
            size = len(event.method) + len(event.target) + sum(len(k) + len(v) + 4 for k, v in event.headers) + 14
            if size > self.max_head_bytes:
                raise h11.RemoteProtocolError(f"request headers of {size} bytes; the limit is {self.max_head_bytes}",
                                              error_status_hint=431)
        return event


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines on reading a request, and a cap on open connections.

    uvicorn (0.54) times out only idle keep-alive connections, and only between requests.
    The protocol, not an ASGI middleware, is where this can be done: the application is
    called only once the headers are complete.
    Here a timer runs while the client owes us part of a request: its headers
    (``header_timeout`` from the connection's start or the previous response) and then its
    body (``body_timeout``). Progress does not reset a timer, so trickling bytes buys no
    time. When it fires the connection is closed; an application waiting for the body
    sees a disconnect, with the reason in its scope under ``CLOSE_REASON``.
    """

    limits: Limits = Limits()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.conn = BoundedHeadConnection(self.limits.max_header_bytes)

    def connection_made(self, transport: Any) -> None:
        self._deadline: Any = None
        self._send_deadline: Any = None
        self._waiting_for: str | None = None
        self._received = 0
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_open_connections:
            self.transport.close()  # no log line: under a flood there would be thousands
            return
        self._track()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        if self._send_deadline is not None:
            self._send_deadline.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._received += len(data)
        super().data_received(data)
        self._track()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._track()

    def shutdown(self) -> None:
        """Stop at once a connection still sending its request; let one whose answer is being computed finish."""
        if self.cycle is not None and not self.cycle.response_complete and self.conn.their_state is h11.SEND_BODY:
            self.scope[CLOSE_REASON] = STOPPING  # type: ignore[literal-required]
            self.transport.close()
            return
        super().shutdown()

    def pause_writing(self) -> None:
        """The client is not reading what we send: it has ``send_timeout`` seconds to start again."""
        super().pause_writing()
        if self._send_deadline is None:
            self._send_deadline = self.loop.call_later(self.limits.send_timeout, self._not_reading)

    def resume_writing(self) -> None:
        """The client reads again."""
        super().resume_writing()
        if self._send_deadline is not None:
            self._send_deadline.cancel()
            self._send_deadline = None

    def _not_reading(self) -> None:
        self._send_deadline = None
        what = f" to {self.scope['method']} {self.scope['path']}" if self.scope else ""
        log.warning("dropped the connection to %s: it left the answer%s unread for %g s",
                    self._who(), what, self.limits.send_timeout)
        self.transport.abort()  # close() would wait to send the buffered answer first: forever

    def _who(self) -> str:
        return "%s:%d" % self.client if self.client else "a client"

    # -- deadlines ------------------------------------------------------------------
    def _track(self) -> None:
        """Arm, keep or cancel the deadline for what the client owes now: 'headers', 'body' or nothing."""
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        owed = "headers" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if owed == self._waiting_for:
            return
        self._cancel_deadline()
        self._waiting_for = owed
        if owed is not None:
            seconds = self.limits.header_timeout if owed == "headers" else self.limits.body_timeout
            if owed == "headers":
                self._received = 0
            self._deadline = self.loop.call_later(seconds, self._too_slow, owed, seconds)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self, owed: str, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if owed == "headers":
            if self._received:  # a connection that never sent a byte (a browser's spare one) is just idle
                log.warning("closed the connection from %s: its request headers were not complete after %g s "
                            "(%d bytes received)", self._who(), seconds, self._received)
                self.transport.write(REQUEST_TIMEOUT_RESPONSE)
        else:
            self.scope[CLOSE_REASON] = (  # type: ignore[literal-required]
                f"was too slow: the body was not complete after {seconds:g} s, so the server closed the connection")
        self.transport.close()


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


def make_server(app: FastAPI, log_level: str = "warning", limits: Limits = Limits()):
    """A uvicorn server for ``app`` with the demo's ``limits`` (no access log; warnings and errors only)."""
    import uvicorn

    # The h11 protocol, chosen explicitly (not "auto", which would take httptools when it is
    # installed): the deadlines live in a subclass of it.
    protocol = type("GuardedH11Protocol", (GuardedH11Protocol,), {"limits": limits})
    config = uvicorn.Config(
        app, http=protocol, log_level=log_level, access_log=False, lifespan="off",
        timeout_keep_alive=limits.keep_alive_timeout,  # type: ignore[arg-type]
        timeout_graceful_shutdown=limits.graceful_shutdown,  # type: ignore[arg-type]
        limit_concurrency=limits.max_connections,
        h11_max_incomplete_event_size=limits.max_header_bytes,
    )
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
def serve_in_background(
    app: FastAPI, host: str = "127.0.0.1", port: int = 0, limits: Limits = Limits()
) -> Iterator[RunningServer]:
    """Run ``app`` on (host, port) in a daemon thread; yields once it accepts connections."""
    sock = bind_socket(host, port)
    server = make_server(app, limits=limits)
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
