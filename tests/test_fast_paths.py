"""Every fast kernel against the readable code it replaces (the layer tests compare both with torch).

* im2col / col2im: the numba kernels (padding and cropping folded in) against the NumPy
  ``im2col`` / ``col2im`` of ``ops.conv_im2col_reference`` on an explicitly padded input;
* the axis swaps with bias and dL/db against ``transpose`` and ``sum``;
* ReLU's one-pass kernels against its NumPy formula (NaN, zeros, float64, strided input);
* Adam's one-pass update against the NumPy update, step by step;
* ``glassnet bench`` runs and prints every implementation.
"""
from __future__ import annotations

import argparse

import numpy as np
import pytest

from conftest import assert_close
from glassnet import optimizers
from glassnet.layers import ReLU
from glassnet.ops import blas, conv_fast, conv_im2col_reference
from glassnet.ops import conv_kernels as kernels
from glassnet.ops.conv_im2col_reference import col2im, im2col
from glassnet.ops.shapes import crop2d, output_size, pad2d

# N, C, H, W, KH, KW, stride, pads (top, bottom, left, right), dilation
WINDOWS = [
    (2, 1, 28, 28, 5, 5, (1, 1), (2, 2, 2, 2), (1, 1)),     # LeNet conv1
    (3, 2, 7, 9, 3, 2, (2, 3), (1, 0, 2, 1), (1, 1)),       # asymmetric padding, strides
    (1, 3, 5, 5, 5, 5, (1, 1), (0, 0, 0, 0), (1, 1)),       # kernel as large as the image
    (2, 2, 6, 4, 2, 3, (3, 1), (1, 1, 0, 0), (1, 1)),       # stride larger than the kernel
    (1, 1, 1, 1, 3, 3, (2, 2), (1, 1, 1, 1), (1, 1)),       # a 1x1 image, all padding around it
    (2, 1, 4, 6, 1, 1, (1, 2), (0, 1, 3, 0), (1, 1)),       # windows that see only padding
    (2, 2, 9, 10, 3, 3, (1, 1), (2, 2, 2, 2), (2, 2)),      # dilated, 'same' size (the contiguous SW = 1 copy)
    (3, 2, 8, 11, 2, 3, (2, 3), (1, 0, 3, 2), (3, 2)),      # dilated, asymmetric padding, strides
    (1, 1, 3, 2, 2, 2, (1, 1), (3, 3, 4, 4), (5, 6)),       # dilated further than the image: padding only
    (2, 1, 5, 7, 3, 2, (2, 1), (0, 0, 0, 0), (2, 6)),       # the dilated kernel as large as the image
]


def sum_tolerance(terms: int, dtype=np.float32) -> float:
    """Relative error allowed between two sums of ``terms`` values added in different orders (4 ulp per term)."""
    return 4 * terms * float(np.finfo(dtype).eps)


