"""The demo's HTTP API, spoken to over real sockets: a uvicorn server on 127.0.0.1 per module.

Covers predictions and activations (checked against the model itself), model info,
samples, OpenAPI, every bad input (oversized, wrong type, wrong size, malformed
JSON, path traversal, foreign Host header) and that the server keeps serving after
each, 'latest drawing wins' under a burst, the CLI's address and localhost default,
and loading another classifier file with its class names.
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from glassnet import Conv2D, Dense, Flatten, MaxPool2D, ReLU
from glassnet.demo.commands import add_demo_parser, load_demo
from glassnet.demo.encode import decode_maps
from glassnet.demo.inference import DemoModel
from glassnet.demo.modelfile import load_shipped, save_classifier
from glassnet.demo.preprocess import preprocess_drawing
from glassnet.demo.running import serve_in_background
from glassnet.demo.server import MAX_BODY_BYTES, create_app
from glassnet.layers.activations import softmax
from glassnet.model import Sequential

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def shipped():
    return load_shipped()


@pytest.fixture(scope="module")
def server(shipped):
    model, names, name, samples = shipped
    app = create_app(model, names, samples, name=name)
    with serve_in_background(app) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def samples(client):
    return client.get("/api/samples").json()["samples"]


def big(pixels: list[list[int]], factor: int = 4) -> list[list[int]]:
    """A sample drawn bigger, as the page sends it (112 x 112)."""
    return np.kron(np.asarray(pixels), np.ones((factor, factor), dtype=int)).tolist()


def assert_still_serving(client: httpx.Client, samples) -> None:
    answer = client.post("/api/predict", json={"pixels": samples[0]["pixels"], "activations": False})
    assert answer.status_code == 200, answer.text


def raw_request(url: str, request: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (no client-side path normalisation); return (status, body)."""
    host, port = url.split("//")[1].strip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


