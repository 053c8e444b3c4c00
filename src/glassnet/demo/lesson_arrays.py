"""The lesson API's arguments, checked: nested lists of numbers -> float32 arrays, ints and pairs -> tuples.

Every problem is a ``LessonError`` naming the field (and, inside an array, the entry) and
what was expected, which the server answers with 422: a wrong nesting, rows of different
lengths, a side over the page's limit, something that is not a number, a number that is
not finite or is too large to multiply without overflowing float32.

The limits are the pages' own (the explorers use far smaller sizes); they keep every
request a few milliseconds of work, so one pupil cannot slow the server for the class.
"""
from __future__ import annotations

from typing import Any

import numpy as np

MAX_SIDE = 64
"""Largest H or W of an input (explorers, backprop), and of a pooled input."""
MAX_POOL_SIDE = 32
"""Largest H or W of a pooled input: each output's route is found by a backward pass of its own."""
MAX_IMAGE_SIDE = 200
"""Largest H or W of a kernel-playground picture (the page shrinks uploads to 160)."""
MAX_CHANNELS = 8
"""Most input channels C, and filters OC."""
MAX_KERNEL_SIDE = 11
"""Largest KH or KW of a kernel or pooling window."""
MAX_STEP = 8
"""Largest stride and dilation."""
MAX_PADDING = 10
"""Largest padding on a side."""
MAX_BACKPROP_SIDE, MAX_BACKPROP_CHANNELS, MAX_BACKPROP_KERNEL_SIDE = 16, 4, 5
"""Smaller limits for the backprop explorer: its course formulas run as Python loops (``impl="loops"``)."""
MAX_VALUE = 1e6
"""Largest |number| in an array: sums of products of these stay far inside float32."""

RANGE = f"[-{MAX_VALUE:,.0f}, {MAX_VALUE:,.0f}]"

LIMITS = {"max_side": MAX_SIDE, "max_pool_side": MAX_POOL_SIDE, "max_image_side": MAX_IMAGE_SIDE,
          "max_channels": MAX_CHANNELS, "max_kernel_side": MAX_KERNEL_SIDE, "max_step": MAX_STEP,
          "max_padding": MAX_PADDING, "max_value": MAX_VALUE, "max_backprop_side": MAX_BACKPROP_SIDE,
          "max_backprop_channels": MAX_BACKPROP_CHANNELS, "max_backprop_kernel_side": MAX_BACKPROP_KERNEL_SIDE}
"""Every limit by name, as GET /api/lessons tells the pages."""


class LessonError(ValueError):
    """A bad lesson request: ``field`` names the argument, the message says what was wrong and what was expected."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def shape_text(shape: tuple[int, ...] | list[int]) -> str:
    """(2, 3, 3) -> '2×3×3'."""
    return "×".join(str(int(d)) for d in shape)


def _depth(value: Any) -> tuple[int, bool]:
    """How deeply the first entries nest ([[1, 2]] -> 2), and whether an empty list ended the descent."""
    depth = 0
    while isinstance(value, list):
        depth += 1
        if not value:
            return depth, True
        value = value[0]
    return depth, False


def _where(field: str, index: tuple[int, ...]) -> str:
    return field + "".join(f"[{i}]" for i in index)


def _check_nesting(value: Any, field: str, index: tuple[int, ...], shape: tuple[int, ...]) -> None:
    """Every list at this depth has the length ``shape`` says, and the innermost entries are numbers."""
    if not isinstance(value, list):
        raise LessonError(_where(field, index), f"expected a list of {shape[0]} entries, got {type(value).__name__}")
    if len(value) != shape[0]:
        raise LessonError(_where(field, index), f"has {len(value)} entries where the first has {shape[0]}: every "
                          "row must have the same length")
    if len(shape) > 1:
        for i, item in enumerate(value):
            _check_nesting(item, field, (*index, i), shape[1:])
        return
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            shown = repr(item) if len(repr(item)) < 30 else type(item).__name__
            raise LessonError(_where(field, (*index, i)), f"expected a number, got {shown}")
        if isinstance(item, int) and abs(item) > MAX_VALUE:  # (an int too large for a float would not convert)
            digits = int(item.bit_length() * 0.30103) + 1  # (a float would overflow: say its size)
            raise LessonError(_where(field, (*index, i)), f"an integer of {digits} digits is not a number in {RANGE}")


def nested_array(value: Any, field: str, ranks: tuple[int, ...], names: dict[int, str],
                 max_sides: dict[int, tuple[int, ...]]) -> np.ndarray:
    """Nested lists of numbers -> a float32 array whose rank is one of ``ranks``, each side within ``max_sides[rank]``.

    ``names[rank]`` says the shape in words ('C×H×W'), for the messages.
    """
    expected = " or ".join(names[rank] for rank in ranks)
    depth, empty = _depth(value)
    if empty:
        raise LessonError(field, f"expected {expected} nested lists of numbers, got an empty list")
    if depth not in ranks:
        got = "a single value" if depth == 0 else f"{depth} level{'s' if depth > 1 else ''} of lists"
        raise LessonError(field, f"expected {expected} nested lists of numbers, got {got}")
    shape = []
    item = value
    for _ in range(depth):
        shape.append(len(item))
        item = item[0]
    for side, (size, limit) in enumerate(zip(shape, max_sides[depth])):
        if size > limit:
            axis = names[depth].split("×")[side]
            raise LessonError(field, f"{axis} = {size} is over this page's limit of {limit} ({names[depth]})")
    _check_nesting(value, field, (), tuple(shape))
    array = np.asarray(value, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(array) | (np.abs(array) > MAX_VALUE))
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        raise LessonError(_where(field, index), f"{float(array[index]):g} is not a finite number in {RANGE}")
    return array.astype(np.float32)


def integer_pair(value: Any, field: str, low: int, high: int) -> tuple[int, int]:
    """An int or a pair [h, w] of ints, each in [low, high] -> (h, w)."""
    expected = f"an integer from {low} to {high}, or a pair [h, w] of them"
    items = value if isinstance(value, list) else [value, value]
    if len(items) != 2:
        raise LessonError(field, f"expected {expected}, got a list of {len(items)}")
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            raise LessonError(field, f"expected {expected}, got {item!r}")
        if not low <= item <= high:
            raise LessonError(field, f"{item} is out of range: expected {expected}")
    return int(items[0]), int(items[1])
