"""The demo's web server: a FastAPI app with a small JSON API and the static page.

API (documented at /openapi.json, and at /docs when the browser can reach the
Swagger UI files online):

* ``GET  /api/model``   – name, input shape, class names, layers, conv kernels;
* ``GET  /api/samples`` – a few test images, each ready to POST to /api/predict;
* ``POST /api/predict`` – a drawing -> probabilities, the preprocessed input, activations.

Defences, each tested in tests/test_demo_api.py: bodies over ``max_body_bytes`` get 413
before they are parsed; anything but JSON gets 415; malformed JSON 400; a grid of the
wrong size, type or range 422 with a message saying what was expected; static files
come only from this package's static/ folder; the Host header must name localhost
while the server is bound to it (no DNS rebinding). Inference runs one request at a
time in a worker thread, off the event loop, and a drawing older than the newest one
seen from the same page (``client``, ``seq``) is skipped with 409: the latest drawing wins.
"""
from __future__ import annotations

import collections
import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Iterator

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .inference import DemoModel
from .samples import Samples

STATIC_DIR = Path(str(resources.files("glassnet.demo") / "static"))
MIN_SIDE, MAX_SIDE = 28, 280
"""A drawing is an H x W grid with MIN_SIDE <= H, W <= MAX_SIDE."""
EXPECTED = (f'Expected {{"pixels": [[...], ...]}}: H rows of W numbers in [0, 255] (ink), '
            f"{MIN_SIDE} <= H, W <= {MAX_SIDE}")
MAX_BODY_BYTES = 1 << 20
"""1 MiB: a 280 x 280 grid written as '255,' needs about 320 KB."""
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


# ---------------------------------------------------------------------------------
# Request and response shapes (these are what /openapi.json documents)
# ---------------------------------------------------------------------------------
Ink = Annotated[float, Field(ge=0, le=255, strict=True, allow_inf_nan=False)]
Row = Annotated[list[Ink], Field(min_length=MIN_SIDE, max_length=MAX_SIDE)]


class PredictRequest(BaseModel):
    """A drawing: ink intensities 0 (background) .. 255 (full ink), one list per row."""

    model_config = ConfigDict(extra="forbid")

    pixels: Annotated[
        list[Row],
        Field(
            min_length=MIN_SIDE,
            max_length=MAX_SIDE,
            description=f"H rows of W numbers in [0, 255], {MIN_SIDE} <= H, W <= {MAX_SIDE}; "
            "bright ink on a dark background, as in MNIST. Preprocessed MNIST-style on the server.",
        ),
    ]
    activations: bool = Field(True, strict=True, description="Include every layer's output (false: only the prediction).")
    client: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Id of the page sending the drawing (for 'latest wins')."
    )
    seq: int | None = Field(
        None, ge=0, le=2**53, strict=True,
        description="Increasing number of the drawing from this client; older than the newest seen -> 409.",
    )


class EncodedMaps(BaseModel):
    """An array as 8-bit base64 with one (min, max) per map: value = min + q/255·(max - min)."""

    shape: list[int]
    min: list[float]
    max: list[float]
    data: str = Field(description="base64 of prod(shape) uint8 values in C order")


class LayerOutput(EncodedMaps):
    """One layer's output for the drawing, (C, H, W) maps or a (K,) vector."""

    layer: str
    type: str


class Prediction(BaseModel):
    """The most probable class."""

    index: int
    label: str
    probability: float


class PredictResponse(BaseModel):
    """What the network made of the drawing."""

    seq: int | None = None
    empty: bool = Field(description="True when the drawing had no ink (the input is all zeros).")
    prediction: Prediction
    probabilities: list[float]
    input: EncodedMaps = Field(description="The preprocessed (1, H, W) image the network saw, range [0, 1].")
    activations: list[LayerOutput] | None = None
    timing_ms: dict[str, float]


class Window(BaseModel):
    """A conv or pooling window: output (y, x) sees input rows y·S - P .. y·S - P + K - 1."""

    kernel: list[int]
    stride: list[int]
    pad: list[int] = Field(description="zero rows on top, zero columns on the left")


class LayerInfo(BaseModel):
    """One layer of the model."""

    name: str
    type: str
    input_shape: list[int]
    output_shape: list[int]
    parameters: int
    window: Window | None = None
    kernels: EncodedMaps | None = Field(None, description="Conv weights (OC, C, KH, KW); one range per (OC, C) kernel.")


class ModelInfo(BaseModel):
    """The model being shown."""

    name: str
    input_shape: list[int]
    image_size: list[int]
    classes: list[str]
    preprocessing: str = Field(description="How a drawing is framed before the model sees it.")
    parameters: int
    layers: list[LayerInfo]


class Sample(BaseModel):
    """A test image; POST {"pixels": pixels} to /api/predict to classify it."""

    label: int
    name: str
    pixels: list[list[int]]


class SamplesResponse(BaseModel):
    """Sample inputs for the page's one-click buttons (empty if the model came without any)."""

    samples: list[Sample]


class ErrorResponse(BaseModel):
    """Every 4xx answer: what was wrong and what was expected."""

    detail: str


