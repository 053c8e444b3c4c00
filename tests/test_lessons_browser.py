"""The four lesson pages in a real browser: headless Chromium (Debian's) driven by Playwright.

Each test drives a page's controls as a reader would (sliders by keyboard, buttons and cells by
mouse, one page by touch), then reads the numbers the page shows and sends the same request to
the JSON API itself: every number shown must be the API's (each cell's data-value exactly, its
text as the page's own rounding prints it). The written-out sums must add up to the value after
their "=". It saves docs/images/lesson-*.png, the README's pictures of the pages, in English and
in Chinese (fonts-wqy-microhei draws the Chinese).

Skipped, saying why, when Chromium or Playwright is missing, unless the CI variable is set (as in
tests/test_demo_browser.py, whose fixtures start the browser and the server).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from glassnet import i18n
from glassnet.viz.playground import CLASSIC_KERNELS
from test_demo_browser import _shrink_png, browser, server  # noqa: F401
from test_demo_language import STATIC, page_tables, strings

pytestmark = pytest.mark.browser

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "images"
PAGES = ("conv", "pool", "kernels", "backprop")

GRID = """
(name) => {
  const grid = document.querySelector(`[data-grid="${name}"]`);
  const rows = {};
  for (const cell of grid.children) {
    if (cell.classList.contains("pad")) continue;
    const value = cell.tagName === "INPUT" ? Number(cell.value) : Number(cell.dataset.value);
    (rows[cell.dataset.r] = rows[cell.dataset.r] || [])[Number(cell.dataset.c)] = [value, cell.textContent, cell.className];
  }
  return Object.keys(rows).map(Number).sort((a, b) => a - b).map((r) => rows[r]);
}
"""


@pytest.fixture
def lesson(browser, server):  # noqa: F811
    """open(name, **context options) -> a page of /lessons/NAME with its first answer shown.

    Afterwards: no page errors, and no request left the demo's server (the pages work offline).
    """
    contexts, problems = [], []

    def open_page(name: str, **options):
        context = browser.new_context(**{"viewport": {"width": 1180, "height": 900}, "device_scale_factor": 1,
                                         **options})
        contexts.append(context)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server.url)
                      else (problems.append(f"{name}: asked the network for {route.request.url}"), route.abort()))
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"{name}: page error: {error}"))
        page.on("console", lambda message: problems.append(f"{name}: console {message.type}: {message.text}")
                if message.type == "error" and "422" not in message.text else None)
        page.goto(server.url + ("" if name == "digits" else f"lessons/{name}"))
        page.wait_for_selector("body[data-ready='true']", timeout=20000)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, problems


def answers(page) -> int:
    return int(page.evaluate("() => Number(document.body.dataset.answers || 0)"))


def after(page, count: int, action) -> None:
    """Do ``action`` and wait until the page has shown a newer answer than ``count``."""
    action()
    page.wait_for_function(f"() => Number(document.body.dataset.answers || 0) > {count}", timeout=10000)
    page.wait_for_timeout(100)  # let a later answer of a burst land


def slide(page, control: str, key: str, times: int = 1) -> None:
    """Move a slider with the keyboard (each press is an input event, as for a reader) and wait for the answer."""
    for _ in range(times):
        after(page, answers(page), lambda: (page.focus(f"#{control}"), page.keyboard.press(key)))


def grid(page, name: str) -> list[list[list]]:
    """Rows of [value, text, classes] of the grid called ``name`` (padding left out)."""
    return page.evaluate(GRID, name)


def values(page, name: str) -> list[list[float]]:
    return [[cell[0] for cell in row] for row in grid(page, name)]


def assert_shows(page, name: str, expected) -> None:
    """The grid shows exactly ``expected``: each data-value equal, each text the page's rounding of it."""
    cells = grid(page, name)
    expected = np.asarray(expected, dtype=np.float64)
    assert np.asarray([[c[0] for c in row] for row in cells]).shape == expected.shape, name
    np.testing.assert_array_equal([[c[0] for c in row] for row in cells], expected, err_msg=name)
    texts = page.evaluate("(v) => v.map((row) => row.map(GlassnetLesson.fmt))", expected.tolist())
    assert [[c[1] for c in row] for row in cells] == texts, name


