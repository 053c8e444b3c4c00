"""Conv2D against torch.nn.Conv2d holding the same weights, for all four implementations.

Each random configuration (batch, channels, odd and non-square sizes, kernels 1..7,
strides 1..3, paddings 0..3, dilations 1..3 in a third of them) runs the loops reference,
numba, im2col_numpy and im2col: forward output
and every gradient (x, W, b) must match PyTorch (relative error <= 1e-4 in float32) and
match each other. The PyTorch reference computes in float64 from the very same float32
numbers, so it is the exact answer our float32 result is measured against.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_close
from glassnet.layers import Conv2D
from glassnet.ops import conv as conv_ops
from glassnet.ops.conv_im2col_reference import col2im, im2col

IMPLS = ("loops", "numba", "im2col", "im2col_numpy")
N_RANDOM_CONFIGS = 60


def _random_config(seed: int) -> dict:
    """One random convolution problem: small enough for the loops reference, every edge allowed."""
    rng = np.random.default_rng(1000 + seed)
    KH, KW = (int(k) for k in rng.integers(1, 8, size=2))
    SH, SW = (int(s) for s in rng.integers(1, 4, size=2))
    PH, PW = (int(p) for p in rng.integers(0, 4, size=2))
    DH, DW = (int(d) for d in rng.integers(1, 4, size=2)) if seed % 3 == 2 else (1, 1)
    if seed % 3 == 2:  # dilated: kernels up to 4 (spans up to 10), so the loops stay quick
        KH, KW = (min(k, 4) for k in (KH, KW))
    H = max(DH * (KH - 1) + 1 - 2 * PH, 1) + int(rng.integers(0, 7))
    W = max(DW * (KW - 1) + 1 - 2 * PW, 1) + int(rng.integers(0, 7))
    return dict(
        N=int(rng.integers(1, 4)), C=int(rng.integers(1, 5)), OC=int(rng.integers(1, 5)),
        H=H, W=W, kernel=(KH, KW), stride=(SH, SW), padding=(PH, PW), dilation=(DH, DW),
    )


SPECIAL_CONFIGS = [
    # LeNet-5's two convolutions, on a small batch
    dict(N=2, C=1, OC=6, H=28, W=28, kernel=(5, 5), stride=(1, 1), padding=(2, 2)),
    dict(N=2, C=6, OC=16, H=14, W=14, kernel=(5, 5), stride=(1, 1), padding=(0, 0)),
    # 1x1 kernel, kernel as large as the image, stride larger than the kernel, odd leftovers
    dict(N=1, C=3, OC=2, H=5, W=7, kernel=(1, 1), stride=(1, 1), padding=(0, 0)),
    dict(N=2, C=2, OC=3, H=7, W=6, kernel=(7, 6), stride=(1, 1), padding=(0, 0)),
    dict(N=2, C=2, OC=2, H=9, W=10, kernel=(2, 2), stride=(3, 3), padding=(0, 0)),
    dict(N=3, C=1, OC=1, H=1, W=1, kernel=(3, 3), stride=(2, 2), padding=(1, 1)),
    # dilated: ezyang's visualiser's default (3x3, dilation 2), different per axis, a window of
    # padding only at the corners, and a dilated kernel exactly as large as the padded image
    dict(N=2, C=2, OC=3, H=7, W=7, kernel=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(2, 2)),
    dict(N=2, C=3, OC=2, H=9, W=8, kernel=(2, 3), stride=(2, 1), padding=(1, 2), dilation=(3, 2)),
    dict(N=1, C=1, OC=2, H=2, W=3, kernel=(2, 2), stride=(1, 2), padding=(3, 3), dilation=(4, 5)),
    dict(N=2, C=1, OC=1, H=5, W=4, kernel=(3, 2), stride=(3, 3), padding=(1, 1), dilation=(3, 5)),
]
CONFIGS = SPECIAL_CONFIGS + [_random_config(i) for i in range(N_RANDOM_CONFIGS)]


def _name(config: dict) -> str:
    name = "N{N}-C{C}-OC{OC}-{H}x{W}-k{kernel[0]}x{kernel[1]}-s{stride[0]}x{stride[1]}-p{padding[0]}x{padding[1]}"
    dilation = config.get("dilation", (1, 1))
    return name.format(**config) + ("" if dilation == (1, 1) else f"-d{dilation[0]}x{dilation[1]}")


def _torch_conv(layer: Conv2D, padding=None) -> torch.nn.Conv2d:
    """A float64 torch.nn.Conv2d holding exactly the (built) layer's weights; ``padding`` overrides the layer's."""
    W = layer.params["W"]
    module = torch.nn.Conv2d(
        W.shape[1], W.shape[0], W.shape[2:], stride=layer.stride, dilation=layer.dilation,
        padding=layer.padding if padding is None else padding, bias=layer.use_bias, dtype=torch.float64,
    )
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(W.astype(np.float64)))
        if layer.use_bias:
            module.bias.copy_(torch.from_numpy(layer.params["b"].astype(np.float64)))
    return module


def _torch_results(module, x: np.ndarray, dy: np.ndarray, pad=None):
    """Forward and backward through ``module`` in float64; ``pad`` = (left, right, top, bottom) applied first."""
    x_t = torch.tensor(x.astype(np.float64), requires_grad=True)
    y_t = module(F.pad(x_t, pad) if pad else x_t)
    y_t.backward(torch.from_numpy(dy.astype(np.float64)))
    grads = {"x": x_t.grad.numpy(), "W": module.weight.grad.numpy()}
    if module.bias is not None:
        grads["b"] = module.bias.grad.numpy()
    return y_t.detach().numpy(), grads


def _our_results(layer: Conv2D, x: np.ndarray, dy: np.ndarray):
    y = layer.forward(x)
    dx = layer.backward(dy)
    grads = {"x": dx, **layer.grads}
    for key, value in {"y": y, **grads}.items():
        assert value.dtype == np.float32, f"{layer.impl}: {key} is {value.dtype}, expected float32"
    return y, grads


@pytest.mark.parametrize("config", CONFIGS, ids=_name)
def test_all_three_implementations_match_torch_and_each_other(config):
    rng = np.random.default_rng(zlib.crc32(_name(config).encode()))
    c = config
    D = c.get("dilation", (1, 1))
    layer = Conv2D(c["OC"], c["kernel"], c["stride"], c["padding"], dilation=D)
    x = rng.standard_normal((c["N"], c["C"], c["H"], c["W"])).astype(np.float32)
    layer.build(x.shape[1:], rng=rng)
    layer.params["b"] = rng.standard_normal(c["OC"]).astype(np.float32)
    # The course's formula: OH = (H + 2P - D·(KH-1) - 1) // S + 1
    OH = (c["H"] + 2 * c["padding"][0] - D[0] * (c["kernel"][0] - 1) - 1) // c["stride"][0] + 1
    OW = (c["W"] + 2 * c["padding"][1] - D[1] * (c["kernel"][1] - 1) - 1) // c["stride"][1] + 1
    assert layer.output_shape == (c["OC"], OH, OW)
    dy = rng.standard_normal((c["N"], c["OC"], OH, OW)).astype(np.float32)

    y_ref, grads_ref = _torch_results(_torch_conv(layer), x, dy)
    results = {}
    for impl in IMPLS:
        layer.impl = impl
        y, grads = _our_results(layer, x, dy)
        assert_close(y, y_ref, what=f"{impl} forward")
        for key in ("x", "W", "b"):
            assert_close(grads[key], grads_ref[key], what=f"{impl} dL/d{key}")
        results[impl] = (y, grads)
    y_loops, grads_loops = results["loops"]
    for impl in IMPLS[1:]:
        y, grads = results[impl]
        assert_close(y, y_loops, what=f"{impl} forward vs loops")
        for key in grads:
            assert_close(grads[key], grads_loops[key], what=f"{impl} dL/d{key} vs loops")


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("dilation", [(1, 1), (2, 3)])
@pytest.mark.parametrize("kernel", [(3, 3), (2, 2), (4, 3), (1, 5)])
@pytest.mark.parametrize("impl", IMPLS)
def test_same_padding_keeps_the_size_like_torch(kernel, impl, dilation, rng):
    x = rng.standard_normal((2, 3, 7, 8)).astype(np.float32)
    layer = Conv2D(2, kernel, padding="same", dilation=dilation, impl=impl)
    y = layer.forward(x)
    assert y.shape == (2, 2, 7, 8)
    module = _torch_conv(layer)  # torch's padding='same' (stride 1 only)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    y_ref, grads_ref = _torch_results(module, x, dy)
    y, grads = _our_results(layer, x, dy)
    assert_close(y, y_ref, what="forward")
    for key in grads:
        assert_close(grads[key], grads_ref[key], what=f"dL/d{key}")


@pytest.mark.parametrize("H, W, kernel, stride, dilation", [(7, 8, 3, 2, 1), (9, 9, 4, 3, 1), (5, 6, (2, 5), (2, 3), 1),
                                                           (1, 2, 3, 2, 1), (7, 8, 3, 2, 2), (9, 6, (2, 3), (3, 2), (3, 2))])
def test_same_padding_with_stride_gives_ceil_size_extra_padding_at_bottom_right(H, W, kernel, stride, dilation, rng):
    layer = Conv2D(3, kernel, stride, padding="same", dilation=dilation)
    x = rng.standard_normal((2, 2, H, W)).astype(np.float32)
    y = layer.forward(x)
    SH, SW = layer.stride
    assert y.shape == (2, 3, math.ceil(H / SH), math.ceil(W / SW))
    top, bottom, left, right = layer.pads
    assert bottom - top in (0, 1) and right - left in (0, 1)
    module = _torch_conv(layer, padding=0)  # torch has no 'same' for stride > 1: pad explicitly
    dy = rng.standard_normal(y.shape).astype(np.float32)
    y_ref, grads_ref = _torch_results(module, x, dy, pad=(left, right, top, bottom))
    y, grads = _our_results(layer, x, dy)
    assert_close(y, y_ref, what="forward")
    for key in grads:
        assert_close(grads[key], grads_ref[key], what=f"dL/d{key}")


def test_valid_padding_is_zero_padding(rng):
    x = rng.standard_normal((1, 2, 6, 6)).astype(np.float32)
    valid, zero = Conv2D(2, 3, padding="valid"), Conv2D(2, 3, padding=0)
    valid.build(x.shape[1:], rng=np.random.default_rng(0))
    zero.build(x.shape[1:], rng=np.random.default_rng(0))
    np.testing.assert_array_equal(valid.forward(x), zero.forward(x))


@pytest.mark.parametrize("impl", IMPLS)
def test_no_bias_and_first_layer_skips_the_input_gradient(impl, rng):
    layer = Conv2D(4, 3, padding=1, use_bias=False, impl=impl)
    x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    y = layer.forward(x)
    assert set(layer.params) == {"W"}
    dy = rng.standard_normal(y.shape).astype(np.float32)
    module = _torch_conv(layer)
    _, grads_ref = _torch_results(module, x, dy)
    layer.needs_input_grad = False
    assert layer.backward(dy) is None
    assert_close(layer.grads["W"], grads_ref["W"], what="dL/dW without dL/dx")


@pytest.mark.parametrize("impl", IMPLS)
def test_float64_in_float64_out_and_uint8_images_become_float32(impl, rng):
    W = rng.standard_normal((2, 3, 3, 3))
    b = rng.standard_normal(2)
    x = rng.standard_normal((2, 3, 5, 5))
    y, cache = conv_ops.conv2d_forward(x, W, b, (1, 1), (1, 1, 1, 1), impl)
    dx, dW, db = conv_ops.conv2d_backward(np.ones_like(y), cache)
    assert {a.dtype for a in (y, dx, dW, db)} == {np.dtype(np.float64)}
    layer = Conv2D(2, 3, impl=impl)
    pixels = rng.integers(0, 256, size=(1, 3, 5, 5), dtype=np.uint8)
    assert layer.forward(pixels).dtype == np.float32


def test_im2col_and_col2im_are_adjoint(rng):
    """<im2col(x), c> == <x, col2im(c)>: col2im is exactly the transpose im2col's backward needs."""
    for KH, KW, S, D in [(3, 3, (1, 1), (1, 1)), (2, 4, (2, 3), (1, 1)), (5, 1, (3, 1), (1, 1)), (3, 2, (1, 2), (2, 3))]:
        x = rng.standard_normal((2, 3, 11, 10))
        col = im2col(x, KH, KW, S, D)
        c = rng.standard_normal(col.shape)
        assert math.isclose(np.sum(col * c), np.sum(x * col2im(c, x.shape, KH, KW, S, D)), rel_tol=1e-12)


