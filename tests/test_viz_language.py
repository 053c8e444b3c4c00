"""Every ``glassnet viz`` figure in Chinese and in English: its words come from the catalogue, its glyphs exist.

Each kind is drawn through ``glassnet.viz.commands.DRAWERS`` (as the command line does) on tiny
data, once with GLASSNET_LANG=zh and once with en. In Chinese, the canvas is drawn with
matplotlib's "Glyph ... missing from font" warning turned into an error (so an empty box
fails the test), every text shows Chinese and no English word is left but names (layers,
datasets, Sobel); in English no Chinese character appears. The viz sources hold no Chinese
at all, so every Chinese character drawn came from the catalogue (i18n/zh.py).
"""
from __future__ import annotations

import argparse
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from matplotlib.text import Text

from conftest import use_fake_viz_datasets
from glassnet import i18n
from glassnet.viz import _figure, commands

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
NAMES = {"Conv2D", "MaxPool2D", "AvgPool2D", "ReLU", "Dense", "Flatten", "Softmax", "Sobel", "One", "Hot",
         "tiny", "table", "boston", "run", "conv", "dense", "max", "pool", "flatten", "relu", "lenet5", "epoch",
         "mlp", "MLP", "CNN", "Adam"}
"""Latin words a Chinese figure may keep: layer, model, optimizer and dataset names (as the code names them), the
course's 'One-Hot', 'MLP' and 'CNN', and 'epoch' (written beside 训练周期, as the course does)."""

