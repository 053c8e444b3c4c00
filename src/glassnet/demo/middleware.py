"""The demo server's two pieces of ASGI middleware: a body size limit and security headers."""
from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""Content-Security-Policy of the page: its own files only, no inline script, no framing."""


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON error response {"detail": ...}."""
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


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
        received, finished, started = 0, False, False

        async def limited_receive() -> Message:
            nonlocal received, finished
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                finished = not message.get("more_body", False)
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if started:
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
    """Add nosniff and no-referrer to every response, and a strict Content-Security-Policy to the page."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_page = scope["path"] == "/" or scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                if is_page:
                    headers += [(b"content-security-policy", PAGE_POLICY.encode()), (b"x-frame-options", b"DENY")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