def _shape(N, C, H, W, KH, KW, stride, pads, dilation):
    return (output_size(H, KH, stride[0], pads[0], pads[1], dilation[0]),
            output_size(W, KW, stride[1], pads[2], pads[3], dilation[1]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", WINDOWS, ids=str)
def test_im2col_kernel_equals_numpy_im2col_of_the_padded_input(case, dtype, rng):
    N, C, H, W, KH, KW, stride, pads, dilation = case
    OH, OW = _shape(*case)
    assert OH > 0 and OW > 0
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    col = np.full((C * KH * KW, N * OH * OW), np.nan, dtype=dtype)
    kernels.im2col_rows(x, KH, KW, *stride, *dilation, pads[0], pads[2], OH, OW, col)
    np.testing.assert_array_equal(col, im2col(pad2d(x, pads), KH, KW, stride, dilation))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", WINDOWS, ids=str)
def test_col2im_kernel_equals_numpy_col2im_then_crop(case, dtype, rng):
    N, C, H, W, KH, KW, stride, pads, dilation = case
    OH, OW = _shape(*case)
    col = rng.standard_normal((C * KH * KW, N * OH * OW)).astype(dtype)
    dx = np.full((N, C, H, W), np.nan, dtype=dtype)  # the kernel must overwrite every entry
    kernels.col2im_rows(col, KH, KW, *stride, *dilation, pads[0], pads[2], OH, OW, dx)
    padded = (N, C, H + pads[0] + pads[1], W + pads[2] + pads[3])
    # Each dx entry adds up to KH·KW column entries, in another order than the NumPy loop.
    expected = crop2d(col2im(col, padded, KH, KW, stride, dilation), pads)
    assert_close(dx, expected, rtol=sum_tolerance(KH * KW, dtype))


def test_axis_swaps_add_the_bias_and_sum_the_bias_gradient(rng):
    N, OC, P = 5, 3, 7
    z = rng.standard_normal((OC, N * P)).astype(np.float32)
    b = rng.standard_normal(OC).astype(np.float32)
    y = np.empty((N, OC, P), np.float32)
    kernels.rows_to_nchw(z, b, y)
    np.testing.assert_array_equal(y, z.reshape(OC, N, P).transpose(1, 0, 2) + b[:, None])
    grad = rng.standard_normal((N, OC, P)).astype(np.float32)
    rows, db = np.empty((OC, N * P), np.float32), np.empty(OC, np.float32)
    kernels.nchw_to_rows(grad, rows, db)
    np.testing.assert_array_equal(rows, grad.transpose(1, 0, 2).reshape(OC, -1))
    assert_close(db, grad.astype(np.float64).sum(axis=(0, 2)), rtol=sum_tolerance(P))  # float32 within each image


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_kernels_equal_the_numpy_formula(dtype, rng):
    x = rng.standard_normal((4, 3, 5, 5)).astype(dtype)
    x[0, 0, 0, :3] = [0.0, -0.0, np.nan]
    grad = rng.standard_normal(x.shape).astype(dtype)
    layer = ReLU()
    y = layer.forward(x)
    dx = layer.backward(grad)
    assert y.dtype == dx.dtype == dtype
    np.testing.assert_array_equal(y, np.maximum(x, 0))  # NaN stays NaN, as in np.maximum and torch.relu
    np.testing.assert_array_equal(dx, grad * (x > 0))
    strided = x[:, :, :, ::2]  # not contiguous: the NumPy branch
    other = ReLU()
    np.testing.assert_array_equal(other.forward(strided), np.maximum(strided, 0))
    np.testing.assert_array_equal(other.backward(grad[:, :, :, ::2]), grad[:, :, :, ::2] * (strided > 0))


@pytest.mark.parametrize("kwargs", [dict(lr=0.01), dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6),
                                    dict(lr=0.01, weight_decay=0.05), dict(lr=0.01, amsgrad=True, weight_decay=0.01)])
def test_adam_one_pass_update_equals_the_numpy_update(kwargs, rng, monkeypatch):
    shapes = {"0.W": (6, 5), "0.b": (5,), "2.W": (3, 2, 3, 3)}
    start = {key: rng.standard_normal(shape).astype(np.float32) for key, shape in shapes.items()}
    grads = [{key: (rng.standard_normal(shape) * rng.uniform(0.1, 3)).astype(np.float32)
              for key, shape in shapes.items()} for _ in range(20)]
    results = []
    for fused in (True, False):
        monkeypatch.setattr(optimizers, "fusable", lambda *arrays, fused=fused: fused)
        params = {key: value.copy() for key, value in start.items()}
        opt = optimizers.Adam(**kwargs)
        for g in grads:
            opt.step(params, g)
        results.append((params, opt.state_dict()))
    (fast, fast_state), (slow, slow_state) = results
    assert fast_state.keys() == slow_state.keys()
    for key in shapes:
        assert fast[key].dtype == np.float32
        assert_close(fast[key], slow[key], rtol=1e-5, what=key)
    for key in fast_state:
        assert_close(fast_state[key], slow_state[key], rtol=1e-5, what=key)


def test_glassnet_bench_times_every_implementation(capsys):
    from glassnet.bench import add_bench_parser, run_bench

    parser = argparse.ArgumentParser()
    add_bench_parser(parser.add_subparsers())
    args = parser.parse_args(["bench", "--batch", "2", "--channels", "2", "--size", "8", "--filters", "3",
                              "--padding", "1", "--stride", "2", "--repeat", "2", "--backward"])
    assert args.func is run_bench
    assert run_bench(args) == 0
    out = capsys.readouterr().out
    for impl in ("loops", "numba", "im2col_numpy", "im2col"):
        assert f"\n{impl} " in out
    differences = [float(line.split()[-1]) for line in out.splitlines()[2:]]
    assert len(differences) == 4 and max(differences) < 1e-5


def test_glassnet_bench_rejects_a_kernel_larger_than_the_image():
    from glassnet.bench import add_bench_parser

    parser = argparse.ArgumentParser()
    add_bench_parser(parser.add_subparsers())
    args = parser.parse_args(["bench", "--size", "3", "--kernel", "5"])
    with pytest.raises(ValueError, match="does not fit"):
        args.func(args)


NO_SGEMM = "NumPy's BLAS is not the ILP64 OpenBLAS that ops/blas.py hands to numba: the Python loop is used"
_one_call = conv_fast._one_call


@pytest.mark.parametrize("dilation", [(1, 1), (2, 3)])
@pytest.mark.parametrize("one_call", [False, True], ids=["python-loop", "one-numba-call"])
@pytest.mark.parametrize("chunk_bytes", [1, 3000, 1 << 30])
@pytest.mark.parametrize("dw_orientation", ["dWt=col@rowsT", "dW=rows@colT"])
def test_fast_conv_in_groups_of_images_equals_the_numpy_path(one_call, chunk_bytes, dw_orientation, dilation, rng,
                                                             monkeypatch):
    """The fast path builds the columns a few images at a time (in a Python loop or one kernel); any grouping, and
    either orientation of dL/dW's product, gives the same result."""
    if one_call and not blas.AVAILABLE:
        pytest.skip(NO_SGEMM)
    monkeypatch.setattr(conv_fast, "_one_call", lambda x, W: one_call and _one_call(x, W))
    monkeypatch.setattr(conv_fast, "TRANSPOSED_DW_MAX", 1 << 30 if dw_orientation.startswith("dWt") else 0)
    monkeypatch.setattr(conv_fast, "CHUNK_BYTES", chunk_bytes)  # 1: one image per group
    monkeypatch.setattr(conv_fast, "MIN_COLUMNS", 1)
    x = rng.standard_normal((7, 3, 9, 8)).astype(np.float32)
    W = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    stride, pads = (2, 1), (1, 2, 0, 1)
    y, fast_cache = conv_fast.conv2d_forward(x, W, b, stride, pads, dilation)
    y_ref, reference_cache = conv_im2col_reference.conv2d_forward(x, W, b, stride, pads, dilation)
    # BLAS may group the C·KH·KW = 18 products of each output differently for other column counts.
    assert_close(y, y_ref, rtol=sum_tolerance(3 * 3 * 2 + 1), what="forward")
    grad = rng.standard_normal(y.shape).astype(np.float32)
    fast = conv_fast.conv2d_backward(grad, fast_cache, True)
    slow = conv_im2col_reference.conv2d_backward(grad, reference_cache, True)
    terms = {"dL/dx": 4 * 3 * 2, "dL/dW": y.shape[0] * y.shape[2] * y.shape[3], "dL/db": y.shape[0] * y.shape[2] * y.shape[3]}
    for got, expected, what in zip(fast, slow, ("dL/dx", "dL/dW", "dL/db")):
        assert got.dtype == np.float32
        assert_close(got, expected, rtol=sum_tolerance(terms[what]), what=what)
    no_dx = conv_fast.conv2d_backward(grad, fast_cache, False)  # the first layer: no dL/dx wanted
    assert no_dx[0] is None
    np.testing.assert_array_equal(no_dx[1], fast[1])


@pytest.mark.parametrize("shape", [(8, 5, 6, 7), (16, 12), (4, 3, 10)])
def test_batchnorm_kernels_equal_the_numpy_formulas(shape, rng, monkeypatch):
    """Training forward, backward and running statistics: numba kernels against the NumPy lines they replace."""
    from glassnet.layers import BatchNorm
    from glassnet.layers import normalization

    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    gamma, beta = rng.uniform(0.5, 2, shape[1]), rng.standard_normal(shape[1])
    results = []
    for fused in (True, False):
        monkeypatch.setattr(normalization, "fusable", lambda *arrays, fused=fused: fused)
        layer = BatchNorm()
        layer.build(shape[1:], rng=np.random.default_rng(0))
        layer.params["gamma"][:] = gamma
        layer.params["beta"][:] = beta
        y = layer.forward(x, True)
        dx = layer.backward(dy)
        results.append((y, dx, dict(layer.grads), dict(layer.buffers)))
    (y, dx, grads, buffers), (y_ref, dx_ref, grads_ref, buffers_ref) = results
    m = x.size // shape[1]  # values summed per channel
    tolerance = 4 * m * float(np.finfo(np.float32).eps)
    assert y.dtype == dx.dtype == np.float32
    assert_close(y, y_ref, rtol=tolerance, what="y")
    assert_close(dx, dx_ref, rtol=tolerance, what="dL/dx")
    for key in grads_ref:
        assert_close(grads[key], grads_ref[key], rtol=tolerance, what=key)
    for key in buffers_ref:
        assert_close(buffers[key], buffers_ref[key], rtol=tolerance, what=key)


def test_groups_of_images_fit_the_cache_but_are_never_too_thin_for_blas():
    from glassnet.ops.conv_fast import CHUNK_BYTES, MIN_COLUMNS, image_groups

    groups, per = image_groups(64, bytes_per_image=CHUNK_BYTES // 4, columns_per_image=784)
    assert per == 4 and groups[0] == (0, 4) and groups[-1] == (60, 64)
    groups, per = image_groups(64, bytes_per_image=CHUNK_BYTES, columns_per_image=16)  # VGG's 4x4 maps
    assert per == MIN_COLUMNS // 16 and sum(stop - start for start, stop in groups) == 64
    assert image_groups(3, bytes_per_image=10, columns_per_image=1) == ([(0, 3)], 3)


@pytest.mark.skipif(not blas.AVAILABLE, reason=NO_SGEMM)
@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (True, False), (False, True), (True, True)])
@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_sgemm_called_from_numba_equals_numpy_matmul(trans_a, trans_b, beta, rng):
    """conv_fused.gemm (NumPy's sgemm called inside a kernel): C = alpha·op(A)·op(B) + beta·C, as NumPy computes it."""
    from glassnet.ops.conv_fused import gemm

    M, N, K = 7, 33, 50
    A = rng.standard_normal((K, M) if trans_a else (M, K)).astype(np.float32)
    B = rng.standard_normal((N, K) if trans_b else (K, N)).astype(np.float32)
    C = rng.standard_normal((M, N)).astype(np.float32)
    expected = 0.5 * (A.T if trans_a else A) @ (B.T if trans_b else B) + beta * C
    gemm(trans_a, trans_b, 0.5, A, B, beta, C)
    assert_close(C, expected, rtol=sum_tolerance(K + 1), what="C")