# ---------------------------------------------------------------------------------
# Middleware
# ---------------------------------------------------------------------------------
def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
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
        response = _error(413, f"request body too large: the limit is {self.max_bytes} bytes",
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


# ---------------------------------------------------------------------------------
# Latest drawing wins
# ---------------------------------------------------------------------------------
class LatestWins:
    """Remember the newest drawing number per client; older ones are stale and skipped."""

    def __init__(self, max_clients: int = 1024):
        self.newest: collections.OrderedDict[str, int] = collections.OrderedDict()
        self.max_clients = max_clients
        self.lock = threading.Lock()
        self.computed = 0
        self.skipped = 0

    def arrive(self, client: str | None, seq: int | None) -> bool:
        """Record a drawing as it arrives; True if it is already older than one seen before."""
        if client is None or seq is None:
            return False
        with self.lock:
            newest = self.newest.get(client, -1)
            self.newest[client] = max(newest, seq)
            self.newest.move_to_end(client)
            while len(self.newest) > self.max_clients:
                self.newest.popitem(last=False)
            return seq < newest

    def is_stale(self, client: str | None, seq: int | None) -> bool:
        """True if a newer drawing from the same client has arrived since."""
        if client is None or seq is None:
            return False
        with self.lock:
            return seq < self.newest.get(client, -1)


def _stale(seq: int) -> JSONResponse:
    return JSONResponse({"detail": f"drawing {seq} was superseded by a newer drawing from the same page", "stale": True}, 409)


# ---------------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------------
def _validation_message(error: ValidationError, limit: int = 3) -> str:
    """The first few problems of a pydantic error, as 'where: what (got ...)' lines joined by '; '."""
    problems = error.errors(include_url=False)
    parts = []
    for problem in problems[:limit]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem["loc"]).lstrip(".") or "body"
        got = problem.get("input")
        shown = f" (got {got!r})" if isinstance(got, (int, float, str, bool)) or got is None else ""
        parts.append(f"{where}: {problem['msg']}{shown}")
    more = f" (and {len(problems) - limit} more problems)" if len(problems) > limit else ""
    return "; ".join(parts) + more


def create_app(
    model: DemoModel | Any,
    class_names: list[str] | None = None,
    samples: Samples | None = None,
    *,
    name: str = "model",
    max_body_bytes: int = MAX_BODY_BYTES,
    allowed_hosts: list[str] | None = list(LOOPBACK_HOSTS),
) -> FastAPI:
    """Build the demo app for a built glassnet classifier (or a ready ``DemoModel``).

    ``allowed_hosts``: Host header values accepted (default: loopback names only);
    None accepts any (for a server deliberately bound to a public address).
    """
    demo = model if isinstance(model, DemoModel) else DemoModel(model, class_names, name=name)
    samples_json = samples.to_json(demo.class_names) if samples is not None else []
    if samples is not None and tuple(samples.images.shape[1:]) != tuple(demo.image_size):
        raise ValueError(
            f"sample images have shape {samples.images.shape[1:]}; expected {tuple(demo.image_size)} for this model"
        )
    demo.run(np.zeros(demo.image_size, dtype=np.float32))  # warm up: the first run allocates and caches
    gate = LatestWins()
    worker = anyio.CapacityLimiter(1)

    app = FastAPI(
        title="glassnet demo",
        summary="Draw a digit and watch the network think: predictions and every layer's activations.",
        version="1",
    )
    app.state.demo, app.state.gate = demo, gate

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # Both answers never change: encoded once, sent as bytes (the response models document them).
    model_bytes = JSONResponse(demo.describe()).body
    samples_bytes = JSONResponse({"samples": samples_json}).body

    @app.get("/api/model", response_model=ModelInfo)
    async def get_model() -> Response:
        """The model: input shape, class names, layers with output shapes, windows and conv kernels."""
        return Response(model_bytes, media_type="application/json")

    @app.get("/api/samples", response_model=SamplesResponse)
    async def get_samples() -> Response:
        """Sample test images; each one's ``pixels`` can be sent to /api/predict as they are."""
        return Response(samples_bytes, media_type="application/json")

    predict_body = {
        "required": True,
        "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
    }
    error_responses: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorResponse, "description": text}
        for code, text in [
            (400, "Malformed JSON"),
            (409, "A newer drawing from the same client has arrived; this one was skipped"),
            (413, "Body larger than the limit"),
            (415, "Body is not application/json"),
            (422, "Pixels of the wrong size, type or range"),
        ]
    }

    @app.post(
        "/api/predict",
        response_model=PredictResponse,
        response_model_exclude_none=True,
        openapi_extra={"requestBody": predict_body},
        responses=error_responses,
    )
    async def predict(request: Request) -> Any:
        """Classify a drawing: MNIST-style preprocessing, then the model, returning every layer's output."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return _error(415, f"expected a JSON body (Content-Type: application/json), got {content_type or 'none'!r}")
        body = await request.body()
        try:
            drawing = PredictRequest.model_validate_json(body)
        except ValidationError as error:
            if any(problem["type"] == "json_invalid" for problem in error.errors()):
                return _error(400, f"the body is not valid JSON: {error.errors()[0]['msg']}")
            return _error(422, f"bad drawing: {_validation_message(error)}. {EXPECTED}")
        widths = {len(row) for row in drawing.pixels}
        if len(widths) != 1:
            return _error(422, f"bad drawing: every row of pixels must have the same length, got lengths "
                               f"{sorted(widths)[:10]}. {EXPECTED}")
        if gate.arrive(drawing.client, drawing.seq):
            gate.skipped += 1
            return _stale(drawing.seq)

        def work() -> dict[str, Any] | None:
            if gate.is_stale(drawing.client, drawing.seq):
                return None
            gate.computed += 1
            pixels = np.asarray(drawing.pixels, dtype=np.float32)
            return demo.run(pixels, with_activations=drawing.activations)

        result = await anyio.to_thread.run_sync(work, limiter=worker)
        if result is None:
            gate.skipped += 1
            return _stale(drawing.seq)
        return {"seq": drawing.seq, **result}

    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    return app


# ---------------------------------------------------------------------------------
# Running it
# ---------------------------------------------------------------------------------
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
