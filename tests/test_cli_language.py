"""The ``glassnet`` command in Chinese and English: help, progress, training lines, report, errors.

With ``--lang zh`` (or GLASSNET_LANG=zh) the help, argparse's headings, the training and
progress lines, the confusion matrix's heading and the errors' leading sentence are Chinese;
the course's report lines ('Test Loss', 'Test Accuracy of ...') stay as the course printed them.
With ``en`` everything is as it always was.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import warnings

import numpy as np
import pytest

from glassnet import cli, i18n
from glassnet.cli.help_text import language_in
from glassnet.progress import ProgressBar
from glassnet.report import classification_report, regression_report


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_help_in_chinese_and_in_english(capsys, monkeypatch):
    status, out, _ = run(capsys, "--lang", "zh", "--help")
    assert status == 0 and out.startswith("用法：glassnet")
    assert "训练模型库中的一个模型，并打印课程格式的测试报告" in out and "位置参数" in out and "显示本帮助信息并退出" in out
    status, out, _ = run(capsys, "--lang", "zh", "train", "--help")
    assert "训练周期数，即遍历训练集的次数" in out and "'shapes' 数据集" in out
    status, out, _ = run(capsys, "--lang", "zh", "viz", "confusion", "--help")
    assert "测试集上的混淆矩阵" in out and "模型文件中记录的数据集" in out and "confusion.png" in out
    monkeypatch.setenv("GLASSNET_LANG", "zh")
    assert run(capsys, "models", "--help")[1].startswith("用法：")
    monkeypatch.setenv("GLASSNET_LANG", "en")
    status, out, _ = run(capsys, "--help")
    assert out.startswith("usage: glassnet") and "train a zoo model and print the course's test report" in out
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in out)
    assert i18n.get_language() == "en"  # --lang held for that command only


def test_lang_is_read_before_the_sub_command_only():
    assert language_in(["--lang", "zh", "train", "x"]) == "zh"
    assert language_in(["--lang=zh", "--help"]) == "zh"
    assert language_in(["train", "--lang", "zh"]) is None
    assert language_in(["--lang", "fr", "train"]) is None


def _help_texts(parser: argparse.ArgumentParser, path: str = "") -> dict[str, str]:
    """The English help of every option that has a catalogue key, by key."""
    found = {}
    prefix = f"help:{path}." if path else "help:"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                found[prefix + choice.dest] = choice.help
            for name, sub in action.choices.items():
                found.update(_help_texts(sub, f"{path}.{name}" if path else name))
                found[f"{prefix}{name}.description"] = sub.description
        elif action.help:
            found[prefix + action.dest] = action.help
    return found


def test_the_english_help_keys_are_the_parsers_texts():
    """No drift: every help:* entry without fields is the parser's English text it translates."""
    from glassnet.cli.parser import build_parser

    texts = _help_texts(build_parser())
    catalogue = {k: v for k, v in i18n.CATALOGUES["en"].items() if k.startswith("help:") and "{" not in v}
    checked = [k for k in catalogue if k in texts]
    assert len(checked) > 40
    for key in checked:
        assert catalogue[key] == texts[key], key


@pytest.fixture
def zh(monkeypatch):
    monkeypatch.setenv("GLASSNET_LANG", "zh")


def test_train_in_chinese_keeps_the_courses_report_lines(capsys, tmp_path, zh):
    status, out, err = run(capsys, "train", "shape_cnn", "--limit", "60", "--epochs", "1", "--batch-size", "30",
                           "--out", str(tmp_path / "run"), "--no-figures")
    assert status == 0, err
    assert "在 shapes 上训练 shape_cnn：60 个训练样本，30 个测试样本，1 个训练周期，批大小 30" in out
    assert "训练用时" in out and "已写出" in out
    assert "Test Loss: " in out and "Test Accuracy (Overall): " in out  # the course's lines, as it printed them
    assert "混淆矩阵（行：真实类别，列：预测类别）：" in out


def test_train_course_names_its_lesson_in_chinese(capsys, tmp_path, zh):
    status, out, err = run(capsys, "train", "lenet5", "--course", "--dataset", "shapes", "--limit", "60",
                           "--epochs", "1", "--out", str(tmp_path / "run"), "--quiet", "--no-figures")
    assert status == 0, err
    assert "课程中的设置（--course）：第 8 单元，MNIST 上的 LeNet-5" in out
    run_info = json.loads((tmp_path / "run" / "history.json").read_text(encoding="utf-8"))
    assert run_info["course"].startswith("Module 8")  # the run's record stays in the zoo's words, whatever the language


