"""The demo server's ASGI middleware: a body size limit, security headers, and quiet hang-ups."""
from __future__ import annotations

import asyncio
import contextlib

from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .running import CLOSE_REASON, STOPPING, log

PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""Content-Security-Policy of the page: its own files only, no inline script, no framing."""


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error response {"detail": ...}."""
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


class StartWatch:
    """An ASGI send that remembers whether the response has started (after that, no other answer can be sent)."""

    def __init__(self, send: Send):
        self.send, self.started = send, False

    async def __call__(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self.send(message)


class BodyTooLarge(Exception):
    """Raised from the request stream once more than the allowed bytes have arrived."""


class BodySizeLimit:
    """Answer 413 before parsing when Content-Length says too much, or as soon as the stream exceeds it.

    Before the 413 the rest of the body (up to ``DRAIN_LIMIT`` bytes) is read and thrown
    away: closing a socket with unread data makes the kernel send a reset, and the
    client would lose the 413 along with the connection.
    """

    DRAIN_LIMIT = 16 << 20

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self.reject(receive, send, scope, drain=int(declared) <= self.DRAIN_LIMIT)
            return
        received, finished = 0, False

        async def limited_receive() -> Message:
            nonlocal received, finished
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                finished = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        watched_send = StartWatch(send)
        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if watched_send.started:
                raise
            await self.reject(receive, send, scope, drain=not finished)

    async def reject(self, receive: Receive, send: Send, scope: Scope, drain: bool) -> None:
        """Read and drop what is left of the body (never parsed, never kept), then send the 413."""
        drained = 0
        while drain and drained < self.DRAIN_LIMIT:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client has gone
            drained += len(message.get("body", b""))
            drain = message.get("more_body", False)
        response = error_response(413, f"request body too large: the limit is {self.max_bytes} bytes",
                          headers={"Connection": "close"} if drain else None)
        await response(scope, receive, send)


class SecurityHeaders:
    """Add nosniff and no-referrer to every response, and a strict Content-Security-Policy to the pages."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_page = scope["path"] == "/" or scope["path"].startswith(("/static/", "/lessons"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                if is_page:
                    headers += [(b"content-security-policy", PAGE_POLICY.encode()), (b"x-frame-options", b"DENY")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Disconnects:
    """One log line, not a traceback, when a client goes away in the middle of its request.

    Starlette raises ``ClientDisconnect`` when the connection closes before the body is
    complete; uncaught, uvicorn logs it as an application error with a 60-line traceback.
    The protocol (``running.GuardedH11Protocol``) notes in the scope when it closed the
    connection itself: a client too slow (one line saying so) or the server stopping
    (nothing to say). A request still running when uvicorn's shutdown grace time is over
    is cancelled; that is the server stopping too, so it ends without a traceback.
    Must be the outermost middleware, so that it sees the protocol's own scope.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        watched_send = StartWatch(send)
        try:
            await self.app(scope, counting_receive, watched_send)
        except ClientDisconnect:
            reason = scope.get(CLOSE_REASON, "hung up before sending the whole body")
            if reason != STOPPING:
                declared = dict(scope["headers"]).get(b"content-length", b"?").decode("latin-1")
                client = "%s:%d" % tuple(scope["client"]) if scope.get("client") else "a client"
                log.warning("%s %s: %s %s, %d of %s bytes received", client, reason, scope["method"], scope["path"],
                            received, declared)
        except asyncio.CancelledError:
            # uvicorn's shutdown cancels what still runs after its grace time: the server is stopping.
            if not watched_send.started:
                with contextlib.suppress(Exception):
                    await error_response(503, "the server is stopping")(scope, receive, send)
