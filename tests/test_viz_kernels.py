"""The learned-kernels figure: diverging colours on one scale per layer, values in small kernels, rows per channel."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet.viz as viz

pytest.importorskip("matplotlib")


def tiles(fig):
    """Axes that show a kernel (an image), in the order drawn."""
    return [ax for ax in fig.axes if ax.get_images()]


def drawn_numbers(ax) -> np.ndarray:
    """The numbers written on a tile, in row-major order of their cell positions."""
    placed = sorted((round(t.get_position()[1]), round(t.get_position()[0]), float(t.get_text())) for t in ax.texts)
    return np.array([v for _, _, v in placed])


def test_one_symmetric_scale_for_the_whole_layer_and_a_colour_bar(rng):
    w = rng.standard_normal((6, 1, 3, 3)).astype(np.float32)
    w[4, 0, 1, 2] = -5.0  # the layer's largest |w| sits in one kernel only
    fig = viz.plot_kernels(w)
    images = [ax.get_images()[0] for ax in tiles(fig)]
    assert len(images) == 6
    for image in images:
        assert image.norm.vmin == pytest.approx(-5.0) and image.norm.vmax == pytest.approx(5.0)
        assert image.norm is images[0].norm  # the same scale for every tile: zero is white everywhere
        assert image.get_cmap()(0.5)[:3] == pytest.approx((0.97, 0.97, 0.97), abs=0.03)  # diverging, white middle
    bars = [ax for ax in fig.axes if ax not in tiles(fig)]
    assert len(bars) == 1 and bars[0].get_label() == "<colorbar>"


def test_a_3x3_kernel_has_its_nine_values_written_as_drawn(rng):
    w = rng.standard_normal((4, 1, 3, 3)).astype(np.float32)
    fig = viz.plot_kernels(w)
    for ax, kernel in zip(tiles(fig), w[:, 0]):
        assert len(ax.texts) == 9
        np.testing.assert_allclose(drawn_numbers(ax), np.round(kernel, 2).ravel(), atol=1e-9)
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), kernel)
    colours = {t.get_color() for ax in tiles(fig) for t in ax.texts}
    assert colours <= {"black", "white"}


def test_dark_cells_get_white_text_and_light_cells_black():
    w = np.array([[[[-1.0, 0.0, 1.0]]]], np.float32)  # extremes are dark blue / dark red, zero is white
    (ax,) = tiles(viz.plot_kernels(w))
    by_value = {float(t.get_text()): t.get_color() for t in ax.texts}
    assert by_value == {-1.0: "white", 0.0: "black", 1.0: "white"}


def test_three_input_channels_are_three_rows_of_filters(rng):
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    fig = viz.plot_kernels(w)
    axes = tiles(fig)
    assert len(axes) == 12
    spans = {(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start): ax for ax in axes}
    assert sorted({r for r, _ in spans}) == [0, 1, 2] and sorted({c for _, c in spans}) == [0, 1, 2, 3]
    for (row, col), ax in spans.items():  # row = input channel, column = filter
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), w[col, row])
        assert ax.get_images()[0].norm.vmax == pytest.approx(float(np.abs(w).max()))
    assert "rows: input channel" in fig.get_suptitle()


def test_a_big_layer_is_cut_and_the_title_says_so(rng):
    w = rng.standard_normal((64, 3, 3, 3)).astype(np.float32)
    fig = viz.plot_kernels(w, max_kernels=48)
    assert len(tiles(fig)) == 48  # 3 rows (R, G, B) x 16 filters
    assert "16 of 64 filters" in fig.get_suptitle()
    many = viz.plot_kernels(rng.standard_normal((4, 40, 1, 1)).astype(np.float32))
    assert len({ax.get_subplotspec().rowspan.start for ax in tiles(many)}) == 16
    assert "16 of 40 input channels" in many.get_suptitle()


def test_colour_cnn_1x1_kernels_are_coloured_cells_with_their_values():
    from glassnet.zoo import color_cnn

    model = color_cnn(seed=0)
    w = model.layers[0].params["W"]
    assert w.shape == (2, 3, 1, 1)  # step 8: two 1x1 filters over R, G, B
    fig = viz.plot_first_layer_kernels(model)
    axes = tiles(fig)
    assert len(axes) == w.shape[0] * w.shape[1]
    m = float(np.abs(w).max())
    for ax in axes:
        (r, c) = ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start
        value = float(w[c, r, 0, 0])
        image = ax.get_images()[0]
        rgba = image.to_rgba(image.get_array())[0, 0]
        assert np.all(np.isfinite(rgba)) and rgba[3] == 1.0
        assert image.norm.vmin == pytest.approx(-m) and image.norm.vmax == pytest.approx(m)
        if abs(value) > 0.2 * m:
            assert not np.allclose(rgba[:3], rgba[0])  # a colour, neither black nor grey
        assert [float(t.get_text()) for t in ax.texts] == [round(value, 2)]


def test_a_7x7_kernel_writes_no_numbers(rng):
    fig = viz.plot_kernels(rng.standard_normal((8, 1, 7, 7)).astype(np.float32))
    assert len(tiles(fig)) == 8 and all(not ax.texts for ax in tiles(fig))
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes)


def test_all_zero_and_non_finite_weights_still_draw(rng):
    zero = viz.plot_kernels(np.zeros((2, 1, 3, 3), np.float32))
    norm = tiles(zero)[0].get_images()[0].norm
    assert norm.vmin == -norm.vmax and norm.vmax > 0
    w = rng.standard_normal((2, 1, 3, 3)).astype(np.float32)
    w[0, 0, 0, 0] = np.nan
    fig = viz.plot_kernels(w)
    finite = np.abs(w[np.isfinite(w)]).max()
    assert tiles(fig)[0].get_images()[0].norm.vmax == pytest.approx(float(finite))
    assert tiles(fig)[0].texts[0].get_text() == "nan"