def test_progress_lines_in_both_languages(monkeypatch):
    def one_epoch() -> str:
        stream = io.StringIO()
        bar = ProgressBar(verbose=2, stream=stream)
        bar.set_params({"epochs": 3, "steps": 1})
        bar.on_train_begin()
        bar.on_epoch_begin(0)
        bar.on_batch_end(0, {"loss": 0.5})
        bar.on_epoch_end(0, {"loss": 0.5})
        return stream.getvalue()

    assert one_epoch().startswith("Epoch 1/3 - ") and "loss: 0.5000" in one_epoch()
    i18n.set_language("zh")
    try:
        assert one_epoch().startswith("训练周期 1/3 - ")
    finally:
        i18n.set_language(None)


def test_report_lines(monkeypatch):
    y = np.array([0, 1, 1])
    i18n.set_language("zh")
    try:
        text = classification_report(0.5, y, y, ["a", "b"], np.array([[1, 0], [0, 2]]))
        assert "Test Accuracy of     a: 100% (1/1)" in text and "混淆矩阵" in text
        assert regression_report(4.0, np.array([1.0, 2.0]), np.array([1.0, 4.0])).splitlines()[0] == \
            "测试损失 (MSE): 4.000000"
    finally:
        i18n.set_language(None)


def test_errors_lead_with_a_chinese_sentence(capsys, monkeypatch, tmp_path):
    status, _, err = run(capsys, "--lang", "zh", "summary", "nope")
    assert status == 1 and err.startswith("glassnet: 错误：没有名为 'nope' 的模型；可用的模型：")
    _, _, err = run(capsys, "--lang", "zh", "viz", "conv-relu-pool", "--kernel", "x", "--out", str(tmp_path / "a.png"))
    assert err.startswith("glassnet: 错误：输入不符合要求：unknown kernel 'x'")
    _, _, err = run(capsys, "--lang", "zh", "evaluate", str(tmp_path / "none.safetensors"))
    assert err.startswith("glassnet: 错误：文件不存在：")
    _, _, err = run(capsys, "--lang", "en", "summary", "nope")
    assert err.startswith("glassnet: error: unknown model 'nope'; expected one of: ")


# --- glassnet datasets / models: the descriptions come from the catalogue ------------------------------------------
CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")


def test_every_dataset_and_model_is_described_in_both_languages():
    from glassnet import zoo
    from glassnet.data import DATASETS

    for name in DATASETS:
        assert CJK_CHAR.search(i18n.CATALOGUES["zh"][f"dataset:{name}"]), name
        assert not CJK_CHAR.search(i18n.CATALOGUES["en"][f"dataset:{name}"]), name
    for name, spec in zoo.MODELS.items():
        assert i18n.CATALOGUES["en"][f"model:{name}"] == spec.description, name  # no drift from the zoo's text
        assert CJK_CHAR.search(i18n.CATALOGUES["zh"][f"model:{name}"]), name
    for name, (lesson, _) in zoo.COURSE_TRAINING.items():  # train --course's lesson line
        assert i18n.CATALOGUES["en"][f"course:{name}"] == lesson, name
        assert CJK_CHAR.search(i18n.CATALOGUES["zh"][f"course:{name}"]), name


def test_datasets_and_models_listed_in_chinese(capsys, zh):
    status, out, _ = run(capsys, "datasets")
    assert status == 0
    assert "MNIST 手写数字，训练集 60,000 张 / 测试集 10,000 张，28x28 灰度图" in out
    assert "合成数据：5 种几何图形" in out and "波士顿住房价格" in out and "输入 13，回归；" in out
    assert "handwritten" not in out and "synthetic" not in out and "regression" not in out
    status, out, _ = run(capsys, "models")
    assert status == 0
    assert "第 8 单元：LeNet-5，卷积 6@5x5 填充 2、池化、卷积 16@5x5、池化、120、84、10" in out
    assert "第 7 单元：感知器（Perceptron）" in out and "Keras 课程：多层感知器（MLP）" in out
    assert "Module" not in out and "Step 8" not in out and "lesson" not in out
    assert run(capsys, "summary", "lenet5")[1].startswith("lenet5: 第 8 单元：LeNet-5")


def test_datasets_and_models_listed_in_english(capsys, monkeypatch):
    monkeypatch.setenv("GLASSNET_LANG", "en")
    out = run(capsys, "datasets")[1]
    assert "MNIST handwritten digits, 60,000 train / 10,000 test, 28x28 gray" in out
    assert "input 13, regression; " in out and not CJK_CHAR.search(out)
    out = run(capsys, "models")[1]
    assert "Module 8: LeNet-5, conv 6@5x5 pad 2, pool, conv 16@5x5, pool, 120, 84, 10" in out
    assert not CJK_CHAR.search(out)


# --- Done when (issue 16): glassnet train lenet5, viz playground, viz confusion show Chinese with GLASSNET_LANG=zh ---
def _figure_texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.fixture
def saved_figures(monkeypatch):
    """Every figure glassnet saves, by file name (still written to disk)."""
    from glassnet.viz import _figure

    saved: dict[str, object] = {}
    original = _figure.save_png

    def keep(fig, path):
        saved[os.path.basename(str(path))] = fig
        return original(fig, path)

    monkeypatch.setattr(_figure, "save_png", keep)
    return saved


