"""The lesson pages' JSON API (/api/lessons/*) over a real socket, against PyTorch.

Every answer is compared with torch.nn.functional (conv2d, max_pool2d, avg_pool2d) and its
autograd gradients over random configurations: channels, sizes, kernels, strides, padding,
dilation, overlapping pooling windows, ties in max pooling, the H×W and C×H×W forms. PyTorch
computes in float64 from the very float32 numbers glassnet receives, so it is the exact
answer the float32 result is measured against (relative error 1e-5 of the largest value).
Then the bad requests: each gets a 4xx whose message names the field, and the server keeps
serving.
"""
from __future__ import annotations

import json
import re

import httpx
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_close
from glassnet.demo.lesson_arrays import (MAX_BACKPROP_CHANNELS, MAX_BACKPROP_KERNEL_SIDE, MAX_BACKPROP_SIDE,
                                         MAX_CHANNELS, MAX_IMAGE_SIDE, MAX_POOL_SIDE, MAX_SIDE, MAX_STEP)
from glassnet.demo.modelfile import load_shipped
from glassnet.demo.running import serve_in_background
from glassnet.demo.server import create_app
from glassnet.viz.picture import test_picture
from glassnet.viz.playground import CLASSIC_KERNELS

RTOL = 1e-5
N_RANDOM = 40