def api(page, route: str, body: dict) -> dict:
    answer = page.request.post(page.url.split("/lessons/")[0] + f"/api/lessons/{route}", data=body)
    assert answer.ok, answer.text()
    return answer.json()


def assert_sum(text: str, value: float) -> None:
    """'left = a·b + (c)·d + … = v': the products of the terms add up to v (v = value)."""
    right = text.replace("−", "-").split(" = ")
    shown = float(right[-1])
    assert shown == pytest.approx(value, abs=5e-4), text
    total = 0.0
    for a, b in re.findall(r"\(?(-?[\d.]+)\)?·\(?(-?[\d.]+)\)?", right[-2]):
        total += float(a) * float(b)
    bias = re.match(r"^\(?(-?[\d.]+)\)? \+ \(", right[-2])  # the conv explorer's b in front of the groups
    total += float(bias.group(1)) if bias else 0.0
    if "·" not in right[-2]:  # δ_b: a plain sum
        total = sum(float(v) for v in re.findall(r"-?[\d.]+", right[-2]))
    assert total == pytest.approx(value, rel=1e-5, abs=1e-4), text


def screenshot(page, name: str, lang: str) -> None:
    path = IMAGES / (f"lesson-{name}.png" if lang == "en" else f"lesson-{name}-{lang}.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no focus ring
    page.screenshot(path=str(path), full_page=True)
    _shrink_png(path)


# ---------------------------------------------------------------------------------
# the convolution explorer
# ---------------------------------------------------------------------------------
def conv_numbers(page) -> dict:
    C, OC = int(page.input_value("#channels")), int(page.input_value("#filters"))
    return {"input": [values(page, f"x{c}") for c in range(C)],
            "kernel": [[values(page, f"W{oc}-{c}") for c in range(C)] for oc in range(OC)],
            "bias": [values(page, f"b{oc}")[0][0] for oc in range(OC)],
            "stride": int(page.input_value("#stride")), "padding": int(page.input_value("#padding")),
            "dilation": int(page.input_value("#dilation"))}


def test_convolution_explorer(lesson):
    page = lesson("conv")
    slide(page, "dilation", "ArrowRight")           # D = 2
    slide(page, "channels", "ArrowRight")           # C = 2
    slide(page, "filters", "ArrowRight")            # OC = 2
    body = conv_numbers(page)
    assert (len(body["input"]), len(body["kernel"]), body["dilation"], body["padding"]) == (2, 2, 2, 1)
    answer = api(page, "conv", body)
    OC, OH, OW = answer["output_shape"]
    assert (OC, OH, OW) == (2, 3, 3)
    for oc in range(OC):
        assert_shows(page, f"z{oc}", answer["output"][oc])
    size = page.locator("#size-formula")
    assert size.get_attribute("data-value") == "3"
    assert size.inner_text().endswith("= (5 + 2·1 − 2·(3−1) − 1) // 1 + 1 = 3")

    # Click an output of the second map: its sum, written out, adds up to the API's number.
    page.locator("[data-grid='z1'] .cell[data-r='1'][data-c='2']").click()
    formula = page.locator("#sum-formula")
    assert formula.inner_text().startswith("z[1, 1, 2] = b + Σ x·w = ")
    assert float(formula.locator(".result").get_attribute("data-value")) == answer["output"][1][1][2]
    assert_sum(formula.inner_text(), answer["output"][1][1][2])
    for c in range(2):  # the window: 3×3 cells 2 apart (rows 1 + 2·ki − 1, columns 2 + 2·kj − 1), padding included
        assert page.locator(f"[data-grid='x{c}'] .win").count() == 9
        inside = {(r, col) for r, row in enumerate(grid(page, f"x{c}")) for col, cell in enumerate(row) if "win" in cell[2]}
        assert inside == {(r, col) for r in (0, 2, 4) for col in (1, 3)}  # column 5 is padding
    screenshot(page, "conv", "en")

    page.click("#step")                             # the next output in reading order
    assert formula.inner_text().startswith("z[1, 2, 0] = ")
    page.click("#play")
    page.wait_for_function("() => document.getElementById('sum-formula').textContent.startsWith('z[0, 0, ')",
                           timeout=5000)           # played past the last output, back to the first map
    page.click("#play")
    assert page.inner_text("#play") == "Play"

    # A window that does not fit: the server's message names the field; back again.
    slide(page, "size", "Home")
    problem = page.locator("#problem")
    assert problem.is_visible() and "(the 3×3 window dilated by (2, 2) to 5×5 does not fit)" in problem.inner_text()
    assert page.locator("[data-grid^='z']").count() == 0 and size.get_attribute("data-value") == "?"
    slide(page, "size", "End")
    assert not problem.is_visible()
    body = conv_numbers(page)
    answer = api(page, "conv", body)
    assert answer["output_shape"] == [2, 8, 8]
    assert_shows(page, "z0", answer["output"][0])

    page.click("[data-lang-switch] button[data-lang='zh']")
    assert page.inner_text("h1") == "卷积演示" and page.inner_text(".lessons-nav [aria-current]") == "卷积"
    slide(page, "size", "Home")
    assert page.inner_text("#problem").startswith("服务器无法计算：kernel:")
    slide(page, "size", "ArrowRight", 4)
    page.locator("[data-grid='z0'] .cell[data-r='0'][data-c='1']").click()
    screenshot(page, "conv", "zh")


def test_the_convolution_explorer_works_by_touch(lesson):
    page = lesson("conv", has_touch=True, is_mobile=True, viewport={"width": 412, "height": 900},
                  device_scale_factor=2)
    page.locator("[data-grid='z0'] .cell[data-r='2'][data-c='3']").tap()
    assert page.inner_text("#sum-formula").startswith("z[0, 2, 3] = ")
    assert "sel" in page.locator("[data-grid='z0'] .cell[data-r='2'][data-c='3']").get_attribute("class")
    count = answers(page)
    page.locator("#renew").tap()
    page.wait_for_function(f"() => Number(document.body.dataset.answers) > {count}")
    answer = api(page, "conv", conv_numbers(page))
    assert_shows(page, "z0", answer["output"][0])


# ---------------------------------------------------------------------------------
# the pooling explorer
# ---------------------------------------------------------------------------------
def pool_body(page) -> dict:
    mode = page.get_attribute("#mode button[aria-pressed='true']", "data-choice")
    return {"input": values(page, "x"), "mode": mode, "size": int(page.input_value("#window")),
            "stride": int(page.input_value("#stride")), "grad_output": values(page, "delta")}


def test_pooling_explorer(lesson):
    page = lesson("pool")
    slide(page, "window", "ArrowRight")             # a 3×3 window
    slide(page, "stride", "ArrowLeft")              # stride 1: the windows overlap
    body = pool_body(page)
    assert (body["mode"], body["size"], body["stride"]) == ("max", 3, 1)
    answer = api(page, "pool", body)
    assert_shows(page, "y", answer["output"])
    assert_shows(page, "dx", answer["grad_input"])
    page.locator("[data-grid='y'] .cell[data-r='2'][data-c='1']").click()
    r, c = answer["max_at"][2][1]
    assert page.get_attribute("#backward-formula span", "data-route") == f"{r},{c}"
    assert "route" in grid(page, "x")[r][c][2] and "route" in grid(page, "dx")[r][c][2]
    forward = page.inner_text("#forward-formula")
    window = [v for row in body["input"][2:5] for v in row[1:4]]
    assert forward == f"y[2, 1] = max({', '.join(page.evaluate('(v) => v.map(GlassnetLesson.fmt)', window))}) = " \
                      f"{page.evaluate('GlassnetLesson.fmt', answer['output'][2][1])}"
    assert f"goes to x[{r}, {c}]" in page.inner_text("#backward-formula")
    screenshot(page, "pool", "en")

    after(page, answers(page), lambda: page.click("#mode button[data-choice='avg']"))
    body = pool_body(page)
    answer = api(page, "pool", body)
    assert body["mode"] == "avg"
    assert_shows(page, "y", answer["output"])
    assert_shows(page, "dx", answer["grad_input"])
    page.locator("[data-grid='delta'] .cell[data-r='0'][data-c='3']").click()
    share = page.locator("#backward-formula span")
    assert float(share.get_attribute("data-value")) == answer["share"][0][3]
    forward = page.inner_text("#forward-formula")
    assert forward.startswith("y[0, 3] = (") and ") / (3·3) = " in forward
    window = [float(v) for v in re.findall(r"[\d.]+", forward.split(" = ")[1].split(" / ")[0])]
    assert window == [v for row in body["input"][0:3] for v in row[3:6]]
    assert float(page.get_attribute("#forward-formula .result", "data-value")) == answer["output"][0][3]
    assert answer["output"][0][3] == pytest.approx(sum(window) / 9, rel=1e-6)
    assert page.locator("[data-grid='dx'] .win").count() == 9
    page.click("[data-lang-switch] button[data-lang='zh']")
    assert page.inner_text("h1") == "池化演示" and "窗口中的每个输入得到" in page.inner_text("#backward-formula")
    screenshot(page, "pool", "zh")


# ---------------------------------------------------------------------------------
# the kernel playground
# ---------------------------------------------------------------------------------
def kernel_values(page) -> list[list[float]]:
    return values(page, "kernel")


def point_at(page, map_name: str, fx: float, fy: float) -> tuple[int, int, float]:
    """Click a map at a fraction of its size; the readout's (y, x) and exact value."""
    box = page.locator(f"canvas[data-map='{map_name}']").bounding_box()
    page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    text = page.inner_text("#readout")
    y, x = (int(v) for v in re.match(rf"{map_name}\[(\d+), (\d+)\] = ", text).groups())
    return y, x, float(page.get_attribute("#readout", "data-value"))


def test_kernel_playground(lesson, tmp_path):
    page = lesson("kernels")
    assert kernel_values(page) == CLASSIC_KERNELS["Sobel-x"].tolist()
    assert page.get_attribute("#presets button[aria-pressed='true']", "data-kernel") == "Sobel-x"
    assert [page.inner_text(f"#presets button >> nth={i}") for i in range(9)] == \
        [i18n.tr(f"kernel:{name}", "en") for name in CLASSIC_KERNELS]
    picture = page.request.get(page.url.split("/lessons/")[0] + "/api/lessons/picture").json()["image"]

    after(page, answers(page), lambda: page.click("#presets button[data-kernel='sharpen']"))
    assert kernel_values(page) == CLASSIC_KERNELS["sharpen"].tolist()
    answer = api(page, "kernel", {"image": picture, "kernel": kernel_values(page), "pool": 2})
    for name, fx, fy in (("conv", 0.3, 0.4), ("relu", 0.5, 0.5), ("pool", 0.8, 0.2)):
        y, x, value = point_at(page, name, fx, fy)
        assert value == answer[name][y][x]
    assert page.inner_text("#panels figcaption >> nth=1") == "convolution (1, 126, 126)"

    # Type a number into the kernel: a new answer, the same as the API's for that kernel.
    after(page, answers(page), lambda: page.fill("[data-grid='kernel'] input[data-r='1'][data-c='1']", "4.5"))
    assert kernel_values(page)[1][1] == 4.5 and page.locator("#presets button[aria-pressed='true']").count() == 0
    answer = api(page, "kernel", {"image": picture, "kernel": kernel_values(page), "pool": 2})
    y, x, value = point_at(page, "conv", 0.45, 0.45)
    assert value == answer["conv"][y][x]

    # The contrast changes the drawing only: no new answer, brighter pixels.
    brightness = "() => { const c = document.querySelector(\"canvas[data-map='relu']\"); " \
                 "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; " \
                 "let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s; }"
    before, count = page.evaluate(brightness), answers(page)
    page.focus("#contrast")
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert page.evaluate(brightness) > 2 * before and answers(page) == count
    screenshot(page, "kernels", "en")

    # 5×5: the preset in the middle of zeros.
    after(page, answers(page), lambda: page.click("#presets button[data-kernel='emboss']"))
    after(page, answers(page), lambda: page.click("#ksize button[data-choice='5']"))
    expected = np.zeros((5, 5))
    expected[1:4, 1:4] = CLASSIC_KERNELS["emboss"]
    assert kernel_values(page) == expected.tolist()
    assert page.inner_text("#panels figcaption >> nth=1") == "convolution (1, 124, 124)"

    # A sample digit, then a picture of one's own.
    after(page, answers(page), lambda: page.click("#digits button >> nth=14"))
    assert page.inner_text("#panels figcaption >> nth=0") == "source (1, 28, 28)"
    digit = page.request.get(page.url.split("/lessons/")[0] + "/api/samples").json()["samples"][14]["pixels"]
    answer = api(page, "kernel", {"image": digit, "kernel": kernel_values(page), "pool": 2})
    y, x, value = point_at(page, "pool", 0.5, 0.5)
    assert value == answer["pool"][y][x]

    from PIL import Image

    rgb = np.zeros((30, 41, 3), dtype=np.uint8)
    rgb[..., 0] = np.arange(41) * 6
    rgb[8:22, 10:30, 2] = 255
    Image.fromarray(rgb).save(tmp_path / "mine.png")
    after(page, answers(page), lambda: page.set_input_files("#upload", str(tmp_path / "mine.png")))
    assert page.inner_text("#panels figcaption >> nth=0") == "source (3, 30, 41)"
    answer = api(page, "kernel", {"image": rgb.transpose(2, 0, 1).tolist(), "kernel": kernel_values(page), "pool": 2})
    y, x, value = point_at(page, "conv", 0.4, 0.5)
    assert value == answer["conv"][y][x]

    page.click("[data-lang-switch] button[data-lang='zh']")
    assert page.inner_text("#presets button[data-kernel='sharpen']") == "锐化"
    assert page.inner_text("#presets button[data-kernel='vertical edge']") == "检测竖边"
    after(page, answers(page), lambda: page.click("#use-picture"))
    after(page, answers(page), lambda: page.click("#ksize button[data-choice='3']"))
    after(page, answers(page), lambda: page.click("#presets button[data-kernel='Sobel-x']"))
    assert page.inner_text("#panels figcaption >> nth=3") == "池化结果 2×2 (1, 63, 63)"
    screenshot(page, "kernels", "zh")


# ---------------------------------------------------------------------------------
# the backprop explorer
# ---------------------------------------------------------------------------------
def backprop_body(page) -> dict:
    C = int(page.get_attribute("#channels button[aria-pressed='true']", "data-choice"))
    OC = int(page.get_attribute("#filters button[aria-pressed='true']", "data-choice"))
    return {"input": [values(page, f"x{c}") for c in range(C)],
            "kernel": [[values(page, f"W{oc}-{c}") for c in range(C)] for oc in range(OC)],
            "bias": [values(page, f"b{oc}")[0][0] for oc in range(OC)],
            "grad_output": [values(page, f"delta{oc}") for oc in range(OC)]}


def assert_backprop_shown(page) -> dict:
    body = backprop_body(page)
    answer = api(page, "backprop", body)
    C, OC = len(body["input"]), len(body["kernel"])
    for oc in range(OC):
        assert_shows(page, f"z{oc}", answer["output"][oc])
        for c in range(C):
            assert_shows(page, f"dW{oc}-{c}", answer["course"]["grad_kernel"][oc][c])
            assert_shows(page, f"check-dW{oc}-{c}", answer["grad_kernel"][oc][c])
            assert_shows(page, f"rot{oc}-{c}", np.rot90(body["kernel"][oc][c], 2))
        assert_shows(page, f"pad{oc}", body["grad_output"][oc])
    for c in range(C):
        assert_shows(page, f"dout{c}", answer["course"]["grad_input"][c])
        assert_shows(page, f"check-dout{c}", answer["grad_input"][c])
    assert_shows(page, "check-db", [answer["grad_bias"]])
    lines = {"db": page.locator("#db-lines .formula"), "dw": page.locator("#dw-lines .formula"),
             "dout": page.locator("#dout-lines .formula")}
    assert (lines["db"].count(), lines["dw"].count(), lines["dout"].count()) == (OC, OC * C * 4, C * 9)
    course = answer["course"]
    expected = {"db": course["grad_bias"], "dw": np.ravel(course["grad_kernel"]), "dout": np.ravel(course["grad_input"])}
    for key, locator in lines.items():
        for i in range(locator.count()):
            text = locator.nth(i).inner_text()
            assert float(locator.nth(i).locator(".result").get_attribute("data-value")) == expected[key][i]
            assert_sum(text, expected[key][i])
    assert answer["agree"] and page.inner_text("#check").startswith("✓ ")
    return answer


def test_backprop_explorer(lesson):
    page = lesson("backprop")
    assert_backprop_shown(page)
    after(page, answers(page), lambda: page.click("#channels button[data-choice='2']"))
    after(page, answers(page), lambda: page.click("#filters button[data-choice='2']"))
    assert_backprop_shown(page)

    # Type δ_in: a new answer for the typed number.
    after(page, answers(page), lambda: page.fill("[data-grid='delta1'] input[data-r='0'][data-c='1']", "-3"))
    assert values(page, "delta1")[0][1] == -3
    answer = assert_backprop_shown(page)
    assert answer["course"]["grad_bias"][1] == pytest.approx(sum(np.ravel(values(page, "delta1"))))
    screenshot(page, "backprop", "en")

    before = (values(page, "delta0"), values(page, "delta1"))
    after(page, answers(page), lambda: page.click("#random-delta"))
    assert (values(page, "delta0"), values(page, "delta1")) != before
    assert_backprop_shown(page)
    page.click("[data-lang-switch] button[data-lang='zh']")
    assert page.inner_text("h1") == "卷积层的反向传播" and page.inner_text("#check").startswith("✓ Conv2D.backward 与")
    screenshot(page, "backprop", "zh")


# ---------------------------------------------------------------------------------
# languages and navigation
# ---------------------------------------------------------------------------------
def test_every_text_of_the_lessons_is_in_both_tables_and_kernel_names_are_the_catalogues():
    tables = strings()
    keys = set()
    for name in PAGES:
        keys |= set(re.findall(r'data-i18n(?:-title|-aria-label)?="([^"]+)"', (STATIC / f"{name}.html").read_text()))
    for name in (*PAGES, "lesson"):
        script = (STATIC / f"{name}.js").read_text()
        keys |= set(re.findall(r'"((?:lesson|conv|pool|kernels|bp|status|nav)\.[\w.]+)"', script))  # every key literal
    assert {"lesson.problem", "conv.grid_z", "pool.max_route", "bp.agree", "kernels.panel_conv"} <= keys
    assert not keys - set(tables["en"]), keys - set(tables["en"])
    for lang, table in page_tables().items():
        kernels = {k: v for k, v in table.items() if k.startswith("kernel:")}
        assert kernels == {k: v for k, v in i18n.CATALOGUES[lang].items() if k.startswith("kernel:")}
        assert len(kernels) == 9


def test_each_page_links_the_others_and_switches_language(lesson):
    page = lesson("conv")
    for name, h1_en, h1_zh in [("pool", "Pooling explorer", "池化演示"), ("kernels", "Kernel playground", "卷积核实验"),
                               ("backprop", "Backpropagation through a convolution", "卷积层的反向传播"),
                               ("digits", "Draw a digit and watch the network think", "画一个数字，看神经网络如何思考"),
                               ("conv", "Convolution explorer", "卷积演示")]:
        link = page.locator(f".lessons-nav a[href='{'/' if name == 'digits' else '/lessons/' + name}']")
        link.click()
        page.wait_for_selector("body[data-ready='true']", timeout=20000)
        assert page.inner_text("h1") == h1_en
        page.click("[data-lang-switch] button[data-lang='zh']")
        assert page.inner_text("h1") == h1_zh
        assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
        page.reload()
        page.wait_for_selector("body[data-ready='true']", timeout=20000)
        assert page.inner_text("h1") == h1_zh  # remembered
        page.click("[data-lang-switch] button[data-lang='en']")


def test_the_pages_start_in_the_servers_language_unless_the_reader_chose(lesson, monkeypatch):
    monkeypatch.setenv("GLASSNET_LANG", "zh")  # read by the server as each page asks
    page = lesson("pool", locale="en-US")
    page.wait_for_function("() => document.querySelector('h1').textContent === '池化演示'")
    assert page.inner_text(".lessons-nav a >> nth=0") == "手写数字"
    digits = lesson("digits", locale="en-US")
    digits.wait_for_function("() => document.querySelector('h1').textContent === '画一个数字，看神经网络如何思考'")
    page.click("[data-lang-switch] button[data-lang='en']")  # the reader's choice wins from now on
    page.reload()
    page.wait_for_selector("body[data-ready='true']")
    assert page.inner_text("h1") == "Pooling explorer"
