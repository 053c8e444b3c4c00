"""The documentation in two languages: each page links to pages in its own language where one exists.

A Chinese page is ``NAME.zh-CN.md`` (its English twin ``NAME.md``) or a file under ``notebooks/zh/``
(twin: the same name under ``notebooks/en/``). For every page of README, RESULTS, docs/ and examples/:
every relative link (and image) names a file or folder that exists, and a ``#anchor`` a heading of the
page it points to (GitHub's anchors). A Chinese page never links to an English page that has a Chinese
twin, and an English page never to a Chinese one, except each page to its own twin (the language
switch at its top, which both have). The lesson map names real notebooks, models and commands.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted({*ROOT.glob("*.md"), *(ROOT / "docs").glob("*.md"), *(ROOT / "examples").glob("*.md")})
ZH_PAGES = [p for p in PAGES if p.name.endswith(".zh-CN.md")]
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def is_chinese(path: Path) -> bool:
    return path.name.endswith(".zh-CN.md") or path.relative_to(ROOT).parts[:2] == ("notebooks", "zh")


def twin(path: Path) -> Path:
    """The same page in the other language (it may not exist)."""
    parts = list(path.relative_to(ROOT).parts)
    if parts[0] == "notebooks" and len(parts) > 1 and parts[1] in ("en", "zh"):
        parts[1] = "zh" if parts[1] == "en" else "en"
        return ROOT.joinpath(*parts)
    if path.name.endswith(".zh-CN.md"):
        return path.with_name(path.name[: -len(".zh-CN.md")] + ".md")
    if path.suffix == ".md":
        return path.with_name(path.stem + ".zh-CN.md")
    return path


def links(page: Path) -> list[str]:
    """The targets of the page's links and images, outside code blocks."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans: commands, not links
    return LINK.findall(text)


def relative_links(page: Path) -> list[tuple[str, Path, str]]:
    """(link as written, target path resolved, anchor) for each link that stays in the repository."""
    found = []
    for link in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", link):  # http:, https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        found.append((link, (page.parent / target).resolve() if target else page, anchor))
    return found


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped (letters of any script kept), spaces -> '-'."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", page.read_text(encoding="utf-8")), re.M):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


NO_SWITCH_YET: set[str] = set()
"""English pages whose link to their Chinese twin is still to be added (none now)."""


def test_the_pages_and_their_twins():
    names = {rel(p) for p in ZH_PAGES}
    assert {"README.zh-CN.md", "RESULTS.zh-CN.md", "docs/ARCHITECTURE.zh-CN.md", "docs/LESSONS.zh-CN.md",
            "examples/README.zh-CN.md"} <= names
    for page in ZH_PAGES:
        english = twin(page)
        assert english.is_file(), f"{rel(page)} has no English twin {rel(english)}"
        if rel(english) not in NO_SWITCH_YET:
            assert page in [t for _, t, _ in relative_links(english)], f"{rel(english)} does not link to {rel(page)}"
        assert english in [t for _, t, _ in relative_links(page)], f"{rel(page)} does not link to {rel(english)}"
    english_notebooks = sorted(p.name for p in (ROOT / "notebooks" / "en").glob("*.ipynb"))
    assert english_notebooks and english_notebooks == sorted(p.name for p in (ROOT / "notebooks" / "zh").glob("*.ipynb"))


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_every_link_target_exists(page):
    for link, target, anchor in relative_links(page):
        assert target.exists(), f"{rel(page)}: the link {link!r} names {target}, which does not exist"
        if anchor and target.suffix == ".md":
            assert anchor in anchors(target), f"{rel(page)}: no heading of {rel(target)} has the anchor #{anchor}"


@pytest.mark.parametrize("page", PAGES, ids=rel)
def test_links_stay_in_the_pages_language_where_a_twin_exists(page):
    chinese = is_chinese(page)
    for link, target, _ in relative_links(page):
        if target == page or target == twin(page) or not target.exists():
            continue
        if chinese:
            assert is_chinese(target) or not twin(target).exists() or twin(target) == target, \
                f"{rel(page)} links to {link!r}, an English page, where the Chinese {rel(twin(target))} exists"
        else:
            assert not is_chinese(target), f"{rel(page)} (English) links to the Chinese page {link!r}"