def test_impl_can_be_switched_after_construction_and_is_validated():
    layer = Conv2D(2, 3)
    assert layer.impl == "im2col"
    layer.impl = "numba"
    assert layer.impl == "numba"
    with pytest.raises(ValueError, match="impl 'cuda'.*loops"):
        layer.impl = "cuda"
    with pytest.raises(ValueError, match="impl"):
        Conv2D(2, 3, impl="fft")


def test_backward_uses_the_implementation_of_its_forward(rng):
    layer = Conv2D(2, 3)
    x = rng.standard_normal((1, 1, 5, 5)).astype(np.float32)
    y = layer.forward(x)
    layer.impl = "loops"  # switched between the passes: the im2col cache must still be understood
    dx = layer.backward(np.ones_like(y))
    layer.impl = "im2col"
    layer.forward(x)
    assert_close(dx, layer.backward(np.ones_like(y)))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(filters=8, kernel_size=5),
        dict(filters=3, kernel_size=(2, 3), stride=(1, 2), padding="same", impl="numba", use_bias=False),
        dict(filters=1, kernel_size=1, padding=(0, 2), kernel_initializer="glorot_uniform", input_shape=(3, 8, 8)),
        dict(filters=2, kernel_size=3, stride=2, padding="valid", impl="loops", name="edges"),
        dict(filters=2, kernel_size=3, padding="same", dilation=2, input_shape=(1, 9, 9)),
        dict(filters=2, kernel_size=(3, 2), stride=(1, 2), padding=(2, 1), dilation=(2, 3), impl="numba"),
    ],
)
def test_get_config_round_trips_through_json(kwargs):
    layer = Conv2D(**kwargs)
    config = json.loads(json.dumps(layer.get_config()))
    assert config == layer.get_config()
    again = Conv2D.from_config(config)
    assert again.get_config() == config
    for key in ("filters", "kernel_size", "stride", "padding", "dilation", "impl", "kernel_initializer", "use_bias"):
        assert getattr(again, key) == getattr(layer, key)