# ---------------------------------------------------------------------------------
# the page and the API documentation
# ---------------------------------------------------------------------------------
def test_page_and_its_files_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    for name, kind in [("app.js", "javascript"), ("style.css", "text/css")]:
        asset = client.get(f"/static/{name}")
        assert asset.status_code == 200 and kind in asset.headers["content-type"]
        assert f"/static/{name}" in page.text


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/model", "/api/samples", "/api/predict"} <= set(spec["paths"])
    predict = spec["paths"]["/api/predict"]["post"]
    body_schema = predict["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema["required"] == ["pixels"] and "seq" in body_schema["properties"]
    assert {"200", "400", "409", "413", "415", "422"} <= set(predict["responses"])


# ---------------------------------------------------------------------------------
# model, samples, predictions, activations
# ---------------------------------------------------------------------------------
def test_model_info_describes_the_shipped_lenet5(client, shipped):
    model = shipped[0]
    info = client.get("/api/model").json()
    assert info["classes"] == [str(d) for d in range(10)]
    assert info["input_shape"] == [1, 28, 28] and info["parameters"] == 61706
    assert [layer["name"] for layer in info["layers"]] == [layer.name for layer in model.layers]
    assert [layer["output_shape"] for layer in info["layers"]] == [list(layer.output_shape) for layer in model.layers]
    assert [layer["type"] for layer in info["layers"]][:3] == ["Conv2D", "ReLU", "MaxPool2D"]
    kernels = info["layers"][0]["kernels"]
    assert kernels["shape"] == [6, 1, 5, 5]
    decoded = decode_maps({**kernels, "shape": [6, 5, 5]})
    weights = model.layers[0].params["W"][:, 0]
    assert np.abs(decoded - weights).max() <= float(np.ptp(weights)) / 255


def test_samples_are_two_test_digits_per_class(samples):
    assert len(samples) == 20
    assert [s["label"] for s in samples] == [d for d in range(10) for _ in range(2)]
    for sample in samples:
        pixels = np.asarray(sample["pixels"])
        assert pixels.shape == (28, 28) and pixels.min() >= 0 and pixels.max() <= 255
        assert sample["name"] == str(sample["label"])


def test_the_shipped_model_reads_the_sample_digits(client, samples):
    right = 0
    for sample in samples:
        answer = client.post("/api/predict", json={"pixels": big(sample["pixels"]), "activations": False})
        assert answer.status_code == 200, answer.text
        result = answer.json()
        assert "activations" not in result
        assert sum(result["probabilities"]) == pytest.approx(1.0, abs=1e-4)
        right += result["prediction"]["index"] == sample["label"]
    assert right >= 19


def test_prediction_and_every_activation_match_the_model(client, samples, shipped):
    model = shipped[0]
    drawing = big(samples[5]["pixels"], 5)
    result = client.post("/api/predict", json={"pixels": drawing}).json()

    image = preprocess_drawing(np.asarray(drawing, dtype=np.float32))
    np.testing.assert_allclose(decode_maps(result["input"]), image[None], atol=0.5 / 255 + 1e-6)
    outputs = model.activations(image[None, None])
    np.testing.assert_allclose(result["probabilities"], softmax(outputs[-1])[0], rtol=1e-5, atol=1e-6)
    assert result["prediction"] == {
        "index": int(np.argmax(outputs[-1])), "label": str(int(np.argmax(outputs[-1]))),
        "probability": pytest.approx(float(softmax(outputs[-1])[0].max()), rel=1e-5),
    }
    assert len(result["activations"]) == len(model.layers)
    for layer, encoded, expected in zip(model.layers, result["activations"], outputs):
        assert encoded["layer"] == layer.name and encoded["type"] == type(layer).__name__
        assert encoded["shape"] == list(layer.output_shape)
        decoded = decode_maps(encoded)
        assert np.abs(decoded - expected[0]).max() <= float(np.ptp(expected)) / 255 / 2 + 1e-5
    assert result["empty"] is False and set(result["timing_ms"]) == {"preprocess", "model_and_encoding"}


@pytest.mark.parametrize("ink,words", [(0, "no pixel has ink"), (12, "no pixel has ink"),
                                       (255, "same ink"), (128, "same ink")])
def test_blank_drawing_is_answered_as_blank_without_a_prediction(client, ink, words):
    # Nothing drawn (or a uniform image, which preprocessing would turn into a solid square).
    answer = client.post("/api/predict", json={"pixels": [[ink] * 56] * 56})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["empty"] is True and "prediction" not in result
    assert result["notice"].startswith("blank drawing:") and words in result["notice"]
    assert len(result["probabilities"]) == 10 and len(result["activations"]) == 12
    if ink < 13:
        assert decode_maps(result["input"]).max() == 0


def test_a_drawing_with_a_stroke_is_not_blank(client):
    grid = np.full((56, 56), 100)
    grid[10:46, 27:30] = 255  # a stroke on a grey background
    result = client.post("/api/predict", json={"pixels": grid.tolist(), "activations": False}).json()
    assert result["empty"] is False and "notice" not in result and result["prediction"]["label"] in "0123456789"


def test_openapi_documents_the_blank_answer(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    answer = schemas["PredictResponse"]
    assert {"empty", "notice", "prediction"} <= set(answer["properties"])
    assert "prediction" not in answer["required"] and "empty" in answer["required"]
    assert "blank" in answer["properties"]["notice"]["description"]


def test_size_limits_are_inclusive(client):
    for side in (28, 280):
        grid = np.zeros((side, side), dtype=int)
        grid[side // 4: 3 * side // 4, side // 2] = 255
        assert client.post("/api/predict", json={"pixels": grid.tolist(), "activations": False}).status_code == 200
    non_square = np.zeros((40, 120), dtype=int)
    non_square[5:35, 60:64] = 255.0
    assert client.post("/api/predict", json={"pixels": non_square.tolist()}).status_code == 200


# ---------------------------------------------------------------------------------
# bad input: a 4xx with a clear message, and the server keeps serving
# ---------------------------------------------------------------------------------
GOOD = [[0] * 28] * 28

BAD_BODIES = [
    # (body, content type, status, words the message must contain)
    (b'{"pixels": [[0, 0,', "application/json", 400, "not valid JSON"),
    (b"", "application/json", 400, "not valid JSON"),
    (b"pixels=1", "application/x-www-form-urlencoded", 415, "application/json"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", 415, "image/png"),
    (json.dumps(GOOD).encode(), "text/plain", 415, "text/plain"),
    (b"[1, 2, 3]", "application/json", 422, "object"),
    (b"{}", "application/json", 422, "pixels"),
    (json.dumps({"pixels": GOOD, "colour": "red"}).encode(), "application/json", 422, "colour"),
    (json.dumps({"pixels": [[0] * 28] * 10}).encode(), "application/json", 422, "at least 28"),
    (json.dumps({"pixels": [[0] * 10] * 28}).encode(), "application/json", 422, "at least 28"),
    (json.dumps({"pixels": [[0] * 300] * 28}).encode(), "application/json", 422, "at most 280"),
    (json.dumps({"pixels": [[0] * 28] * 300}).encode(), "application/json", 422, "at most 280"),
    (json.dumps({"pixels": [[0] * 28] * 27 + [[0] * 29]}).encode(), "application/json", 422, "same length"),
    (json.dumps({"pixels": [["0"] * 28] * 28}).encode(), "application/json", 422, "valid number"),
    (json.dumps({"pixels": [[True] * 28] * 28}).encode(), "application/json", 422, "valid number"),
    (json.dumps({"pixels": [[[0]] * 28] * 28}).encode(), "application/json", 422, "valid number"),
    (json.dumps({"pixels": [0] * 28}).encode(), "application/json", 422, "valid array"),
    (json.dumps({"pixels": [[256] * 28] * 28}).encode(), "application/json", 422, "less than or equal to 255"),
    (json.dumps({"pixels": [[-1] * 28] * 28}).encode(), "application/json", 422, "greater than or equal to 0"),
    (b'{"pixels": [' + b",".join([b"[" + b",".join([b"NaN"] * 28) + b"]"] * 28) + b"]}", "application/json",
     422, "finite"),
    (b'{"pixels": [' + b",".join([b"[" + b",".join([b"Infinity"] * 28) + b"]"] * 28) + b"]}", "application/json",
     422, "finite"),
    (json.dumps({"pixels": GOOD, "seq": -1}).encode(), "application/json", 422, "seq"),
    (json.dumps({"pixels": GOOD, "client": "../../x"}).encode(), "application/json", 422, "client"),
    (json.dumps({"pixels": GOOD, "activations": "yes"}).encode(), "application/json", 422, "activations"),
]


@pytest.mark.parametrize("body,content_type,status,words", BAD_BODIES,
                         ids=[f"{i}-{case[2]}-{case[3]}" for i, case in enumerate(BAD_BODIES)])
def test_bad_bodies_get_a_clear_4xx(client, samples, body, content_type, status, words):
    answer = client.post("/api/predict", content=body, headers={"content-type": content_type})
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and words in detail
    assert len(detail) < 600  # a few problems, not thousands
    if status == 422:
        assert "Expected" in detail and "28 <= H, W <= 280" in detail
    assert_still_serving(client, samples)


def test_oversized_body_is_refused_before_parsing(client, samples):
    body = b'{"pixels": [' + b"0," * MAX_BODY_BYTES + b"0]}"
    answer = client.post("/api/predict", content=body, headers=JSON)
    assert answer.status_code == 413 and "too large" in answer.json()["detail"]
    assert str(MAX_BODY_BYTES) in answer.json()["detail"]
    assert_still_serving(client, samples)


def test_oversized_streamed_body_without_length_is_cut_off(client, samples):
    def chunks():
        yield b'{"pixels": ['
        for _ in range(40):
            yield b"0," * 32768
        yield b"0]}"

    answer = client.post("/api/predict", content=chunks(), headers=JSON)  # chunked: no Content-Length
    assert answer.status_code == 413 and "too large" in answer.json()["detail"]
    assert_still_serving(client, samples)


def test_wrong_methods_and_unknown_paths(client):
    assert client.get("/api/predict").status_code == 405
    assert client.post("/api/model", json={}).status_code == 405
    assert client.get("/api/nothing").status_code == 404


TRAVERSALS = [
    "/static/../server.py",
    "/static/../../glassnet/__init__.py",
    "/static/%2e%2e/server.py",
    "/static/%2e%2e%2fserver.py",
    "/static/..%2f..%2f..%2fpyproject.toml",
    "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static/..%5cserver.py",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/../../etc/passwd",
    "/static/....//server.py",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_only_its_own_static_files_are_served(server, client, samples, path):
    status, body = raw_request(server.url, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    assert status in (400, 404), (path, status)
    assert b"def create_app" not in body and b"root:" not in body and b"[project]" not in body
    assert_still_serving(client, samples)


def test_foreign_host_header_is_refused(server, client, samples):
    # A page on another site that resolves its name to 127.0.0.1 (DNS rebinding) cannot use the API.
    answer = client.get("/api/model", headers={"host": "attacker.example"})
    assert answer.status_code == 400
    assert client.get("/api/model", headers={"host": "localhost"}).status_code == 200
    assert_still_serving(client, samples)


# ---------------------------------------------------------------------------------
# latest drawing wins
# ---------------------------------------------------------------------------------
def test_a_drawing_older_than_one_already_seen_is_skipped(client, samples):
    body = {"pixels": samples[2]["pixels"], "activations": False, "client": "page-a"}
    assert client.post("/api/predict", json={**body, "seq": 5}).json()["seq"] == 5
    stale = client.post("/api/predict", json={**body, "seq": 3})
    assert stale.status_code == 409 and "superseded" in stale.json()["detail"]
    assert client.post("/api/predict", json={**body, "client": "page-b", "seq": 3}).status_code == 200
    assert client.post("/api/predict", json={**body, "seq": 5}).status_code == 200  # the same drawing again


class SlowModel:
    """A model whose forward pass takes a while, so that requests queue up behind it."""

    def __init__(self, model, seconds: float):
        self.model, self.seconds, self.layers = model, seconds, model.layers

    def activations(self, x):
        time.sleep(self.seconds)
        return self.model.activations(x)


def test_a_burst_computes_only_the_first_and_the_latest_drawing(shipped):
    model, names, _, samples = shipped
    slow = SlowModel(model, 0.0)
    app = create_app(DemoModel(slow, names), samples=samples)
    slow.seconds = 0.6
    pixels = samples.images[0].tolist()

    async def burst(url: str) -> dict[int, int]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            async def send(seq: int, delay: float):
                await asyncio.sleep(delay)
                answer = await http.post("/api/predict", json={"pixels": pixels, "client": "c", "seq": seq})
                return seq, answer.status_code
            # Drawing 1 occupies the worker; 2..9 arrive while it runs; 10 arrives last.
            tasks = [send(1, 0.0)] + [send(seq, 0.1) for seq in range(2, 10)] + [send(10, 0.2)]
            return dict(await asyncio.gather(*tasks))

    with serve_in_background(app) as running:
        statuses = asyncio.run(burst(running.url))
    assert statuses[1] == 200 and statuses[10] == 200
    assert all(statuses[seq] == 409 for seq in range(2, 10)), statuses
    assert app.state.gate.computed == 2 and app.state.gate.skipped == 8


def test_a_burst_from_the_page_ends_with_the_latest_drawing(client, samples):
    pixels = big(samples[9]["pixels"])

    async def burst() -> list[tuple[int, int]]:
        async with httpx.AsyncClient(base_url=str(client.base_url), timeout=30) as http:
            async def send(seq: int):
                answer = await http.post("/api/predict", json={"pixels": pixels, "client": "burst", "seq": seq})
                return seq, answer.status_code
            return await asyncio.gather(*(send(seq) for seq in range(1, 31)))

    statuses = dict(asyncio.run(burst()))
    assert set(statuses.values()) <= {200, 409}
    assert statuses[30] == 200
    assert_still_serving(client, samples)


# ---------------------------------------------------------------------------------
# the command and other models
# ---------------------------------------------------------------------------------
def test_command_defaults_to_localhost():
    import argparse

    parser = argparse.ArgumentParser()
    add_demo_parser(parser.add_subparsers())
    args = parser.parse_args(["demo"])
    assert args.host == "127.0.0.1" and args.model_file is None and args.port == 8000


def test_command_prints_the_address_and_serves_the_shipped_model():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "glassnet.demo.commands", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        assert "glassnet demo: LeNet-5 · MNIST at http://127.0.0.1:" in line, line + process.stderr.read()
        url = line.split(" at ")[1].split()[0]
        info = httpx.get(url + "api/model", timeout=10).json()
        assert info["classes"] == [str(d) for d in range(10)]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_another_classifier_file_shows_its_class_names(tmp_path):
    # A small CNN for the synthetic 'shapes' set, saved with its class names; samples come from the set.
    from glassnet.data import DATASETS

    names = list(DATASETS["shapes"].class_names)
    model = Sequential([Conv2D(4, 3, name="c1"), ReLU(name="r1"), MaxPool2D(2, name="p1"), Flatten(name="f"),
                        Dense(len(names), name="out")], input_shape=(1, 28, 28), seed=1)
    path = tmp_path / "shapes.safetensors"
    save_classifier(model, path, names, dataset="shapes")
    loaded, class_names, name, style, samples = load_demo(str(path), None)
    assert class_names == names and name == "shapes · shapes"
    app = create_app(DemoModel(loaded, class_names, name=name, style=style), samples=samples)
    with serve_in_background(app) as running, httpx.Client(base_url=running.url) as http:
        info = http.get("/api/model").json()
        assert info["classes"] == names
        served = http.get("/api/samples").json()["samples"]
        assert len(served) == 2 * len(names) and {s["name"] for s in served} == set(names)
        result = http.post("/api/predict", json={"pixels": big(served[0]["pixels"])}).json()
        assert result["prediction"]["label"] in names and len(result["probabilities"]) == len(names)
        assert [a["layer"] for a in result["activations"]] == ["c1", "r1", "p1", "f", "out"]


def test_a_colour_model_sees_the_drawing_on_every_channel(tmp_path):
    model = Sequential([Conv2D(2, 5, name="c"), Flatten(name="f"), Dense(3, name="d")], input_shape=(3, 32, 32), seed=2)
    app = create_app(model, ["red", "green", "blue"])
    with serve_in_background(app) as running, httpx.Client(base_url=running.url) as http:
        info = http.get("/api/model").json()
        assert info["image_size"] == [32, 32] and info["layers"][0]["kernels"]["shape"] == [2, 3, 5, 5]
        square = np.zeros((60, 60), dtype=int)
        square[15:45, 15:45] = 255
        result = http.post("/api/predict", json={"pixels": square.tolist()}).json()
        assert result["input"]["shape"] == [1, 32, 32] and result["prediction"]["label"] in {"red", "green", "blue"}
        assert http.get("/api/samples").json() == {"samples": []}