def test_the_chinese_readme_points_at_the_chinese_pages():
    targets = {rel(t) if t != ROOT else "." for _, t, _ in relative_links(ROOT / "README.zh-CN.md")}
    assert {"docs/ARCHITECTURE.zh-CN.md", "docs/LESSONS.zh-CN.md", "examples/README.zh-CN.md", "RESULTS.zh-CN.md",
            "notebooks/zh", "README.md"} <= targets
    assert not targets & {"docs/ARCHITECTURE.md", "docs/LESSONS.md", "examples/README.md", "RESULTS.md", "notebooks/en"}
    english = {rel(t) for _, t, _ in relative_links(ROOT / "README.md")}
    assert {"docs/ARCHITECTURE.md", "docs/LESSONS.md", "RESULTS.md", "notebooks/en", "README.zh-CN.md"} <= english


# --- the lesson map ------------------------------------------------------------------------------------------------
def lesson_rows(page: Path) -> list[str]:
    return [line for line in page.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and "notebooks/" in line]


@pytest.mark.parametrize("lang, page", [("en", "docs/LESSONS.md"), ("zh", "docs/LESSONS.zh-CN.md")])
def test_the_lesson_map_names_real_notebooks_models_and_commands(lang, page):
    from glassnet import zoo
    from glassnet.cli.parser import build_parser
    from glassnet.viz.commands import DRAWERS

    rows = lesson_rows(ROOT / page)
    assert len(rows) == len(lesson_rows(ROOT / "docs/LESSONS.md")) >= 20
    notebooks = {Path(link).name for row in rows for link in re.findall(r"\]\(([^)]+\.ipynb)\)", row)}
    assert notebooks == {p.name for p in (ROOT / "notebooks" / lang).glob("*.ipynb")}  # every lesson notebook, once or more
    for row in rows:
        assert re.search(rf"\]\(\.\./notebooks/{lang}/\w+\.ipynb\)", row), row
    commands = next(a.choices for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    text = (ROOT / page).read_text(encoding="utf-8")
    calls = [c for c in re.findall(r"`glassnet ([^`]+)`", text) if not c.startswith("--lang")]
    assert len(calls) > 30
    for call in calls:
        words = call.split()
        assert words[0] in commands, call
        if words[0] in ("train", "summary") and len(words) > 1 and not words[1].startswith("-"):
            assert words[1] in zoo.MODELS or words[1] == "NAME", call
        if words[0] == "viz" and len(words) > 1:
            assert words[1] in DRAWERS or words[1] == "regression", call
            if words[1] == "architecture":
                assert words[2] in zoo.MODELS, call
    for heading in ("Module 7", "Module 8", "step8" if lang == "zh" else "Step 8", "Keras"):
        assert heading in text
    if lang == "zh":  # the course's own names of its lessons
        for name in ("人工智能神经网络基础-4 深度神经网络，卷积神经网络引入", "卷积神经网络核心，训练卷积神经网络",
                     "step8卷积神经网络 知识总结及实验代码分析", "tensorflow深度学习训练营", "03 线性回归建模",
                     "04 使用 MLP 进行 MNIST 数字分类", "05 CNN 基础知识", "VGG16对CIFAR10分类", "实现几何图形分类"):
            assert name in text, name


def test_results_translation_keeps_the_numbers_and_commands():
    chinese = (ROOT / "RESULTS.zh-CN.md").read_text(encoding="utf-8")
    assert "英文的 [RESULTS.md](RESULTS.md) 是完整的记录" in chinese.split("##")[0]
    commit = re.search(r"提交 `([0-9a-f]{7})` 时的内容", chinese)
    assert commit, "RESULTS.zh-CN.md says which version of RESULTS.md it translates"
    source = (ROOT / "RESULTS.md").read_text(encoding="utf-8")
    for block in re.findall(r"^```\w*\n(.*?)^```", chinese, re.M | re.S):
        plain = re.sub(r"\s+#.*", "", block).strip()  # comments are translated
        assert plain in re.sub(r"\s+#.*", "", source), f"a code block not in RESULTS.md: {plain[:60]!r}"
    for figure in ("92.37 %", "99.13 %", "81.98 ± 1.04 %", "6.6e-07", "**0.72x**", "4,832x", "391 MB"):
        assert figure in chinese and figure in source