def test_numpy_sgemm_is_found_in_the_openblas_pip_wheels_ship():
    """With NumPy's pip wheel (ILP64 scipy-openblas) the convolution runs as one kernel; elsewhere it says why not."""
    from threadpoolctl import threadpool_info

    wheels = [lib for lib in threadpool_info() if lib.get("internal_api") == "openblas" and "openblas64" in lib["filepath"]]
    if not wheels:
        pytest.skip("NumPy here is not linked to the ILP64 OpenBLAS of its pip wheels")
    assert blas.AVAILABLE


@pytest.mark.skipif(not blas.AVAILABLE, reason=NO_SGEMM)
def test_float32_convolution_takes_the_one_call_path_and_float64_the_loop(rng, monkeypatch):
    """float32 goes through conv_fused's kernels (one GIL hand-over); float64 keeps the Python loop around ``@``."""
    from glassnet.ops import conv_fused

    calls = []
    original = conv_fused.conv_forward
    monkeypatch.setattr(conv_fused, "conv_forward", lambda *a: calls.append(a[0].dtype) or original(*a))
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((3, 2, 6, 6)).astype(dtype)
        W = rng.standard_normal((conv_fast.DIRECT_MAX_FILTERS + 1, 2, 3, 3)).astype(dtype)  # too many for conv_direct
        y, _ = conv_fast.conv2d_forward(x, W, None, (1, 1), (1, 1, 1, 1))
        assert y.dtype == dtype
    assert calls == [np.float32]


