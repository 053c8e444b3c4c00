"""The course's synthetic image sets, regenerated from a seed: colours, shapes, and both.

* ``colors``: 28x28 RGB on black, 6 classes by colour (red, green, blue, yellow, cyan,
  magenta); the shape drawn in that colour (circle, rectangle, triangle, diamond,
  thin line) is drawn independently of the class, so only the colour tells the class.
* ``shapes``: 28x28 white on black, 1 channel, 5 classes by shape.
* ``shape_colors``: 28x28 RGB, 9 classes = 3 shapes (circle, rectangle, triangle)
  x 3 colours (red, green, blue), every pair equally often.

Unlike the course's generators, every shape appears at every orientation (angle
uniform in [0, 2 pi)), at varying size and position, and colour never depends on shape.
Rectangles and diamonds are never squares (their side / diagonal ratio is 0.45-0.75),
so that a rotated square cannot be both classes at once.

Each shape is a boolean mask computed on a coordinate grid for a whole group of
images at once: rotate the grid into the shape's own frame (u along its main axis,
v across it), then test an inequality. No per-pixel or per-image Python loop.
"""
from __future__ import annotations

import numpy as np

from ..backend import make_rng
from .dataset import Dataset
from .transforms import to_unit_range

SHAPES = ("circle", "rectangle", "triangle", "diamond", "line")
COLORS = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "cyan": (0, 255, 255),
    "magenta": (255, 0, 255),
}
SHAPE_COLOR_SHAPES = ("circle", "rectangle", "triangle")
SHAPE_COLOR_COLORS = ("red", "green", "blue")
SHAPE_COLOR_NAMES = tuple(f"{c} {s}" for s in SHAPE_COLOR_SHAPES for c in SHAPE_COLOR_COLORS)
"""Class k of shape_colors is shape k // 3 in colour k % 3."""

IMAGE_SIZE = 28
MIN_RADIUS, MAX_RADIUS = 5.0, 11.0
"""Range of each shape's bounding radius (centre to farthest point), in pixels."""
LINE_HALF_WIDTH = 0.75
"""Half the width of a line: just over sqrt(2)/2, so its pixels stay connected at any angle."""


def _inside(shape: str, u: np.ndarray, v: np.ndarray, r: np.ndarray, aspect: np.ndarray) -> np.ndarray:
    """Mask (n, H, W) of points (u, v) in the shape's own frame that lie inside it."""
    if shape == "circle":
        return u * u + v * v <= r * r
    if shape == "rectangle":
        half_long = r / np.sqrt(1 + aspect * aspect)  # the corners lie on the bounding circle
        return (np.abs(u) <= half_long) & (np.abs(v) <= half_long * aspect)
    if shape == "triangle":
        # Equilateral with circumradius r: inside all three edges, each at distance r/2 from the centre.
        inside = np.ones(u.shape, dtype=bool)
        for angle in (-np.pi / 2, np.pi / 6, 5 * np.pi / 6):
            inside &= u * np.float32(np.cos(angle)) + v * np.float32(np.sin(angle)) <= r / 2
        return inside
    if shape == "diamond":
        return np.abs(u) / r + np.abs(v) / (r * aspect) <= 1
    if shape == "line":
        return (np.abs(u) <= r) & (np.abs(v) <= LINE_HALF_WIDTH)
    raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")


def draw_shapes(
    shape_ids: np.ndarray,
    rng: np.random.Generator,
    *,
    shapes: tuple[str, ...] = SHAPES,
    size: int = IMAGE_SIZE,
) -> np.ndarray:
    """Shape indices (N,) into ``shapes`` -> masks (N, size, size) bool, each at a random size, place and angle."""
    shape_ids = np.asarray(shape_ids, dtype=np.int64)
    n = int(shape_ids.shape[0])
    r = rng.uniform(MIN_RADIUS, min(MAX_RADIUS, (size - 2) / 2), n).astype(np.float32)
    # Keep the bounding circle inside the image: centre in [r, size - 1 - r].
    cy = (r + rng.uniform(0, 1, n) * (size - 1 - 2 * r)).astype(np.float32)
    cx = (r + rng.uniform(0, 1, n) * (size - 1 - 2 * r)).astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi, n).astype(np.float32)
    aspect = rng.uniform(0.45, 0.75, n).astype(np.float32)
    grid = np.arange(size, dtype=np.float32)
    masks = np.zeros((n, size, size), dtype=bool)
    for k, shape in enumerate(shapes):
        idx = np.flatnonzero(shape_ids == k)
        if idx.size == 0:
            continue
        col = lambda a, idx=idx: a[idx, None, None]  # noqa: E731  (n_k,) -> (n_k, 1, 1) for broadcasting
        dy, dx = grid[None, :, None] - col(cy), grid[None, None, :] - col(cx)
        cos, sin = np.cos(col(theta)), np.sin(col(theta))
        u, v = cos * dx + sin * dy, cos * dy - sin * dx
        masks[idx] = _inside(shape, u, v, col(r), col(aspect))
    return masks