KINDS = ["samples", "numbers", "kernels", "feature-maps", "playground", "conv-relu-pool", "curves", "confusion",
         "per-class", "predictions", "probabilities", "regression", "regression-all", "architecture", "one-hot",
         "gradient-descent", "what-the-computer-sees", "shift"]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="glassnet")
    commands.add_viz_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["viz", *argv])


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A small CNN, one- and three-feature regression models and a history file."""
    import glassnet
    from glassnet.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU

    folder = tmp_path_factory.mktemp("viz_language")
    cnn = glassnet.Sequential([Conv2D(4, 3, input_shape=(1, 12, 12)), ReLU(), MaxPool2D(2), Flatten(), Dense(3)],
                              seed=1)
    paths = {"cnn": folder / "cnn.safetensors", "line": folder / "line.safetensors",
             "all": folder / "all.safetensors", "history": folder / "run" / "history.json"}
    cnn.save(str(paths["cnn"]))
    glassnet.Sequential([Dense(1, input_shape=(1,))], seed=0).save(str(paths["line"]))
    glassnet.Sequential([Dense(1, input_shape=(3,))], seed=0).save(str(paths["all"]))
    paths["history"].parent.mkdir()
    paths["history"].write_text(json.dumps({"history": {"loss": [2.0, 1.0], "val_loss": [2.5, 1.5],
                                                        "accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6]}}))
    return paths


@pytest.fixture
def fake_data(monkeypatch):
    return use_fake_viz_datasets(monkeypatch, ("Dress", "Coat", "Bag"), name="boston")


def argv_of(kind: str, files: dict[str, Path]) -> list[str]:
    cnn, tiny = str(files["cnn"]), ["--dataset", "tiny"]
    return {
        "samples": ["samples", *tiny, "--count", "6"],
        "numbers": ["numbers", *tiny, "--index", "2"],
        "kernels": ["kernels", cnn],
        "feature-maps": ["feature-maps", cnn, *tiny, "--max-maps", "2"],
        "playground": ["playground", "--size", "32"],
        "conv-relu-pool": ["conv-relu-pool", "--size", "32"],
        "curves": ["curves", str(files["history"])],
        "confusion": ["confusion", cnn, *tiny],
        "per-class": ["per-class", cnn, *tiny],
        "predictions": ["predictions", cnn, *tiny, "--count", "6"],
        "probabilities": ["probabilities", cnn, *tiny, "--index", "1"],
        "regression": ["regression", str(files["line"]), "--dataset", "table"],
        "regression-all": ["regression", str(files["all"]), "--dataset", "table"],
        "architecture": ["architecture", "lenet5"],
        "one-hot": ["one-hot"],
        "gradient-descent": ["gradient-descent"],
        "what-the-computer-sees": ["what-the-computer-sees", *tiny, "--index", "1"],
        "shift": ["shift", *tiny, "--epochs", "1", "--shifts", "0,1,2"],
    }[kind]


def drawn_texts(fig) -> list[str]:
    """Every visible, non-empty text of the figure: titles, axis labels, ticks, legends, colour bars, notes."""
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def draw_in(lang: str, kind: str, files: dict[str, Path], capsys) -> list[str]:
    i18n.set_language(lang)
    try:
        args = parse(argv_of(kind, files))
        fig = commands.DRAWERS[args.kind](args)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=r"(?s).*[Gg]lyph.*missing")
            fig.canvas.draw()
    finally:
        i18n.set_language(None)
    capsys.readouterr()  # 'numbers' prints the array, 'shift' its table
    return drawn_texts(fig)


needs_cjk_font = pytest.mark.skipif(
    _figure.cjk_font() is None,
    reason="no CJK font installed (apt-get install fonts-noto-cjk or fonts-wqy-microhei; CI installs one)")


@needs_cjk_font
@pytest.mark.parametrize("kind", KINDS)
def test_each_figure_in_chinese_has_real_glyphs_and_no_english_left(kind, files, fake_data, capsys):
    texts = draw_in("zh", kind, files, capsys)
    assert any(CJK.search(t) for t in texts), f"{kind}: no Chinese text in {texts}"
    allowed = NAMES | {layer_name for t in texts for layer_name in re.findall(r"'(\w+)'", t)}
    for t in texts:
        words = {w for w in re.findall(r"[A-Za-z]{3,}", t) if w not in allowed and not any(w in n for n in allowed)}
        assert not words, f"{kind}: English words {sorted(words)} left in the Chinese figure's text {t!r}"


@pytest.mark.parametrize("kind", KINDS)
def test_each_figure_in_english_has_no_chinese(kind, files, fake_data, capsys):
    texts = draw_in("en", kind, files, capsys)
    assert texts and not [t for t in texts if CJK.search(t)]


def test_the_figures_chinese_comes_only_from_the_catalogue():
    sources = sorted(Path(_figure.__file__).parent.glob("*.py"))
    assert len(sources) > 8
    for source in sources:
        found = CJK.findall(source.read_text(encoding="utf-8"))
        assert not found, f"{source.name} writes Chinese itself ({''.join(found[:10])}); put it in i18n/zh.py"
    figure_keys = [k for k in i18n.CATALOGUES["en"] if k.startswith("fig:")]
    assert len(figure_keys) > 60
    untranslated = [k for k in figure_keys if not CJK.search(i18n.CATALOGUES["zh"][k]) and
                    i18n.CATALOGUES["zh"][k] == i18n.CATALOGUES["en"][k] and k not in ("fig:step.ReLU",)]
    assert not untranslated


@needs_cjk_font
def test_chinese_figure_words_are_the_courses():
    i18n.set_language("zh")
    try:
        from glassnet.viz.curves import plot_history
        from glassnet.viz.evaluation import plot_confusion_matrix

        curves = plot_history({"loss": [1.0, 0.5], "val_loss": [1.2, 0.7], "accuracy": [0.5, 0.8]})
        assert [ax.get_title() for ax in curves.axes] == ["损失", "准确率"]
        assert [t.get_text() for t in curves.axes[0].get_legend().get_texts()] == ["训练损失", "验证损失"]
        cm = plot_confusion_matrix(np.array([[3, 1], [0, 4]]), ["Dress", "Bag"])
        assert (cm.axes[0].get_xlabel(), cm.axes[0].get_ylabel()) == ("预测类别", "真实类别")
        assert cm.axes[0].get_title() == "混淆矩阵：8 个中对了 7 个（87.5%）"
    finally:
        i18n.set_language(None)