# N, C, H, W, OC, KH, KW, pads (top, bottom, left, right)
DIRECT_CASES = [
    (3, 1, 28, 28, 6, 5, 5, (2, 2, 2, 2)),   # LeNet-5's first layer
    (2, 3, 32, 32, 6, 5, 5, (0, 0, 0, 0)),   # the CIFAR net's first layer
    (2, 2, 9, 11, 8, 3, 7, (1, 0, 3, 2)),    # a row of 7 weights: five in one pass, then two one at a time
    (1, 4, 6, 5, 1, 2, 3, (0, 1, 1, 0)),     # rows shorter than five: one weight at a time
    (2, 1, 1, 1, 3, 3, 3, (1, 1, 1, 1)),     # a 1x1 image, all padding around it
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", DIRECT_CASES, ids=str)
@pytest.mark.parametrize("direct_backward", [True, False], ids=["direct-backward", "im2col-backward"])
def test_direct_conv_for_few_filters_equals_the_numpy_path(case, dtype, direct_backward, rng, monkeypatch):
    """Few filters, stride 1: conv_fast runs the formula's loops (ops/conv_direct.py) forward, and backward on large
    planes (im2col's backward from the same cache on small ones); every output and gradient equals the reference's."""
    N, C, H, Wd, OC, KH, KW, pads = case
    x = rng.standard_normal((N, C, H, Wd)).astype(dtype)
    W = rng.standard_normal((OC, C, KH, KW)).astype(dtype)
    b = rng.standard_normal(OC).astype(dtype)
    assert conv_fast._direct(x, W, (1, 1), (1, 1))
    monkeypatch.setattr(conv_fast, "DIRECT_MIN_OUTPUTS", 0 if direct_backward else 1 << 30)
    y, fast_cache = conv_fast.conv2d_forward(x, W, b, (1, 1), pads)
    y_ref, reference_cache = conv_im2col_reference.conv2d_forward(x, W, b, (1, 1), pads)
    assert y.dtype == dtype and y.shape == y_ref.shape
    assert_close(y, y_ref, rtol=sum_tolerance(C * KH * KW + 1, dtype), what="forward")
    grad = rng.standard_normal(y.shape).astype(dtype)
    fast = conv_fast.conv2d_backward(grad, fast_cache, True)
    slow = conv_im2col_reference.conv2d_backward(grad, reference_cache, True)
    terms = {"dL/dx": OC * KH * KW, "dL/dW": N * y.shape[2] * y.shape[3], "dL/db": N * y.shape[2] * y.shape[3]}
    for got, expected, what in zip(fast, slow, ("dL/dx", "dL/dW", "dL/db")):
        assert got.dtype == dtype and got.shape == expected.shape
        assert_close(got, expected, rtol=sum_tolerance(terms[what], dtype), what=what)
    no_dx = conv_fast.conv2d_backward(grad, fast_cache, False)  # the first layer: no dL/dx wanted
    assert no_dx[0] is None
    np.testing.assert_array_equal(no_dx[1], fast[1])


def test_direct_conv_is_chosen_only_for_few_filters_stride_one_and_no_dilation():
    x = np.zeros((1, 3, 8, 8), np.float32)
    few = np.zeros((conv_fast.DIRECT_MAX_FILTERS, 3, 3, 3), np.float32)
    many = np.zeros((conv_fast.DIRECT_MAX_FILTERS + 1, 3, 3, 3), np.float32)
    assert conv_fast._direct(x, few, (1, 1), (1, 1))
    assert not conv_fast._direct(x, many, (1, 1), (1, 1))  # a product tall enough for BLAS
    assert not conv_fast._direct(x, few, (2, 1), (1, 1))
    assert not conv_fast._direct(x, few, (1, 1), (1, 2))
    assert not conv_fast._direct(x.astype(np.float64), few, (1, 1), (1, 1))  # mixed precision goes to im2col


# N, C, H, W, OC, pads (top, bottom, left, right), bias
WINOGRAD_CASES = [
    (2, 3, 8, 8, 4, (1, 1, 1, 1), True),    # 'same' padding, as VGG's layers
    (3, 4, 7, 5, 6, (1, 1, 1, 1), True),    # odd sizes: the last 2x2 blocks hang over the edge
    (2, 2, 6, 9, 3, (0, 0, 0, 0), False),   # no padding, no bias
    (1, 5, 5, 6, 2, (2, 1, 0, 2), True),    # uneven padding up to 2 (dL/dx then pads by 0..2)
    (2, 3, 2, 2, 5, (1, 1, 1, 1), True),    # 2x2 images: one block each
]


@pytest.mark.parametrize("case", WINOGRAD_CASES, ids=str)
@pytest.mark.parametrize("group_bytes", [1, 1 << 30], ids=["one-image-groups", "one-group"])
def test_winograd_conv_equals_the_numpy_path(case, group_bytes, rng, monkeypatch):
    """3x3, stride 1: Winograd's F(2x2, 3x3) (ops/conv_winograd.py) gives the reference's outputs and gradients,
    whether the images go through it one at a time or all at once."""
    if not blas.AVAILABLE:
        pytest.skip(NO_SGEMM)
    monkeypatch.setattr(conv_fast, "WINOGRAD_MIN_CHANNELS", 1)  # small layers, so the test stays small
    monkeypatch.setattr(conv_fast, "WINOGRAD_MIN_TILES", 1)
    monkeypatch.setattr(conv_fast, "WINOGRAD_GROUP_BYTES", group_bytes)
    N, C, H, Wd, OC, pads, with_bias = case
    x = rng.standard_normal((N, C, H, Wd)).astype(np.float32)
    W = rng.standard_normal((OC, C, 3, 3)).astype(np.float32)
    b = rng.standard_normal(OC).astype(np.float32) if with_bias else None
    assert conv_fast._winograd(x, W, (1, 1), pads, (1, 1))
    y, fast_cache = conv_fast.conv2d_forward(x, W, b, (1, 1), pads)
    y_ref, reference_cache = conv_im2col_reference.conv2d_forward(x, W, b, (1, 1), pads)
    # The transforms add and subtract up to 4x4 values before each product and 4x4 after, so
    # each of the C·9 terms carries a few more roundings than in im2col's sum: 8x its allowance.
    assert y.shape == y_ref.shape
    assert_close(y, y_ref, rtol=8 * sum_tolerance(C * 9 + 1), what="forward")
    grad = rng.standard_normal(y.shape).astype(np.float32)
    fast = conv_fast.conv2d_backward(grad, fast_cache, True)
    slow = conv_im2col_reference.conv2d_backward(grad, reference_cache, True)
    terms = {"dL/dx": OC * 9, "dL/dW": N * y.shape[2] * y.shape[3], "dL/db": N * y.shape[2] * y.shape[3]}
    for got, expected, what in zip(fast, slow, ("dL/dx", "dL/dW", "dL/db")):
        if expected is None:
            assert got is None and not with_bias
            continue
        assert got.dtype == np.float32 and got.shape == expected.shape
        assert_close(got, expected, rtol=8 * sum_tolerance(terms[what]), what=what)
    no_dx = conv_fast.conv2d_backward(grad, fast_cache, False)
    assert no_dx[0] is None
    np.testing.assert_array_equal(no_dx[1], fast[1])


def test_winograd_is_chosen_for_3x3_layers_with_enough_channels_and_blocks():
    if not blas.AVAILABLE:
        pytest.skip(NO_SGEMM)
    many, pads = conv_fast.WINOGRAD_MIN_CHANNELS, (1, 1, 1, 1)
    x = np.zeros((conv_fast.WINOGRAD_MIN_TILES // 16, many, 8, 8), np.float32)  # 16 blocks of 2x2 per image
    W = np.zeros((many, many, 3, 3), np.float32)
    assert conv_fast._winograd(x, W, (1, 1), pads, (1, 1))
    assert not conv_fast._winograd(x[:1], W, (1, 1), pads, (1, 1))  # too few blocks for the filters' transforms
    assert not conv_fast._winograd(x[:, :3], W[:, :3], (1, 1), pads, (1, 1))  # 3 channels in (VGG's first layer)
    assert not conv_fast._winograd(x, W, (2, 2), pads, (1, 1))
    assert not conv_fast._winograd(x, W, (1, 1), pads, (2, 2))
    assert not conv_fast._winograd(x, W, (1, 1), (3, 3, 3, 3), (1, 1))
    assert not conv_fast._winograd(x, np.zeros((many, many, 5, 5), np.float32), (1, 1), pads, (1, 1))
    assert not conv_fast._winograd(x.astype(np.float64), W.astype(np.float64), (1, 1), pads, (1, 1))