def test_a_config_saved_before_dilation_existed_still_loads():
    config = Conv2D(2, 3).get_config()
    del config["dilation"]
    assert Conv2D.from_config(config).dilation == (1, 1)


def test_a_dilated_model_saves_and_loads_with_the_same_outputs(tmp_path, rng):
    from glassnet import Sequential, load_model
    from glassnet.layers import Dense, Flatten

    model = Sequential([Conv2D(3, 3, padding="same", dilation=2), Conv2D(2, (2, 3), dilation=(3, 1)), Flatten(),
                        Dense(4)], input_shape=(2, 10, 9), seed=1)
    assert model.layers[0].output_shape == (3, 10, 9) and model.layers[1].output_shape == (2, 7, 7)
    model.save(tmp_path / "dilated.safetensors")
    again = load_model(tmp_path / "dilated.safetensors")
    assert [layer.dilation for layer in again.layers[:2]] == [(2, 2), (3, 1)]
    x = rng.standard_normal((3, 2, 10, 9)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(filters=0, kernel_size=3), "filters"),
        (dict(filters=2, kernel_size=0), "kernel_size"),
        (dict(filters=2, kernel_size=3, stride=0), "stride"),
        (dict(filters=2, kernel_size=3, dilation=0), "dilation"),
        (dict(filters=2, kernel_size=3, dilation=(1, 2, 3)), "dilation"),
        (dict(filters=2, kernel_size=3, padding=-1), "padding"),
        (dict(filters=2, kernel_size=3, padding="full"), "padding"),
        (dict(filters=2, kernel_size=3, kernel_initializer="nope"), "initializer"),
    ],
)
def test_bad_constructor_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Conv2D(**kwargs)


