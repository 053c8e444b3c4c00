"""The demo's web server: a FastAPI app with a small JSON API and the static page.

API (documented at /openapi.json, and at /docs when the browser can reach the
Swagger UI files online; the shapes are in ``schemas``):

* ``GET  /api/model``   – name, input shape, class names, layers, conv kernels, the server's language;
* ``GET  /api/samples`` – a few test images, each ready to POST to /api/predict;
* ``POST /api/predict`` – a drawing -> probabilities, the preprocessed input, activations;
* ``/lessons/*`` and ``/api/lessons/*`` – the lesson pages and their arithmetic (``lesson_routes``).

Defences, each tested in tests/test_demo_api.py or tests/test_demo_hardening.py: bodies over ``max_body_bytes`` get 413
before they are parsed (``middleware``); anything but JSON gets 415; malformed JSON 400;
a grid of the wrong size, type or range 422 with a message saying what was expected;
static files come only from this package's static/ folder; the Host header must name
localhost while the server is bound to it (no DNS rebinding). Inference runs one
request at a time in a worker thread, off the event loop, and a drawing older than the
newest one seen from the same page (``client``, ``seq``) is skipped with 409: the
latest drawing wins. A client that hangs up mid-request costs one log line
(``middleware.Disconnects``). ``running`` starts the app with uvicorn, with deadlines on
reading a request and a cap on connections.
"""
from __future__ import annotations

import collections
import json
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ..i18n import CATALOGUES, get_language
from .inference import DemoModel
from .lesson_routes import add_lesson_routes
from .middleware import BodySizeLimit, Disconnects, SecurityHeaders, error_response
from .running import LOOPBACK_HOSTS
from .samples import Samples
from .schemas import (EXPECTED, ErrorResponse, ModelInfo, PredictRequest, PredictResponse, SamplesResponse,
                      validation_message)

STATIC_DIR = Path(str(resources.files("glassnet.demo") / "static"))
MAX_BODY_BYTES = 1 << 20
"""1 MiB: a 280 x 280 grid written as '255,' needs about 320 KB."""


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


def _stale(seq: int | None) -> JSONResponse:
    return JSONResponse({"detail": f"drawing {seq} was superseded by a newer drawing from the same page",
                         "stale": True}, 409)


# ---------------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------------
PAGE_CATALOGUE_PREFIXES = ("class:", "kernel:")
"""Catalogue entries the pages show (dataset classes, step 8's kernels): kept in glassnet.i18n only, sent as JS."""


def page_catalogue_js() -> str:
    """JavaScript adding the catalogue's ``class:``/``kernel:`` entries of each language to window.GLASSNET_STRINGS."""
    tables = {lang: {key: text for key, text in messages.items() if key.startswith(PAGE_CATALOGUE_PREFIXES)}
              for lang, messages in CATALOGUES.items()}
    return ("// glassnet's catalogue (glassnet/i18n): class and kernel names, added to strings.js's tables\n"
            f"(function (tables) {{ for (const lang in tables) Object.assign(window.GLASSNET_STRINGS[lang] ||= {{}}, tables[lang]); }})"
            f"({json.dumps(tables, ensure_ascii=False)});\n")


def create_app(
    model: DemoModel | Any,
    class_names: list[str] | None = None,
    samples: Samples | None = None,
    *,
    name: str = "model",
    max_body_bytes: int = MAX_BODY_BYTES,
    allowed_hosts: Sequence[str] | None = LOOPBACK_HOSTS,
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
    catalogue_js = page_catalogue_js().encode("utf-8")

    @app.get("/api/catalogue.js", include_in_schema=False)
    async def catalogue() -> Response:
        """The catalogue's class and kernel names in every language, added to the pages' tables (strings.js)."""
        return Response(catalogue_js, media_type="text/javascript; charset=utf-8")

    # The model and the samples never change: described once (the response models document them).
    described = demo.describe()
    samples_bytes = JSONResponse({"samples": samples_json}).body

    @app.get("/api/model", response_model=ModelInfo)
    async def get_model() -> JSONResponse:
        """The model: input shape, class names, layers with output shapes, windows and conv kernels; and the
        server's language (GLASSNET_LANG, --lang, the locale), which the pages start in unless the reader chose one."""
        return JSONResponse({"language": get_language(), **described})

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
            return error_response(415, f"expected a JSON body (Content-Type: application/json), got {content_type or 'none'!r}")
        body = await request.body()
        try:
            drawing = PredictRequest.model_validate_json(body)
        except ValidationError as error:
            if any(problem["type"] == "json_invalid" for problem in error.errors()):
                return error_response(400, f"the body is not valid JSON: {error.errors()[0]['msg']}")
            return error_response(422, f"bad drawing: {validation_message(error)}. {EXPECTED}")
        widths = {len(row) for row in drawing.pixels}
        if len(widths) != 1:
            return error_response(422, f"bad drawing: every row of pixels must have the same length, got lengths "
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

    add_lesson_routes(app, STATIC_DIR)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(Disconnects)  # the last added is the outermost
    return app
