"""The ``glassnet`` command in Chinese and English: help, progress, training lines, report, errors.

With ``--lang zh`` (or GLASSNET_LANG=zh) the help, argparse's headings, the training and
progress lines, the confusion matrix's heading and the errors' leading sentence are Chinese;
the course's report lines ('Test Loss', 'Test Accuracy of ...') stay as the course printed them.
With ``en`` everything is as it always was.
"""
from __future__ import annotations

import argparse
import io

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