def _assert_shape_error(excinfo, layer, got):
    text = str(excinfo.value)
    assert layer.describe() in text, text
    assert f"got input of shape {got}" in text, text
    assert "expected (N, " in text, text
    assert "OH = (H + 2P - KH) // S + 1" in text, text


def test_wrong_rank_channels_and_too_small_input_name_layer_shapes_and_formula(rng):
    layer = Conv2D(4, 5, name="c1")
    with pytest.raises(ValueError) as excinfo:
        layer.forward(np.zeros((3, 28, 28), np.float32))  # forgot the batch axis
    _assert_shape_error(excinfo, layer, "(3, 28, 28)")
    with pytest.raises(ValueError) as excinfo:
        layer.forward(np.zeros((2, 1, 4, 9), np.float32))
    _assert_shape_error(excinfo, layer, "(2, 1, 4, 9)")
    assert "(4 + 0 - 5) // 1 + 1 = 0" in str(excinfo.value)
    with pytest.raises(ValueError) as excinfo:
        layer.build((1, 3, 3))
    _assert_shape_error(excinfo, layer, "(N, 1, 3, 3)")

    layer.forward(np.zeros((2, 1, 8, 8), np.float32))
    with pytest.raises(ValueError) as excinfo:
        layer.forward(np.zeros((2, 3, 8, 8), np.float32))
    _assert_shape_error(excinfo, layer, "(2, 3, 8, 8)")
    assert "expected (N, 1, 8, 8)" in str(excinfo.value) and "3 channels" in str(excinfo.value)