@pytest.fixture(scope="module")
def server():
    model, names, name, samples = load_shipped()
    with serve_in_background(create_app(model, names, samples, name=name)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def post(client: httpx.Client, route: str, body: dict) -> dict:
    answer = client.post(f"/api/lessons/{route}", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def f32(values: np.ndarray) -> np.ndarray:
    """The numbers as glassnet receives them (float32), in float64 for PyTorch."""
    return np.asarray(values, dtype=np.float32).astype(np.float64)


def pair(rng: np.random.Generator, low: int, high: int) -> int | list[int]:
    """An int, or an [h, w] pair half of the time."""
    if rng.random() < 0.5:
        return int(rng.integers(low, high + 1))
    return [int(v) for v in rng.integers(low, high + 1, size=2)]


def both(value: int | list[int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def conv_config(seed: int) -> dict:
    """A random convolution the API accepts: the 2-D forms (one channel, one filter) a quarter of the time."""
    rng = np.random.default_rng(seed)
    flat = seed % 4 == 0
    C, OC = (1, 1) if flat else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    KH, KW = (int(k) for k in rng.integers(1, 5, size=2))
    stride, padding, dilation = pair(rng, 1, 3), pair(rng, 0, 3), pair(rng, 1, 3)
    (SH, SW), (PH, PW), (DH, DW) = both(stride), both(padding), both(dilation)
    H = max(DH * (KH - 1) + 1 - 2 * PH, 1) + int(rng.integers(0, 6))
    W = max(DW * (KW - 1) + 1 - 2 * PW, 1) + int(rng.integers(0, 6))
    x = rng.standard_normal((C, H, W)) * 3
    w = rng.standard_normal((OC, C, KH, KW))
    body = {"input": (x[0] if flat else x).tolist(), "kernel": (w[0, 0] if flat else w).tolist(),
            "stride": stride, "padding": padding, "dilation": dilation}
    b = rng.standard_normal(OC) if rng.random() < 0.7 else None
    if b is not None:
        body["bias"] = b.tolist()
    return {"body": body, "flat": flat, "x": x, "w": w, "b": b, "stride": (SH, SW), "padding": (PH, PW),
            "dilation": (DH, DW)}


def torch_conv(c: dict, grad: np.ndarray | None = None):
    """PyTorch's z (and, given dL/dz, its gradients) for a conv_config, in float64."""
    x = torch.tensor(f32(c["x"]), requires_grad=True)
    w = torch.tensor(f32(c["w"]), requires_grad=True)
    b = torch.tensor(f32(c["b"]) if c["b"] is not None else np.zeros(c["w"].shape[0]), requires_grad=True)
    z = F.conv2d(x[None], w, b, stride=c["stride"], padding=c["padding"], dilation=c["dilation"])[0]
    if grad is None:
        return z.detach().numpy()
    z.backward(torch.tensor(f32(grad)))
    return z.detach().numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()


@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_conv_equals_torch_conv2d(client, seed):
    c = conv_config(seed)
    answer = post(client, "conv", c["body"])
    expected = torch_conv(c)
    if c["flat"]:
        expected = expected[0]
    assert answer["output_shape"] == list(expected.shape)
    assert_close(answer["output"], expected, rtol=RTOL, what="z")


@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_backprop_equals_torch_autograd_and_the_course_formulas(client, seed):
    c = conv_config(1000 + seed)
    z = torch_conv(c)
    grad = np.random.default_rng(seed).standard_normal(z.shape)
    body = {**c["body"], "grad_output": (grad[0] if c["flat"] else grad).tolist()}
    answer = post(client, "backprop", body)
    z, dx, dw, db = torch_conv(c, grad)
    if c["flat"]:
        z, dx, dw = z[0], dx[0], dw[0, 0]
    assert_close(answer["output"], z, rtol=RTOL, what="z")
    for key, expected in (("grad_input", dx), ("grad_kernel", dw), ("grad_bias", db)):
        assert_close(answer[key], expected, rtol=RTOL, what=f"Conv2D.backward {key}")
        assert_close(answer["course"][key], expected, rtol=RTOL, what=f"the course's formulas: {key}")
    assert answer["agree"] is True


def pool_config(seed: int) -> dict:
    """A random pooling problem; small integers, so that max pooling meets ties."""
    rng = np.random.default_rng(2000 + seed)
    flat = seed % 3 == 0
    C = 1 if flat else int(rng.integers(1, 4))
    size = pair(rng, 1, 4)
    KH, KW = both(size)
    stride = pair(rng, 1, 4) if rng.random() < 0.8 else None  # None: the window's size, as in PyTorch
    H, W = KH + int(rng.integers(0, 7)), KW + int(rng.integers(0, 7))
    x = rng.integers(0, 4, size=(C, H, W)).astype(np.float64) if seed % 2 else rng.standard_normal((C, H, W))
    return {"x": x, "flat": flat, "mode": "max" if seed % 4 < 2 else "avg", "size": size,
            "stride": stride, "kernel": (KH, KW), "step": both(stride) if stride is not None else (KH, KW)}


@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_pool_equals_torch_forward_backward_and_routes(client, seed):
    p = pool_config(seed)
    pool = F.max_pool2d if p["mode"] == "max" else F.avg_pool2d
    x = torch.tensor(f32(p["x"]), requires_grad=True)
    y = pool(x[None], p["kernel"], p["step"])[0]
    grad = np.random.default_rng(seed).integers(-3, 4, size=y.shape).astype(np.float64)
    y.backward(torch.tensor(grad))
    squeeze = (lambda a: a[0]) if p["flat"] else (lambda a: a)
    body = {"input": squeeze(p["x"]).tolist(), "mode": p["mode"], "size": p["size"], "stride": p["stride"]}
    forward = post(client, "pool", body)
    assert forward["output_shape"] == list(squeeze(y.detach().numpy()).shape) and "grad_input" not in forward
    assert_close(forward["output"], squeeze(y.detach().numpy()), rtol=RTOL, what="y")
    answer = post(client, "pool", {**body, "grad_output": squeeze(grad).tolist()})
    assert_close(answer["output"], squeeze(y.detach().numpy()), rtol=RTOL, what="y")
    assert_close(answer["grad_input"], squeeze(x.grad.numpy()), rtol=RTOL, what="dL/dx")
    C, OH, OW = y.shape
    if p["mode"] == "max":  # where PyTorch sends each output's δ on its own
        routes = np.asarray(answer["max_at"]).reshape(C, OH, OW, 2)
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    alone = torch.tensor(f32(p["x"][c]), requires_grad=True)
                    pool(alone[None, None], p["kernel"], p["step"])[0, 0, i, j].backward()
                    assert tuple(routes[c, i, j]) == np.unravel_index(int(alone.grad.argmax()), alone.shape)
    else:
        shares = np.asarray(answer["share"]).reshape(C, OH, OW)
        assert_close(shares, grad / (p["kernel"][0] * p["kernel"][1]), rtol=RTOL, what="δ / (KH·KW)")


def test_max_pooling_ties_go_to_the_first_maximum_as_in_torch(client):
    x = [[1, 5, 5], [5, 2, 5], [0, 5, 1]]
    answer = post(client, "pool", {"input": x, "mode": "max", "size": 2, "stride": 1, "grad_output": [[1, 2], [3, 4]]})
    assert answer["output"] == [[5, 5], [5, 5]]
    assert answer["max_at"] == [[[0, 1], [0, 1]], [[1, 0], [1, 2]]]
    assert answer["grad_input"] == [[0, 3, 0], [3, 0, 4], [0, 0, 0]]


@pytest.mark.parametrize("channels, kernel, padding", [(3, "Sobel-x", 0), (1, "sharpen", 1), (3, "blur", 2)])
def test_kernel_playground_is_conv_relu_maxpool_as_in_torch(client, channels, kernel, padding):
    rng = np.random.default_rng(channels)
    image = rng.integers(0, 256, size=(channels, 37, 30))
    values = CLASSIC_KERNELS[kernel]
    body = {"image": (image if channels == 3 else image[0]).tolist(), "kernel": values.tolist(), "padding": padding}
    answer = post(client, "kernel", body)
    x = torch.tensor(f32(f32(image) / np.float32(255)))  # the pixels scaled to [0, 1] in float32
    w = torch.tensor(np.repeat(f32(values / np.float32(channels))[None, None], channels, axis=1))
    z = F.conv2d(x[None], w, padding=padding)
    relu = F.relu(z)
    pooled = F.max_pool2d(relu, 2)
    for key, expected in (("conv", z), ("relu", relu), ("pool", pooled)):
        assert_close(answer[key], expected[0, 0].numpy(), rtol=RTOL, what=key)


def test_lessons_info_language_limits_and_the_nine_kernels(client, monkeypatch):
    info = client.get("/api/lessons").json()
    assert info["language"] == "en" and client.get("/api/model").json()["language"] == "en"
    assert info["formula"] == "OH = (H + 2P - D·(KH-1) - 1) // S + 1"
    assert info["limits"]["max_side"] == MAX_SIDE and info["limits"]["max_step"] == MAX_STEP
    assert [k["name"] for k in info["kernels"]] == list(CLASSIC_KERNELS)
    for entry in info["kernels"]:
        np.testing.assert_array_equal(np.asarray(entry["values"], np.float32), CLASSIC_KERNELS[entry["name"]])
    monkeypatch.setenv("GLASSNET_LANG", "zh")  # the server's language, read as each request comes
    assert client.get("/api/lessons").json()["language"] == "zh"
    assert client.get("/api/model").json()["language"] == "zh"


def test_the_test_picture_is_the_course_picture_in_pixels(client):
    image = np.asarray(client.get("/api/lessons/picture").json()["image"])
    assert image.shape == (3, 128, 128) and image.dtype.kind == "i"
    np.testing.assert_array_equal(image, np.rint(test_picture() * 255))


def test_pages_are_served_offline_with_the_strict_policy(client):
    for name in ("conv", "pool", "kernels", "backprop"):
        page = client.get(f"/lessons/{name}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert f"/static/{name}.js" in assets and "/static/lesson.js" in assets and "/static/lessons.css" in assets
        for asset in assets:
            assert asset.startswith(("/", "data:")), f"{name}: {asset} is not served by glassnet (offline)"
            if asset.startswith("/static/"):
                assert client.get(asset).status_code == 200, asset
        for link in ("/", "/lessons/conv", "/lessons/pool", "/lessons/kernels", "/lessons/backprop"):
            assert f'href="{link}"' in page.text  # the navigation on every page
    assert 'href="/lessons/conv"' in client.get("/").text
    assert client.get("/lessons", follow_redirects=False).headers["location"] == "/lessons/conv"


def test_openapi_documents_the_lesson_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for name in ("conv", "pool", "backprop", "kernel"):
        post_ = paths[f"/api/lessons/{name}"]["post"]
        assert {"200", "400", "413", "415", "422"} <= set(post_["responses"])
        assert "properties" in post_["requestBody"]["content"]["application/json"]["schema"]
    assert "grad_output" in paths["/api/lessons/backprop"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["required"]
    assert {"/api/lessons", "/api/lessons/picture"} <= set(paths)


# ---------------------------------------------------------------------------------
# bad requests: a 4xx naming the field, and the server keeps serving
# ---------------------------------------------------------------------------------
X = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
K = [[1, 0], [0, 1]]
BIG = [[0] * (MAX_SIDE + 1)] * 2
NAN = b'{"input": [[1, NaN], [3, 4]], "kernel": [[1]]}'
INF = b'{"input": [[1, 2], [3, 4]], "kernel": [[Infinity]]}'

BAD = [
    # (route, body (a dict, or raw bytes), status, words the message must contain)
    ("conv", b'{"input": [[1, 2]', 400, "not valid JSON"),
    ("conv", b"[1, 2]", 422, "object"),
    ("conv", {"kernel": K}, 422, "input"),
    ("conv", {"input": X, "kernel": K, "colour": 1}, 422, "colour"),
    ("conv", {"input": [1, 2, 3], "kernel": K}, 422, "input: expected H×W or C×H×W"),
    ("conv", {"input": [[[[1]]]], "kernel": K}, 422, "input: expected H×W or C×H×W"),
    ("conv", {"input": 5, "kernel": K}, 422, "input: expected"),
    ("conv", {"input": [], "kernel": K}, 422, "input: expected H×W or C×H×W nested lists of numbers, got an empty"),
    ("conv", {"input": [[1, 2], [3]], "kernel": K}, 422, "input[1]: has 1 entries"),
    ("conv", {"input": [[1, 2], [3, [4]]], "kernel": K}, 422, "input[1][1]: expected a number"),
    ("conv", {"input": [[1, "2"], [3, 4]], "kernel": K}, 422, "input[0][1]: expected a number, got '2'"),
    ("conv", {"input": [[1, True], [3, 4]], "kernel": K}, 422, "input[0][1]: expected a number"),
    ("conv", {"input": [[1, 2], [3, 1e7]], "kernel": K}, 422, "input[1][1]: 1e+07 is not a finite number"),
    ("conv", {"input": [[1, 2], [3, 10**400]], "kernel": K}, 422, "input[1][1]"),
    ("conv", NAN, 422, "input[0][1]: nan is not a finite number"),
    ("conv", INF, 422, "kernel[0][0]: inf is not a finite number"),
    ("conv", {"input": BIG, "kernel": K}, 422, f"input: W = {MAX_SIDE + 1} is over this page's limit of {MAX_SIDE}"),
    ("conv", {"input": [X] * (MAX_CHANNELS + 1), "kernel": K}, 422, "input: C = 9 is over"),
    ("conv", {"input": X, "kernel": [[1, 0]] * 12}, 422, "kernel: KH = 12 is over"),
    ("conv", {"input": X, "kernel": [[[1]]]}, 422, "kernel: expected KH×KW or OC×C×KH×KW"),
    ("conv", {"input": [X, X], "kernel": K}, 422, "kernel: a KH×KW kernel fits a 1-channel input"),
    ("conv", {"input": [X, X], "kernel": [[K]]}, 422, "kernel: OC×C×KH×KW = 1×1×2×2 has C = 1 input channels"),
    ("conv", {"input": X, "kernel": K, "bias": [1, 2]}, 422, "bias: expected one number per filter, OC = 1"),
    ("conv", {"input": X, "kernel": K, "stride": 0}, 422, "stride: 0 is out of range"),
    ("conv", {"input": X, "kernel": K, "stride": [1, 2, 3]}, 422, "stride: expected an integer"),
    ("conv", {"input": X, "kernel": K, "stride": 1.5}, 422, "stride: expected an integer"),
    ("conv", {"input": X, "kernel": K, "padding": -1}, 422, "padding: -1 is out of range"),
    ("conv", {"input": X, "kernel": K, "dilation": MAX_STEP + 1}, 422, "dilation: 9 is out of range"),
    ("conv", {"input": X, "kernel": K, "dilation": 3}, 422, "kernel: Conv2D 'lesson' got input of shape (N, 1, 3, 3) "
     "(the 2×2 window dilated by (3, 3) to 4×4 does not fit)"),
    ("conv", {"input": X, "kernel": K, "dilation": 3}, 422, "OH = (3 + 0 - 3·(2-1) - 1) // 1 + 1 = 0"),
    ("conv", {"input": [[1]], "kernel": [[1, 1, 1]]}, 422, "OW = (1 + 0 - 3) // 1 + 1 = -1"),
    ("pool", {"input": X, "mode": "median", "size": 2}, 422, "mode: expected 'max' or 'avg'"),
    ("pool", {"input": X, "size": 2}, 422, "mode"),
    ("pool", {"input": X, "mode": "max", "size": 4}, 422, "size: MaxPool2D 'lesson' got input of shape (N, 1, 3, 3) "
     "(the 4×4 window does not fit)"),
    ("pool", {"input": X, "mode": "max", "size": 0}, 422, "size: 0 is out of range"),
    ("pool", {"input": [[0] * (MAX_POOL_SIDE + 1)] * 2, "mode": "max", "size": 2}, 422, "input: W = 33 is over"),
    ("pool", {"input": X, "mode": "avg", "size": 2, "stride": 1, "grad_output": [[1, 2]]}, 422,
     "grad_output: expected the output's shape OH×OW = 2×2, got 1×2"),
    ("pool", {"input": [X], "mode": "avg", "size": 2, "stride": 1, "grad_output": [[1, 2], [3, 4]]}, 422,
     "grad_output: expected C×OH×OW"),
    ("backprop", {"input": X, "kernel": K}, 422, "grad_output: Field required"),
    ("backprop", {"input": [[0] * 17] * 2, "kernel": K, "grad_output": [[0]]}, 422, "input: W = 17 is over"),
    ("backprop", {"input": X, "kernel": [[K]], "grad_output": [[1, 2], [3, 4]]}, 422,
     "grad_output: expected OC×OH×OW"),
    ("backprop", {"input": X, "kernel": K, "grad_output": [[1, 2], [3, "x"]]}, 422, "grad_output[1][1]"),
    ("kernel", {"image": X, "kernel": K}, 422, "kernel: expected a square kernel of odd side"),
    ("kernel", {"image": [[0] * (MAX_IMAGE_SIDE + 1)] * 3, "kernel": [[1]]}, 422, "image: W = 201 is over"),
    ("kernel", {"image": [[0, 0]] * 2, "kernel": [[0, 0, 0]] * 3}, 422, "kernel: the 3×3 kernel leaves"),
    ("kernel", {"image": X, "kernel": [[1]], "pool": [1, 2]}, 422, "pool: expected one integer"),
]


@pytest.mark.parametrize("route, body, status, words", BAD, ids=[f"{i}-{c[0]}-{c[2]}" for i, c in enumerate(BAD)])
def test_bad_requests_get_a_4xx_naming_the_field(client, route, body, status, words):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    answer = client.post(f"/api/lessons/{route}", content=content, headers={"content-type": "application/json"})
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert words in detail, detail
    assert len(detail) < 600
    assert post(client, "conv", {"input": X, "kernel": K})["output"] == [[6, 8], [12, 14]]  # still serving


def test_anything_but_json_is_refused_and_the_body_limit_holds(client):
    answer = client.post("/api/lessons/conv", content=b"input=1", headers={"content-type": "text/plain"})
    assert answer.status_code == 415 and "application/json" in answer.json()["detail"]
    answer = client.post("/api/lessons/kernel", content=b'{"image": [' + b"0," * (1 << 20) + b"0]}",
                         headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert client.get("/api/lessons/conv").status_code == 405
    assert post(client, "conv", {"input": X, "kernel": K})["output_shape"] == [2, 2]


def test_the_largest_requests_are_quick(client):
    """At the limits, an answer still takes well under a second: one pupil cannot stall the class."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((MAX_CHANNELS, MAX_SIDE, MAX_SIDE)).tolist()
    w = rng.standard_normal((MAX_CHANNELS, MAX_CHANNELS, 11, 11)).tolist()
    post(client, "conv", {"input": x, "kernel": w, "padding": 10})
    C, S, K = MAX_BACKPROP_CHANNELS, MAX_BACKPROP_SIDE, MAX_BACKPROP_KERNEL_SIDE
    x, w = rng.standard_normal((C, S, S)).tolist(), rng.standard_normal((C, C, K, K)).tolist()
    g = rng.standard_normal((C, S + 20 - K + 1, S + 20 - K + 1)).tolist()
    assert post(client, "backprop", {"input": x, "kernel": w, "padding": 10, "grad_output": g})["agree"]
    pool = rng.standard_normal((MAX_CHANNELS, MAX_POOL_SIDE, MAX_POOL_SIDE))
    post(client, "pool", {"input": pool.tolist(), "mode": "max", "size": 1,
                          "grad_output": pool.tolist()})


def test_the_digit_pages_inspector_learns_a_dilated_window():
    from glassnet import Sequential
    from glassnet.demo.inference import DemoModel
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPool2D

    model = Sequential([Conv2D(2, 3, padding="same", dilation=2), MaxPool2D(2), Flatten(), Dense(3)],
                       input_shape=(1, 12, 12), seed=0)
    windows = [layer.get("window") for layer in DemoModel(model).describe()["layers"]]
    assert windows[0] == {"kernel": [3, 3], "stride": [1, 1], "pad": [2, 2], "dilation": [2, 2]}
    assert windows[1] == {"kernel": [2, 2], "stride": [2, 2], "pad": [0, 0]}  # 1 is not written


def test_glassnet_demo_serves_the_lessons_in_one_command():
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "glassnet", "demo", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first, second = process.stdout.readline(), process.stdout.readline()
        assert " at http://127.0.0.1:" in first, first + process.stderr.read()
        assert second.startswith("glassnet demo: lessons (convolution, pooling, kernels, backpropagation) at "), second
        url = second.split(" at ")[1].strip()
        assert url.endswith("/lessons/conv") and httpx.get(url, timeout=10).status_code == 200
        base = url.removesuffix("lessons/conv")
        assert httpx.post(base + "api/lessons/conv", json={"input": X, "kernel": K}, timeout=30).json()["output"] == \
            [[6, 8], [12, 14]]
    finally:
        process.terminate()
        process.wait(timeout=10)
