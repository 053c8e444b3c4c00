"""MaxPool2D and AvgPool2D against torch.nn.MaxPool2d / AvgPool2d, both implementations.

Random configurations cover overlapping windows (stride < size), windows that do not
divide the image (floor mode), non-square windows and images, and padding (max pools
pad with -inf, average pools count the padding zeros: count_include_pad=True).
"""
from __future__ import annotations

import json
import math
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_close
from glassnet.layers import AvgPool2D, MaxPool2D

IMPLS = ("reference", "numpy", "fast")
N_RANDOM_CONFIGS = 50


def _random_config(seed: int) -> dict:
    rng = np.random.default_rng(2000 + seed)
    KH, KW = (int(k) for k in rng.integers(1, 8, size=2))
    stride = None if rng.random() < 0.25 else tuple(int(s) for s in rng.integers(1, 4, size=2))
    PH, PW = int(rng.integers(0, min(3, KH // 2) + 1)), int(rng.integers(0, min(3, KW // 2) + 1))
    H = max(KH - 2 * PH, 1) + int(rng.integers(0, 7))
    W = max(KW - 2 * PW, 1) + int(rng.integers(0, 7))
    return dict(N=int(rng.integers(1, 4)), C=int(rng.integers(1, 4)), H=H, W=W,
                pool=(KH, KW), stride=stride, padding=(PH, PW))


SPECIAL_CONFIGS = [
    dict(N=2, C=6, H=28, W=28, pool=(2, 2), stride=None, padding=(0, 0)),   # LeNet-5
    dict(N=2, C=3, H=13, W=13, pool=(3, 3), stride=(2, 2), padding=(0, 0)),  # AlexNet-style overlap
    dict(N=1, C=2, H=7, W=5, pool=(2, 2), stride=None, padding=(0, 0)),     # odd sizes: last row dropped
    dict(N=2, C=1, H=6, W=9, pool=(3, 2), stride=(1, 3), padding=(1, 1)),
]
CONFIGS = SPECIAL_CONFIGS + [_random_config(i) for i in range(N_RANDOM_CONFIGS)]
LAYERS = {"max": (MaxPool2D, torch.nn.MaxPool2d), "avg": (AvgPool2D, torch.nn.AvgPool2d)}


def _name(config: dict) -> str:
    stride = "none" if config["stride"] is None else "{}x{}".format(*config["stride"])
    return "N{N}-C{C}-{H}x{W}-k{pool[0]}x{pool[1]}-p{padding[0]}x{padding[1]}".format(**config) + f"-s{stride}"


def _torch_pool(kind: str, pool, stride, padding) -> torch.nn.Module:
    _, module = LAYERS[kind]
    if kind == "avg":
        return module(pool, stride, padding, count_include_pad=True)
    return module(pool, stride, padding)


def _compare(layer, module, x, dy, what):
    """Forward and dL/dx of ``layer`` (float32) against ``module`` (float64); returns ours."""
    x_t = torch.tensor(x.astype(np.float64), requires_grad=True)
    y_t = module(x_t)
    y_t.backward(torch.from_numpy(dy.astype(np.float64)))
    y = layer.forward(x)
    dx = layer.backward(dy)
    assert y.dtype == np.float32 and dx.dtype == np.float32, f"{what}: {y.dtype}, {dx.dtype}"
    assert_close(y, y_t.detach().numpy(), what=f"{what} forward")
    assert_close(dx, x_t.grad.numpy(), what=f"{what} dL/dx")
    return y, dx


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("config", CONFIGS, ids=_name)
def test_both_implementations_match_torch_and_each_other(config, kind):
    rng = np.random.default_rng(zlib.crc32((_name(config) + kind).encode()))
    c = config
    layer = LAYERS[kind][0](c["pool"], c["stride"], c["padding"])
    x = rng.standard_normal((c["N"], c["C"], c["H"], c["W"])).astype(np.float32)
    S = c["stride"] or c["pool"]
    OH = (c["H"] + 2 * c["padding"][0] - c["pool"][0]) // S[0] + 1
    OW = (c["W"] + 2 * c["padding"][1] - c["pool"][1]) // S[1] + 1
    dy = rng.standard_normal((c["N"], c["C"], OH, OW)).astype(np.float32)
    module = _torch_pool(kind, c["pool"], c["stride"], c["padding"])
    results = {}
    for impl in IMPLS:
        layer.impl = impl
        results[impl] = _compare(layer, module, x, dy, f"{kind} {impl}")
    assert layer.output_shape == (c["C"], OH, OW)
    for impl in IMPLS[1:]:
        assert_close(results[impl][0], results["reference"][0], what=f"{impl} vs reference forward")
        assert_close(results[impl][1], results["reference"][1], what=f"{impl} vs reference dL/dx")


@pytest.mark.parametrize("impl", IMPLS)
def test_max_pool_ties_go_to_the_first_maximum_like_torch(impl, rng):
    x = rng.integers(0, 3, size=(2, 3, 9, 8)).astype(np.float32)  # many equal values per window
    for pool, stride, padding in [(2, None, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 1))]:
        layer = MaxPool2D(pool, stride, padding, impl=impl)
        output_shape = layer.build(x.shape[1:])
        dy = rng.standard_normal((2, *output_shape)).astype(np.float32)
        _compare(layer, _torch_pool("max", pool, stride, padding), x, dy, f"ties {impl}")


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("H, W, pool, stride", [(7, 8, 3, 1), (7, 8, 2, 2), (9, 5, (3, 2), (2, 3))])
def test_same_padding_gives_ceil_size_and_matches_explicit_padding(kind, H, W, pool, stride, rng):
    layer = LAYERS[kind][0](pool, stride, padding="same")
    x = rng.standard_normal((2, 2, H, W)).astype(np.float32)
    y = layer.forward(x)
    SH, SW = layer.stride
    assert y.shape == (2, 2, math.ceil(H / SH), math.ceil(W / SW))
    top, bottom, left, right = layer.pads
    value = -math.inf if kind == "max" else 0.0
    x_t = torch.tensor(x.astype(np.float64), requires_grad=True)
    y_t = _torch_pool(kind, pool, stride, 0)(F.pad(x_t, (left, right, top, bottom), value=value))
    dy = rng.standard_normal(y.shape).astype(np.float32)
    y_t.backward(torch.from_numpy(dy.astype(np.float64)))
    assert_close(y, y_t.detach().numpy(), what="forward")
    assert_close(layer.backward(dy), x_t.grad.numpy(), what="dL/dx")


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
def test_first_layer_skips_the_input_gradient_and_dtypes_are_kept(cls, rng):
    layer = cls(2)
    y = layer.forward(rng.standard_normal((2, 1, 6, 6)).astype(np.float32))
    layer.needs_input_grad = False
    assert layer.backward(np.ones_like(y)) is None
    x64 = rng.standard_normal((2, 1, 6, 6))
    layer = cls(3, 1, 1)
    y = layer.forward(x64)
    assert y.dtype == np.float64 and layer.backward(np.ones_like(y)).dtype == np.float64
    assert cls(2).forward(np.zeros((1, 1, 4, 4), np.uint8)).dtype == np.float32


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
def test_padding_more_than_half_the_window_is_rejected(cls):
    with pytest.raises(ValueError, match="more than half"):
        cls(2, padding=2)
    with pytest.raises(ValueError, match="more than half"):
        cls((4, 3), padding=(2, 2))
    cls((4, 3), padding=(2, 1))


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
def test_wrong_rank_channels_and_too_small_input_name_layer_shapes_and_formula(cls):
    layer = cls(3, name="p1")
    for bad, got in [(np.zeros((4, 8, 8), np.float32), "(4, 8, 8)"), (np.zeros((1, 2, 2, 9), np.float32), "(1, 2, 2, 9)")]:
        with pytest.raises(ValueError) as excinfo:
            layer.forward(bad)
        text = str(excinfo.value)
        for part in (layer.describe(), f"got input of shape {got}", "expected (N, ", "OH = (H + 2P - KH) // S + 1"):
            assert part in text, text
    layer.forward(np.zeros((1, 2, 9, 9), np.float32))
    with pytest.raises(ValueError, match=r"got input of shape \(1, 3, 9, 9\).*expected \(N, 2, 9, 9\).*OH = "):
        layer.forward(np.zeros((1, 3, 9, 9), np.float32))


@pytest.mark.parametrize("cls", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize(
    "kwargs",
    [dict(), dict(pool_size=(3, 2), stride=1, padding=(1, 1), impl="reference"), dict(pool_size=2, padding="same", name="p")],
)
def test_get_config_round_trips_through_json(cls, kwargs):
    layer = cls(**kwargs)
    config = json.loads(json.dumps(layer.get_config()))
    assert config == layer.get_config()
    again = cls.from_config(config)
    assert again.get_config() == config
    assert (again.pool_size, again.stride, again.padding, again.impl) == (layer.pool_size, layer.stride, layer.padding, layer.impl)


def test_impl_is_validated_and_switchable():
    layer = MaxPool2D()
    layer.impl = "reference"
    with pytest.raises(ValueError, match="impl 'numba'"):
        layer.impl = "numba"
    with pytest.raises(ValueError, match="impl"):
        AvgPool2D(impl="slow")
