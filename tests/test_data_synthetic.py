"""The synthetic colour / shape sets: shapes and dtypes, reproducibility, balance, exact colours,
colour independent of shape, and every orientation present."""
from __future__ import annotations

import numpy as np
import pytest

from glassnet.data import load_colors, load_shape_colors, load_shapes, make_colors, make_shape_colors, make_shapes
from glassnet.data.synthetic import COLORS, SHAPE_COLOR_NAMES, SHAPES, draw_shapes


def test_default_sizes_shapes_and_dtypes():
    ds = load_colors()
    assert ds.x_train.shape == (5000, 3, 28, 28) and ds.x_test.shape == (1000, 3, 28, 28)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.class_names == ("red", "green", "blue", "yellow", "cyan", "magenta")
    assert ds.input_shape == (3, 28, 28)
    shapes = load_shapes(n_train=50, n_test=10)
    assert shapes.x_train.shape == (50, 1, 28, 28) and shapes.class_names == SHAPES
    both = load_shape_colors(n_train=90, n_test=9, raw=True)
    assert both.x_train.dtype == np.uint8 and both.num_classes == 9 and both.input_shape == (3, 28, 28)


@pytest.mark.parametrize("maker", [make_colors, make_shapes, make_shape_colors])
def test_same_seed_same_images_other_seed_other_images(maker):
    x1, y1 = maker(200, seed=5)[:2]
    x2, y2 = maker(200, seed=5)[:2]
    x3, _ = maker(200, seed=6)[:2]
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("maker, k", [(make_colors, 6), (make_shapes, 5), (make_shape_colors, 9)])
def test_classes_are_balanced_and_no_image_is_empty(maker, k):
    x, y = maker(900, seed=1)[:2]
    counts = np.bincount(y, minlength=k)
    assert counts.max() - counts.min() <= 1
    lit = (x.max(axis=1) > 0).sum(axis=(1, 2))
    assert lit.min() >= 8  # even the smallest shape covers several pixels
    assert (lit < 28 * 28 / 2).all()  # and never fills the picture


def test_colour_images_use_exactly_the_class_colour_on_black():
    x, y = make_colors(600, seed=2)
    palette = np.array(list(COLORS.values()), dtype=np.uint8)
    lit = x.max(axis=1) > 0  # (N, H, W)
    expected = palette[y][:, :, None, None] * lit[:, None]
    np.testing.assert_array_equal(x, expected)


def test_colour_is_independent_of_shape():
    _, colour, shape = make_colors(3000, seed=3, with_shapes=True)
    table = np.zeros((len(COLORS), len(SHAPES)), dtype=int)
    np.add.at(table, (colour, shape), 1)
    expected = 3000 / table.size
    assert table.min() > 0.6 * expected and table.max() < 1.4 * expected, table


def test_shape_colors_label_is_shape_times_three_plus_colour():
    x, y = make_shape_colors(270, seed=4)
    colour_rgb = np.array([COLORS[c] for c in ("red", "green", "blue")], dtype=np.uint8)
    lit = x.max(axis=1) > 0
    np.testing.assert_array_equal(x, colour_rgb[y % 3][:, :, None, None] * lit[:, None])
    assert SHAPE_COLOR_NAMES[:3] == ("red circle", "green circle", "blue circle")
    assert SHAPE_COLOR_NAMES[8] == "blue triangle"


def test_shapes_are_white_on_black():
    x, _ = make_shapes(100, seed=0)
    assert set(np.unique(x).tolist()) == {0, 255}


def orientation(mask: np.ndarray) -> float:
    """Angle in [0, pi) of a mask's main axis, from its second moments."""
    ys, xs = np.nonzero(mask)
    ys, xs = ys - ys.mean(), xs - xs.mean()
    return float(0.5 * np.arctan2(2 * (xs * ys).mean(), (xs * xs).mean() - (ys * ys).mean()) % np.pi)


@pytest.mark.parametrize("shape", ["line", "rectangle", "diamond"])
def test_every_orientation_appears(shape):
    """The main axis of lines, rectangles and diamonds covers all of [0, 180) degrees evenly."""
    k = SHAPES.index(shape)
    masks = draw_shapes(np.full(600, k), np.random.default_rng(7))
    angles = np.array([orientation(m) for m in masks])
    counts, _ = np.histogram(angles, bins=12, range=(0, np.pi))
    assert counts.min() > 0.5 * 600 / 12, counts


def test_shapes_vary_in_size_and_position_and_stay_inside():
    masks = draw_shapes(np.arange(1000) % 5, np.random.default_rng(8))
    area = masks.sum(axis=(1, 2))
    ys = np.array([np.nonzero(m)[0].mean() for m in masks])
    xs = np.array([np.nonzero(m)[1].mean() for m in masks])
    assert area.max() > 3 * area.min()
    assert xs.min() < 10 and xs.max() > 17 and ys.min() < 10 and ys.max() > 17
    # Every shape fits within the frame: no image is cut at two opposite borders.
    assert not (masks[:, :, 0].any(axis=1) & masks[:, :, -1].any(axis=1)).any()


def test_mean_areas_follow_the_geometry():
    """Same bounding radius r: circle pi r^2 > non-square rectangle (about 1.8 r^2) > equilateral triangle 1.3 r^2."""
    rng = np.random.default_rng(9)
    fill = {}
    for k, name in enumerate(SHAPES[:4]):
        masks = draw_shapes(np.full(200, k), rng)
        fill[name] = masks.sum(axis=(1, 2)).mean()
    assert fill["circle"] > fill["rectangle"] > fill["triangle"]