def test_numba_is_imported_only_when_a_numba_path_is_used():
    code = (
        "import sys, numpy as np, glassnet\n"
        "assert 'numba' not in sys.modules, 'import glassnet imported numba'\n"
        "layer = glassnet.layers.Conv2D(2, 3, impl='im2col_numpy')\n"
        "layer.forward(np.zeros((1, 1, 5, 5), np.float32))\n"
        "assert 'numba' not in sys.modules, 'numba imported without being used'\n"
        "layer.impl = 'im2col'\n"
        "layer.forward(np.zeros((1, 1, 5, 5), np.float32))\n"
        "assert 'numba' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_reference_and_fast_name_the_conv_paths_as_they_name_the_pooling_paths():
    assert Conv2D(2, 3, impl="reference").impl == "loops"
    assert Conv2D(2, 3, impl="fast").impl == "im2col"
    assert Conv2D.from_config(Conv2D(2, 3, impl="reference").get_config()).impl == "loops"


def test_use_implementation_switches_every_conv_and_pooling_layer_of_a_model(rng):
    from glassnet import Sequential
    from glassnet.layers import Dense, Flatten, MaxPool2D, ReLU, use_implementation

    model = Sequential([Conv2D(2, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(), Dense(3)], input_shape=(1, 6, 6), seed=0)
    x = rng.standard_normal((2, 1, 6, 6)).astype(np.float32)
    fast = model.predict(x)
    use_implementation(model, "reference")
    assert [getattr(layer, "impl", None) for layer in model.layers] == ["loops", None, "reference", None, None]
    assert_close(model.predict(x), fast, what="reference paths vs fast paths")
    use_implementation(model.layers, "fast")
    assert [getattr(layer, "impl", None) for layer in model.layers] == ["im2col", None, "fast", None, None]
    with pytest.raises(ValueError, match="reference"):
        use_implementation(model, "loops")


def test_a_dilated_window_that_does_not_fit_is_explained_with_the_dilated_formula():
    layer = Conv2D(2, 3, dilation=(3, 1), name="wide")
    with pytest.raises(ValueError) as excinfo:
        layer.forward(np.zeros((1, 1, 6, 6), np.float32))
    text = str(excinfo.value)
    assert "3×3 window dilated by (3, 1) to 7×3 does not fit" in text, text
    assert "OH = (H + 2P - D·(KH-1) - 1) // S + 1" in text and "OH = (6 + 0 - 3·(3-1) - 1) // 1 + 1 = 0" in text, text
    assert "H >= 7 and W >= 3" in text, text