def _needs_cjk_font():
    from glassnet.viz import _figure

    if _figure.cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk or fonts-wqy-microhei; CI installs one): "
                    "the figures fall back to English")


SHAPES_ZH = ["圆形", "矩形", "三角形", "菱形", "线条"]
KERNELS_ZH = ["锐化", "检测竖边", "周边", "Sobel-Y", "原图", "横边检测", "模糊", "Sobel-X", "浮雕"]


def test_train_lenet5_then_viz_confusion_and_playground_in_chinese(capsys, tmp_path, zh, saved_figures):
    _needs_cjk_font()
    out_dir = tmp_path / "lenet5"
    status, out, err = run(capsys, "train", "lenet5", "--dataset", "shapes", "--limit", "60", "--epochs", "1",
                           "--batch-size", "30", "--out", str(out_dir))
    assert status == 0, err
    assert "在 shapes 上训练 lenet5：60 个训练样本，30 个测试样本，1 个训练周期，批大小 30" in out
    assert "训练周期 1/1" in out and "训练用时" in out and "已写出" in out
    assert "混淆矩阵（行：真实类别，列：预测类别）：" in out
    assert "Test Accuracy (Overall): " in out  # the course's report line, as it printed it
    assert not re.search(r"\bTraining\b|\bEpoch\b|\bWrote\b", out)
    assert {"curves.png", "confusion_matrix.png", "kernels.png"} <= set(saved_figures)
    curves = saved_figures["curves.png"]
    assert [ax.get_title() for ax in curves.axes][:2] == ["损失", "准确率"]
    matrix = saved_figures["confusion_matrix.png"].axes[0]
    assert (matrix.get_xlabel(), matrix.get_ylabel()) == ("预测类别", "真实类别")
    assert matrix.get_title().startswith("混淆矩阵：")
    assert [t.get_text() for t in matrix.get_yticklabels()] == SHAPES_ZH
    assert CJK_CHAR.search(" ".join(_figure_texts(saved_figures["kernels.png"])))

    model = str(out_dir / "model.safetensors")
    status, _, err = run(capsys, "viz", "confusion", model, "--dataset", "shapes", "--limit", "40",
                         "--out", str(tmp_path / "confusion.png"))
    assert status == 0, err
    matrix = saved_figures["confusion.png"].axes[0]
    assert (matrix.get_xlabel(), matrix.get_ylabel()) == ("预测类别", "真实类别")
    assert matrix.get_title().startswith("混淆矩阵：40 个中对了")
    assert [t.get_text() for t in matrix.get_xticklabels()] == SHAPES_ZH

    status, _, err = run(capsys, "viz", "playground", "--size", "32", "--out", str(tmp_path / "playground.png"))
    assert status == 0, err
    playground = saved_figures["playground.png"]
    assert [ax.get_title() for ax in playground.axes if ax.get_title()] == KERNELS_ZH
    assert "卷积核经 Conv2D 作用在形状为" in playground._suptitle.get_text()
    for name in ("curves.png", "confusion_matrix.png", "kernels.png", "confusion.png", "playground.png"):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=r"(?s).*[Gg]lyph.*missing")  # real glyphs, no empty boxes
            saved_figures[name].canvas.draw()


def test_train_lenet5_then_viz_confusion_and_playground_in_english(capsys, tmp_path, monkeypatch, saved_figures):
    monkeypatch.setenv("GLASSNET_LANG", "en")
    out_dir = tmp_path / "lenet5"
    status, out, err = run(capsys, "train", "lenet5", "--dataset", "shapes", "--limit", "60", "--epochs", "1",
                           "--batch-size", "30", "--out", str(out_dir))
    assert status == 0, err
    assert "Epoch 1/1" in out and "Test Accuracy (Overall): " in out and not CJK_CHAR.search(out)
    assert run(capsys, "viz", "confusion", str(out_dir / "model.safetensors"), "--dataset", "shapes", "--limit", "40",
               "--out", str(tmp_path / "confusion.png"))[0] == 0
    assert run(capsys, "viz", "playground", "--size", "32", "--out", str(tmp_path / "playground.png"))[0] == 0
    matrix = saved_figures["confusion.png"].axes[0]
    assert (matrix.get_xlabel(), matrix.get_ylabel()) == ("Predicted", "Truth")
    assert matrix.get_title().startswith("Confusion matrix: ")
    for fig in saved_figures.values():
        assert not [t for t in _figure_texts(fig) if CJK_CHAR.search(t)]
    assert [ax.get_title() for ax in saved_figures["playground.png"].axes if ax.get_title()][0] == "sharpen"
