"""The shapes of the demo's JSON API, as pydantic models: what /openapi.json documents.

``PredictRequest`` is also what validates a drawing, strictly: numbers only (no
strings, no booleans), finite, in [0, 255], every row the same length, sides from
MIN_SIDE to MAX_SIDE, no unknown fields.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

MIN_SIDE, MAX_SIDE = 28, 280
"""A drawing is an H x W grid with MIN_SIDE <= H, W <= MAX_SIDE."""
EXPECTED = (f'Expected {{"pixels": [[...], ...]}}: H rows of W numbers in [0, 255] (ink), '
            f"{MIN_SIDE} <= H, W <= {MAX_SIDE}")
"""The sentence every 422 answer ends with."""

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
    empty: bool = Field(description="True when the drawing is blank: no ink, or the same ink everywhere. "
                                    "Then there is no prediction, and notice says why.")
    notice: str | None = Field(None, description="Only for a blank drawing: one sentence saying why no prediction "
                                                 "was made, e.g. 'blank drawing: no pixel has ink above 5% ...'.")
    prediction: Prediction | None = Field(None, description="The most probable class; absent for a blank drawing.")
    probabilities: list[float] = Field(description="The network's output, one probability per class (for a blank "
                                                   "drawing too, where it means nothing).")
    input: EncodedMaps = Field(description="The preprocessed (1, H, W) image the network saw, range [0, 1].")
    activations: list[LayerOutput] | None = None
    timing_ms: dict[str, float]


class Window(BaseModel):
    """A conv or pooling window: output (y, x) sees input rows y·S - P + k·D for k = 0 .. K - 1."""

    kernel: list[int]
    stride: list[int]
    pad: list[int] = Field(description="zero rows on top, zero columns on the left")
    dilation: list[int] = Field([1, 1], description="the kernel's entries D rows / columns apart (1: side by side)")


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

    language: str = Field(description="The server's language (en or zh): the pages start in it unless the reader "
                                      "has chosen one.")
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


def validation_message(error: ValidationError, limit: int = 3) -> str:
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