def _balanced(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) int64 labels 0..k-1, each class n // k or n // k + 1 times, in random order."""
    return rng.permutation(np.arange(n) % k).astype(np.int64)


def _paint(masks: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Masks (N, H, W) and colours (N, 3) uint8 -> images (N, 3, H, W) uint8 on black."""
    return masks[:, None] * rgb[:, :, None, None].astype(np.uint8)


def make_colors(n: int, seed: int | np.random.Generator | None = 0, *, with_shapes: bool = False):
    """n colour images (n, 3, 28, 28) uint8 and labels (n,) int64 = index into COLORS.

    With ``with_shapes`` also returns the shape drawn in each image, (n,) int64 into
    SHAPES (to see, say, whether thin lines are the ones a model gets wrong).
    """
    rng = make_rng(seed)
    labels = _balanced(n, len(COLORS), rng)
    shape_ids = _balanced(n, len(SHAPES), rng)  # drawn apart from the label: colour never depends on shape
    rgb = np.array(list(COLORS.values()), dtype=np.uint8)[labels]
    images = _paint(draw_shapes(shape_ids, rng), rgb)
    return (images, labels, shape_ids) if with_shapes else (images, labels)


def make_shapes(n: int, seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """n white-on-black shape images (n, 1, 28, 28) uint8 and labels (n,) int64 = index into SHAPES."""
    rng = make_rng(seed)
    labels = _balanced(n, len(SHAPES), rng)
    return (draw_shapes(labels, rng)[:, None] * np.uint8(255)), labels


def make_shape_colors(n: int, seed: int | np.random.Generator | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 3, 28, 28) uint8 and labels (n,) int64 = 3 * shape + colour (see SHAPE_COLOR_NAMES)."""
    rng = make_rng(seed)
    labels = _balanced(n, len(SHAPE_COLOR_NAMES), rng)
    shape_ids, color_ids = labels // 3, labels % 3
    rgb = np.array([COLORS[c] for c in SHAPE_COLOR_COLORS], dtype=np.uint8)[color_ids]
    return _paint(draw_shapes(shape_ids, rng, shapes=SHAPE_COLOR_SHAPES), rgb), labels


def _dataset(name: str, maker, class_names, n_train: int, n_test: int, seed, raw: bool) -> Dataset:
    """Generate n_train + n_test images from one seed and split them into a Dataset."""
    if n_train < 1 or n_test < 0:
        raise ValueError(f"need n_train >= 1 and n_test >= 0, got n_train={n_train}, n_test={n_test}")
    x, y = maker(n_train + n_test, seed)
    if not raw:
        x = to_unit_range(x)
    return Dataset(name, x[:n_train], y[:n_train], x[n_train:], y[n_train:],
                   class_names=tuple(class_names), input_shape=tuple(x.shape[1:]))


def load_colors(n_train: int = 5000, n_test: int = 1000, seed: int | None = 0, raw: bool = False) -> Dataset:
    """Colour classification: x (N, 3, 28, 28) float32 in [0, 1] (uint8 if ``raw``), y (N,) int64, 6 classes."""
    return _dataset("colors", make_colors, COLORS, n_train, n_test, seed, raw)


def load_shapes(n_train: int = 5000, n_test: int = 1000, seed: int | None = 0, raw: bool = False) -> Dataset:
    """Geometric shapes: x (N, 1, 28, 28) float32 in [0, 1] (uint8 if ``raw``), y (N,) int64, 5 classes."""
    return _dataset("shapes", make_shapes, SHAPES, n_train, n_test, seed, raw)


def load_shape_colors(n_train: int = 5000, n_test: int = 1000, seed: int | None = 0, raw: bool = False) -> Dataset:
    """Shape plus colour: x (N, 3, 28, 28) float32 in [0, 1] (uint8 if ``raw``), y (N,) int64, 9 classes."""
    return _dataset("shape_colors", make_shape_colors, SHAPE_COLOR_NAMES, n_train, n_test, seed, raw)
