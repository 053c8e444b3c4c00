"""The demo page in Chinese and English: its 中文 / English switch, remembered across visits.

The texts live in one place, src/glassnet/demo/static/strings.js (a table per language);
lang.js is the switch any demo page can reuse. The browser part drives Debian's Chromium
as tests/test_demo_browser.py does (and skips, saying why, where it cannot).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from glassnet import i18n
from test_demo_browser import browser, page, predictions, server, wait_for_prediction_after  # noqa: F401

STATIC = Path(__file__).resolve().parents[1] / "src" / "glassnet" / "demo" / "static"


def strings() -> dict[str, dict[str, str]]:
    """strings.js's tables, read as JSON (the file is one object literal of quoted keys)."""
    text = (STATIC / "strings.js").read_text(encoding="utf-8")
    body = text[text.index("window.GLASSNET_STRINGS = ") + len("window.GLASSNET_STRINGS = "): text.rindex(";")]
    body = re.sub(r"^(\s*)(en|zh):", r'\1"\2":', body, flags=re.M)
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", body))


def served_catalogue() -> dict[str, dict[str, str]]:
    """The class and kernel names the server adds to the pages' tables (/api/catalogue.js), read as JSON."""
    from glassnet.demo.server import page_catalogue_js

    text = page_catalogue_js()
    return json.loads(text[text.rindex("({") + 1: text.rindex(");")])


def page_tables() -> dict[str, dict[str, str]]:
    """What a page's GlassnetLang.t sees: strings.js's tables with the catalogue's names added."""
    tables, catalogue = strings(), served_catalogue()
    return {lang: {**tables[lang], **catalogue[lang]} for lang in tables}


def test_one_table_per_language_with_the_same_keys_and_the_catalogues_class_names():
    tables = strings()
    assert set(tables) == {"en", "zh"} and set(tables["en"]) == set(tables["zh"])
    assert not [key for key in tables["en"] if key.startswith(("class:", "kernel:"))]  # one place: glassnet.i18n
    catalogue = served_catalogue()
    for lang in ("en", "zh"):
        expected = {k: v for k, v in i18n.CATALOGUES[lang].items() if k.startswith(("class:", "kernel:"))}
        assert catalogue[lang] == expected and len(expected) >= 59  # 10 digits, 10 + 10 classes, the synthetic sets, 9 kernels
    page_keys = set(re.findall(r'data-i18n(?:-title|-aria-label)?="([^"]+)"', (STATIC / "index.html").read_text()))
    script = (STATIC / "app.js").read_text()
    script_keys = set(re.findall(r'\b(?:T|setStatus)\("([\w.]+)"', script) + re.findall(r'put\(.*?\), "([\w.]+)"', script))
    assert page_keys and script_keys and not (page_keys | script_keys) - set(tables["en"])


def test_the_switch_changes_the_text_and_is_remembered(page):  # noqa: F811
    assert page.inner_text("h1") == "Draw a digit and watch the network think"
    assert page.inner_text("#status") == "ready: draw a digit"
    page.click("[data-lang-switch] button[data-lang='zh']")
    assert page.inner_text("h1") == "画一个数字，看神经网络如何思考"
    assert page.inner_text(".draw-card h2") == "1 · 书写" and page.inner_text("#undo") == "撤销"
    assert page.inner_text("#status") == "就绪：请画一个数字"
    assert "卷积核" in page.inner_text("#kernels-note") and "个参数" in page.inner_text("#model-badge")
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    assert page.evaluate("() => localStorage.getItem('glassnet.lang')") == "zh"

    count = predictions(page)
    page.locator("#samples button").nth(7).click()
    wait_for_prediction_after(page, count)
    assert page.inner_text("#confidence").startswith("把握 ")
    assert page.inner_text("#status").startswith("第 ")

    page.reload()
    page.wait_for_selector("body[data-ready='true']", timeout=15000)
    assert page.inner_text("h1") == "画一个数字，看神经网络如何思考"  # remembered
    assert page.get_attribute("[data-lang-switch] button[data-lang='zh']", "aria-pressed") == "true"
    page.click("[data-lang-switch] button[data-lang='en']")
    assert page.inner_text("h1") == "Draw a digit and watch the network think"
    assert page.inner_text("#status") == "ready: draw a digit"
    assert page.evaluate("() => localStorage.getItem('glassnet.lang')") == "en"
