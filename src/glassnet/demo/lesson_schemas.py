"""The lesson API's shapes, as pydantic models: what /openapi.json documents for /api/lessons/*.

The models check the outer form of a request (a JSON object, known fields only, the
required ones present); the arrays and integers inside are checked by ``lesson_arrays``
as the arithmetic reads them, with messages naming the field and entry.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

_NUMBERS = {"type": "array", "items": {}}
IntOrPair = Annotated[Any, WithJsonSchema({"anyOf": [
    {"type": "integer"}, {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}]})]
"""An integer, or [for rows, for columns]."""
Nested = Annotated[Any, WithJsonSchema(_NUMBERS)]
"""Nested lists of numbers."""


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConvRequest(_Request):
    """A convolution: z = x ⋆ W + b, computed by glassnet's Conv2D."""

    input: Nested = Field(description="x: H×W, or C×H×W nested lists of numbers")
    kernel: Nested = Field(description="W: KH×KW (one filter, one channel), or OC×C×KH×KW")
    bias: Nested | None = Field(None, description="b: OC numbers (default zeros)")
    stride: IntOrPair = Field(1, description="S: an integer or [SH, SW]")
    padding: IntOrPair = Field(0, description="P: zero rows/columns on each side, an integer or [PH, PW]")
    dilation: IntOrPair = Field(1, description="D: the kernel's entries D apart, an integer or [DH, DW]")


class ConvResponse(BaseModel):
    """z: OH×OW for a KH×KW kernel, else OC×OH×OW, with OH = (H + 2P - D·(KH-1) - 1) // S + 1."""

    output: list[Any]
    output_shape: list[int]


class BackpropRequest(ConvRequest):
    """A convolution's forward and backward pass for a given δ_in = dL/dz."""

    grad_output: Nested = Field(description="δ_in = dL/dz, the output's shape")


class Gradients(BaseModel):
    """dL/dx (the input's shape), dL/dW (the kernel's), dL/db (OC numbers)."""

    grad_input: list[Any]
    grad_kernel: list[Any]
    grad_bias: list[float]


class BackpropResponse(Gradients):
    """z and the gradients of Conv2D.backward; ``course``: the same from the course's formulas (the reference loops)."""

    output: list[Any]
    course: Gradients
    agree: bool = Field(description="whether Conv2D.backward and the course's formulas agree up to float32 rounding")


class PoolRequest(_Request):
    """Max or average pooling, forward (and backward when grad_output is given), by MaxPool2D / AvgPool2D."""

    input: Nested = Field(description="H×W, or C×H×W nested lists of numbers")
    mode: Any = Field(description="'max' or 'avg'", json_schema_extra={"enum": ["max", "avg"]})
    size: IntOrPair = Field(description="the window KH×KW: an integer or [KH, KW]")
    stride: IntOrPair | None = Field(None, description="an integer or [SH, SW]; default: the window size")
    grad_output: Nested | None = Field(None, description="dL/dy, the output's shape")


class PoolResponse(BaseModel):
    """y, and with grad_output: dL/dx and where each output's δ went."""

    output: list[Any]
    output_shape: list[int]
    grad_input: list[Any] | None = None
    max_at: list[Any] | None = Field(None, description="max: [row, column] of the input each output's δ goes to "
                                                       "(the first maximum of its window)")
    share: list[Any] | None = Field(None, description="avg: δ / (KH·KW), what each input of an output's window gets")


class KernelRequest(_Request):
    """A picture through Conv2D (one kernel on the mean of the channels), then ReLU, then max-pooling."""

    image: Nested = Field(description="H×W or C×H×W pixels in 0..255")
    kernel: Nested = Field(description="K×K numbers, K odd")
    pool: IntOrPair = Field(2, description="max-pooling window and stride")
    padding: IntOrPair = Field(0, description="zero rows/columns around the picture before the convolution")


class KernelResponse(BaseModel):
    """The three maps of step 8's figure."""

    conv: list[list[float]]
    relu: list[list[float]]
    pool: list[list[float]]


class KernelPreset(BaseModel):
    """One of the course's nine 3×3 kernels."""

    name: str = Field(description="its name in glassnet's catalogue (kernel:NAME), e.g. 'sharpen'")
    values: list[list[float]]


class LessonsInfo(BaseModel):
    """What the lesson pages need to start: the server's language, the limits, the kernel presets."""

    language: str
    formula: str
    limits: dict[str, int | float]
    kernels: list[KernelPreset]


class Picture(BaseModel):
    """The course's test picture, 3×128×128 pixels in 0..255."""

    image: list[list[list[int]]]
