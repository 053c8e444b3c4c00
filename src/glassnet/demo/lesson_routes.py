"""The lesson pages and their JSON API, added to the demo's app by ``add_lesson_routes``.

Pages (static HTML, plain JavaScript, no CDN: they work offline):

* ``/lessons/conv``      – the convolution explorer;   ``/lessons/pool``     – the pooling explorer;
* ``/lessons/kernels``   – the kernel playground;      ``/lessons/backprop`` – the backprop explorer.

API (``lessons`` does the arithmetic with glassnet's layers; the pages only draw):

* ``GET  /api/lessons``           – the server's language, the limits, the course's nine kernels;
* ``GET  /api/lessons/picture``   – the course's test picture;
* ``POST /api/lessons/conv``      – Conv2D forward;
* ``POST /api/lessons/pool``      – MaxPool2D / AvgPool2D forward and backward;
* ``POST /api/lessons/backprop``  – Conv2D forward and backward, beside the course's formulas;
* ``POST /api/lessons/kernel``    – Conv2D -> ReLU -> MaxPool2D on a picture.

A bad request gets the digit page's answers: 415 for anything but JSON, 400 for malformed
JSON, 422 naming the field (``LessonError``, or the request model's own check), and the
body size limit of the whole server (413). Each request runs in a worker thread, off the
event loop, one at a time.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import anyio
import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from ..i18n import get_language
from ..ops.shapes import DILATED_OUTPUT_SIZE_FORMULA
from . import lesson_schemas as schemas
from .lesson_arrays import LIMITS, LessonError
from .lessons import backprop_lesson, conv_lesson, kernel_lesson, pool_lesson
from .middleware import error_response
from .schemas import ErrorResponse, validation_message

PAGES = {"conv": "conv.html", "pool": "pool.html", "kernels": "kernels.html", "backprop": "backprop.html"}
"""/lessons/NAME -> its file in static/."""

ROUTES: dict[str, tuple[type[BaseModel], type[BaseModel], Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "conv": (schemas.ConvRequest, schemas.ConvResponse, conv_lesson),
    "pool": (schemas.PoolRequest, schemas.PoolResponse, pool_lesson),
    "backprop": (schemas.BackpropRequest, schemas.BackpropResponse, backprop_lesson),
    "kernel": (schemas.KernelRequest, schemas.KernelResponse, kernel_lesson),
}
"""/api/lessons/NAME -> (request model, response model, the arithmetic)."""

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in [(400, "Malformed JSON"), (413, "Body larger than the limit"),
                       (415, "Body is not application/json"),
                       (422, "A field of the wrong nesting, size, type or range, or a window that does not fit; "
                             "the message names the field")]
}


@functools.cache
def lessons_info() -> dict[str, Any]:
    """GET /api/lessons without the language: the limits, the formula and the course's nine kernels."""
    from ..viz.playground import CLASSIC_KERNELS  # (with matplotlib's Figure: on first use)

    kernels = [{"name": name, "values": values.tolist()} for name, values in CLASSIC_KERNELS.items()]
    return {"formula": DILATED_OUTPUT_SIZE_FORMULA, "limits": LIMITS, "kernels": kernels}


@functools.cache
def picture_bytes() -> bytes:
    """GET /api/lessons/picture: glassnet's test picture (the course's disc crossed by two lines) as 0..255."""
    from ..viz.picture import test_picture

    pixels = np.rint(test_picture() * 255).astype(np.uint8)
    return bytes(JSONResponse({"image": pixels.tolist()}).body)


def add_lesson_routes(app: FastAPI, static_dir: Any) -> None:
    """Serve the four lesson pages and the /api/lessons routes from ``app``."""
    worker = anyio.CapacityLimiter(1)

    def page_route(file: str) -> Callable[[], Any]:
        async def page() -> FileResponse:
            return FileResponse(static_dir / file, media_type="text/html")

        return page

    for name, file in PAGES.items():
        app.get(f"/lessons/{name}", include_in_schema=False)(page_route(file))

    @app.get("/lessons", include_in_schema=False)
    async def lessons() -> RedirectResponse:
        return RedirectResponse("/lessons/conv")

    @app.get("/api/lessons", response_model=schemas.LessonsInfo)
    async def info() -> dict[str, Any]:
        """The server's language (the pages start in it unless the reader chose one), limits, kernel presets."""
        return {"language": get_language(), **await anyio.to_thread.run_sync(lessons_info)}

    @app.get("/api/lessons/picture", response_model=schemas.Picture)
    async def picture() -> Response:
        """The course's test picture, 3×128×128 pixels in 0..255: POST it to /api/lessons/kernel as ``image``."""
        return Response(await anyio.to_thread.run_sync(picture_bytes), media_type="application/json")

    def api_route(request_model: type[BaseModel], compute: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable:
        async def answer(request: Request) -> Any:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return error_response(415, "expected a JSON body (Content-Type: application/json), got "
                                           f"{content_type or 'none'!r}")
            body = await request.body()
            try:
                fields = request_model.model_validate_json(body).model_dump()
            except ValidationError as error:
                if any(problem["type"] == "json_invalid" for problem in error.errors()):
                    return error_response(400, f"the body is not valid JSON: {error.errors()[0]['msg']}")
                return error_response(422, validation_message(error))
            try:
                result = await anyio.to_thread.run_sync(compute, fields, limiter=worker)
            except LessonError as error:
                return error_response(422, str(error))
            return JSONResponse(result)  # (the response model documents it; its lists need no second check)

        return answer

    for name, (request_model, response_model, compute) in ROUTES.items():
        body = {"required": True, "content": {"application/json": {"schema": request_model.model_json_schema()}}}
        app.post(f"/api/lessons/{name}", response_model=response_model, response_model_exclude_none=True,
                 openapi_extra={"requestBody": body}, responses=ERRORS,
                 summary=request_model.__doc__)(api_route(request_model, compute))
